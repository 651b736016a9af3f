"""Entry point of the evaluation worker process: ``python -m automl_meta.evaluate._worker_main R W MB``.

Kept apart from ``_worker`` so that the package never imports it (``-m`` of an imported module warns).
"""

from __future__ import annotations

import sys
from multiprocessing.connection import Connection

from automl_meta.evaluate._result import ERROR


def _serve(conn, reply, memory_limit_mb) -> None:  # runs in the child
    import signal

    # A terminal's Ctrl-C reaches the whole process group; the parent decides (it ends this worker itself).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if memory_limit_mb:
        import resource

        limit = int(memory_limit_mb) * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from automl_meta.evaluate._cv import cross_validate
    from automl_meta.space import Strategy

    _preload()
    reply.send("ready")
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
            try:
                result = cross_validate(Strategy.from_dict(strategy), task, **kwargs).to_dict()
            except MemoryError as exc:  # the memory limit: a recorded failure
                result = {"status": ERROR, "error": f"MemoryError: {exc}"}
            reply.send(result)


def _preload() -> None:
    """Import what models need before the first time limit starts: imports are start-up, not fitting."""
    import importlib

    for name in ("sklearn.ensemble", "sklearn.linear_model", "sklearn.neighbors", "sklearn.svm", "sklearn.calibration", "torch", "lightgbm", "xgboost"):
        try:
            importlib.import_module(name)
        except ImportError:
            pass


if __name__ == "__main__":
    _serve(Connection(int(sys.argv[1]), writable=False), Connection(int(sys.argv[2]), readable=False), int(sys.argv[3]) or None)
