"""What the package ships: the meta-dataset built from the corpus, and the meta-model trained on it."""

import json

import pandas as pd

from automl_meta.metadataset import SHIPPED_FILE, MetaDataset
from automl_meta.metamodel import SHIPPED_MODEL, MetaModel
from automl_meta.space import available_families


def test_shipped_metadataset_covers_the_corpus():
    frame = pd.read_csv(SHIPPED_FILE)
    per_task = frame.groupby("task_fingerprint")
    assert per_task.ngroups >= 150 and frame["task_group_name"].nunique() >= 60
    assert per_task.size().min() >= 64
    assert frame[frame["origin"] == "common"].groupby("task_fingerprint").size().min() >= 32
    families = frame.groupby("task_fingerprint")["family"].nunique()
    assert families.min() == len(available_families())  # every family on every task
    assert (frame["status"] != "ok").sum() > 0 and frame.loc[frame["status"] != "ok", "error"].notna().all()
    provenance = json.loads(json.loads(open(str(SHIPPED_FILE) + ".json").read())["info"]["provenance"])
    assert provenance["metafeatures_version"] == "1" and provenance["builds"]


def test_a_fresh_user_store_holds_the_shipped_metadataset():
    tasks, evaluations = MetaDataset().count()  # the default store, in this test's empty data home
    assert tasks >= 150 and evaluations >= 150 * 64


def test_shipped_metamodel_recommends():
    from automl_meta.examples import load_example

    model = MetaModel.load(SHIPPED_MODEL)
    recs = model.recommend(load_example(), k=5)
    assert len(recs) == 5 and len({r.strategy for r in recs}) == 5
