"""A progress bar for searches (tqdm, which Optuna already depends on), on standard error."""

from __future__ import annotations

import math
import sys
import time


class SearchProgress:
    """Shows trials done, the best score so far and the elapsed time; total is trials or budget seconds."""

    def __init__(self, n_trials=None, time_budget=None, enabled=True):
        self.enabled = enabled and sys.stderr is not None
        self.n_trials, self.time_budget = n_trials, time_budget
        self._bar = None
        self._start = time.perf_counter()
        self.best = -math.inf

    def __enter__(self):
        if self.enabled:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=self.n_trials, desc="search", unit="trial", file=sys.stderr, dynamic_ncols=True, leave=True)
        return self

    def update(self, evaluation) -> None:
        if evaluation.ok and evaluation.score > self.best:
            self.best = evaluation.score
        if self._bar is not None:
            elapsed = time.perf_counter() - self._start
            budget = f"/{self.time_budget:.0f}s" if self.time_budget else "s"
            best = f"{self.best:.4f}" if math.isfinite(self.best) else "-"
            self._bar.set_postfix_str(f"best={best} last={evaluation.strategy.family}:{evaluation.status} {elapsed:.0f}{budget}")
            self._bar.update(1)

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.close()
