"""Trials on a Dask cluster: a budgeted fit with local workers and with 1, 2 and 4 Dask workers, and Dask's
overhead per trial.

The task: a seeded synthetic classification table (``--rows`` x 30; its trials take about a second or more),
split 75/25 once. Part ``fits``: ``AutoMetaClassifier(time_budget=--budget)`` on the 75% with its local
workers (``n_jobs=-1``, one per core), then with ``scheduler=`` a ``LocalCluster`` of 1, 2 and 4
single-threaded worker processes on this machine, and 2 again with the process of a worker running a trial
killed a third of the way into the fit; reported: trials (lost: failed on the cluster), trials per minute,
trial-seconds per second (how many cores the trials kept busy: TPE samples other strategies in each run, and
they differ in cost), the fit's seconds and the test ROC AUC on the 25%. Part ``throughput``: the same strategy
(HistGradientBoosting's defaults, 5-fold CV) evaluated ``--repeats`` x workers times, as many at once as the
cluster has workers: trials per minute for identical trials. Part ``overhead``: that strategy evaluated
``--repeats`` times one after another by a local isolated worker and by a 1-worker cluster; the overhead per
trial is the difference of the median wall-clock seconds, and its share of the local trial's.

Usage: python benchmarks/bench_cluster.py [--budget 60] [--workers 1,2,4] [--rows 4000] [--repeats 8]
       [--out-dir benchmarks/results] [--smoke]
"""

from __future__ import annotations

import contextlib
import time
import warnings

import numpy as np
import pandas as pd

from harness.cli import RESULTS, benchmark_parser, command_line
from harness.machine import machine_stamp


def make_split(rows: int, seed: int = 0):
    from sklearn.datasets import make_classification
    from sklearn.model_selection import train_test_split

    X, y = make_classification(n_samples=rows, n_features=30, n_informative=10, flip_y=0.05, random_state=seed)
    X = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    return train_test_split(X, y, test_size=0.25, random_state=seed, stratify=y)


@contextlib.contextmanager
def dask_cluster(workers: int):
    """A client of a LocalCluster of ``workers`` single-threaded worker processes (None for 0: local)."""
    if not workers:
        yield None
        return
    from distributed import Client, LocalCluster

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
                Client(cluster) as client:
            yield client


def kill_a_busy_worker(client, after: float, killed: list) -> None:
    """``after`` seconds from now, end the process of a Dask worker that is running a trial (its nanny starts
    another); the worker's address is appended to ``killed``."""
    import os

    deadline = time.monotonic() + after + 30
    time.sleep(after)
    while time.monotonic() < deadline and not killed:
        busy = [address for address, keys in client.processing().items() if keys]
        if busy:
            with contextlib.suppress(Exception):  # it dies before it can answer
                client.run(os._exit, 1, workers=busy[:1])
            killed.append(busy[0])
        time.sleep(0.05)


def fit_row(split, workers: int, budget: float, seed: int, kill_after: float | None = None) -> dict:
    """One budgeted fit, locally (``workers`` 0) or on a cluster of ``workers``: its trials and test score; with
    ``kill_after``, a Dask worker running a trial is killed that many seconds into the fit."""
    import threading

    from sklearn.metrics import roc_auc_score

    from automl_meta.estimator import AutoMetaClassifier

    X_train, X_test, y_train, y_test = split
    killed = []
    with dask_cluster(workers) as client, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = AutoMetaClassifier(time_budget=budget, scheduler=client, metadataset=False, random_state=seed)
        killer = threading.Thread(target=kill_a_busy_worker, args=(client, kill_after, killed), daemon=True)
        if kill_after is not None:
            killer.start()
        model.fit(X_train, y_train, task_name="cluster-benchmark")
    board = model.leaderboard_[model.leaderboard_["origin"] != "ensemble"]
    lost = board["error"].fillna("").str.startswith("the evaluation failed on the cluster")
    name = f"{workers} Dask workers" if workers else "local workers"
    return {"trials_on": name + (f", one killed at {kill_after:g} s" if killed else ""), "concurrent_trials": model.n_workers_,
            "budget_s": budget, "fit_seconds": round(model.fit_seconds_, 2), "trials": len(board), "lost_trials": int(lost.sum()),
            "trials_per_minute": round(60 * len(board) / model.fit_seconds_, 1),
            "trial_seconds_per_second": round(board["fit_seconds"].sum() / model.fit_seconds_, 2),
            "test_roc_auc": round(float(roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])), 4)}


def trial_seconds(task, client, repeats: int) -> list[float]:
    """Wall-clock seconds of ``repeats`` evaluations of one strategy, one after another, the first (the
    worker's start-up) left out."""
    from automl_meta.evaluate import Evaluator
    from automl_meta.space import Strategy

    seconds = []
    with Evaluator(cv=5, scheduler=client, workers=1) as evaluator:
        evaluator.prepare(task)
        for _ in range(repeats + 1):
            began = time.perf_counter()
            evaluator(Strategy.default("hist_gb"), task)
            seconds.append(time.perf_counter() - began)
    return seconds[1:]


