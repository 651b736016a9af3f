"""Meta-level benchmark (protocol 1 of docs/BENCHMARKS.md): held-out groups over a meta-dataset.

Leave-one-group-out (or, with ``--folds K``, K folds of whole groups: a meta-dataset of hundreds of groups
would retrain the meta-model hundreds of times). For each held-out fold: train the meta-model and the
baselines on every other group, then on each held-out task rank the strategies of the common set it was scored
on (the ones every method can know about) and report the normalized score (over all of the task's
evaluations) of the top-1 and of the best of the top-5:

* ``metamodel``: the meta-model's ``recommend(k=5)`` among those strategies, as a user gets it;
* ``portfolio``: the greedy static portfolio of the training groups of the task's kind class;
* ``knn``: best strategies of the nearest training tasks of its kind class (scaled L1 on meta-features), as
  auto-sklearn;
* ``random``: the expected value of a uniformly random choice (exact, not sampled).

Resumable: folds already in the CSV are skipped. Then, per kind, per collection and kind class, and per
fidelity: means with 95% bootstrap intervals, the paired per-task difference metamodel - baseline with its
bootstrap interval and win/tie/loss; and the meta-model's cost (training time on the whole meta-dataset, file
size, recommend latency).

Usage: python benchmarks/bench_metalevel.py [--metadataset PATH] [--out benchmarks/results/metalevel.csv]
       [--folds K] [--members 5] [--epochs 60] [--fresh] [--model-cache DIR]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from harness.cli import RESULTS, benchmark_parser, command_line
from harness.heldout import fit_or_load, kind_classes, open_store
from harness.machine import machine_stamp
from harness.metalevel import expected_random, group_folds, summarize


def _fold_model(train_data, model_factory, cache: Path | None, key: str):
    """The meta-model trained on ``train_data``; saved under ``cache`` (keyed by the fold, its training tasks
    and the model's configuration) so that recommendation-time variants can be scored again without retraining
    (~200 s a fold)."""
    import hashlib

    model = model_factory()
    path = None
    if cache is not None:
        digest = hashlib.sha1("\n".join(map(str, train_data.task_names)).encode()).hexdigest()[:8]
        path = cache / f"metalevel_{key}_{len(train_data.task_ids)}train_{model.n_members}m{model.epochs}e_{digest}.pt"
    return fit_or_load(model, train_data, path)


def task_rows(data, t: int, matrix, common, model, portfolio, knn) -> list[dict]:
    """Each method's top-1 and best-of-top-5 normalized score on held-out task ``t``, among the common
    strategies it was scored on; random choice's expected values."""
    available = np.flatnonzero(~np.isnan(matrix[t]))
    score = {common[j].key: matrix[t, j] for j in available}
    candidates = [common[j] for j in available]
    ranked = {
        "metamodel": [r.strategy for r in model.recommend(data.metafeatures[t], k=5, candidates=candidates,
                                                           kind=str(data.kinds[t]))],
        "portfolio": portfolio.recommend(k=5, among=candidates),
        "knn": knn.recommend(data.metafeatures[t], k=5, among=candidates),
    }
    rows = [{"method": method, "top1": score[picks[0].key], "top5": max(score[s.key] for s in picks)}
            for method, picks in ranked.items()]
    values = np.array(list(score.values()))
    return rows + [{"method": "random", "top1": float(values.mean()), "top5": expected_random(values, 5)}]


def held_out_rows(data, model_factory, fold_of: dict, folds_todo, cache: Path | None = None):
    """Per held-out fold: train every method without the fold's groups, then score each held-out task's picks
    among the common strategies it was scored on (its whole common set at the base fidelity, the first part at
    the large one). The baselines are fitted per kind class (classification, regression), as the
    anytime and end-to-end benchmarks use them: the stronger form of each."""
    from automl_meta.metamodel._baselines import NearestTasks, StaticPortfolio, common_matrix

    matrix, common = common_matrix(data)
    fold = np.array([fold_of[g] for g in data.groups])
    kind_class = kind_classes(data.kinds)
    fidelities = data.fidelities if data.fidelities is not None else np.full(len(data.task_ids), None)
    collections = data.collections if data.collections is not None else np.full(len(data.task_ids), None)
    for f in folds_todo:
        test, train = np.flatnonzero(fold == f), np.flatnonzero(fold != f)
        test = test[(~np.isnan(matrix[test])).sum(axis=1) >= 5]  # scored on at least 5 common strategies
        if not len(test):
            continue
        t0 = time.perf_counter()
        train_data = data.subset(train)
        model = _fold_model(train_data, model_factory, cache, f"fold{f}_of{len(set(fold_of.values()))}")
        baselines = {}
        for kc in set(kind_class[test]):
            sub = train_data.subset(np.flatnonzero(kind_classes(train_data.kinds) == kc))
            baselines[kc] = (StaticPortfolio().fit(sub), NearestTasks().fit(sub))
        rows = []
        for t in test:
            base = {"task": data.task_names[t], "group": data.groups[t], "kind": data.kinds[t],
                    "collection": collections[t], "fidelity": fidelities[t]}
            rows += [{**base, **row} for row in task_rows(data, t, matrix, common, model, *baselines[kind_class[t]])]
        print(f"fold {f}: {len(test)} held-out tasks, trained in {time.perf_counter() - t0:.1f} s", flush=True)
        yield f, rows


def cost_report(data, model_factory, tmp: Path) -> str:
    from automl_meta.metamodel import MetaModel

    t0 = time.perf_counter()
    model = model_factory().fit(data)
    train_s = time.perf_counter() - t0
    path = model.save(tmp / "metamodel.npz")
    size_kb = (path.stat().st_size + path.with_name(path.name + ".json").stat().st_size) / 1024
    loaded = MetaModel.load(path)
    mf = data.metafeatures[0]
    loaded.recommend(mf, k=5, kind=str(data.kinds[0]))
    lat = []
    for _ in range(20):
        t = time.perf_counter()
        loaded.recommend(mf, k=5, kind=str(data.kinds[0]))
        lat.append(time.perf_counter() - t)
    return (f"training on {len(data.task_ids)} tasks / {len(data.scores)} evaluations: {train_s:.1f} s; "
            f"model files {size_kb:.0f} KiB; recommend(k=5) over {len(loaded.pool_)} candidates "
            f"(meta-features given): median {1000 * np.median(lat):.1f} ms")


def _parser():
    parser = benchmark_parser(__doc__, metadataset=(None, "the meta-dataset, a path or URL (default: the shipped one, "
                                                          "imported into a temporary store)"),
                              out=RESULTS / "metalevel.csv", members=5, epochs=60,
                              folds=(0, "hold out this many folds of whole groups (default 0: leave-one-group-out)"))
    parser.add_argument("--fresh", action="store_true", help="ignore existing results")
    parser.add_argument("--no-cost", action="store_true")
    parser.add_argument("--model-cache", type=Path, help="directory to save and reuse the per-fold meta-models (e.g. "
                        "build/heldout_models): a rerun that changes only how recommend chooses trains nothing")
    return parser


def _results_so_far(out: Path, fresh: bool, scheme: str) -> pd.DataFrame:
    columns = ["task", "group", "kind", "collection", "fidelity", "method", "top1", "top5"]
    done = pd.read_csv(out) if out.exists() and not fresh else pd.DataFrame(columns=columns + ["fold", "scheme"])
    if len(done) and set(done.get("scheme", pd.Series([None]))) != {scheme}:
        sys.exit(f"{out} holds results of another scheme than {scheme!r}: pass --fresh or another --out.")
    return done


def main() -> None:
    parser = _parser()
    args = parser.parse_args()

    import tempfile

    from automl_meta.metamodel import MetaModel

    tmp = Path(tempfile.mkdtemp())
    data = open_store(args.metadataset).training_data()
    factory = lambda: MetaModel(n_members=args.members, epochs=args.epochs)  # noqa: E731
    scheme = f"{args.folds} folds of whole groups" if args.folds else "leave-one-group-out"
    done = _results_so_far(args.out, args.fresh, scheme)
    fold_of = group_folds(data.groups, args.folds)
    folds_todo = sorted(set(fold_of.values()) - set(done["fold"]))
    print(f"machine: {machine_stamp()}; {len(data.task_ids)} tasks in {len(set(data.groups))} groups, {scheme}; "
          f"{len(folds_todo)} folds to run")
    if args.model_cache is not None:
        args.model_cache.mkdir(parents=True, exist_ok=True)
    for fold, rows in held_out_rows(data, factory, fold_of, folds_todo, args.model_cache):
        done = pd.concat([done, pd.DataFrame(rows).assign(fold=fold, scheme=scheme)], ignore_index=True)
        done.to_csv(args.out, index=False)
    print(f"\n## Meta-level, {scheme} ({machine_stamp()})\n\nmean normalized score [95% bootstrap CI]; "
          f"command: `{command_line(parser, args)}`")
    print(summarize(done))
    if not args.no_cost:
        print("\n" + cost_report(data, factory, tmp))


if __name__ == "__main__":
    main()
