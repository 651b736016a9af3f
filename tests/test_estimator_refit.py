"""estimator/_refit.py: what a budgeted fit keeps for its refit, and the refit on fewer rows when every row's
would not fit (a large table)."""

import numpy as np
import pandas as pd
import pytest

from automl_meta.estimator._refit import _MAX_REFIT_SHARE, _SUBSAMPLED_REFIT_SHARE, RefitPlan
from automl_meta.evaluate import Evaluation
from automl_meta.space import Strategy


def _trial(family, score, fit_seconds):
    return Evaluation(strategy=Strategy.default(family), metric="roc_auc", status="ok", score=score,
                      fit_seconds=fit_seconds)


def test_the_best_strategy_is_refitted_on_the_rows_that_fit_rather_than_swapped_for_a_faster_one():
    # 500,000 rows searched on 18,000: the booster's refit on every row is expected at 4 / 4 * 27.8 = 27.8 s
    booster, linear = _trial("linear", 0.97, 4.0), _trial("linear", 0.80, 0.04)
    plan = RefitPlan(n_rows=500_000, search_rows=18_000, folds=5, budget_seconds=60)
    chosen, rows = plan.choose([linear, booster], left=15.0)
    assert chosen is booster and 18_000 <= rows < 500_000
    assert plan.seconds(booster, rows=rows) <= 15.0  # the refit on those rows fits, pessimistically
    assert plan.choose([linear, booster], left=60.0) == (booster, 500_000)  # every row fits
    # not even the search's rows fit: the fastest, on the rows that fit (here fewer than the least searched)
    assert plan.choose([linear, booster], left=0.001) == (linear, 2_000)
    # none fits even on the search's rows (a first trial slowed by a busy core): the fastest on the rows that
    # fit the time left, never every row of a large table, nor fewer than the smallest subsample searched
    slow = _trial("lightgbm", 0.97, 36.0)  # 9 s a fit on 18,000 rows (five folds), 1 s to import
    chosen, rows = plan.choose([slow], left=12.0)
    assert chosen is slow and rows == plan.rows_within(slow, 12.0) and 2_000 < rows < 18_000
    assert plan.seconds(slow, rows=rows) <= 12.0
    assert plan.choose([slow], left=0.1) == (slow, 2_000)
    whole = RefitPlan(n_rows=18_000, search_rows=18_000, folds=5, budget_seconds=60)
    assert whole.choose([slow], left=0.1) == (slow, 18_000)  # the search scored every row: refitted on them


def test_a_large_table_keeps_at_most_a_share_of_the_budget_for_its_refit():
    booster = _trial("linear", 0.97, 4.0)
    # searched on fewer than a quarter of its rows: the larger share, the refit's rows matter more than trials
    large = RefitPlan(n_rows=500_000, search_rows=18_000, folds=5, budget_seconds=60)
    assert large.search_reserve([booster]) == pytest.approx(_SUBSAMPLED_REFIT_SHARE * 60)  # not 1.5 x 27.8 s
    larger = RefitPlan(n_rows=60_000, search_rows=18_000, folds=5, budget_seconds=60)
    assert larger.search_reserve([_trial("linear", 0.97, 40.0)]) == pytest.approx(_MAX_REFIT_SHARE * 60)
    assert _MAX_REFIT_SHARE < _SUBSAMPLED_REFIT_SHARE
    # a shorter budget's search keeps 24 s for its warm starts before the share grows past 40%
    assert RefitPlan(500_000, 9_000, 3, 30).refit_share == _MAX_REFIT_SHARE
    assert RefitPlan(500_000, 13_500, 3, 45).refit_share == pytest.approx(1 - 24 / 45)
    assert RefitPlan(500_000, 36_000, 3, 120).refit_share == _SUBSAMPLED_REFIT_SHARE
    small = RefitPlan(n_rows=18_000, search_rows=18_000, folds=5, budget_seconds=60)
    assert small.search_reserve([booster]) == pytest.approx(1.5 * small.seconds(booster) + 0.3 + 0.02 * 60)  # as before


