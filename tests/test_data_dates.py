"""Date columns (automl_meta.data._dates): expanded into numbers when a task is built and again, the same way,
by the encoder of a fitted model given the raw column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from automl_meta.data import Task
from automl_meta.data._dates import expand_datetimes


def _frame(n=120, seed=0, tz=None, times=False):
    rng = np.random.default_rng(seed)
    when = pd.Series(pd.date_range("2021-01-01", periods=n, freq="D", tz=tz))
    if times:
        when = when + pd.to_timedelta(rng.integers(0, 24, n), unit="h")
    when[3] = pd.NaT
    return pd.DataFrame({"when": when, "x": rng.normal(size=n)})


def test_a_date_column_becomes_its_days_and_calendar_parts():
    out = expand_datetimes(_frame())
    assert list(out.columns) == ["when", "when__year", "when__month", "when__day", "when__day_of_week", "x"]
    assert all(pd.api.types.is_float_dtype(out[c]) for c in out.columns)
    assert out.loc[0, "when"] == pytest.approx(18628.0)  # 2021-01-01 is day 18,628 after 1970-01-01
    assert (out.loc[0, "when__year"], out.loc[0, "when__month"], out.loc[0, "when__day_of_week"]) == (2021, 1, 4)
    assert out.loc[3].drop("x").isna().all()  # a missing date: missing parts
    assert "when__hour" in expand_datetimes(_frame(times=True)).columns  # times of day: the hour too
    assert "when__hour" in expand_datetimes(_frame(), hour="always").columns
    plain = pd.DataFrame({"x": [1.0, 2.0]})
    assert expand_datetimes(plain) is plain


def test_time_zones_are_read_in_utc():
    naive, aware = expand_datetimes(_frame()), expand_datetimes(_frame(tz="Europe/Oslo"))
    # midnight in Oslo is 23:00 UTC of the day before
    assert aware.loc[0, "when"] == pytest.approx(naive.loc[0, "when"] - 1 / 24)
    assert aware.loc[0, "when__hour"] == 23


def test_a_task_keeps_a_date_column_as_numbers():
    """A date column with a distinct value on every row is no identifier: the task keeps it, as numbers."""
    frame = _frame()
    task = Task(frame, (frame["x"] > 0).astype(int))
    assert {"when", "when__year", "when__day_of_week"} <= set(task.X.columns)
    assert "when" in task.numeric_columns and "when" not in task.categorical_columns


def test_a_fitted_model_expands_the_raw_date_column_at_prediction():
    from automl_meta.estimator import AutoMetaRegressor

    frame = _frame(n=730, seed=1)  # two years: the month, not the trend, explains the target
    y = frame["when"].dt.month.fillna(6).astype(float) + 0.1 * frame["x"]
    model = AutoMetaRegressor(n_trials=2, warm_start=False, families=["hist_gb"], cv=3, metadataset=False,
                              random_state=0, n_jobs=1).fit(frame, y)
    assert model.best_score_ > 0.8
    later = _frame(n=40, seed=2, times=True)  # times of day unseen in training: the extra hour column is ignored
    later["when"] = later["when"] + pd.DateOffset(years=2)
    predicted = model.predict(later)
    assert predicted.shape == (40,) and np.isfinite(predicted).all()
    # the month is what it learned: February rows predicted about one above January rows
    month = later["when"].dt.month.to_numpy()
    assert predicted[month == 2].mean() - predicted[month == 1].mean() > 0.5


def test_iso_text_dates_are_read_as_dates_and_other_text_is_not():
    when = ["2024-03-01", "2024-03-02 14:30", "2024-03-03T23:15:00Z", "2024-03-04T01:00:00+02:00", None, "2024-03-06"]
    frame = pd.DataFrame({"when": when, "us": ["03/01/2024"] * 6, "few": ["2024-01-01", None, None, None, None, None]})
    out = expand_datetimes(frame)
    assert {"when", "when__year", "when__hour"} <= set(out.columns) and pd.api.types.is_float_dtype(out["when"])
    assert list(out["when__hour"].iloc[:4]) == [0.0, 14.5, 23.25, 23.0]  # +02:00 read in UTC: 23:00 the day before
    assert out["when__day"].iloc[3] == 3 and np.isnan(out.loc[4, "when"])
    assert out["us"].tolist() == frame["us"].tolist() and out["few"].equals(frame["few"])  # ambiguous; too few


def test_numbered_dates_are_read_in_the_order_their_values_show():
    from automl_meta.data._dates import date_orders

    frame = pd.DataFrame({
        "us": ["3/15/2024", "1/2/2023 2:30 PM", "12/31/2022", None, "7/4/2021 11:05:09 am", "2/2/2020"],
        "eu": ["15.03.2024", "01.02.2023", "31.12.2022", "04.07.2021", "2.2.2020", "1.1.2019"],
        "dots": ["01.02.2024", "03.04.2023", "05.06.2022", "07.08.2021", "2.2.2020", "1.1.2019"],  # no day > 12
        "uk": ["15/03/2024", "01/02/2023", "31/12/2022", "04/07/2021", "2/2/2020", "1/1/2019"],
        "ymd": ["2024/03/15", "2023/1/2", "2022/12/31", "2021/07/04", "2020/2/2", "2019/1/1"],
        "either": ["01/02/2024", "03/04/2023", "05/06/2022", "07/08/2021", "2/2/2020", "1/1/2019"],
        "version": ["1.2.3", "1.2.4", "2.0.0", "2.1.0", "3.0.1", "3.2.2"],
    })
    orders = date_orders(frame)
    assert orders == {"us": "mdy", "eu": "dmy", "dots": "dmy", "uk": "dmy", "ymd": "ymd"}
    out = expand_datetimes(frame, dates=orders)
    assert list(out["us__month"].iloc[:3]) == [3.0, 1.0, 12.0] and list(out["uk__month"].iloc[:3]) == [3.0, 2.0, 12.0]
    assert list(out["us__hour"].iloc[[1, 4]].round(3)) == [14.5, 11.083] and np.isnan(out.loc[3, "us"])
    assert out["eu"].equals(out["uk"]) and list(out["ymd__day"].iloc[:2]) == [15.0, 2.0]
    assert out["either"].tolist() == frame["either"].tolist() and out["version"].tolist() == frame["version"].tolist()
    spaced = pd.DataFrame({"iso": [f" 2024-01-0{i} " for i in range(1, 8)], "uk": [f"1{i}/01/2024 " for i in range(7)]})
    out = expand_datetimes(spaced)
    assert list(out["iso__day"]) == list(range(1, 8)) and list(out["uk__day"]) == list(range(10, 17))


def test_a_task_warns_of_dates_whose_order_cannot_be_told():
    from automl_meta.data import DataWarning

    frame = pd.DataFrame({"when": ["01/02/2024", "03/04/2023"] * 15, "x": np.arange(30.0)})
    with pytest.warns(DataWarning, match=r"'when' hold dates such as 01/02/2020 .* cannot be told: kept as text"):
        task = Task(frame, pd.Series(["a", "b", "c"] * 10))
    assert task.date_orders == {} and "when" in task.categorical_columns


def test_predict_reads_a_single_row_of_dates_in_the_order_of_the_training_rows():
    """One row, 05/01/2021, says nothing of its order; the fit's column did (days above 12): 5 January."""
    from automl_meta.estimator import AutoMetaRegressor

    days = pd.date_range("2021-01-01", periods=200, freq="D")
    frame = pd.DataFrame({"when": days.strftime("%d/%m/%Y")})
    y = pd.Series(np.arange(200.0))  # the days since the first: a straight line in the date
    model = AutoMetaRegressor(n_trials=1, warm_start=False, families=["linear"], cv=3, metadataset=False,
                              random_state=0, n_jobs=1, ensemble=False).fit(frame, y)
    assert model.date_orders_ == {"when": "dmy"}
    assert model.predict(pd.DataFrame({"when": ["05/01/2021"]}))[0] == pytest.approx(4.0, abs=1.0)  # not May 1 (120)


