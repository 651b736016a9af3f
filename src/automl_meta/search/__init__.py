"""The Optuna search: warm-started with given strategies, then sampled; every trial recorded.

>>> from automl_meta.search import search
>>> result = search(task, n_trials=30, metadataset="md.sqlite")   # doctest: +SKIP
>>> result.leaderboard.head()                                     # doctest: +SKIP
"""

from automl_meta.search._study import ORIGIN_ATTR, SearchResult, search

__all__ = ["search", "SearchResult", "ORIGIN_ATTR"]
