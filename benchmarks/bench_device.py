"""The MLP family on the CPU against CUDA: seconds to train the default MLP strategy for a fixed number of epochs
on synthetic classification data (20 numeric features, 2 classes) of growing size.

Early stopping is switched off (patience above the epochs) so that both devices do the same work; the CPU
runs with ``--threads`` torch threads (a trial's default is one). Timings include moving the data to the GPU.
Run it where there is a GPU; without one only the CPU rows are written.

Writes benchmarks/results/device_mlp.csv and prints a markdown table.

``--shapes`` lists width x batch size pairs (default: the default strategy's 128x128). ``--folds K`` times a
whole K-fold training instead (issue 17): the K fold models fitted one after another (``separate``) against all
K at once as one stacked network (``stacked``, ``models/_stacked_mlp.py``, what cross-validation now does).

Usage: python benchmarks/bench_device.py [--rows 10000,100000] [--epochs 5] [--threads 1] [--shapes 128x128,512x1024]
       [--folds 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _machine import machine_stamp  # noqa: E402


def timed_fit(mode: str, make, X, y, folds: int):
    """Seconds to fit one model on every row (``single``) or the fold models of a K-fold split, one after
    another (``separate``) or stacked; and the (first) model."""
    from sklearn.model_selection import KFold

    from automl_meta.models import fit_stacked

    splits = [train for train, _ in KFold(folds, shuffle=True, random_state=0).split(X)] if folds else []
    t0 = time.perf_counter()
    if mode == "single":
        models = [make().fit(X, y)]
    elif mode == "separate":
        models = [make().fit(X[train], y[train]) for train in splits]
    else:
        models = fit_stacked([make() for _ in splits], [X[train] for train in splits], [y[train] for train in splits])
    return time.perf_counter() - t0, models[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default="10000,100000")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--shapes", default="128x128", help="comma-separated WIDTHxBATCH pairs")
    parser.add_argument("--folds", type=int, default=0, help="time a whole K-fold training, separate vs stacked")
    parser.add_argument("--out", default=str(HERE / "results" / "device_mlp.csv"))
    args = parser.parse_args()

    from automl_meta.models import cuda_available
    from automl_meta.models._torch_mlp import TorchMLPClassifier
    from automl_meta.space import Strategy

    base = dict(Strategy.default("mlp").params, max_epochs=args.epochs, patience=args.epochs + 1)
    shapes = [tuple(int(v) for v in s.split("x")) for s in args.shapes.split(",")]
    devices = ["cpu"] + (["cuda"] if cuda_available() else [])
    rng = np.random.default_rng(0)
    rows = []
    for n in [int(r) for r in args.rows.split(",")]:
        X = rng.normal(size=(n, 20)).astype(np.float32)
        y = (X[:, :5].sum(axis=1) + rng.normal(scale=0.5, size=n) > 0).astype(int)
        for (width, batch), device in [(shape, d) for shape in shapes for d in devices]:
            params = dict(base, width=width, batch_size=batch)
            TorchMLPClassifier(**dict(params, max_epochs=1), device=device, n_jobs=args.threads).fit(X[:500], y[:500])  # warm-up
            make = lambda: TorchMLPClassifier(**params, device=device, n_jobs=args.threads, random_state=0)  # noqa: E731
            for mode in (["separate", "stacked"] if args.folds else ["single"]):
                seconds, model = timed_fit(mode, make, X, y, args.folds)
                rows.append({"device": device, "rows": n, "width": width, "batch_size": batch, "mode": mode,
                             "folds": args.folds or 1, "epochs": model.n_epochs_, "seconds": round(seconds, 3),
                             "seconds_per_epoch": round(seconds / model.n_epochs_, 4),
                             "train_accuracy": round(float((model.predict(X) == y).mean()), 4)})
                print(rows[-1], flush=True)
    frame = pd.DataFrame(rows)
    frame.to_csv(args.out, index=False)
    print(f"\n## MLP family, CPU ({args.threads} thread) vs CUDA ({machine_stamp(devices[-1])}); command: "
          f"`python benchmarks/bench_device.py --rows {args.rows} --epochs {args.epochs} --threads {args.threads} "
          f"--shapes {args.shapes}{' --folds ' + str(args.folds) if args.folds else ''}`\n")
    print(frame.to_markdown(index=False))


if __name__ == "__main__":
    main()
