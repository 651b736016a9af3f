"""The Optuna search over the strategy space: enqueued strategies first, then a sampler; every trial recorded.

Define-by-run: each trial picks a family, then that family's hyperparameters (named ``family.param``), so any
Optuna sampler and storage work, and optuna-dashboard can read a study stored in a database.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import signal
import threading
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from automl_meta.errors import ConfigError
from automl_meta.evaluate import Evaluation, Evaluator
from automl_meta.evaluate._worker import GRACE_SECONDS
from automl_meta.search._progress import SearchProgress
from automl_meta.space import FAMILIES, Strategy, available_families, suggest

#: Trial user attribute naming where a trial came from ("warm_start", "sampler", or the caller's name).
ORIGIN_ATTR = "origin"
# Below this many seconds left (plus, after a time-out, the worker's restart), no new trial is started.
_MIN_TRIAL_SECONDS = 0.25


@dataclass
class SearchResult:
    """What a search did: the Optuna study, every evaluation in trial order, and the leaderboard."""

    study: object
    evaluations: list = field(default_factory=list)
    origins: list = field(default_factory=list)
    seconds: float = math.nan
    task_id: int | None = None

    @property
    def best(self) -> Evaluation | None:
        ok = [e for e in self.evaluations if e.ok]
        return max(ok, key=lambda e: e.score) if ok else None

    @property
    def leaderboard(self) -> pd.DataFrame:
        """One row per trial, best first; failures last with their status and error."""
        rows = [
            {
                "trial": i, "family": e.strategy.family, "score": e.score, "status": e.status,
                "fit_seconds": e.fit_seconds, "origin": o, "strategy": str(e.strategy),
                "error": (e.error or "").splitlines()[0][:200] if e.error else "",
            }
            for i, (e, o) in enumerate(zip(self.evaluations, self.origins))
        ]
        frame = pd.DataFrame(rows, columns=["trial", "family", "score", "status", "fit_seconds", "origin", "strategy", "error"])
        frame = frame.sort_values(["score", "trial"], ascending=[False, True], na_position="last").reset_index(drop=True)
        frame.index = frame.index + 1
        frame.index.name = "rank"
        return frame


def validate_stopping(n_trials, time_budget) -> None:
    """The one check of when a search (or an estimator's fit) stops: trials, a budget, or both."""
    if n_trials is None and time_budget is None:
        raise ConfigError("Give n_trials, time_budget or both, so that the search knows when to stop.")
    if n_trials is not None and (isinstance(n_trials, bool) or not isinstance(n_trials, (int, np.integer)) or n_trials < 1):
        raise ConfigError(f"n_trials must be a positive integer; got {n_trials!r}. Use for example n_trials=30.")
    if time_budget is not None and not (isinstance(time_budget, (int, float)) and math.isfinite(time_budget) and time_budget > 0):
        raise ConfigError(f"time_budget must be a positive number of seconds; got {time_budget!r}. Use for example time_budget=60.")


def _resolve_families(families, kind: str) -> list[str]:
    available = available_families(kind)
    if families is None:
        return available
    families = list(families)
    for f in families:
        if f not in FAMILIES:
            Strategy.default(f)  # raises the ConfigError naming the close matches
        if f not in available:
            raise ConfigError(f"Family {f!r} is not available for {kind} tasks here (needs {FAMILIES[f].requires!r}?).")
    if not families:
        raise ConfigError("families is empty; name at least one model family or pass None for all.")
    return families


def _open_metadataset(metadataset):
    if metadataset is False:
        return None
    from automl_meta.metadataset import MetaDataset

    return metadataset if isinstance(metadataset, MetaDataset) else MetaDataset(metadataset)


def search(
    task,
    *,
    n_trials: int | None = None,
    time_budget: float | None = None,
    enqueue=(),
    enqueue_origin: str = "warm_start",
    storage: str | None = None,
    study_name: str | None = None,
    sampler=None,
    random_state: int = 0,
    families=None,
    metadataset=None,
    origin: str = "sampler",
    evaluator: Evaluator | None = None,
    time_limit: float | None = None,
    cv: int | None = None,
    device: str = "auto",
    n_jobs: int = 1,
    progress: bool = False,
    logger: logging.Logger | None = None,
    reserve=None,
    study=None,
) -> SearchResult:
    """Search the strategy space for a task with Optuna.

    Parameters
    ----------
    task : Task
    n_trials : int, optional
        Trials to run (in addition to any already in a resumed study).
    time_budget : float, optional
        Seconds for the whole search; it stops within a few percent of it: each trial's time limit is cut to
        the time left, and a trial over it is ended.
    enqueue : iterable of Strategy
        Strategies tried first, in order (the meta-model's recommendations); recorded with ``enqueue_origin``.
    storage : str, optional
        An Optuna storage URL (``sqlite:///study.db``) to keep and resume the study; in memory when None.
    study_name : str, optional
        Defaults to ``automl-meta-<task name>``.
    sampler : optuna.samplers.BaseSampler, optional
        Defaults to a seeded multivariate TPE sampler (grouped, for the conditional space).
    random_state : int, default=0
    families : list of str, optional
        Restrict the search to these families; all available ones by default.
    metadataset : MetaDataset, str, None or False
        Where every trial is recorded: a store, a location, None for the user's default store, False for none.
    origin : str, default="sampler"
        Origin recorded for sampled trials.
    evaluator : Evaluator, optional
        How trials are scored; by default an isolated evaluator with ``time_limit``, ``cv``, ``device`` and
        ``n_jobs``.
    progress : bool, default=False
        Show a progress bar on standard error.
    logger : logging.Logger, optional
        Receives one line per enqueued strategy and per trial.
    reserve : callable, optional
        ``reserve(evaluations) -> seconds`` of the time budget to keep free after the search, given the
        evaluations so far (the estimators keep what the refit of the best one needs). Trials start and are
        limited only within ``time_budget - reserve``.
    study : optuna.Study, optional
        A study to go on with (``storage``, ``study_name`` and ``sampler`` are then ignored): its own sampler
        keeps what the earlier trials taught it. The estimators use it to spend time left after their refit on more trials.

    Returns
    -------
    SearchResult
    """
    import optuna

    validate_stopping(n_trials, time_budget)
    families = _resolve_families(families, task.kind)
    log = logger or logging.getLogger("automl_meta.search")
    store = _open_metadataset(metadataset)
    task_id = store.add_task(task) if store is not None else None
    own_evaluator = evaluator is None
    evaluator = evaluator or Evaluator(cv=cv, time_limit=time_limit, device=device, n_jobs=n_jobs, random_state=random_state)
    optuna.logging.set_verbosity(optuna.logging.ERROR)  # failures are reported by us, with their reason
    if study is None:
        if sampler is None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)  # `group` is stable in use
                sampler = optuna.samplers.TPESampler(seed=random_state, multivariate=True, group=True)
        study, created = _create_or_load(optuna, storage, study_name or f"automl-meta-{task.name}", sampler)
        study.set_user_attr("task", task.name)
        study.set_user_attr("metric", task.metric)
    else:
        created = False
    if enqueue and not created and not _may_enqueue(optuna, study):
        # Several processes share this study (Optuna's distributed mode): the one that created it enqueues the
        # warm starts, so they are tried once, not once per process.
        log.info("warm starts left to the process that created study %r", study.study_name)
        enqueue = ()
    for strategy in enqueue:
        if strategy.family not in families:
            log.info("warm start skipped (family %s not searched): %s", strategy.family, strategy)
            continue
        study.enqueue_trial(strategy.to_trial_params(), user_attrs={ORIGIN_ATTR: enqueue_origin}, skip_if_exists=True)
        log.info("warm start enqueued: %s", strategy)

    result = SearchResult(study=study, task_id=task_id)
    start = time.perf_counter()
    deadline = None if time_budget is None else start + time_budget

    interrupted = threading.Event()

    def search_deadline() -> float | None:
        if deadline is None:
            return None
        return deadline - (reserve(result.evaluations) if reserve is not None else 0.0)

    def objective(trial):
        if interrupted.is_set():
            trial.study.stop()
            raise optuna.TrialPruned("interrupted")
        strategy = suggest(trial, families)
        trial_origin = trial.user_attrs.get(ORIGIN_ATTR, origin)
        trial.set_user_attr(ORIGIN_ATTR, trial_origin)
        limit = None
        end = search_deadline()
        if end is not None:
            if end - time.perf_counter() < _MIN_TRIAL_SECONDS + evaluator.startup_cost():
                trial.study.stop()
                raise optuna.TrialPruned("time budget spent")
            if evaluator.isolate:
                evaluator.prepare(task)  # (re)start the worker first: its start-up is not the model's time
            # the evaluation may overrun its limit by the worker's grace period before it is ended
            limit = end - time.perf_counter() - GRACE_SECONDS
            if limit < _MIN_TRIAL_SECONDS:
                trial.study.stop()
                raise optuna.TrialPruned("time budget spent")
        ev = evaluator(strategy, task, time_limit=limit)
        if interrupted.is_set():
            # the evaluation was cut short by the user, not by the strategy: nothing to learn, nothing recorded
            trial.study.stop()
            raise optuna.TrialPruned("interrupted")
        trial.set_user_attr("status", ev.status)
        trial.set_user_attr("fit_seconds", ev.fit_seconds)
        if ev.error:
            trial.set_user_attr("error", ev.error.splitlines()[0][:500])
        if store is not None:
            store.add_evaluation(task_id, ev, origin=trial_origin)
        result.evaluations.append(ev)
        result.origins.append(trial_origin)
        bar.update(ev)
        log.info("trial %d [%s] %s -> %s %s", trial.number, trial_origin, strategy, ev.status,
                 f"{ev.score:.5f}" if ev.ok else (ev.error or "").splitlines()[0][:120])
        end = search_deadline()
        if end is not None and end - time.perf_counter() < _MIN_TRIAL_SECONDS:
            trial.study.stop()
        return ev.score if ev.ok else float("nan")  # NaN: Optuna records the trial as failed and goes on

    try:
        with SearchProgress(n_trials, time_budget, enabled=progress) as bar, \
                _graceful_interrupt(interrupted, evaluator):
            if evaluator.isolate:
                evaluator.prepare(task)
            study.optimize(objective, n_trials=n_trials, timeout=time_budget, catch=(), gc_after_trial=False)
    finally:
        if own_evaluator:
            evaluator.close()
    result.seconds = time.perf_counter() - start
    if interrupted.is_set():
        raise KeyboardInterrupt(f"search interrupted after {len(result.evaluations)} recorded trials; run it again "
                                "with the same storage to resume the study")
    return result