def test_before_any_trial_succeeds_the_search_keeps_a_share_of_the_budget_for_the_fallback():
    """Only a share: with the 0.3 s slack of other refits added, 5 s fits on a busy machine stopped waiting for
    their starting workers sooner and ended with no trial."""
    failed = Evaluation(strategy=Strategy.default("linear"), metric="roc_auc", status="timeout", fit_seconds=5.0)
    for seconds in (5, 60):
        plan = RefitPlan(n_rows=300, search_rows=300, folds=5, budget_seconds=seconds)
        assert plan.search_reserve([]) == pytest.approx(0.05 * seconds)
        assert plan.search_reserve([failed]) == plan.search_reserve([])  # a failed trial's refit is none


def test_a_refit_on_rows_fits_the_model_on_those_rows_only():
    from automl_meta.estimator._final import RefitCache
    from automl_meta.models import build_model

    rng = np.random.RandomState(0)
    X = pd.DataFrame({"a": rng.randn(400), "b": rng.randn(400)})
    y = pd.Series(rng.randn(400))
    refits = RefitCache(lambda s, n_rows=400: build_model(s, "regression", n_rows=n_rows), X, y, n_jobs=1)
    model, _ = refits.fit(Strategy.default("knn"), rows=np.arange(0, 400, 4))
    assert model[-1].n_samples_fit_ == 100 and not refits.is_bag(Strategy.default("knn"))
    assert model.predict(X).shape == (400,)


def test_a_large_table_searched_on_a_subsample_leaves_out_the_families_whose_rank_does_not_carry():
    from automl_meta.estimator._refit import searched_families

    every = searched_families(None, "binary", 1000, 1000)
    assert {"svm_rbf", "knn"} <= set(every)
    large = searched_families(None, "binary", 500_000, 18_000)
    assert set(large) == set(every) - {"svm_rbf", "knn"}
    assert searched_families(None, "binary", 60_000, 18_000) == every  # under 4 times the rows searched
    assert searched_families(["knn", "linear"], "binary", 500_000, 18_000) == ["knn", "linear"]  # named: kept


@pytest.mark.filterwarnings("ignore:No trial finished")  # on a busy machine the first trial may not (what is
# asserted is what was searched, not what was found)
def test_a_budgeted_fit_of_a_table_four_times_its_search_rows_searches_without_svm_and_knn():
    from sklearn.datasets import make_classification

    from automl_meta import AutoMetaClassifier

    X, y = make_classification(n_samples=13000, n_features=6, random_state=0)
    # 10 s: the trials score on 3,000 rows (300 a second), under a quarter of the 13,000
    model = AutoMetaClassifier(time_budget=10, warm_start=False, metadataset=False, random_state=0, n_jobs=1).fit(X, y)
    assert model.search_rows_ == 3000 and model.cv_ == 3  # trials on a small share of the rows: 3 folds, not 5
    assert not {"svm_rbf", "knn"} & set(model.families_) and "linear" in model.families_
    assert set(model.leaderboard_["family"]) <= set(model.families_)
    assert model.predict_proba(X[:5]).shape == (5, 2)


def test_a_large_table_s_refit_is_chosen_by_the_score_expected_on_the_rows_it_will_be_refitted_on():
    """Searched on 18,000 of 500,000 rows, a booster 0.003 behind a forest is chosen when its family's learning
    curve is steeper, unless its refit fits on far fewer rows than the forest's; on a table searched on every
    row, or without curves, the cross-validated score decides."""
    from automl_meta.metamodel._curves import score_at

    curves = {"extra_trees": -0.055, "xgboost": -0.094}
    forest, booster = _trial("extra_trees", 0.965, 1.0), _trial("xgboost", 0.962, 1.0)
    plan = RefitPlan(n_rows=500_000, search_rows=18_000, folds=5, budget_seconds=60, curves=curves)
    assert plan.choose([forest, booster], left=60.0) == (booster, 500_000)
    # carried from the rows each fold trained on (4/5 of 18,000) to the refit's
    assert plan.expected_score(0.962, "xgboost", 500_000) == pytest.approx(score_at(0.962, -0.094, 14_400, 500_000))
    assert plan.expected_score(0.962, "linear", 500_000) == 0.962  # a family without a curve
    slow_booster = _trial("xgboost", 0.962, 8.0)  # its refit fits on about 180,000 rows only
    chosen, rows = plan.choose([forest, slow_booster], left=30.0)
    assert chosen is forest and rows == 500_000
    searched_whole = RefitPlan(n_rows=18_000, search_rows=18_000, folds=5, budget_seconds=60, curves=curves)
    assert searched_whole.choose([forest, booster], left=60.0) == (forest, 18_000)
    without = RefitPlan(n_rows=500_000, search_rows=18_000, folds=5, budget_seconds=60)
    assert without.choose([forest, booster], left=60.0) == (forest, 500_000)


