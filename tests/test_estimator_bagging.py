"""estimator/_bagging.py and quality=: bagged members (one model per fold), the fast and best presets."""

import numpy as np
import pandas as pd
import pytest

from automl_meta import AutoMetaClassifier, AutoMetaRegressor
from automl_meta.errors import ConfigError


def _table(n=240, seed=0):
    rng = np.random.RandomState(seed)
    X = pd.DataFrame({"a": rng.randn(n), "b": rng.randn(n), "c": rng.choice(["x", "y"], n)})
    return X, pd.Series(np.where(X["a"] + 0.5 * rng.randn(n) > 0, "pos", "neg"), name="y")


def test_a_bagged_member_s_fold_models_are_the_trial_s():
    # each fold model is fitted on the rows the trial's fold model was: its predictions of the fold's test rows
    # are the trial's out-of-fold predictions
    from automl_meta.data import Task
    from automl_meta.estimator._bagging import bagged_model
    from automl_meta.evaluate import cross_validate, splits
    from automl_meta.models import build_model
    from automl_meta.space import Strategy

    X, y = _table()
    task = Task(X, y, cv=4)
    strategy = Strategy.default("random_forest")
    trial = cross_validate(strategy, task, random_state=3, device="cpu", keep_predictions=True)
    folds = splits(task, 4, 3)
    bagged = bagged_model(lambda s, n_rows=task.n_rows: build_model(s, task.kind, n_rows=n_rows, device="cpu", random_state=3),
                          strategy, task.X, task.y, folds, 1, classes=list(task.classes))
    assert len(bagged.models) == 4 and bagged.weights == [1.0] * 4
    for model, (_, test) in zip(bagged.models, folds):
        np.testing.assert_allclose(model.predict_proba(task.X.iloc[test]), trial.predictions[test], atol=1e-6)
    average = np.mean([m.predict_proba(task.X) for m in bagged.models], axis=0)
    np.testing.assert_allclose(bagged.predict_proba(task.X), average, atol=1e-6)


def test_quality_best_bags_every_member_over_the_folds():
    X, y = _table(seed=1)
    model = AutoMetaClassifier(n_trials=6, cv=3, quality="best", metadataset=False, random_state=0, n_jobs=1).fit(X, y)
    members = model.best_estimator_.models if len(model.ensemble_) > 1 else [model.best_estimator_]
    assert all(len(m.models) == 3 for m in members)  # each member: 3 fold models
    assert model.predict_proba(X).shape == (len(X), 2) and set(model.predict(X)) <= {"neg", "pos"}
    medium = AutoMetaClassifier(n_trials=6, cv=3, metadataset=False, random_state=0, n_jobs=1).fit(X, y)
    trials = lambda m: list(m.leaderboard_.loc[m.leaderboard_["origin"] != "ensemble", "strategy"])  # noqa: E731
    assert trials(model) == trials(medium)  # the same search; only the final model differs
    ours, theirs = (m.leaderboard_.set_index("strategy")["size_bytes"] for m in (model, medium))
    both = [str(m["strategy"]) for m in model.ensemble_ if theirs.get(str(m["strategy"])) is not pd.NA
            and pd.notna(theirs.get(str(m["strategy"])))]
    assert both and all(ours[k] > theirs[k] for k in both)  # a bag of 3 fold models outweighs one model


def test_quality_fast_keeps_the_single_best_strategy():
    X, y = _table(seed=2)
    y_num = pd.Series(X["a"] * 2 + np.random.RandomState(0).randn(len(X)), name="t")
    model = AutoMetaRegressor(n_trials=6, cv=3, quality="fast", metadataset=False, random_state=0, n_jobs=1).fit(X, y_num)
    assert len(model.ensemble_) == 1 and not hasattr(model.best_estimator_, "models")
    assert (model.leaderboard_["origin"] != "ensemble").all()


def test_quality_is_checked_and_validation_data_is_not_bagged():
    X, y = _table(seed=3)
    with pytest.raises(ConfigError, match="quality"):
        AutoMetaClassifier(n_trials=1, quality="excellent", metadataset=False).fit(X, y)
    model = AutoMetaClassifier(n_trials=2, quality="best", ensemble=False, metadataset=False, random_state=0,
                               n_jobs=1).fit(X.iloc[:160], y.iloc[:160], X_val=X.iloc[160:], y_val=y.iloc[160:])
    assert not hasattr(model.best_estimator_, "models")  # one split: refitted on every row, as medium


def test_the_quality_option_of_fit(tmp_path, capsys):
    from automl_meta.cli import main
    from automl_meta.estimator import load_model

    X, y = _table(seed=4)
    X.assign(y=y).to_csv(tmp_path / "train.csv", index=False)
    assert main(["fit", str(tmp_path / "train.csv"), "--target", "y", "--trials", "2", "--jobs", "1", "--cv", "3",
                 "--no-warm-start", "--no-ensemble", "--no-progress", "--no-importance", "--quality", "best",
                 "--metadataset", str(tmp_path / "md.sqlite"), "--out", str(tmp_path / "m.amm")]) == 0
    model = load_model(tmp_path / "m.amm")
    assert model.quality == "best" and len(model.best_estimator_.models) == 3


