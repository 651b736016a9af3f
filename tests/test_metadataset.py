"""The meta-dataset store: tasks, evaluations, training arrays, export/import, transactions, concurrency."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from automl_meta.errors import StorageError
from automl_meta.evaluate import Evaluation
from automl_meta.data import data_home
from automl_meta.metadataset import MetaDataset
from automl_meta.metadataset._location import resolve_url
from automl_meta.metafeatures import FEATURE_NAMES
from automl_meta.space import ENCODING_NAMES, Strategy
from helpers import stored


def fake_evaluations(n, metric="roc_auc", seed=0):
    """Evaluations with made-up scores (the store does not care how they were obtained)."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        s = Strategy("knn", {"n_neighbors": int(rng.integers(1, 100))})
        if i % 5 == 4:
            out.append(Evaluation(s, metric, "error", error="ValueError: boom", fit_seconds=0.1))
        else:
            folds = list(rng.random(3))
            out.append(Evaluation(s, metric, "ok", score=float(np.mean(folds)), fold_scores=folds, fit_seconds=0.5, n_rows=100))
    return out


@pytest.fixture
def store(tmp_path):
    return MetaDataset(tmp_path / "md.sqlite")


def test_tasks_are_stored_once_with_metafeatures(store, tasks_by_kind):
    task = tasks_by_kind["binary"]
    tid = stored(store, task, source="test")
    assert stored(store, task) == tid
    assert stored(store, tasks_by_kind["regression"]) != tid
    row = store.tasks().iloc[0]
    assert (row["name"], row["kind"], row["metric"], row["n_rows"], row["fingerprint"]) == ("bin", "binary", "roc_auc", 150, task.fingerprint)
    assert list(json.loads(row["metafeatures"])) == list(FEATURE_NAMES)


def test_evaluations_and_failures_are_recorded(store, tasks_by_kind):
    tid = stored(store, tasks_by_kind["binary"])
    uids = store.add_evaluations(tid, fake_evaluations(10), origin="test")
    assert len(set(uids)) == 10
    evals = store.evaluations(tid)
    assert len(evals) == 10 and (evals["status"] == "error").sum() == 2
    assert evals.loc[evals["status"] == "error", "score"].isna().all()
    assert evals.loc[evals["status"] == "error", "error"].iloc[0] == "ValueError: boom"
    assert store.evaluated_keys(tid) == {e.strategy.key for e in fake_evaluations(10)}


def test_training_data(store, tasks_by_kind):
    for i, task in enumerate(tasks_by_kind.values()):
        store.add_evaluations(stored(store, task), fake_evaluations(5, metric=task.metric, seed=i), origin="test")
    data = store.training_data()
    assert data.metafeatures.shape == (3, len(FEATURE_NAMES))
    assert data.encodings.shape == (15, len(ENCODING_NAMES))
    assert list(data.eval_task) == [0] * 5 + [1] * 5 + [2] * 5
    assert np.isnan(data.scores[4]) and data.status[4] == "error"
    assert set(data.kinds) == {"binary", "multiclass", "regression"}


@pytest.mark.parametrize("suffix", [".csv.gz", ".parquet"])
def test_export_and_import_merge_without_duplicates(store, tasks_by_kind, tmp_path, suffix):
    if suffix == ".parquet":
        pytest.importorskip("pyarrow")
    tid = stored(store, tasks_by_kind["binary"])
    store.add_evaluations(tid, fake_evaluations(7), origin="test")
    stored(store, tasks_by_kind["regression"])  # a task without evaluations is exported too
    path = tmp_path / f"export{suffix}"
    assert store.export(path) == 8
    other = MetaDataset(tmp_path / "other.sqlite")
    assert other.import_file(path) == (2, 7)
    assert other.import_file(path) == (0, 0)  # the same file again adds nothing
    a, b = store.evaluations(), other.evaluations()
    cols = ["uid", "family", "params", "score", "status", "error", "origin", "fold_scores"]
    pd.testing.assert_frame_equal(a[cols], b[cols])
    assert store.import_file(path) == (0, 0)


def test_provenance_travels_with_the_export(store, tasks_by_kind, tmp_path):
    store.add_evaluations(stored(store, tasks_by_kind["binary"]), fake_evaluations(2), origin="common")
    store.set_info("provenance", {"corpus": "test corpus"})
    store.set_info("build_seconds", "12.5")
    store.export(tmp_path / "e.csv.gz")
    other = MetaDataset(tmp_path / "other.sqlite")
    other.import_file(tmp_path / "e.csv.gz")
    assert json.loads(other.get_info("provenance")) == {"corpus": "test corpus"}
    assert float(other.get_info("build_seconds")) == 12.5
    other.import_file(tmp_path / "e.csv.gz")  # nothing new: the build time is not counted twice
    assert float(other.get_info("build_seconds")) == 12.5


def test_import_of_something_else(tmp_path, store):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(StorageError, match="is not a meta-dataset export: it lacks the column"):
        store.import_file(path)


def test_a_failing_batch_writes_nothing(store, tasks_by_kind):
    tid = stored(store, tasks_by_kind["binary"])
    good = fake_evaluations(3)
    bad = Evaluation(Strategy.default("knn"), None, "ok", score=0.5)  # metric NULL violates the schema
    with pytest.raises(StorageError, match="Writing to the meta-dataset"):
        store.add_evaluations(tid, good + [bad], origin="test")
    assert len(store.evaluations()) == 0


