"""AutoMetaClassifier / AutoMetaRegressor: fit, predict, warm starts, attributes, persistence."""

import joblib
import numpy as np
import pandas as pd
import pytest

from automl_meta.errors import ConfigError
from automl_meta.estimator import AutoMetaClassifier, AutoMetaRegressor
from automl_meta.metadataset import MetaDataset

# ensemble=False: these tests look at the search and the single refit (the ensemble has tests of its own)
# n_jobs=1: one trial at a time, in trial order (parallel trials have tests of their own)
FAST = dict(n_trials=3, cv=3, families=["linear", "knn"], metadataset=False, random_state=0, ensemble=False, n_jobs=1)


def test_classifier_on_a_frame_with_categoricals_and_missing(tasks_by_kind, tmp_path):
    task = tasks_by_kind["multiclass"]
    store = MetaDataset(tmp_path / "md.sqlite")
    clf = AutoMetaClassifier(**dict(FAST, metadataset=store), warm_start=False).fit(task.X, task.y)
    assert clf.best_strategy_.family in {"linear", "knn"} and 0 < clf.best_score_ <= 1
    assert list(clf.classes_) == sorted(task.y.unique())
    proba = clf.predict_proba(task.X)
    assert proba.shape == (150, 3) and np.allclose(proba.sum(axis=1), 1)
    assert set(clf.predict(task.X)) <= set(task.y) and clf.score(task.X, task.y) > 0.5
    assert len(clf.leaderboard_) == 3 and len(clf.study_.trials) == 3
    assert clf.metafeatures_["n_classes"] == 3 and clf.metric_ == "roc_auc_ovr"
    assert store.count() == (1, 3)  # the learning loop: every trial recorded


def test_a_class_rarer_than_the_folds_cross_validates_with_fewer_folds(tasks_by_kind):
    """A real table's rare class (3 rows, cv=5): fewer folds, with a DataWarning naming the class, not an error."""
    from automl_meta.data import DataWarning

    task = tasks_by_kind["binary"]
    y = pd.Series(task.y).reset_index(drop=True).astype(str)
    y.iloc[:3] = "rare"
    with pytest.warns(DataWarning, match=r"Class 'rare' has only 3 rows, fewer than cv=5: cross-validating with 3"):
        clf = AutoMetaClassifier(**FAST | {"cv": 5}, warm_start=False).fit(task.X.reset_index(drop=True), y)
    assert clf.cv_ == 3 and clf.cv == 5 and "rare" in set(clf.classes_)
    assert AutoMetaClassifier(**FAST | {"cv": 3}, warm_start=False).fit(task.X, task.y).cv_ == 3


def test_a_class_of_one_row_is_dropped_with_a_warning(tasks_by_kind):
    """A class of one row cannot be learned and validated: its row is dropped (as AutoGluon does), not the fit."""
    from automl_meta.data import DataWarning

    task = tasks_by_kind["binary"]
    y = pd.Series(task.y).reset_index(drop=True).astype(str)
    y.iloc[7] = "once"
    with pytest.warns(DataWarning, match=r"Dropped the single row of class\(es\) 'once' of target"):
        clf = AutoMetaClassifier(**FAST | {"cv": 3}, warm_start=False).fit(task.X.reset_index(drop=True).to_numpy(), y)
    assert "once" not in set(clf.classes_) and len(clf.classes_) == 2 and clf.cv_ == 3
    assert clf.predict_proba(task.X.to_numpy()[:4]).shape == (4, 2)


def test_labels_with_spaces_around_them_are_one_class_and_do_not_cut_the_folds(tasks_by_kind):
    """" yes" on 2 rows is the class "yes", not a rare class that would cut cv to 2 folds."""
    from automl_meta.data import DataWarning

    task = tasks_by_kind["binary"]
    y = pd.Series(np.where(pd.Series(task.y).reset_index(drop=True) == task.y.iloc[0], "yes", "no"), dtype=object)
    y.iloc[np.flatnonzero(y == "yes")[:2]] = " yes"
    with pytest.warns(DataWarning, match=r"spaces around them") as caught:
        clf = AutoMetaClassifier(**FAST | {"cv": 3}, warm_start=False).fit(task.X.reset_index(drop=True), y)
    assert list(clf.classes_) == ["no", "yes"] and clf.cv_ == 3
    assert not [w for w in caught if "cross-validating with" in str(w.message)]


