"""A booster refitted on many more rows than its trees were searched on: more trees, stopped on held-out rows.

A booster's ``n_estimators`` is searched with its learning rate on the folds of a subsample; refitted on many
times those rows, the same learning rate supports more trees before it overfits. How many cannot be read off
the subsample, so the refit grows trees beyond the searched ones while its metric on rows it holds out improves,
as LightGBM's and XGBoost's early stopping do (AutoGluon fits its boosters this way).
"""

from __future__ import annotations

import logging
import time

import numpy as np
from sklearn.base import BaseEstimator, clone, is_classifier
from sklearn.utils.validation import check_is_fitted

# LightGBM's and XGBoost's names of the metric a refit stops on (see ``stop_metric``)
_METRICS = {"lightgbm": {"auc": "auc", "logloss": None, "l2": "l2"},
            "xgboost": {"auc": "auc", "logloss": None, "l2": "rmse"}}
# fewer held-out rows than this, or a class missing from them: the booster is fitted as searched
_MIN_VALIDATION_ROWS = 500

log = logging.getLogger(__name__)


def stop_metric(kind: str, metric: str) -> str:
    """What a refit stops on: ROC AUC where the task is scored by it (log loss, the boosters' default for a
    classifier, stopped a LightGBM at 126 trees and a test ROC AUC of 0.967 where ROC AUC went on to 947 trees
    and 0.977), else the log loss of a classifier or the squared error of a regressor."""
    if kind == "regression":
        return "l2"
    return "auc" if kind == "binary" and metric == "roc_auc" else "logloss"


def _library(estimator) -> str:
    module = type(estimator).__module__
    return "lightgbm" if module.startswith("lightgbm") else "xgboost"


def _booster(step):
    """The LightGBM or XGBoost model of a pipeline's last step (XGBoost's inside ``LabelEncodedClassifier``)."""
    return getattr(step, "estimator", step)


def _rows(X, positions):
    return X.iloc[positions] if hasattr(X, "iloc") else X[positions]


