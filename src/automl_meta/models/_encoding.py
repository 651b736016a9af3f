"""Preprocessing of a raw feature table (numbers, text, categories, booleans, NaN) into what a family needs.

One transformer, three outputs, so every family sees the same treatment of missing values, rare levels,
unseen levels and changed column types:

* ``onehot``: numeric columns median-imputed and standardized, plus a missing indicator for each numeric
  column that had missing values in training; categorical columns one-hot encoded over their ``max_levels``
  most frequent levels (missing is a level; other and unseen levels share one "other" column). For linear
  models, k-NN, SVMs and the MLP.
* ``ordinal``: numeric columns median-imputed, categorical columns as integer codes (missing and unseen -1).
  For random forests and extra trees.
* ``native``: a DataFrame with numeric columns as floats (NaN kept) and categorical columns as pandas
  categoricals of integer codes, which HistGradientBoosting, LightGBM and XGBoost handle natively.

A free-text column (``automl_meta.data.is_free_text``) is neither: its words become a few numeric columns
(``_text.TextColumn``: TF-IDF reduced by a truncated SVD, fitted on the training rows), in every output after
the numeric columns (standardized in ``onehot``).

A categorical column with more levels than ``max_levels`` (a ZIP code, a product, a city) loses the pooled
levels' information to the "other" code, so it also gets its target encoding (scikit-learn's ``TargetEncoder``:
each level's shrunk mean target, one column, or one per class), after the text columns in every output. The
training rows get out-of-fold values (``fit_transform``'s cross fitting), so that a model does not learn from
encodings that saw each row's own target; rows transformed later get the encoder fitted on every training row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from automl_meta._internal._warnings import warn
from automl_meta.data import expand_datetimes, expanded_dates, is_free_text, is_missing_marker, parse_numbers
from automl_meta.errors import DataError
from automl_meta.models._text import TextColumn

_MISSING = "__missing__"
OUTPUTS = ("onehot", "ordinal", "native")
#: Default number of levels kept per categorical column, by output.
DEFAULT_MAX_LEVELS = {"onehot": 32, "ordinal": 250, "native": 250}


def _is_categorical(dtype) -> bool:
    return pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype)


def _as_strings(col: pd.Series) -> np.ndarray:
    """Values as Python strings, missing as ``_MISSING`` (booleans, numbers and categories alike)."""
    values = col.astype(object).to_numpy()
    missing = pd.isna(values)
    out = values.astype(str)
    out[missing] = _MISSING
    return out


class TabularEncoder(TransformerMixin, BaseEstimator):
    """Encode a raw feature table for a model family (see the module docstring for the three ``output``s).

    Parameters
    ----------
    output : {"onehot", "ordinal", "native"}, default="onehot"
    max_levels : int, default=None
        Most frequent levels kept per categorical column; None uses 32 (onehot) or 250 (ordinal, native).
    clip : bool, default=False
        ``onehot`` only: numeric values are held to the range seen in ``fit`` before scaling. A network of ReLU
        units extrapolates linearly, so one value far outside that range (in a fold of
        ``uci_regression/keggdirected``, a column near-constant in training) made an MLP predict 4e16 for a
        target of standard deviation 1 (R² -6e28); the MLP family uses it.
    target_type : {"auto", "binary", "multiclass", "continuous"}, default="auto"
        The target's type for the target encoding of the columns with more levels than ``max_levels``
        (scikit-learn's ``TargetEncoder``; "auto" infers it from ``y``, which takes an integer regression target
        for classes; ``build_model`` gives the task's); None: no target encoding. Without ``y`` in ``fit``
        there is none either.

    Attributes
    ----------
    feature_names_in_ : ndarray of str
    numeric_columns_, categorical_columns_, text_columns_ : list of str
    text_ : dict of column -> TextColumn
        The fitted TF-IDF and SVD of each text column, and its components' mean and scale on the rows the SVD
        was fitted on (what the one-hot output standardizes them with).
    levels_ : dict of column -> ndarray of str
        The kept levels; ``has_other_[column]`` says whether other levels were pooled.
    lows_, highs_ : ndarray
        The numeric columns' range in ``fit`` (missing values filled), what ``clip`` holds them to.
    target_encoders_ : dict of column -> TargetEncoder
        The target encoding of each column with more levels than ``max_levels``, fitted on every training row;
        ``target_means_`` and ``target_scales_`` standardize its out-of-fold values in ``onehot``.
    """

    def __init__(self, output="onehot", max_levels=None, clip=False, target_type="auto"):
        self.output = output
        self.max_levels = max_levels
        self.clip = clip
        self.target_type = target_type

    def fit(self, X, y=None):
        self._fit(X, y)
        return self

    def fit_transform(self, X, y=None, **fit_params):
        """Fit, and transform the training rows with their out-of-fold target encodings (see the module)."""
        encoded = self._fit(X, y)
        return self._transform(X, encoded)

    def _fit(self, X, y) -> np.ndarray:
        """Fit every part; return the training rows' out-of-fold target encodings."""
        if self.output not in OUTPUTS:
            raise ValueError(f"output must be one of {OUTPUTS}; got {self.output!r}")
        X = self._as_frame(X, fitting=True)
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]
        categorical = [c for c, dtype in X.dtypes.items() if _is_categorical(dtype)]
        self.numeric_columns_ = [c for c in X.columns if c not in categorical]
        self.text_columns_ = [c for c in categorical if is_free_text(X[c])]
        self.categorical_columns_ = [c for c in categorical if c not in self.text_columns_]
        self.text_ = {c: TextColumn().fit(X[c]) for c in self.text_columns_}
        max_levels = self.max_levels or DEFAULT_MAX_LEVELS[self.output]
        num = self._numeric(X)
        with np.errstate(all="ignore"):
            med = np.nanmedian(num, axis=0) if num.shape[1] else np.zeros(0)
        self.medians_ = np.nan_to_num(med)
        self.missing_indicator_ = np.isnan(num).any(axis=0) if num.shape[1] else np.zeros(0, dtype=bool)
        filled = np.where(np.isnan(num), self.medians_, num)
        self.means_ = filled.mean(axis=0) if num.shape[1] else np.zeros(0)
        self.lows_ = filled.min(axis=0) if num.shape[1] else np.zeros(0)
        self.highs_ = filled.max(axis=0) if num.shape[1] else np.zeros(0)
        std = filled.std(axis=0) if num.shape[1] else np.zeros(0)
        self.scales_ = np.where(std > 0, std, 1.0)
        self.levels_, self.has_other_ = {}, {}
        for c in self.categorical_columns_:
            counts = pd.Series(_as_strings(X[c])).value_counts(sort=True)
            self.levels_[c] = counts.index.to_numpy(dtype=object)[:max_levels]
            self.has_other_[c] = len(counts) > max_levels
        pooled = [c for c in self.categorical_columns_ if self.has_other_[c]]
        self.target_encoders_, encoded = fit_target_encoders(
            {c: _as_strings(X[c]) for c in pooled}, y, None if y is None else self.target_type, len(X))
        std = encoded.std(axis=0) if encoded.shape[1] else np.zeros(0)
        self.target_means_ = encoded.mean(axis=0) if encoded.shape[1] else np.zeros(0)
        self.target_scales_ = np.where(std > 0, std, 1.0)
        return encoded

    # -- transform ------------------------------------------------------------------------------------------
    def transform(self, X):
        check_is_fitted(self, "levels_")
        return self._transform(X, None)

    def _transform(self, X, target_encoded: np.ndarray | None) -> np.ndarray | pd.DataFrame:
        """``X`` encoded; ``target_encoded``: its target encodings where known (the training rows' out-of-fold
        ones), else computed by the fitted target encoders."""
        X = self._as_frame(X, fitting=False)
        num = self._numeric(X)
        codes = [self._codes(X[c], c) for c in self.categorical_columns_]
        text = self._text(X)
        targets = self._target_encoded(X) if target_encoded is None else target_encoded
        if self.output == "native":
            dense = np.hstack([num, text, targets])
            frame = pd.DataFrame(dense, columns=[f"num_{i}" for i in range(dense.shape[1])])
            for i, (c, code) in enumerate(zip(self.categorical_columns_, codes)):
                n_levels = len(self.levels_[c]) + int(self.has_other_[c])
                frame[f"cat_{i}"] = pd.Categorical.from_codes(code, categories=list(range(n_levels)))
            return frame
        filled = np.where(np.isnan(num), self.medians_, num)
        if self.output == "ordinal":
            cat = np.column_stack(codes).astype(float) if codes else np.zeros((len(X), 0))
            return np.hstack([filled, text, targets, cat])
        if getattr(self, "clip", False):  # getattr: an encoder pickled before the parameter existed
            filled = np.clip(filled, self.lows_, self.highs_)
        blocks = [(filled - self.means_) / self.scales_, np.isnan(num[:, self.missing_indicator_]).astype(float)]
        if text.shape[1]:
            mean, scale = self._text_mean_and_scale()
            blocks.append((text - mean) / scale)
        if targets.shape[1]:
            blocks.append((targets - self.target_means_) / self.target_scales_)
        for c, code in zip(self.categorical_columns_, codes):
            width = len(self.levels_[c]) + int(self.has_other_[c])
            onehot = np.zeros((len(X), width))
            known = code >= 0
            onehot[np.flatnonzero(known), code[known]] = 1.0
            blocks.append(onehot)
        return np.hstack(blocks)

    def _codes(self, col: pd.Series, name: str) -> np.ndarray:
        levels = self.levels_[name]
        code = pd.Index(levels).get_indexer(_as_strings(col)).astype(np.int64)  # -1: not a kept level
        if self.has_other_[name]:
            code[code < 0] = len(levels)  # rare and unseen levels share the "other" code
        return code

    def _text(self, X: pd.DataFrame) -> np.ndarray:
        """The text columns' components, side by side (``_text.TextColumn``)."""
        columns = getattr(self, "text_columns_", [])  # getattr: an encoder pickled before text columns existed
        blocks = [self.text_[c].transform(X[c]) for c in columns]
        return np.hstack(blocks) if blocks else np.zeros((len(X), 0))

    def _target_encoded(self, X: pd.DataFrame) -> np.ndarray:
        """The target encodings of the pooled columns, side by side (none: zero columns)."""
        encoders = getattr(self, "target_encoders_", {})  # getattr: an encoder pickled before they existed
        blocks = [encoder.transform(_as_strings(X[c]).reshape(-1, 1)) for c, encoder in encoders.items()]
        return np.hstack(blocks) if blocks else np.zeros((len(X), 0))

    def _text_mean_and_scale(self) -> tuple[np.ndarray, np.ndarray]:
        """What the one-hot output standardizes the text components with: each text column's own."""
        if hasattr(self, "text_means_"):  # an encoder pickled while it kept them itself (2026-12-03)
            return self.text_means_, self.text_scales_
        columns = [self.text_[c] for c in self.text_columns_]
        return np.concatenate([t.mean_ for t in columns]), np.concatenate([t.scale_ for t in columns])

    def _numeric(self, X: pd.DataFrame) -> np.ndarray:
        if not self.numeric_columns_:
            return np.zeros((len(X), 0))
        dtypes = dict(zip(X.columns, X.dtypes))
        if not any(_is_categorical(dtypes[c]) for c in self.numeric_columns_):  # as in fit: one block (a 3,000-column
            out = X[self.numeric_columns_].to_numpy(dtype=float, na_value=np.nan, copy=True)  # table: 0.2 s a call)
            out[~np.isfinite(out)] = np.nan
            return out
        cols = []
        for c in self.numeric_columns_:
            col = X[c]
            if _is_categorical(col.dtype):  # the type changed since fit: read what parses as a number
                # the parser a Task reads numbers written as text with (automl_meta.data._numbers)
                parsed = parse_numbers(col)
                bad = parsed.isna().to_numpy() & ~is_missing_marker(col).to_numpy()
                if bad.any():
                    from automl_meta.data import DataWarning

                    warn(
                        f"Column {c!r} was numeric in training, but {int(bad.sum())} of its values at prediction are "
                        f"not numbers (e.g. {str(col[bad].iloc[0])[:40]!r}); they are treated as missing. Check the "
                        "column's values.", DataWarning)
                col = parsed
            cols.append(col.to_numpy(dtype=float, na_value=np.nan))
        out = np.column_stack(cols)
        out[~np.isfinite(out)] = np.nan
        return out

    def _as_frame(self, X, fitting: bool) -> pd.DataFrame:
        if not isinstance(X, pd.DataFrame):
            arr = np.asarray(X)
            if arr.ndim != 2:
                raise DataError(f"Features must be 2-D; got shape {arr.shape}. Pass a DataFrame or a 2-D array.")
            X = pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])
            if arr.dtype == object:
                X = X.infer_objects()
        X = X.set_axis([str(c) for c in X.columns], axis=1)
        # date columns as numbers (automl_meta.data._dates): a Task has expanded them already; raw data given
        # at prediction is expanded here the same way, and only the fitted columns are kept below
        if fitting:
            return expand_datetimes(X)
        X = expand_datetimes(X, hour="always", dates=expanded_dates(self.feature_names_in_))
        expected = list(self.feature_names_in_)
        missing = [c for c in expected if c not in X.columns]
        if missing:
            raise DataError(
                f"Column(s) {', '.join(map(repr, missing[:5]))} seen in training are missing at prediction. "
                "Pass the same columns as in training (extra columns are ignored, order does not matter)."
            )
        return X[expected]


