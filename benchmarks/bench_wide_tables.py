"""Wide tables: a short fit of a table of few rows and many columns (a gene-expression or survey export).

Few rows and thousands of columns are far from the meta-dataset's tasks (all but one have at most 158 columns),
so the time head's seconds are least sure there, while a short budget leaves no room for a trial that runs long.
Each table is synthetic and seeded (``make_classification``: 10 informative columns, the others noise), split
75/25 stratified; each fit runs in its own process with one core, and the same table and split serve every
method and seed. Reported: the fit's seconds and overshoot of the budget, the test ROC AUC, how many trials
finished and timed out, and whether no trial finished (the model then is a fallback fitted without
cross-validation).

Writes --out (CSV, written as it goes) and --out with .md.

Usage: python benchmarks/bench_wide_tables.py [--shapes 300x1000,300x3000,2000x1000] [--budget 15]
       [--methods automl_meta,flaml] [--seeds 0,1,2]
"""

from __future__ import annotations

import argparse
import json
import time

import pandas as pd

from harness.cli import RESULTS, benchmark_parser, command_line, fits_in_processes
from harness.machine import machine_stamp

METHODS = ("automl_meta", "flaml")


def split_table(rows: int, columns: int):
    """The seeded table of ``rows`` x ``columns`` split 75/25 (stratified)."""
    from sklearn.datasets import make_classification
    from sklearn.model_selection import train_test_split

    X, y = make_classification(n_samples=rows, n_features=columns, n_informative=10, n_redundant=0, flip_y=0.03,
                               random_state=0)
    frame = pd.DataFrame(X, columns=[f"g{i}" for i in range(columns)])
    return train_test_split(frame, y, test_size=0.25, random_state=0, stratify=y)


def run_one(shape: str, method: str, budget: float, seed: int) -> dict:
    """One fit in this process, on one core: its seconds, test ROC AUC and trials."""
    import warnings

    from sklearn.metrics import roc_auc_score

    rows, columns = (int(v) for v in shape.split("x"))
    X_train, X_test, y_train, y_test = split_table(rows, columns)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        began = time.perf_counter()
        if method == "flaml":
            from flaml import AutoML

            model = AutoML()
            model.fit(X_train, y_train, task="classification", time_budget=budget, metric="roc_auc", n_jobs=1,
                      verbose=0, seed=seed)
            seconds = time.perf_counter() - began
            ok, timeouts, fallback, chose = None, None, False, model.best_estimator
        else:
            from automl_meta import AutoMetaClassifier

            model = AutoMetaClassifier(time_budget=budget, metadataset=False, random_state=seed, n_jobs=1)
            model.fit(X_train, y_train)
            seconds = time.perf_counter() - began
            status = model.leaderboard_["status"]
            ok, timeouts = int((status == "ok").sum()), int((status == "timeout").sum())
            fallback = bool(ok == 0)
            chose = ", ".join(f"{m['weight']:.2f}*{m['strategy'].family}" for m in model.ensemble_)
        proba = model.predict_proba(X_test)[:, 1]
    return {"shape": shape, "method": method, "seed": seed, "budget_s": budget, "seconds": round(seconds, 1),
            "overshoot_pct": round(100 * (seconds / budget - 1), 1),
            "test_roc_auc": round(float(roc_auc_score(y_test, proba)), 4), "trials_ok": ok, "timeouts": timeouts,
            "no_trial_finished": fallback, "chose": chose}


def main() -> None:
    parser = benchmark_parser(__doc__, budget=15.0, methods=("automl_meta", f"any of {', '.join(METHODS)}"),
                              out=RESULTS / "wide_tables.csv")
    parser.add_argument("--shapes", default="300x1000,300x3000,2000x1000", help="rows x columns, comma-separated")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--one", nargs=3, metavar=("SHAPE", "METHOD", "SEED"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:  # a child: one fit, its row as JSON
        print(json.dumps(run_one(args.one[0], args.one[1], args.budget, int(args.one[2]))))
        return
    jobs = [(shape, method, seed) for shape in args.shapes.split(",") for method in args.methods.split(",")
            for seed in args.seeds.split(",")]
    rows = fits_in_processes(__file__, jobs, ["--budget", args.budget], args.out)
    frame = pd.DataFrame(rows)
    summary = frame.groupby(["shape", "method"]).agg(
        seeds=("seed", "size"), mean_roc_auc=("test_roc_auc", "mean"), max_seconds=("seconds", "max"),
        max_overshoot_pct=("overshoot_pct", "max"), fits_without_a_finished_trial=("no_trial_finished", "sum"))
    text = "\n".join([f"## Wide tables, {args.budget:g} s fits with one core ({machine_stamp()})", "",
                      f"Command: `{command_line(parser, args)}`", "", frame.to_markdown(index=False), "",
                      "Over the seeds:", "", summary.to_markdown(), ""])
    args.out.with_suffix(".md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
