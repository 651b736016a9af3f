"""Date and time columns as numbers a model can use.

A date column is neither a category (its values hardly repeat: as text it would be dropped as an identifier) nor
one number: it carries a trend and cycles. Each one is replaced by its time in days since 1970-01-01 (the trend;
missing stays missing) and its year, month, day of the month and day of the week, plus the hour where the times
are not all midnight; a duration (``timedelta64``) becomes its seconds. Date columns are those of a
``datetime64`` type (with or without a time zone; read in UTC) and text columns whose every value is an ISO 8601
date or time (``2024-03-01``, ``2024-03-01 14:30``, ``2024-03-01T14:30:00Z``: what a CSV of dates usually holds)
or a date written with its day, month and four-digit year (``15/03/2024``, ``3/15/2024 2:30 PM``, ``15.03.2024``,
``2024/03/15``), optionally with a time. Which of day and month comes first is read from the column: a first
number above 12 somewhere makes it day first, a second one month first, dots are day first (the German
convention); a column where neither shows stays text (``date_orders(..., with_ambiguous=True)`` names it, and
``Task`` warns). The same function runs when a task is built and inside the models' encoder, so that a fitted model
given the raw column at prediction expands it the same way; the estimators keep each column's order
(``Task.date_orders``), so that a batch of a few rows is read as the training rows were.
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
#: A date with day and month as numbers and a four-digit year last (15/03/2024, 3-15-2024, 15.03.2024) or first
#: with slashes (2024/03/15), optionally a time with an AM / PM; groups: a, separator, b, year or year, b, a.
_NUMBERED = (r"^(?:(?P<a>\d{1,2})(?P<sep>[/.\-])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4})"
             r"|(?P<y2>\d{4})/(?P<m2>\d{1,2})/(?P<d2>\d{1,2}))"
             r"(?:[ T](?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:\.\d+)?)?\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?)?$")
#: What :func:`date_orders` gives a column: a datetime64 type, ISO 8601 text, or numbered dates day first, month
#: first or year first.
ORDERS = ("datetime", "iso", "dmy", "mdy", "ymd")


def is_datetime(dtype) -> bool:
    return pd.api.types.is_datetime64_any_dtype(dtype)


def _text_values(col: pd.Series, least: int = MIN_TEXT_DATES) -> pd.Series | None:
    """The present values of a text column that may hold dates (at least ``least``, all strings); else None."""
    if pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype):
        return None
    values = col.dropna()
    if len(values) < least or not all(isinstance(v, str) for v in values.iloc[:100]):
        return None
    return values


def _all_match(values: pd.Series, pattern: str) -> pd.Series | None:
    """The values without the spaces around them where every one matches ``pattern``; else None."""
    # the first 100 values first: most text columns are ruled out without scanning (or stripping) every row
    if not values.iloc[:100].astype(str).str.strip().str.match(pattern).all():
        return None
    stripped = values.astype(str).str.strip()
    return stripped if stripped.str.match(pattern).all() else None


def _numbered_order(values: pd.Series) -> str | None:
    """"dmy", "mdy" or "ymd" for numbered dates whose order the values show; "?" where they do not; None when
    they are not numbered dates."""
    stripped = _all_match(values, _NUMBERED)
    if stripped is None:
        return None
    parts = stripped.str.extract(_NUMBERED)
    if parts["y2"].notna().all():
        return "ymd"
    if parts["y2"].notna().any():
        return None  # two layouts in one column: not read as dates
    first, second = parts["a"].astype(int), parts["b"].astype(int)
    if (first > 12).any() and (second <= 12).all():
        return "dmy"
    if (second > 12).any() and (first <= 12).all():
        return "mdy"
    if (first <= 12).all() and (second <= 12).all() and (parts["sep"] == ".").all():
        return "dmy"
    return "?"


def _order(col: pd.Series, least: int = MIN_TEXT_DATES) -> str | None:
    """What :func:`date_orders` says of one column ("?": numbered dates whose order cannot be told)."""
    if is_datetime(col.dtype):
        return "datetime"
    values = _text_values(col, least)
    if values is None:
        return None
    return "iso" if _all_match(values, ISO_PATTERN) is not None else _numbered_order(values)


def date_orders(frame: pd.DataFrame, with_ambiguous: bool = False) -> dict[str, str]:
    """The columns :func:`expand_datetimes` reads as dates, each with how (one of :data:`ORDERS`).
    ``with_ambiguous``: also the text columns of numbered dates (01/02/2020) where no value tells whether the
    day or the month comes first, as ``"?"`` (they stay text)."""
    # read off the types first: a column of a numeric type is no date column (one access a column took 0.13 s of
    # every fold's encoding of a 3,000-column table)
    orders = {c: _order(frame[c]) for c, dtype in frame.dtypes.items() if not pd.api.types.is_numeric_dtype(dtype)}
    return {c: o for c, o in orders.items() if o in ORDERS or (with_ambiguous and o == "?")}


def _numbered_as_iso(col: pd.Series, order: str) -> pd.Series:
    """Numbered dates as ISO 8601 text (what does not match: missing), the time in 24 hours."""
    parts = col.astype(object).where(col.notna()).astype(str).str.strip().str.extract(_NUMBERED)
    if order == "ymd":
        year, month, day = parts["y2"], parts["m2"], parts["d2"]
    else:
        year = parts["y"]
        month, day = (parts["a"], parts["b"]) if order == "mdy" else (parts["b"], parts["a"])
    hour = pd.to_numeric(parts["h"], errors="coerce")
    ampm = parts["ampm"].str[0].str.lower()
    hour = hour.where(ampm.isna(), hour % 12 + np.where(ampm == "p", 12, 0))
    date = year + "-" + month.str.zfill(2) + "-" + day.str.zfill(2)
    time = hour.astype("Int64").astype(str).str.zfill(2) + ":" + parts["mi"] + ":" + parts["s"].fillna("00")
    return date.where(hour.isna(), date + " " + time)


def _as_utc_naive(col: pd.Series, order: str = "iso") -> pd.Series:
    if order in ("dmy", "mdy", "ymd") and not is_datetime(col.dtype):
        col = _numbered_as_iso(col, order)
    if not is_datetime(col.dtype):  # text: parsed, offsets applied (values without one are taken as UTC)
        col = col.map(lambda v: v.strip() if isinstance(v, str) else v)  # " 2024-03-01" is a date too
        col = pd.to_datetime(col, format="ISO8601", errors="coerce", utc=True)
    if getattr(col.dt, "tz", None) is not None:
        col = col.dt.tz_convert("UTC").dt.tz_localize(None)
    return col.astype("datetime64[ns]")


def _durations_as_seconds(frame: pd.DataFrame) -> pd.DataFrame:
    """``timedelta64`` columns (durations: a difference of two dates) as their seconds, a plain number; the
    same object when there is none."""
    durations = [c for c, dtype in frame.dtypes.items() if pd.api.types.is_timedelta64_dtype(dtype)]
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
    columns to read as dates (default: :func:`date_orders`), a list or a dict of column -> order; at prediction
    the encoder passes the ones its fit expanded, so that a batch of missing values or of another type is read
    the same way (what does not parse becomes missing; a listed column of numbered dates is read in the order
    its values show, month first where they show none, as pandas does). The same object when there is no date
    column."""
    frame = _durations_as_seconds(frame)
    if dates is None:
        dates = date_orders(frame)
    else:  # a column already numeric (expanded before) is left as it is
        given = dates if isinstance(dates, dict) else {c: None for c in dates}
        dates = {c: o or _order(frame[c], least=1) or "iso" for c, o in given.items()
                 if c in frame.columns and not pd.api.types.is_numeric_dtype(frame[c].dtype)}
        dates = {c: "mdy" if o == "?" else o for c, o in dates.items()}
    if not dates:
        return frame
    columns = {}
    for c in frame.columns:
        if c not in dates:
            columns[c] = frame[c]
            continue
        values = _as_utc_naive(frame[c], dates[c])
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


