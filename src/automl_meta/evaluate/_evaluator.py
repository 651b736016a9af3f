"""The :class:`Evaluator`: one configuration of how strategies are scored, in-process or isolated."""

from __future__ import annotations

import contextlib
import queue
import threading

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
    workers : int, default=1
        Isolated worker processes: up to this many evaluations run at once, one per calling thread (a search
        with several workers runs its trials in that many threads).
    scheduler : dask.distributed.Client or str, default=None
        Run the evaluations on a Dask cluster (a client, or a scheduler address) instead of local worker
        processes: each in a worker process of a Dask worker's machine, ended at its time limit as a local one
        is (``isolate`` must be True). ``workers`` evaluations at once; the task is sent to the cluster once.
    """

    #: Seconds an isolated evaluation may run past its limit before its worker is ended (a caller with a hard
    #: deadline subtracts it from the limit it gives).
    grace_seconds = GRACE_SECONDS

    def __init__(self, cv=None, time_limit=None, isolate=True, device="auto", n_jobs=1, random_state=0, max_rows=None, memory_limit_mb=None,
                 keep_predictions=False, workers=1, scheduler=None):
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
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ConfigError(f"workers must be a positive integer; got {workers!r}.")
        self.workers = workers
        if scheduler is not None and not isolate:
            raise ConfigError("Evaluations on a Dask cluster are isolated: pass isolate=True with scheduler=.")
        self.scheduler = scheduler
        self._cluster = None  # the Dask cluster's client and scattered tasks, made on first use
        self._pool: list[EvaluationWorker] = []
        self._idle: queue.Queue = queue.Queue()
        self._lock = threading.Lock()

    def scoring_target(self, task) -> tuple:
        """(y, metric, classes, folds, sample_weight) against which this evaluator's out-of-fold predictions of
        ``task`` score: the target of the rows scored (its subsample), the task's metric (``Task.scoring``: a
        name, or a scorer of the user's own), its classes (None: regression), the test rows of each fold and the
        rows' weights (None: unweighted)."""
        from automl_meta.evaluate._cv import row_subsample, test_folds

        rows = row_subsample(task, self.max_rows, self.random_state)
        folds = test_folds(task, self.cv, self.random_state, self.max_rows)
        weights = None if task.sample_weight is None else task.sample_weight[rows]
        return task.y.to_numpy()[rows], task.scoring, None if task.classes is None else list(task.classes), folds, weights

    def __call__(self, strategy, task, time_limit: float | None = None) -> Evaluation:
        """Evaluate one strategy; ``time_limit`` overrides the evaluator's for this call (e.g. the budget left)."""
        with self.lease() as lease:
            return lease.evaluate(strategy, task, time_limit)

    @contextlib.contextmanager
    def lease(self):
        """One evaluation slot: an idle worker of the pool (a new one while fewer than ``workers`` exist, else
        the next to free up), for the calling thread alone until the block ends."""
        if not self.isolate:
            yield _Lease(self, None)
            return
        worker = self._checkout()
        try:
            yield _Lease(self, worker)
        finally:
            self._idle.put(worker)

    def _checkout(self) -> EvaluationWorker:
        with self._lock:
            try:
                return self._idle.get_nowait()
            except queue.Empty:
                if len(self._pool) < self.workers:
                    worker = self._new_slot()
                    self._pool.append(worker)
                    return worker
        return self._idle.get()

    def _new_slot(self):
        """A local worker process, or a slot on the Dask cluster."""
        if self.scheduler is None:
            return EvaluationWorker(self.memory_limit_mb, self.n_jobs)
        from automl_meta.evaluate._remote import Cluster, RemoteSlot, resolve_client

        if self._cluster is None:
            self._cluster = Cluster(resolve_client(self.scheduler))
        return RemoteSlot(self._cluster, self.memory_limit_mb, self.n_jobs)

    def _limit(self, time_limit: float | None) -> float | None:
        if time_limit is None:
            return self.time_limit
        return time_limit if self.time_limit is None else min(time_limit, self.time_limit)

    def _options(self) -> dict:
        return dict(cv=self.cv, random_state=self.random_state, device=self.device, n_jobs=self.n_jobs,
                    max_rows=self.max_rows, keep_predictions=self.keep_predictions)

    def prepare(self, task, wait: bool = True) -> None:
        """Start every worker of the pool and hand it the task now, so that neither counts against a limit.
        ``wait=False`` hands the task only to the workers already running and lets the others start in the
        background (a search under a budget must not wait seconds for a worker to start)."""
        if self.isolate:
            self.spawn()
            for worker in list(self._pool):
                if wait or worker.ready:
                    worker.prepare(task)

    def spawn(self) -> None:
        """Start the pool's workers now, in the background (their imports take a few seconds); the first
        evaluations wait for them. Nothing to do in-process."""
        if not self.isolate:
            return
        with self._lock:
            while len(self._pool) < self.workers:
                worker = self._new_slot()
                self._pool.append(worker)
                self._idle.put(worker)
        for worker in list(self._pool):
            worker.spawn()

    def interrupt(self) -> None:
        """End the evaluations in progress (if isolated) at once; their results come back as errors. Safe to
        call from a signal handler: it only sends the workers SIGKILL."""
        for worker in list(self._pool):
            worker.interrupt()

    def startup_cost(self) -> float:
        """Seconds the next evaluation may spend starting a worker first: 0 when an idle one is running (or
        in-process), else the last measured start-up (a guess of 5 s before the first)."""
        if not self.isolate:
            return 0.0
        idle = list(self._idle.queue)
        if not idle and len(self._pool) >= self.workers:
            return 0.0  # all are busy: the next to free up is running
        guess = _startup_guess(self._pool)
        return min([w.startup_left(guess) for w in idle] or [guess])

    def close(self) -> None:
        for worker in list(self._pool):
            worker.close()
        self._pool, self._idle = [], queue.Queue()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _startup_guess(pool) -> float:
    measured = [w.startup_seconds for w in pool if w.startup_seconds is not None]
    return max(measured) if measured else 5.0