def test_n_features_in_counts_the_columns_given_not_those_the_task_kept():
    """An all-missing column is dropped and a date expanded, yet predict takes arrays shaped like the fit's."""
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(size=80), np.full(80, np.nan), rng.normal(size=80)])
    y = X[:, 0] * 3 + rng.normal(scale=0.1, size=80)
    with pytest.warns(Warning, match="all-missing"):
        reg = AutoMetaRegressor(**FAST, warm_start=False).fit(X, y)
    assert reg.n_features_in_ == 3 and reg.predict(X[:5]).shape == (5,)
    frame = pd.DataFrame({"x": X[:, 0], "when": pd.date_range("2020-01-01", periods=80, freq="D")})
    reg = AutoMetaRegressor(**FAST, warm_start=False).fit(frame, y)
    assert reg.n_features_in_ == 2 and list(reg.feature_names_in_) == ["x", "when"]
    with pytest.raises(ValueError, match="0 sample"):
        reg.predict(frame.iloc[:0])


def test_regressor_on_numpy_arrays():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 4))
    y = X[:, 0] * 3 + rng.normal(scale=0.1, size=80)
    reg = AutoMetaRegressor(**FAST, warm_start=False).fit(X, y)
    assert reg.n_features_in_ == 4 and reg.score(X, y) > 0.8
    assert reg.predict(X[:5]).shape == (5,)
    with pytest.raises(ValueError, match="X has 3 features, but AutoMetaRegressor is expecting 4"):
        reg.predict(X[:, :3])


@pytest.mark.parametrize("warm_start", [True, "adaptive"])
def test_warm_start_uses_the_recommendations(tasks_by_kind, tmp_path, warm_start):
    from helpers import synthetic_data

    from automl_meta.metamodel import MetaModel

    model = MetaModel(n_members=2, epochs=10).fit(synthetic_data())
    path = model.save(tmp_path / "mm.pt")
    clf = AutoMetaClassifier(**dict(FAST, n_trials=4), metamodel=path, n_warm_start=2, warm_start=warm_start)
    clf.fit(tasks_by_kind["binary"].X, tasks_by_kind["binary"].y)
    assert len(clf.recommendations_) == 2 and len(clf.warm_starts_) == 2
    if warm_start is True:  # the set chosen before any trial
        assert clf.warm_starts_ == [r.strategy for r in clf.recommendations_]
    else:  # the second is chosen after the first's score
        assert clf.warm_starts_[0] == clf.recommendations_[0].strategy
    origins = clf.leaderboard_.sort_values("trial")["origin"].tolist()
    assert origins[:2] == ["warm_start", "warm_start"]
    tried = clf.leaderboard_.sort_values("trial")["strategy"].tolist()
    assert [str(s) for s in clf.warm_starts_] == tried[:2]


def test_no_warm_starts_when_none_are_asked_for(tasks_by_kind, tmp_path):
    from helpers import synthetic_data

    from automl_meta.metamodel import MetaModel

    path = MetaModel(n_members=1, epochs=3).fit(synthetic_data()).save(tmp_path / "mm.pt")
    task = tasks_by_kind["binary"]
    clf = AutoMetaClassifier(**dict(FAST, n_trials=2), metamodel=path, n_warm_start=0).fit(task.X, task.y)
    assert clf.recommendations_ == [] and clf.warm_starts_ == []
    assert set(clf.leaderboard_["origin"]) <= {"sampler", "ensemble"}


def test_joblib_round_trip(tasks_by_kind, tmp_path):
    task = tasks_by_kind["binary"]
    clf = AutoMetaClassifier(**FAST, warm_start=False).fit(task.X, task.y)
    joblib.dump(clf, tmp_path / "clf.joblib")
    loaded = joblib.load(tmp_path / "clf.joblib")
    np.testing.assert_array_equal(loaded.predict_proba(task.X), clf.predict_proba(task.X))


def test_no_metamodel_warns_and_searches_cold(tasks_by_kind, monkeypatch):
    import automl_meta.metamodel._default as default

    monkeypatch.setattr(default, "SHIPPED_MODEL", default.SHIPPED_MODEL.with_name("absent.pt"))
    task = tasks_by_kind["binary"]
    with pytest.warns(UserWarning, match="No meta-model is available"):
        clf = AutoMetaClassifier(**FAST).fit(task.X, task.y)
    assert clf.recommendations_ == []


