"""The simple methods the meta-model must beat, as the anchors use them (DESIGN.md, protocol 1).

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
    """(tasks x strategies) normalized scores of the strategies evaluated on every task with ``origin``, and
    those strategies (in a fixed order). Normalization is over all of a task's evaluations."""
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
    complete = ~np.isnan(matrix).any(axis=0)  # evaluated on every task
    return matrix[:, complete], [keys[k] for k, c in zip(order, complete) if c]


class StaticPortfolio:
    def fit(self, data, size: int = 32) -> "StaticPortfolio":
        matrix, strategies = common_matrix(data)
        chosen, best_so_far = [], np.zeros(matrix.shape[0])
        for _ in range(min(size, matrix.shape[1])):
            gains = np.maximum(matrix, best_so_far[:, None]).mean(axis=0)
            gains[chosen] = -np.inf
            j = int(np.argmax(gains))
            chosen.append(j)
            best_so_far = np.maximum(best_so_far, matrix[:, j])
        self.strategies_ = [strategies[j] for j in chosen]
        return self

    def recommend(self, metafeatures=None, k: int = 5):
        return self.strategies_[:k]


class NearestTasks:
    def fit(self, data) -> "NearestTasks":
        matrix, strategies = common_matrix(data)
        mf = np.asarray(data.metafeatures, dtype=float)
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

    def recommend(self, metafeatures, k: int = 5):
        chosen = []
        for t in self.neighbours(metafeatures):
            for j in self.rankings_[t]:
                if j not in chosen:
                    chosen.append(j)
                    break
            if len(chosen) == k:
                break
        return [self.strategies_[j] for j in chosen]
