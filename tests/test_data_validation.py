"""Bad input: every case gives a DataError naming the problem, the value and the fix (or a repair with a
DataWarning)."""

import warnings

import numpy as np
import pandas as pd
import pytest

from automl_meta.data import DataWarning, Task
from automl_meta.errors import ConfigError, DataError


def frame(n=40, seed=0, **extra):
    rng = np.random.default_rng(seed)
    data = {"a": rng.normal(size=n), "b": rng.choice(["u", "v"], size=n), "y": np.tile(["p", "q"], n // 2)}
    data.update(extra)
    return pd.DataFrame(data)


def test_empty_frame():
    with pytest.raises(DataError, match=r"data is empty \(0 rows"):
        Task.from_frame(pd.DataFrame({"a": [], "y": []}), target="y")
    from automl_meta import AutoMetaClassifier

    with pytest.raises(DataError, match=r"data is empty \(0 rows"):  # not "the target is missing in all 0 rows"
        AutoMetaClassifier(n_trials=1, metadataset=False).fit(pd.DataFrame({"a": [], "b": []}), np.array([]))


def test_no_feature_columns():
    with pytest.raises(DataError, match=r"data is empty \(20 rows x 0 feature columns\).*at least one feature"):
        Task(pd.DataFrame(index=range(20)), np.arange(20) % 2)


def test_missing_target_column_lists_closest_names():
    with pytest.raises(DataError, match=r"Target column 'tarjet' not found\. Closest column names: 'target'.*--target"):
        Task.from_frame(frame().rename(columns={"y": "target"}), target="tarjet")


def test_missing_target_column_without_close_names_lists_columns():
    with pytest.raises(DataError, match=r"Target column 'zzz' not found\. Columns are: 'a', 'b', 'y'"):
        Task.from_frame(frame(), target="zzz")


def test_target_all_missing():
    with pytest.raises(DataError, match=r"target 'y' is missing in all 40 rows\. Choose a target column"):
        Task.from_frame(frame().assign(y=np.nan), target="y")


def test_rows_with_missing_target_are_dropped_with_a_warning():
    f = frame()
    f.loc[[0, 1, 2], "y"] = np.nan
    with pytest.warns(DataWarning, match=r"Dropped 3 of 40 rows whose target 'y' is missing"):
        task = Task.from_frame(f, target="y")
    assert task.n_rows == 37


def test_labels_with_spaces_around_them_are_one_class_with_a_warning():
    rng = np.random.default_rng(0)
    y = pd.Series(rng.choice(["yes", " yes", "yes ", "no", "no  "], 60), name="answer")
    with pytest.warns(DataWarning, match=r"spaces around them.*' yes'"):
        task = Task(pd.DataFrame({"x": rng.normal(size=60)}), y)
    assert task.kind == "binary" and sorted(task.y.unique()) == ["no", "yes"]


def test_labels_that_differ_in_case_stay_apart_but_are_named():
    rng = np.random.default_rng(0)
    y = pd.Series(rng.choice(["Yes", "yes", "No"], 60), name="answer")
    with pytest.warns(DataWarning, match=r"differ only in case.*'Yes', 'yes'|differ only in case.*'yes', 'Yes'"):
        task = Task(pd.DataFrame({"x": rng.normal(size=60)}), y)
    assert task.kind == "multiclass" and task.y.nunique() == 3


def test_clean_text_labels_give_no_label_warning():
    y = pd.Series(["a", "b"] * 20)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        Task(pd.DataFrame({"x": np.arange(40.0)}), y)


def test_too_few_rows_after_dropping_missing_targets():
    f = frame()
    f.loc[5:, "y"] = np.nan
    with pytest.warns(DataWarning), pytest.raises(DataError, match=r"Only 5 usable rows \(n_samples=5\); at least 10"):
        Task.from_frame(f, target="y")


def test_one_class():
    with pytest.raises(DataError, match=r"target 'y' has only one class \('p'\).*at least two classes"):
        Task.from_frame(frame().assign(y="p"), target="y", kind="classification")


def test_class_with_fewer_members_than_folds():
    f = frame()
    f.loc[[0, 1], "y"] = "rare"
    with pytest.raises(DataError, match=r"fewer members than the 5 cross-validation folds: 'rare' \(2 rows\).*cv="):
        Task.from_frame(f, target="y")
    assert Task.from_frame(f, target="y", cv=2).n_rows == 40  # fewer folds: accepted


def test_constant_regression_target():
    with pytest.raises(DataError, match=r"regression target 'y' is constant \(every value is 3\.5\)"):
        Task.from_frame(frame().assign(y=3.5), target="y", kind="regression")


def test_infinite_feature_values():
    f = frame()
    f.loc[3, "a"] = np.inf
    f.loc[4, "a"] = -np.inf
    with pytest.raises(DataError, match=r"Infinite values in column\(s\) 'a' \(2 values\)\. Replace them"):
        Task.from_frame(f, target="y")


def test_infinite_target_values():
    f = frame().assign(y=np.linspace(0, 1, 40))
    f.loc[0, "y"] = np.inf
    with pytest.raises(DataError, match=r"target 'y' has 1 infinite values"):
        Task.from_frame(f, target="y")


def test_all_missing_columns_are_dropped_with_a_warning():
    with pytest.warns(DataWarning, match=r"Dropped all-missing column\(s\): 'empty'"):
        task = Task.from_frame(frame(empty=np.nan), target="y")
    assert "empty" not in task.X.columns


def test_only_all_missing_columns():
    with pytest.warns(DataWarning), pytest.raises(DataError, match=r"No usable feature column is left"):
        Task(pd.DataFrame({"e": [np.nan] * 20}), np.arange(20) % 2)


def test_duplicate_column_names():
    f = pd.concat([frame()[["a", "a"]], frame()[["y"]]], axis=1)
    with pytest.raises(DataError, match=r"Duplicate column names: 'a'\. Rename the columns"):
        Task.from_frame(f, target="y")


def test_id_like_text_column_is_dropped_with_a_warning():
    f = frame(customer=[f"C{i:05d}" for i in range(40)])
    with pytest.warns(DataWarning, match=r"Dropped ID-like text column\(s\).*'customer'"):
        task = Task.from_frame(f, target="y")
    assert list(task.X.columns) == ["a", "b"]


def test_fewer_than_ten_rows():
    with pytest.raises(DataError, match=r"Only 8 usable rows \(n_samples=8\); at least 10 are needed.*Provide more data"):
        Task.from_frame(frame(n=8), target="y", cv=2)


def test_length_mismatch():
    with pytest.raises(DataError, match=r"target has 5 values but the features have 40 rows"):
        Task(frame().drop(columns="y"), [0, 1, 0, 1, 0])


def test_binary_kind_with_three_classes():
    f = frame(n=60).assign(y=np.tile(["p", "q", "r"], 20))
    with pytest.raises(DataError, match=r"kind='binary' but the target 'y' has 3 classes"):
        Task.from_frame(f, target="y", kind="binary")


def test_text_target_as_regression():
    with pytest.raises(DataError, match=r"target 'y' is not numeric.*kind='regression'"):
        Task.from_frame(frame(), target="y", kind="regression")


def test_bad_cv():
    with pytest.raises(DataError, match=r"cv must be an integer of at least 2; got 1"):
        Task.from_frame(frame(), target="y", cv=1)


def test_cells_that_are_containers():
    from automl_meta.errors import DataTypeError

    f = frame()
    f["b"] = f["b"].astype(object)
    f.at[3, "b"] = {"nested": 1}
    with pytest.raises(DataTypeError, match=r"column 'b' holds a dict .* in row 3\. Flatten such values"):
        Task.from_frame(f, target="y")


def test_an_index_written_into_the_file_is_dropped(tmp_path):
    import warnings as _warnings

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=60), "y": rng.choice(["a", "b"], 60)})
    frame.to_csv(tmp_path / "with_index.csv")  # pandas' default: the index as a first, unnamed column
    with pytest.warns(DataWarning, match=r"Dropped row-number column\(s\) 'Unnamed: 0'"):
        task = Task.from_csv(tmp_path / "with_index.csv", target="y")
    assert list(task.X.columns) == ["x"]
    # a named count is a feature, and an unnamed column that is not a row count is kept
    kept = frame.assign(visits=np.arange(60), **{"Unnamed: 0": rng.integers(0, 5, 60)})
    with _warnings.catch_warnings():
        _warnings.simplefilter("error", DataWarning)
        assert {"visits", "Unnamed: 0"} <= set(Task.from_frame(kept, target="y").X.columns)


