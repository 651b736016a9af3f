"""Faults: failing trials, Ctrl-C during a fit, SIGKILL during meta-dataset writes.

(A trial that raises, returns NaN or overruns its time limit: tests/test_search.py::
test_failures_are_recorded_and_the_search_goes_on; a worker killed mid-evaluation, as the kernel's
out-of-memory killer would: tests/test_evaluate.py::test_a_crashed_worker_is_a_recorded_error_and_is_replaced.)
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import optuna
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin

from automl_meta.evaluate import Evaluator
from automl_meta.metadataset import MetaDataset
from automl_meta.models import _build
from automl_meta.search import search
from automl_meta.space import Strategy

from helpers import make_mixed_frame

WORKERS = str(Path(__file__).resolve().parent / "_workers.py")


class _Hog(ClassifierMixin, BaseEstimator):
    """A model whose fit asks for 8 TiB."""

    def fit(self, X, y):
        self.buffer_ = np.ones(2**40)
        return self


def test_a_trial_that_allocates_too_much_memory_is_recorded_and_the_search_goes_on(tasks_by_kind, tmp_path, monkeypatch):
    monkeypatch.setitem(_build._MAKERS, "knn", lambda *a: _Hog())
    store = MetaDataset(tmp_path / "md.sqlite")
    result = search(tasks_by_kind["binary"], n_trials=3, enqueue=[Strategy.default("knn")], metadataset=store,
                    families=["knn", "linear"], evaluator=Evaluator(cv=3, isolate=False))
    evals = store.evaluations()
    assert len(evals) == 3
    assert evals["status"].iloc[0] == "error" and "MemoryError" in evals["error"].iloc[0]
    assert result.study.trials[0].state == optuna.trial.TrialState.FAIL
    assert (evals["status"].iloc[1:] == "ok").any()


def _count(db: Path, sql: str) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchone()[0]


def _wait_for_evaluations(db: Path, proc, n: int, seconds: float = 120) -> None:
    """Wait until the store at ``db`` holds ``n`` evaluations, or ``proc`` ends, or ``seconds`` pass."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if db.exists() and _count(db, "SELECT COUNT(*) FROM evaluations") >= n:
                return
        except sqlite3.OperationalError:
            pass  # the store is being created
        time.sleep(0.1)


