"""The OpenML loader, on a locally saved ARFF file (there is no network here)."""

import pytest

from automl_meta.data import load_openml
from automl_meta.data._openml import task_from_openml_dataset
from automl_meta.errors import DataError
from automl_meta.examples import load_example

openml = pytest.importorskip("openml")


@pytest.fixture
def local_dataset(tmp_path, monkeypatch):
    """An OpenMLDataset backed by an ARFF file written here, as openml would have downloaded it."""
    openml.config.set_root_cache_directory(str(tmp_path / "cache"))
    frame = load_example().X.assign(species=load_example().y)
    lines = ["@RELATION penguins", ""]
    for col in frame.columns:
        if col in ("species", "island", "sex"):
            levels = ",".join(sorted(frame[col].dropna().unique()))
            lines.append(f"@ATTRIBUTE {col} {{{levels}}}")
        else:
            lines.append(f"@ATTRIBUTE {col} NUMERIC")
    lines += ["", "@DATA"]
    for _, row in frame.iterrows():
        lines.append(",".join("?" if row.isna()[c] else str(row[c]) for c in frame.columns))
    path = tmp_path / "penguins.arff"
    path.write_text("\n".join(lines) + "\n")
    return openml.datasets.OpenMLDataset(
        "penguins", "Palmer penguins", data_file=str(path), default_target_attribute="species", dataset_id=42585
    )


def test_task_from_openml_dataset(local_dataset):
    task = task_from_openml_dataset(local_dataset)
    assert task.name == "penguins"
    assert task.kind == "multiclass"
    assert task.n_rows == 344
    assert set(task.categorical_columns) == {"island", "sex"}
    assert task.X["sex"].isna().sum() == 11


def test_load_openml_by_dataset_id(local_dataset, monkeypatch):
    calls = []

    def get_dataset(dataset_id, download_data=True):
        calls.append(dataset_id)
        return local_dataset

    monkeypatch.setattr(openml.datasets, "get_dataset", get_dataset)
    task = load_openml(42585, target="island")
    assert calls == [42585]
    assert task.target_name == "island" and task.kind == "multiclass"


def test_load_openml_failure_is_a_data_error(monkeypatch):
    def get_dataset(dataset_id, download_data=True):
        raise ConnectionError("no network")

    monkeypatch.setattr(openml.datasets, "get_dataset", get_dataset)
    with pytest.raises(DataError, match=r"Could not load OpenML dataset 7 \(no network\)"):
        load_openml(7)


def test_load_openml_needs_one_id():
    with pytest.raises(DataError, match="exactly one of dataset_id"):
        load_openml()
