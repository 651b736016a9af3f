"""Every check of user data, in one place.

Each problem raises a :class:`~automl_meta.errors.DataError` naming the problem, the offending value and the
fix. Problems that can be repaired without changing the meaning of the data (rows with a missing target,
all-missing columns, ID-like text columns, an index written as a column, numbers written as text, class labels
with spaces around them) are repaired with a :class:`DataWarning`.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pandas as pd

from automl_meta._internal._format import value_repr
from automl_meta._internal._warnings import warn
from automl_meta.data._kinds import (
    BINARY,
    MULTICLASS,
    REGRESSION,
    infer_kind,
    is_categorical_dtype,
)
from automl_meta.data._numbers import (
    MAX_LEVELS_WITH_TEXT,
    TARGET_MISSING_MARKERS,
    as_numbers,
    is_missing_marker,
    is_text,
    read_numeric_text,
)
from automl_meta.data._text import is_free_text
from automl_meta.errors import DataError, DataTypeError

#: Fewer rows than this cannot be cross-validated meaningfully.
MIN_ROWS = 10
#: Default number of cross-validation folds; every class needs at least this many members.
DEFAULT_CV_FOLDS = 5
# A text column is only called ID-like when there are enough rows for "all distinct" to mean something.
_MIN_ROWS_FOR_ID_CHECK = 20


class DataWarning(UserWarning):
    """The data was repaired (rows or columns dropped); the message says what and why."""


def _short(values, limit: int = 5) -> str:
    values = list(values)
    shown = ", ".join(value_repr(v) for v in values[:limit])
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")


def as_frame(X) -> pd.DataFrame:
    """Turn a DataFrame, 2-D array or list of rows into a DataFrame with string column names."""
    if isinstance(X, pd.DataFrame):
        frame = X
    else:
        try:
            arr = np.asarray(X)
        except Exception as exc:  # ragged lists and the like
            raise DataError(f"Features could not be read as a table ({exc}). Pass a pandas DataFrame or a 2-D array.") from exc
        if arr.ndim == 1:
            arr = arr.reshape(-1, 1)
        if arr.ndim != 2:
            raise DataError(f"Features must be 2-D (rows x columns); got an array of shape {arr.shape}. Reshape it or pass a DataFrame.")
        frame = pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise DataError(
            f"The data is empty ({frame.shape[0]} rows x {frame.shape[1]} feature columns). "
            "Pass a table with at least one feature column and some rows."
        )
    names = [str(c) for c in frame.columns]
    duplicates = sorted(n for n, c in Counter(names).items() if c > 1)
    if duplicates:
        raise DataError(
            f"Duplicate column names: {_short(duplicates)}. Rename the columns so that each name is unique."
        )
    if list(frame.columns) != names:
        frame = frame.set_axis(names, axis=1)
    check_cell_types(frame)
    return frame


_SCALAR_TYPES = (str, bytes, int, float, bool, np.generic, type(None), pd.Timestamp, pd.Timedelta)


def check_cell_types(frame: pd.DataFrame) -> None:
    """Object columns may hold strings, numbers, booleans and missing values, not containers."""
    for c, dtype in frame.dtypes.items():  # the types first: a wide table's columns are mostly numbers
        if dtype != object:
            continue
        col = frame[c]
        # infer_dtype runs in C; only columns it cannot name as one scalar type are inspected cell by cell
        if pd.api.types.infer_dtype(col, skipna=True) not in ("mixed", "mixed-integer", "unknown-array"):
            continue
        bad = col[~col.map(lambda v: isinstance(v, _SCALAR_TYPES) or v is pd.NA)]
        if len(bad):
            value = bad.iloc[0]
            raise DataTypeError(
                f"argument must be a string or a number: column {c!r} holds a {type(value).__name__} "
                f"({str(value)[:50]!r}) in row {bad.index[0]!r}. Flatten such values into columns of strings or numbers."
            )


def as_target(y, n_rows: int) -> pd.Series:
    if isinstance(y, pd.DataFrame):
        if y.shape[1] != 1:
            raise DataError(f"The target must be one column; got {y.shape[1]} columns. Pass a single column.")
        y = y.iloc[:, 0]
    series = y if isinstance(y, pd.Series) else pd.Series(np.asarray(y).ravel() if np.ndim(y) > 1 else np.asarray(y))
    if len(series) != n_rows:
        raise DataError(
            f"The target has {len(series)} values but the features have {n_rows} rows. Pass one target value per row."
        )
    return series


def rows_with_a_target(y: pd.Series, target_name: str) -> np.ndarray:
    """The rows to keep: those whose target is not missing (the others are dropped, with a warning); in a text
    target a missing marker such as ``?`` or ``n/a`` (:data:`automl_meta.data._numbers.TARGET_MISSING_MARKERS`)
    is missing too, not a class."""
    missing = (is_missing_marker(y, TARGET_MISSING_MARKERS) if is_text(y) else y.isna()).to_numpy()
    if missing.all():
        raise DataError(
            f"The target {target_name!r} is missing in all {len(y)} rows. Choose a target column that has values."
        )
    if missing.any():
        warn(
            f"Dropped {int(missing.sum())} of {len(y)} rows whose target {target_name!r} is missing.",
            DataWarning,
        )
    return ~missing


def as_groups(groups, n_rows: int) -> pd.Series | None:
    """The rows' group labels (e.g. patient IDs) as a Series, checked: one per row, none missing."""
    if groups is None:
        return None
    labels = pd.Series(groups.to_numpy() if isinstance(groups, pd.Series) else np.asarray(groups, dtype=object).ravel())
    if len(labels) != n_rows:
        raise DataError(f"groups has {len(labels)} labels for {n_rows} rows. Give one group label per row of X "
                        "(e.g. the patient or customer ID of each row).")
    missing = labels.isna().to_numpy()
    if missing.any():
        raise DataError(f"groups is missing for {int(missing.sum())} of {n_rows} rows (the first: row "
                        f"{int(np.flatnonzero(missing)[0])}). Give every row a group label, or a label of its own.")
    return labels


