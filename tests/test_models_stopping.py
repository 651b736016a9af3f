"""models/_stopping.py: a booster that grows its trees on many rows, stopped on rows it holds out."""

import importlib.util
import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import is_classifier, is_regressor

from automl_meta.models import (HeldOutStopping, build_model, grown_seconds, scores_by_trees, stop_metric,
                                with_leaves, with_more_trees)
from automl_meta.space import Strategy

BOOSTERS = [f for f in ("lightgbm", "xgboost") if importlib.util.find_spec(f) is not None]


def _table(n=6000, classes=("no", "yes"), noise=0.0, seed=0):
    rng = np.random.RandomState(seed)
    X = pd.DataFrame({"a": rng.randn(n), "b": rng.randn(n), "c": rng.randn(n)})
    signal = X["a"] + 0.5 * X["b"] ** 2
    if noise:  # a target unrelated to the columns
        signal = rng.randn(n)
    codes = np.digitize(signal, np.quantile(signal, np.linspace(0, 1, len(classes) + 1)[1:-1]))
    return X, np.asarray(classes)[codes]


@pytest.mark.parametrize("family", BOOSTERS)
def test_a_booster_grows_past_its_searched_trees_while_held_out_rows_improve_and_keeps_the_labels(family):
    X, y = _table()
    model = with_more_trees(build_model(Strategy(family, {"n_estimators": 20, "learning_rate": 0.05}), "binary"),
                            400, "auc")
    model.fit(X, y)
    grown = model[-1]
    assert isinstance(grown, HeldOutStopping) and is_classifier(model)
    assert 20 < grown.n_trees_ <= 400
    assert list(model.classes_) == ["no", "yes"] and set(model.predict(X)) <= {"no", "yes"}
    assert model.predict_proba(X).shape == (6000, 2)
    again = pickle.loads(pickle.dumps(model))  # no training hook is kept
    np.testing.assert_allclose(again.predict_proba(X), model.predict_proba(X))


@pytest.mark.parametrize("family", BOOSTERS)
def test_a_booster_stops_growing_where_held_out_rows_stop_improving_but_keeps_its_searched_trees(family):
    X, y = _table(noise=True)
    model = with_more_trees(build_model(Strategy(family, {"n_estimators": 40, "learning_rate": 0.3}), "binary"),
                            2000, "logloss").fit(X, y)
    assert 40 <= model[-1].n_trees_ < 100  # nothing to learn: no more trees, and not fewer than searched


@pytest.mark.parametrize("family", BOOSTERS)
def test_a_booster_stops_growing_at_its_deadline_but_not_before_its_searched_trees(family):
    X, y = _table(classes=("a", "b", "c"))
    strategy = Strategy(family, {"n_estimators": 30, "learning_rate": 0.02})
    model = with_more_trees(build_model(strategy, "multiclass"), 2000, "logloss")
    model[-1].set_params(max_seconds=0.0)
    model.fit(X, y)
    assert model[-1].n_trees_ == 30 and model.predict_proba(X).shape == (6000, 3)
    assert model[-1].grown_seconds_ == 0.0 and grown_seconds(model) == 0.0  # no tree beyond the searched ones
    # a limit of an hour of which the hour is kept for what follows: no growth either
    model[-1].set_params(max_seconds=3600.0, keep_seconds=3600.0)
    assert model.fit(X, y)[-1].n_trees_ == 30
    model[-1].set_params(keep_seconds=0.0)
    assert model.fit(X, y)[-1].n_trees_ > 30
    assert 0.0 < grown_seconds(model) == model[-1].grown_seconds_


@pytest.mark.parametrize("family", BOOSTERS)
def test_a_regressor_grows_on_squared_error_and_takes_row_weights(family):
    X, _ = _table()
    y = X["a"] * 2 + np.random.RandomState(1).randn(6000) * 0.1
    weights = np.where(X["b"] > 0, 2.0, 1.0)
    model = with_more_trees(build_model(Strategy(family, {"n_estimators": 20}), "regression"), 300, "l2")
    model.fit(X, y, **{f"{model.steps[-1][0]}__sample_weight": weights})
    assert is_regressor(model) and 20 < model[-1].n_trees_ <= 300
    assert np.corrcoef(model.predict(X), y)[0, 1] > 0.99


def test_too_few_rows_to_hold_out_fit_the_booster_as_searched():
    pytest.importorskip("lightgbm")
    X, y = _table(n=3000)  # 10% is 300 rows, under the 500 a held-out metric needs
    model = with_more_trees(build_model(Strategy("lightgbm", {"n_estimators": 20}), "binary"), 400, "auc").fit(X, y)
    assert model[-1].n_trees_ == 20 and grown_seconds(model) == 0.0
    assert grown_seconds(build_model(Strategy.default("linear"), "binary").fit(X, y)) == 0.0  # not a grown booster