def test_a_stacker_s_score_is_nested_and_it_is_taken_only_above_the_nested_average():
    from automl_meta.estimator._stacking import StackedModel, choose_stack
    from automl_meta.evaluate import Evaluation
    from automl_meta.space import Strategy

    # two members, each seeing half of the signal: a stacker of their log-odds recovers more than their average
    rng = np.random.RandomState(0)
    n = 600
    a, b = rng.randn(n), rng.randn(n)
    y = np.where(a + b + 0.3 * rng.randn(n) > 0, "p", "n")
    folds = [np.arange(i, n, 3) for i in range(3)]

    def member(family, signal, scale):
        p1 = 1 / (1 + np.exp(-scale * signal))
        return Evaluation(strategy=Strategy.default(family), metric="roc_auc", status="ok", n_rows=n, score=0.8,
                          predictions=np.c_[1 - p1, p1].astype(np.float32))

    evaluations = [member("linear", a, 1.0), member("knn", b, 5.0)]
    choice = choose_stack(evaluations, y, "neg_log_loss", ["n", "p"], folds)
    assert choice is not None and choice.predictions.shape == (n, 2)
    assert choice.score > choice.average_score  # log loss: the stacker rescales the badly scaled member
    stacked = StackedModel([_Fixed(a), _Fixed(b)], choice.stacker, ["n", "p"])
    assert stacked.predict_proba(np.arange(n)).shape == (n, 2)


class _Fixed:
    """A fitted 'model' whose probabilities are the logistic of a given signal, by row position."""

    classes_ = np.array(["n", "p"])

    def __init__(self, signal):
        self.signal = signal

    def predict_proba(self, X):
        p1 = 1 / (1 + np.exp(-self.signal[np.asarray(X)]))
        return np.c_[1 - p1, p1]


def test_quality_best_ends_with_a_stack_or_says_why_not(caplog):
    import logging

    X, y = _table(n=400, seed=5)
    with caplog.at_level(logging.INFO, logger="automl_meta.estimator"):
        model = AutoMetaClassifier(n_trials=8, cv=3, quality="best", metadataset=False, random_state=0, n_jobs=1).fit(X, y)
    said = caplog.text
    assert "stack of" in said or "stack not taken" in said
    if "stack of" in said:
        row = model.leaderboard_[model.leaderboard_["origin"] == "ensemble"].iloc[0]
        assert "stacked on" in row["strategy"] and np.isclose(row["score"], model.best_score_)
        assert abs(sum(m["weight"] for m in model.ensemble_) - 1) < 1e-9
    assert model.predict_proba(X).shape == (len(X), 2)


def test_refit_full_fits_each_member_once_on_every_row(tmp_path):
    from automl_meta.estimator import load_model, save_model

    X, y = _table(seed=6)
    model = AutoMetaClassifier(n_trials=4, cv=3, quality="best", metadataset=False, random_state=0, n_jobs=1).fit(X, y)
    size = model.leaderboard_["size_bytes"].iloc[0]
    before = model.predict_proba(X)
    model.refit_full()
    members = getattr(model.best_estimator_, "models", [model.best_estimator_])
    assert not any(hasattr(m, "models") for m in members)  # no member is a bag of fold models any more
    assert model._training_rows.bags is None  # nor kept for importance: a lighter model in memory too
    assert model.leaderboard_["size_bytes"].iloc[0] < size
    after = model.predict_proba(X)
    assert after.shape == before.shape and np.mean(np.argmax(after, 1) == np.argmax(before, 1)) > 0.9
    save_model(model, tmp_path / "m.amm")
    with pytest.raises(ConfigError, match="refit_full needs the rows fit was given"):
        load_model(tmp_path / "m.amm").refit_full()


def test_a_member_is_bagged_only_when_its_bag_fits_in_the_time_left():
    import sklearn.linear_model  # noqa: F401  (imported: no import allowance in the estimates)

    from automl_meta.estimator._refit import RefitPlan
    from automl_meta.evaluate import Evaluation
    from automl_meta.space import Strategy

    trial = Evaluation(strategy=Strategy.default("linear"), metric="r2", status="ok", score=0.9, fit_seconds=4.0)
    plan = RefitPlan(n_rows=10_000, search_rows=10_000, folds=5, budget_seconds=60, bagged=True)
    one = plan.seconds(trial)  # a refit on every row: the 5-fold trial's seconds over 4
    assert one == pytest.approx(1.0, abs=0.01) and plan.seconds(trial, bagged=True) == pytest.approx(4 * one)
    assert plan.bags(trial, None) and plan.bags(trial, 60.0) and not plan.bags(trial, 3.0)
    assert plan.choose([trial], 3.0) == (trial, 10_000)  # chosen by its plain refit, which fits
    assert not RefitPlan(10_000, 10_000, 5, 60).bags(trial, 60.0)  # bagging off: never



def test_fold_models_are_built_for_a_fold_s_rows():
    # k-NN's neighbours are capped at the training rows: a fold has fewer than the table (a bag of k = 50 on a
    # 60-row table's folds of 40 rows could not predict)
    from automl_meta.data import Task
    from automl_meta.estimator._bagging import bagged_model
    from automl_meta.evaluate import splits
    from automl_meta.models import build_model
    from automl_meta.space import Strategy

    X, y = _table(n=60)
    task = Task(X, y, cv=3)
    strategy = Strategy("knn", {"n_neighbors": 50, "weights": "distance", "p": 2})
    bagged = bagged_model(lambda s, n_rows=task.n_rows: build_model(s, task.kind, n_rows=n_rows, device="cpu"),
                          strategy, task.X, task.y, splits(task, 3, 0), 1, classes=list(task.classes))
    assert all(m.steps[-1][1].n_neighbors < 40 for m in bagged.models)
    assert bagged.predict_proba(task.X).shape == (60, 2)