class HeldOutStopping(BaseEstimator):
    """A LightGBM or XGBoost model of its searched trees and up to ``max_trees``: beyond the searched ones it grows
    while its metric on held-out rows improved within ``patience`` trees (and ``max_seconds`` have not passed),
    and predicts with its best count from the searched trees on.

    Parameters
    ----------
    estimator : LightGBM or XGBoost scikit-learn model (a classifier may be wrapped in ``LabelEncodedClassifier``)
        The booster as searched; its ``n_estimators`` is replaced by ``max_trees``.
    max_trees : int, default=2000
    metric : {"auc", "logloss", "l2"}, default="logloss"
        What the held-out rows score (``stop_metric``).
    validation_fraction : float, default=0.1
        Share of the rows held out (stratified for a classifier), at most ``max_validation_rows``.
    max_validation_rows : int, default=20000
    held_out_rows : int, optional
        The last ``held_out_rows`` rows of ``X`` are the held-out ones, instead of a share drawn from every row:
        rows from outside a refit's subsample, given with it, so that the refit fits on every row it planned
        (:func:`with_more_trees`). When they do not hold every class, the booster is fitted as searched on every
        row.
    patience : int, default=50
    max_seconds : float, optional
        No tree beyond the searched ``n_estimators`` is started after this many seconds of training, less
        ``keep_seconds`` (a budgeted refit: the best count so far stands).
    keep_seconds : float, default=0.0
        Of ``max_seconds``, what growth leaves to what follows the refit in a budgeted fit (an ensemble's
        members, the leaderboard's costs).
    random_state : int, default=0

    Attributes
    ----------
    estimator_ : the fitted booster (a classifier fitted on the codes of ``classes_``).
    classes_ : ndarray, classifiers only.
    n_trees_ : int
        The trees it predicts with (at least the searched ``n_estimators``).
    grown_seconds_ : float
        Seconds its trees beyond the searched ones took (0 when none were grown): what the fit cost less them is
        what a fit as searched costs (``grown_seconds``).
    """

    held_out_rows = None  # what a model pickled before the parameter existed reads (get_params, repr)

    def __init__(self, estimator=None, max_trees=2000, metric="logloss", validation_fraction=0.1,
                 max_validation_rows=20000, held_out_rows=None, patience=50, max_seconds=None, keep_seconds=0.0,
                 random_state=0):
        self.estimator = estimator
        self.max_trees = max_trees
        self.metric = metric
        self.validation_fraction = validation_fraction
        self.max_validation_rows = max_validation_rows
        self.held_out_rows = held_out_rows
        self.patience = patience
        self.max_seconds = max_seconds
        self.keep_seconds = keep_seconds
        self.random_state = random_state

    def __sklearn_tags__(self):
        from sklearn.utils import get_tags

        return get_tags(self.estimator)

    def fit(self, X, y, sample_weight=None):
        y = np.asarray(y)
        booster = clone(_booster(self.estimator))
        target = y
        if is_classifier(self.estimator):
            self.classes_, target = np.unique(y, return_inverse=True)
        fit_rows, held_out = self._split(target)
        weights = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
        if held_out is None:  # too few rows to stop on: the booster as searched, on every row
            self.estimator_ = booster.fit(X, target, **({} if weights is None else {"sample_weight": weights}))
            self.n_trees_ = booster.get_params()["n_estimators"]
            self.grown_seconds_ = 0.0
            return self
        fit_weights = {} if weights is None else {"sample_weight": weights[fit_rows]}
        data = (_rows(X, fit_rows), target[fit_rows], _rows(X, held_out), target[held_out])
        fit = self._fit_lightgbm if _library(booster) == "lightgbm" else self._fit_xgboost
        began = time.perf_counter()
        growth = self._rule(booster)
        self.estimator_, self.n_trees_ = fit(booster, data, fit_weights, growth)
        self.grown_seconds_ = growth.seconds_beyond_searched()
        log.info("%s grown to %d trees (at most %d) on %d rows in %.1f s (%.1f s beyond the searched trees), stopped "
                 "on %d held-out rows by %s", type(booster).__name__, self.n_trees_, self.max_trees, len(fit_rows),
                 time.perf_counter() - began, self.grown_seconds_, len(held_out), self.metric)
        return self

    def _split(self, target):
        """Positions of the rows fitted on and of the rows held out (None when too few can be held out)."""
        from sklearn.model_selection import train_test_split

        if self.held_out_rows:  # given from outside the rows to fit on: the last ones
            fit_rows = np.arange(len(target) - self.held_out_rows)
            held_out = np.arange(len(target) - self.held_out_rows, len(target))
            if is_classifier(self.estimator) and not all(len(np.unique(target[r])) == len(self.classes_)
                                                         for r in (fit_rows, held_out)):
                return np.arange(len(target)), None
            return fit_rows, held_out
        n_held_out = min(self.max_validation_rows, int(len(target) * self.validation_fraction))
        if n_held_out < _MIN_VALIDATION_ROWS:
            return np.arange(len(target)), None
        stratify = None
        if is_classifier(self.estimator):
            counts = np.bincount(target)
            if counts.min() < 2:
                return np.arange(len(target)), None
            stratify = target
        fit_rows, held_out = train_test_split(np.arange(len(target)), test_size=n_held_out, stratify=stratify,
                                              random_state=self.random_state)
        if stratify is not None and len(np.unique(target[held_out])) < len(self.classes_):
            return np.arange(len(target)), None
        return fit_rows, held_out

    def _rule(self, booster) -> _Growth:
        """When this fit's growth stops: its searched trees first, then the held-out metric or the deadline."""
        seconds = None if self.max_seconds is None else max(float(self.max_seconds) - self.keep_seconds, 0.0)
        deadline = np.inf if seconds is None else time.perf_counter() + seconds
        return _Growth(min(int(booster.get_params()["n_estimators"]), self.max_trees), self.patience, deadline)

    def _fit_lightgbm(self, booster, data, weights, growth):
        import inspect

        X_fit, y_fit, X_held, y_held = data
        metric = _METRICS["lightgbm"][self.metric]
        booster.set_params(n_estimators=self.max_trees, **({"metric": metric} if metric else {}))
        # LightGBM 4.7 takes the held-out rows as eval_X/eval_y and deprecates eval_set; earlier 4.x only eval_set
        held = ({"eval_X": (X_held,), "eval_y": (y_held,)} if "eval_X" in inspect.signature(booster.fit).parameters
                else {"eval_set": [(X_held, y_held)]})
        booster.fit(X_fit, y_fit, callbacks=[_lightgbm_callback(growth)], **held, **weights)
        return booster, int(booster.best_iteration_)

    def _fit_xgboost(self, booster, data, weights, growth):
        X_fit, y_fit, X_held, y_held = data
        metric = _METRICS["xgboost"][self.metric]
        booster.set_params(n_estimators=self.max_trees, callbacks=[_xgboost_callback(growth)],
                           **({"eval_metric": metric} if metric else {}))
        booster.fit(X_fit, y_fit, eval_set=[(X_held, y_held)], verbose=False, **weights)
        booster.set_params(callbacks=None)  # a fitted model keeps no training hook
        return booster, growth.best + 1

    def predict_proba(self, X):
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict_proba(X)

    def predict(self, X):
        check_is_fitted(self, "estimator_")
        if hasattr(self, "classes_"):
            return self.classes_[np.argmax(self.estimator_.predict_proba(X), axis=1)]
        return self.estimator_.predict(X)

    def score(self, X, y, sample_weight=None):
        """Accuracy of a classifier, R² of a regressor (as the booster it wraps scores)."""
        from sklearn.metrics import accuracy_score, r2_score

        score = accuracy_score if hasattr(self, "classes_") else r2_score
        return score(y, self.predict(X), sample_weight=sample_weight)


