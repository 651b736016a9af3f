"""The MLP family on the CPU against CUDA: seconds to train the default MLP strategy for a fixed number of epochs
on synthetic classification data (20 numeric features, 2 classes) of growing size.

Early stopping is switched off (patience above the epochs) so that both devices do the same work; the CPU
runs with ``--threads`` torch threads (a trial's default is one). Timings include moving the data to the GPU.
Run it where there is a GPU; without one only the CPU rows are written.

Writes benchmarks/results/device_mlp.csv and prints a markdown table.

``--shapes`` lists width x batch size pairs (default: the default strategy's 128x128). ``--folds K`` times a
whole K-fold training instead: the K fold models fitted one after another (``separate``) against all
K at once as one stacked network (``stacked``, ``models/_mlp_training.py``, what cross-validation now does).

A GPU row trains what a trial there trains: with ``space.for_gpu``'s batch (and learning rate) where its rows
allow (``batch_size`` in the CSV is the one used).

``--search ROWSxCOLS`` times a real MLP search instead: ``search(task, n_trials=--trials,
families=["mlp"], cv=--cv, time_limit=--time-limit)`` on seeded synthetic classification data of that shape,
on the CPU with ``--threads`` threads and on CUDA where visible (``--devices`` to choose; ``--search-budget``
caps each run's seconds). Reported per device: trials finished and timed out, trials per minute, the best
cross-validated AUC; per trial its seconds and status (``--out`` defaults to device_search.csv).

Usage: python benchmarks/bench_device.py [--rows 10000,100000] [--epochs 5] [--threads 1] [--shapes 128x128,512x1024]
       [--folds 5]
       python benchmarks/bench_device.py --search 60000x40 [--trials 8] [--cv 3] [--time-limit 60] [--threads 16]
       [--devices cpu,cuda] [--search-budget 240]
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from harness.cli import RESULTS, benchmark_parser, command_line
from harness.machine import machine_stamp


def timed_fit(mode: str, make, X, y, folds: int):
    """Seconds to fit one model on every row (``single``) or the fold models of a K-fold split, one after
    another (``separate``) or stacked; and the (first) model."""
    from sklearn.model_selection import KFold

    from automl_meta.models._torch_mlp import fit_stacked

    splits = [train for train, _ in KFold(folds, shuffle=True, random_state=0).split(X)] if folds else []
    t0 = time.perf_counter()
    if mode == "single":
        models = [make().fit(X, y)]
    elif mode == "separate":
        models = [make().fit(X[train], y[train]) for train in splits]
    else:
        models = fit_stacked([make() for _ in splits], [X[train] for train in splits], [y[train] for train in splits])
    return time.perf_counter() - t0, models[0]


def _parser():
    parser = benchmark_parser(__doc__, epochs=5, folds=(0, "time a whole K-fold training, separate vs stacked"),
                              out=(None, "CSV (default: results/device_mlp.csv, device_search.csv with --search)"),
                              trials=8)
    parser.add_argument("--rows", default="10000,100000")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--shapes", default="128x128", help="comma-separated WIDTHxBATCH pairs")
    parser.add_argument("--search", help="ROWSxCOLS: time a real MLP search instead")
    parser.add_argument("--cv", type=int, default=3)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--search-budget", type=float, default=None, help="seconds at most per device's search")
    parser.add_argument("--devices", default=None, help="comma-separated (default: cpu, and cuda where visible)")
    return parser


def time_shape(args, X, y, width: int, batch: int, device: str) -> list[dict]:
    """One network shape on one device: its fit (or K-fold fits, separate and stacked) timed, as a trial on this
    device trains it (a GPU's batch where the fit's rows allow: ``space.for_gpu``)."""
    from automl_meta.models import adapt_to_device
    from automl_meta.models._torch_mlp import TorchMLPClassifier
    from automl_meta.space import Strategy

    base = dict(Strategy.default("mlp").params, max_epochs=args.epochs, patience=args.epochs + 1)
    fit_rows = len(X) * (args.folds - 1) // args.folds if args.folds else len(X)
    run = adapt_to_device(Strategy("mlp", {"width": width, "batch_size": batch, "learning_rate": base["learning_rate"]}),
                          device, fit_rows)
    params = dict(base, width=width, batch_size=run.params["batch_size"], learning_rate=run.params["learning_rate"])
    TorchMLPClassifier(**dict(params, max_epochs=1), device=device, n_jobs=args.threads).fit(X[:500], y[:500])  # warm-up
    make = lambda: TorchMLPClassifier(**params, device=device, n_jobs=args.threads, random_state=0)  # noqa: E731
    rows = []
    for mode in (["separate", "stacked"] if args.folds else ["single"]):
        seconds, model = timed_fit(mode, make, X, y, args.folds)
        rows.append({"device": device, "rows": len(X), "width": width, "batch_size": params["batch_size"], "mode": mode,
                     "folds": args.folds or 1, "epochs": model.n_epochs_, "seconds": round(seconds, 3),
                     "seconds_per_epoch": round(seconds / model.n_epochs_, 4),
                     "train_accuracy": round(float((model.predict(X) == y).mean()), 4)})
        print(rows[-1], flush=True)
    return rows


def main() -> None:
    parser = _parser()
    args = parser.parse_args()
    command = command_line(parser, args)
    if args.search:
        return search_benchmark(args)
    args.out = args.out or RESULTS / "device_mlp.csv"
    shapes = [tuple(int(v) for v in s.split("x")) for s in args.shapes.split(",")]
    devices = chosen_devices(args)
    rng = np.random.default_rng(0)
    rows = []
    for n in [int(r) for r in args.rows.split(",")]:
        X = rng.normal(size=(n, 20)).astype(np.float32)
        y = (X[:, :5].sum(axis=1) + rng.normal(scale=0.5, size=n) > 0).astype(int)
        for (width, batch), device in [(shape, d) for shape in shapes for d in devices]:
            rows += time_shape(args, X, y, width, batch, device)
    frame = pd.DataFrame(rows)
    frame.to_csv(args.out, index=False)
    print(f"\n## MLP family, CPU ({args.threads} thread) vs CUDA ({machine_stamp(devices[-1])}); command: "
          f"`{command}`\n")
    print(frame.to_markdown(index=False))


def chosen_devices(args) -> list[str]:
    """``--devices``, else the CPU and, where one is visible, CUDA."""
    from automl_meta.models._device import cuda_available

    return args.devices.split(",") if args.devices else ["cpu"] + (["cuda"] if cuda_available() else [])


def search_benchmark(args) -> None:
    """The MLP search of ``--search ROWSxCOLS`` on each device: per-trial rows and a summary per device."""
    from automl_meta.data import Task
    from automl_meta.evaluate import Evaluator
    from automl_meta.search import search

    n, d = (int(v) for v in args.search.split("x"))
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, d)).astype(np.float32)
    logit = X[:, : d // 2] @ rng.normal(size=d // 2) + 0.5 * np.sin(3 * X[:, 0]) * X[:, 1]
    y = (logit + rng.normal(scale=1.0, size=n) > 0).astype(int)
    task = Task(pd.DataFrame(X, columns=[f"x{i}" for i in range(d)]), pd.Series(y), name=f"synthetic_{n}x{d}", cv=args.cv)
    devices = chosen_devices(args)
    rows, summary = [], []
    for device in devices:
        threads = args.threads if device == "cpu" else 1
        evaluator = Evaluator(cv=args.cv, time_limit=args.time_limit, device=device, n_jobs=threads, random_state=0)
        t0 = time.perf_counter()
        result = search(task, n_trials=args.trials, time_budget=args.search_budget, families=["mlp"],
                        evaluator=evaluator, random_state=0)
        wall = time.perf_counter() - t0
        for i, e in enumerate(result.evaluations):
            rows.append({"device": device, "threads": threads, "trial": i, "status": e.status,
                         "seconds": round(e.fit_seconds, 2), "score": e.score, "width": e.strategy.params["width"],
                         "batch_size": e.strategy.params["batch_size"], "strategy": str(e.strategy)})
            print(rows[-1], flush=True)
        statuses = [e.status for e in result.evaluations]
        best = result.best
        summary.append({"device": device, "threads": threads, "trials": len(statuses), "ok": statuses.count("ok"),
                        "timeouts": statuses.count("timeout"), "wall_seconds": round(wall, 1),
                        "trials_per_minute": round(60 * len(statuses) / wall, 2),
                        "best_auc": None if best is None else round(best.score, 4)})
    out = Path(args.out or RESULTS / "device_search.csv")
    pd.DataFrame(rows).to_csv(out, index=False)
    pd.DataFrame(summary).to_csv(out.with_name(out.stem + "_summary.csv"), index=False)
    print(f"\n## MLP search, {args.search} ({machine_stamp(devices[-1])}); command: `python benchmarks/bench_device.py "
          f"--search {args.search} --trials {args.trials} --cv {args.cv} --time-limit {args.time_limit:g} "
          f"--threads {args.threads}{' --search-budget %g' % args.search_budget if args.search_budget else ''}`\n")
    print(pd.DataFrame(summary).to_markdown(index=False))


if __name__ == "__main__":
    main()