@pytest.mark.parametrize("name", ["PassengerId", "id", "customer_id", "Order ID", "record.uuid"])
def test_a_record_number_named_as_an_id_is_dropped(name):
    rng = np.random.default_rng(0)
    X = pd.DataFrame({name: rng.permutation(60) + 1000, "x": rng.normal(size=60)})
    with pytest.warns(DataWarning, match=r"Dropped identifier column\(s\) '" + name):
        task = Task(X, pd.Series(rng.choice(["a", "b"], 60)))
    assert list(task.X.columns) == ["x"]


def test_repeated_ids_and_distinct_integers_named_otherwise_are_kept():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"patient_id": rng.integers(0, 15, 60), "paid": rng.permutation(60), "Width": rng.permutation(60),
                      "x": rng.normal(size=60)})
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        task = Task(X, pd.Series(rng.choice(["a", "b"], 60)))
    assert list(task.X.columns) == ["patient_id", "paid", "Width", "x"]


def test_a_class_of_one_row_is_refused_or_dropped_as_asked():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=60)})
    y = pd.Series(["a", "b"] * 30)
    y.iloc[5] = "once"
    with pytest.raises(DataError, match=r"fewer members than the 5 cross-validation folds: 'once' \(1 rows\)"):
        Task(X, y)
    with pytest.warns(DataWarning, match=r"Dropped the single row of class\(es\) 'once' of target 'target'"):
        task = Task(X, y, single_row_classes="drop")
    assert task.n_rows == 59 and set(task.y) == {"a", "b"} and task.X["a"].iloc[5] == X["a"].iloc[6]
    assert task.kind == "binary" and task.metric == "roc_auc"  # three classes less one
    # many classes of one row are no rare classes: an identifier, refused as one
    ids = pd.Series([f"id{i}" for i in range(60)])
    with pytest.raises(DataError, match="looks like an identifier"):
        Task(X, ids, kind="multiclass", single_row_classes="drop")
    with pytest.raises(ConfigError, match="single_row_classes must be 'raise' or 'drop'"):
        Task(X, y, single_row_classes="keep")


def test_value_repr_shows_numpy_scalars_as_the_user_wrote_them():
    """Messages name values as Python writes them: 8 and 0.5, not np.int64(8) and np.float64(0.5)."""
    from automl_meta._internal._format import value_repr

    assert value_repr(np.int64(8)) == "8" and value_repr(np.float64(0.5)) == "0.5"
    assert value_repr(np.str_("rare")) == "'rare'" and value_repr("rare") == "'rare'" and value_repr(None) == "None"