def _integrity(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


@pytest.mark.parametrize("delay", [0.0, 0.013, 0.031])
def test_sigkill_in_the_middle_of_writes_leaves_no_partial_batch(tmp_path, delay):
    db = tmp_path / "md.sqlite"
    proc = subprocess.Popen([sys.executable, WORKERS, "write", str(db)], stdout=subprocess.PIPE, text=True)
    for _ in range(4):  # four batches committed, the fifth (or later) in flight
        assert proc.stdout.readline(), "the writer ended early"
    time.sleep(delay)
    proc.kill()
    proc.wait()
    proc.stdout.close()
    assert _integrity(db) == "ok"
    evals = MetaDataset(db).evaluations()
    sizes = evals.groupby("origin").size()
    assert len(sizes) >= 4 and (sizes == 50).all(), sizes.to_dict()  # every batch whole, none half-written
    assert evals["uid"].is_unique


def test_ctrl_c_during_fit_keeps_the_store_consistent_and_a_rerun_resumes_the_study(tmp_path):
    data = tmp_path / "train.csv"
    make_mixed_frame(n=200, seed=5).drop(columns=["y_multi", "y_reg"]).to_csv(data, index=False)
    db, study_db = tmp_path / "md.sqlite", tmp_path / "study.db"
    storage = f"sqlite:///{study_db}"
    argv = [sys.executable, "-m", "automl_meta", "fit", str(data), "--target", "y_binary", "--cv", "3",
            "--no-warm-start", "--no-progress", "--time-limit", "30", "--storage", storage, "--metadataset", str(db),
            "--out", str(tmp_path / "model.amm")]
    # a terminal's Ctrl-C reaches the whole foreground process group: the CLI and its evaluation worker
    # PYTHONFAULTHANDLER: should the CLI not stop, SIGABRT makes it print where each of its threads is.
    # preexec_fn: a test run started in the background by a non-interactive shell (as CI may start it) has
    # SIGINT ignored, and children inherit that: the CLI would rightly ignore Ctrl-C. A terminal's foreground
    # process, which this test stands for, has the default disposition.
    proc = subprocess.Popen(argv + ["--trials", "500"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, env=dict(os.environ, PYTHONFAULTHANDLER="1"),
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    _wait_for_evaluations(db, proc, 3)
    assert proc.poll() is None, proc.stderr.read()
    os.killpg(proc.pid, signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGABRT)
        time.sleep(3)
        os.killpg(proc.pid, signal.SIGKILL)
        _, err = proc.communicate()
        pytest.fail(f"`automl-meta fit` did not stop within 60 s of Ctrl-C; its stderr:\n{err[:6000]}\n...\n{err[-1500:]}")
    assert proc.returncode == 130 and "interrupted" in err, err[-3000:]

    assert _integrity(db) == "ok"
    recorded = _count(db, "SELECT COUNT(*) FROM evaluations")
    (name,) = optuna.get_all_study_names(storage)
    study = optuna.load_study(study_name=name, storage=storage)
    assert not [t for t in study.trials if t.state == optuna.trial.TrialState.RUNNING]
    # every trial that finished is in the meta-dataset, and nothing else is
    finished = [t for t in study.trials if "status" in t.user_attrs]
    assert len(finished) == recorded >= 3
    n_before = len(study.trials)

    rerun = subprocess.run(argv + ["--trials", "3"], capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    study = optuna.load_study(study_name=name, storage=storage)
    assert len(study.trials) == n_before + 3
    assert _count(db, "SELECT COUNT(*) FROM evaluations") == recorded + 3
    assert _count(db, "SELECT COUNT(*) FROM tasks") == 1


@pytest.fixture(params=["sqlite", "postgresql"])
def study_storage(request, tmp_path) -> str:
    """An Optuna storage URL: a SQLite file, or a database of the test run's PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'study.db'}"
    return request.getfixturevalue("postgres")("killed_driver")


def test_a_killed_driver_leaves_no_trial_running_and_a_rerun_repeats_no_finished_trial(tmp_path, monkeypatch,
                                                                                        study_storage):
    """SIGKILL to `automl-meta fit --storage` (the driver and its workers) in the middle of its search: the study
    keeps every finished trial; the trials it was running stop sending heartbeats (or never sent one), and the
    same command run again fails them as stale, takes its warm starts (those not tried yet), runs its trials and
    repeats none."""
    from automl_meta.cli import main
    from automl_meta.search import _storage

    data = tmp_path / "train.csv"
    make_mixed_frame(n=200, seed=6).drop(columns=["y_multi", "y_reg"]).to_csv(data, index=False)
    db, storage = tmp_path / "md.sqlite", study_storage
    args = ["fit", str(data), "--target", "y_binary", "--cv", "3", "--no-progress", "--time-limit", "30",
            "--storage", storage, "--metadataset", str(db), "--out", str(tmp_path / "model.amm")]
    proc = subprocess.Popen([sys.executable, "-m", "automl_meta", *args, "--trials", "500"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    _wait_for_evaluations(db, proc, 3)
    assert proc.poll() is None
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    recorded = _count(db, "SELECT COUNT(*) FROM evaluations")
    (name,) = optuna.get_all_study_names(storage)
    before = optuna.load_study(study_name=name, storage=storage).trials
    complete_before = len([t for t in before if t.state == optuna.trial.TrialState.COMPLETE])
    running = [t.number for t in before if t.state == optuna.trial.TrialState.RUNNING]  # those it was in
    # a trial is recorded in the meta-dataset by its objective, then told to the study: a kill between the two
    # leaves it recorded and RUNNING (a window of milliseconds, which a CI run once hit)
    assert recorded >= 3 and complete_before <= recorded <= complete_before + len(running)

    # not 2 minutes: the test waits for it; and heartbeats more often than that, or the rerun's own trials (two
    # at a time) would look stale to each other and be failed under it
    monkeypatch.setattr(_storage, "STALE_SECONDS", 3)
    monkeypatch.setattr(_storage, "HEARTBEAT_SECONDS", 1)
    time.sleep(4.5)  # SQLite's clock has whole seconds: more than 3 whole seconds must pass
    assert main([*args, "--trials", "3"]) == 0
    after = optuna.load_study(study_name=name, storage=storage).trials
    assert not [t for t in after if t.state in (optuna.trial.TrialState.RUNNING, optuna.trial.TrialState.WAITING)]
    assert all(after[n].state == optuna.trial.TrialState.FAIL for n in running)  # failed as stale
    complete = [t for t in after if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(complete) == complete_before + 3 and _count(db, "SELECT COUNT(*) FROM evaluations") == recorded + 3
    assert len({tuple(sorted(t.params.items())) for t in complete}) == len(complete)  # no finished trial run again


def test_a_trial_that_never_sent_a_heartbeat_is_failed_once_it_is_stale(tmp_path, monkeypatch):
    """A process killed between creating a trial and its first heartbeat: Optuna's own check does not see the
    trial (it has no heartbeat); the study opened again fails it once it is older than STALE_SECONDS."""
    import warnings

    from automl_meta.search import _storage

    monkeypatch.setattr(_storage, "STALE_SECONDS", 1)
    url = f"sqlite:///{tmp_path / 'study.db'}"
    study, _ = _storage.open_study("s", storage=url)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # heartbeats are meant for optimize()
        study.ask()  # RUNNING, and no heartbeat
    fresh, _ = _storage.open_study("s", storage=url)
    assert [t.state for t in fresh.trials] == [optuna.trial.TrialState.RUNNING]  # not stale yet: may be alive
    time.sleep(1.5)
    again, _ = _storage.open_study("s", storage=url)
    assert [t.state for t in again.trials] == [optuna.trial.TrialState.FAIL] and _storage.may_enqueue(again)