@pytest.mark.parametrize(
    "params, message",
    [({"n_trials": 0}, "'n_trials' parameter of AutoMetaClassifier must be an int in the range \\[1, inf\\) or None. Got 0"),
     ({"time_budget": 0}, "'time_budget' parameter .* must be a float in the range \\(0.0, inf\\) or None. Got 0"),
     ({"time_budget": float("inf")}, "'time_budget' parameter .* Got inf instead"),
     ({"metric": "r2"}, "does not fit a binary task"),
     ({"n_warm_start": -1}, "'n_warm_start' parameter"), ({"cv": 1}, "'cv' parameter"), ({"device": "tpu"}, "'device' parameter"),
     ({"sampler": "cmaes"}, "'sampler' parameter .* must be a str among .*'guided'.* or an object implementing 'sample_independent'. Got 'cmaes'"),
     ({"sampler": 3}, "'sampler' parameter .* Got 3 instead")],
)
def test_bad_parameters(tasks_by_kind, params, message):
    task = tasks_by_kind["binary"]
    with pytest.raises(ConfigError, match=message):
        AutoMetaClassifier(**dict(FAST, warm_start=False, **params)).fit(task.X, task.y)


def test_init_only_stores_parameters():
    clf = AutoMetaClassifier(n_trials=-5, metric="nonsense", n_jobs=1)
    assert clf.get_params()["n_trials"] == -5 and clf.get_params()["metric"] == "nonsense"


def test_a_time_budget_searches_on_a_row_subsample(monkeypatch):
    from sklearn.datasets import make_classification

    from automl_meta.estimator import _refit

    # a budget that no machine spends before its first trial (a 6 s one, on a busy machine, ended on the
    # fallback), and the search's rows of a 6 s one: n_trials ends the fit long before the budget does
    monkeypatch.setattr(_refit, "_SEARCH_ROWS_PER_SECOND", 60)
    X, y = make_classification(n_samples=3000, n_features=5, random_state=0)
    model = AutoMetaClassifier(n_trials=2, time_budget=30, warm_start=False, families=["linear"], cv=3,
                               random_state=0, metadataset=False, ensemble=False, n_jobs=1).fit(X, y)
    assert model.search_rows_ == 2000  # max(2000, 30 s x 60 rows/s)
    assert model.n_rows_ == model.refit_rows_ == 3000  # a linear model's refit on every row fits
    assert model.best_estimator_[-1].n_features_in_ == 5
    # without a budget every row is searched
    unbounded = AutoMetaClassifier(n_trials=1, warm_start=False, families=["linear"], cv=3, random_state=0,
                                   metadataset=False, n_jobs=1).fit(X, y)
    assert unbounded.search_rows_ == 3000


def test_a_boosters_refit_on_a_subsample_fits_its_rows_and_stops_on_the_rows_left_out(monkeypatch):
    """The refit's rows are fitted on, and the rows the subsample left out only stop the growth (a refit of
    3,000 of 8,000 rows: 3,000 fitted, 5,000 held out)."""
    pytest.importorskip("lightgbm")
    from sklearn.datasets import make_classification

    from automl_meta.estimator._base import _AutoMetaBase
    from automl_meta.estimator._refit import RefitPlan
    from automl_meta.models import HeldOutStopping

    chosen = RefitPlan.choose
    monkeypatch.setattr(RefitPlan, "choose", lambda self, evaluations, left: (chosen(self, evaluations, left)[0], 3000))
    monkeypatch.setattr(_AutoMetaBase, "_probed_rows", lambda self, task, plan, refits, strategy, rows, budget: rows)
    monkeypatch.setattr(_AutoMetaBase, "_on_more_rows", lambda self, task, plan, refits, strategy, fitted, *a: fitted)
    X, y = make_classification(n_samples=8000, n_features=5, random_state=0)
    model = AutoMetaClassifier(n_trials=1, time_budget=60, warm_start=False, families=["lightgbm"], cv=3,
                               random_state=0, metadataset=False, ensemble=False, n_jobs=1).fit(X, y)
    grown = model.best_estimator_[-1]
    assert model.refit_rows_ == 3000 and isinstance(grown, HeldOutStopping) and grown.held_out_rows == 5000