def as_weights(sample_weight, n_rows: int) -> pd.Series | None:
    """The rows' weights as a float Series, checked: one per row, finite, none negative, not all zero."""
    if sample_weight is None:
        return None
    try:
        weights = np.asarray(sample_weight, dtype=float).ravel()
    except (TypeError, ValueError) as exc:
        raise DataError(f"sample_weight must be numbers; got {value_repr(sample_weight)[:80]} ({exc}).") from exc
    if len(weights) != n_rows:
        raise DataError(f"sample_weight has {len(weights)} weights for {n_rows} rows. Give one weight per row of X.")
    bad = ~np.isfinite(weights) | (weights < 0)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise DataError(f"sample_weight has {int(bad.sum())} missing, infinite or negative weight(s) (the first: "
                        f"{weights[first]!r} at row {first}). Give every row a weight of 0 or more.")
    if not weights.any():
        raise DataError("sample_weight is zero for every row. Give some rows a positive weight.")
    return pd.Series(weights)


def check_weighted_classes(weights: np.ndarray, y: pd.Series, kind: str) -> np.ndarray:
    """``weights``, when the rows of positive weight hold at least two classes (classification); else a DataError."""
    if kind != "regression":
        weighted = sorted(map(str, y[weights > 0].unique()))
        if len(weighted) < 2:
            raise DataError(f"Only the class {weighted[0]!r} has rows of positive sample_weight: a classifier needs "
                            "two classes to learn. Give rows of another class a positive weight.")
    return weights


def as_validation(validation, n_rows: int) -> pd.Series | None:
    """The validation rows as a boolean Series, one per row."""
    if validation is None:
        return None
    mask = np.asarray(validation)
    if mask.dtype != bool or mask.shape != (n_rows,):
        raise DataError(f"validation must be a boolean mask of the {n_rows} rows; got {mask.dtype} of shape {mask.shape}.")
    return pd.Series(mask)


