"""Trials per minute with 1, 2, ... evaluation workers (every core by default).

The same budgeted search (cold TPE, every family, 5-fold CV, the search's own stopping rule) on the same task,
once per worker count; each worker is an isolated process whose model uses one thread. Reported: trials
finished, trials per minute, trial seconds per wall-clock second (how many cores the trials kept busy: trials
differ in cost, and with more workers TPE samples other strategies) and the best cross-validated score.

Usage: python benchmarks/bench_workers.py [--workers 1,2] [--budget 60] [--task penguins|synthetic]
       [--out benchmarks/results/workers.csv]
"""

from __future__ import annotations

import time

import pandas as pd

from harness.cli import RESULTS, benchmark_parser, command_line
from harness.machine import machine_stamp


def make_task(name: str):
    from automl_meta.data import Task
    from automl_meta.examples import load_example

    if name == "penguins":
        return load_example("penguins")
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=3000, n_features=20, n_informative=8, random_state=0)
    return Task(X, y, name="synthetic-3000x20")


def run(task, workers: int, budget: float, seed: int) -> dict:
    from automl_meta.evaluate import Evaluator
    from automl_meta.search import search

    with Evaluator(workers=workers, n_jobs=1, random_state=seed) as evaluator:
        evaluator.prepare(task)  # start-up is not search time: every configuration starts with its workers ready
        began = time.perf_counter()
        result = search(task, time_budget=budget, evaluator=evaluator, metadataset=False, random_state=seed)
        seconds = time.perf_counter() - began
    ok = [e for e in result.evaluations if e.ok]
    return {"task": task.name, "workers": workers, "budget_s": budget, "seconds": round(seconds, 2),
            "trials": len(result.evaluations), "trials_per_minute": round(60 * len(result.evaluations) / seconds, 1),
            # trials differ in cost (TPE goes elsewhere with more workers): the busy share of the cores says more
            "trial_seconds_per_second": round(sum(e.fit_seconds for e in result.evaluations) / seconds, 2),
            "best_score": round(max(e.score for e in ok), 5) if ok else float("nan")}


def main() -> None:
    parser = benchmark_parser(__doc__, budget=60.0, seed=0, out=RESULTS / "workers.csv")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--task", default="synthetic", choices=["synthetic", "penguins"])
    args = parser.parse_args()
    task = make_task(args.task)
    rows = [run(task, int(w), args.budget, args.seed) for w in args.workers.split(",")]
    frame = pd.DataFrame(rows)
    frame.to_csv(args.out, index=False)
    print(f"## Trials per minute by evaluation workers ({machine_stamp()})\n\nCommand: `{command_line(parser, args)}`\n")
    print(frame.to_markdown(index=False))


if __name__ == "__main__":
    main()