def test_scores_carried_along_a_learning_curve():
    from automl_meta.metamodel._curves import score_at

    assert score_at(0.9, -0.1, 1_000, 10_000) == pytest.approx(1 - 0.1 * 10 ** -0.1)
    assert score_at(0.9, -0.1, 10_000, 1_000) == 0.9  # never carried down
    assert score_at(1.0, -0.1, 1_000, 10_000) == 1.0 and np.isnan(score_at(float("nan"), -0.1, 1_000, 10_000))


def test_a_refit_on_a_subsample_that_ended_early_is_done_again_on_the_rows_the_time_left_allows():
    from automl_meta.estimator._refit import _SAFETY, _SLACK, more_rows

    # 40,000 rows in 7 s, 17 s left: at the measured cost, about (17 - 0.3) / 1.5 / 7 * 40,000 rows
    assert more_rows(40_000, 7.0, 17.0, 400_000) == int(40_000 * (17.0 - _SLACK) / _SAFETY / 7.0)
    assert more_rows(40_000, 1.0, 17.0, 400_000) == 400_000  # at most every row
    assert more_rows(40_000, 7.0, 10.0, 400_000) is None  # under 1.5 times the rows: not worth the time
    assert more_rows(40_000, 7.0, 0.1, 400_000) is None


def test_a_refit_again_replaces_the_strategy_s_model():
    from automl_meta.estimator._final import RefitCache
    from automl_meta.models import build_model

    rng = np.random.RandomState(0)
    X, y = pd.DataFrame({"a": rng.randn(400), "b": rng.randn(400)}), pd.Series(rng.randn(400))
    refits = RefitCache(lambda s, n_rows=400: build_model(s, "regression", n_rows=n_rows), X, y, n_jobs=1)
    knn = Strategy.default("knn")
    refits.fit(knn, rows=np.arange(100))
    assert refits.fit(knn, rows=np.arange(300))[0][-1].n_samples_fit_ == 100  # cached: the first refit is the model
    model, _ = refits.fit(knn, rows=np.arange(300), again=True)
    assert model[-1].n_samples_fit_ == 300 and refits.fit(knn)[0] is model


def test_trials_on_a_small_share_of_a_table_s_rows_use_at_most_three_folds():
    from automl_meta.estimator._refit import subsample_folds

    assert subsample_folds(5, 500_000, 18_000) == 3
    assert subsample_folds(2, 500_000, 18_000) == 2  # never more than asked
    assert subsample_folds(5, 60_000, 18_000) == 5  # under 4 times the rows searched
    assert subsample_folds(5, 500_000, 18_000, validation=True) == 5  # the given split stands


def test_a_failed_refit_on_more_rows_keeps_the_model_fitted_first():
    from types import SimpleNamespace

    from automl_meta import AutoMetaRegressor
    from automl_meta.data import Task
    from automl_meta.search import Budget

    class _Failing:
        def fit(self, *args, **kwargs):
            raise MemoryError("no room for 400,000 rows")

    rng = np.random.RandomState(0)
    task = Task(pd.DataFrame({"a": rng.randn(3000)}), pd.Series(rng.randn(3000)), kind="regression")
    first = object()
    plan = SimpleNamespace(refit_trees=lambda strategy, rows: None)
    kept = AutoMetaRegressor()._on_more_rows(task, plan, _Failing(), Strategy.default("linear"), (first, 300), 0.1,
                                              Budget(60))
    assert kept == (first, 300)


