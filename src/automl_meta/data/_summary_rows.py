"""A spreadsheet report's summary rows ("Total", "Average") at the end of a table, found and dropped.

A report exported to CSV or Excel often ends with a row of sums (or means) of the rows above it, labelled
"Total" in a text cell. Read as data it is one more row, but an extreme one: its target is the sum of every
other row's, which alone can make a regression's R² meaningless (a 800-row table of house prices with such a
row scored R² 0.43 in cross-validation, 0.9 without it). The test is strict, so that a real row is never taken
for a summary: every filled number of the row must be the sum of its column's values above it (or, where a
text cell of the row says "Total", "Average", ..., their sum or their mean).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from automl_meta._internal._format import value_repr
from automl_meta._internal._warnings import warn

#: A summary row's label, in any text cell (compared lower-cased, stripped, a trailing ":" allowed).
SUMMARY_LABEL = re.compile(r"^(grand\s+|sub-?\s*)?totals?\b|^(sum|summe|gesamt|totaal|totale|average|mean)\b")
#: The relative difference allowed between a summary cell and the sum or mean it shows (exports round them).
TOLERANCE = 1e-3
#: At most this many summary rows are dropped from a table's end ("Total", then "Average", ...).
MAX_SUMMARY_ROWS = 3


def rows_before_summary_rows(X: pd.DataFrame, y: pd.Series, target_name: str) -> np.ndarray:
    """The rows to keep (a boolean mask): all but the summary rows at the end of ``X`` and ``y`` (row-aligned,
    indexed 0..n-1), which are dropped with a :class:`~automl_meta.data.DataWarning` naming them."""
    frame = pd.concat([X.reset_index(drop=True), y.reset_index(drop=True).rename(target_name)], axis=1)
    frame.columns = range(frame.shape[1])  # by position: names may repeat; the target is the last column
    keep = np.ones(len(frame), dtype=bool)
    # the largest block of rows at the end that all summarize the rows above the block ("Total" then "Average")
    for size in range(min(MAX_SUMMARY_ROWS, len(frame) - 3), 0, -1):
        above = frame.iloc[:-size]
        if all(_is_summary(frame.iloc[i], above) for i in range(len(frame) - size, len(frame))):
            keep[-size:] = False
            break
    if not keep.all():
        from automl_meta.data._validate import DataWarning

        shown = ", ".join(_described(frame.iloc[i], target_name) for i in np.flatnonzero(~keep))
        warn(f"Dropped {int((~keep).sum())} summary row(s) at the end of the table ({shown}): each holds the sums "
             "or means of the rows above it, not an example. Remove such rows from the file to avoid this.",
             DataWarning)
    return keep


def _is_summary(row: pd.Series, above: pd.DataFrame) -> bool:
    """Whether ``row`` summarizes the rows ``above`` it."""
    labelled = any(_is_label(value, above[c]) for c, value in row.items() if isinstance(value, str))
    filled = [c for c, value in row.items() if _is_number(value) and pd.api.types.is_numeric_dtype(above[c])]
    if not filled:
        return False
    for c in filled:
        values = above[c].dropna().to_numpy(dtype=float)
        if len(values) < 2 or not (_is_sum(float(row[c]), values) or labelled and _is_mean(float(row[c]), values)):
            return False
    return True


def _is_label(value: str, column: pd.Series) -> bool:
    """Whether ``value`` (the last row's) labels a summary row: a label, found in no row of ``column`` above it
    (a category that happens to be called "total" is not a label)."""
    text = _normalized(value)
    return bool(SUMMARY_LABEL.match(text)) and not column.dropna().map(_normalized).eq(text).any()


def _normalized(value) -> str:
    return str(value).strip().lower().rstrip(":").strip()


def _is_number(value) -> bool:
    return isinstance(value, (int, float, np.number)) and not isinstance(value, bool) and np.isfinite(value)


def _is_sum(value: float, values: np.ndarray) -> bool:
    total = values.sum()
    # larger than any single value: a column of zeros (sum 0) or of one large value does not make a sum row
    return abs(total) > np.abs(values).max() and abs(value - total) <= TOLERANCE * abs(total)


def _is_mean(value: float, values: np.ndarray) -> bool:
    mean = values.mean()
    return abs(value - mean) <= TOLERANCE * max(abs(mean), 1e-12)


def _described(row: pd.Series, target_name: str) -> str:
    label = next((v.strip() for v in row if isinstance(v, str) and SUMMARY_LABEL.match(_normalized(v))), None)
    target = row.iloc[-1]
    return (f"{label!r}, " if label else "") + f"{target_name} {value_repr(target)}"
