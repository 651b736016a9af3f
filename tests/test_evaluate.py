"""Scoring a strategy: cross-validation, and every way a model can fail recorded as a failure."""

import math

import numpy as np
import pytest

from automl_meta.data import Task
from automl_meta.errors import ConfigError
from automl_meta.evaluate import Evaluation, Evaluator, evaluate
from automl_meta.evaluate._result import ERROR, NAN, OK, TIMEOUT
from automl_meta.models import _build
from automl_meta.space import Strategy
from helpers import NaNPredictor, Raises, Slow


def test_ok_evaluation(tasks_by_kind):
    task = tasks_by_kind["binary"]
    ev = evaluate(Strategy.default("linear"), task, cv=3)
    assert ev.status == OK and ev.metric == "roc_auc" and len(ev.fold_scores) == 3
    assert ev.score == pytest.approx(np.mean(ev.fold_scores)) and 0.5 < ev.score <= 1
    assert ev.fit_seconds > 0 and ev.n_rows == task.n_rows and ev.error is None


def test_same_seed_same_folds(tasks_by_kind):
    a = evaluate(Strategy.default("extra_trees"), tasks_by_kind["regression"], cv=3, random_state=5)
    b = evaluate(Strategy.default("extra_trees"), tasks_by_kind["regression"], cv=3, random_state=5)
    assert a.fold_scores == b.fold_scores


def test_row_cap_subsamples(tasks_by_kind):
    ev = evaluate(Strategy.default("linear"), tasks_by_kind["multiclass"], cv=3, max_rows=60)
    assert ev.status == OK and ev.n_rows <= 62


def test_exception_is_a_recorded_error(tasks_by_kind, monkeypatch):
    monkeypatch.setitem(_build._MAKERS, "knn", lambda *a: Raises())
    ev = evaluate(Strategy.default("knn"), tasks_by_kind["binary"], cv=3)
    assert ev.status == ERROR and not ev.ok and math.isnan(ev.score)
    assert ev.error.startswith("RuntimeError: this model always fails")


def test_nan_score_is_a_recorded_failure(tasks_by_kind, monkeypatch):
    monkeypatch.setitem(_build._MAKERS, "linear", lambda *a: NaNPredictor())
    ev = evaluate(Strategy.default("linear"), tasks_by_kind["regression"], cv=3)
    assert ev.status == NAN and math.isnan(ev.score) and "predicted non-finite values on fold 1" in ev.error


def test_isolated_time_limit_ends_the_evaluation(tasks_by_kind):
    slow = Strategy("random_forest", {"n_estimators": 512, "min_samples_leaf": 1, "max_features": 1.0})
    with Evaluator(cv=5) as ev:
        result = ev(slow, tasks_by_kind["regression"], time_limit=0.05)
        assert result.status == TIMEOUT and "time limit" in result.error
        # the worker was ended and is replaced: the next evaluation works
        after = ev(Strategy.default("linear"), tasks_by_kind["regression"])
        assert after.status == OK


def test_a_worker_imports_torch_for_its_first_mlp_evaluation_and_says_what_that_costs(tasks_by_kind):
    """A worker does not import torch while other families' first trials run (a thread importing it beside them
    slowed them as much as the import took); its first MLP evaluation imports it, and until then the worker counts
    the seconds owed (about its start-up); a new process owes them again."""
    import sys
    from pathlib import Path

    from automl_meta.evaluate._worker import EvaluationWorker

    task = tasks_by_kind["binary"]

    def torch_loaded(worker) -> bool:
        return "libtorch" in Path(f"/proc/{worker._proc.pid}/maps").read_text()

    worker = EvaluationWorker()
    try:
        assert worker.import_seconds("mlp", 5.0) == 5.0  # no process yet: the guess
        worker.prepare(task)
        assert worker.import_seconds("mlp", 5.0) == worker.startup_seconds > 0
        assert worker.import_seconds("linear", 5.0) == 0.0
        assert worker.evaluate(Strategy.default("linear"), task, None, cv=3).status == OK
        assert worker.import_seconds("mlp", 5.0) == worker.startup_seconds
        on_linux = sys.platform.startswith("linux")
        assert not (on_linux and torch_loaded(worker))
        assert worker.evaluate(Strategy.default("mlp"), task, None, cv=3).status == OK
        assert worker.import_seconds("mlp", 5.0) == 0.0
        assert torch_loaded(worker) or not on_linux
        worker.kill()
        worker.spawn()
        assert worker.import_seconds("mlp", 5.0) > 0
    finally:
        worker.close()


def test_isolated_results_match_in_process(tasks_by_kind):
    task = tasks_by_kind["multiclass"]
    with Evaluator(cv=3) as ev:
        isolated = ev(Strategy.default("hist_gb"), task)
    assert isolated.fold_scores == evaluate(Strategy.default("hist_gb"), task, cv=3).fold_scores