def test_a_booster_refitted_on_many_more_rows_than_searched_finds_its_tree_count_on_held_out_rows(monkeypatch):
    pytest.importorskip("lightgbm")
    from sklearn.datasets import make_classification

    from automl_meta.estimator import _refit
    from automl_meta.estimator._refit import RefitPlan
    from automl_meta.models import HeldOutStopping

    # the refit on every row, as where it fits the time left (a slow machine would refit on a subsample), and
    # budgets that no machine spends before its first trial, with the search's rows of a 6 s one
    monkeypatch.setattr(_refit, "_SEARCH_ROWS_PER_SECOND", 60)
    chosen = RefitPlan.choose
    monkeypatch.setattr(RefitPlan, "choose", lambda self, evaluations, left: (chosen(self, evaluations, left)[0],
                                                                              self.n_rows))
    X, y = make_classification(n_samples=8000, n_features=5, random_state=0)
    model = AutoMetaClassifier(n_trials=2, time_budget=30, warm_start=False, families=["lightgbm"], cv=3,
                               random_state=0, metadataset=False, ensemble=False, n_jobs=1).fit(X, y)
    assert model.search_rows_ == 2000 and model.refit_rows_ == 8000  # folds of 1,333 rows, a refit on 6 times them
    grown = model.best_estimator_[-1]
    assert isinstance(grown, HeldOutStopping) and grown.metric == "auc"
    assert grown.held_out_rows is None  # a refit on every row: a tenth of them held out, none from elsewhere
    assert 1 <= grown.n_trees_ <= min(2000, 4 * model.best_strategy_.params["n_estimators"])
    assert model.score(X, y) > 0.9
    # searched on every row (no budget): the booster as searched
    unbounded = AutoMetaClassifier(n_trials=1, warm_start=False, families=["lightgbm"], cv=3, random_state=0,
                                   metadataset=False, ensemble=False, n_jobs=1).fit(X[:3000], y[:3000])
    assert not isinstance(unbounded.best_estimator_[-1], HeldOutStopping)
    # rows of groups: held-out rows would share groups with the fitted ones, so the booster is kept as searched
    grouped = AutoMetaClassifier(n_trials=2, time_budget=30, warm_start=False, families=["lightgbm"], cv=3,
                                 random_state=0, metadataset=False, ensemble=False, n_jobs=1)
    grouped.fit(X, y, groups=np.arange(8000) // 8)
    assert grouped.refit_rows_ == 8000 and not isinstance(grouped.best_estimator_[-1], HeldOutStopping)


def test_when_no_trial_finishes_in_the_budget_the_default_linear_model_is_fitted_with_a_warning():
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=300, n_features=5, random_state=0)
    with pytest.warns(UserWarning, match="No trial finished within time_budget"):
        model = AutoMetaClassifier(n_trials=3, time_budget=30, time_limit=0.001, warm_start=False,
                                   families=["random_forest"], cv=3, metadataset=False, n_jobs=1).fit(X, y)
    assert model.best_strategy_.family == "linear" and np.isnan(model.best_score_)
    assert set(model.leaderboard_["status"]) == {"timeout"}
    assert model.predict(X).shape == (300,)


def test_when_no_trial_finishes_the_first_recommendation_that_fits_the_time_left_is_fitted():
    """With a meta-model, the model owed when no trial finished is its first recommendation predicted to fit on
    every row in the time left, not the linear defaults."""
    from sklearn.datasets import make_classification

    from automl_meta.metamodel import resolve_metamodel

    shipped = resolve_metamodel()
    X, y = make_classification(n_samples=300, n_features=5, random_state=0)
    model = AutoMetaClassifier(n_trials=2, time_budget=30, time_limit=0.001, cv=3,
                               metadataset=False, n_jobs=1, ensemble=False)
    with pytest.warns(UserWarning, match="No trial finished within time_budget=30 s; fitted .*the meta-model's first "
                                         "recommendation predicted to fit"):
        model.fit(X, y)
    expected = shipped.recommend(model.metafeatures_, k=1, kind="binary", n_rows=300, folds=1, max_seconds=30,
                                         device="cpu")[0].strategy
    assert model.best_strategy_ == expected and np.isnan(model.best_score_)
    assert model.predict(X).shape == (300,)


