"""Statistics the benchmarks share: the bootstrap interval of a mean, and per-task counts of a paired
difference."""

from __future__ import annotations

import numpy as np


def bootstrap_interval(values, rng: np.random.Generator | None = None, n: int = 10_000, seed: int = 0) -> tuple[float, float]:
    """95% percentile-bootstrap interval of the mean of ``values`` (``n`` resamples of the same size, with
    replacement), drawn from ``rng`` (one ``default_rng(seed)`` when None: pass one generator to draw several
    intervals in sequence)."""
    rng = np.random.default_rng(seed) if rng is None else rng
    means = rng.choice(values, size=(n, len(values))).mean(axis=1)
    return float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))


def above_level_below(diff: np.ndarray, tie: float, sep: str = " / ") -> str:
    """``"a / l / b"`` (``sep`` between): how many differences are above ``tie``, within it, below ``-tie``."""
    diff = np.asarray(diff)
    return sep.join(str(int(n)) for n in ((diff > tie).sum(), (np.abs(diff) <= tie).sum(), (diff < -tie).sum()))


def mean_with_interval(diff, rng: np.random.Generator | None = None, seed: int = 0) -> str:
    """``"+0.0123 [+0.0010, +0.0250]"``: the mean of ``diff`` and its :func:`bootstrap_interval`."""
    lo, hi = bootstrap_interval(diff, rng, seed=seed)
    return f"{np.mean(diff):+.4f} [{lo:+.4f}, {hi:+.4f}]"