def test_a_csv_of_iso_dates_fits_and_predicts_from_text(tmp_path):
    from automl_meta.data import read_table
    from automl_meta.estimator import AutoMetaClassifier

    rng = np.random.default_rng(0)
    days = pd.date_range("2022-01-01", periods=300, freq="D")
    frame = pd.DataFrame({"day": days.strftime("%Y-%m-%d"), "x": rng.normal(size=300),
                          "y": np.where(days.day_of_week >= 5, "weekend", "weekday")})
    frame.to_csv(tmp_path / "d.csv", index=False)
    table = read_table(tmp_path / "d.csv")
    task = Task.from_frame(table, target="y")
    assert "day__day_of_week" in task.X.columns and "day" in task.numeric_columns
    model = AutoMetaClassifier(n_trials=2, warm_start=False, families=["hist_gb"], cv=3, metadataset=False,
                               random_state=0, n_jobs=1).fit(table.drop(columns="y"), table["y"])
    assert model.best_score_ > 0.95  # the day of the week decides the class
    later = pd.DataFrame({"day": ["2023-06-03", "2023-06-05", None], "x": [0.0, 0.0, 0.0]})  # Saturday, Monday
    assert list(model.predict(later)[:2]) == ["weekend", "weekday"]


def test_a_duration_column_becomes_its_seconds():
    """A ``timedelta64`` column (say, a difference of two dates) is a number, not text to drop as an ID."""
    frame = _frame(n=60)[["x"]].assign(wait=pd.to_timedelta(np.arange(60), unit="h"))
    frame.loc[5, "wait"] = pd.NaT
    out = expand_datetimes(frame)
    assert pd.api.types.is_float_dtype(out["wait"]) and out.loc[2, "wait"] == 7200.0 and np.isnan(out.loc[5, "wait"])
    task = Task(frame, (frame["x"] > 0).astype(int))
    assert "wait" in task.numeric_columns