def test_in_process_time_limit_is_checked_between_folds(tasks_by_kind, monkeypatch):
    monkeypatch.setitem(_build._MAKERS, "knn", lambda *a: Slow())
    ev = evaluate(Strategy.default("knn"), tasks_by_kind["regression"], cv=5, time_limit=0.1)
    assert ev.status == TIMEOUT and "after 1 of 5 folds" in ev.error


@pytest.mark.parametrize("kwargs, message", [({"time_limit": 0}, "time_limit must be a positive"), ({"cv": 1}, "cv must be an integer")])
def test_bad_configuration(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        Evaluator(**kwargs)


def test_a_crashed_worker_is_a_recorded_error_and_is_replaced(tasks_by_kind):
    import signal
    import threading

    slow = Strategy("random_forest", {"n_estimators": 512, "max_features": 1.0})
    with Evaluator(cv=5) as ev:
        ev.prepare(tasks_by_kind["regression"])
        pid = ev._pool[0]._proc.pid
        killer = threading.Timer(0.5, lambda: __import__("os").kill(pid, signal.SIGKILL))
        killer.start()
        result = ev(slow, tasks_by_kind["regression"])
        killer.join()
        assert result.status == ERROR and "the evaluation process died (exit code -9)" in result.error
        assert ev(Strategy.default("linear"), tasks_by_kind["regression"]).status == OK


@pytest.mark.parametrize("target", ["y_binary", "y_multi", "y_reg"])
def test_kept_out_of_fold_predictions_give_the_same_scores(mixed_frame, target):
    from automl_meta.evaluate import cross_validate, score_predictions, test_folds

    X = mixed_frame.drop(columns=["y_binary", "y_multi", "y_reg"])
    task = Task(X, mixed_frame[target], cv=3)
    for family in ("knn", "extra_trees"):
        plain = cross_validate(Strategy.default(family), task, cv=3)
        kept = cross_validate(Strategy.default(family), task, cv=3, keep_predictions=True)
        assert plain.predictions is None and kept.score == pytest.approx(plain.score)
        classes = None if task.classes is None else list(task.classes)
        assert kept.predictions.shape == ((len(X),) if classes is None else (len(X), len(classes)))
        folds = test_folds(task, 3, 0)
        again = np.mean([score_predictions(task.metric, task.y.to_numpy()[f], kept.predictions[f], classes) for f in folds])
        assert again == pytest.approx(plain.score)


def test_score_predictions_equals_scikit_learns_scorers():
    from sklearn.metrics import get_scorer

    from automl_meta.evaluate import score_predictions
    from automl_meta.evaluate._predictions import _GivenProbabilities, _GivenValues

    rng = np.random.default_rng(0)
    for k, metrics in [(2, ["roc_auc", "accuracy", "neg_log_loss"]), (4, ["roc_auc_ovr", "accuracy"]),
                       (None, ["r2", "neg_mean_squared_error", "neg_root_mean_squared_error", "neg_mean_absolute_error"])]:
        y = rng.choice(list("abcd")[:k], 200) if k else rng.normal(size=200)
        p = np.round(rng.random((200, k)), 1) + 0.01 if k else np.round(rng.normal(size=200), 1)  # ties on purpose
        p = p / p.sum(axis=1, keepdims=True) if k else p
        classes = sorted(set(y)) if k else None
        for metric in metrics:
            stand_in = _GivenProbabilities(p, classes) if k else _GivenValues(p)
            expected = get_scorer(metric)(stand_in, np.zeros((200, 1)), y)
            assert score_predictions(metric, y, p, classes) == pytest.approx(expected, abs=1e-12), metric


def test_several_workers_evaluate_at_once_each_in_its_own_process(tasks_by_kind):
    import threading

    task = tasks_by_kind["binary"]
    results, pids = [], set()
    with Evaluator(cv=3, workers=2) as ev:
        ev.prepare(task)
        assert len(ev._pool) == 2 and ev.startup_cost() == 0.0
        pids = {w._proc.pid for w in ev._pool}

        def run(family):
            results.append(ev(Strategy.default(family), task))

        threads = [threading.Thread(target=run, args=(f,)) for f in ("linear", "knn", "extra_trees", "linear")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(results) == 4 and all(r.ok for r in results)
        assert {w._proc.pid for w in ev._pool} == pids and len(ev._pool) == 2  # reused, never more than 2
    with pytest.raises(ConfigError, match="workers must be a positive integer"):
        Evaluator(workers=0)


def test_best_per_strategy_orders_strategies_by_their_best_evaluation():
    from automl_meta.evaluate import best_per_strategy

    a, b = Strategy.default("linear"), Strategy.default("knn")
    evals = [Evaluation(a, "r2", OK, score=0.7), Evaluation(b, "r2", OK, score=0.8), Evaluation(a, "r2", OK, score=0.9),
             Evaluation(b, "r2", ERROR)]
    assert [(e.strategy, e.score) for e in best_per_strategy(evals)] == [(a, 0.9), (b, 0.8)]


def test_the_portable_channel_evaluates_times_out_and_restarts_without_posix_calls(tasks_by_kind, monkeypatch):
    """The worker's channel where processes cannot inherit pipes (Windows), forced here: a listener the child
    opens, authenticated by a key; evaluations, a time-out that ends the worker, and its replacement work as
    with pipes, and nothing asks for pass_fds."""
    import subprocess

    from automl_meta.evaluate import _worker

    monkeypatch.setattr(_worker, "PORTABLE_CHANNEL", True)
    popen = subprocess.Popen

    def without_inherited_pipes(*args, **kwargs):
        assert not kwargs.get("pass_fds"), "pass_fds is POSIX-only"
        return popen(*args, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", without_inherited_pipes)
    task = tasks_by_kind["regression"]
    slow = Strategy("random_forest", {"n_estimators": 512, "min_samples_leaf": 1, "max_features": 1.0})
    with Evaluator(cv=3) as ev:
        first = ev(Strategy.default("linear"), task)
        stopped = ev(slow, task, time_limit=0.05)
        after = ev(Strategy.default("knn"), task)
    assert first.status == OK and stopped.status == TIMEOUT and after.status == OK
    assert first.fold_scores == evaluate(Strategy.default("linear"), task, cv=3).fold_scores


def test_the_fast_scores_equal_scikit_learns_with_sample_weights_and_ties():
    from sklearn.metrics import accuracy_score, r2_score, roc_auc_score

    from automl_meta.evaluate import score_predictions

    rng = np.random.RandomState(0)
    n, weights = 200, rng.rand(200) * 3
    y, classes = rng.choice(["a", "b", "c"], n), ["a", "b", "c"]
    proba = np.round(rng.dirichlet([1, 1, 1], size=n), 2)
    proba /= proba.sum(axis=1, keepdims=True)  # ties in the scores
    assert np.isclose(score_predictions("roc_auc_ovr", y, proba, classes, weights),
                      roc_auc_score(y, proba, multi_class="ovr", labels=classes, sample_weight=weights))
    binary, positive = rng.choice([0, 1], n), rng.rand(n).round(2)
    assert np.isclose(score_predictions("roc_auc", binary, np.c_[1 - positive, positive], [0, 1], weights),
                      roc_auc_score(binary, positive, sample_weight=weights))
    assert np.isclose(score_predictions("accuracy", binary, np.c_[1 - positive, positive], [0, 1], weights),
                      accuracy_score(binary, (positive > 0.5).astype(int), sample_weight=weights))
    values, predicted = rng.randn(n), rng.randn(n)
    assert np.isclose(score_predictions("r2", values, predicted, None, weights),
                      r2_score(values, predicted, sample_weight=weights))


def test_roc_auc_over_several_classes_averages_the_classes_a_fold_has():
    """A fold of a rare class may lack it: scikit-learn raises; the score is the classes present's mean."""
    from sklearn.metrics import roc_auc_score

    from automl_meta.evaluate import score_predictions

    rng = np.random.RandomState(1)
    y, proba = np.array(["a", "b"] * 20), rng.dirichlet([1, 1, 1], size=40)
    expected = np.mean([roc_auc_score(y == c, proba[:, j]) for j, c in enumerate("ab")])
    assert np.isclose(score_predictions("roc_auc_ovr", y, proba, ["a", "b", "c"]), expected)


@pytest.mark.parametrize("keep_predictions", [False, True])
def test_a_fold_that_lacks_a_rare_class_is_scored_on_the_classes_it_has(keep_predictions):
    """3 rows of a class and 5 folds: two folds lack it, where scikit-learn's multiclass ROC AUC raises (every
    trial of a budgeted fit of a 16-class table failed so)."""
    import warnings

    import pandas as pd

    from automl_meta.evaluate import cross_validate
    from automl_meta.space import Strategy

    rng = np.random.RandomState(0)
    y = np.r_[np.repeat(["a", "b"], 60), ["c"] * 3]
    X = pd.DataFrame(rng.randn(len(y), 3) + (y == "b")[:, None], columns=["x0", "x1", "x2"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn: the least populated class has 3 members
        task = Task(X, y, cv=3)
        result = cross_validate(Strategy.default("linear"), task, cv=5, keep_predictions=keep_predictions)
    assert result.ok, result.error
    assert len(result.fold_scores) == 5 and 0.5 < result.score <= 1.0
