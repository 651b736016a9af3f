"""Meta-level benchmark (DESIGN.md protocol 1, issue 5): leave-one-group-out over a meta-dataset.

For each group: train the meta-model and the baselines on every other group, then on each held-out task rank
the strategies of the common set (the ones every method can know about) and report the normalized score
(over all of the task's evaluations) of the top-1 and of the best of the top-5:

* ``metamodel``: the neural meta-model's ranking;
* ``portfolio``: the greedy static portfolio of the training groups;
* ``knn``: best strategies of the nearest training tasks (scaled L1 on meta-features), as auto-sklearn;
* ``random``: the expected value of a uniformly random choice (exact, not sampled).

Resumable: groups already in the CSV are skipped. Then: means with 95% bootstrap intervals and win/tie/loss
of the meta-model against each baseline, per kind, and the meta-model's cost (training time on the whole
meta-dataset, file size, recommend latency).

Usage: python benchmarks/bench_metalevel.py [--metadataset PATH] [--out benchmarks/results/metalevel.csv]
       [--members 5] [--epochs 60] [--groups g1,g2] [--fresh]
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


def held_out_rows(data, model_factory, groups_todo):
    from automl_meta.metamodel._baselines import NearestTasks, StaticPortfolio, common_matrix

    rows = []
    matrix, common = common_matrix(data)
    col = {s.key: j for j, s in enumerate(common)}
    for g in groups_todo:
        test = np.flatnonzero(data.groups == g)
        train = np.flatnonzero(data.groups != g)
        train_data = data.subset(train)
        t0 = time.perf_counter()
        model = model_factory().fit(train_data)
        portfolio = StaticPortfolio().fit(train_data)
        knn = NearestTasks().fit(train_data)
        for t in test:
            y = matrix[t]  # this task's normalized scores of the common strategies
            mean, _, _ = model.predict(data.metafeatures[t], common)
            ranked = {
                "metamodel": [common[j] for j in np.argsort(-mean, kind="stable")[:5]],
                "portfolio": portfolio.recommend(k=5),
                "knn": knn.recommend(data.metafeatures[t], k=5),
            }
            for method, picks in ranked.items():
                vals = [y[col[s.key]] for s in picks if s.key in col]
                rows.append({"task": data.task_names[t], "group": g, "kind": data.kinds[t], "method": method,
                             "top1": vals[0], "top5": max(vals)})
            rows.append({"task": data.task_names[t], "group": g, "kind": data.kinds[t], "method": "random",
                         "top1": float(np.mean(y)), "top5": expected_random(y, 5)})
        print(f"group {g}: {len(test)} tasks, trained in {time.perf_counter() - t0:.1f} s", flush=True)
        yield rows
        rows = []


def bootstrap_ci(values: np.ndarray, n: int = 2000, seed: int = 0) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    means = rng.choice(values, size=(n, len(values)), replace=True).mean(axis=1)
    return float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))


def method_table(sub: pd.DataFrame, methods) -> str:
    """Markdown: per method, the mean top-1 and top-5 with their 95% bootstrap intervals."""
    table = []
    for method in methods:
        m = sub[sub["method"] == method]
        if m.empty:
            continue
        row = {"method": method}
        for col in ("top1", "top5"):
            lo, hi = bootstrap_ci(m[col].to_numpy())
            row[col] = f"{m[col].mean():.3f} [{lo:.3f}, {hi:.3f}]"
        table.append(row)
    return pd.DataFrame(table).to_markdown(index=False)


def win_tie_loss(a: pd.Series, b: pd.Series) -> str:
    d = a - b
    return f"{int((d > 1e-9).sum())}/{int((d.abs() <= 1e-9).sum())}/{int((d < -1e-9).sum())}"


def summarize(frame: pd.DataFrame) -> str:
    lines = []
    kinds = [("classification", frame["kind"].isin(["binary", "multiclass"])), ("binary", frame["kind"] == "binary"),
             ("multiclass", frame["kind"] == "multiclass"), ("regression", frame["kind"] == "regression")]
    for label, mask in kinds:
        sub = frame[mask]
        if sub.empty:
            continue
        n_tasks = sub["task"].nunique()
        lines.append(f"\n### {label} ({n_tasks} tasks)\n")
        lines.append(method_table(sub, METHODS))
        pivot = sub.pivot_table(index="task", columns="method", values="top1")
        wtl = []
        for base in ("portfolio", "knn", "random"):
            if base in pivot and "metamodel" in pivot:
                wtl.append(f"vs {base}: {win_tie_loss(pivot['metamodel'], pivot[base])}")
        lines.append("\nmetamodel top-1 win/tie/loss " + ", ".join(wtl))
    return "\n".join(lines)


def cost_report(data, model_factory, tmp: Path) -> str:
    from automl_meta.metamodel import MetaModel

    t0 = time.perf_counter()
    model = model_factory().fit(data)
    train_s = time.perf_counter() - t0
    path = model.save(tmp / "metamodel.pt")
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
            f"model files {size_kb:.0f} KiB; recommend(k=5) over {len(loaded.candidates_) + 256} candidates "
            f"(meta-features given): median {1000 * np.median(lat):.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--metadataset", help="meta-dataset path/URL (default: the shipped one, imported into a temporary store)")
    parser.add_argument("--out", default=str(HERE / "results" / "metalevel.csv"))
    parser.add_argument("--members", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--groups", help="only these held-out groups (comma-separated)")
    parser.add_argument("--fresh", action="store_true", help="ignore existing results")
    parser.add_argument("--no-cost", action="store_true")
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
    done = pd.read_csv(out) if out.exists() and not args.fresh else pd.DataFrame(columns=["task", "group", "kind", "method", "top1", "top5"])
    groups = [g for g in dict.fromkeys(data.groups) if g not in set(done["group"])]
    if args.groups:
        groups = [g for g in groups if g in set(args.groups.split(","))]
    print(f"machine: {machine_stamp()}; {len(data.task_ids)} tasks in {len(set(data.groups))} groups; {len(groups)} groups to run")
    for rows in held_out_rows(data, factory, groups):
        done = pd.concat([done, pd.DataFrame(rows)], ignore_index=True)
        done.to_csv(out, index=False)
    print(f"\n## Meta-level, leave-one-group-out ({machine_stamp()})\n\nmean normalized score [95% bootstrap CI]; "
          f"command: `python benchmarks/bench_metalevel.py`")
    print(summarize(done))
    if not args.no_cost:
        print("\n" + cost_report(data, factory, tmp))


if __name__ == "__main__":
    main()
