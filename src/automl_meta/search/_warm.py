"""Warm starts that follow the scores: the meta-model's first strategies for a search, each after the first
chosen knowing how those before it scored on the task.

A fixed list of k recommendations is chosen before any data is seen. Once the first has been cross-validated,
its score already says something about the task: ``MetaModel.recommend(observed=...)`` reweights the training
tasks it reasons with by how well they order the scores seen so far. This class plays that game for
:func:`~automl_meta.search.search`: it hands out the warm starts before any score is known (as many as run
at once), then one more after each warm start is scored, until k have been given.
"""

from __future__ import annotations

import threading


class AdaptiveWarmStarts:
    """The meta-model's ``k`` warm starts for one search, chosen as the scores come in.

    Parameters
    ----------
    metamodel : MetaModel
        A fitted meta-model.
    metafeatures : MetaFeatures or array
        The task's meta-features.
    k : int, default=5
        Warm starts in all.
    **recommend_params
        Passed to every ``metamodel.recommend`` call (``kind``, ``families``, ``max_seconds``, ``n_rows``,
        ``folds``, ``device``).

    Attributes
    ----------
    plan : list of Recommendation
        ``metamodel.recommend(k=k)``: the set chosen before any score is known. Its remembered strategies (a
        dataset seen before), or else its first, are tried first; the later warm starts may differ from it.
    """

    def __init__(self, metamodel, metafeatures, k: int = 5, **recommend_params):
        self.metamodel = metamodel
        self.metafeatures = metafeatures
        self.k = k
        self.recommend_params = recommend_params
        self.plan = metamodel.recommend(metafeatures, k=k, **recommend_params)
        self._given = []
        self._scores = {}
        self._lock = threading.Lock()  # scores arrive from the search's trial threads

    def start(self, n_parallel: int = 1) -> list:
        """The warm starts to try before any score is known: the plan's remembered strategies, or else its
        first, and more of the plan to keep ``n_parallel`` trials busy."""
        fixed = sum(r.remembered for r in self.plan) or 1
        with self._lock:
            self._given = [r.strategy for r in self.plan[: max(fixed, min(n_parallel, self.k))]]
            return list(self._given)

    def next(self, strategy, score: float):
        """Record a warm start's score (NaN or None for a failure); the next warm start, or None once ``k`` are given.

        The strategies given and not scored yet count as tried, with an unknown score."""
        with self._lock:
            self._scores[strategy.key] = score
            if len(self._given) >= min(self.k, len(self.plan)):
                return None
            observed = [(s, self._scores.get(s.key)) for s in self._given]  # None: given, not scored yet
            chosen = self.metamodel.recommend(self.metafeatures, k=1, observed=observed, **self.recommend_params)[0]
            self._given.append(chosen.strategy)
            return chosen.strategy

    @property
    def given(self) -> list:
        """The warm starts handed out so far, in order."""
        return list(self._given)