def check_validation(mask: np.ndarray, y: pd.Series, kind: str) -> np.ndarray:
    """``mask`` when both its training and its validation rows remain (after rows were dropped) and, for
    classes, every validation class is among the training rows'; else a DataError."""
    if mask.all() or not mask.any():
        raise DataError(f"{'No training' if mask.all() else 'No validation'} rows are left. Give X_val/y_val and X/y "
                        "with rows of known target each.")
    if kind != "regression":
        unseen = sorted(set(map(str, y[mask].unique())) - set(map(str, y[~mask].unique())))
        if unseen:
            raise DataError(f"y_val has class(es) {', '.join(map(repr, unseen[:5]))} that y does not: a model trained "
                            "on y cannot predict them. Give validation rows of the training classes only.")
    return mask


def group_fold_count(groups, cv: int) -> int:
    """The folds grouped cross-validation can have: ``cv``, or the number of groups (with a DataWarning) when
    there are fewer; fewer than 2 groups is a DataError."""
    n_groups = int(pd.Series(groups).nunique())
    if n_groups < 2:
        raise DataError(f"groups has {n_groups} distinct label(s): grouped cross-validation needs at least 2. Give "
                        "the rows' real groups, or no groups=.")
    if n_groups < cv:
        warn(f"groups has {n_groups} distinct labels, fewer than cv={cv}: cross-validating with {n_groups} folds "
             "(one group each).", DataWarning)
        return n_groups
    return cv


def stripped_labels(y) -> pd.Series:
    """The class labels as :class:`Task` reads them: text labels without the spaces around them (the estimators
    count a class's rows with it before the task is built)."""
    y = pd.Series(y)
    if not is_text(y):
        return y
    is_str = y.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    out = y.copy()
    out[is_str] = y[is_str].str.strip().to_numpy()
    return out


def merge_spacing_variants(y: pd.Series, target_name: str) -> pd.Series:
    """Text class labels that differ only in surrounding spaces (``"yes"``, ``" yes"``, ``"yes "``) are one
    class: stripped (:func:`stripped_labels`), with a DataWarning (a spreadsheet shows them alike, a model would
    not). Labels that differ in case are left apart, since case can carry meaning (letters, codes), but named in
    a DataWarning."""
    if not is_text(y):
        return y
    stripped = stripped_labels(y)
    changed = (stripped != y).to_numpy() & y.notna().to_numpy()
    if changed.any():
        warn(f"Target {target_name!r}: {int(changed.sum())} label(s) with spaces around them read as the "
             f"same label without: {_short(pd.unique(y[changed]), 3)} as "
             f"{_short(pd.unique(stripped[changed]), 3)}. Strip the labels in the data to silence this.",
             DataWarning)
    spellings = pd.Series([v for v in pd.unique(stripped) if isinstance(v, str)], dtype=object)
    by_case = spellings.groupby(spellings.str.casefold().to_numpy()).agg(list)
    mixed = [names for names in by_case if len(names) > 1]
    if mixed:
        shown = "; ".join(_short(names, 3) for names in mixed[:3]) + ("; ..." if len(mixed) > 3 else "")
        warn(f"Target {target_name!r}: labels that differ only in case are different classes: {shown}. "
             "If they are one class, write them one way in the data.", DataWarning)
    return stripped


def read_numbers_in_target(y: pd.Series, kind: str | None, target_name: str) -> pd.Series:
    """A text target that holds numbers parsed, with a warning, where it is a regression target: declared one,
    or with more distinct numbers than a classification target may have (a few numbers stay class labels)."""
    numbers = as_numbers(y) if kind in (None, REGRESSION) else None
    if numbers is None or (kind is None and numbers[0].nunique() <= MAX_LEVELS_WITH_TEXT):
        return y
    parsed, bad = numbers
    first = parsed.first_valid_index()
    warn(f"Read the text target {target_name!r} as numbers (e.g. {str(y[first])!r} as {float(parsed[first])})"
         + (f"; {bad} value(s) that are not numbers are dropped with their rows." if bad else "."),
         DataWarning)
    return parsed


def check_row_count(n_rows: int) -> None:
    if n_rows < MIN_ROWS:
        raise DataError(
            f"Only {n_rows} usable rows (n_samples={n_rows}); at least {MIN_ROWS} are needed to cross-validate. Provide more data."
        )


