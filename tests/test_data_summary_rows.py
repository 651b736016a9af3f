"""A report's summary rows ("Total", "Average") at a table's end are dropped; real rows never are."""

import numpy as np
import pandas as pd
import pytest

from automl_meta.data import DataWarning, Task
from automl_meta.data._summary_rows import rows_before_summary_rows


@pytest.fixture
def prices() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 60
    return pd.DataFrame({"hood": rng.choice(["a", "b", "c"], n), "sqft": rng.integers(500, 4000, n).astype(float),
                         "beds": rng.integers(1, 5, n), "price": rng.lognormal(12, 0.4, n).round()})


def _with_row(frame: pd.DataFrame, **cells) -> pd.DataFrame:
    return pd.concat([frame, pd.DataFrame([cells])], ignore_index=True)


def test_a_total_row_of_sums_is_dropped_with_a_warning(prices):
    table = _with_row(prices, hood="Total", sqft=prices.sqft.sum(), beds=prices.beds.sum(), price=prices.price.sum())
    with pytest.warns(DataWarning, match=r"Dropped 1 summary row\(s\) at the end of the table \('Total', price"):
        task = Task.from_frame(table, "price")
    assert task.n_rows == len(prices) and task.y.max() == prices.price.max()


def test_an_unlabelled_row_of_sums_and_a_labelled_mean_row_are_dropped(prices):
    sums = _with_row(prices, price=prices.price.sum())  # the other cells empty, no label: its one number a sum
    means = _with_row(sums, hood="Average:", sqft=prices.sqft.mean(), price=round(prices.price.mean(), 2))
    with pytest.warns(DataWarning, match=r"Dropped 2 summary row"):
        keep = rows_before_summary_rows(means.drop(columns="price"), means.price, "price")
    assert keep.sum() == len(prices) and not keep[-2:].any()


@pytest.mark.parametrize("last", [
    {"hood": "Total", "sqft": 1200.0, "beds": 2, "price": 250_000.0},  # labelled, but its numbers are a real row's
    {"hood": "a", "sqft": 1200.0, "beds": 2, "price": 250_000.0},  # an ordinary row
    {"hood": "a", "sqft": 1200.0, "beds": 2, "price": None},  # an ordinary row with no target
])
def test_rows_that_do_not_summarize_are_kept(prices, last, recwarn):
    table = _with_row(prices, **last)
    keep = rows_before_summary_rows(table.drop(columns="price"), table.price, "price")
    assert keep.all() and not any(issubclass(w.category, DataWarning) for w in recwarn)


def test_a_mean_without_a_label_and_a_category_called_total_are_not_summaries(prices):
    mean_row = _with_row(prices, sqft=prices.sqft.mean(), price=prices.price.mean())  # could be a real row
    assert rows_before_summary_rows(mean_row.drop(columns="price"), mean_row.price, "price").all()
    zeros = pd.DataFrame({"kind": ["total", "part"] * 10 + ["total"], "v": [0.0] * 21, "y": [0.0] * 21})
    assert rows_before_summary_rows(zeros[["kind", "v"]], zeros.y, "y").all()  # "total" a category; 0 = 0's sum
