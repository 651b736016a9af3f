"""Date and time columns as numbers a model can use.

A date column is neither a category (its values hardly repeat: as text it would be dropped as an identifier) nor
one number: it carries a trend and cycles. Each one is replaced by its time in days since 1970-01-01 (the trend;
missing stays missing) and its year, month, day of the month and day of the week, plus the hour where the times
are not all midnight; a duration (``timedelta64``) becomes its seconds. Date columns are those of a
``datetime64`` type (with or without a time zone; read in UTC) and text columns whose every value is an ISO 8601
date or time (``2024-03-01``, ``2024-03-01 14:30``, ``2024-03-01T14:30:00Z``: what a CSV of dates usually holds;
other formats such as 01/02/2020 are ambiguous and stay text). The same function runs when a task is built and
inside the models' encoder, so that a fitted model given the raw column at prediction expands it the same way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Calendar parts added for each date column (the hour only where some time is not midnight).
PARTS = ("year", "month", "day", "day_of_week")
#: An ISO 8601 date, optionally with a time and a UTC offset.
ISO_PATTERN = r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?$"
#: A text column is read as dates only with at least this many values (a handful could be anything).
MIN_TEXT_DATES = 5


def is_datetime(dtype) -> bool:
    return pd.api.types.is_datetime64_any_dtype(dtype)


def _iso_text(col: pd.Series) -> bool:
    if pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype):
        return False
    values = col.dropna()
    head = values.iloc[:100]
    if len(values) < MIN_TEXT_DATES or not all(isinstance(v, str) for v in head):
        return False
    # the first 100 values first: most text columns are ruled out without scanning every row
    return bool(head.str.match(ISO_PATTERN).all() and values.astype(str).str.match(ISO_PATTERN).all())


def date_columns(frame: pd.DataFrame) -> list[str]:
    """The columns :func:`expand_datetimes` reads as dates: ``datetime64`` ones and ISO 8601 text."""
    return [c for c in frame.columns if is_datetime(frame[c].dtype) or _iso_text(frame[c])]


def _as_utc_naive(col: pd.Series) -> pd.Series:
    if not is_datetime(col.dtype):  # text: parsed, offsets applied (values without one are taken as UTC)
        col = pd.to_datetime(col, format="ISO8601", errors="coerce", utc=True)
    if getattr(col.dt, "tz", None) is not None:
        col = col.dt.tz_convert("UTC").dt.tz_localize(None)
    return col.astype("datetime64[ns]")


def _durations_as_seconds(frame: pd.DataFrame) -> pd.DataFrame:
    """``timedelta64`` columns (durations: a difference of two dates) as their seconds, a plain number; the
    same object when there is none."""
    durations = [c for c in frame.columns if pd.api.types.is_timedelta64_dtype(frame[c].dtype)]
    if not durations:
        return frame
    frame = frame.copy()
    for c in durations:
        frame[c] = frame[c].dt.total_seconds()
    return frame


def expand_datetimes(frame: pd.DataFrame, hour: str = "auto", dates=None) -> pd.DataFrame:
    """``frame`` with each date column replaced by numeric columns ``<name>`` (days since 1970) and
    ``<name>__<part>`` (a part whose name is already a column is left out).

    ``hour``: "auto" adds ``<name>__hour`` where some time is not midnight, "always" everywhere. ``dates``: the
    columns to read as dates (default: :func:`date_columns`); at prediction the encoder passes the ones its fit
    expanded, so that a batch of missing values or of another type is read the same way (what does not parse
    becomes missing). The same object when there is no date column."""
    frame = _durations_as_seconds(frame)
    if dates is None:
        dates = date_columns(frame)
    else:  # a column already numeric (expanded before) is left as it is
        dates = [c for c in dates if c in frame.columns and not pd.api.types.is_numeric_dtype(frame[c].dtype)]
    if not dates:
        return frame
    columns = {}
    for c in frame.columns:
        if c not in dates:
            columns[c] = frame[c]
            continue
        values = _as_utc_naive(frame[c])
        days = values.to_numpy().astype(np.int64) / 86_400e9
        columns[c] = pd.Series(np.where(values.isna().to_numpy(), np.nan, days), index=frame.index)
        parts = list(PARTS)
        if hour == "always" or ((values.dt.hour.fillna(0) != 0) | (values.dt.minute.fillna(0) != 0)).any():
            parts.append("hour")
        for part in parts:
            name = f"{c}__{part}"
            if name not in frame.columns:
                value = values.dt.hour + values.dt.minute / 60 if part == "hour" else getattr(values.dt, part)
                columns[name] = value.astype(float)
    return pd.DataFrame(columns, index=frame.index)
