"""Evaluations in a separate, long-lived worker process that is ended when it overruns its time limit.

Python cannot interrupt a thread that is inside a C extension (a tree fit, a BLAS call), so a hard time limit
needs a process. The worker is started once (a fresh interpreter, ``python -m automl_meta.evaluate._worker_main``:
no inherited OpenMP or CUDA state, and unlike multiprocessing's "spawn" it does not re-run the user's main
script) and reused; it is killed and restarted only after a time-out or a crash (segmentation fault,
out-of-memory kill), which are recorded as failures like any other.

Two channels to the worker, one protocol (pickled messages on a ``multiprocessing`` connection):

* on POSIX, two pipes handed to the child (``pass_fds``): nothing to wait for, the child starts in the
  background while the caller computes;
* elsewhere (Windows has no ``pass_fds``), or when ``PORTABLE_CHANNEL`` is set: the child listens on a local
  socket or named pipe (``multiprocessing.connection.Listener``, authenticated by a random key the parent
  writes to its standard input), prints the address, and the parent connects when it first needs the worker.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from multiprocessing.connection import Client, Connection

from automl_meta.errors import AutoMetaError
from automl_meta.evaluate._result import ERROR, TIMEOUT, Evaluation

# Seconds a new worker may take to import its libraries.
_STARTUP_TIMEOUT = 300
# Seconds allowed beyond a time limit for handing the result back before the worker is ended.
GRACE_SECONDS = 0.25
#: Talk to the worker through a listener it opens instead of inherited pipes (the only way on Windows; tests
#: force it on Linux).
PORTABLE_CHANNEL = sys.platform == "win32"
#: Families whose library a worker imports only for their first evaluation (torch: about 1 s, 3 s on a slow
#: machine; ``_worker_main``): that evaluation waits for it (``EvaluationWorker.import_seconds``), so a search
#: runs them after the others (``search``), and a fit's own process imports it for an MLP's refit (``estimator``).
LATE_IMPORT_FAMILIES = frozenset({"mlp"})


class EvaluationWorker:
    """One worker process. Not thread-safe: use one per thread."""

    def __init__(self, memory_limit_mb: int | None = None, threads: int | None = None):
        self.memory_limit_mb = memory_limit_mb
        self.threads = threads
        self._proc = self._conn = self._send = None
        self._key = None  # the portable channel's key, until the parent has connected
        self._task_key = None
        self.startup_seconds = None  # measured at the first start
        self._ready = False
        self._late_imported = False  # whether the running process has imported LATE_IMPORT_FAMILIES' library

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def startup_left(self, guess: float) -> float:
        """Seconds until this worker can evaluate: 0 when ready; for one starting, its expected start-up (the one
        measured, else ``guess``) less the time it has been starting; for none, a whole start-up."""
        if self.ready:
            return 0.0
        expected = self.startup_seconds if self.startup_seconds is not None else guess
        if not self.alive:
            return expected
        return max(expected - (time.perf_counter() - self._started), 0.0)

    def import_seconds(self, family: str, guess: float) -> float:
        """Seconds an evaluation of ``family`` would spend importing its library first: for a family of
        LATE_IMPORT_FAMILIES not yet evaluated by this process, about its start-up (the one measured, else
        ``guess``: both are imports of libraries of about torch's size); else 0."""
        if family not in LATE_IMPORT_FAMILIES or (self.alive and self._late_imported):
            return 0.0
        return self.startup_seconds if self.startup_seconds is not None else guess

    @property
    def ready(self) -> bool:
        """Running and done importing: an evaluation would start at once."""
        if self.alive and not self._ready and self._connected() and self._conn.poll(0):
            self._wait_ready()
        return self.alive and self._ready

    def spawn(self):
        """Start the process without waiting for it to be ready (its imports take seconds: the caller can
        compute meanwhile); ``prepare`` waits."""
        if not self.alive:
            self.kill()  # reap a dead one (nothing to do when there was none)
            self._spawn()

    def _spawn(self):
        self._started = time.perf_counter()
        env = dict(os.environ)
        if self.threads:
            # OpenMP (HistGradientBoosting, LightGBM, XGBoost) and BLAS otherwise start one thread per core in
            # every worker; with several workers they oversubscribe the cores and spin-wait each other
            for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
                env[var] = str(self.threads)
        command = [sys.executable, "-m", "automl_meta.evaluate._worker_main"]
        memory = str(self.memory_limit_mb or 0)
        if PORTABLE_CHANNEL:
            import secrets

            self._key = secrets.token_bytes(32)
            self._proc = subprocess.Popen(command + ["--listen", memory], stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, env=env)
            self._proc.stdin.write(self._key.hex().encode() + b"\n")
            self._proc.stdin.close()
        else:
            to_child_r, to_child_w = os.pipe()
            from_child_r, from_child_w = os.pipe()
            self._proc = subprocess.Popen(command + [str(to_child_r), str(from_child_w), memory],
                                          pass_fds=(to_child_r, from_child_w), stdin=subprocess.DEVNULL, env=env)
            os.close(to_child_r)
            os.close(from_child_w)
            self._send = Connection(to_child_w, readable=False)
            self._conn = Connection(from_child_r, writable=False)
        self._task_key = None
        self._ready = self._late_imported = False

    def _connected(self) -> bool:
        """Whether the channel is open: at once for pipes; for the portable channel, once the child has said
        where it listens (read here: at most its interpreter's start) and the parent has connected."""
        if self._conn is not None:
            return True
        if self._proc is None or self._key is None:
            return False
        address = self._proc.stdout.readline().decode().strip()  # "" when the child died first
        self._proc.stdout.close()
        if not address:
            return False
        self._conn = self._send = Client(address, authkey=self._key)
        self._key = None
        return True

    @property
    def starting(self) -> bool:
        """Running, still importing its libraries."""
        return self.alive and not self.ready

    def wait_ready(self, seconds: float) -> bool:
        """Wait at most ``seconds`` for a starting worker to be ready; whether it is (it goes on starting if not)."""
        if self.starting and self._connected() and self._conn.poll(max(seconds, 0.0)):
            self._wait_ready()
        return self.ready

    def _wait_ready(self):
        if self._ready:
            return
        if not self._connected() or not self._conn.poll(_STARTUP_TIMEOUT) or self._conn.recv() != "ready":
            self.kill()
            raise AutoMetaError("the evaluation worker process did not start; see its output above")
        self._ready = True
        if self.startup_seconds is None:  # the cost of a cold start (a spawned one may have overlapped other work)
            self.startup_seconds = time.perf_counter() - self._started

    def close(self):
        """End the worker. It holds no state worth a graceful exit, and an interpreter with torch and
        scikit-learn loaded can take a second to shut down: time a search's budget should not pay."""
        self.kill()

    def interrupt(self):
        if self.alive:
            self._proc.kill()

    def kill(self):
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.kill()
            self._proc.wait()
            for end in (self._send, self._conn, self._proc.stdout):
                if end is not None:
                    end.close()
        self._proc = self._conn = self._send = self._key = None

    def prepare(self, task) -> None:
        """Start the process if needed, wait until it is ready, and send it the task (once per task)."""
        self.spawn()
        self._wait_ready()
        if self._task_key != task.fingerprint:
            self._send.send(("task", task.fingerprint, task))
            self._task_key = task.fingerprint

    def evaluate(self, strategy, task, time_limit: float | None, **kwargs) -> Evaluation:
        start = time.perf_counter()
        try:
            self.prepare(task)
            start = time.perf_counter()  # the limit runs from here: start-up and task transfer are not the model's
            # the worker's own check between folds uses the same limit; the parent enforces it exactly
            self._send.send(("eval", task.fingerprint, strategy.to_dict(), dict(kwargs, time_limit=time_limit)))
            wait = None if time_limit is None else time_limit + GRACE_SECONDS
            if self._conn.poll(wait):
                d = self._conn.recv()
                self._late_imported |= strategy.family in LATE_IMPORT_FAMILIES  # it answered: it imported it
                if "strategy" in d:
                    return Evaluation.from_dict(d)
                return Evaluation(strategy, task.metric, d["status"], error=d["error"], fit_seconds=time.perf_counter() - start)
            self.kill()
            return Evaluation(
                strategy, task.metric, TIMEOUT, fit_seconds=time.perf_counter() - start,
                error=f"time limit of {time_limit:.3g} s exceeded: the evaluation was stopped",
            )
        except (EOFError, BrokenPipeError, ConnectionResetError, OSError) as exc:
            code = None
            if self._proc is not None:
                try:  # the pipe closes a moment before the process can be reaped
                    code = self._proc.wait(timeout=2)
                except subprocess.TimeoutExpired:
                    pass
            self.kill()
            return Evaluation(
                strategy, task.metric, ERROR, fit_seconds=time.perf_counter() - start,
                error=f"the evaluation process died (exit code {code}): {type(exc).__name__}",
            )

    def __del__(self):
        try:
            self.kill()
        except Exception:
            pass

