"""Numbers written as text, read as numbers.

Real tables often hold numbers a CSV reader leaves as text: a missing value written ``?``, ``-`` or ``n/a`` among
numbers (KEEL's and UCI's files, spreadsheet exports), thousands separators (``"32,648"``), a percent sign
(``70%``), a currency symbol (``$1,200``, ``47,21 €``), a unit (``1248 CC``, ``74 bhp``) or a decimal comma
(``3,5``, in files written with ``;`` as the delimiter), a space or an apostrophe between thousands (``32 648``,
``32'648``) or an accountant's negative (``(1,234)``). Left as text, such a column is a category with hundreds of
levels: its order is lost and most of its levels are too rare to keep. A text column is read as numbers when,
apart from the missing markers, at least :data:`MIN_SHARE` of its values parse as numbers once the decorations
are stripped (and, if any does not, it has more than :data:`MAX_LEVELS_WITH_TEXT` distinct numbers); the values
that do not parse become missing (and the warning says how many). The same parser runs inside the models'
encoder, so that a fitted model given the raw text at prediction reads it the same way.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

#: What a spreadsheet writes in a cell whose formula failed (a division by zero, a missing reference), lower-cased.
_SPREADSHEET_ERRORS = frozenset({"#div/0!", "#value!", "#ref!", "#num!", "#name?", "#null!"})
#: Text that stands for a missing value in real files, compared after stripping spaces, case-insensitively
#: (pandas' readers already read "", "NA", "N/A", "NULL", "nan" and a few more as missing).
MISSING_MARKERS = frozenset({"?", "-", "--", ".", "na", "n/a", "n.a.", "nan", "null", "<null>", "<na>", "none", "missing",
                             "#n/a", "#na"} | _SPREADSHEET_ERRORS)
#: The markers that make a target value missing: not "none", "missing", "-" or ".", which can be class labels
#: ("none" / "mild" / "severe").
TARGET_MISSING_MARKERS = frozenset({"?", "na", "n/a", "n.a.", "nan", "null", "<null>", "<na>", "#n/a", "#na"}
                                   | _SPREADSHEET_ERRORS)
#: A column is read as numbers when at least this share of its non-missing values parses: a stray typo does not
#: keep a numeric column text, while a categorical column with a few numeric codes stays categorical.
MIN_SHARE = 0.95
#: ... and it has at least this many values that parse (a handful could be anything).
MIN_NUMBERS = 5
#: A text column of more rows than this is first judged on a seeded sample of :data:`SAMPLE_ROWS` of them: where
#: fewer than :data:`SAMPLE_MIN_SHARE` of the sample's present values parse, it is not a column of numbers, and
#: its hundreds of thousands of distinct values (free text, identifiers) are not parsed one by one. The sample
#: can only turn away columns that parsing every row would turn away too: a column of numbers has at least 95%
#: of its values parse, and in a sample of 2,000 rows its share falls below 40% with a probability of no
#: practical size. (The sample's unit rule, "at least half end in it", may differ from the column's near 50%:
#: hence 40%, not 95%.)
SAMPLE_ROWS = 2_000
SAMPLE_MIN_SHARE = 0.4
_SAMPLED_ABOVE = 10 * SAMPLE_ROWS
#: A column with text that does not parse is read as numbers only with more distinct numbers than this: a few
#: numbers and a word (grades "9" to "12" and "other", counts "1" to "3" and ">3") are categories, the word one
#: of them, which reading them as numbers would lose; many numbers and a typo are a numeric column.
MAX_LEVELS_WITH_TEXT = 20

_CURRENCY = "$€£¥"
_THOUSANDS = re.compile(r"^[+-]?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?$")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d*,\d+$")
# 1.234,5: points between thousands and a decimal comma (German, Spanish, Italian, ... spreadsheets)
_POINT_THOUSANDS = re.compile(r"^[+-]?[1-9]\d{0,2}(?:\.\d{3})+(?:,\d+)?$")
_COMMA_DECIMALS = re.compile(r"^[+-]?[\d.]*,\d+$")  # a decimal comma, points allowed before it


def _strip(values: pd.Series) -> pd.Series:
    """Spaces, a currency symbol before or after the number and a trailing percent sign removed; missing
    markers made missing."""
    text = values.astype(str).str.strip().str.replace("\u2212", "-", regex=False)  # the typographic minus sign
    text = text.where(~text.str.lower().isin(MISSING_MARKERS))
    text = text.str.replace(f"^([+-]?)[{_CURRENCY}]\\s*", r"\1", regex=True).str.replace(r"\s*%$", "", regex=True)
    text = text.str.replace(f"(?<=\\d)\\s*[{_CURRENCY}]$", "", regex=True)  # 47,21 €: the symbol after the number
    text = text.str.replace(r"^\((\d[\d,.]*)\)$", r"-\1", regex=True)  # an accountant's negative: (1,234)
    return text.str.replace(r"(?<=\d)[ \u00a0\u202f'](?=\d{3}(?:\D|$))", "", regex=True)  # 32 648, 32'648


_WITH_UNIT = r"^(.*\d)\s*([A-Za-z\u00b5\u00b0][A-Za-z/\u00b2\u00b3]{0,11}\.?)$"


def _without_unit(text: pd.Series, counts: np.ndarray) -> pd.Series:
    """One unit written after the numbers (``1248 CC``, ``74 bhp``, ``12.5 kg``) removed, where at least half
    of the values (``text`` holds distinct values, each standing for ``counts`` rows) end in it and no value
    ends in another: a column mixing units (``5 kg``, ``500 g``) or suffixes (``1st``, ``2nd``) keeps them,
    and stays text."""
    present = text.dropna()
    if present.empty:
        return text
    parts = present.str.extract(_WITH_UNIT)
    with_unit = parts[1].notna()
    weights = counts[text.index.get_indexer(present.index)]
    if weights[with_unit.to_numpy()].sum() < 0.5 * weights.sum() or parts.loc[with_unit, 1].str.lower().nunique() != 1:
        return text
    return text.where(~text.index.isin(present.index[with_unit]), parts[0].reindex(text.index))


def _without_commas(text: pd.Series) -> pd.Series:
    """Thousands separators removed, or a decimal comma made a point, when the column uses one consistently."""
    comma = text.str.contains(",", regex=False, na=False)
    if not comma.any():
        return text
    with_comma = text[comma]
    if with_comma.str.match(_THOUSANDS).all():
        return text.str.replace(",", "", regex=False)
    point = text.str.contains(".", regex=False, na=False)
    if point.any() and text[point].str.match(_POINT_THOUSANDS).all() and with_comma.str.match(_COMMA_DECIMALS).all():
        return text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    if with_comma.str.match(_DECIMAL_COMMA).all() and not text.str.contains(".", regex=False, na=False).any():
        return text.str.replace(",", ".", regex=False)
    return text


def parse_numbers(col: pd.Series) -> pd.Series:
    """``col`` as floats: numbers written as text parsed, missing markers and what does not parse missing."""
    if pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype):
        return col.astype(float)
    return _parsed(col, *_distinct_text(col))


def _parsed(col: pd.Series, codes: np.ndarray, distinct: pd.Series, counts: np.ndarray) -> pd.Series:
    text = _without_unit(_strip(distinct), counts)
    numbers = pd.to_numeric(_without_commas(text), errors="coerce").astype(float).to_numpy()
    return pd.Series(numbers[codes], index=col.index)


def _distinct_text(col: pd.Series) -> tuple[np.ndarray, pd.Series, np.ndarray]:
    """``col``'s values as text, as each row's code into the distinct values, the distinct values and how many
    rows hold each. Parsing reads each distinct value once: a 500,000-row column of 300 codes costs what 300
    values do (read row by row, the two text columns of a 500,000-row table took 3.8 s, now 0.17 s:
    benchmarks/bench_reading.py)."""
    # the text, not the value, is what is factorized: as objects, 1, 1.0 and True would be one value
    codes, distinct = pd.factorize(col.astype(object).where(col.notna()).astype(str), use_na_sentinel=False)
    return codes, pd.Series(distinct, dtype=object), np.bincount(codes, minlength=len(distinct))


def is_missing_marker(col: pd.Series, markers=MISSING_MARKERS) -> pd.Series:
    """Where ``col`` is missing or holds one of ``markers``."""
    return col.isna() | col.astype(str).str.strip().str.lower().isin(markers)


def is_text(col: pd.Series) -> bool:
    """Object or string dtype; a pandas "category" column is not text here: the user declared it categorical."""
    return col.dtype == object or (pd.api.types.is_string_dtype(col.dtype) and not isinstance(col.dtype, pd.CategoricalDtype))


def as_numbers(col: pd.Series) -> tuple[pd.Series, int] | None:
    """``col`` parsed (:func:`parse_numbers`) and how many of its present values did not parse, where it is a
    text column of numbers by the rule of this module's docstring; None where it is not."""
    if not is_text(col) or pd.api.types.infer_dtype(col, skipna=True) == "boolean":
        return None
    if len(col) > _SAMPLED_ABOVE and not _sample_parses(col):
        return None
    n_present, parsed = _present_and_parsed(col)
    if n_present == 0:
        return None
    n_numbers = int(parsed.notna().sum())
    if n_numbers < MIN_NUMBERS or n_numbers < MIN_SHARE * n_present:
        return None
    if n_numbers < n_present and parsed.nunique() <= MAX_LEVELS_WITH_TEXT:
        return None
    return parsed, n_present - n_numbers


