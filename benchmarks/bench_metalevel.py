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

import argparse
import sys
import time
from math import comb
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _heldout import fit_or_load  # noqa: E402
from _stats import bootstrap_interval  # noqa: E402
from _machine import machine_stamp  # noqa: E402

METHODS = ["metamodel", "portfolio", "knn", "random"]


def expected_random(values: np.ndarray, k: int) -> float:
    """Expected max of k draws without replacement from values (exact, via order statistics)."""
    v = np.sort(values)
    n = len(v)
    k = min(k, n)
    # P(max is the i-th smallest) = C(i-1, k-1) / C(n, k) for i = k..n (1-based)
    weights = np.array([comb(i - 1, k - 1) for i in range(1, n + 1)], dtype=float) / comb(n, k)
    return float((weights * v).sum())


def group_folds(groups, n_folds: int, seed: int = 0) -> dict:
    """Held-out fold of every group: leave-one-group-out (``n_folds`` 0) or ``n_folds`` folds of whole groups
    (seeded shuffle), for meta-datasets too large to retrain the meta-model once per group."""
    unique = list(dict.fromkeys(groups))
    if not n_folds:
        return {g: i for i, g in enumerate(unique)}
    order = np.random.default_rng(seed).permutation(len(unique))
    return {unique[j]: i % n_folds for i, j in enumerate(order)}


def _kind_class(kinds) -> np.ndarray:
    return np.where(np.asarray(kinds) == "regression", "regression", "classification")


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


def held_out_rows(data, model_factory, fold_of: dict, folds_todo, cache: Path | None = None):
    """Per held-out fold: train every method without the fold's groups, then score each held-out task's picks
    among the common strategies it was scored on (its whole common set at the base fidelity, the first part at
    the large one). The baselines are fitted per kind class (classification, regression), as the
    anytime and end-to-end benchmarks use them: the stronger form of each."""
    from automl_meta.metamodel._baselines import NearestTasks, StaticPortfolio, common_matrix

    matrix, common = common_matrix(data)
    fold = np.array([fold_of[g] for g in data.groups])
    kind_class = _kind_class(data.kinds)
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
            sub = train_data.subset(np.flatnonzero(_kind_class(train_data.kinds) == kc))
            baselines[kc] = (StaticPortfolio().fit(sub), NearestTasks().fit(sub))
        rows = []
        for t in test:
            available = np.flatnonzero(~np.isnan(matrix[t]))
            score = {common[j].key: matrix[t, j] for j in available}
            candidates = [common[j] for j in available]
            portfolio, knn = baselines[kind_class[t]]
            ranked = {
                "metamodel": [r.strategy for r in model.recommend(data.metafeatures[t], k=5, candidates=candidates,
                                                                   kind=str(data.kinds[t]))],
                "portfolio": portfolio.recommend(k=5, among=candidates),
                "knn": knn.recommend(data.metafeatures[t], k=5, among=candidates),
            }
            base = {"task": data.task_names[t], "group": data.groups[t], "kind": data.kinds[t],
                    "collection": collections[t], "fidelity": fidelities[t]}
            for method, picks in ranked.items():
                values = [score[s.key] for s in picks]
                rows.append({**base, "method": method, "top1": values[0], "top5": max(values)})
            values = np.array(list(score.values()))
            rows.append({**base, "method": "random", "top1": float(values.mean()), "top5": expected_random(values, 5)})
        print(f"fold {f}: {len(test)} held-out tasks, trained in {time.perf_counter() - t0:.1f} s", flush=True)
        yield f, rows


def method_table(sub: pd.DataFrame, methods) -> str:
    """Markdown: per method, the mean top-1 and top-5 with their 95% bootstrap intervals."""
    table = []
    for method in methods:
        m = sub[sub["method"] == method]
        if m.empty:
            continue
        row = {"method": method}
        for col in ("top1", "top5"):
            lo, hi = bootstrap_interval(m[col].to_numpy(), n=2000)
            row[col] = f"{m[col].mean():.3f} [{lo:.3f}, {hi:.3f}]"
        table.append(row)
    return pd.DataFrame(table).to_markdown(index=False)


def win_tie_loss(a: pd.Series, b: pd.Series) -> str:
    d = a - b
    return f"{int((d > 1e-9).sum())}/{int((d.abs() <= 1e-9).sum())}/{int((d < -1e-9).sum())}"


def paired_difference(pivot: pd.DataFrame, a: str, b: str) -> str:
    """Mean per-task difference a - b with its paired bootstrap 95% interval (tasks resampled)."""
    d = (pivot[a] - pivot[b]).dropna().to_numpy()
    lo, hi = bootstrap_interval(d, n=2000)
    return f"{d.mean():+.3f} [{lo:+.3f}, {hi:+.3f}]"


def _task_keys(frame: pd.DataFrame) -> pd.Series:
    """One key per held-out task: its name and fidelity (a task's base and large fidelities are two tasks)."""
    fidelity = frame["fidelity"].fillna("").astype(str) if "fidelity" in frame else ""
    return frame["task"].astype(str) + "@" + fidelity