def expanded_dates(names) -> list[str]:
    """The date columns :func:`expand_datetimes` expanded, among ``names`` (the columns it returned): each has
    its ``<name>__year`` beside it."""
    names = [str(c) for c in names]
    present = set(names)
    return [c for c in names if f"{c}__year" in present]


def columns_before_expansion(names) -> list[str]:
    """``names`` (the columns :func:`expand_datetimes` returned) less the ``<date>__<part>`` columns it added:
    the columns of the table it was given."""
    added = {f"{d}__{part}" for d in expanded_dates(names) for part in (*PARTS, "hour")}
    return [str(c) for c in names if str(c) not in added]


def read_dates(frame: pd.DataFrame, orders: dict[str, str]) -> pd.DataFrame:
    """``frame`` with its text columns named in ``orders`` (:func:`date_orders` of the training data) parsed to
    ``datetime64`` in that order, so that a batch at prediction (a single row, say) is read as the training
    rows were; what does not parse becomes missing. The same object when there is nothing to parse."""
    text = [c for c, o in orders.items() if o in ("iso", "dmy", "mdy", "ymd") and c in frame.columns
            and not is_datetime(frame[c].dtype) and not pd.api.types.is_numeric_dtype(frame[c].dtype)]
    if not text:
        return frame
    frame = frame.copy()
    for c in text:
        frame[c] = _as_utc_naive(frame[c], orders[c])
    return frame
