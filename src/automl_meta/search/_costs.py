"""A trial's expected seconds before it runs, so that a budgeted search does not give most of what is left to one
trial that cannot finish in it.

The meta-model's time head predicts a strategy's cross-validation seconds (``MetaModel.predict_seconds``), but
on a task unlike its training tasks it can be far off in either direction, and consistently so for a family:
on a 100,000-row table searched on 18,000 rows it predicted 15-18 s for LightGBM trials that took 0.9-1.1 s
(the time head has seen no task above 10,000 rows, and its extrapolation is cautious), and 19 s for an extra
trees trial that took 10 s. So each prediction is corrected by the trials already scored here: multiplied by the
median ratio of measured to predicted seconds of the strategy's family, the ratio kept within :data:`RATIO_BOUNDS`.
Only its own family's: the errors differ by family (a forest's prediction is held to its trees' work, a booster's
is not), and a random forest whose prediction was corrected by the ratio of linear models and boosters (0.06) was
let run, and timed out after 43 s of a 60 s fit. A family not yet tried keeps its (cautious) prediction.
"""

from __future__ import annotations

import threading

import numpy as np

#: A family's measured / predicted ratio is kept within these bounds (one odd trial does not make the next
#: prediction absurd).
RATIO_BOUNDS = (1 / 50, 4.0)


class TrialCosts:
    """Predicted trial seconds, calibrated on this search's own trials.

    Parameters
    ----------
    predict : callable
        ``predict(strategy)`` -> its predicted cross-validation seconds on this machine (uncalibrated).
    """

    def __init__(self, predict):
        self._predict = predict
        self._ratios: dict[str, list[float]] = {}
        self._lock = threading.Lock()  # trials run in several threads with several evaluation workers

    def raw(self, strategy) -> float:
        """The uncalibrated prediction (what ``observe`` compares the measured seconds with)."""
        return float(self._predict(strategy))

    def seconds(self, strategy, raw: float | None = None) -> float:
        """``strategy``'s expected seconds: its prediction (``raw``, computed when not given) times the ratio the
        trials of its family scored so far measured (1 before any)."""
        raw = self.raw(strategy) if raw is None else raw
        with self._lock:
            ratios = self._ratios.get(strategy.family)
            ratio = float(np.median(ratios)) if ratios else 1.0
        return raw * float(np.clip(ratio, *RATIO_BOUNDS))

    def observe(self, strategy, raw: float, evaluation) -> None:
        """Learn from a finished trial: its measured seconds against its ``raw`` prediction (only a successful
        trial's: a timed-out one's seconds are the limit, not its cost)."""
        if evaluation.ok and raw > 0 and evaluation.fit_seconds > 0:
            with self._lock:
                self._ratios.setdefault(strategy.family, []).append(evaluation.fit_seconds / raw)
