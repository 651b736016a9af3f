"""The one resolver from what a user names as an Optuna storage to the storage (like
``optuna.storages.get_storage``), and opening or creating a study in it."""

from __future__ import annotations

import time
import warnings

from automl_meta.errors import ConfigError, StorageError

# The process running a trial of a study in a database records a heartbeat this often; a RUNNING trial whose
# heartbeat is older than STALE_SECONDS belongs to a process that died (a killed driver, a lost machine), and
# the next process that opens the study or starts a trial fails it (Optuna's fail_stale_trials). Without
# this, such a trial stayed RUNNING for ever and a resumed study refused its warm starts.
HEARTBEAT_SECONDS = 30
STALE_SECONDS = 120


def get_storage(storage, attempts: int = 5):
    """Optuna's storage for ``storage``: None (in memory), a URL, or a storage object (returned as it is).

    A URL's storage records heartbeats (``HEARTBEAT_SECONDS``; stale after ``STALE_SECONDS``). SQLite storages
    get immediate transactions: Optuna's ``SELECT ... FOR UPDATE`` locks nothing in SQLite, and without them two
    processes can pop the same enqueued trial and both run it. A new database opened by
    several processes at once (a team starting together) makes all but one fail while creating Optuna's tables
    or their version row; they try again and find them there.
    """
    import optuna

    if storage is None or not isinstance(storage, str):
        return optuna.storages.get_storage(storage) if storage is None else storage
    from sqlalchemy.exc import SQLAlchemyError

    from automl_meta._internal._sql import lost_creation_race, serialize_sqlite_transactions

    for attempt in range(attempts):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)  # heartbeats: stable in use
                rdb = optuna.storages.RDBStorage(storage, heartbeat_interval=HEARTBEAT_SECONDS, grace_period=STALE_SECONDS)
            if storage.startswith("sqlite"):
                serialize_sqlite_transactions(rdb.engine)
            return optuna.storages.get_storage(rdb)
        except SQLAlchemyError as exc:
            # lost the race to create Optuna's tables, or (SQLite) met the winner's write lock
            raced = lost_creation_race(exc) or "database is locked" in str(exc)
            if not raced or attempt == attempts - 1:
                raise _storage_error(storage, exc) from exc
            time.sleep(0.2 * (attempt + 1))
        except (ImportError, ValueError, OSError) as exc:
            raise _storage_error(storage, exc) from exc


def _storage_error(storage: str, exc: Exception) -> StorageError:
    from automl_meta._internal._sql import safe_url

    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return StorageError(f"Cannot open the Optuna storage {safe_url(storage, '<storage URL>')!r} ({reason}). Give a "
                        "storage URL such as sqlite:///study.db (in a folder that exists) or postgresql://user@host/database.")


def own_sampler_seed() -> int:
    """A sampler seed drawn for this process (never 0, the seed of an unshared search): processes sharing a
    study without a seed given must not propose the same trials. Folds and models keep the fit's seed, so
    that the processes' scores compare."""
    import secrets

    return secrets.randbelow(2**31 - 1) + 1


def default_sampler(random_state: int):
    """The search's sampler when none is given: a seeded multivariate TPE, grouped for the conditional space,
    with the constant liar: trials still running (in other threads, processes or machines sharing the study)
    count as bad results, so that parallel trials spread out instead of proposing the same strategy. A
    sequential search is unchanged (no other trial is running when one is sampled)."""
    import optuna

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)  # `group`, `constant_liar`: stable in use
        return optuna.samplers.TPESampler(seed=random_state, multivariate=True, group=True, constant_liar=True)


def open_study(name: str, *, storage=None, sampler=None, study=None, random_state: int = 0):
    """The study to search in, and whether this call created it.

    Either ``study`` (an Optuna study to go on with, whose sampler keeps what its trials taught it) or a
    study named ``name`` created in (or loaded from) ``storage`` with ``sampler``; creation is atomic in the
    storage, so when several processes open one study, exactly one of them creates it.
    """
    import optuna

    if study is not None:
        given = [n for n, v in (("storage", storage), ("sampler", sampler)) if v is not None]
        if given:
            raise ConfigError(f"Give either study= (a study to go on with) or {' and '.join(given)}=, not both: the study "
                              f"already has its storage and sampler. Drop {' and '.join(given)}= to continue "
                              f"study {study.study_name!r}.")
        return study, False
    storage = get_storage(storage)
    sampler = sampler if sampler is not None else default_sampler(random_state)
    try:
        return optuna.create_study(storage=storage, study_name=name, direction="maximize", sampler=sampler), True
    except optuna.exceptions.DuplicatedStudyError:
        study = optuna.load_study(study_name=name, storage=storage, sampler=sampler)
        fail_stale_trials(study)  # a dead process's RUNNING trials must not block the warm starts of a resume
        return study, False


def fail_stale_trials(study) -> None:
    """Fail the study's RUNNING trials whose process stopped sending heartbeats (no-op without heartbeats), and
    those that never sent one and started more than ``STALE_SECONDS`` ago: a process killed between creating a
    trial and its first heartbeat leaves such a trial, which Optuna's ``fail_stale_trials`` does not see."""
    import optuna

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)
    backend = getattr(study._storage, "_backend", study._storage)
    if getattr(backend, "heartbeat_interval", None) is None:
        return
    for trial_id in _trials_without_heartbeat(backend, study.study_name):
        try:
            backend.set_trial_state_values(trial_id, state=optuna.trial.TrialState.FAIL)
        except optuna.exceptions.UpdateFinishedTrialError:
            pass  # another process ended it first


def _trials_without_heartbeat(backend, study_name: str) -> list[int]:
    """The study's RUNNING trials that have no heartbeat and started more than ``STALE_SECONDS`` ago (Optuna's
    tables: ``trials``, ``trial_heartbeats``)."""
    import datetime

    import sqlalchemy as sa

    cutoff = datetime.datetime.now() - datetime.timedelta(seconds=STALE_SECONDS)
    query = sa.text("SELECT t.trial_id FROM trials t LEFT JOIN trial_heartbeats h ON h.trial_id = t.trial_id "
                    "WHERE t.study_id = :study AND t.state = 'RUNNING' AND h.trial_id IS NULL "
                    "AND t.datetime_start < :cutoff")
    with backend.engine.connect() as conn:
        rows = conn.execute(query, {"study": backend.get_study_id_from_name(study_name), "cutoff": cutoff})
        return [row[0] for row in rows]


def may_enqueue(study) -> bool:
    """A study that exists may take new warm starts only when it is being resumed: it has trials, and none is
    waiting or running (then no other process is working on it, and no creator is still enqueueing)."""
    from optuna.trial import TrialState

    states = [t.state for t in study.get_trials(deepcopy=False)]
    return bool(states) and not any(s in (TrialState.WAITING, TrialState.RUNNING) for s in states)