def check_finite(X: pd.DataFrame, y: pd.Series, target_name: str) -> None:
    numeric = [c for c, dtype in X.dtypes.items() if not is_categorical_dtype(dtype)]
    if numeric:
        values = X[numeric].to_numpy(dtype=float, na_value=np.nan)
        inf_counts = np.isinf(values).sum(axis=0)
        bad = [(c, int(n)) for c, n in zip(numeric, inf_counts) if n]
        if bad:
            where = ", ".join(f"{c!r} ({n} values)" for c, n in bad[:5])
            raise DataError(
                f"Infinite values in column(s) {where}. Replace them with a finite value or with NaN (missing)."
            )
    if not is_categorical_dtype(y.dtype):
        n_inf = int(np.isinf(y.to_numpy(dtype=float, na_value=np.nan)).sum())
        if n_inf:
            raise DataError(
                f"The target {target_name!r} has {n_inf} infinite values. Replace or drop those rows."
            )


def read_numbers_in_text(X: pd.DataFrame) -> pd.DataFrame:
    """Text columns that hold numbers (``?`` for missing, ``32,648``, ``70%``, ``$5``) parsed, with a warning."""
    X, found = read_numeric_text(X)
    if found:
        unparsed = {c: n for c, n in found.items() if n}
        detail = "" if not unparsed else (
            "; values that are not numbers are treated as missing: "
            + ", ".join(f"{n} in {c!r}" for c, n in list(unparsed.items())[:5]))
        warn(
            f"Read text column(s) {_short(list(found))} as numbers (missing markers such as '?' and 'n/a', "
            f"thousands separators, % and currency signs read as such){detail}. To keep a column as text, give it "
            "the pandas 'category' dtype.",
            DataWarning,
        )
    return X


def drop_useless_columns(X: pd.DataFrame) -> pd.DataFrame:
    """Drop all-missing columns, ID-like text columns (a distinct value on every row, and not free text:
    ``_text.is_free_text``), row-number columns (an index written into the file) and record numbers (an ID's
    name and a distinct integer on every row), with a warning."""
    all_missing = list(X.columns[X.isna().all().to_numpy()])
    if all_missing:
        warn(f"Dropped all-missing column(s): {_short(all_missing)}.", DataWarning)
    id_like = []
    if len(X) >= _MIN_ROWS_FOR_ID_CHECK:
        for c, dtype in X.dtypes.items():
            if c in all_missing or pd.api.types.is_bool_dtype(dtype) or not is_categorical_dtype(dtype):
                continue
            if isinstance(dtype, pd.CategoricalDtype):
                continue  # the user declared it categorical: respect that
            col = X[c]
            if col.notna().all() and col.nunique() == len(col) and not is_free_text(col):
                id_like.append(c)  # free text is distinct on every row too, but its words recur
    if id_like:
        warn(
            f"Dropped ID-like text column(s) with a distinct value on every row: {_short(id_like)}. "
            "Such columns identify rows and cannot generalize; convert them to numbers if they carry meaning.",
            DataWarning,
        )
    row_numbers = [c for c in X.columns if c not in all_missing and _is_row_number_column(c, X)]
    if row_numbers:
        warn(
            f"Dropped row-number column(s) {_short(row_numbers)}: an index's name and a distinct integer on every "
            "row, as a file written with its index holds (pandas' to_csv without index=False, R's write.csv). "
            "Rename the column if it is a real feature.",
            DataWarning,
        )
    numbered_ids = [c for c in X.columns if c not in all_missing and c not in row_numbers and _is_numbered_id(c, X)]
    if numbered_ids:
        warn(
            f"Dropped identifier column(s) {_short(numbered_ids)}: named as an ID and a distinct integer on every "
            "row (a record number, such as Titanic's PassengerId). Rename the column if it is a real feature.",
            DataWarning,
        )
    dropped = set(all_missing) | set(id_like) | set(row_numbers) | set(numbered_ids)
    if dropped:
        X = X.drop(columns=[c for c in X.columns if c in dropped])
    if X.shape[1] == 0:
        raise DataError(
            "No usable feature column is left after dropping all-missing and ID-like columns "
            f"({_short(sorted(dropped))}). Provide at least one informative feature."
        )
    return X


