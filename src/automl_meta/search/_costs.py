"""A trial's expected seconds before it runs, so that a budgeted search does not give most of what is left to one
trial that cannot finish in it.

The meta-model's time head predicts a strategy's cross-validation seconds (``MetaModel.predict_seconds``), but
on a task unlike its training tasks it can be far off, and consistently so for a family: on a 100,000-row table
searched on 18,000 rows it predicted 15-18 s for LightGBM trials that took 0.9-1.1 s (the time head has seen no
task above 10,000 rows, and its extrapolation is cautious), and 19 s for an extra trees trial that took 10 s. So
a family's prediction is used only once the fit has measured the family: multiplied by the median ratio of
measured to predicted seconds of its trials so far (kept within :data:`RATIO_BOUNDS`). Before that, only a
lower bound counts (``MetaModel.least_seconds``: a forest's trees' work, the only cost known from first
principles; nothing for other families). Each rule was learnt the hard way:

* trusting the raw prediction, every warm start of a 60 s fit of a 500,000-row table (and every family but the
  linear one) was expected to take longer than the fit had, and the search tried only linear models (test ROC AUC
  0.755 against 0.975);
* correcting a family not yet tried by the other families' ratio (0.06 there), a sampled 379-tree random forest
  was let run on a 100,000-row table, and timed out after 43 s of a 60 s fit; its trees' work says 450 s.
"""

from __future__ import annotations

import threading

import numpy as np

#: A family's measured / predicted ratio is kept within these bounds (one odd trial does not make the next
#: prediction absurd).
RATIO_BOUNDS = (1 / 50, 4.0)


class TrialCosts:
    """Expected trial seconds: calibrated on this search's own trials of the family, else a lower bound.

    Parameters
    ----------
    predict : callable
        ``predict(strategy)`` -> its predicted cross-validation seconds on this machine (uncalibrated).
    least : callable, optional
        ``least(strategy)`` -> seconds it cannot take less than (0 when unknown); None: 0 for every strategy.
    """

    def __init__(self, predict, least=None):
        self._predict, self._least = predict, least
        self._ratios: dict[str, list[float]] = {}
        self._lock = threading.Lock()  # trials run in several threads with several evaluation workers

    def raw(self, strategy) -> float:
        """The uncalibrated prediction (what ``observe`` compares the measured seconds with)."""
        return float(self._predict(strategy))

    def seconds(self, strategy, raw: float | None = None) -> float:
        """``strategy``'s expected seconds: its prediction (``raw``, computed when not given) times the ratio the
        trials of its family measured so far; before any, its lower bound."""
        ratio = self.ratio(strategy.family)
        if ratio is None:
            return 0.0 if self._least is None else float(self._least(strategy))
        return (self.raw(strategy) if raw is None else raw) * ratio

    def ratio(self, family: str) -> float | None:
        """The median ratio of measured to predicted seconds of ``family``'s trials so far (within
        :data:`RATIO_BOUNDS`); None before any."""
        with self._lock:
            ratios = list(self._ratios.get(family, ()))
        return float(np.clip(np.median(ratios), *RATIO_BOUNDS)) if ratios else None

    def worst_ratio(self) -> float | None:
        """The largest of the families' :meth:`ratio` so far (how far the predictions fell short on this task at
        worst); None before any trial."""
        with self._lock:
            families = list(self._ratios)
        ratios = [self.ratio(f) for f in families]
        return max(ratios) if ratios else None

    def observe(self, strategy, raw: float, evaluation) -> None:
        """Learn from a finished trial: its measured seconds against its ``raw`` prediction; a timed-out trial's
        seconds are a lower bound of its cost, and count as one (an MLP that timed out after 17 s of a
        100,000-row fit's search was followed by another that did; a failure's seconds say nothing)."""
        if evaluation.status in ("ok", "timeout") and raw > 0 and evaluation.fit_seconds > 0:
            with self._lock:
                self._ratios.setdefault(strategy.family, []).append(evaluation.fit_seconds / raw)
