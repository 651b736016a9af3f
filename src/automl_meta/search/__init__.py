"""The Optuna search: warm-started with given strategies, then sampled; every trial recorded.

>>> from automl_meta.search import search
>>> result = search(task, n_trials=30, metadataset="md.sqlite")   # doctest: +SKIP
>>> result.leaderboard.head()                                     # doctest: +SKIP
"""

from automl_meta.search._budget import Budget
from automl_meta.search._storage import get_storage
from automl_meta.search._study import ORIGIN_ATTR, SearchResult, ranked, search
from automl_meta.search._warm import AdaptiveWarmStarts

__all__ = ["search", "SearchResult", "ranked", "Budget", "AdaptiveWarmStarts", "get_storage", "ORIGIN_ATTR", "MetaGuidedSampler", "family_weights"]


def __getattr__(name: str):
    # the guided sampler subclasses Optuna's BaseSampler: imported on first use, so that importing the search
    # (and `automl-meta --help`) does not import Optuna
    if name in ("MetaGuidedSampler", "family_weights"):
        from automl_meta.search import _guided

        return getattr(_guided, name)
    raise AttributeError(f"module 'automl_meta.search' has no attribute {name!r}")