_ID_WORDS = {"id", "uuid", "guid"}


def _name_words(name) -> list[str]:
    """A column name's words, lowercased: split at camel case (``PassengerId``) and at what is not a letter or digit."""
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", str(name))
    return [w.lower() for w in re.split(r"[^A-Za-z0-9]+", name) if w]


def _is_numbered_id(name, frame: pd.DataFrame) -> bool:
    """A record number: a name with the word ID (``id``, ``customer_id``, ``PassengerId``; not ``paid``) and a
    distinct integer on every row. A repeated ID (a patient's, a school's) groups rows and is kept. (The name
    first: ``frame``'s column is read only for such a name.)"""
    if len(frame) < _MIN_ROWS_FOR_ID_CHECK or not _ID_WORDS & set(_name_words(name)):
        return False
    col = frame[name]
    return bool(pd.api.types.is_integer_dtype(col.dtype) and col.notna().all() and col.nunique() == len(col))


_INDEX_NAME = re.compile(r"^(unnamed: \d+|index|rownames|row\.names|row_names|\.\.\.1)?$", re.IGNORECASE)


def _is_row_number_column(name: str, frame: pd.DataFrame) -> bool:
    """An index written into the file: a column with an index's name (none, ``Unnamed: 0``, ``rownames``, ...)
    holding a distinct integer on every row (the row numbers, with gaps where rows were dropped or sampled).
    (The name first: ``frame``'s column is read only for such a name.)"""
    if len(frame) < _MIN_ROWS_FOR_ID_CHECK or not _INDEX_NAME.match(str(name)):
        return False
    col = frame[name]
    return bool(pd.api.types.is_integer_dtype(col.dtype) and col.notna().all() and col.nunique() == len(col))


def check_target(y: pd.Series, kind: str, target_name: str, cv_folds: int) -> None:
    if kind == REGRESSION:
        if is_categorical_dtype(y.dtype):
            raise DataError(
                f"The target {target_name!r} is not numeric (dtype {y.dtype}, e.g. {value_repr(y.iloc[0])}) but kind='regression'. "
                "Use kind='classification' or convert the target to numbers."
            )
        if y.nunique() <= 1:
            raise DataError(
                f"The regression target {target_name!r} is constant (every value is {value_repr(y.iloc[0])}). "
                "There is nothing to learn; choose another target."
            )
        return
    counts = y.value_counts()
    if len(counts) < 2:
        raise DataError(
            f"The target {target_name!r} has only one class ({value_repr(counts.index[0])}). "
            "Classification needs at least two classes; choose another target or add data of other classes."
        )
    if kind == BINARY and len(counts) > 2:
        raise DataError(
            f"kind='binary' but the target {target_name!r} has {len(counts)} classes ({_short(counts.index)}). "
            "Use kind='multiclass' or leave kind=None."
        )
    rare = counts[counts < cv_folds]
    if len(rare):
        items = [f"{value_repr(k)} ({v} rows)" for k, v in rare.head(5).items()]
        detail = ", ".join(items) + (f" and {len(rare) - 5} more" if len(rare) > 5 else "")
        if _looks_like_identifier(counts):
            raise DataError(
                f"The target {target_name!r} looks like an identifier, not a class label: {len(counts)} distinct values "
                f"in {int(counts.sum())} rows, {int((counts == 1).sum())} of them on a single row (e.g. {_short(counts.index, 3)}). "
                "Choose the column to predict as --target / y, or pass kind='regression' if it is a number to predict."
            )
        raise DataError(
            f"{len(rare)} class(es) of target {target_name!r} have fewer members than the {cv_folds} "
            f"cross-validation folds: {detail}. Merge or drop the rare classes, or use fewer folds (cv=...)."
        )


#: At most this share of the rows may be dropped as classes of one row; more such classes are no rare
#: classes but an identifier or a continuous target, which check_target refuses with its own message.
MAX_SINGLE_ROW_SHARE = 0.05


