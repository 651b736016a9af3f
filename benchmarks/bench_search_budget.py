"""Time-budget compliance: wall-clock seconds of whole searches, or of whole estimator
fits (meta-features, warm start, search and refit), against their budget.

For each task and budget, run with only a time budget (no trial count) and report the seconds it took, the
overshoot in percent of the budget, and the trials completed. Tasks: the bundled penguins example, plus
corpus tasks when the shared corpus is present.

Usage: python benchmarks/bench_search_budget.py [--mode search|fit] [--budgets 10 30] [--tasks keel/breast ...]
Writes benchmarks/results/search_budget.csv (or fit_budget.csv).
"""

from __future__ import annotations

import time

import pandas as pd

from harness.cli import RESULTS, benchmark_parser
from harness.machine import machine_stamp


def main() -> None:
    parser = benchmark_parser(__doc__, out_dir=RESULTS)
    parser.add_argument("--budgets", type=float, nargs="+", default=[10, 30])
    parser.add_argument("--mode", choices=["search", "fit"], default="search")
    parser.add_argument("--tasks", nargs="+", default=["keel/breast", "keel/segment", "uci_regression/autompg", "uci_regression/bike"])
    args = parser.parse_args()
    from automl_meta.data import default_manifest_path, iter_corpus
    from automl_meta.estimator import AutoMetaClassifier, AutoMetaRegressor  # imported outside the timed fits
    from automl_meta.examples import load_example
    from automl_meta.search import search

    tasks = [load_example()]
    if default_manifest_path() is not None:
        tasks += list(iter_corpus(names=args.tasks))
    rows = []
    print(f"machine: {machine_stamp()}")
    for task in tasks:
        for budget in args.budgets:
            start = time.perf_counter()
            if args.mode == "search":
                evaluations = search(task, time_budget=budget, metadataset=False, random_state=0).evaluations
                statuses = pd.Series([e.status for e in evaluations]).value_counts().to_dict()
            else:
                cls = AutoMetaRegressor if task.kind == "regression" else AutoMetaClassifier
                est = cls(n_trials=None, time_budget=budget, metadataset=False, random_state=0).fit(task.X, task.y)
                evaluations = est.leaderboard_["status"]
                statuses = evaluations.value_counts().to_dict()
            seconds = time.perf_counter() - start
            rows.append({"task": task.name, "rows": task.n_rows, "budget_s": budget, "seconds": seconds,
                         "overshoot_pct": 100 * (seconds - budget) / budget, "trials": len(evaluations),
                         "timeouts": statuses.get("timeout", 0)})
            print(rows[-1], flush=True)
    frame = pd.DataFrame(rows)
    out = args.out_dir / f"{args.mode}_budget.csv"
    frame.to_csv(out, index=False)
    print(f"\n{machine_stamp()}\n" + frame.to_markdown(index=False, floatfmt=".2f"))
    print(f"\nworst overshoot: {frame.overshoot_pct.max():.2f}% of the budget")


if __name__ == "__main__":
    main()