class _Growth:
    """One rule for both libraries: the ``searched`` trees are always grown (the refit was planned for them, and
    the model is never less than the one searched: stopped below them, a booster whose held-out ROC AUC reached
    1.0 after one tree kept that tree, and its probabilities of about 0.5 scored an accuracy of 0.57); beyond
    them a tree is added while the held-out metric improved within ``patience`` trees and ``deadline`` has not
    passed. ``best``: the 0-based iteration predicted with, the best from the searched trees on."""

    def __init__(self, searched: int, patience: int, deadline: float):
        self.searched, self.patience, self.deadline = max(searched, 1), patience, deadline
        self.best, self._best_value = self.searched - 1, -np.inf
        self._searched_at = self._last_at = None  # perf_counter when the searched trees, and the last, were done

    def stop(self, iteration: int, value: float, higher_is_better: bool) -> bool:
        """After tree ``iteration`` (0-based) scored ``value`` on the held-out rows: whether to stop."""
        if iteration + 1 < self.searched:
            return False
        self._last_at = time.perf_counter()
        if iteration + 1 == self.searched:
            self._searched_at = self._last_at
        signed = value if higher_is_better else -value
        if signed > self._best_value:
            self.best, self._best_value = iteration, signed
        return iteration - self.best >= self.patience or self._last_at >= self.deadline

    def seconds_beyond_searched(self) -> float:
        """Seconds the trees after the searched ones took."""
        return 0.0 if self._searched_at is None else self._last_at - self._searched_at


def _lightgbm_callback(growth: _Growth):
    """``growth`` as a LightGBM callback on the first held-out metric; the model predicts with ``growth.best``."""

    def callback(env) -> None:
        from lightgbm.callback import EarlyStopException

        _, _, value, higher_is_better = env.evaluation_result_list[0][:4]
        if growth.stop(env.iteration, value, higher_is_better) or env.iteration + 1 >= env.end_iteration:
            raise EarlyStopException(growth.best, env.evaluation_result_list)

    callback.order = 30  # after LightGBM's own evaluation callbacks
    return callback


def _xgboost_callback(growth: _Growth):
    """``growth`` as an XGBoost callback on its last held-out metric; the model predicts with ``growth.best``."""
    import xgboost

    class Growth(xgboost.callback.TrainingCallback):
        def after_iteration(self, model, epoch, evals_log) -> bool:
            name, values = list(evals_log["validation_0"].items())[-1]
            return growth.stop(epoch, values[-1], name in ("auc", "aucpr", "map", "ndcg"))

        def after_training(self, model):
            model.set_attr(best_iteration=str(growth.best))  # what the scikit-learn model predicts with
            return model

    return Growth()


