"""The :class:`Budget`: one wall-clock deadline shared by the steps of a fit."""

from __future__ import annotations

import math
import time

from automl_meta.errors import ConfigError


class Budget:
    """A wall-clock budget: when it ends, what is left of it, and how much of its end is kept for later.

    One object is owned by whoever sets the budget (an estimator's ``fit``) and handed to the steps that spend
    it (the search, then the top-up search), so elapsed time is measured in one place.

    Parameters
    ----------
    seconds : float
        The whole budget, counted from the moment the object is made.

    Examples
    --------
    >>> budget = Budget(30).reserve(lambda evaluations: 2.0)
    >>> budget.free([]) <= budget.left() - 2.0
    True
    """

    def __init__(self, seconds: float):
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not (math.isfinite(seconds) and seconds > 0):
            raise ConfigError(f"time_budget must be a positive number of seconds; got {seconds!r}. Use for example time_budget=60.")
        self.seconds = float(seconds)
        self.start = time.perf_counter()
        self.deadline = self.start + self.seconds
        self._reserve = None
        self._stop = None

    def elapsed(self) -> float:
        """Seconds since the budget started."""
        return time.perf_counter() - self.start

    def left(self) -> float:
        """Seconds until the deadline (negative once it has passed)."""
        return self.deadline - time.perf_counter()

    def reserve(self, seconds) -> "Budget":
        """Keep ``seconds`` free at the end of the budget for what follows the current step (a refit): a number,
        or a function of the evaluations made so far returning one (the reserve then follows the best strategy
        found). None keeps nothing. Returns the budget."""
        self._reserve = seconds
        return self

    def reserved(self, evaluations=()) -> float:
        """The seconds currently kept free, given the evaluations so far."""
        if self._reserve is None:
            return 0.0
        return float(self._reserve(evaluations) if callable(self._reserve) else self._reserve)

    def stop_when(self, condition) -> "Budget":
        """End the current step early once ``condition(evaluations)`` holds (a search that stopped finding
        better strategies): ``free`` is then 0, and the time left goes to what follows. None: never. Returns
        the budget."""
        self._stop = condition
        return self

    @property
    def stopped_by(self):
        """The current step's stop condition (None: none)."""
        return self._stop

    def free(self, evaluations=()) -> float:
        """Seconds the current step may still spend: what is left minus the reserve (0 once the step's stop
        condition holds)."""
        if self._stop is not None and self._stop(evaluations):
            return 0.0
        return self.left() - self.reserved(evaluations)

    def __repr__(self) -> str:
        return f"Budget(seconds={self.seconds:g}, left={self.left():.2f})"
