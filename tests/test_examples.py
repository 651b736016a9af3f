import pytest

from automl_meta.errors import DataError
from automl_meta.examples import example_path, load_example


def test_penguins_example():
    task = load_example("penguins")
    assert (task.kind, task.n_rows, task.n_features) == ("multiclass", 344, 7)
    assert set(task.categorical_columns) == {"island", "sex"}
    assert task.X.isna().any().any()
    assert load_example("penguins", target="body_mass_g").kind == "regression"


def test_unknown_example():
    with pytest.raises(DataError, match=r"No bundled example 'nope'\. Available: penguins"):
        example_path("nope")
