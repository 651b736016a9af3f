"""What several test modules share: small seeded tables, a synthetic meta-dataset, a corpus written to disk,
and models that fail on purpose. Imported as ``helpers`` (pytest puts tests/ on the path)."""

from __future__ import annotations

import gzip
import time

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin

from automl_meta.metadataset import TrainingData
from automl_meta.metafeatures import FEATURE_NAMES
from automl_meta.space import Strategy, encode_many


def stored(store, task, **kwargs) -> int:
    """``store.add_task`` with the task's meta-features computed as the library's callers do (seed 0)."""
    from automl_meta.metafeatures import compute

    return store.add_task(task, compute(task), **kwargs)


def make_mixed_frame(n: int = 120, seed: int = 0) -> pd.DataFrame:
    """Numeric, text-categorical, pandas-categorical and bool columns, with missing values, and targets of
    every kind that depend on the features (so that models can learn something)."""
    rng = np.random.default_rng(seed)
    x0 = rng.normal(size=n)
    x1 = rng.exponential(size=n)
    color = rng.choice(["red", "green", "blue"], size=n)
    size = pd.Categorical(rng.choice(["S", "M", "L"], size=n))
    flag = rng.random(n) < 0.4
    signal = x0 + (color == "red") * 1.5 + rng.normal(scale=0.5, size=n)
    frame = pd.DataFrame(
        {
            "x0": x0,
            "x1": np.where(rng.random(n) < 0.1, np.nan, x1),
            "color": pd.Series(color, dtype=object).where(rng.random(n) > 0.05),
            "size": size,
            "flag": flag,
            "count": rng.integers(0, 50, size=n),
        }
    )
    frame["y_binary"] = np.where(signal > np.median(signal), "yes", "no")
    frame["y_multi"] = pd.cut(signal, 3, labels=["low", "mid", "high"]).astype(str)
    frame["y_reg"] = signal * 10 + 3
    return frame


LINEAR = [Strategy("linear", {"reg_strength": r}) for r in (0.01, 1.0, 100.0)]
KNN = [Strategy("knn", {"n_neighbors": k}) for k in (3, 10, 30)]
FOREST = [Strategy("extra_trees", {"min_samples_leaf": m}) for m in (1, 8)]
STRATEGIES = LINEAR + KNN + FOREST


def synthetic_data(n_tasks=40, seed=0) -> TrainingData:
    """Tasks whose first meta-feature decides the winner: linear when positive, k-NN when negative;
    the forest is always in between (the best static choice, but never the best on a task)."""
    rng = np.random.default_rng(seed)
    mf = rng.normal(size=(n_tasks, len(FEATURE_NAMES)))
    mf[:, 5] = np.nan  # a feature that is always missing
    eval_task, strategies, scores, seconds = [], [], [], []
    for t in range(n_tasks):
        for s in STRATEGIES:
            base = {"linear": mf[t, 0], "knn": -mf[t, 0], "extra_trees": 0.6 * abs(mf[t, 0])}[s.family]
            eval_task.append(t)
            strategies.append(s)
            scores.append(0.5 + 0.1 * base + 0.01 * rng.normal())
            seconds.append({"linear": 0.1, "knn": 0.2, "extra_trees": 3.0}[s.family])
    n = len(scores)
    return TrainingData(
        task_ids=np.arange(n_tasks), task_names=np.array([f"t{i}" for i in range(n_tasks)]),
        groups=np.array([f"g{i // 2}" for i in range(n_tasks)]), kinds=np.array(["binary"] * n_tasks),
        metafeatures=mf, feature_names=FEATURE_NAMES, eval_task=np.array(eval_task), strategies=strategies,
        encodings=encode_many(strategies), scores=np.array(scores), fit_seconds=np.array(seconds),
        status=np.array(["ok"] * n), origin=np.array(["common"] * n),
    )


# the families a corpus build test evaluates (quick ones)
CORPUS_FAMILIES = ["linear", "knn", "extra_trees"]


def write_corpus(folder, specs) -> str:
    """A manifest of tasks made from the mixed test frame: specs are (name, target, kind, rows, seed, group)."""
    rows = []
    for name, target, kind, n, seed, group in specs:
        frame = make_mixed_frame(n=n, seed=seed).drop(columns=[c for c in ("y_binary", "y_multi", "y_reg") if c != target])
        with gzip.open(folder / f"{name}.csv.gz", "wt") as fh:
            frame.to_csv(fh, index=False)
        rows.append({"name": name, "path": f"{name}.csv.gz", "task": kind, "target": target, "group": group,
                     "n_rows": n, "source": "test", "collection": "synthetic"})
    pd.DataFrame(rows).to_csv(folder / "manifest.csv", index=False)
    return str(folder / "manifest.csv")


class Raises(BaseEstimator):
    def fit(self, X, y):
        raise RuntimeError("this model always fails")


class NaNPredictor(RegressorMixin, BaseEstimator):
    def fit(self, X, y):
        self.fitted_ = True
        return self

    def predict(self, X):
        return np.full(len(X), np.nan)


class Slow(NaNPredictor):
    """Takes 0.3 s to fit, then predicts zeros."""

    def fit(self, X, y):
        time.sleep(0.3)
        return super().fit(X, y)

    def predict(self, X):
        return np.zeros(len(X))