class _Lease:
    """An evaluation slot of an :class:`Evaluator` (see ``Evaluator.lease``): a worker process, or in-process."""

    def __init__(self, evaluator: Evaluator, worker: EvaluationWorker | None):
        self.evaluator, self.worker = evaluator, worker

    def startup_cost(self) -> float:
        """Seconds this slot would spend starting its worker before evaluating (0 when it is running)."""
        if self.worker is None:
            return 0.0
        return self.worker.startup_left(_startup_guess(self.evaluator._pool))

    def import_seconds(self, family: str) -> float:
        """Seconds an evaluation of ``family`` in this slot would first spend importing its library (0
        in-process: this process imports it as any other)."""
        if self.worker is None:
            return 0.0
        return self.worker.import_seconds(family, _startup_guess(self.evaluator._pool))

    @property
    def starting(self) -> bool:
        """Whether this slot's worker is running and still importing its libraries."""
        return self.worker is not None and self.worker.starting

    def wait_ready(self, seconds: float) -> bool:
        """Wait at most ``seconds`` for a starting worker; whether the slot can evaluate now."""
        return self.worker is None or self.worker.wait_ready(seconds)

    def prepare(self, task) -> None:
        if self.worker is not None:
            self.worker.prepare(task)

    def evaluate(self, strategy, task, time_limit: float | None = None) -> Evaluation:
        limit = self.evaluator._limit(time_limit)
        if self.worker is None:
            return cross_validate(strategy, task, time_limit=limit, **self.evaluator._options())
        return self.worker.evaluate(strategy, task, limit, **self.evaluator._options())


def evaluate(strategy, task, **kwargs) -> Evaluation:
    """Score one strategy on one task; keyword arguments as for :class:`Evaluator` (in-process by default)."""
    kwargs.setdefault("isolate", False)
    with Evaluator(**kwargs) as evaluator:
        return evaluator(strategy, task)
