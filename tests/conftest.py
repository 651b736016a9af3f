"""Shared fixtures: small, seeded tables of the kinds users really have."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from automl_meta.data import default_manifest_path
from helpers import make_mixed_frame


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    """Never touch the user's real meta-dataset: the default store lives in a temporary folder."""
    monkeypatch.setenv("AUTOML_META_HOME", str(tmp_path_factory.mktemp("automl_meta_home")))


@pytest.fixture
def mixed_frame() -> pd.DataFrame:
    return make_mixed_frame()


@pytest.fixture
def features(mixed_frame) -> pd.DataFrame:
    return mixed_frame.drop(columns=["y_binary", "y_multi", "y_reg"])


@pytest.fixture
def corpus_manifest():
    path = default_manifest_path()
    if path is None or not path.is_file():
        pytest.skip("the shared corpus (../shared/datasets/manifest.csv or $AUTOML_META_CORPUS) is not present")
    return path


@pytest.fixture
def tasks_by_kind():
    """A binary, a multiclass and a regression task, each with categoricals and missing values."""
    from automl_meta.data import Task

    frame = make_mixed_frame(n=150, seed=3)
    X = frame.drop(columns=["y_binary", "y_multi", "y_reg"])
    return {
        "binary": Task(X, frame["y_binary"], name="bin"),
        "multiclass": Task(X, frame["y_multi"], name="multi"),
        "regression": Task(X, frame["y_reg"], name="reg"),
    }


# -- a real PostgreSQL server ---------------------------------------------------------------------------------
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


@pytest.fixture(scope="session")
def postgres():
    """A throw-away PostgreSQL cluster on a Unix socket, one per test run; yields a function making a database
    URL (each test names its own database)."""
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