def test_a_second_refit_on_more_rows_is_sized_by_a_grown_boosters_searched_trees_only():
    """The refit on a subsample of 300 rows took 7 s, 6 of them on trees grown beyond the searched ones (stopped by
    their held-out metric or the deadline): the rows a second refit can take follow from the searched trees' 1 s."""
    from types import SimpleNamespace

    from automl_meta import AutoMetaRegressor
    from automl_meta.data import Task
    from automl_meta.search import Budget

    class _Recorder:
        rows = held_out = None

        def fit(self, strategy, rows=None, again=False, held_out=0):
            _Recorder.rows, _Recorder.held_out = rows, held_out
            return "refitted", 1.0

    rng = np.random.RandomState(0)
    task = Task(pd.DataFrame({"a": rng.randn(3000)}), pd.Series(rng.randn(3000)), kind="regression")
    grown = SimpleNamespace(steps=[("model", SimpleNamespace(grown_seconds_=6.0))])
    grows = SimpleNamespace(refit_trees=lambda strategy, rows: 2000)
    refit = AutoMetaRegressor()._on_more_rows(task, grows, _Recorder(), Strategy.default("lightgbm"), (grown, 300),
                                               7.0, Budget(20))
    assert refit == ("refitted", 3000) and _Recorder.rows is None  # every row: 300 rows * 19.7 s / 1.5 / 1 s
    assert _Recorder.held_out == 0  # no row left out to stop on
    as_searched = SimpleNamespace(steps=[("model", SimpleNamespace())])
    fixed = SimpleNamespace(refit_trees=lambda strategy, rows: None)
    _, rows = AutoMetaRegressor()._on_more_rows(task, fixed, _Recorder(), Strategy.default("lightgbm"),
                                                (as_searched, 300), 7.0, Budget(20))
    assert 450 <= rows < 600 and len(_Recorder.rows) == rows and _Recorder.held_out == 0  # 300 * 19.7 s / 1.5 / 7 s
    # a booster that grows on those rows is given the other rows of the table to stop on, after them
    _, rows = AutoMetaRegressor()._on_more_rows(task, grows, _Recorder(), Strategy.default("lightgbm"),
                                                (as_searched, 300), 7.0, Budget(20))
    assert _Recorder.held_out == 3000 - rows and len(_Recorder.rows) == 3000


def test_a_probe_of_a_tenth_of_the_trees_sizes_a_grown_boosters_refit_on_a_subsample():
    from automl_meta.estimator._refit import _SAFETY, _SLACK, probe_trees, probed_rows

    assert probe_trees(Strategy("lightgbm", {"n_estimators": 468})) == 47
    assert probe_trees(Strategy("lightgbm", {"n_estimators": 20})) == 2
    # the searched trees on 50,000 rows expected at 8 s: linear in rows from there, pessimistically
    assert probed_rows(50_000, 8.0, 36.0, 400_000) == int(50_000 * (36.0 - _SLACK) / _SAFETY / 8.0)
    assert probed_rows(50_000, 0.1, 36.0, 400_000) == 400_000  # at most every row
    assert probed_rows(50_000, 100.0, 36.0, 400_000) == 50_000  # never fewer than planned


def test_a_grown_boosters_refit_takes_the_rows_its_probe_says_fit_and_a_failed_probe_keeps_the_plan():
    pytest.importorskip("lightgbm")
    from automl_meta import AutoMetaClassifier
    from automl_meta.data import Task
    from automl_meta.estimator._final import RefitCache
    from automl_meta.models import build_model
    from automl_meta.search import Budget

    rng = np.random.RandomState(0)
    X = pd.DataFrame({"a": rng.randn(20_000), "b": rng.randn(20_000)})
    task = Task(X, pd.Series(np.where(X["a"] + rng.randn(20_000) > 0, "y", "n")), kind="classification")
    refits = RefitCache(lambda s, n_rows=None: build_model(s, "binary", n_rows=n_rows), task.X, task.y, n_jobs=1)
    booster = Strategy("lightgbm", {"n_estimators": 40})
    seconds, probe = refits.probe(booster, np.arange(3000), 4)
    assert seconds > 0 and len(probe.steps[-1][1].booster_.dump_model()["tree_info"]) == 4 and booster not in refits
    # 4 trees on 3,000 rows take well under the 600 s the budget leaves: every row fits
    plan = RefitPlan(n_rows=20_000, search_rows=3000, folds=3, budget_seconds=600)
    assert AutoMetaClassifier()._probed_rows(task, plan, refits, booster, 3000, Budget(600)) == 20_000

    class _Failing:
        def probe(self, *args):
            raise MemoryError("no room")

    assert AutoMetaClassifier()._probed_rows(task, plan, _Failing(), booster, 3000, Budget(600)) == 3000


