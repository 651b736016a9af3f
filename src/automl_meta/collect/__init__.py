"""Collecting a meta-dataset from a corpus: the common set and task-specific TPE strategies on every task, at
two fidelities, through joblib (local processes or Dask), resumably.

>>> from automl_meta.collect import build, BuildConfig
>>> build(store=MetaDataset("md.sqlite"), config=BuildConfig(jobs=2))   # doctest: +SKIP

``BuildConfig`` is imported at once (the command's --help shows its defaults); the rest on first use, so that
``automl-meta --help`` stays instant.
"""

import importlib

from automl_meta.collect._config import BuildConfig

_LAZY = {
    "build": "_builder", "BuildReport": "_builder", "plan": "_builder", "shard_of": "_builder", "COMMON": "_builder",
    "TPE": "_builder", "BASE": "_builder", "LARGE": "_builder",
    "common_strategies": "_design", "designed_common_set": "_design", "select_common_set": "_design",
    "sobol_strategies": "_design", "TaskSpec": "_units", "capped_task": "_units",
}

__all__ = ["BuildConfig", *_LAZY]


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'automl_meta.collect' has no attribute {name!r}")
    return getattr(importlib.import_module(f"automl_meta.collect.{module}"), name)
