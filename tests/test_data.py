"""Task construction, kind inference, metrics, and kept data types."""

import numpy as np
import pandas as pd
import pytest

from automl_meta.data import BINARY, MULTICLASS, REGRESSION, DataWarning, Task
from automl_meta.data._kinds import infer_kind
from automl_meta.errors import ConfigError, DataError


@pytest.mark.parametrize(
    "target, kind, metric",
    [("y_binary", BINARY, "roc_auc"), ("y_multi", MULTICLASS, "roc_auc_ovr"), ("y_reg", REGRESSION, "r2")],
)
def test_kind_and_default_metric_are_inferred(mixed_frame, target, kind, metric):
    task = Task.from_frame(mixed_frame.drop(columns=[c for c in ("y_binary", "y_multi", "y_reg") if c != target]), target=target)
    assert task.kind == kind
    assert task.metric == metric
    assert task.target_name == target
    assert task.n_rows == 120 and task.n_features == 6


def test_types_and_missing_values_are_kept(features, mixed_frame):
    task = Task(features, mixed_frame["y_binary"])
    assert set(task.categorical_columns) == {"color", "size", "flag"}
    assert set(task.numeric_columns) == {"x0", "x1", "count"}
    assert isinstance(task.X["size"].dtype, pd.CategoricalDtype)
    assert task.X["flag"].dtype == bool
    assert task.X["x1"].isna().sum() == features["x1"].isna().sum() > 0
    assert task.X["color"].isna().sum() > 0


def test_arrays_get_column_names():
    rng = np.random.default_rng(1)
    task = Task(rng.normal(size=(30, 3)), rng.normal(size=30))
    assert list(task.X.columns) == ["x0", "x1", "x2"]
    assert task.kind == REGRESSION


@pytest.mark.parametrize(
    "values, expected",
    [
        ([0, 1] * 10, BINARY),
        ([-1.0, 1.0] * 10, BINARY),
        (["a", "b", "c"] * 7, MULTICLASS),
        ([True, False] * 10, BINARY),
        (list(range(5)) * 4, MULTICLASS),
        (list(range(100)), REGRESSION),  # integer-valued but many values: counts
        (list(np.linspace(0, 1, 20)), REGRESSION),
    ],
)
def test_infer_kind(values, expected):
    assert infer_kind(pd.Series(values)) == expected


def test_kind_and_metric_can_be_overridden(features, mixed_frame):
    y = (mixed_frame["y_reg"] > 3).astype(int)
    task = Task(features, y, kind="classification", metric="balanced_accuracy", name="t", group="g")
    assert (task.kind, task.metric, task.name, task.group) == (BINARY, "balanced_accuracy", "t", "g")
    assert Task(features, mixed_frame["y_multi"], kind="classification").kind == MULTICLASS


def test_group_defaults_to_name(features, mixed_frame):
    assert Task(features, mixed_frame["y_reg"], name="abc").group == "abc"


def test_unknown_metric_names_close_matches(features, mixed_frame):
    with pytest.raises(ConfigError, match=r"Unknown metric 'roc_acu'.*'roc_auc'"):
        Task(features, mixed_frame["y_binary"], metric="roc_acu")


def test_metric_of_the_wrong_kind(features, mixed_frame):
    with pytest.raises(ConfigError, match=r"Metric 'r2' does not fit a binary task.*'roc_auc'"):
        Task(features, mixed_frame["y_binary"], metric="r2")


def test_unknown_kind(features, mixed_frame):
    with pytest.raises(ConfigError, match=r"Unknown task kind 'clasification'"):
        Task(features, mixed_frame["y_binary"], kind="clasification")


def test_fingerprint_depends_on_the_data(features, mixed_frame):
    a = Task(features, mixed_frame["y_reg"])
    b = Task(features.copy(), mixed_frame["y_reg"].copy())
    c = Task(features.assign(x0=features["x0"] + 1), mixed_frame["y_reg"])
    assert a.fingerprint == b.fingerprint != c.fingerprint


def test_classes_are_sorted(features, mixed_frame):
    assert list(Task(features, mixed_frame["y_multi"]).classes) == ["high", "low", "mid"]
    assert Task(features, mixed_frame["y_reg"]).classes is None


def test_stratified_subsample_keeps_every_class_and_is_seeded():
    from automl_meta.data import stratified_subsample

    y = np.array([0] * 10_000 + [1] * 4)
    idx = stratified_subsample(y, 500, random_state=np.random.default_rng(0), min_per_class=3)
    assert 490 <= len(idx) <= 510 and (y[idx] == 1).sum() == 3 and (np.diff(idx) > 0).all()
    assert (y[stratified_subsample(y, 500, random_state=0)] == 1).sum() == 2  # the default minimum
    np.testing.assert_array_equal(stratified_subsample(y, 500, random_state=7), stratified_subsample(y, 500, random_state=7))
    uniform = stratified_subsample(np.arange(1000.0), 100, classification=False, random_state=0)
    assert len(uniform) == 100 and len(set(uniform)) == 100
    np.testing.assert_array_equal(stratified_subsample(y[:50], 500), np.arange(50))  # small: every row


def test_an_identifier_like_target_gets_a_short_error():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=330)})
    y = [f"customer-{i}" for i in range(300)] + ["x"] * 30
    with pytest.raises(DataError, match="looks like an identifier") as info:
        Task(X, y)
    assert len(str(info.value)) < 400 and "301 distinct values" in str(info.value)


def test_all_constant_features_warn():
    with pytest.warns(DataWarning, match="Every feature column is constant"):
        Task(pd.DataFrame({"a": [1.0] * 40, "b": ["x"] * 40}), [0, 1] * 20)