def comparison_table(sub: pd.DataFrame) -> str:
    """metamodel - baseline per task, top-1 and top-5, with paired bootstrap intervals and win/tie/loss."""
    table = []
    sub = sub.assign(key=_task_keys(sub))
    for base in ("portfolio", "knn"):
        row = {"difference": f"metamodel - {base}"}
        for col in ("top1", "top5"):
            pivot = sub.pivot_table(index="key", columns="method", values=col)
            if base in pivot and "metamodel" in pivot:
                row[col] = paired_difference(pivot, "metamodel", base)
                row[f"{col} w/t/l"] = win_tie_loss(pivot["metamodel"], pivot[base])
        table.append(row)
    return pd.DataFrame(table).to_markdown(index=False)


def slices(frame: pd.DataFrame):
    """(label, rows) of every reported slice: per kind, per collection and kind class, per fidelity."""
    kc = _kind_class(frame["kind"])
    yield "all tasks", np.ones(len(frame), dtype=bool)
    for label in ("classification", "regression"):
        yield label, kc == label
    for label, mask in (("binary", frame["kind"] == "binary"), ("multiclass", frame["kind"] == "multiclass")):
        yield label, mask.to_numpy()
    if "collection" in frame:
        for collection in sorted(frame["collection"].dropna().unique()):
            for label in ("classification", "regression"):
                yield f"{collection}, {label}", ((frame["collection"] == collection).to_numpy() & (kc == label))
    if "fidelity" in frame:
        for fidelity in sorted(frame["fidelity"].dropna().unique()):
            yield f"{fidelity} fidelity", (frame["fidelity"] == fidelity).to_numpy()


def summarize(frame: pd.DataFrame) -> str:
    lines = []
    for label, mask in slices(frame):
        sub = frame[mask]
        if sub.empty:
            continue
        lines.append(f"\n### {label} ({_task_keys(sub).nunique()} tasks)\n")
        lines.append(method_table(sub, METHODS))
        lines.append("\nPaired per-task difference [95% bootstrap interval], win/tie/loss:\n")
        lines.append(comparison_table(sub))
    return "\n".join(lines)


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--metadataset", help="meta-dataset path/URL (default: the shipped one, imported into a temporary store)")
    parser.add_argument("--out", default=str(HERE / "results" / "metalevel.csv"))
    parser.add_argument("--members", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--folds", type=int, default=0,
                        help="hold out this many folds of whole groups (default 0: leave-one-group-out)")
    parser.add_argument("--fresh", action="store_true", help="ignore existing results")
    parser.add_argument("--no-cost", action="store_true")
    parser.add_argument("--model-cache", help="directory to save and reuse the per-fold meta-models (e.g. "
                        "build/heldout_models): a rerun that changes only how recommend chooses trains nothing")
    args = parser.parse_args()

    import tempfile

    from automl_meta.metadataset import MetaDataset, shipped_path
    from automl_meta.metamodel import MetaModel

    tmp = Path(tempfile.mkdtemp())
    if args.metadataset:
        store = MetaDataset(args.metadataset)
    else:
        store = MetaDataset(tmp / "md.sqlite")
        store.import_file(shipped_path())
    data = store.training_data()
    factory = lambda: MetaModel(n_members=args.members, epochs=args.epochs)  # noqa: E731
    out = Path(args.out)
    columns = ["task", "group", "kind", "collection", "fidelity", "method", "top1", "top5"]
    scheme = f"{args.folds} folds of whole groups" if args.folds else "leave-one-group-out"
    done = pd.read_csv(out) if out.exists() and not args.fresh else pd.DataFrame(columns=columns + ["fold", "scheme"])
    if len(done) and set(done.get("scheme", pd.Series([None]))) != {scheme}:
        sys.exit(f"{out} holds results of another scheme than {scheme!r}: pass --fresh or another --out.")
    fold_of = group_folds(data.groups, args.folds)
    folds_todo = sorted(set(fold_of.values()) - set(done["fold"]))
    print(f"machine: {machine_stamp()}; {len(data.task_ids)} tasks in {len(set(data.groups))} groups, {scheme}; "
          f"{len(folds_todo)} folds to run")
    cache = Path(args.model_cache) if args.model_cache else None
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
    for fold, rows in held_out_rows(data, factory, fold_of, folds_todo, cache):
        done = pd.concat([done, pd.DataFrame(rows).assign(fold=fold, scheme=scheme)], ignore_index=True)
        done.to_csv(out, index=False)
    print(f"\n## Meta-level, {scheme} ({machine_stamp()})\n\nmean normalized score [95% bootstrap CI]; "
          f"command: `python benchmarks/bench_metalevel.py{' --folds ' + str(args.folds) if args.folds else ''}`")
    print(summarize(done))
    if not args.no_cost:
        print("\n" + cost_report(data, factory, tmp))


if __name__ == "__main__":
    main()
