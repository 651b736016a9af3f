"""Building a meta-dataset from a corpus: common set, TPE run, resumability, row cap, stats."""

import gzip

import pandas as pd
import pytest

from automl_meta.cli import main
from automl_meta.collect import COMMON, TPE, BuildConfig, build, capped_task, common_strategies
from automl_meta.metadataset import MetaDataset
from automl_meta.space import available_families

from conftest import make_mixed_frame


@pytest.fixture
def small_corpus(tmp_path):
    rows = []
    for i, (target, kind) in enumerate([("y_binary", "classification"), ("y_reg", "regression")]):
        frame = make_mixed_frame(n=200, seed=i).drop(columns=[c for c in ("y_binary", "y_multi", "y_reg") if c != target])
        with gzip.open(tmp_path / f"t{i}.csv.gz", "wt") as fh:
            frame.rename(columns={target: "target"}).to_csv(fh, index=False)
        rows.append({"name": f"t{i}", "path": f"t{i}.csv.gz", "task": kind, "target": "target", "group": f"g{i}", "source": "test"})
    pd.DataFrame(rows).to_csv(tmp_path / "manifest.csv", index=False)
    return tmp_path / "manifest.csv"


def test_common_set_covers_every_family_and_is_fixed():
    a, b = common_strategies(20), common_strategies(20)
    assert a == b and len(set(a)) == 20
    assert {s.family for s in a[: len(available_families())]} == set(available_families())


FAST = ["linear", "knn", "extra_trees"]


def test_build_is_complete_and_resumable(small_corpus, tmp_path, monkeypatch):
    import automl_meta.collect._builder as builder

    # keep the test fast: the common set from three quick families only
    monkeypatch.setattr(builder, "available_families", lambda kind=None: FAST)
    monkeypatch.setattr(builder, "common_strategies", lambda n, seed: common_strategies(n, seed, families=FAST))
    store = MetaDataset(tmp_path / "md.sqlite")
    config = BuildConfig(n_common=4, n_specific=3, max_rows=120, cv=3, time_limit=60, jobs=2)
    report = build(small_corpus, store=store, config=config, progress=False)
    assert (report.tasks_done, report.evaluations_added, report.failed_tasks) == (2, 14, {})
    evals = store.evaluations()
    assert evals.groupby("task_id")["origin"].value_counts().unstack().to_dict() == {COMMON: {1: 4, 2: 4}, TPE: {1: 3, 2: 3}}
    assert set(evals["family"]) <= set(FAST)
    assert (evals["origin"] == COMMON).sum() == 8 and (evals["origin"] == TPE).sum() == 6
    tasks = store.tasks()
    assert list(tasks["n_rows"]) == [120, 120] and all("rows 120 of 200" in s for s in tasks["source"])
    # a second run adds nothing; a larger request adds only what is missing
    assert build(small_corpus, store=store, config=config, progress=False).evaluations_added == 0
    more = BuildConfig(n_common=4, n_specific=5, max_rows=120, cv=3, jobs=1)
    assert build(small_corpus, store=store, config=more, progress=False).evaluations_added == 4


def test_capped_task_is_seeded_and_stratified(tasks_by_kind):
    task = tasks_by_kind["multiclass"]
    a, b = capped_task(task, 60, 3, 0), capped_task(task, 60, 3, 0)
    assert a.fingerprint == b.fingerprint and 58 <= a.n_rows <= 62
    assert set(a.y) == set(task.y) and a.name == task.name
    assert capped_task(task, 1000, 3, 0) is task


def test_stats_cli(small_corpus, tmp_path, capsys, monkeypatch):
    import automl_meta.collect._builder as builder

    monkeypatch.setattr(builder, "common_strategies", lambda n, seed: common_strategies(n, seed, families=FAST))
    monkeypatch.setattr(builder, "available_families", lambda kind=None: FAST)
    md = str(tmp_path / "md.sqlite")
    assert main(["metadataset", "build", str(small_corpus), "--metadataset", md, "--common", "3",
                 "--strategies-per-task", "1", "--max-rows", "100", "--jobs", "1"]) == 0
    capsys.readouterr()
    assert main(["metadataset", "stats", "--metadataset", md, "--json"]) == 0
    import json

    st = json.loads(capsys.readouterr().out)
    assert st["tasks"] == 2 and st["evaluations"] == 8 and st["common_per_task_min"] == 3
    build_record = st["provenance"]["builds"][-1]
    assert build_record["config"]["max_rows"] == 100 and "metadataset build" in build_record["command"]
    assert main(["metadataset", "stats", "--metadataset", md]) == 0
    assert "evaluations per task: min 4" in capsys.readouterr().out
