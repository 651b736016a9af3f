"""Collecting a meta-dataset from a corpus: the common set and task-specific TPE strategies on every task, at
two fidelities, through joblib (local processes or Dask), resumably.

>>> from automl_meta.collect import build, BuildConfig
>>> build(store=MetaDataset("md.sqlite"), config=BuildConfig(jobs=2))   # doctest: +SKIP

``BuildConfig`` is imported at once (the command's --help shows its defaults); the rest on first use, so that
``automl-meta --help`` stays instant.
"""

from automl_meta._internal._lazy import lazy_attributes
from automl_meta.collect._config import BuildConfig

__all__ = ["BuildConfig", "build", "BuildReport", "select_common_set"]
__getattr__ = lazy_attributes(__name__, {"build": "._builder", "BuildReport": "._builder",
                                         "select_common_set": "._design"})
