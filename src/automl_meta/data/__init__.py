"""Tasks: loading, validating and describing the user's data.

>>> from automl_meta.data import Task
>>> task = Task.from_csv("data.csv", target="y")  # doctest: +SKIP
"""

from automl_meta.data._home import HOME_ENV, data_home
from automl_meta.data._sampling import stratified_subsample
from automl_meta.data._dates import date_orders, expand_datetimes, read_dates
from automl_meta.data._text import is_free_text
from automl_meta.data._numbers import is_missing_marker, parse_numbers
from automl_meta.data._corpus import default_manifest_path, iter_corpus, load_manifest, task_from_manifest_row
from automl_meta.data._io import read_table
from automl_meta.data._kinds import BINARY, DEFAULT_METRICS, KINDS, MULTICLASS, REGRESSION, infer_kind
from automl_meta.data._openml import load_openml, task_from_openml_dataset
from automl_meta.data._task import Task
from automl_meta.data._validate import MIN_ROWS, DataWarning, single_row_classes, stripped_labels, value_repr

__all__ = [
    "Task",
    "stratified_subsample",
    "data_home",
    "HOME_ENV",
    "DataWarning",
    "infer_kind",
    "read_table",
    "expand_datetimes",
    "date_orders",
    "read_dates",
    "is_free_text",
    "parse_numbers",
    "is_missing_marker",
    "load_manifest",
    "iter_corpus",
    "task_from_manifest_row",
    "default_manifest_path",
    "load_openml",
    "task_from_openml_dataset",
    "BINARY",
    "MULTICLASS",
    "REGRESSION",
    "KINDS",
    "DEFAULT_METRICS",
    "MIN_ROWS",
    "single_row_classes",
    "stripped_labels",
    "value_repr",
]
