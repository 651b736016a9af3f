"""Numbers written as text (automl_meta.data._numbers): parsed when a task is built and again at prediction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from automl_meta.data import DataWarning, Task
from automl_meta.data._numbers import as_numbers, parse_numbers, read_numeric_text


def test_parse_numbers_reads_the_common_decorations():
    col = pd.Series([" 1,234 ", "$5", "-€2.5", "70%", "?", "n/a", "-", None, "12", "1,234,567.5"])
    assert parse_numbers(col).tolist()[:5] == [1234.0, 5.0, -2.5, 70.0, pytest.approx(np.nan, nan_ok=True)]
    out = parse_numbers(col)
    assert out.iloc[4:8].isna().all() and out.iloc[8] == 12.0 and out.iloc[9] == 1234567.5
    assert parse_numbers(pd.Series(["32 648", "(1,234)", "1\u00a0000"])).tolist() == [32648, -1234, 1000]
    assert parse_numbers(pd.Series(["32'648,5", "2,25"])).tolist() == [32648.5, 2.25]  # a decimal comma, Swiss-style


def test_a_decimal_comma_is_read_only_where_the_column_uses_it_throughout():
    assert parse_numbers(pd.Series(["3,5", "0,25", "10"])).tolist() == [3.5, 0.25, 10.0]
    assert parse_numbers(pd.Series(["0,125", "1,500"])).tolist() == [0.125, 1.5]  # "0,125" is no thousands
    mixed = parse_numbers(pd.Series(["3,5", "2.5"]))  # both marks: ambiguous, the comma value is not guessed
    assert np.isnan(mixed.iloc[0]) and mixed.iloc[1] == 2.5


def test_european_spreadsheet_numbers_are_read():
    """A currency symbol after the number, and points between thousands before a decimal comma."""
    assert parse_numbers(pd.Series(["47,21 €", "3,5 €", "12 €"])).tolist() == [47.21, 3.5, 12.0]
    assert parse_numbers(pd.Series(["1.234,5", "12,0", "1.000.000,25"])).tolist() == [1234.5, 12.0, 1000000.25]
    assert parse_numbers(pd.Series(["1.234,5 €", "1,234"])).tolist() == [1234.5, 1.234]
    # a point that is no thousands separator beside a decimal comma: ambiguous, the comma value is not guessed
    assert np.isnan(parse_numbers(pd.Series(["1.5", "2,5"])).iloc[1])


def test_one_unit_after_the_numbers_is_removed_but_mixed_units_and_suffixes_stay_text():
    assert parse_numbers(pd.Series(["1248 CC", "1498 CC", None, "998 CC"])).tolist()[:2] == [1248.0, 1498.0]
    assert parse_numbers(pd.Series(["74 bhp", "103.52 BHP", "?"])).tolist()[:2] == [74.0, 103.52]  # case aside
    assert parse_numbers(pd.Series(["5 kg", "500 g"])).isna().all()  # two units: not comparable as they stand
    assert parse_numbers(pd.Series(["1st", "2nd", "3rd"])).isna().all()  # ordinal suffixes: labels
    assert parse_numbers(pd.Series(["1e5", "2.5"])).tolist() == [1e5, 2.5]  # an exponent is no unit
    assert parse_numbers(pd.Series(["\u22125", "\u22122.5 kg"])).tolist() == [-5.0, -2.5]  # a typographic minus
    frame = pd.DataFrame({"engine": [f"{1000 + 37 * i} CC" for i in range(40)], "y": [0, 1] * 20})
    with pytest.warns(DataWarning, match="'engine' as numbers"):
        task = Task(frame.drop(columns="y"), frame["y"])
    assert task.X["engine"].iloc[1] == 1037.0


def test_a_unit_counts_by_rows_not_by_distinct_values():
    # each distinct value is parsed once; "at least half of the values end in the unit" still counts rows
    many_with_unit = pd.Series(["5 kg"] * 10 + ["1", "2", "3"])
    assert parse_numbers(many_with_unit).tolist() == [5.0] * 10 + [1.0, 2.0, 3.0]
    few_with_unit = pd.Series(["5 kg", "6 kg"] + ["1", "2", "3"] * 4)
    assert parse_numbers(few_with_unit).iloc[:2].isna().all()


def test_a_column_of_repeated_values_parses_as_row_by_row():
    rng = np.random.default_rng(0)
    codes = pd.Series(rng.choice(["1,200", "?", "35%", "-7", None, "3,100.5"], size=2_000))
    parsed, unparsed = as_numbers(codes)
    expected = {"1,200": 1200.0, "35%": 35.0, "-7": -7.0, "3,100.5": 3100.5}
    assert parsed.tolist() == pytest.approx([expected.get(v, np.nan) for v in codes], nan_ok=True)
    assert parsed.index.equals(codes.index) and unparsed == 0


def test_spreadsheet_formula_errors_are_missing_values():
    """#DIV/0! on a tenth of the rows: a numeric column with missing values, not a category."""
    col = pd.Series([str(i) for i in range(36)] + ["#DIV/0!", "#VALUE!", "#REF!", "#N/A"])
    numbers, unparsed = as_numbers(col)
    assert unparsed == 0 and numbers.isna().sum() == 4 and numbers.iloc[5] == 5.0


