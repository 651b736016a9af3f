"""The final model as a value (estimator/_final.py): each step after the search returns the model it chose."""

import math

import numpy as np
import pandas as pd
import pytest

from automl_meta.estimator._final import FinalModel, RefitCache, with_better_trial, with_ensemble
from automl_meta.evaluate import Evaluation
from automl_meta.models import build_model
from automl_meta.search import Budget
from automl_meta.space import Strategy


class _Plan:
    """A refit plan whose every refit is expected to take ``seconds``."""

    def __init__(self, seconds):
        self.seconds = seconds

    def expected(self, evaluation, bagged=False):
        return self.seconds

    def bags(self, evaluation, left):
        return False

    def time_selection(self, seconds, trials):
        self.timed = (seconds, trials)

    n_rows = 80

    def expected_score(self, score, family, rows):  # a table searched on every row: the score as measured
        return score


def _data(n=80, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    return X, X["a"] * 2 + rng.normal(scale=0.1, size=n)


def _cache(X, y, builds=None):
    def build(strategy, n_rows=len(X)):
        if builds is not None:
            builds.append(strategy.key)
        return build_model(strategy, "regression", n_rows=n_rows, device="cpu", random_state=0)

    return RefitCache(build, X, y, n_jobs=1)


def _ok(strategy, score):
    return Evaluation(strategy=strategy, metric="r2", status="ok", score=score, fit_seconds=0.1)


def test_rows_given_to_stop_on_are_left_out_of_a_model_that_does_not_grow():
    """The last ``held_out`` of a refit's rows are for a grown booster to stop on; a model that does not grow
    (here every model: the cache has no ``more_trees``) is fitted on the others only."""
    from sklearn.dummy import DummyRegressor
    from sklearn.pipeline import Pipeline

    X, y = _data()
    refits = RefitCache(lambda strategy, n_rows=len(X): Pipeline([("model", DummyRegressor())]), X, y, n_jobs=1)
    rows = np.arange(100)
    model, _ = refits.fit(Strategy.default("linear"), rows=rows, held_out=30)
    assert model.predict(X.iloc[:1])[0] == pytest.approx(float(np.mean(y.iloc[:70])))


def test_a_strategy_is_refitted_once_per_fit():
    X, y = _data()
    builds = []
    refits = _cache(X, y, builds)
    strategy = Strategy.default("linear")
    first, seconds = refits.fit(strategy)
    again, zero = refits.fit(strategy)
    assert again is first and seconds > 0 and zero == 0.0 and builds == [strategy.key]
    assert strategy in refits and Strategy.default("knn") not in refits


def test_a_better_trial_replaces_the_final_model_when_its_refit_fits_in_the_time_left():
    X, y = _data()
    refits = _cache(X, y)
    linear, knn = Strategy.default("linear"), Strategy.default("knn")
    final = FinalModel.single(refits.fit(linear)[0], linear, 0.80)
    evaluations = [_ok(knn, 0.90), _ok(Strategy("linear", {"reg_strength": 3.0}), 0.70)]
    chosen = with_better_trial(final, evaluations, _Plan(0.01), Budget(60), refits)
    assert (chosen.strategy, chosen.score) == (knn, 0.90) and chosen.members == ({"strategy": knn, "weight": 1.0, "score": 0.90},)
    assert chosen.estimator is refits.fit(knn)[0]
    # the original is unchanged (a value), and a refit that would not fit keeps it
    assert final.strategy == linear and with_better_trial(final, evaluations, _Plan(1e9), Budget(60), refits) is final


def test_a_failed_refit_keeps_the_model_fitted_first():
    X, y = _data()
    y_broken = y.copy()
    y_broken.iloc[3] = np.inf  # a refit on these rows fails (an infinite target)
    linear, knn = Strategy.default("linear"), Strategy.default("knn")
    final = FinalModel.single(_cache(X, y).fit(linear)[0], linear, 0.5)
    refits = _cache(X, y_broken)
    with pytest.raises(ValueError):
        refits.fit(knn)
    assert with_better_trial(final, [_ok(knn, 0.9)], _Plan(0.01), Budget(60), refits) is final


def test_no_ensemble_without_two_trials_with_predictions():
    X, y = _data()
    refits = _cache(X, y)
    linear = Strategy.default("linear")
    final = FinalModel.single(refits.fit(linear)[0], linear, 0.5)
    target = (y.to_numpy(), "r2", None, None)
    assert with_ensemble(final, [_ok(linear, 0.5)], target, _Plan(0.01), None, refits) is final


def test_an_ensemble_that_scores_better_becomes_the_final_model():
    X, y = _data()
    refits = _cache(X, y)
    rng = np.random.default_rng(1)
    truth = y.to_numpy()
    # two trials whose errors cancel: their average is better than either
    noise = rng.normal(scale=1.0, size=len(truth))
    a, b = Strategy.default("linear"), Strategy.default("knn")
    ea, eb = _ok(a, math.nan), _ok(b, math.nan)
    ea.predictions, eb.predictions = (truth + noise).astype(np.float32), (truth - noise).astype(np.float32)
    from sklearn.metrics import r2_score

    ea.score, eb.score = r2_score(truth, ea.predictions), r2_score(truth, eb.predictions)
    final = FinalModel.single(refits.fit(a)[0], a, ea.score)
    plan = _Plan(0.01)
    chosen = with_ensemble(final, [ea, eb], (truth, "r2", None, None), plan, None, refits)
    assert plan.timed[0] >= 0 and plan.timed[1] == 2  # the selection's seconds, among two trials, for a top-up
    assert chosen.score > max(ea.score, eb.score) and chosen.strategy == a
    assert sorted(m["strategy"].family for m in chosen.members) == ["knn", "linear"]
    assert sum(m["weight"] for m in chosen.members) == pytest.approx(1.0)
    assert len(chosen.estimator.models) == 2 and any(m is refits.fit(a)[0] for m in chosen.estimator.models)


def test_a_better_trial_is_refitted_only_when_what_must_follow_it_fits_too():
    """``keep``: seconds a top-up keeps free after a refit (measuring the new model's costs): a refit that fits in
    the time left but not with them is not made."""
    X, y = _data()
    refits = _cache(X, y)
    linear, knn = Strategy.default("linear"), Strategy.default("knn")
    final = FinalModel.single(refits.fit(linear)[0], linear, 0.80)
    budget = Budget(60)
    assert with_better_trial(final, [_ok(knn, 0.9)], _Plan(10.0), budget, refits, keep=budget.left() - 5) is final
    assert with_better_trial(final, [_ok(knn, 0.9)], _Plan(10.0), budget, refits, keep=1.0).strategy == knn


class _StackPlan(_Plan):
    """A refit plan that remembers the stacking steps timed, and expects each to take ``stacking`` seconds."""

    def __init__(self, seconds, stacking=0.0):
        super().__init__(seconds)
        self.stacking, self.stacks = stacking, []

    def time_stacking(self, seconds, members):
        self.stacks.append((seconds, members))

    def stacking_seconds(self, members):
        return self.stacking


def _two_noisy_trials(y):
    rng = np.random.default_rng(1)
    truth = y.to_numpy()
    noise = rng.normal(scale=1.0, size=len(truth))
    a, b = Strategy.default("linear"), Strategy.default("knn")
    ea, eb = _ok(a, 0.5), _ok(b, 0.5)
    ea.predictions, eb.predictions = (truth + noise).astype(np.float32), (truth - noise).astype(np.float32)
    return ea, eb


def test_a_stacking_step_is_timed_and_not_tried_when_its_time_would_not_fit():
    from automl_meta.estimator._final import with_stack

    X, y = _data()
    refits = _cache(X, y)
    evaluations = _two_noisy_trials(y)
    final = FinalModel.single(refits.fit(evaluations[0].strategy)[0], evaluations[0].strategy, 0.5)
    target = (y.to_numpy(), "r2", None, [np.arange(i, len(y), 4) for i in range(4)])
    plan = _StackPlan(0.01)
    with_stack(final, evaluations, target, plan, Budget(60), refits)
    assert len(plan.stacks) == 1 and plan.stacks[0][0] > 0 and plan.stacks[0][1] == 2  # its seconds, over 2 members
    slow = _StackPlan(0.01, stacking=50.0)  # 50 s expected: 60 s left, 20 of them kept free
    assert with_stack(final, evaluations, target, slow, Budget(60), refits, keep=20.0) is final and slow.stacks == []