def test_the_metric_stopped_on_is_roc_auc_only_where_the_task_is_scored_by_it():
    assert stop_metric("binary", "roc_auc") == "auc"
    assert stop_metric("binary", "accuracy") == "logloss"
    assert stop_metric("multiclass", "roc_auc_ovr") == "logloss"
    assert stop_metric("regression", "r2") == "l2"
    model = build_model(Strategy.default("linear"), "binary")
    assert with_more_trees(model, None, "auc") is model


@pytest.mark.parametrize("family", BOOSTERS)
def test_a_table_of_categories_and_missing_values_is_held_out_with_the_same_encoding(family):
    X, y = _table()
    rng = np.random.RandomState(2)
    X["city"] = rng.choice(["north", "south", "east", "west", None], size=len(X))
    X.loc[rng.rand(len(X)) < 0.1, "b"] = np.nan
    y = np.where(X["city"].eq("north") | (X["a"] > 0.5), "yes", "no")
    model = with_more_trees(build_model(Strategy(family, {"n_estimators": 20}), "binary"), 200, "auc").fit(X, y)
    # the held-out ROC AUC reaches 1.0 at once: the searched trees are kept all the same (not one tree's
    # probabilities of about 0.5)
    assert isinstance(model[-1], HeldOutStopping) and model[-1].n_trees_ >= 20 and model.score(X, y) > 0.95


@pytest.mark.parametrize("family", BOOSTERS)
def test_held_out_rows_given_at_the_end_are_the_ones_stopped_on_and_never_fitted(family):
    """``held_out_rows``: the last rows (from outside a refit's subsample) are the held-out ones and every other row
    is fitted on; held-out rows that lack a class leave the booster as searched, on every row."""
    X, y = _table()
    stopping = with_more_trees(build_model(Strategy(family, {"n_estimators": 20, "learning_rate": 0.05}), "binary"),
                               400, "auc", held_out_rows=1000)[-1]
    assert stopping.held_out_rows == 1000
    stopping.classes_ = np.array(["no", "yes"])
    target = (np.asarray(y) == "yes").astype(int)
    fit_rows, held_out = stopping._split(target)
    np.testing.assert_array_equal(fit_rows, np.arange(5000))
    np.testing.assert_array_equal(held_out, np.arange(5000, 6000))
    target[5000:] = 1  # the rows given to stop on hold one class
    assert stopping._split(target)[1] is None
    model = with_more_trees(build_model(Strategy(family, {"n_estimators": 20, "learning_rate": 0.05}), "binary"),
                            400, "auc", held_out_rows=1000).fit(X, y)
    assert 20 < model[-1].n_trees_ <= 400 and model.score(X, y) > 0.9


def test_a_model_pickled_before_held_out_rows_existed_still_reports_its_parameters():
    stopping = HeldOutStopping(max_trees=100)
    state = stopping.__getstate__()
    state.pop("held_out_rows")
    old = HeldOutStopping.__new__(HeldOutStopping)
    old.__setstate__(state)
    assert old.get_params()["held_out_rows"] is None and "HeldOutStopping" in repr(old)


def test_larger_trees_than_searched_are_fewer_so_that_their_leaves_in_all_are_the_same():
    pytest.importorskip("lightgbm")
    model = with_leaves(build_model(Strategy("lightgbm", {"n_estimators": 468, "num_leaves": 60}), "binary"), 146)
    assert (model.steps[-1][1].num_leaves, model.steps[-1][1].n_estimators) == (146, 192)  # 468 * 60 / 146
    assert with_leaves(build_model(Strategy("lightgbm", {"n_estimators": 20, "num_leaves": 4}), "binary"),
                       256).steps[-1][1].n_estimators == 1  # at least one tree
    unchanged = build_model(Strategy("lightgbm", {"n_estimators": 20, "num_leaves": 4}), "binary")
    assert with_leaves(unchanged, None) is unchanged and unchanged.steps[-1][1].num_leaves == 4


@pytest.mark.parametrize("kind, classes, metric", [("binary", ("no", "yes"), "auc"),
                                                   ("multiclass", ("a", "b", "c"), "logloss"),
                                                   ("regression", None, "l2")])
def test_a_fitted_lightgbm_is_scored_with_its_first_trees_higher_is_better(kind, classes, metric):
    pytest.importorskip("lightgbm")
    X, y = _table(classes=classes or ("no", "yes"))
    if classes is None:
        y = X["a"].to_numpy() + 0.5 * X["b"].to_numpy() ** 2
    model = build_model(Strategy("lightgbm", {"n_estimators": 40, "learning_rate": 0.1}), kind).fit(X[:4000], y[:4000])
    one, some, every = scores_by_trees(model, X[4000:], y[4000:], metric, [1, 10, 40])
    assert one < some < every and (every <= 1 if metric == "auc" else every < 0)  # a loss or error: negated
    if classes is not None:  # a class the booster never saw cannot be scored
        assert scores_by_trees(model, X[4000:], np.where(y[4000:] == classes[0], "new", y[4000:]), metric, [1]) is None
