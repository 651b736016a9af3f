"""Training targets: per-task normalized scores ((score - worst) / (best - worst) over the
strategies evaluated on the task; failures count as the worst) and log fit times."""

from __future__ import annotations

import numpy as np


def normalized_scores(eval_task: np.ndarray, scores: np.ndarray, n_tasks: int) -> np.ndarray:
    """Normalized score of every evaluation within its task; a failure (NaN score) is 0, and a task whose
    successful evaluations all tie gives them 1."""
    y = np.zeros(len(scores))
    for t in range(n_tasks):
        idx = np.flatnonzero(eval_task == t)
        s = scores[idx]
        ok = np.isfinite(s)
        if not ok.any():
            continue
        best, worst = s[ok].max(), s[ok].min()
        y[idx[ok]] = (s[ok] - worst) / (best - worst) if best > worst else 1.0
    return y


def log_seconds(fit_seconds: np.ndarray) -> np.ndarray:
    """log1p of the fit seconds; NaN where unknown."""
    return np.log1p(np.where(np.isfinite(fit_seconds), np.maximum(fit_seconds, 0.0), np.nan))


class StrategyPrior:
    """Each strategy's mean normalized score over the training tasks: exact for the strategies evaluated on
    most tasks (the common set), the nearest of those (L1 in the encoding) for any other strategy."""

    def fit(self, data, y: np.ndarray) -> "StrategyPrior":
        n_tasks = len(data.task_ids)
        keys, first, tasks_of = {}, {}, {}
        for i, s in enumerate(data.strategies):
            keys.setdefault(s.key, []).append(i)
            first.setdefault(s.key, i)
        common = [k for k, rows in keys.items() if len({int(data.eval_task[r]) for r in rows}) >= max(2, n_tasks // 2)]
        if not common:  # no shared strategies: every strategy is its own reference
            common = list(keys)
        self.encodings_ = np.array([data.encodings[first[k]] for k in common], dtype=np.float32)
        matrix = np.full((n_tasks, len(common)), np.nan)
        for j, k in enumerate(common):
            for r in keys[k]:
                matrix[data.eval_task[r], j] = y[r]
        self.matrix_ = matrix
        with np.errstate(all="ignore"):
            self.values_ = np.nan_to_num(np.nanmean(matrix, axis=0), nan=0.5).astype(np.float32)
        return self

    def nearest(self, encodings: np.ndarray) -> np.ndarray:
        """Each encoded strategy's nearest common strategy (L1), as an index into ``encodings_``."""
        return self.nearest_of(self.encodings_, encodings)

    @staticmethod
    def nearest_of(common: np.ndarray, encodings: np.ndarray) -> np.ndarray:
        common = np.asarray(common, dtype=np.float32)
        encodings = np.asarray(encodings, dtype=np.float32)
        out = np.empty(len(encodings), dtype=int)
        for start in range(0, len(encodings), 2048):  # bounded memory
            block = encodings[start : start + 2048]
            out[start : start + 2048] = np.abs(block[:, None, :] - common[None, :, :]).sum(axis=2).argmin(axis=1)
        return out

    def predict(self, encodings: np.ndarray) -> np.ndarray:
        return self.values_[self.nearest(np.asarray(encodings, dtype=np.float32))]

    def leave_one_task_out(self, encodings: np.ndarray, eval_task: np.ndarray) -> np.ndarray:
        """The prior of each training evaluation computed without its own task (else it would leak its score)."""
        j = self.nearest(np.asarray(encodings, dtype=np.float32))
        present = ~np.isnan(self.matrix_)
        sums = np.nansum(self.matrix_, axis=0)
        counts = present.sum(axis=0)
        own = np.where(present[eval_task, j], self.matrix_[eval_task, j], 0.0)
        n = counts[j] - present[eval_task, j]
        loo = (sums[j] - own) / np.maximum(n, 1)
        return np.where(n > 0, loo, 0.5).astype(np.float32)


def nearest_weights(distances: np.ndarray, candidates: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` candidate tasks nearest by ``distances`` and their similarity weights, exp(-distance / h), h
    their median distance (not normalized)."""
    nearest = candidates[np.argsort(distances[candidates], kind="stable")[:k]]
    d = distances[nearest]
    return nearest, np.exp(-d / max(float(np.median(d)), 1e-6))


class NeighbourPrior:
    """Each common strategy's similarity-weighted mean normalized score over the ``k`` training tasks nearest
    to a task (mean absolute difference of the scaled meta-features; weights exp(-distance / h), h the median
    distance of the k): what the most similar datasets say, the strategy prior made local. For a training
    task its own group is left out (tasks of one group share their data: their scores would leak).

    Alone it ranks the common set almost as well as the network (benchmarks/NOTES.md); as the
    network's second prior input (``MetaModel(neighbours=k)``) it did not raise the network's top-1.
    """

    def __init__(self, k: int = 20):
        self.k = k

    def fit(self, task_x: np.ndarray, matrix: np.ndarray, groups=None) -> "NeighbourPrior":
        """``task_x``: the scaled meta-features of the training tasks; ``matrix``: their (tasks x common)
        normalized scores, NaN where not scored (``StrategyPrior.matrix_``)."""
        self.task_x_ = np.asarray(task_x, dtype=np.float32)
        self.matrix_ = np.asarray(matrix, dtype=float)
        self.groups_ = None if groups is None else np.asarray(groups)
        return self

    def _weighted_mean(self, distances: np.ndarray) -> np.ndarray:
        """The prior for one task from its distance to every training task (inf: excluded)."""
        scored = ~np.isnan(self.matrix_).all(axis=1) & np.isfinite(distances)
        candidates = np.flatnonzero(scored)
        if not len(candidates):
            return np.full(self.matrix_.shape[1], 0.5)
        nearest, weights = nearest_weights(distances, candidates, self.k)
        values = self.matrix_[nearest]
        present = ~np.isnan(values)
        total = (weights[:, None] * present).sum(axis=0)
        mean = (weights[:, None] * np.nan_to_num(values)).sum(axis=0) / np.where(total > 0, total, 1.0)
        return np.where(total > 0, mean, 0.5)

    def for_query(self, x: np.ndarray) -> np.ndarray:
        """(common,) prior of a new task (scaled meta-features, 1 x M)."""
        return self._weighted_mean(np.abs(self.task_x_ - np.asarray(x, dtype=np.float32)).mean(axis=1))

    def for_training(self) -> np.ndarray:
        """(tasks x common) prior of every training task without its own group."""
        out = np.empty_like(self.matrix_)
        for t in range(len(self.task_x_)):
            d = np.abs(self.task_x_ - self.task_x_[t]).mean(axis=1).astype(float)
            same = self.groups_ == self.groups_[t] if self.groups_ is not None else np.arange(len(d)) == t
            d[same] = np.inf
            out[t] = self._weighted_mean(d)
        return out