def _open_storage(optuna, storage, attempts: int = 5):
    """Optuna's storage for a URL. A new database opened by several processes at once (a team starting
    together) makes all but one fail while creating Optuna's tables or their version row; they try again and
    find them there."""
    if not isinstance(storage, str):
        return storage
    from sqlalchemy.exc import SQLAlchemyError

    from automl_meta.metadataset._store import lost_creation_race, serialize_sqlite_transactions

    for attempt in range(attempts):
        try:
            if storage.startswith("sqlite"):
                # Optuna's "SELECT ... FOR UPDATE" locks nothing in SQLite: without immediate transactions two
                # processes can pop the same enqueued trial and both run it
                rdb = optuna.storages.RDBStorage(storage)
                serialize_sqlite_transactions(rdb.engine)
                return optuna.storages.get_storage(rdb)
            return optuna.storages.get_storage(storage)
        except SQLAlchemyError as exc:
            # lost the race to create Optuna's tables, or (SQLite) met the winner's write lock
            raced = lost_creation_race(exc) or "database is locked" in str(exc)
            if not raced or attempt == attempts - 1:
                raise _storage_error(storage, exc) from exc
            time.sleep(0.2 * (attempt + 1))
        except (ImportError, ValueError, OSError) as exc:
            raise _storage_error(storage, exc) from exc


