"""Scale benchmark: meta-model training time and recommend latency against meta-dataset size.

The shipped meta-dataset has ~11,000 evaluation rows. Larger ones are made by replicating its tasks with
jittered meta-features (each copy: meta-features times a log-normal factor with sd 0.05, scores plus Gaussian
noise of sd 0.01, clipped) — the shape of a meta-dataset that has grown by recording more runs, with the same
strategies. For each size: one member trained for ``--epochs`` epochs (time per member-epoch, the unit the
training cost scales with), the default configuration's time extrapolated from it (5 members x 60 epochs, plus
the measured fixed cost), the peak resident memory, and the median latency of ``recommend(k=5)``.
Meta-feature time against pymfe is benchmarks/bench_metafeatures.py.

Writes benchmarks/results/scale.csv and prints a markdown table.

With ``--device cuda`` the members are trained on the GPU (prediction stays on the CPU).

Usage: python benchmarks/bench_scale.py [--sizes 11000,100000,1000000] [--epochs 2] [--metadataset PATH] [--device cpu]
"""

from __future__ import annotations

import resource
import time
from dataclasses import replace

import numpy as np
import pandas as pd

from harness.cli import RESULTS, benchmark_parser, command_line
from harness.heldout import open_store
from harness.machine import machine_stamp


def grown(data, target_rows: int, seed: int = 0):
    """The meta-dataset's tasks replicated (with jitter) until it has about ``target_rows`` evaluations."""
    copies = max(1, int(round(target_rows / len(data.scores))))
    if copies == 1:
        return data
    rng = np.random.default_rng(seed)
    T, E = len(data.task_ids), len(data.scores)
    mf = np.concatenate([data.metafeatures] + [data.metafeatures * rng.lognormal(0, 0.05, size=data.metafeatures.shape)
                                               for _ in range(copies - 1)])
    scores = np.concatenate([data.scores] + [np.clip(data.scores + rng.normal(0, 0.01, size=E), -1e9, 1e9)
                                             for _ in range(copies - 1)])
    rep = lambda a: np.concatenate([a] * copies)  # noqa: E731
    return replace(
        data,
        task_ids=np.arange(T * copies), task_names=np.array([f"{n}#{c}" for c in range(copies) for n in data.task_names]),
        groups=np.array([f"{g}#{c}" for c in range(copies) for g in data.groups]), kinds=rep(data.kinds),
        metafeatures=mf, eval_task=np.concatenate([data.eval_task + c * T for c in range(copies)]),
        strategies=list(data.strategies) * copies, encodings=rep(data.encodings), scores=scores,
        fit_seconds=rep(data.fit_seconds), status=rep(data.status), origin=rep(data.origin),
        n_rows=None if data.n_rows is None else rep(data.n_rows),
        fidelities=None if data.fidelities is None else rep(data.fidelities),
        collections=None if data.collections is None else rep(data.collections),
        metrics=None if data.metrics is None else rep(data.metrics),
    )


def measure(data, epochs: int, device: str) -> dict:
    """Training seconds (the fixed part and per member epoch), recommend latency and peak memory at one size."""
    from automl_meta.metamodel import MetaModel

    t0 = time.perf_counter()
    MetaModel(n_members=1, epochs=0, device=device).fit(data)  # the fixed cost: scaling, prior, candidates
    fixed = time.perf_counter() - t0
    t0 = time.perf_counter()
    model = MetaModel(n_members=1, epochs=epochs, device=device).fit(data)
    per_epoch = max(time.perf_counter() - t0 - fixed, 0.0) / epochs
    mf, kind = data.metafeatures[0], str(data.kinds[0])
    model.recommend(mf, k=5, kind=kind)
    lat = []
    for _ in range(10):
        t = time.perf_counter()
        model.recommend(mf, k=5, kind=kind)
        lat.append(time.perf_counter() - t)
    return {"device": device, "evaluations": len(data.scores), "tasks": len(data.task_ids), "fixed_s": round(fixed, 2),
            "seconds_per_member_epoch": round(per_epoch, 3),
            "default_training_s_extrapolated": round(fixed + per_epoch * 5 * 60, 1),
            "recommend_ms_median": round(1000 * float(np.median(lat)), 1),
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def main() -> None:
    parser = benchmark_parser(__doc__, metadataset=None, epochs=2, out=(None, "CSV to write (default: "
                              "benchmarks/results/scale.csv, scale_cuda.csv on a GPU)"))
    parser.add_argument("--sizes", default="11000,100000,1000000")
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda: where the members are trained")
    args = parser.parse_args()
    command = command_line(parser, args)
    out = args.out or RESULTS / ("scale.csv" if args.device == "cpu" else "scale_cuda.csv")

    from automl_meta.metamodel import MetaModel

    base = open_store(args.metadataset).training_data()
    MetaModel(n_members=1, epochs=1, device=args.device).fit(base)  # warm-up: imports and first-call costs are not training
    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        rows.append(measure(grown(base, size), args.epochs, args.device))
        print(rows[-1], flush=True)
        pd.DataFrame(rows).to_csv(out, index=False)
    print(f"\n## Scale ({machine_stamp(args.device)}); command: `{command}`\n")
    print(pd.DataFrame(rows).to_markdown(index=False))


if __name__ == "__main__":
    main()