@pytest.mark.parametrize("noise, strategy, gaining", [
    (0.3, {"n_estimators": 200, "learning_rate": 0.05, "num_leaves": 8}, True),  # a signal it learns slowly
    (3.0, {"n_estimators": 200, "learning_rate": 0.3, "num_leaves": 256, "min_child_samples": 2}, False),  # noise
])
def test_only_a_lightgbm_whose_probe_still_gains_at_its_last_tree_may_refit_with_larger_trees(noise, strategy,
                                                                                              gaining):
    pytest.importorskip("lightgbm")
    from automl_meta import AutoMetaClassifier
    from automl_meta.data import Task
    from automl_meta.estimator._final import RefitCache
    from automl_meta.models import build_model
    from automl_meta.search import Budget

    rng = np.random.RandomState(0)
    X = pd.DataFrame({"a": rng.randn(20_000), "b": rng.randn(20_000)})
    target = X["a"] + X["a"] * X["b"] + noise * rng.randn(20_000) > 0
    task = Task(X, pd.Series(np.where(target, "y", "n")), kind="classification")
    refits = RefitCache(lambda s, n_rows=None: build_model(s, "binary", n_rows=n_rows), task.X, task.y, n_jobs=1)
    plan = RefitPlan(n_rows=20_000, search_rows=3000, folds=3, budget_seconds=600)  # folds of 2,000 rows
    booster = Strategy("lightgbm", strategy)
    AutoMetaClassifier()._probed_rows(task, plan, refits, booster, 3000, Budget(600))  # 20 trees on 3,000 rows
    # scored on the other 17,000 rows after 10 and 20 trees: still gaining, or past its best
    assert (plan.refit_leaves(booster, 8000) is not None) is gaining


def test_a_booster_refitted_on_many_times_its_folds_rows_may_grow_its_trees_and_nothing_else_does():
    plan = RefitPlan(n_rows=500_000, search_rows=18_000, folds=3, budget_seconds=60)  # folds of 12,000 rows
    lightgbm = Strategy("lightgbm", {"n_estimators": 468})
    assert plan.refit_trees(lightgbm, 64_000) == 4 * 468  # a refit on 5.3 times the folds' rows
    assert plan.refit_trees(Strategy("xgboost", {"n_estimators": 500}), 400_000) == 2000  # at most 2,000
    # under twice the folds' rows of a larger table: grows too, stopped on rows its subsample left out
    assert plan.refit_trees(lightgbm, 20_000) == 4 * 468
    whole = RefitPlan(n_rows=20_000, search_rows=18_000, folds=3, budget_seconds=60)
    assert whole.refit_trees(lightgbm, 20_000) is None  # every row, under twice the folds': as searched
    assert plan.refit_trees(Strategy.default("random_forest"), 400_000) is None  # not a booster
    small = RefitPlan(n_rows=5_000, search_rows=5_000, folds=5, budget_seconds=60)
    assert small.refit_trees(lightgbm, 5_000) is None  # searched on every row