def _storage_error(storage: str, exc: Exception):
    from automl_meta.errors import StorageError
    from automl_meta.metadataset._location import safe_url

    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return StorageError(f"Cannot open the Optuna storage {safe_url(storage, '<storage URL>')!r} ({reason}). Give a "
                        "storage URL such as sqlite:///study.db (in a folder that exists) or postgresql://user@host/database.")


def _create_or_load(optuna, storage, name: str, sampler):
    """The study, and whether this call created it (creation is atomic in the storage: one process wins)."""
    storage = _open_storage(optuna, storage)
    try:
        return optuna.create_study(storage=storage, study_name=name, direction="maximize", sampler=sampler), True
    except optuna.exceptions.DuplicatedStudyError:
        return optuna.load_study(study_name=name, storage=storage, sampler=sampler), False


def _may_enqueue(optuna, study) -> bool:
    """A study that exists may take new warm starts only when it is being resumed: it has trials, and none is
    waiting or running (then no other process is working on it, and no creator is still enqueueing)."""
    states = [t.state for t in study.get_trials(deepcopy=False)]
    return bool(states) and not any(s in (optuna.trial.TrialState.WAITING, optuna.trial.TrialState.RUNNING) for s in states)


@contextlib.contextmanager
def _graceful_interrupt(interrupted: threading.Event, evaluator):
    """Turn Ctrl-C into a clean stop: the evaluation in progress is ended (and not recorded), Optuna and the
    meta-dataset finish what they are writing, and ``search`` then raises KeyboardInterrupt. A KeyboardInterrupt
    raised at an arbitrary point could land inside a storage write (Optuna itself then fails with an unrelated
    error). A second Ctrl-C interrupts at once. Only in the main thread, and only over Python's default
    handler (a caller's own handler is left alone)."""
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