def grown_seconds(model) -> float:
    """Seconds a fitted :func:`with_more_trees` pipeline spent on trees beyond its searched ones (0 for any other
    model): its fit's seconds less these are those of a fit as searched."""
    steps = getattr(model, "steps", None)
    return getattr(steps[-1][1], "grown_seconds_", 0.0) if steps else 0.0


def with_trees(model, trees: int):
    """``model`` (a :func:`build_model` pipeline of a LightGBM or XGBoost strategy, unfitted) with ``trees`` trees
    instead of its searched ``n_estimators`` (a probe of its cost on a share of them)."""
    _booster(model.steps[-1][1]).set_params(n_estimators=trees)
    return model


def with_leaves(model, leaves: int | None):
    """``model`` (a :func:`build_model` pipeline of a LightGBM strategy, unfitted, before :func:`with_more_trees`)
    whose trees have ``leaves`` leaves instead of its searched ``num_leaves``, and as many fewer trees as keep their
    leaves in all (at least one): the trees a grown refit always fits (``HeldOutStopping``) cost no more than the
    searched ones, which a larger tree's do (a LightGBM tree of 127 leaves took 1.7 times one of 60, of 255 2.3
    times), so a refit sized for the searched trees holds its budget. Unchanged when ``leaves`` is None."""
    if leaves is None:
        return model
    booster = _booster(model.steps[-1][1])
    searched = booster.get_params()
    trees = max(1, round(int(searched["n_estimators"]) * int(searched["num_leaves"]) / int(leaves)))
    booster.set_params(num_leaves=int(leaves), n_estimators=trees)
    return model


def scores_by_trees(model, X, y, metric: str, trees) -> list[float] | None:
    """The metric (``stop_metric``'s; signed, higher is better) on (X, y) of a fitted :func:`build_model` pipeline
    of a LightGBM strategy predicting with its first ``t`` trees, for each ``t`` of ``trees``; None where the
    rows hold a class its booster never saw. Why: a probe's few trees scored so tell a booster still gaining at
    its last tree (one whose refit ends at its deadline) from one already past its best (one that fits noise)."""
    from sklearn.metrics import log_loss, roc_auc_score

    booster = _booster(model.steps[-1][1])
    encoded = model[:-1].transform(X)
    y = np.asarray(y)
    if not is_classifier(booster):
        return [-float(np.mean((y - booster.predict(encoded, num_iteration=t)) ** 2)) for t in trees]
    if not np.isin(y, booster.classes_).all():
        return None
    codes = np.searchsorted(booster.classes_, y)  # (a LightGBM's classes_ are sorted)
    scores = []
    for t in trees:
        proba = booster.predict_proba(encoded, num_iteration=t)
        if metric == "auc":
            scores.append(float(roc_auc_score(codes, proba[:, 1])))
        else:
            scores.append(-float(log_loss(codes, proba, labels=np.arange(len(booster.classes_)))))
    return scores


def with_more_trees(model, max_trees: int | None, metric: str, random_state=0, keep_seconds: float = 0.0,
                    held_out_rows: int | None = None):
    """``model`` (a :func:`build_model` pipeline of a LightGBM or XGBoost strategy) whose booster grows to at most
    ``max_trees`` trees, stopped on held-out rows (the last ``held_out_rows`` of those it is fitted on, when given)
    by ``metric`` and ``keep_seconds`` before its time limit (:class:`HeldOutStopping`); unchanged when
    ``max_trees`` is None."""
    if max_trees is None:
        return model
    name, booster = model.steps[-1]
    model.steps[-1] = (name, HeldOutStopping(booster, max_trees=max_trees, metric=metric, keep_seconds=keep_seconds,
                                             held_out_rows=held_out_rows, random_state=random_state))
    return model


def stops_on_held_out(model) -> bool:
    """Whether ``model`` (a :func:`build_model` pipeline) grows its booster stopped on held-out rows
    (:func:`with_more_trees`)."""
    steps = getattr(model, "steps", None)
    return bool(steps) and isinstance(steps[-1][1], HeldOutStopping)
