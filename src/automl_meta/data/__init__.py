"""Tasks: loading, validating and describing the user's data.

>>> from automl_meta.data import Task
>>> task = Task.from_csv("data.csv", target="y")  # doctest: +SKIP
"""

from automl_meta.data._home import data_home
from automl_meta.data._sampling import stratified_subsample
from automl_meta.data._dates import columns_before_expansion, expand_datetimes, expanded_dates, read_dates
from automl_meta.data._text import is_free_text
from automl_meta.data._numbers import is_missing_marker, parse_numbers
from automl_meta.data._corpus import default_manifest_path, iter_corpus, load_manifest
from automl_meta.data._io import read_table
from automl_meta.data._kinds import BINARY, MULTICLASS, REGRESSION, resolve_scoring
from automl_meta.data._openml import load_openml
from automl_meta.data._task import Task
from automl_meta.data._validate import DataWarning, fold_count, group_fold_count

# For users: Task, DataWarning, read_table and the corpus and OpenML loaders. For the other layers: the repairs
# the encoder repeats at prediction (numbers, dates, free text), the one seeded subsample, the data home, the
# task kinds, and the folds a class's rows allow.
__all__ = [
    "Task",
    "DataWarning",
    "read_table",
    "load_manifest",
    "iter_corpus",
    "default_manifest_path",
    "load_openml",
    "data_home",
    "stratified_subsample",
    "fold_count",
    "group_fold_count",
    "resolve_scoring",
    "expand_datetimes",
    "expanded_dates",
    "columns_before_expansion",
    "read_dates",
    "is_free_text",
    "parse_numbers",
    "is_missing_marker",
    "BINARY",
    "MULTICLASS",
    "REGRESSION",
]
