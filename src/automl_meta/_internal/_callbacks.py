"""What a fit tells those who watch it: after each trial, and when the fit starts and ends (tracking, logging).

A callback is a :class:`SearchCallback` (override what you need) or a plain callable, which is called after each
trial with its :class:`TrialReport`. Trials may run in several threads; callbacks are called one at a time, in
the order the trials are recorded. A callback that raises does not end the fit: the exception is reported as a
``CallbackWarning`` and the search goes on (a tracking server that is down must not cost the search).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from automl_meta._internal._warnings import warn


class CallbackWarning(UserWarning):
    """A callback raised; the fit went on without it."""


@dataclass(frozen=True)
class TrialReport:
    """A finished trial: its number in the study, strategy, status (``ok``, ``error``, ``nan``, ``timeout``),
    cross-validated score (NaN unless ok), seconds, origin (``warm_start``, ``sampler``, ...) and error."""

    number: int
    strategy: object
    status: str
    score: float
    fit_seconds: float
    origin: str
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok" and not math.isnan(self.score)


class SearchCallback:
    """Base class of what watches a fit; every method does nothing unless overridden."""

    def on_fit_start(self, estimator) -> None:
        """Before the search; ``estimator`` is the one being fitted (its parameters set, nothing fitted)."""

    def on_trial(self, report: TrialReport) -> None:
        """After each trial is recorded."""

    def on_fit_end(self, estimator) -> None:
        """After the fit, ``estimator`` fitted (``best_estimator_``, ``leaderboard_``, ...)."""


def notify(callbacks, event: str, *args) -> None:
    """Call ``event`` (``on_fit_start``, ``on_trial``, ``on_fit_end``) of each callback; a plain callable is called
    for ``on_trial`` only. A callback's exception becomes a CallbackWarning."""
    for callback in callbacks or ():
        method = getattr(callback, event, None) if isinstance(callback, SearchCallback) else \
            (callback if event == "on_trial" else None)
        if method is None:
            continue
        try:
            method(*args)
        except Exception as exc:
            warn(f"callback {callback!r} raised in {event} ({type(exc).__name__}: {exc}); the fit goes on without "
                 "this call. Fix the callback, or leave it out of callbacks=.", CallbackWarning)


def check_callbacks(callbacks) -> list:
    """``callbacks`` as a list, each a SearchCallback or a callable; a clear error otherwise."""
    from automl_meta.errors import ConfigError

    if callbacks is None:
        return []
    if isinstance(callbacks, SearchCallback) or callable(callbacks):
        callbacks = [callbacks]
    callbacks = list(callbacks)
    for callback in callbacks:
        if not (isinstance(callback, SearchCallback) or callable(callback)):
            raise ConfigError(f"callbacks must be SearchCallback objects or callables taking a TrialReport; got "
                              f"{callback!r}. Pass for example callbacks=[print].")
    return callbacks