def test_a_lightgbm_grown_on_a_subsample_takes_leaves_that_grow_with_the_square_root_of_its_rows_over_its_folds():
    plan = RefitPlan(n_rows=500_000, search_rows=18_000, folds=3, budget_seconds=60)  # folds of 12,000 rows
    lightgbm = Strategy("lightgbm", {"n_estimators": 468, "num_leaves": 60})
    assert plan.refit_leaves(lightgbm, 48_000) is None  # its probe not (yet) seen gaining to its last tree
    plan.still_gaining(lightgbm)
    assert plan.refit_leaves(lightgbm, 48_000) == 120  # 4 times the folds' rows: twice the leaves
    assert plan.refit_leaves(lightgbm, 399_999) == 256  # at most the space's highest
    assert plan.refit_leaves(lightgbm, 500_000) is None  # on every row: grown to its held-out best, as searched
    assert plan.refit_leaves(Strategy("lightgbm", {"num_leaves": 256}), 400_000) is None  # no more to take
    assert plan.refit_leaves(lightgbm, 12_000) is None  # the folds' rows: as searched
    xgboost = Strategy("xgboost", {"n_estimators": 500})
    assert plan.refit_trees(xgboost, 48_000) is not None and plan.refit_leaves(xgboost, 48_000) is None  # grown only
    assert plan.refit_trees(lightgbm, 500_000) is not None  # grown, though


def test_a_refit_that_grows_a_lightgbm_fits_the_leaves_of_its_plan():
    pytest.importorskip("lightgbm")
    from automl_meta.data import Task
    from automl_meta.estimator._base import _tree_growth
    from automl_meta.estimator._final import RefitCache
    from automl_meta.models import build_model

    rng = np.random.RandomState(0)
    X = pd.DataFrame({"a": rng.randn(6000), "b": rng.randn(6000)})
    task = Task(X, pd.Series(np.where(X["a"] * X["b"] + rng.randn(6000) > 0, "y", "n")), kind="classification")
    plan = RefitPlan(n_rows=6000, search_rows=1500, folds=3, budget_seconds=60)  # folds of 1,000 rows
    assert plan.refit_leaves(Strategy("lightgbm", {"num_leaves": 8}), 6000) is None  # every row: as searched
    refits = RefitCache(lambda s, n_rows=None: build_model(s, "binary", n_rows=n_rows), task.X, task.y, n_jobs=1,
                        more_trees=_tree_growth(task, plan, 0))
    booster = Strategy("lightgbm", {"n_estimators": 20, "num_leaves": 8})
    plan.still_gaining(booster)
    model, _ = refits.fit(booster, rows=np.arange(4000))
    searched = model.steps[-1][1].estimator.get_params()  # 4,000 rows over 1,000: twice 8 leaves, half the trees
    assert (searched["num_leaves"], searched["n_estimators"]) == (16, 10) and model.steps[-1][1].n_trees_ >= 10
    assert model.steps[-1][1].estimator_.booster_.dump_model()["tree_info"][0]["num_leaves"] > 8
    forest = Strategy("random_forest", {"n_estimators": 32})
    assert "num_leaves" not in refits.fit(forest, rows=np.arange(4000))[0].steps[-1][1].get_params()


def test_only_a_refit_on_one_set_of_rows_grows_its_trees_not_a_bags_fold_models():
    from automl_meta.estimator._final import RefitCache
    from automl_meta.evaluate import splits
    from automl_meta.models import HeldOutStopping, build_model, with_more_trees
    from automl_meta.data import Task

    pytest.importorskip("lightgbm")
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"a": rng.randn(6000), "b": rng.randn(6000)})
    y = pd.Series(X["a"] + 0.3 * rng.randn(6000))
    grown = []

    def more_trees(model, strategy, rows, held_out):
        grown.append(rows)
        return with_more_trees(model, 80, "l2", held_out_rows=held_out or None)

    strategy = Strategy("lightgbm", {"n_estimators": 20})
    build = lambda s, n_rows=6000: build_model(s, "regression", n_rows=n_rows)  # noqa: E731
    refits = RefitCache(build, X, y, n_jobs=1, more_trees=more_trees)
    model, _ = refits.fit(strategy)
    assert isinstance(model[-1], HeldOutStopping) and grown == [6000] and 20 < model[-1].n_trees_ <= 80
    # on 4,000 rows, with 1,000 others after them to stop on: it plans for 4,000 and holds out those 1,000
    model, _ = refits.fit(strategy, rows=np.arange(5000), again=True, held_out=1000)
    assert grown == [6000, 4000] and model[-1].held_out_rows == 1000
    grown.clear()
    bags = RefitCache(build, X, y, n_jobs=1, bag_folds=splits(Task(X, y), 3, 0), more_trees=more_trees)
    bag, _ = bags.fit(strategy, bag=True)
    assert bags.is_bag(strategy) and grown == []  # the fold models were built as searched
    assert not any(isinstance(m[-1], HeldOutStopping) for m in bag.models)


