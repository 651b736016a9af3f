"""Ctrl-C as a clean stop of a search."""

from __future__ import annotations

import contextlib
import os
import signal
import threading


@contextlib.contextmanager
def graceful_interrupt(interrupted: threading.Event, evaluator):
    """Turn Ctrl-C into a clean stop: ``interrupted`` is set, the evaluation in progress is ended (and not
    recorded), Optuna and the meta-dataset finish what they are writing, and the search then raises
    KeyboardInterrupt. A KeyboardInterrupt raised at an arbitrary point could land inside a storage write
    (Optuna itself then fails with an unrelated error). A second Ctrl-C interrupts at once. Only in the main
    thread, and only over Python's default handler (a caller's own handler is left alone)."""
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield
        return

    def handler(signum, frame):
        interrupted.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        evaluator.interrupt()
        # os.write, not print: the signal may land while this thread is writing to sys.stderr (a log line),
        # and a second write into the same buffered stream from the handler raises "reentrant call"
        try:
            os.write(2, b"\nautoml-meta: interrupted: ending the current trial (Ctrl-C again to stop at once)\n")
        except OSError:
            pass

    signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
