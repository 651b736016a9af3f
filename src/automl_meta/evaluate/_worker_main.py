"""Entry point of the evaluation worker process: ``python -m automl_meta.evaluate._worker_main R W MB`` (two
inherited pipes, POSIX), or ``... --listen MB`` (the portable channel: reads a key from standard input, listens,
prints the address, and serves the one connection that knows the key).

Kept apart from ``_worker`` so that the package never imports it (``-m`` of an imported module warns).
"""

from __future__ import annotations

import sys
from multiprocessing.connection import Connection

from automl_meta.evaluate._result import ERROR
from automl_meta.evaluate._worker import LATE_IMPORT_FAMILIES


def _serve(conn, reply, memory_limit_mb) -> None:  # runs in the child
    import signal

    # A terminal's Ctrl-C reaches the whole process group; the parent decides (it ends this worker itself).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if memory_limit_mb:
        try:
            import resource
        except ImportError:  # Windows: no address-space limit; a model that runs out of memory fails as itself
            resource = None
        if resource is not None:
            limit = int(memory_limit_mb) * 2**20
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from automl_meta.evaluate._cv import cross_validate
    from automl_meta.space import Strategy

    _preload(_EARLY)
    reply.send("ready")
    late_imported = False
    task_key, task = None, None
    while True:
        try:
            msg = conn.recv()
        except EOFError:
            return
        if msg is None:
            return
        op = msg[0]
        if op == "task":
            task_key, task = msg[1], msg[2]
        elif op == "eval":
            _, key, strategy, kwargs = msg
            assert key == task_key, "task not sent"
            if strategy.get("family") in LATE_IMPORT_FAMILIES and not late_imported:
                _preload(_LATE)  # the fit's own clock starts after it (the parent counts it: import_seconds)
                late_imported = True
            try:
                result = cross_validate(Strategy.from_dict(strategy), task, **kwargs).to_dict()
            except MemoryError as exc:  # the memory limit: a recorded failure
                result = {"status": ERROR, "error": f"MemoryError: {exc}"}
            try:
                reply.send(result)
            except (BrokenPipeError, ConnectionResetError):
                return  # the parent is gone (a killed Dask worker, a killed fit): nobody to answer, nothing to say


#: Imported before the worker says it is ready: every family but the MLP needs one of them, and they are quick.
_EARLY = ("sklearn.ensemble", "sklearn.linear_model", "sklearn.neighbors", "sklearn.svm", "sklearn.calibration",
          "lightgbm", "xgboost")
#: Imported when the first evaluation of a family that needs it arrives (about 1 s, 3 s on a slow machine):
#: torch, which only the MLP (LATE_IMPORT_FAMILIES) needs. Imported in a thread beside the first trials instead,
#: it held the interpreter's lock that they needed: the first trial of a 344-row table took 1.9 s instead of
#: 0.5 s, the first five together 2.8 s more, about the import's own time (3.1 s): the overlap saved nothing.
_LATE = ("torch",)


def _preload(names) -> None:
    """Import what models need before the first time limit starts: imports are start-up, not fitting."""
    import importlib

    for name in names:
        try:
            importlib.import_module(name)
        except ImportError:
            pass


def _listen(memory_limit_mb) -> None:
    """The portable channel: listen where only the parent, which wrote the key, can connect; then serve."""
    import os
    from multiprocessing.connection import Listener

    key = bytes.fromhex(sys.stdin.readline().strip())
    with Listener(authkey=key) as listener:
        print(listener.address, flush=True)
        os.dup2(2, 1)  # what models print goes to standard error: nobody reads the pipe from now on
        conn = listener.accept()
    _serve(conn, conn, memory_limit_mb)


if __name__ == "__main__":
    if sys.argv[1] == "--listen":
        _listen(int(sys.argv[2]) or None)
    else:
        _serve(Connection(int(sys.argv[1]), writable=False), Connection(int(sys.argv[2]), readable=False),
               int(sys.argv[3]) or None)