def _present_and_parsed(col: pd.Series) -> tuple[int, pd.Series]:
    """How many of ``col``'s values are present (not missing, not a missing marker), and ``col`` parsed (the
    markers parse as missing: its numbers are present values)."""
    codes, distinct, counts = _distinct_text(col)
    n_present = int(counts[~is_missing_marker(distinct).to_numpy()].sum())
    return n_present, _parsed(col, codes, distinct, counts)


def _sample_parses(col: pd.Series) -> bool:
    """Whether at least :data:`SAMPLE_MIN_SHARE` of the present values of a seeded sample of ``col``'s rows parse."""
    rows = np.random.default_rng(0).choice(len(col), size=SAMPLE_ROWS, replace=False)
    n_present, parsed = _present_and_parsed(col.iloc[np.sort(rows)])
    return n_present == 0 or int(parsed.notna().sum()) >= SAMPLE_MIN_SHARE * n_present


def read_numeric_text(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """``frame`` with its text columns of numbers parsed (:func:`as_numbers`), and those columns, each with how
    many of its present values did not parse."""
    parsed, found = {}, {}
    for c, dtype in frame.dtypes.items():
        if dtype != object and not pd.api.types.is_string_dtype(dtype):  # as is_text: the type first
            continue
        numbers = as_numbers(frame[c])
        if numbers is not None:
            parsed[c] = numbers[0].to_numpy(dtype=np.float64)
            found[str(c)] = numbers[1]
    if not found:
        return frame, found
    return frame.assign(**parsed), found