def test_the_fallback_holds_the_recommendations_to_what_the_timed_out_trials_measured(monkeypatch):
    """When no trial finished, a recommendation whose family's trials took several times their prediction is
    not taken for one that fits the time left (a 15 s fit of a 300 x 3,000 table refitted the LightGBM whose
    trial had just timed out, and ended at 24.8 s); a family not tried counts the worst family's shortfall, and
    one whose library this process has still to import, that import (an MLP ended a 10 s fit at 13.6 s)."""
    from types import SimpleNamespace

    from sklearn.datasets import make_classification

    from automl_meta.estimator import _base
    from automl_meta.evaluate import Evaluation
    from automl_meta.metamodel import resolve_metamodel
    from automl_meta.search import TrialCosts
    from automl_meta.search._costs import RATIO_BOUNDS

    shipped = resolve_metamodel()
    X, y = make_classification(n_samples=300, n_features=5, random_state=0)
    model = AutoMetaClassifier(n_trials=2, time_budget=30, time_limit=0.001, cv=3, metadataset=False, n_jobs=1,
                               ensemble=False)
    with pytest.warns(UserWarning, match="No trial finished"):
        model.fit(X, y)
    task, setting = SimpleNamespace(kind="binary", n_rows=300), SimpleNamespace(machine_factor=1.0, search_rows=300)
    first = shipped.recommend(model.metafeatures_, k=1, kind="binary", n_rows=300, folds=1, device="cpu")[0]
    left = 0.55  # (the fallback counts at least 0.5 s left)
    assert first.predicted_seconds <= left < RATIO_BOUNDS[1] * first.predicted_seconds  # fits only as predicted
    budget = SimpleNamespace(left=lambda: left)
    monkeypatch.setattr(_base, "import_seconds", lambda family: 0.0)  # whichever libraries other tests imported
    assert model._fallback(shipped, task, budget, model.metafeatures_, setting)[0] == first.strategy
    monkeypatch.setattr(_base, "import_seconds", lambda family: 4.0 if family == first.strategy.family else 0.0)
    assert model._fallback(shipped, task, budget, model.metafeatures_, setting)[0] != first.strategy
    monkeypatch.setattr(_base, "import_seconds", lambda family: 0.0)
    costs = TrialCosts(lambda strategy: 1.0)
    costs.observe(first.strategy, 1.0, Evaluation(strategy=first.strategy, metric="roc_auc", status="timeout",
                                                  score=float("nan"), fit_seconds=100.0))
    assert costs.ratio(first.strategy.family) == RATIO_BOUNDS[1]
    chosen, why = model._fallback(shipped, task, budget, model.metafeatures_, setting, costs)
    assert chosen != first.strategy
    if chosen.family != "linear" or "defaults" not in why:
        predicted = shipped.predict_seconds(model.metafeatures_, [chosen], n_rows=300, folds=1, device="cpu")[0]
        assert predicted * RATIO_BOUNDS[1] <= left