def test_locations(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOML_META_HOME", str(tmp_path / "home"))
    assert data_home() == tmp_path / "home"
    assert resolve_url() == f"sqlite:///{tmp_path / 'home' / 'metadataset.sqlite'}"
    assert resolve_url("postgresql://u@h/db") == "postgresql://u@h/db"
    assert resolve_url(tmp_path / "a" / "b.sqlite") == f"sqlite:///{tmp_path / 'a' / 'b.sqlite'}"
    with pytest.raises(StorageError, match="is a folder"):
        resolve_url(tmp_path)
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(StorageError, match="Cannot create the folder of the meta-dataset"):
        resolve_url(blocker / "sub" / "md.sqlite")


def test_default_store_lives_in_the_data_home():
    store = MetaDataset()
    assert str(data_home()) in store.url


WRITER = textwrap.dedent("""
    import sys
    from automl_meta.evaluate import Evaluation
    from automl_meta.metadataset import MetaDataset
    from automl_meta.space import Strategy
    store, tid, who, n = MetaDataset(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    for i in range(n):  # one transaction per evaluation: as much contention as possible
        ev = Evaluation(Strategy("knn", {"n_neighbors": 1 + i % 100}), "roc_auc", "ok", score=i / n, fold_scores=[i / n])
        ev.error = f"{who}-{i}"  # a marker to find lost or duplicated rows
        store.add_evaluation(tid, ev, origin=who)
""")


def test_four_processes_write_1000_evaluations_at_once(tmp_path, tasks_by_kind):
    path = tmp_path / "shared.sqlite"
    tid = stored(MetaDataset(path), tasks_by_kind["binary"])
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(tid), f"p{k}", "250"], stderr=subprocess.PIPE, text=True)
        for k in range(4)
    ]
    for p in procs:
        assert p.wait(timeout=300) == 0, p.stderr.read()
    evals = MetaDataset(path).evaluations()
    assert len(evals) == 1000
    assert evals["uid"].is_unique and evals["error"].is_unique
    assert set(evals["error"]) == {f"p{k}-{i}" for k in range(4) for i in range(250)}


def test_default_store_starts_from_the_shipped_export(tmp_path, tasks_by_kind, monkeypatch):
    import automl_meta.metadataset._store as store_module

    source = MetaDataset(tmp_path / "source.sqlite")
    store_tid = stored(source, tasks_by_kind["binary"])
    source.add_evaluations(store_tid, fake_evaluations(4), origin="common")
    shipped = tmp_path / "metadataset.csv.gz"
    source.export(shipped)
    monkeypatch.setattr(store_module, "SHIPPED_FILE", shipped)
    monkeypatch.setenv("AUTOML_META_HOME", str(tmp_path / "fresh-home"))
    first = MetaDataset()
    assert first.count() == (1, 4) and first.made_from_shipped  # first use: a copy of the shipped meta-dataset
    later = MetaDataset()
    assert later.count() == (1, 4) and not later.made_from_shipped  # the user's own store, not a second copy
    explicit = MetaDataset(tmp_path / "explicit.sqlite")
    assert explicit.count() == (0, 0) and not explicit.made_from_shipped  # an explicit location starts empty


def test_add_task_stores_the_given_metafeatures_and_computes_none(store, tasks_by_kind, monkeypatch):
    import automl_meta.metafeatures as metafeatures
    from automl_meta.errors import ConfigError

    task = tasks_by_kind["binary"]
    mf = metafeatures.compute(task, random_state=5)
    monkeypatch.setattr(metafeatures, "compute", lambda *a, **k: pytest.fail("the store computed meta-features"))
    tid = store.add_task(task, mf)
    stored_values = json.loads(store.tasks()["metafeatures"][0])
    assert stored_values["lm_1nn"] == pytest.approx(mf["lm_1nn"], nan_ok=True)
    assert store.current_task_id(task) == tid
    with pytest.raises(ConfigError, match="add_task needs the task's meta-features"):
        store.add_task(task, None)


def test_a_v1_database_is_migrated_in_place_and_a_newer_one_refused(tmp_path, tasks_by_kind):
    import sqlite3

    path = tmp_path / "v1.sqlite"
    tid = stored(MetaDataset(path), tasks_by_kind["binary"])
    with sqlite3.connect(path) as con:  # make it a schema-1 database, as automl-meta 0.1 wrote them
        con.execute("ALTER TABLE tasks DROP COLUMN fidelity")
        con.execute("ALTER TABLE tasks DROP COLUMN collection")
        con.execute("UPDATE info SET value = '1' WHERE key = 'schema_version'")
    with pytest.warns(UserWarning, match="Migrated the meta-dataset .* from schema v1 to v2"):
        store = MetaDataset(path)
    assert store.get_info("schema_version") == "2" and store.tasks()["fidelity"].isna().all()
    assert stored(store, tasks_by_kind["binary"]) == tid  # the task is still there, found by its data
    store.set_info("schema_version", "3")
    with pytest.raises(StorageError, match="schema version '3', which this automl-meta .* cannot read"):
        MetaDataset(path)


def test_a_v1_export_imports_with_no_fidelity(tmp_path, tasks_by_kind):
    source = MetaDataset(tmp_path / "a.sqlite")
    source.add_evaluations(stored(source, tasks_by_kind["binary"]), fake_evaluations(3), origin="common")
    source.export(tmp_path / "v2.csv.gz")
    frame = pd.read_csv(tmp_path / "v2.csv.gz").drop(columns=["task_fidelity", "task_collection"])
    frame.to_csv(tmp_path / "v1.csv.gz", index=False)
    target = MetaDataset(tmp_path / "b.sqlite")
    assert target.import_file(tmp_path / "v1.csv.gz") == (1, 3)
    assert target.tasks()["fidelity"].isna().all()
