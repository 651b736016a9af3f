"""Loading OpenML datasets and tasks as :class:`~automl_meta.data.Task` (needs the optional ``openml`` package).

There is no network in every environment; :func:`task_from_openml_dataset` does the conversion on an
``OpenMLDataset`` object, which can also be built from a locally saved ARFF file.
"""

from __future__ import annotations

import pandas as pd

from automl_meta.data._task import Task
from automl_meta.errors import DataError


def _import_openml():
    try:
        import openml
    except ImportError as exc:
        raise DataError("Loading from OpenML needs the openml package: pip install 'automl-meta[openml]'.") from exc
    return openml


def task_from_openml_dataset(dataset, target: str | None = None, **kwargs) -> Task:
    """Convert an ``openml.datasets.OpenMLDataset`` into a Task.

    The target is ``target`` or the dataset's default target attribute; OpenML's categorical indicator is
    honoured by turning those columns into pandas categoricals.
    """
    target = target or dataset.default_target_attribute
    if not target:
        raise DataError(
            f"OpenML dataset {dataset.name!r} has no default target attribute. Pass target='<column>'."
        )
    X, y, categorical, names = dataset.get_data(target=target)
    for col, is_cat in zip(names, categorical):
        if is_cat and col in X.columns and not isinstance(X[col].dtype, pd.CategoricalDtype):
            X[col] = X[col].astype("category")
    kwargs.setdefault("name", dataset.name)
    return Task(X, y, target_name=target, **kwargs)


def load_openml(dataset_id: int | None = None, *, task_id: int | None = None, target: str | None = None, **kwargs) -> Task:
    """Download (or read from openml's cache) a dataset by id, or the dataset and target of an OpenML task."""
    if (dataset_id is None) == (task_id is None):
        raise DataError("Pass exactly one of dataset_id=... or task_id=... to load_openml.")
    openml = _import_openml()
    try:
        if task_id is not None:
            oml_task = openml.tasks.get_task(int(task_id), download_data=False)
            dataset = oml_task.get_dataset()
            target = target or getattr(oml_task, "target_name", None)
        else:
            dataset = openml.datasets.get_dataset(int(dataset_id), download_data=True)
    except Exception as exc:  # network errors, unknown ids
        which = f"task {task_id}" if task_id is not None else f"dataset {dataset_id}"
        raise DataError(f"Could not load OpenML {which} ({exc}). Check the id and the network connection.") from exc
    return task_from_openml_dataset(dataset, target=target, **kwargs)
