"""Building a meta-dataset from a corpus: common set, task-specific rounds, two fidelities, resumability (also
after a kill), Dask, shards, refused and duplicate tasks, stats."""

import json
import subprocess
import sys
import time

import pandas as pd
import pytest

from automl_meta.cli import main
from automl_meta.collect import BuildConfig, build
from automl_meta.collect._builder import BASE, COMMON, LARGE, TPE, shard_of
from automl_meta.collect._design import common_strategies
from automl_meta.collect._units import capped_task
from automl_meta.metadataset import MetaDataset, stats
from automl_meta.space import available_families

from helpers import CORPUS_FAMILIES, make_mixed_frame, write_corpus


@pytest.fixture
def small_corpus(tmp_path):
    return write_corpus(tmp_path, [("t0", "y_binary", "classification", 200, 0, "g0"),
                                    ("t1", "y_reg", "regression", 200, 1, "g1")])


def test_common_set_covers_every_family_and_is_fixed():
    a, b = common_strategies(64), common_strategies(64)
    assert a == b and len(set(a)) == 64
    n = len(available_families())
    assert {s.family for s in a[:n]} == set(available_families())  # each family's defaults lead
    only = common_strategies(10, families=CORPUS_FAMILIES)
    assert len(only) == 10 and {s.family for s in only} == set(CORPUS_FAMILIES)


def test_build_is_complete_and_resumable(small_corpus, tmp_path):
    store = MetaDataset(tmp_path / "md.sqlite")
    config = BuildConfig(n_common=4, n_specific=3, rounds=2, max_rows=120, large_rows=180, large_min_rows=150,
                         n_common_large=2, cv=3, time_limit=60, jobs=2, families=CORPUS_FAMILIES)
    report = build(small_corpus, store=store, config=config, progress=False)
    assert (report.tasks_done, report.evaluations_added, report.failed_tasks) == (2, 2 * (4 + 3) + 2 * 2, {})
    tasks = store.tasks().set_index("id")
    assert sorted(zip(tasks["name"], tasks["fidelity"], tasks["n_rows"])) == [
        ("t0", BASE, 120), ("t0", LARGE, 180), ("t1", BASE, 120), ("t1", LARGE, 180)]
    assert set(tasks["collection"]) == {"synthetic"} and all("of 200" in s for s in tasks["source"])
    evals = store.evaluations()
    evals["fidelity"] = evals["task_id"].map(tasks["fidelity"])
    counts = evals.groupby(["fidelity", "origin"]).size().to_dict()
    assert counts == {(BASE, COMMON): 8, (BASE, TPE): 6, (LARGE, COMMON): 4}
    assert set(evals["family"]) <= set(CORPUS_FAMILIES) and evals["fit_seconds"].notna().all()
    # both fidelities' common sets are stored before any task-specific trial (the most useful evaluations first)
    assert evals.loc[evals["origin"] == COMMON, "id"].max() < evals.loc[evals["origin"] == TPE, "id"].min()
    # a second run adds nothing; a larger request adds only what is missing
    assert build(small_corpus, store=store, config=config, progress=False).evaluations_added == 0
    more = BuildConfig(**{**vars(config), "n_specific": 5})
    assert build(small_corpus, store=store, config=more, progress=False).evaluations_added == 4


def test_a_build_on_a_dask_local_cluster(tmp_path):
    """3 tasks x 4 strategies through joblib's Dask backend on a LocalCluster."""
    pytest.importorskip("distributed")
    manifest = write_corpus(tmp_path, [(f"d{i}", "y_binary", "classification", 100, i, f"g{i}") for i in range(3)])
    store = MetaDataset(tmp_path / "md.sqlite")
    config = BuildConfig(n_common=4, n_specific=0, n_common_large=0, cv=3, jobs=2, families=CORPUS_FAMILIES)
    report = build(manifest, store=store, config=config, progress=False, dask=True)
    assert (report.tasks_done, report.evaluations_added) == (3, 12)
    evals = store.evaluations()
    assert evals.groupby("task_id").size().tolist() == [4, 4, 4] and (evals["status"] == "ok").all()


