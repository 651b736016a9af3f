"""automl-meta: meta-learning AutoML.

A task's meta-features go to a learned meta-model, which recommends learning strategies; those warm-start an
Optuna study whose every trial is recorded back into the meta-dataset.

The search function is ``automl_meta.search.search`` (``automl_meta.search`` is its subpackage, so it is not
re-exported here under the same name). Heavy modules are imported lazily, so ``import automl_meta`` and ``automl-meta --help`` stay fast.
"""

from __future__ import annotations

import importlib

from automl_meta.errors import AutoMetaError, ConfigError, DataError, MetaModelError, StorageError, UntrustedFileError

__version__ = "0.1.0"

_LAZY = {
    "Task": "automl_meta.data",
    "DataWarning": "automl_meta.data",
    "MetaFeatures": "automl_meta.metafeatures",
    "compute_metafeatures": ("automl_meta.metafeatures", "compute"),
    "AutoMetaClassifier": "automl_meta.estimator",
    "AutoMetaRegressor": "automl_meta.estimator",
    "MetaModel": "automl_meta.metamodel",
    "MetaDataset": "automl_meta.metadataset",
    "Strategy": "automl_meta.space",
    "save_model": ("automl_meta.estimator", "save_model"),
    "load_model": ("automl_meta.estimator", "load_model"),
}

__all__ = ["AutoMetaError", "ConfigError", "DataError", "MetaModelError", "StorageError", "UntrustedFileError", "__version__", *_LAZY]


def __getattr__(name: str):
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'automl_meta' has no attribute {name!r}")
    module, attr = target if isinstance(target, tuple) else (target, name)
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value
