"""The meta-level protocol's scoring (protocol 1 of docs/BENCHMARKS.md): folds of whole groups, random choice's
expected score, and the tables of top-1 and best-of-top-5 normalized scores with bootstrap intervals and paired
win/tie/loss counts."""

from __future__ import annotations

from math import comb

import numpy as np
import pandas as pd

from harness.heldout import kind_classes
from harness.stats import bootstrap_interval

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
    kc = kind_classes(frame["kind"])
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
