"""Concurrency and sharing: several processes searching one task against one meta-dataset and one
Optuna study, as a team does from several machines (Optuna's distributed mode) — on SQLite files and on a
real PostgreSQL server that the fixture below starts (skipped, with the reason, where none can start).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import optuna
import pytest

from automl_meta.metadataset import MetaDataset
from helpers import stored

WORKERS = str(Path(__file__).resolve().parent / "_workers.py")
N_PROCESSES, N_TRIALS = 3, 4


def _run_team(store_url: str, study_url: str) -> None:
    procs = [subprocess.Popen([sys.executable, WORKERS, "search", store_url, study_url, str(N_TRIALS), str(seed)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for seed in range(N_PROCESSES)]
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-2000:]
        assert out.strip() == str(N_TRIALS)


def _check_nothing_lost_or_duplicated(store_url: str, study_url: str) -> None:
    store = MetaDataset(store_url)
    tasks, evals = store.tasks(), store.evaluations()
    assert len(tasks) == 1  # the same task from three processes is stored once
    assert len(evals) == N_PROCESSES * N_TRIALS and evals["uid"].is_unique
    study = optuna.load_study(study_name="team", storage=study_url)
    trials = study.get_trials()
    assert sorted(t.number for t in trials) == list(range(N_PROCESSES * N_TRIALS))
    assert all(t.state in (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.FAIL) for t in trials)
    # every trial is in the meta-dataset once, with its score
    stored = sorted(round(s, 10) for s in evals["score"].dropna())
    assert stored == sorted(round(t.value, 10) for t in trials if t.value is not None)
    # the two warm starts were tried once each, not once per process
    warm = evals[evals["origin"] == "warm_start"]
    assert len(warm) == 2 and warm["strategy_key"].is_unique


def test_processes_share_one_sqlite_metadataset_and_study(tmp_path):
    store_url, study_url = str(tmp_path / "md.sqlite"), f"sqlite:///{tmp_path / 'study.db'}"
    _run_team(store_url, study_url)
    _check_nothing_lost_or_duplicated(store_url, study_url)


# -- PostgreSQL ------------------------------------------------------------------------------------------------
def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres():
    """A throw-away PostgreSQL cluster on a Unix socket; yields a function making a database URL."""
    pytest.importorskip("psycopg2", reason="psycopg2 is not installed (pip install 'automl-meta[postgres]')")
    initdb, pg_ctl, createdb = _pg_bin("initdb"), _pg_bin("pg_ctl"), _pg_bin("createdb")
    if not (initdb and pg_ctl and createdb):
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql")
    import tempfile

    # not under pytest's temporary root: that is private to the user running the tests (0700), and the server
    # may run as another user
    base = Path(tempfile.mkdtemp(prefix="automl-meta-pg-"))
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    prefix: list[str] = []
    if os.geteuid() == 0:  # the server refuses to run as root: run it as the postgres user
        runuser = shutil.which("runuser")
        try:
            import pwd

            pw = pwd.getpwnam("postgres")
        except KeyError:
            pw = None
        if runuser is None or pw is None:
            pytest.skip("running as root without a 'postgres' user (or runuser) to start PostgreSQL as")
        for p in (base, sock):
            os.chown(p, pw.pw_uid, pw.pw_gid)
        os.chmod(base, 0o755)
        prefix = [runuser, "-u", "postgres", "--"]
    port = _free_port()

    def run(*cmd):
        return subprocess.run(prefix + list(cmd), capture_output=True, text=True, timeout=120)

    r = run(initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
    if r.returncode != 0:
        pytest.skip(f"initdb failed: {r.stderr.strip()[-300:]}")
    r = run(pg_ctl, "-D", str(data), "-w", "-t", "60", "-l", str(base / "server.log"), "-o",
            f"-p {port} -k {sock} -c listen_addresses='' -c max_connections=50 -c fsync=off", "start")
    if r.returncode != 0:
        log = (base / "server.log").read_text() if (base / "server.log").exists() else ""
        pytest.skip(f"PostgreSQL did not start: {(r.stderr + log).strip()[-300:]}")

    def database(name: str) -> str:
        r = run(createdb, "-h", str(sock), "-p", str(port), "-U", "postgres", name)
        assert r.returncode == 0, r.stderr
        return f"postgresql+psycopg2://postgres@/{name}?host={sock}&port={port}"

    yield database
    run(pg_ctl, "-D", str(data), "-m", "immediate", "stop")
    shutil.rmtree(base, ignore_errors=True)


def test_processes_share_one_postgresql_metadataset_and_study(postgres):
    store_url, study_url = postgres("metadataset"), postgres("studies")
    _run_team(store_url, study_url)
    _check_nothing_lost_or_duplicated(store_url, study_url)


def test_postgresql_metadataset_round_trip_and_parameters(postgres, tasks_by_kind):
    """Hostile text goes through SQLAlchemy parameters: stored verbatim, tables intact."""
    from automl_meta.data import Task

    store = MetaDataset(postgres("roundtrip"))
    t = tasks_by_kind["binary"]
    name = "x'); DROP TABLE evaluations; --"
    task_id = stored(store, Task(t.X, t.y, name=name))
    assert store.tasks()["name"].tolist() == [name]
    assert store.evaluations().empty
