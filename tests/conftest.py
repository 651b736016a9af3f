"""Shared fixtures: small, seeded tables of the kinds users really have."""

from __future__ import annotations

import pandas as pd
import pytest

from automl_meta.data import default_manifest_path
from helpers import make_mixed_frame


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