def test_an_ensemble_selections_seconds_per_trial_are_kept_for_the_next_one():
    plan = RefitPlan(n_rows=15_000, search_rows=15_000, folds=5, budget_seconds=60)
    assert plan.selection_seconds(10) == 0.0  # none timed yet
    plan.time_selection(1.5, 3)
    plan.time_selection(0.1, 4)  # the slowest per trial stands
    assert plan.selection_seconds(6) == pytest.approx(3.0)


def test_a_stacking_step_is_expected_from_the_selection_until_one_is_timed():
    """A stacking step's nested fits are a Caruana selection per fold: expected so before one was timed, then as
    long per member as the slowest timed."""
    plan = RefitPlan(n_rows=5_000, search_rows=5_000, folds=5, budget_seconds=30)
    assert plan.stacking_seconds(4) == 0.0  # nothing timed yet
    plan.time_selection(2.0, 10)  # 0.2 s per trial
    assert plan.stacking_seconds(4) == pytest.approx(5 * 0.8)
    plan.time_stacking(7.0, 4)
    plan.time_stacking(1.0, 4)
    assert plan.stacking_seconds(2) == pytest.approx(3.5)


def test_the_model_owed_when_no_trial_finished_fits_the_search_rows_of_a_larger_table():
    """No trial finished (a 60 s fit of 500,000 rows on a busy machine, its only trial timed out at 45 s): the
    fallback fits on the search's subsample, not on every row of a larger table; on a table searched whole, on
    every row."""
    from types import SimpleNamespace

    from automl_meta import AutoMetaClassifier
    from automl_meta.search import Budget

    timed_out = Evaluation(strategy=Strategy.default("lightgbm"), metric="roc_auc", status="timeout",
                           score=float("nan"), fit_seconds=45.0)
    result, linear = SimpleNamespace(best=None, evaluations=[timed_out]), Strategy.default("linear")
    for n_rows, rows in ((500_000, 18_000), (18_000, 18_000)):
        plan = RefitPlan(n_rows=n_rows, search_rows=18_000, folds=3, budget_seconds=60)
        with pytest.warns(UserWarning, match="No trial finished"):
            chosen = AutoMetaClassifier(time_budget=60)._choose(result, plan, Budget(60), lambda: (linear, "why"))
        assert chosen[0] == linear and chosen[2] is None and chosen[3] == rows


def test_an_import_owed_is_allowed_for_until_the_library_is_in_this_process(monkeypatch):
    """torch, not yet imported here, is allowed its seconds; a library imported costs nothing more; a family
    without a library of its own neither; one a background import has started is allowed what is left of its
    seconds until that import ends (it is in sys.modules from its start)."""
    import sys
    import threading
    import time
    import types

    from automl_meta.estimator import _refit
    from automl_meta.estimator._refit import import_in_background, import_seconds

    monkeypatch.delitem(sys.modules, "torch", raising=False)
    monkeypatch.setattr(_refit, "_BACKGROUND_IMPORTS", {})
    assert import_seconds("mlp") == 4.0
    monkeypatch.setitem(sys.modules, "torch", types.ModuleType("torch"))
    assert import_seconds("mlp") == 0.0 and import_seconds("not_a_family") == 0.0
    done = threading.Event()
    _refit._BACKGROUND_IMPORTS["torch"] = (time.perf_counter() - 1.0, done)  # started a second ago, not done
    assert 2.5 < import_seconds("mlp") <= 3.0
    done.set()
    assert import_seconds("mlp") == 0.0
    import_in_background(["mlp"])  # once a process: nothing started again
    assert _refit._BACKGROUND_IMPORTS["torch"][1] is done
    import_in_background(["linear"])  # (already imported here: its thread ends at once)
    _refit._BACKGROUND_IMPORTS["sklearn.linear_model"][1].wait(10)
    assert import_seconds("linear") == 0.0
