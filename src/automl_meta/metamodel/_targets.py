"""Training targets: per-task normalized scores (DESIGN.md: (score - worst) / (best - worst) over the
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
        out = np.empty(len(encodings), dtype=int)
        for start in range(0, len(encodings), 2048):  # bounded memory
            block = encodings[start : start + 2048]
            out[start : start + 2048] = np.abs(block[:, None, :] - self.encodings_[None, :, :]).sum(axis=2).argmin(axis=1)
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