def test_a_killed_build_resumes_without_evaluating_anything_twice(tmp_path):
    manifest = write_corpus(tmp_path, [(f"k{i}", "y_multi", "classification", 150, i, f"g{i}") for i in range(3)])
    md = tmp_path / "md.sqlite"
    command = [sys.executable, "-m", "automl_meta", "metadataset", "build", manifest, "--metadataset", str(md),
               "--common", "8", "--strategies-per-task", "0", "--large-common", "0", "--families", "knn,linear,extra_trees",
               "--jobs", "1", "--no-progress"]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        if md.exists() and MetaDataset(md).count()[1] >= 3:
            break
        time.sleep(0.2)
    proc.kill()
    proc.wait()
    at_kill = MetaDataset(md).count()[1]
    assert 3 <= at_kill < 24, "the build was not killed mid-way"
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert f"{24 - at_kill} new evaluations" in done.stdout
    evals = MetaDataset(md).evaluations()
    assert len(evals) == 24 and not evals.duplicated(["task_id", "strategy_key", "origin"]).any()


def test_refused_and_duplicate_tasks_are_reported_not_skipped_silently(tmp_path):
    manifest = write_corpus(tmp_path, [("a", "y_binary", "classification", 100, 0, "g0"),
                                        ("same-as-a", "y_binary", "classification", 100, 0, "g1")])
    frame = pd.read_csv(manifest)
    one_class = make_mixed_frame(n=60, seed=5).assign(y_binary="yes")
    one_class.to_csv(tmp_path / "bad.csv", index=False)
    frame.loc[len(frame)] = {**frame.iloc[0].to_dict(), "name": "bad", "path": "bad.csv", "group": "g2"}
    frame.to_csv(manifest, index=False)
    store = MetaDataset(tmp_path / "md.sqlite")
    config = BuildConfig(n_common=2, n_specific=0, n_common_large=0, cv=3, jobs=1, families=CORPUS_FAMILIES)
    report = build(manifest, store=store, config=config, progress=False)
    assert "only one class" in report.failed_tasks["bad"]
    assert report.duplicate_tasks == {"same-as-a": "a"} or report.duplicate_tasks == {"a": "same-as-a"}
    assert (report.tasks_done, report.evaluations_added) == (1, 2)
    summary = stats(store)
    assert "bad" in summary["rejected_tasks"] and summary["tasks"] == 1


def test_shards_partition_the_manifest_by_group():
    frame = pd.DataFrame({"name": [f"t{i}" for i in range(40)], "group": [f"g{i // 2}" for i in range(40)]})
    parts = [shard_of(frame, (i, 3)) for i in (1, 2, 3)]
    assert sum(len(p) for p in parts) == 40 and len(set().union(*(set(p["name"]) for p in parts))) == 40
    for p in parts:  # a group is never split across machines
        assert not set(p["group"]) & set().union(*(set(q["group"]) for q in parts if q is not p))


def test_capped_task_is_seeded_stratified_and_cross_validatable(tasks_by_kind):
    task = tasks_by_kind["multiclass"]
    a, b = capped_task(task, 60, 3, 0), capped_task(task, 60, 3, 0)
    assert a.fingerprint == b.fingerprint and 58 <= a.n_rows <= 62
    assert set(a.y) == set(task.y) and a.name == task.name
    assert capped_task(task, 1000, 3, 0) is task
    rare = task.y.copy()
    rare.iloc[:4] = "rare"  # 4 of 150 rows: 2 in a 60-row subsample by share, but 3 folds need 3
    from automl_meta.data import Task

    small = capped_task(Task(task.X, rare, cv=3), 60, 3, 0)
    assert (small.y == "rare").sum() == 3


def test_stats_cli(small_corpus, tmp_path, capsys):
    md = str(tmp_path / "md.sqlite")
    assert main(["metadataset", "build", small_corpus, "--metadataset", md, "--common", "3", "--strategies-per-task", "1",
                 "--rounds", "1", "--max-rows", "100", "--large-rows", "150", "--large-min-rows", "150",
                 "--large-common", "2", "--families", ",".join(CORPUS_FAMILIES), "--jobs", "1", "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["metadataset", "stats", "--metadataset", md, "--json"]) == 0
    st = json.loads(capsys.readouterr().out)
    assert st["tasks"] == 4 and st["evaluations"] == 2 * (3 + 1) + 2 * 2 and st["failures"] == 0
    assert st["fidelities"] == {BASE: 8, LARGE: 4} and st["collections"] == {"synthetic": 2}
    assert set(st["families"]) <= set(CORPUS_FAMILIES) and set(st["best_minus_median_by_collection"]) == {"synthetic"}
    build_record = st["provenance"]["builds"][-1]
    assert build_record["config"]["max_rows"] == 100 and "metadataset build" in build_record["command"]
    assert main(["metadataset", "stats", "--metadataset", md]) == 0
    assert "evaluations per task: min 2" in capsys.readouterr().out
