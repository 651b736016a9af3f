"""Shared fixtures: small, seeded tables of the kinds users really have."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from automl_meta.data import default_manifest_path


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


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    """Never touch the user's real meta-dataset: the default store lives in a temporary folder."""
    monkeypatch.setenv("AUTOML_META_HOME", str(tmp_path_factory.mktemp("automl_meta_home")))


@pytest.fixture
def mixed_frame() -> pd.DataFrame:
    return make_mixed_frame()


@pytest.fixture
def features(mixed_frame) -> pd.DataFrame:
    return mixed_frame.drop(columns=["y_binary", "y_multi", "y_reg"])


@pytest.fixture
def corpus_manifest():
    path = default_manifest_path()
    if path is None or not path.is_file():
        pytest.skip("the shared corpus (../shared/datasets/manifest.csv or $AUTOML_META_CORPUS) is not present")
    return path


@pytest.fixture
def tasks_by_kind():
    """A binary, a multiclass and a regression task, each with categoricals and missing values."""
    from automl_meta.data import Task

    frame = make_mixed_frame(n=150, seed=3)
    X = frame.drop(columns=["y_binary", "y_multi", "y_reg"])
    return {
        "binary": Task(X, frame["y_binary"], name="bin"),
        "multiclass": Task(X, frame["y_multi"], name="multi"),
        "regression": Task(X, frame["y_reg"], name="reg"),
    }
