"""Evaluations on a Dask cluster: the same evaluation slot as a local worker process, run on a Dask worker.

The driver (the process that runs the search) submits each evaluation to the cluster; on the Dask worker it runs
in an :class:`EvaluationWorker` process of that machine, so a trial stays isolated and is ended at its time limit
exactly as a local one is. The task is scattered to the cluster once. What comes back is the evaluation (score,
seconds, out-of-fold predictions). A Dask worker lost in the middle of an evaluation is Dask's to handle: the
scheduler runs the evaluation again on another worker (``distributed.scheduler.allowed-failures`` times, 3 by
default), and when it gives up the evaluation is a recorded error; the search goes on. The task is sent to
every worker; if a lost worker held its last copy, it is sent again and the evaluation runs once more.
"""

from __future__ import annotations

import threading
import time

from automl_meta.evaluate._result import ERROR, TIMEOUT, Evaluation
from automl_meta.evaluate._worker import GRACE_SECONDS, EvaluationWorker

# Seconds the driver waits for an evaluation beyond its time limit before it gives up on the cluster: the
# worker process's start-up on a Dask worker's first evaluation, and the transfer of the result.
_CLUSTER_ALLOWANCE = 120.0
# Seconds to reach a scheduler given by its address.
CONNECT_SECONDS = 30


def resolve_client(scheduler):
    """A ``dask.distributed.Client`` for ``scheduler``: a client as it is, or a scheduler address."""
    from automl_meta.errors import ConfigError

    try:
        from distributed import Client
    except ImportError as exc:
        raise ConfigError("scheduler= needs dask.distributed: pip install 'automl-meta[distributed]'.") from exc
    if isinstance(scheduler, Client):
        return scheduler
    if isinstance(scheduler, str):
        try:
            return Client(scheduler, timeout=CONNECT_SECONDS)
        except (OSError, TimeoutError) as exc:
            raise ConfigError(f"Cannot reach the Dask scheduler at {scheduler!r} ({exc}). Start it (dask scheduler) "
                              "or give the address it prints, such as tcp://10.0.0.5:8786.") from exc
    raise ConfigError(f"scheduler must be a dask.distributed.Client or a scheduler address; got {scheduler!r}.")


class Cluster:
    """The driver's view of a Dask cluster: its client, and each task scattered to it once."""

    def __init__(self, client):
        self.client = client
        self._tasks = {}
        self._lock = threading.Lock()

    def task_future(self, task):
        """The task on the cluster, sent once: to every worker (broadcast), so that losing one loses no copy
        (scattered data has no recipe to compute it again)."""
        with self._lock:
            if task.fingerprint not in self._tasks:
                self._tasks[task.fingerprint] = self.client.scatter(task, broadcast=True, hash=False)
            return self._tasks[task.fingerprint]

    def forget(self, task) -> None:
        """Send the task again next time (the cluster lost every copy of it)."""
        with self._lock:
            self._tasks.pop(task.fingerprint, None)


class RemoteSlot:
    """An evaluation slot on a Dask cluster, with the interface of :class:`EvaluationWorker`: the search
    leases it to one trial at a time. There is no local process to start or end."""

    startup_seconds = 0.0
    alive = ready = True
    starting = False

    def __init__(self, cluster: Cluster, memory_limit_mb: int | None = None, threads: int | None = None):
        self.cluster, self.memory_limit_mb, self.threads = cluster, memory_limit_mb, threads
        self._future = None

    def startup_left(self, guess: float) -> float:
        return 0.0

    def import_seconds(self, family: str, guess: float) -> float:
        return 0.0  # the Dask worker's process is not seen from here: its evaluation's limit covers its imports

    def spawn(self) -> None:
        pass

    def wait_ready(self, seconds: float) -> bool:
        return True

    def prepare(self, task) -> None:
        self.cluster.task_future(task)

    def evaluate(self, strategy, task, time_limit: float | None, **options) -> Evaluation:
        from distributed import TimeoutError as DaskTimeout

        start = time.perf_counter()
        wait = None if time_limit is None else time_limit + GRACE_SECONDS + _CLUSTER_ALLOWANCE
        try:
            try:
                return self._run(strategy, task, time_limit, options, wait)
            except Exception as exc:
                if type(exc).__name__ != "FutureCancelledError":
                    raise
                # the task's every copy was lost with a worker (the scheduler forgets what depends on it): sent
                # again, the evaluation runs once more
                self.cluster.forget(task)
                return self._run(strategy, task, time_limit, options, wait)
        except DaskTimeout:
            return Evaluation(strategy, task.metric, TIMEOUT, fit_seconds=time.perf_counter() - start,
                              error=f"no result from the cluster within {wait:.3g} s: the evaluation was cancelled")
        except Exception as exc:  # a worker lost too often (KilledWorker), a cancelled future: a recorded failure
            return Evaluation(strategy, task.metric, ERROR, fit_seconds=time.perf_counter() - start,
                              error=f"the evaluation failed on the cluster: {type(exc).__name__}: {exc}"[:2000])

    def _run(self, strategy, task, time_limit, options: dict, wait) -> Evaluation:
        self._future = self.cluster.client.submit(
            evaluate_on_worker, strategy.to_dict(), self.cluster.task_future(task), time_limit, options,
            self.memory_limit_mb, self.threads, pure=False)
        try:
            return Evaluation.from_dict(self._future.result(timeout=wait))
        except BaseException:
            self._future.cancel()
            raise
        finally:
            self._future = None

    def interrupt(self) -> None:
        future = self._future
        if future is not None:
            future.cancel()

    def kill(self) -> None:
        self.interrupt()

    close = kill


# One evaluation worker process per thread of a Dask worker, reused across its evaluations (its start-up is
# paid once, as on the driver's machine).
_LOCAL = threading.local()


def evaluate_on_worker(strategy: dict, task, time_limit, options: dict, memory_limit_mb, threads) -> dict:
    """Runs on a Dask worker: the evaluation in this thread's worker process, ended at ``time_limit``. The
    limit runs from here: a worker process still starting (after a time-out ended the last one) spends it first,
    so that the driver's budget holds (the driver cannot see that start-up, as it sees a local worker's)."""
    from automl_meta.space import Strategy

    began = time.perf_counter()
    worker = getattr(_LOCAL, "worker", None)
    if worker is None or worker.memory_limit_mb != memory_limit_mb or worker.threads != threads:
        if worker is not None:
            worker.close()
        worker = _LOCAL.worker = EvaluationWorker(memory_limit_mb, threads)
    strategy = Strategy.from_dict(strategy)
    worker.spawn()
    if time_limit is not None:
        if not worker.wait_ready(time_limit):
            return Evaluation(strategy, task.metric, TIMEOUT, fit_seconds=time.perf_counter() - began,
                              error=f"time limit of {time_limit:.3g} s spent starting the worker process").to_dict()
        time_limit = max(time_limit - (time.perf_counter() - began), 1e-3)
    result = worker.evaluate(strategy, task, time_limit, **options)
    if not worker.alive:
        worker.spawn()  # ended at its limit: its replacement starts now, not when the next trial needs it
    return result.to_dict()
