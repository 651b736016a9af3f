"""Large tables: a budgeted fit on 100,000 and 500,000 rows beside FLAML's, with every core (or ``--n-jobs``).

The table is synthetic and seeded (the corpus has few tables this large with a known signal): 30 numeric
columns (scikit-learn's ``make_classification``: 12 informative, 6 redundant, class separation 0.8, 3% of the
labels flipped) and two categorical ones derived from them (a region of 8 levels, from a quantile of the first
informative column, and a code of 300 levels, from the product of two others: a high-cardinality column that
carries some signal), 5% of every feature's values missing. 80% of the rows train, 20% test (stratified). Each
method runs in a process of its own, so that its peak memory is its own: the process's peak resident memory,
and its child processes' largest (the trial workers). Reported: seconds of ``fit`` (and the overshoot of the
budget), the test ROC AUC, and the peak memory. ``flaml`` is FLAML as it comes (its retrain on every row after
the search may run far past the budget: 68-544 s of 60 on 500,000 rows); ``flaml_budget`` is FLAML with its own
option to keep that retrain within the budget (``retrain_full="budget"``), the comparison at equal seconds.

Usage: python benchmarks/bench_large_tables.py [--sizes 100000,500000] [--budget 60] [--methods automl_meta,flaml]
       [--n-jobs 1]   (one core a fit, as the end-to-end runs; default: every core)  [--seeds 0,1,2]
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import numpy as np
import pandas as pd

from harness.cli import RESULTS, benchmark_parser, command_line, fits_in_processes
from harness.machine import machine_stamp

METHODS = ("automl_meta", "automl_meta_best", "flaml", "flaml_budget")


def make_table(n_rows: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=n_rows, n_features=30, n_informative=12, n_redundant=6, class_sep=0.8,
                               flip_y=0.03, random_state=seed)
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(30)])
    frame["region"] = pd.qcut(frame["x0"], 8, labels=[f"r{i}" for i in range(8)]).astype(str)
    frame["code"] = (pd.qcut(frame["x1"] * frame["x2"], 300, labels=False, duplicates="drop")).map(lambda v: f"c{v}")
    for column in frame.columns:
        frame.loc[rng.random(n_rows) < 0.05, column] = np.nan
    return frame, y


def split_table(n_rows: int):
    """The table of ``n_rows`` (``make_table``) split 80/20, stratified and seeded: the same for every method
    and seed (``bench_refit_rows.py`` fits on the same split)."""
    from sklearn.model_selection import train_test_split

    X, y = make_table(n_rows)
    return train_test_split(X, y, test_size=0.2, random_state=0, stratify=y)


def run_one(n_rows: int, method: str, budget: float, n_jobs: int = -1, seed: int = 0) -> dict:
    """One fit in this process (the method seeded with ``seed``; the table and its split are the same for
    every seed): its seconds, test ROC AUC and peak memory."""
    import warnings

    from sklearn.metrics import roc_auc_score

    X_train, X_test, y_train, y_test = split_table(n_rows)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        began = time.perf_counter()
        if method in ("flaml", "flaml_budget"):
            from flaml import AutoML

            model = AutoML()
            X_fit = X_train.astype({"region": "category", "code": "category"})
            # flaml_budget: FLAML's own option to keep its final retrain within the budget ("do best effort to
            # retrain without violating the time budget"); the default retrains on every row after the search
            model.fit(X_fit, y_train, task="classification", time_budget=budget, metric="roc_auc", n_jobs=n_jobs, verbose=0,
                      seed=seed, retrain_full="budget" if method == "flaml_budget" else True)
            seconds = time.perf_counter() - began
            proba = model.predict_proba(X_test.astype({"region": "category", "code": "category"}))[:, 1]
            chose = model.best_estimator
        else:
            from automl_meta import AutoMetaClassifier

            quality = "best" if method == "automl_meta_best" else "medium"
            model = AutoMetaClassifier(time_budget=budget, quality=quality, metadataset=False, random_state=seed, n_jobs=n_jobs)
            model.fit(X_train, y_train)
            seconds = time.perf_counter() - began
            proba = model.predict_proba(X_test)[:, 1]
            chose = ", ".join(f"{m['weight']:.2f}*{m['strategy'].family}" for m in model.ensemble_)
            chose += f" (searched on {model.search_rows_} rows, machine factor {model.machine_factor_:.2f})"
    mib = 1024.0  # ru_maxrss is in KiB on Linux
    return {"rows": n_rows, "method": method, "seed": seed, "budget_s": budget, "n_jobs": n_jobs, "seconds": round(seconds, 1),
            "overshoot_pct": round(100 * (seconds / budget - 1), 1), "test_roc_auc": round(float(roc_auc_score(y_test, proba)), 4),
            "peak_mib_main": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / mib),
            "peak_mib_workers": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / mib), "chose": chose}


def main() -> None:
    parser = benchmark_parser(__doc__, budget=60.0, methods=("automl_meta,automl_meta_best,flaml", f"any of {', '.join(METHODS)}"),
                              out=RESULTS / "large_tables.csv")
    parser.add_argument("--sizes", default="100000,500000")
    parser.add_argument("--n-jobs", type=int, default=-1, help="cores of every fit (-1: all; 1: as the end-to-end runs)")
    parser.add_argument("--seeds", default="0", help="seeds of each method, comma-separated (a search under a "
                        "budget of a few trials varies with its seed: several say how much)")
    parser.add_argument("--one", nargs=3, metavar=("ROWS", "METHOD", "SEED"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:  # a child: one fit, its row as JSON
        print(json.dumps(run_one(int(args.one[0]), args.one[1], args.budget, args.n_jobs, int(args.one[2]))))
        return
    jobs = [(n_rows, method, seed) for n_rows in args.sizes.split(",") for method in args.methods.split(",")
            for seed in args.seeds.split(",")]
    rows = fits_in_processes(__file__, jobs, ["--budget", args.budget, "--n-jobs", args.n_jobs], args.out)
    cores = "every core" if args.n_jobs == -1 else f"{args.n_jobs} core(s)"
    text = "\n".join([f"## Large tables, {args.budget:g} s fits with {cores} ({machine_stamp()})", "",
                      f"Command: `{command_line(parser, args)}`", "", pd.DataFrame(rows).to_markdown(index=False), "",
                      "Over the seeds:", "", summarize(pd.DataFrame(rows)).to_markdown(), ""])
    args.out.with_suffix(".md").write_text(text)
    print(text)


def summarize(frame: pd.DataFrame) -> pd.DataFrame:
    """Per size and method: the mean, lowest and highest test ROC AUC over the seeds, and the largest overshoot."""
    return frame.groupby(["rows", "method"]).agg(seeds=("seed", "size"), mean_roc_auc=("test_roc_auc", "mean"),
                                                  min_roc_auc=("test_roc_auc", "min"), max_roc_auc=("test_roc_auc", "max"),
                                                  max_overshoot_pct=("overshoot_pct", "max")).round(4)


if __name__ == "__main__":
    main()