def test_a_refit_on_a_subsample_is_given_rows_to_stop_on_from_the_rows_it_left_out():
    """A grown booster's refit on a subsample stops on rows the subsample left out (stratified, at most
    STOPPING_ROWS), so that it fits on every row it planned; every row, or a task with groups, gets none."""
    from types import SimpleNamespace

    from automl_meta.estimator._base import STOPPING_ROWS, _with_stopping_rows

    y = pd.Series(np.r_[np.zeros(90_000), np.ones(10_000)])
    task = SimpleNamespace(n_rows=100_000, groups=None, y=y, is_classification=True)
    subsample = np.sort(np.random.default_rng(0).choice(100_000, 30_000, replace=False))
    positions, held_out = _with_stopping_rows(task, subsample, 0)
    assert abs(held_out - STOPPING_ROWS) <= 2 and len(positions) == 30_000 + held_out
    np.testing.assert_array_equal(positions[:30_000], subsample)
    given = positions[30_000:]
    assert not np.isin(given, subsample).any() and len(np.unique(given)) == held_out
    assert y.iloc[given].mean() == pytest.approx(0.1, abs=0.01)  # stratified: the classes' shares
    assert _with_stopping_rows(task, None, 0) == (None, 0)
    grouped = SimpleNamespace(**{**vars(task), "groups": np.arange(100_000) // 10})
    assert _with_stopping_rows(grouped, subsample, 0)[1] == 0
    small = np.arange(99_990)
    assert _with_stopping_rows(task, small, 0)[1] == 10  # what is left, when fewer


def test_budget_the_refit_leaves_goes_to_more_trials(monkeypatch, caplog):
    """A pessimistic refit estimate ends the first search early; the time the refit did not use is searched."""
    import logging

    from sklearn.datasets import make_classification

    from automl_meta.estimator._refit import RefitPlan

    X, y = make_classification(n_samples=300, n_features=5, random_state=0)
    monkeypatch.setattr(RefitPlan, "seconds", lambda self, evaluation, bagged=False, rows=None: 2.0)  # the refit takes ~0.01 s
    with caplog.at_level(logging.INFO, logger="automl_meta.estimator"):
        model = AutoMetaClassifier(n_trials=None, time_budget=8, warm_start=False, families=["linear", "knn"], cv=3,
                                   random_state=0, metadataset=False, ensemble=False, n_jobs=1).fit(X, y)
    assert "of the budget left after the refit: searching on" in caplog.text
    assert len(model.leaderboard_) == len(model.study_.trials) - sum(t.state.name == "PRUNED" for t in model.study_.trials)
    assert model.best_score_ in set(model.leaderboard_["score"])


def test_a_top_up_keeps_time_to_measure_costs_and_measures_a_model_it_keeps_once(monkeypatch, caplog):
    """The final model's costs are measured before a top-up search (which keeps that many seconds free, to measure
    a new final model's); when the top-up keeps the model, the leaderboard reuses them instead of measuring again."""
    import logging

    from sklearn.datasets import make_classification

    from automl_meta.estimator import _base
    from automl_meta.estimator._costs import pickled_size
    from automl_meta.estimator._refit import RefitPlan

    measured = []
    real = _base.member_costs
    def counted(final, X, classes, known=None):  # when: before the top-up search, or after it
        measured.append("searching on" in caplog.text)
        return real(final, X, classes, known)

    monkeypatch.setattr(_base, "member_costs", counted)
    monkeypatch.setattr(RefitPlan, "seconds", lambda self, evaluation, bagged=False, rows=None: 2.0)  # a top-up follows
    X, y = make_classification(n_samples=300, n_features=5, random_state=0)
    with caplog.at_level(logging.INFO, logger="automl_meta.estimator"):
        model = AutoMetaClassifier(n_trials=None, time_budget=8, warm_start=False, families=["linear", "knn"], cv=3,
                                   random_state=0, metadataset=False, ensemble=False, n_jobs=1).fit(X, y)
    assert "of the budget left after the refit: searching on" in caplog.text
    replaced = "better than" in caplog.text  # the top-up found a better trial and refitted it
    assert measured == ([False, True] if replaced else [False])
    assert model.leaderboard_["size_bytes"].dropna().iloc[0] == pickled_size(model.best_estimator_)


def test_top_up_respects_n_trials():
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=300, n_features=5, random_state=0)
    model = AutoMetaClassifier(n_trials=3, time_budget=20, warm_start=False, families=["linear"], cv=3,
                               random_state=0, metadataset=False, ensemble=False, n_jobs=1).fit(X, y)
    assert len(model.leaderboard_) == 3


def test_guided_sampler_fit(tasks_by_kind, caplog):
    import logging

    task = tasks_by_kind["binary"]
    with caplog.at_level(logging.INFO, logger="automl_meta.estimator"):
        clf = AutoMetaClassifier(**dict(FAST, n_trials=7, sampler="guided")).fit(task.X, task.y)
    assert "guided sampler: family weights" in caplog.text
    assert len(clf.leaderboard_) == 7 and clf.predict(task.X).shape == (len(task.X),)


def test_task_name_names_the_recorded_task(tasks_by_kind, tmp_path):
    from automl_meta.metadataset import MetaDataset

    task = tasks_by_kind["binary"]
    store = MetaDataset(tmp_path / "md.sqlite")
    AutoMetaClassifier(**dict(FAST, metadataset=store, n_trials=2)).fit(task.X, task.y, task_name="churn-2026")
    assert list(store.tasks()["name"]) == ["churn-2026"]
    with pytest.raises(ConfigError, match="task_name must be a non-empty string"):
        AutoMetaClassifier(**FAST).fit(task.X, task.y, task_name="")


def test_the_budget_starts_after_the_users_store_is_copied_from_the_shipped_one_and_counts_a_later_opening(monkeypatch):
    """On its first use the user's meta-dataset is a copy of the shipped one (seconds): the budget the fit spends
    is started after the copy, not out of its search (a first fit of 10 s ran no trial); an ordinary opening of
    the store is the fit's time (a 5 s fit on a busy machine ended at 5.5 s when it was not counted)."""
    from sklearn.datasets import make_classification

    from automl_meta.metadataset import MetaDataset
    from automl_meta.search import _budget

    events = []
    real_import, real_budget = MetaDataset.import_file, _budget.Budget.__init__
    monkeypatch.setattr(MetaDataset, "import_file", lambda self, path: events.append("copy") or real_import(self, path))
    monkeypatch.setattr(_budget.Budget, "__init__", lambda self, *a, **kw: events.append("budget") or real_budget(self, *a, **kw))
    X, y = make_classification(n_samples=120, n_features=4, random_state=0)
    AutoMetaClassifier(n_trials=1, time_budget=30, warm_start=False, families=["linear"], cv=3, n_jobs=1).fit(X, y)
    assert events[:3] == ["budget", "copy", "budget"]  # the budget the fit spends is made after the copy
    assert len(MetaDataset().tasks()) > 1  # the shipped tasks, and the one fitted
    events.clear()
    AutoMetaClassifier(n_trials=1, time_budget=30, warm_start=False, families=["linear"], cv=3, n_jobs=1).fit(X, y)
    assert "copy" not in events and events[:1] == ["budget"]  # once; later, one budget from the fit's start
    assert events.count("budget") == 1


def test_a_time_budget_alone_is_the_only_stopping_rule(monkeypatch):
    """n_trials defaults to None: with a budget the search gets no trial limit (it runs until the budget is
    spent); with neither, 30 trials."""
    import automl_meta.search as search_module
    from sklearn.datasets import make_classification

    limits = []
    real = search_module.search

    def recording(task, **kwargs):
        limits.append(kwargs.get("n_trials"))
        return real(task, **kwargs)

    monkeypatch.setattr(search_module, "search", recording)
    X, y = make_classification(n_samples=120, n_features=4, random_state=0)
    model = AutoMetaClassifier(time_budget=5, warm_start=False, families=["linear"], cv=3, random_state=0,
                               metadataset=False, ensemble=False, n_jobs=1).fit(X, y)
    assert model.n_trials is None and set(limits) == {None}
    assert len(AutoMetaClassifier(**dict(FAST, n_trials=None, families=["linear"])).fit(X, y).leaderboard_) == 30


def test_an_unnamed_fit_is_recorded_under_a_name_of_its_data(tasks_by_kind, tmp_path):
    store = MetaDataset(tmp_path / "md.sqlite")
    binary, multi = tasks_by_kind["binary"], tasks_by_kind["multiclass"]
    for X, y in [(binary.X, binary.y), (binary.X, binary.y), (multi.X, multi.y)]:
        AutoMetaClassifier(**dict(FAST, metadataset=store, n_trials=1)).fit(X, y)
    named = binary.X.copy()
    named.attrs["name"] = "churn-2026"
    AutoMetaClassifier(**dict(FAST, metadataset=store, n_trials=1)).fit(named, binary.y.sample(frac=1, random_state=1).to_numpy())
    names = store.tasks()["name"].tolist()
    assert len(names) == 3 and names[0].startswith("data-") and names[1].startswith("data-") and names[0] != names[1]
    assert names[2] == "churn-2026"
    assert "AutoMetaClassifier" not in names


def test_an_ensemble_of_the_trials_is_fitted_when_it_beats_the_best_one(tasks_by_kind, tmp_path):
    from automl_meta import load_model, save_model
    from automl_meta.estimator._ensemble import EnsembleModel

    task = tasks_by_kind["multiclass"]
    clf = AutoMetaClassifier(n_trials=8, cv=3, families=["linear", "knn", "extra_trees"], warm_start=False,
                             metadataset=False, random_state=0, n_jobs=1).fit(task.X, task.y)
    assert isinstance(clf.best_estimator_, EnsembleModel) and len(clf.ensemble_) >= 2
    assert sum(m["weight"] for m in clf.ensemble_) == pytest.approx(1.0)
    trials = clf.leaderboard_[clf.leaderboard_["origin"] != "ensemble"]
    assert len(trials) == 8 and clf.leaderboard_.iloc[0]["family"] == "ensemble"
    assert clf.best_score_ == clf.leaderboard_.iloc[0]["score"] >= trials["score"].max()
    proba = clf.predict_proba(task.X)
    assert proba.shape == (150, 3) and np.allclose(proba.sum(axis=1), 1)
    np.testing.assert_array_equal(clf.predict(task.X), clf.classes_[proba.argmax(axis=1)])
    save_model(clf, tmp_path / "m.amm")
    np.testing.assert_allclose(load_model(tmp_path / "m.amm").predict_proba(task.X), proba)
    # off: the single best strategy, as before
    single = AutoMetaClassifier(n_trials=8, cv=3, families=["linear", "knn", "extra_trees"], warm_start=False,
                                metadataset=False, random_state=0, ensemble=False, n_jobs=1).fit(task.X, task.y)
    assert len(single.ensemble_) == 1 and single.best_score_ == pytest.approx(trials["score"].max())


def test_a_regression_ensemble_averages_its_members(tasks_by_kind):
    task = tasks_by_kind["regression"]
    reg = AutoMetaRegressor(n_trials=6, cv=3, families=["linear", "knn", "extra_trees"], warm_start=False,
                            metadataset=False, random_state=0, n_jobs=1).fit(task.X, task.y)
    assert reg.best_score_ >= reg.leaderboard_.loc[reg.leaderboard_["origin"] != "ensemble", "score"].max()
    if len(reg.ensemble_) > 1:
        members = [m.predict(task.X) for m in reg.best_estimator_.models]
        expected = sum(w * p for w, p in zip(reg.best_estimator_.weights, members))
        np.testing.assert_allclose(reg.predict(task.X), expected, rtol=1e-6)


def test_trials_run_in_parallel_workers_and_warm_starts_run_once(tasks_by_kind):
    task = tasks_by_kind["binary"]
    clf = AutoMetaClassifier(**dict(FAST, n_jobs=2, n_trials=6, families=["linear", "knn", "extra_trees"])).fit(task.X, task.y)
    assert clf.n_workers_ == 2 and len(clf.leaderboard_) == 6 and len(clf.study_.trials) == 6
    warm = clf.leaderboard_[clf.leaderboard_["origin"] == "warm_start"]["strategy"]
    assert sorted(warm) == sorted(str(s) for s in clf.warm_starts_)  # each once
    assert clf.predict(task.X).shape == (len(task.X),)


@pytest.mark.parametrize("params, expected", [({}, 60.0), ({"time_limit": 7.0}, 7.0), ({"time_budget": 20.0}, 5.0)])
def test_warm_starts_are_chosen_among_strategies_predicted_to_fit_in_time(tasks_by_kind, tmp_path, monkeypatch,
                                                                           params, expected):
    """The meta-model is asked for warm starts that cross-validate on the trials' rows within a quarter of the
    budget, else the per-trial limit, else WARM_START_SECONDS."""
    from helpers import synthetic_data

    from automl_meta.metamodel import MetaModel

    model = MetaModel(n_members=1, epochs=2).fit(synthetic_data())
    asked = {}
    original = MetaModel.recommend

    def spy(self, *args, **kwargs):
        asked.update(kwargs)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(MetaModel, "recommend", spy)
    task = tasks_by_kind["binary"]
    settings = dict(FAST, n_trials=2, metamodel=model, n_warm_start=1, **params)
    clf = AutoMetaClassifier(**settings).fit(task.X, task.y)
    assert asked["max_seconds"] == pytest.approx(expected)
    assert asked["n_rows"] == clf.search_rows_ and asked["folds"] == clf.cv


def test_a_refit_on_an_array_forgets_the_column_names_of_an_earlier_frame():
    """Every fitted attribute is set by fit from what that fit found: nothing of an earlier fit lingers."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60)})
    y = X["a"] * 2 + rng.normal(scale=0.1, size=60)
    model = AutoMetaRegressor(**dict(FAST, n_trials=1), warm_start=False).fit(X, y)
    assert list(model.feature_names_in_) == ["a", "b"]
    model.fit(X.to_numpy(), y.to_numpy())
    assert not hasattr(model, "feature_names_in_") and model.n_features_in_ == 2
    assert model.predict(X.to_numpy()).shape == (60,)


def test_a_target_of_several_columns_is_a_clear_error():
    from automl_meta.errors import DataError

    X = np.random.default_rng(0).normal(size=(60, 3))
    with pytest.raises(DataError, match=r"one column; got shape \(60, 2\).*one model per target column"):
        AutoMetaRegressor(n_trials=1, metadataset=False).fit(X, np.c_[X[:, 0], X[:, 1]])
    one = AutoMetaRegressor(n_trials=1, warm_start=False, families=["linear"], metadataset=False, n_jobs=1)
    assert one.fit(X, X[:, :1]).predict(X).shape == (60,)  # a single column is the target as before


def test_a_budgeted_fit_imports_its_model_libraries_in_the_background_but_torch(monkeypatch):
    """At a budgeted fit's start the model libraries are imported in the background, but torch (3 s on a slow
    machine, a core and the interpreter's lock taken from the work beside it): an MLP's refit imports it."""
    from sklearn.datasets import make_classification

    from automl_meta.estimator import _base

    started = []
    monkeypatch.setattr(_base, "import_in_background", lambda families: started.append(list(families)))
    X, y = make_classification(n_samples=120, n_features=4, random_state=0)
    AutoMetaClassifier(n_trials=3, time_budget=30, warm_start=False, families=["linear", "mlp"], cv=3, n_jobs=1,
                       metadataset=False).fit(X, y)
    assert started == [["linear"]]
