"""Free-text columns: a comment, a description, a title, an e-mail's subject.

A column of sentences is neither a category (its values hardly repeat: all but a few would pool into "other")
nor an identifier (its values are distinct on every row, but its words recur across rows and can carry the
signal). A column is read as free text when it holds strings, at least ``MIN_TEXT_ROWS`` of them, at least
``MIN_DISTINCT_FRACTION`` of them distinct, with ``MIN_MEAN_WORDS`` words or more on average (a word: two or more
letters; numbers and codes such as "A-12" do not count, so that names of two words, postcodes and dates written
as text stay categories or identifiers). The data checks keep such a column (they drop other columns distinct on
every row as identifiers); the models' encoder turns its words into numbers (``automl_meta.models._text``).
Meta-features count it as a categorical column, as the meta-dataset's tasks (which hold no such column) would.
"""

from __future__ import annotations

import pandas as pd

#: A column is judged as text only with at least this many non-missing values.
MIN_TEXT_ROWS = 20
#: At least this share of the non-missing values distinct (fewer: a category, whatever its words).
MIN_DISTINCT_FRACTION = 0.5
#: At least this many words per value on average.
MIN_MEAN_WORDS = 3.0
#: The words are counted on the first this many values (the distinct share on all).
WORD_SAMPLE = 1000
#: A word: a run of two or more letters (any alphabet).
WORD_PATTERN = r"[^\W\d_]{2,}"


def is_free_text(col: pd.Series) -> bool:
    """Whether ``col`` is a free-text column (see the module docstring). A column the user declared
    categorical (``category`` dtype) is never text."""
    if pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype):
        return False
    if isinstance(col.dtype, pd.CategoricalDtype):
        return False
    values = col.dropna()
    if len(values) < MIN_TEXT_ROWS:
        return False
    head = values.iloc[:WORD_SAMPLE]
    if not all(isinstance(v, str) for v in head):
        return False
    if head.str.count(WORD_PATTERN).mean() < MIN_MEAN_WORDS:
        return False
    return values.nunique() >= MIN_DISTINCT_FRACTION * len(values)