def single_row_classes(labels) -> list:
    """The classes of ``labels`` with a single row that :func:`rows_of_classes_with_more_than_one` drops: none when they
    exceed ``MAX_SINGLE_ROW_SHARE`` of the rows or when fewer than two classes of two rows would remain."""
    counts = pd.Series(np.asarray(labels, dtype=object)).value_counts(dropna=True)
    single = counts.index[counts == 1]
    if len(single) > MAX_SINGLE_ROW_SHARE * counts.sum() or (counts >= 2).sum() < 2:
        return []
    return list(single)


def fold_count(y, cv: int) -> int:
    """The folds a stratified cross-validation of the class labels ``y`` can have: ``cv``, or fewer (but at
    least 2) when a class has fewer rows than ``cv``, with a DataWarning. The labels are counted as
    :class:`Task` reads them (spaces around text stripped), without the classes of a single row that
    ``Task(single_row_classes="drop")`` drops. Real tables have rare classes, and stratified folds need every
    class in each; the peers (FLAML, AutoGluon) fit such data too."""
    labels = stripped_labels(pd.Series(y).dropna())  # " yes" and "yes" are one class to Task
    rarest = labels[~labels.isin(single_row_classes(labels))].value_counts()
    fewest = int(rarest.min())
    if 2 <= fewest < cv:
        warn(f"Class {value_repr(rarest.idxmin())} has only {fewest} rows, fewer than cv={cv}: cross-validating "
             f"with {fewest} folds. Merge rare classes to use more.", DataWarning)
        return fewest
    return cv


def rows_of_classes_with_more_than_one(y: pd.Series, target_name: str) -> np.ndarray:
    """The rows to keep: all but those of the classes :func:`single_row_classes` names (dropped, with a
    DataWarning).

    A class of one row can be learned or validated, not both: each cross-validation fold either trains
    without it or tests it against a model that never saw it. AutoGluon drops such classes too; a model
    fitted on the task does not predict them."""
    single = single_row_classes(y)
    if not single:
        return np.ones(len(y), dtype=bool)
    warn(f"Dropped the single row of class(es) {_short(single, 5)} of target {target_name!r}: a class of one "
         "row cannot be both learned and cross-validated, and the model will not predict it. Add rows of "
         "it or merge it into another class to keep it.", DataWarning)
    return ~y.isin(single).to_numpy()


def _looks_like_identifier(counts: pd.Series) -> bool:
    """A class target with many classes, most of them on one row: an ID or a free-text column, not labels."""
    return len(counts) >= _MIN_ROWS_FOR_ID_CHECK and (counts == 1).sum() > 0.5 * len(counts)


def warn_ambiguous_dates(columns: list[str]) -> None:
    """A DataWarning naming text columns of dates such as 01/02/2020 where no value shows whether the day or the
    month comes first: they stay text (a category), since a wrong guess would swap the two."""
    if columns:
        warn(
            f"Column(s) {_short(columns)} hold dates such as 01/02/2020 with no day above 12, so whether the day or "
            "the month comes first cannot be told: kept as text. Write them as 2020-02-01 (ISO 8601) or parse "
            "them with pandas.to_datetime(..., dayfirst=...) to use them as dates.",
            DataWarning,
        )


def warn_constant_features(X: pd.DataFrame) -> None:
    """A DataWarning when every feature is constant: no model can learn anything from such a table, and the
    meta-model's recommendations for it would be confident nonsense."""
    if all(X[c].nunique(dropna=False) <= 1 for c in X.columns):
        warn(
            f"Every feature column is constant ({_short(X.columns, 3)}): no model can do better than predicting the "
            "most frequent class or the mean, and recommendations for this table mean nothing. Check that the right "
            "columns were loaded.",
            DataWarning,
        )


def resolve_kind(y: pd.Series, kind: str | None) -> str:
    if kind is None:
        return infer_kind(y)
    if kind == "classification":
        return BINARY if y.nunique() <= 2 else MULTICLASS
    return kind