def test_only_columns_that_are_mostly_numbers_are_chosen():
    n = 40
    frame = pd.DataFrame({
        "with_markers": [str(i) if i % 5 else "?" for i in range(n)],
        "one_typo": [str(i) for i in range(n - 1)] + ["12x"],
        "levels_and_a_word": ["9", "10", "11", "12", "other"] * 8,  # a category: "other" is one of its levels
        "null_marker": ["<null>", "1.0", "2.0", "3.0"] * 10,
        "codes": ["A1", "B2", "7", "8"] * 10,
        "words": ["yes", "no"] * 20,
        "declared": pd.Series([str(i) for i in range(n)], dtype="category"),
        "numbers": np.arange(n, dtype=float),
        "few": ["1", "2", None, None] + [None] * (n - 4),
    })
    assert read_numeric_text(frame)[1] == {"with_markers": 0, "one_typo": 1, "null_marker": 0}


def test_a_task_reads_numbers_in_text_with_a_warning():
    rng = np.random.default_rng(0)
    income = rng.normal(50_000, 15_000, 200)
    X = pd.DataFrame({"income": [f"{v:,.0f}" for v in income], "share": [f"{v:.0f}%" for v in rng.uniform(0, 99, 200)],
                      "score": np.where(rng.random(200) < 0.1, "?", rng.normal(size=200).round(3).astype(str))})
    with pytest.warns(DataWarning, match=r"Read text column\(s\) 'income', 'share', 'score' as numbers"):
        task = Task(X, (income > 50_000).astype(int))
    # before, "income" (a distinct value on every row) was dropped as an identifier and the others were categories
    assert list(task.X.columns) == ["income", "share", "score"] and set(task.numeric_columns) == {"income", "share", "score"}
    assert np.allclose(task.X["income"], np.round(income)) and task.X["score"].isna().sum() == (X["score"] == "?").sum()


def test_a_fitted_model_parses_the_raw_text_at_prediction():
    from automl_meta.estimator import AutoMetaRegressor

    rng = np.random.default_rng(1)
    x = rng.uniform(1_000, 100_000, 300)
    X = pd.DataFrame({"price": [f"${v:,.2f}" for v in x], "noise": rng.normal(size=300)})
    with pytest.warns(DataWarning, match="as numbers"):
        model = AutoMetaRegressor(n_trials=2, warm_start=False, families=["hist_gb"], cv=3, metadataset=False,
                                  random_state=0, n_jobs=1).fit(X, x / 1_000)
    assert model.best_score_ > 0.95  # the price is the target, once read as a number
    later = pd.DataFrame({"price": ["$2,000.00", "$90,000.00", "?"], "noise": [0.0, 0.0, 0.0]})
    predicted = model.predict(later)
    assert np.isfinite(predicted).all() and predicted[0] < 10 and predicted[1] > 80


def test_a_text_target_of_numbers_is_a_regression_target_and_its_markers_are_missing():
    rng = np.random.default_rng(2)
    X = pd.DataFrame({"x": rng.normal(size=120)})
    y = pd.Series([f"{v:,.1f}" for v in rng.uniform(1_000, 9_000, 120)], name="price")
    y.iloc[[3, 7]] = ["?", "n/a"]
    with pytest.warns(DataWarning, match="Dropped 2 of 120 rows"), pytest.warns(DataWarning, match="target 'price' as numbers"):
        task = Task(X, y)
    assert task.kind == "regression" and len(task.y) == 118 and task.y.dtype == float and task.y.min() >= 1_000


def test_a_text_target_of_a_few_numbers_keeps_its_labels_but_not_its_markers():
    y = pd.Series(["1", "2", "3", "?"] * 30)
    with pytest.warns(DataWarning, match="Dropped 30 of 120 rows"):
        task = Task(pd.DataFrame({"x": np.arange(120.0)}), y)
    assert task.kind == "multiclass" and sorted(task.y.unique()) == ["1", "2", "3"]


def test_none_is_a_class_of_a_text_target_not_a_missing_value():
    y = pd.Series(["none", "mild", "severe", "?"] * 30)
    with pytest.warns(DataWarning, match="Dropped 30 of 120 rows"):
        task = Task(pd.DataFrame({"x": np.arange(120.0)}), y)
    assert sorted(task.y.unique()) == ["mild", "none", "severe"]


def test_a_large_column_is_judged_on_a_sample_before_every_value_is_parsed(monkeypatch):
    from automl_meta.data import _numbers

    rng = np.random.default_rng(0)
    n = _numbers._SAMPLED_ABOVE + 1
    words = pd.Series([f"note {i} of the visit" for i in range(n)])  # free text: nothing parses
    calls = []
    original = _numbers._distinct_text
    monkeypatch.setattr(_numbers, "_distinct_text", lambda col: calls.append(len(col)) or original(col))
    assert as_numbers(words) is None and n not in calls  # turned away by its sample: the column was never parsed
    # half the values with a unit, half bare: the sample's unit rule may differ from the column's, yet the column
    # is read as parsing every row reads it
    half = pd.Series(rng.permutation(["5 kg"] * (n // 2 + 1) + ["7"] * (n - n // 2 - 1)))  # just over half
    parsed, unparsed = as_numbers(half)
    assert n in calls and set(parsed.unique()) == {5.0, 7.0} and unparsed == 0
    money = pd.Series([f"{v:,.2f}" for v in rng.normal(5_000, 3_000, n)])
    money[rng.random(n) < 0.02] = "n/a"
    assert as_numbers(money)[0].notna().mean() > 0.95
