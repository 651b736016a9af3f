"""Does a smaller, coverage-selected candidate pool recommend as well as every stored strategy?

``bench_metalevel`` ranks among each held-out task's common set, so it cannot see the pool ``recommend``
chooses from. This benchmark can: K folds of whole groups; per fold, a meta-model trained without the fold's
groups (its pool: the training tasks' distinct strategies and 256 Sobol samples), and from it a pool of
``--size`` strategies chosen for coverage (the common set, then farthest-point sampling in the encoding, L1).
On every held-out task, ``recommend(k=5)`` from each pool (memory off, no time filter), and each recommended
strategy scored by a surrogate: the normalized score, on that task, of the task's measured strategy nearest to it
in the encoding (same family). Reported: the mean surrogate of the top-1 and of the best of the top-5, paired
per task, with 95% bootstrap intervals; and the recommendation's latency with each pool.

The surrogate is a proxy (a recommended strategy is rarely one the task measured): it says whether the smaller
pool loses the strategies near the measured good ones, not a real search's outcome.

Usage: python benchmarks/bench_pool.py [--folds 4] [--size 3000] [--members 5] [--epochs 60] [--out DIR]
"""

from __future__ import annotations

import copy
import time

import numpy as np
import pandas as pd

from harness.cli import RESULTS, benchmark_parser, command_line
from harness.heldout import open_store
from harness.machine import machine_stamp
from harness.stats import above_level_below, mean_with_interval
from harness.metalevel import group_folds


def coverage_pool(model, size: int) -> np.ndarray:
    """Indices into ``model.pool_``: its common-set strategies, then the farthest (L1 in the encoding) from
    those chosen, until ``size``."""
    enc = model.pool_.encodings
    # the common set: the candidates that are their own nearest common strategy
    chosen = list(np.flatnonzero(np.abs(enc - model.prior_.encodings_[model.pool_nearest_]).sum(axis=1) < 1e-6))
    distance = np.full(len(enc), np.inf)
    for j in chosen:
        distance = np.minimum(distance, np.abs(enc - enc[j]).sum(axis=1))
    while len(chosen) < min(size, len(enc)):
        j = int(np.argmax(distance))
        chosen.append(j)
        distance = np.minimum(distance, np.abs(enc - enc[j]).sum(axis=1))
    return np.sort(np.asarray(chosen))


def with_pool(model, index: np.ndarray):
    """A copy of ``model`` recommending from ``model.pool_[index]`` only (memory off)."""
    small = copy.copy(model)
    small.pool_, small.pool_nearest_ = model.pool_.take(index), model.pool_nearest_[index]
    small.n_stored_, small.task_best_, small.memory_radius = len(index), [], 0.0
    small.__dict__.pop("_recommender", None)
    small.__dict__.pop("_stored", None)
    return small


def surrogate(data, t: int, y: np.ndarray, strategies) -> list[float]:
    """Each strategy's surrogate score on task ``t``: the normalized score of the task's measured strategy of
    the same family nearest in the encoding (NaN when the task measured none of that family)."""
    rows = np.flatnonzero(data.eval_task == t)
    out = []
    for s in strategies:
        same = [r for r in rows if data.strategies[r].family == s.family]
        if not same:
            out.append(np.nan)
            continue
        from automl_meta.space import encode

        d = np.abs(data.encodings[same] - encode(s)).sum(axis=1)
        out.append(float(y[same[int(np.argmin(d))]]))
    return out


def run(data, folds: dict, size: int, members: int, epochs: int) -> pd.DataFrame:
    from automl_meta.metamodel import MetaModel, normalized_scores

    y = normalized_scores(data.eval_task, data.scores, len(data.task_ids))
    groups = np.asarray(data.groups).astype(str)
    rows = []
    for fold in sorted(set(folds.values())):
        held = np.flatnonzero(np.array([folds[g] == fold for g in groups]))
        train = np.setdiff1d(np.arange(len(groups)), held)
        start = time.perf_counter()
        model = MetaModel(n_members=members, epochs=epochs, memory_radius=0.0).fit(data.subset(train))
        small = with_pool(model, coverage_pool(model, size))
        print(f"fold {fold}: trained on {len(train)} tasks in {time.perf_counter() - start:.0f} s; pools "
              f"{len(model.pool_)} and {len(small.pool_)}", flush=True)
        for t in held:
            row = {"task": str(data.task_names[t]), "fold": fold}
            for name, m in (("full", model), ("coverage", small)):
                began = time.perf_counter()
                recs = m.recommend(data.metafeatures[t], k=5, kind=str(data.kinds[t]))
                row[f"{name}_seconds"] = time.perf_counter() - began
                scores = surrogate(data, t, y, [r.strategy for r in recs])
                row[f"{name}_top1"], row[f"{name}_top5"] = scores[0], np.nanmax(scores)
            rows.append(row)
    return pd.DataFrame(rows)


def summarize(frame: pd.DataFrame, size: int, stamp: str, command: str) -> str:
    lines = [f"## Candidate pools: every stored strategy against {size} chosen for coverage ({stamp})", "",
             f"Command: `{command}`; {len(frame)} held-out tasks; surrogate normalized score (see the script).", "",
             "| | full pool | coverage pool | coverage - full [95% CI] | better / level / worse |",
             "|---|---|---|---|---|"]
    for what in ("top1", "top5"):
        both = frame[[f"full_{what}", f"coverage_{what}"]].dropna()
        d = (both[f"coverage_{what}"] - both[f"full_{what}"]).to_numpy()
        lines.append(f"| {what} | {both[f'full_{what}'].mean():.4f} | {both[f'coverage_{what}'].mean():.4f} | "
                     f"{mean_with_interval(d)} | {above_level_below(d, 1e-9)} |")
    lines.append(f"| recommend, median seconds | {frame['full_seconds'].median():.4f} | "
                 f"{frame['coverage_seconds'].median():.4f} | | |")
    return "\n".join(lines)


def main() -> None:
    parser = benchmark_parser(__doc__, metadataset=None, folds=4, members=5, epochs=60, out_dir=RESULTS)
    parser.add_argument("--size", type=int, default=3000)
    args = parser.parse_args()
    data = open_store(args.metadataset).training_data()
    folds = group_folds(list(np.asarray(data.groups).astype(str)), args.folds)
    frame = run(data, folds, args.size, args.members, args.epochs)
    out = args.out_dir
    out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out / "pool.csv", index=False)
    text = summarize(frame, args.size, machine_stamp(), command_line(parser, args))
    (out / "pool.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
