"""A booster refitted on many more rows than its trees were searched on: more trees, stopped on held-out rows.

A booster's ``n_estimators`` is searched with its learning rate on the folds of a subsample; refitted on many
times those rows, the same learning rate supports more trees before it overfits, and sometimes fewer (leaves of
a few rows overfit sooner on many rows). Neither can be read off the subsample, so the refit finds its count on
rows it holds out, as LightGBM's and XGBoost's early stopping do (AutoGluon fits its boosters this way).
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


def _rows(X, positions):
    return X.iloc[positions] if hasattr(X, "iloc") else X[positions]


class HeldOutStopping(BaseEstimator):
    """A LightGBM or XGBoost model of at most ``max_trees`` trees, stopped when its metric on held-out rows has
    not improved for ``patience`` trees (or when ``max_seconds`` have passed), predicting with its best count.

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
    patience : int, default=50
    max_seconds : float, optional
        No tree beyond the searched ``n_estimators`` is started after this many seconds of training (a budgeted
        refit: the best count so far stands). The searched trees are always grown, as before trees could grow: the
        refit was planned for them, and a refit cut short of them was seen to end a 30 s fit with 4 trees.
    random_state : int, default=0

    Attributes
    ----------
    estimator_ : the fitted booster (a classifier fitted on the codes of ``classes_``).
    classes_ : ndarray, classifiers only.
    n_trees_ : int
        The trees it predicts with.
    """

    def __init__(self, estimator=None, max_trees=2000, metric="logloss", validation_fraction=0.1,
                 max_validation_rows=20000, patience=50, max_seconds=None, random_state=0):
        self.estimator = estimator
        self.max_trees = max_trees
        self.metric = metric
        self.validation_fraction = validation_fraction
        self.max_validation_rows = max_validation_rows
        self.patience = patience
        self.max_seconds = max_seconds
        self.random_state = random_state

    def __sklearn_tags__(self):
        from sklearn.utils import get_tags

        return get_tags(self.estimator)

    def fit(self, X, y, sample_weight=None):
        y = np.asarray(y)
        booster = clone(getattr(self.estimator, "estimator", self.estimator))  # LabelEncodedClassifier's XGBoost
        target = y
        if is_classifier(self.estimator):
            self.classes_, target = np.unique(y, return_inverse=True)
        fit_rows, held_out = self._split(target)
        weights = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
        if held_out is None:  # too few rows to stop on: the booster as searched, on every row
            self.estimator_ = booster.fit(X, target, **({} if weights is None else {"sample_weight": weights}))
            self.n_trees_ = booster.get_params()["n_estimators"]
            return self
        fit_weights = {} if weights is None else {"sample_weight": weights[fit_rows]}
        data = (_rows(X, fit_rows), target[fit_rows], _rows(X, held_out), target[held_out])
        fit = self._fit_lightgbm if _library(booster) == "lightgbm" else self._fit_xgboost
        began = time.perf_counter()
        self.estimator_, self.n_trees_ = fit(booster, data, fit_weights)
        log.info("%s grown to %d trees (at most %d) on %d rows in %.1f s, stopped on %d held-out rows by %s",
                 type(booster).__name__, self.n_trees_, self.max_trees, len(fit_rows), time.perf_counter() - began,
                 len(held_out), self.metric)
        return self

    def _split(self, target):
        """Positions of the rows fitted on and of the rows held out (None when too few can be held out)."""
        from sklearn.model_selection import train_test_split

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

    def _deadline(self, booster) -> tuple[int, float]:
        """The trees always grown (the searched ones), and when no more are started."""
        deadline = np.inf if self.max_seconds is None else time.perf_counter() + max(float(self.max_seconds), 0.0)
        return int(booster.get_params()["n_estimators"]), deadline

    def _fit_lightgbm(self, booster, data, weights):
        X_fit, y_fit, X_held, y_held = data
        metric = _METRICS["lightgbm"][self.metric]
        stopper = _LightGBMStopper(self.patience, *self._deadline(booster))
        booster.set_params(n_estimators=self.max_trees, **({"metric": metric} if metric else {}))
        import inspect

        # LightGBM 4.7 takes the held-out rows as eval_X/eval_y and deprecates eval_set; earlier 4.x only eval_set
        held = ({"eval_X": (X_held,), "eval_y": (y_held,)} if "eval_X" in inspect.signature(booster.fit).parameters
                else {"eval_set": [(X_held, y_held)]})
        booster.fit(X_fit, y_fit, callbacks=[stopper], **held, **weights)
        return booster, int(booster.best_iteration_ or self.max_trees)

    def _fit_xgboost(self, booster, data, weights):
        X_fit, y_fit, X_held, y_held = data
        metric = _METRICS["xgboost"][self.metric]
        deadline = _xgboost_deadline(*self._deadline(booster))
        booster.set_params(n_estimators=self.max_trees, early_stopping_rounds=self.patience, callbacks=[deadline],
                           **({"eval_metric": metric} if metric else {}))
        booster.fit(X_fit, y_fit, eval_set=[(X_held, y_held)], verbose=False, **weights)
        booster.set_params(callbacks=None, early_stopping_rounds=None)  # a fitted model keeps no training hooks
        best = booster.get_booster().attr("best_iteration")  # none when the deadline came before the first check
        return booster, int(best) + 1 if best is not None else booster.get_booster().num_boosted_rounds()

    def predict_proba(self, X):
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict_proba(X)

    def predict(self, X):
        check_is_fitted(self, "estimator_")
        if hasattr(self, "classes_"):
            return self.classes_[np.argmax(self.estimator_.predict_proba(X), axis=1)]
        return self.estimator_.predict(X)


class _LightGBMStopper:
    """LightGBM's early stopping on the first held-out metric, which also stops at a deadline (LightGBM's own
    ``early_stopping`` cannot), and which leaves the model predicting with its best iteration either way."""

    order = 30  # after LightGBM's own evaluation callbacks

    def __init__(self, patience: int, searched: int, deadline: float):
        self.patience, self.searched, self.deadline = patience, searched, deadline
        self.best, self.best_iteration, self.best_result = -np.inf, 0, None

    def __call__(self, env) -> None:
        from lightgbm.callback import EarlyStopException

        _, _, value, higher_is_better = env.evaluation_result_list[0][:4]
        signed = value if higher_is_better else -value
        if signed > self.best:
            self.best, self.best_iteration, self.best_result = signed, env.iteration, env.evaluation_result_list
        last = env.iteration + 1 >= env.end_iteration
        late = env.iteration + 1 >= self.searched and time.perf_counter() >= self.deadline
        if last or late or env.iteration - self.best_iteration >= self.patience:
            raise EarlyStopException(self.best_iteration, self.best_result)


def _xgboost_deadline(searched: int, deadline: float):
    """An XGBoost callback that ends training at ``deadline`` once the ``searched`` trees are grown (its early
    stopping keeps the best iteration)."""
    import xgboost

    class Deadline(xgboost.callback.TrainingCallback):
        def after_iteration(self, model, epoch, evals_log) -> bool:
            # a stop here skips this tree's early-stopping check (XGBoost runs its callbacks in turn until one
            # stops), so one tree past the searched ones is grown for them all to have been checked
            return epoch >= searched and time.perf_counter() >= deadline

    return Deadline()


def with_more_trees(model, max_trees: int | None, metric: str, random_state=0):
    """``model`` (a :func:`build_model` pipeline of a LightGBM or XGBoost strategy) whose booster grows to at most
    ``max_trees`` trees, stopped on held-out rows by ``metric`` (:class:`HeldOutStopping`); unchanged when
    ``max_trees`` is None."""
    if max_trees is None:
        return model
    name, booster = model.steps[-1]
    model.steps[-1] = (name, HeldOutStopping(booster, max_trees=max_trees, metric=metric, random_state=random_state))
    return model