def throughput_row(task, workers: int, repeats: int) -> dict:
    """Trials per minute of ``repeats`` x ``workers`` identical trials, ``workers`` at once on a cluster of as
    many workers (after one warm-up trial each)."""
    from concurrent.futures import ThreadPoolExecutor

    from automl_meta.evaluate import Evaluator
    from automl_meta.space import Strategy

    strategy = Strategy.default("hist_gb")
    with dask_cluster(workers) as client, Evaluator(cv=5, scheduler=client, workers=workers) as evaluator, \
            ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda _: evaluator(strategy, task), range(workers)))  # every worker process started
        began = time.perf_counter()
        results = list(pool.map(lambda _: evaluator(strategy, task), range(repeats * workers)))
        seconds = time.perf_counter() - began
    assert all(r.ok for r in results)
    return {"dask_workers": workers, "trials": len(results), "seconds": round(seconds, 2),
            "trials_per_minute": round(60 * len(results) / seconds, 1)}


def overhead_row(split, repeats: int) -> dict:
    from automl_meta.data import Task

    task = Task(split[0], split[2], name="cluster-benchmark")
    local = float(np.median(trial_seconds(task, None, repeats)))
    with dask_cluster(1) as client:
        remote = float(np.median(trial_seconds(task, client, repeats)))
    return {"strategy": "hist_gb defaults, 5-fold CV", "repeats": repeats, "local_trial_s": round(local, 3),
            "dask_trial_s": round(remote, 3), "overhead_s": round(remote - local, 3),
            "overhead_share": round((remote - local) / local, 4)}


def report(fits: pd.DataFrame, throughput: pd.DataFrame, overhead: dict, command: str) -> str:
    rate = throughput.set_index("dask_workers")["trials_per_minute"]
    speedup = rate.get(2, np.nan) / rate.get(1, np.nan)
    worst = (fits["fit_seconds"] / fits["budget_s"] - 1).max()
    return "\n".join([
        f"## Trials on a Dask cluster ({machine_stamp()})", "", f"Command: `{command}`", "",
        fits.to_markdown(index=False), "",
        f"Largest budget overshoot: {100 * worst:+.1f}% (target within 5%: {'MET' if worst <= 0.05 else 'MISSED'}).", "",
        throughput.to_markdown(index=False), "",
        f"Identical trials, 2 Dask workers against 1: {speedup:.2f}x the trials per minute (target >= 1.8x: "
        f"{'MET' if speedup >= 1.8 else 'MISSED'}).", "", pd.DataFrame([overhead]).to_markdown(index=False), "",
        f"Dask's overhead per trial: {overhead['overhead_s']:+.3f} s, {100 * overhead['overhead_share']:+.1f}% of the "
        f"local trial's {overhead['local_trial_s']:.2f} s (target <= 5%: "
        f"{'MET' if overhead['overhead_share'] <= 0.05 else 'MISSED'}).", ""])


def main() -> None:
    parser = benchmark_parser(__doc__, budget=60.0, seed=0, out_dir=RESULTS,
                              smoke=(False, "a 10 s budget, local and 1 Dask worker, 2 repeats"))
    parser.add_argument("--workers", default="1,2,4", help="Dask worker counts (the local fit always runs first)")
    parser.add_argument("--rows", type=int, default=4000)
    parser.add_argument("--repeats", type=int, default=8)
    args = parser.parse_args()
    command = command_line(parser, args)
    if args.smoke:
        args.budget, args.workers, args.rows, args.repeats = 10.0, "1", 1000, 1
    split = make_split(args.rows, args.seed)
    rows = []
    # then 2 workers again, one of them killed a third of the way into the fit: the budget must still hold
    runs = [(0, None)] + [(int(w), None) for w in args.workers.split(",")] + [(2, args.budget / 3)]
    for workers, kill_after in runs:
        rows.append(fit_row(split, workers, args.budget, args.seed, kill_after))
        print(rows[-1], flush=True)
    fits = pd.DataFrame(rows)
    from automl_meta.data import Task

    task = Task(split[0], split[2], name="cluster-benchmark")
    throughput = pd.DataFrame([throughput_row(task, int(w), args.repeats) for w in args.workers.split(",")])
    overhead = overhead_row(split, args.repeats)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    fits.to_csv(args.out_dir / "cluster.csv", index=False)
    throughput.to_csv(args.out_dir / "cluster_throughput.csv", index=False)
    text = report(fits, throughput, overhead, command)
    (args.out_dir / "cluster.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
