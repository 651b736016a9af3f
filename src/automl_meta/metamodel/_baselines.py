"""The simple methods the meta-model must beat, as the anchors use them (protocol 1 of docs/BENCHMARKS.md).

* :class:`StaticPortfolio` (auto-sklearn 2.0, TabRepo): greedily, the strategies that together give the best
  mean normalized score over the training tasks (the next one added is the one that most raises the mean of
  each task's best so far); the same list on every task.
* :class:`NearestTasks` (auto-sklearn 1.0): the best strategy of the most similar training task, then of the
  second most similar, ...; similarity is the L1 distance between meta-feature vectors min-max scaled over the
  training tasks (missing values imputed with the training median).

Both pick from the strategies evaluated on every training task (the common set), the only ones whose result
on a new task they can know about.
"""

from __future__ import annotations

import warnings

import numpy as np

from automl_meta.metamodel._targets import normalized_scores


def common_matrix(data, origin: str = "common"):
    """(tasks x strategies) normalized scores of the common set, NaN where a task lacks one, and those strategies
    (in a fixed order). Normalization is over all of a task's evaluations.

    The common set is the strategies with ``origin`` evaluated on every task that has the most of them (a
    base-fidelity task); a large-fidelity task has the first part of the set, a task still being built fewer.
    """
    y = normalized_scores(data.eval_task, data.scores, len(data.task_ids))
    rows = np.flatnonzero(data.origin == origin)
    keys = {}
    for i in rows:
        keys.setdefault(data.strategies[i].key, data.strategies[i])
    order = sorted(keys)
    col = {k: j for j, k in enumerate(order)}
    matrix = np.full((len(data.task_ids), len(order)), np.nan)
    for i in rows:
        matrix[data.eval_task[i], col[data.strategies[i].key]] = y[i]
    present = ~np.isnan(matrix)
    counts = present.sum(axis=1)
    reference = counts == counts.max() if len(counts) else counts.astype(bool)
    in_set = present[reference].all(axis=0) if reference.any() else np.zeros(len(order), dtype=bool)
    return matrix[:, in_set], [keys[k] for k, c in zip(order, in_set) if c]


def _complete_rows(matrix: np.ndarray) -> np.ndarray:
    """The tasks scored on the whole common set: the only ones a baseline can learn from."""
    return ~np.isnan(matrix).any(axis=1)


def _among(strategies, among) -> np.ndarray:
    """Which of ``strategies`` are allowed: all, or those whose key is in ``among`` (keys or strategies)."""
    if among is None:
        return np.ones(len(strategies), dtype=bool)
    allowed = {getattr(s, "key", s) for s in among}
    return np.array([s.key in allowed for s in strategies], dtype=bool)


class StaticPortfolio:
    def fit(self, data, size: int = 32) -> "StaticPortfolio":
        matrix, strategies = common_matrix(data)
        matrix = matrix[_complete_rows(matrix)]
        chosen, best_so_far = [], np.zeros(matrix.shape[0])
        for _ in range(min(size, matrix.shape[1])):
            gains = np.maximum(matrix, best_so_far[:, None]).mean(axis=0)
            gains[chosen] = -np.inf
            j = int(np.argmax(gains))
            chosen.append(j)
            best_so_far = np.maximum(best_so_far, matrix[:, j])
        self.strategies_ = [strategies[j] for j in chosen]
        return self

    def recommend(self, metafeatures=None, k: int = 5, among=None):
        """The first ``k`` strategies of the portfolio (of those in ``among`` when given: a task scored on
        part of the common set)."""
        allowed = _among(self.strategies_, among)
        return [s for s, ok in zip(self.strategies_, allowed) if ok][:k]


class NearestTasks:
    def fit(self, data) -> "NearestTasks":
        matrix, strategies = common_matrix(data)
        complete = _complete_rows(matrix)
        matrix = matrix[complete]
        mf = np.asarray(data.metafeatures, dtype=float)[complete]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a feature missing on every task: median 0
            self.median_ = np.nan_to_num(np.nanmedian(mf, axis=0))
        filled = np.where(np.isnan(mf), self.median_, mf)
        self.low_, span = filled.min(axis=0), filled.max(axis=0) - filled.min(axis=0)
        self.span_ = np.where(span > 0, span, 1.0)
        self.scaled_ = (filled - self.low_) / self.span_
        self.rankings_ = np.argsort(-matrix, axis=1, kind="stable")  # each task's common strategies, best first
        self.strategies_ = strategies
        return self

    def neighbours(self, metafeatures) -> np.ndarray:
        x = np.asarray(getattr(metafeatures, "values", metafeatures), dtype=float)
        x = (np.where(np.isnan(x), self.median_, x) - self.low_) / self.span_
        return np.argsort(np.abs(self.scaled_ - x).sum(axis=1), kind="stable")

    def recommend(self, metafeatures, k: int = 5, among=None):
        """The best strategy (of those in ``among`` when given) of the nearest task, then of the second
        nearest, ..., without repeats."""
        allowed = _among(self.strategies_, among)
        chosen = []
        for t in self.neighbours(metafeatures):
            for j in self.rankings_[t]:
                if allowed[j] and j not in chosen:
                    chosen.append(j)
                    break
            if len(chosen) == k:
                break
        return [self.strategies_[j] for j in chosen]