def fit_target_encoders(columns: dict, y, target_type: str | None, n_rows: int) -> tuple[dict, np.ndarray]:
    """({column: scikit-learn ``TargetEncoder`` fitted on every row}, the ``n_rows`` rows' out-of-fold encodings
    side by side) for ``columns`` (name -> strings); none where ``target_type`` is None or there are no columns.
    The cross fitting's folds are shuffled with a fixed seed (stratified for classes, 5 or the rarest class's
    count)."""
    if target_type is None or not columns:
        return {}, np.zeros((n_rows, 0))
    import sklearn
    from sklearn.model_selection import KFold, StratifiedKFold
    from sklearn.preprocessing import TargetEncoder
    from sklearn.utils.multiclass import type_of_target

    y = np.asarray(y)
    kind = type_of_target(y) if target_type == "auto" else target_type
    if kind == "continuous":
        y, folds = y.astype(float), KFold(5, shuffle=True, random_state=0)
    else:
        rarest = int(np.unique(y, return_counts=True)[1].min())
        folds = StratifiedKFold(max(2, min(5, rarest)), shuffle=True, random_state=0)
    # scikit-learn takes a splitter as cv from 1.9; before, the same folds through cv, shuffle and random_state
    new = tuple(int(v) for v in sklearn.__version__.split(".")[:2]) >= (1, 9)
    options = {"cv": folds} if new else {"cv": folds.n_splits, "shuffle": True, "random_state": 0}
    encoders, blocks = {}, []
    for c, values in columns.items():
        encoder = TargetEncoder(target_type=kind, **options)
        blocks.append(encoder.fit_transform(values.reshape(-1, 1), y))
        encoders[c] = encoder
    return encoders, np.hstack(blocks)
