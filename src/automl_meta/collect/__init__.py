"""Collecting a meta-dataset from a corpus: common strategies plus a short TPE run on every task.

>>> from automl_meta.collect import build, BuildConfig
>>> build(store=MetaDataset("md.sqlite"), config=BuildConfig(jobs=2))   # doctest: +SKIP
"""

from automl_meta.collect._builder import COMMON, TPE, BuildConfig, BuildReport, build, capped_task
from automl_meta.collect._design import common_strategies

__all__ = ["build", "BuildConfig", "BuildReport", "capped_task", "common_strategies", "COMMON", "TPE"]
