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
