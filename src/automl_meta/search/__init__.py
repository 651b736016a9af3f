"""The Optuna search: warm-started with given strategies, then sampled; every trial recorded.

>>> from automl_meta.search import search
>>> result = search(task, n_trials=30, metadataset="md.sqlite")   # doctest: +SKIP
>>> result.leaderboard.head()                                     # doctest: +SKIP
"""

from automl_meta._internal._lazy import lazy_attributes
from automl_meta.search._budget import Budget
from automl_meta.search._costs import TrialCosts
from automl_meta._internal._callbacks import CallbackWarning, SearchCallback, TrialReport
from automl_meta.search._storage import default_sampler, get_storage, own_sampler_seed
from automl_meta.search._study import SearchResult, ranked, resolve_families, search
from automl_meta.search._warm import AdaptiveWarmStarts

__all__ = ["SearchCallback", "TrialReport", "CallbackWarning", "search", "SearchResult", "ranked", "resolve_families", "Budget", "TrialCosts", "AdaptiveWarmStarts", "get_storage", "default_sampler", "own_sampler_seed", "MetaGuidedSampler", "family_weights"]
# the guided sampler subclasses Optuna's BaseSampler: imported on first use, so that importing the search (and
# `automl-meta --help`) does not import Optuna
__getattr__ = lazy_attributes(__name__, {"MetaGuidedSampler": "._guided", "family_weights": "._guided"})
