"""The :class:`Task`: one table of features, one target, and what it takes to score models on it."""

from __future__ import annotations

import hashlib
from functools import cached_property

import numpy as np
import pandas as pd

from automl_meta._internal._byvalue import by_value, unwrapped
from automl_meta.data import _validate as v
from automl_meta.data._dates import date_orders, expand_datetimes
from automl_meta.data._summary_rows import rows_before_summary_rows
from automl_meta.data._kinds import BINARY, MULTICLASS, REGRESSION, is_categorical_dtype, normalize_kind, resolve_scoring
from automl_meta.errors import ConfigError, DataError


class Task:
    """A supervised learning task: features, target, kind and metric.

    The features keep their types: string, category and bool columns stay categorical and missing values stay
    missing, so that each model family can preprocess them its own way. The data is validated on construction;
    repairs that do not change its meaning (rows with a missing target, all-missing or ID-like columns) are
    made with a :class:`~automl_meta.data.DataWarning`, everything else raises
    :class:`~automl_meta.errors.DataError`.

    Parameters
    ----------
    X : pandas.DataFrame or array-like of shape (n_samples, n_features)
        The features. Arrays get column names ``x0``, ``x1``, ...
    y : pandas.Series or array-like of shape (n_samples,)
        The target.
    kind : {"binary", "multiclass", "regression", "classification"}, default=None
        The task kind; inferred from the target when None (see :func:`~automl_meta.data.infer_kind`).
        ``"classification"`` means binary or multiclass, by the number of classes.
    metric : str or callable, default=None
        A scikit-learn scorer name; defaults to ``roc_auc`` (binary), ``roc_auc_ovr`` (multiclass, macro
        averaged) or ``r2`` (regression). Or a scorer of your own: ``sklearn.metrics.make_scorer(...)``, or a
        callable ``(y_true, y_pred) -> float`` where greater is better (see :func:`resolve_scoring`); ``metric``
        is then ``custom:<its name>`` and ``scorer`` holds it.
    name : str, default=None
        A name for reports and the meta-dataset; ``"task"`` when None.
    group : str, default=None
        Tasks derived from the same source data share a group; held-out evaluations hold out whole groups.
        Defaults to the name.
    cv : int, default=5
        The number of cross-validation folds the task will be scored with; every class needs this many rows.
    target_name : str, default=None
        The target's name in messages; the Series name (or ``"target"``) when None.
    groups : array-like of shape (n_samples,), default=None
        Each row's group (a patient, a customer): cross-validation then keeps a group's rows in one fold
        (scikit-learn's ``StratifiedGroupKFold``, ``GroupKFold`` for regression), so that a model is never
        tested on the groups it was trained on. Not the task's ``group`` above. No label may be missing.
    validation : array-like of bool of shape (n_samples,), default=None
        The rows that are validation data: trials then train on the others and are scored on these (one split,
        not cross-validation). Every class of the validation rows must be among the training rows'.
    sample_weight : array-like of shape (n_samples,), default=None
        Each row's weight (finite, 0 or more): in every family's training that takes weights (all but ``knn`` and
        ``mlp``), in the cross-validation scores and in ensemble selection.
    single_row_classes : {"raise", "drop"}, default="raise"
        What to do with a class of one row, which no fold can both train and test: refuse the task, or drop
        its row with a DataWarning (what the estimators do; see
        :func:`~automl_meta.data.single_row_classes`).

    Attributes
    ----------
    X : pandas.DataFrame
        The validated features.
    y : pandas.Series
        The validated target, aligned with ``X`` (index 0..n-1).
    kind, metric, name, group, cv : as above, resolved.
    groups : numpy.ndarray or None
        The rows' group labels, aligned with ``X``.
    validation : numpy.ndarray of bool or None
        The validation rows, aligned with ``X``.
    sample_weight : numpy.ndarray or None
        The rows' weights, aligned with ``X``.
    date_orders : dict of str -> str
        The columns read as dates and how: ``"datetime"``, ``"iso"``, or numbered dates day first (``"dmy"``),
        month first (``"mdy"``) or year first (``"ymd"``); see :func:`~automl_meta.data.date_orders`.
    """

    groups = None  # the rows' groups; a class default for tasks pickled before there were any
    validation = None  # the validation rows; likewise
    sample_weight = None  # the rows' weights; likewise
    scorer = None  # a metric of the user's own (see ``scoring``); a class default for tasks pickled before

    def __init__(self, X, y, kind=None, metric=None, name=None, group=None, *, cv=v.DEFAULT_CV_FOLDS, target_name=None,
                 single_row_classes="raise", groups=None, validation=None, sample_weight=None):
        if not isinstance(cv, (int, np.integer)) or cv < 2:
            raise DataError(f"cv must be an integer of at least 2; got {cv!r}. Use for example cv=5.")
        if single_row_classes not in ("raise", "drop"):
            raise ConfigError(f"single_row_classes must be 'raise' or 'drop'; got {single_row_classes!r}.")
        frame = v.as_frame(X)
        found = date_orders(frame, with_ambiguous=True)
        v.warn_ambiguous_dates([c for c, order in found.items() if order == "?"])
        self.date_orders = {c: order for c, order in found.items() if order != "?"}
        frame = expand_datetimes(frame, dates=self.date_orders)
        target = v.as_target(y, len(frame))
        target_name = str(target_name or (target.name if target.name is not None else "target"))
        kind_given = kind = normalize_kind(kind)
        target = v.read_numbers_in_target(target.reset_index(drop=True), kind, target_name)
        aligned = {"groups": v.as_groups(groups, len(frame)), "validation": v.as_validation(validation, len(frame)),
                   "sample_weight": v.as_weights(sample_weight, len(frame))}
        frame, target, aligned = _rows(rows_before_summary_rows(frame, target, target_name), frame.reset_index(drop=True),
                                       target, aligned)
        frame, target, aligned = _rows(v.rows_with_a_target(target, target_name), frame, target, aligned)
        target = v.merge_spacing_variants(target, target_name)
        v.check_row_count(len(frame))
        frame = v.read_numbers_in_text(frame)
        v.check_finite(frame, target, target_name)
        frame = v.drop_useless_columns(frame)
        v.warn_constant_features(frame)
        kind = v.resolve_kind(target, kind)
        if kind != REGRESSION and single_row_classes == "drop":
            frame, target, aligned = _rows(v.rows_of_classes_with_more_than_one(target, target_name), frame, target, aligned)
            if kind_given in (None, "classification"):  # three classes less one: binary
                kind = v.resolve_kind(target, kind_given)
        v.check_target(target, kind, target_name, int(cv))
        if kind == REGRESSION:
            target = target.astype(float)
        self.X = frame
        self.y = target.rename(target_name)
        self.kind = kind
        self.metric, self.scorer = resolve_scoring(metric, kind)
        self.name = str(name) if name is not None else "task"
        self.group = str(group) if group is not None else self.name
        self.cv = int(cv)
        self.target_name = target_name
        groups, validation, weights = aligned["groups"], aligned["validation"], aligned["sample_weight"]
        self.sample_weight = None if weights is None else v.check_weighted_classes(weights.to_numpy(), self.y, kind)
        self.groups = None if groups is None else groups.to_numpy()
        self.validation = None if validation is None else v.check_validation(validation.to_numpy(), self.y, kind)
        if groups is not None and groups.nunique() < self.cv:
            raise DataError(f"groups has {groups.nunique()} distinct labels, fewer than cv={self.cv} folds: each fold "
                            f"tests whole groups. Give cv={max(groups.nunique(), 2)} or fewer.")

    # -- constructors -------------------------------------------------------------------------------------
    @classmethod
    def from_frame(cls, frame: pd.DataFrame, target: str, *, group_column: str | None = None,
                   weight_column: str | None = None, **kwargs) -> "Task":
        """Build a task from a DataFrame holding the features and the ``target`` column; ``group_column`` (the
        rows' groups, ``groups=``) and ``weight_column`` (their weights, ``sample_weight=``) are then not
        features."""
        from automl_meta.data._io import split_target

        X, y = split_target(frame, target)
        if weight_column is not None:
            X, kwargs["sample_weight"] = _column_out(X, weight_column, target, "weight"), X[weight_column]
        if group_column is not None:
            X, kwargs["groups"] = _column_out(X, group_column, target, "group"), X[group_column]
        return cls(X, y, target_name=target, **kwargs)

    @classmethod
    def from_csv(cls, path, target: str, *, name=None, **kwargs) -> "Task":
        """Read a CSV file (``.csv``, ``.csv.gz``, ``.tsv``; UTF-8) and build a task; see :class:`Task`."""
        from automl_meta.data._io import read_csv, task_name_from_path

        return cls.from_frame(read_csv(path), target, name=name or task_name_from_path(path), **kwargs)

    @classmethod
    def from_parquet(cls, path, target: str, *, name=None, **kwargs) -> "Task":
        """Read a Parquet file (needs ``pyarrow``) and build a task; see :class:`Task`."""
        from automl_meta.data._io import read_parquet, task_name_from_path

        return cls.from_frame(read_parquet(path), target, name=name or task_name_from_path(path), **kwargs)

    @classmethod
    def from_file(cls, path, target: str, **kwargs) -> "Task":
        """Read a CSV, Parquet or Excel (.xlsx: the first sheet with a column ``target``) file, chosen by its
        extension, and build a task."""
        from automl_meta.data._io import read_table, task_name_from_path

        kwargs.setdefault("name", task_name_from_path(path))
        return cls.from_frame(read_table(path, columns=[target]), target, **kwargs)

    def __getstate__(self):
        # a metric of the user's own travels by value: a function of the user's script or notebook is not
        # importable in the evaluation worker processes, where tasks are unpickled
        return dict(self.__dict__, scorer=by_value(self.__dict__.get("scorer")))

    def __setstate__(self, state):
        self.__dict__.update(state, scorer=unwrapped(state.get("scorer")))

    # -- derived properties -------------------------------------------------------------------------------
    @property
    def scoring(self):
        """What scores the task's predictions: the scorer name ``metric``, or a scorer of the user's own (then
        ``metric`` is ``custom:<its name>``); either is what ``sklearn.metrics.get_scorer`` takes."""
        return self.metric if self.scorer is None else self.scorer

    @property
    def n_rows(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])

    @property
    def is_classification(self) -> bool:
        return self.kind in (BINARY, MULTICLASS)

    @cached_property
    def categorical_columns(self) -> list[str]:
        """Columns treated as categorical: strings, categories, booleans and other non-numeric types."""
        return [c for c, dtype in self.X.dtypes.items() if is_categorical_dtype(dtype)]

    @cached_property
    def numeric_columns(self) -> list[str]:
        return [c for c, dtype in self.X.dtypes.items() if not is_categorical_dtype(dtype)]

    @cached_property
    def classes(self) -> np.ndarray | None:
        """Sorted class labels, or None for regression."""
        if not self.is_classification:
            return None
        return np.asarray(sorted(self.y.unique(), key=lambda c: (str(type(c)), c)), dtype=object)

    @cached_property
    def fingerprint(self) -> str:
        """A SHA-256 of the features, target and kind: equal data gives an equal fingerprint."""
        h = hashlib.sha256()
        h.update(",".join(map(str, self.X.columns)).encode())
        h.update(pd.util.hash_pandas_object(self.X, index=False).to_numpy().tobytes())
        h.update(pd.util.hash_pandas_object(self.y, index=False).to_numpy().tobytes())
        h.update(self.kind.encode())
        if self.groups is not None:  # other folds: other scores
            h.update(pd.util.hash_array(self.groups).tobytes())
        if self.validation is not None:
            h.update(b"validation" + self.validation.tobytes())
        if self.sample_weight is not None:
            h.update(b"weights" + self.sample_weight.tobytes())
        return h.hexdigest()

    def __repr__(self) -> str:
        return (
            f"Task(name={self.name!r}, group={self.group!r}, kind={self.kind!r}, metric={self.metric!r}, "
            f"rows={self.n_rows}, features={self.n_features}, categorical={len(self.categorical_columns)})"
        )


def _column_out(X: pd.DataFrame, column: str, target: str, what: str) -> pd.DataFrame:
    """``X`` without ``column``, the rows' groups or weights: a clear error when it is the target or absent."""
    if str(column) == str(target):
        raise DataError(f"The {what} column {column!r} is the target. Name the column of the rows' {what}s.")
    if column not in X.columns:
        raise DataError(f"{what.capitalize()} column {column!r} not found. Columns are: "
                        f"{', '.join(map(repr, list(X.columns)[:10]))}{' ...' if X.shape[1] > 10 else ''}.")
    return X.drop(columns=[column])


def _rows(keep, frame: pd.DataFrame, target: pd.Series, aligned: dict):
    """The rows ``keep`` (a boolean mask) of the row-aligned frame, target and ``aligned`` Series (or None),
    indexed 0..n-1 again."""
    if keep.all():
        return frame, target, aligned
    return (frame[keep].reset_index(drop=True), target[keep].reset_index(drop=True),
            {k: None if a is None else a[keep].reset_index(drop=True) for k, a in aligned.items()})
