"""Concurrency and sharing: several processes searching one task against one meta-dataset and one
Optuna study, as a team does from several machines (Optuna's distributed mode) — on SQLite files and on a
real PostgreSQL server that conftest.py's ``postgres`` fixture starts (skipped, with the reason, where none can start).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import optuna
import pandas as pd

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


def _fit_team(study_url: str, n_processes: int = 2, n_trials: int = 4) -> list[dict]:
    """Fits in ``n_processes`` processes at once sharing one study (started together: a barrier after their
    imports): what each model was chosen from, and how."""
    import json
    import tempfile

    with tempfile.TemporaryDirectory(prefix="automl-meta-barrier-") as barrier:
        procs = [subprocess.Popen([sys.executable, WORKERS, "fit", study_url, str(n_trials), barrier, str(n_processes)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(n_processes)]
        outcomes = []
        for p in procs:
            out, err = p.communicate(timeout=300)
            assert p.returncode == 0, err[-2000:]
            outcomes.append(json.loads(out.strip().splitlines()[-1]))
        return outcomes


def _check_one_model_from_all_trials(study_url: str, outcomes: list[dict], n_trials: int = 4) -> None:
    """Each process ran its own trials, and chose its model from every finished trial of the study: the two
    chose from the same trials, and so made the same choice."""
    (name,) = optuna.get_all_study_names(study_url)
    complete = sorted(t.number for t in optuna.load_study(study_name=name, storage=study_url).trials
                      if t.state == optuna.trial.TrialState.COMPLETE)
    ran = [set(o["ran_here"]) for o in outcomes]
    assert all(len(r) == n_trials for r in ran) and not set.intersection(*ran)  # no trial run twice
    assert all(o["trials"] == complete for o in outcomes)  # every process chose from all the study's trials
    assert all(o["model"] == outcomes[0]["model"] and o["score"] == outcomes[0]["score"] for o in outcomes)


def test_fits_sharing_a_sqlite_study_choose_their_models_from_all_its_trials(tmp_path):
    study_url = f"sqlite:///{tmp_path / 'study.db'}"
    _check_one_model_from_all_trials(study_url, _fit_team(study_url))


# -- PostgreSQL (the server: conftest.py's postgres fixture) -----------------------------------------------

def test_processes_share_one_postgresql_metadataset_and_study(postgres):
    store_url, study_url = postgres("metadataset"), postgres("studies")
    _run_team(store_url, study_url)
    _check_nothing_lost_or_duplicated(store_url, study_url)


def test_fits_sharing_a_postgresql_study_choose_their_models_from_all_its_trials(postgres):
    study_url = postgres("fits")
    _check_one_model_from_all_trials(study_url, _fit_team(study_url))


def test_postgresql_metadataset_round_trip_and_parameters(postgres, tasks_by_kind):
    """Hostile text goes through SQLAlchemy parameters: stored verbatim, tables intact."""
    from automl_meta.data import Task

    store = MetaDataset(postgres("roundtrip"))
    t = tasks_by_kind["binary"]
    name = "x'); DROP TABLE evaluations; --"
    task_id = stored(store, Task(t.X, t.y, name=name))
    assert store.tasks()["name"].tolist() == [name]
    assert store.evaluations().empty


def test_an_export_imports_into_postgresql_as_into_sqlite(postgres, tasks_by_kind, tmp_path):
    """An import writes each table in one driver-level statement (SQLite's positional parameters, psycopg2's
    named ones): the same rows, hostile text verbatim, in either store; a second import adds nothing."""
    from automl_meta.data import Task
    from automl_meta.evaluate import evaluate
    from automl_meta.space import Strategy

    source = MetaDataset(tmp_path / "source.sqlite")
    t = tasks_by_kind["binary"]
    task_id = stored(source, Task(t.X, t.y, name="x'); DROP TABLE evaluations; --"))
    for strategy in (Strategy.default("linear"), Strategy.default("knn")):
        source.add_evaluation(task_id, evaluate(strategy, t, cv=3), origin="it's a test")
    source.export(tmp_path / "export.csv.gz")

    def content(store):
        tasks = store.tasks().drop(columns="id")
        evaluations = store.evaluations().drop(columns=["id", "task_id"]).sort_values("uid", ignore_index=True)
        return tasks, evaluations

    for target in (MetaDataset(tmp_path / "copy.sqlite"), MetaDataset(postgres("imported"))):
        assert target.import_file(tmp_path / "export.csv.gz") == (1, 2)
        for got, expected in zip(content(target), content(source)):
            pd.testing.assert_frame_equal(got, expected, check_dtype=False)
        assert target.import_file(tmp_path / "export.csv.gz") == (0, 0)
