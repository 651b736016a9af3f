"""Date and time columns as numbers a model can use.

A ``datetime64`` column (with or without a time zone) is neither a category (its values hardly repeat: as text
it would be dropped as an identifier) nor one number: it carries a trend and cycles. Each one is replaced by
its time in days since 1970-01-01 (the trend; missing stays missing) and its year, month, day of the month and
day of the week, plus the hour where the times are not all midnight. The same function runs when a task is
built and inside the models' encoder, so that a fitted model given the raw column at prediction expands it the
same way. Dates kept as text (a CSV read without ``parse_dates``) are left to the user: guessing date formats
is ambiguous (01/02/2020).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Calendar parts added for each date column (the hour only where some time is not midnight).
PARTS = ("year", "month", "day", "day_of_week")


def is_datetime(dtype) -> bool:
    return pd.api.types.is_datetime64_any_dtype(dtype)


def expand_datetimes(frame: pd.DataFrame, hour: str = "auto") -> pd.DataFrame:
    """``frame`` with each date column replaced by numeric columns ``<name>`` (days since 1970) and
    ``<name>__<part>`` (a part whose name is already a column is left out). ``hour``: "auto" adds
    ``<name>__hour`` where some time is not midnight, "always" everywhere (at prediction, where the encoder keeps
    the columns it was fitted on). The same object when there is no date column."""
    dates = [c for c in frame.columns if is_datetime(frame[c].dtype)]
    if not dates:
        return frame
    columns = {}
    for c in frame.columns:
        col = frame[c]
        if c not in dates:
            columns[c] = col
            continue
        if getattr(col.dt, "tz", None) is not None:
            col = col.dt.tz_convert("UTC").dt.tz_localize(None)
        values = col.astype("datetime64[ns]")
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
