"""The :class:`Evaluator`: one configuration of how strategies are scored, in-process or isolated."""

from __future__ import annotations

from automl_meta.errors import ConfigError
from automl_meta.evaluate._cv import cross_validate
from automl_meta.evaluate._result import Evaluation
from automl_meta.evaluate._worker import GRACE_SECONDS, EvaluationWorker


class Evaluator:
    """Scores strategies on tasks by cross-validation, with a time limit per evaluation.

    Parameters
    ----------
    cv : int, default=None
        Folds; the task's own ``cv`` (5 by default) when None.
    time_limit : float, default=None
        Seconds per evaluation; an evaluation over it is a ``timeout`` failure.
    isolate : bool, default=True
        Run evaluations in a worker process, which is ended at the time limit (exact) and which a crash of the
        model cannot take down. In-process (False), the limit is checked between folds only.
    device : {"auto", "cpu", "cuda"}, default="auto"
    n_jobs : int, default=1
        Threads per model.
    random_state : int, default=0
        Seed of the folds, the subsample and the models.
    max_rows : int, default=None
        Evaluate on a seeded (stratified) subsample of at most this many rows.
    memory_limit_mb : int, default=None
        Address-space limit of the worker process (isolated only): a model that needs more fails with
        ``MemoryError`` instead of exhausting the machine.
    keep_predictions : bool, default=False
        Return each evaluation's out-of-fold predictions (``Evaluation.predictions``), for ensemble selection.
    """

    #: Seconds an isolated evaluation may run past its limit before its worker is ended (a caller with a hard
    #: deadline subtracts it from the limit it gives).
    grace_seconds = GRACE_SECONDS

    def __init__(self, cv=None, time_limit=None, isolate=True, device="auto", n_jobs=1, random_state=0, max_rows=None, memory_limit_mb=None,
                 keep_predictions=False):
        if time_limit is not None and not time_limit > 0:
            raise ConfigError(f"time_limit must be a positive number of seconds; got {time_limit!r}.")
        if cv is not None and (not isinstance(cv, int) or cv < 2):
            raise ConfigError(f"cv must be an integer of at least 2; got {cv!r}.")
        self.cv = cv
        self.time_limit = time_limit
        self.isolate = isolate
        self.device = device
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.max_rows = max_rows
        self.memory_limit_mb = memory_limit_mb
        self.keep_predictions = keep_predictions
        self._worker = None

    def __call__(self, strategy, task, time_limit: float | None = None) -> Evaluation:
        """Evaluate one strategy; ``time_limit`` overrides the evaluator's for this call (e.g. the budget left)."""
        limit = self.time_limit if time_limit is None else (time_limit if self.time_limit is None else min(time_limit, self.time_limit))
        kwargs = dict(cv=self.cv, random_state=self.random_state, device=self.device, n_jobs=self.n_jobs, max_rows=self.max_rows,
                      keep_predictions=self.keep_predictions)
        if not self.isolate:
            return cross_validate(strategy, task, time_limit=limit, **kwargs)
        return self._get_worker().evaluate(strategy, task, limit, **kwargs)

    def _get_worker(self) -> EvaluationWorker:
        if self._worker is None:
            self._worker = EvaluationWorker(self.memory_limit_mb, self.n_jobs)
        return self._worker

    def prepare(self, task) -> None:
        """Start the worker and hand it the task now, so that neither counts against the next time limit."""
        if self.isolate:
            self._get_worker().prepare(task)

    def spawn(self) -> None:
        """Start the isolated worker now, in the background (its imports take a few seconds); the first
        evaluation waits for it. Nothing to do in-process."""
        if self.isolate:
            self._get_worker().spawn()

    def interrupt(self) -> None:
        """End the evaluation in progress (if isolated) at once; its result comes back as an error. Safe to
        call from a signal handler: it only sends the worker SIGKILL."""
        if self._worker is not None:
            self._worker.interrupt()

    def startup_cost(self) -> float:
        """Seconds the next evaluation will spend starting a worker first: 0 when one is running (or
        in-process), else the last measured start-up (a guess of 5 s before the first)."""
        if not self.isolate or (self._worker is not None and self._worker.alive):
            return 0.0
        measured = self._worker.startup_seconds if self._worker is not None else None
        return measured if measured is not None else 5.0

    def close(self) -> None:
        if self._worker is not None:
            self._worker.close()
            self._worker = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def evaluate(strategy, task, **kwargs) -> Evaluation:
    """Score one strategy on one task; keyword arguments as for :class:`Evaluator` (in-process by default)."""
    kwargs.setdefault("isolate", False)
    with Evaluator(**kwargs) as evaluator:
        return evaluator(strategy, task)
