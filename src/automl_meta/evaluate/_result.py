"""The outcome of scoring one strategy on one task."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from automl_meta.space import Strategy

OK, ERROR, NAN, TIMEOUT = "ok", "error", "nan", "timeout"
STATUSES = (OK, ERROR, NAN, TIMEOUT)


@dataclass
class Evaluation:
    """A scored strategy: ``status`` is ``ok``, or the failure (``error``, ``nan``, ``timeout``) with ``error``.

    ``score`` is the mean of ``fold_scores`` (greater is better: scikit-learn scorer convention), NaN unless ok;
    ``fit_seconds`` the wall-clock seconds of the whole cross-validation; ``n_rows`` the rows used.
    ``predictions``: the out-of-fold predictions (float32: class probabilities in the task's class order, or
    values), row i for the i-th row scored, when the evaluator keeps them (for ensemble selection).
    """

    strategy: Strategy
    metric: str
    status: str
    score: float = math.nan
    fold_scores: list = field(default_factory=list)
    fit_seconds: float = math.nan
    error: str | None = None
    n_rows: int = 0
    predictions: object = None

    @property
    def ok(self) -> bool:
        return self.status == OK

    def to_dict(self) -> dict:
        return {
            "strategy": self.strategy.to_dict(),
            "metric": self.metric,
            "status": self.status,
            "score": self.score,
            "fold_scores": list(self.fold_scores),
            "fit_seconds": self.fit_seconds,
            "error": self.error,
            "n_rows": self.n_rows,
            "predictions": self.predictions,
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Evaluation":
        d = dict(d)
        d["strategy"] = Strategy.from_dict(d["strategy"])
        return cls(**d)


def best_per_strategy(evaluations) -> list:
    """The successful evaluations, best first, keeping only the best of each distinct strategy."""
    best = {}
    for e in sorted((e for e in evaluations if e.ok), key=lambda e: -e.score):
        best.setdefault(e.strategy.key, e)
    return list(best.values())
