"""automl-meta: meta-learning AutoML.

A task's meta-features go to a learned meta-model, which recommends learning strategies; those warm-start an
Optuna study whose every trial is recorded back into the meta-dataset.

The search function is ``automl_meta.search.search`` (``automl_meta.search`` is its subpackage, so it is not
re-exported here under the same name). Heavy modules are imported lazily, so ``import automl_meta`` and ``automl-meta --help`` stay fast.
"""

from __future__ import annotations

from automl_meta._internal._lazy import lazy_attributes
from automl_meta._internal._version import __version__
from automl_meta.errors import AutoMetaError, ConfigError, DataError, MetaModelError, StorageError, UntrustedFileError

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
    "MLflowCallback": "automl_meta.estimator",
    "SearchCallback": "automl_meta.search",
    "TrialReport": "automl_meta.search",
}

__all__ = ["AutoMetaError", "ConfigError", "DataError", "MetaModelError", "StorageError", "UntrustedFileError", "__version__", *_LAZY]


__getattr__ = lazy_attributes(__name__, _LAZY)
