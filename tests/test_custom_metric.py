"""A metric of the user's own: a callable or a scikit-learn scorer, through the isolated workers, the ensemble,
the threshold, the model file; one that raises is a clear error before anything is recorded."""

import numpy as np
import optuna
import pytest
from sklearn.metrics import make_scorer

from automl_meta import AutoMetaClassifier, AutoMetaRegressor, load_model, save_model
from automl_meta.errors import ConfigError
from automl_meta.metadataset import MetaDataset


def hand_accuracy(y_true, y_pred):
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


def test_a_callable_scores_as_the_scorer_it_reimplements(tasks_by_kind):
    """Isolated workers (a time limit), with and without the ensemble's out-of-fold predictions."""
    task = tasks_by_kind["binary"]
    boards = {}
    for metric in ("accuracy", hand_accuracy):
        model = AutoMetaClassifier(n_trials=3, cv=3, warm_start=False, families=["linear", "knn"], metric=metric,
                                   metadataset=False, random_state=0, n_jobs=1, time_limit=60).fit(task.X, task.y)
        board = model.leaderboard_[model.leaderboard_["origin"] != "ensemble"]
        boards[str(metric)] = board.set_index("trial")["score"].sort_index()
        assert model.threshold_ is not None  # a metric of labels: thresholded like accuracy
    assert model.metric_ == "custom:hand_accuracy"
    np.testing.assert_allclose(boards["accuracy"].to_numpy(), boards[str(hand_accuracy)].to_numpy())


def test_a_lambda_scorer_where_lower_is_better_goes_to_the_workers_and_into_the_model_file(tasks_by_kind, tmp_path):
    task = tasks_by_kind["regression"]
    mae = make_scorer(lambda y, p: float(np.mean(np.abs(y - p))), greater_is_better=False)
    model = AutoMetaRegressor(n_trials=2, cv=3, warm_start=False, families=["linear"], metric=mae, metadataset=False,
                              time_limit=60, n_jobs=1).fit(task.X, task.y)
    assert model.metric_ == "custom:<lambda>" and model.best_score_ < 0  # negated, so that greater is better
    save_model(model, tmp_path / "m.amm")
    loaded = load_model(tmp_path / "m.amm")
    assert (loaded.predict(task.X) == model.predict(task.X)).all() and loaded.get_params()["metric"] is not None


def test_a_metric_that_raises_is_a_clear_error_before_anything_is_recorded(tasks_by_kind, tmp_path):
    def broken(y_true, y_pred):
        raise ValueError("no positive label")

    task = tasks_by_kind["binary"]
    url, db = f"sqlite:///{tmp_path / 'study.db'}", tmp_path / "md.sqlite"
    with pytest.raises(ConfigError, match=r"metric 'custom:broken' raised ValueError: no positive label when scoring"):
        AutoMetaClassifier(n_trials=2, metric=broken, storage=url, metadataset=str(db)).fit(task.X, task.y)
    assert optuna.get_all_study_names(url) == []  # no study opened
    assert not db.exists() or MetaDataset(str(db)).evaluations().empty


def test_trials_of_a_metric_of_ones_own_are_not_recorded_in_the_meta_dataset(tasks_by_kind, tmp_path):
    task = tasks_by_kind["binary"]
    db = tmp_path / "md.sqlite"
    AutoMetaClassifier(n_trials=2, cv=3, warm_start=False, families=["linear"], metric=hand_accuracy,
                       metadataset=str(db)).fit(task.X, task.y)
    assert not db.exists() or MetaDataset(str(db)).evaluations().empty


def test_a_metric_that_is_not_callable_is_a_clear_error(tasks_by_kind):
    task = tasks_by_kind["binary"]
    with pytest.raises((ConfigError, ValueError), match="metric"):
        AutoMetaClassifier(n_trials=1, metric=42, metadataset=False).fit(task.X, task.y)
