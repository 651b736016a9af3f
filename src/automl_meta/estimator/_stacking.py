"""A stacking layer (``quality="best"``): a linear model fitted on the trials' out-of-fold predictions, as
AutoGluon's and auto-sklearn's stackers are, in place of Caruana's weighted average when it scores better.

The stacker is a logistic regression on the members' log-probabilities (classification) or a linear regression
with non-negative weights on their predictions (regression: Breiman's stacked regression). Its score is honest
by nesting: for each of the trials' folds, a stacker fitted on the other folds' out-of-fold predictions predicts
the fold's rows; and the weighted average it competes with is nested the same way (chosen on the other folds),
so that neither wins by fitting the noise of the folds it is scored on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator

#: The members a stacker combines: the best evaluation of this many distinct strategies (each is refitted or
#: bagged, so the budget bounds them too). Measured on the end-to-end tasks at 120 s (mean test metric 0.7289
#: with 5): 10 members 0.7121, the best of each family 0.7257 (docs/BENCHMARKS.md, "Quality presets").
STACK_POOL = 5
#: A budget with less time than this left makes no stack (its nested fits are folds + 1 linear fits).
MIN_STACK_SECONDS = 1.0
# Probabilities are clipped to [_EPS, 1 - _EPS] before their logarithm.
_EPS = 1e-6


@dataclass(frozen=True)
class StackChoice:
    """The members (evaluations with out-of-fold predictions), the stacker fitted on all of their rows, its
    nested out-of-fold score, the nested score of the weighted average (Caruana's) of the same members, and the
    stacker's nested out-of-fold predictions."""

    members: list
    stacker: object
    score: float
    average_score: float
    predictions: np.ndarray  # the nested out-of-fold predictions the score is of


def stack_features(predictions: list, classes) -> np.ndarray:
    """The stacker's inputs from each member's predictions: log-probabilities (binary: the log-odds of the
    positive class), or the predicted values."""
    if classes is None:
        return np.column_stack([np.asarray(p, dtype=np.float64) for p in predictions])
    parts = []
    for p in predictions:
        p = np.clip(np.asarray(p, dtype=np.float64), _EPS, 1 - _EPS)
        parts.append(np.log(p[:, 1] / p[:, 0])[:, None] if len(classes) == 2 else np.log(p))
    return np.hstack(parts)


def make_stacker(classes):
    """The stacker: standardized inputs (log-probabilities reach -14: unscaled, a 9-class logistic regression on 5
    members took minutes to converge) and a linear model."""
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    # a loose tolerance: a stacker's few coefficients need not be exact, and a 9-class one took 3.4 s at 1e-4
    model = LinearRegression(positive=True) if classes is None else LogisticRegression(C=1.0, max_iter=100, tol=1e-3)
    return make_pipeline(StandardScaler(), model)


def choose_stack(evaluations, y, metric, classes=None, folds=None, sample_weight=None, seconds=None,
                 timed=None) -> StackChoice | None:
    """A stacker over the ``STACK_POOL`` best distinct strategies that kept out-of-fold predictions, with its
    nested score and the nested score of Caruana's selection over the same members; None with fewer than two,
    or when the nested fits would not end within ``seconds`` (judged after the first fold). ``timed(seconds,
    members)``, when given, is told what the nested fits over that many members took (stopped after the first
    fold: would have taken): what a later choice is expected to cost."""
    from automl_meta.estimator._ensemble import _fold_mean, _weighted_average, select_ensemble
    from automl_meta.evaluate import best_per_strategy

    y = np.asarray(y)
    folds = folds if folds is not None else [np.arange(len(y))]
    scored = np.concatenate(folds)
    with_predictions = [e for e in evaluations if e.ok and e.predictions is not None and np.isfinite(e.predictions[scored]).all()]
    pool = best_per_strategy(with_predictions)[:STACK_POOL]
    if len(pool) < 2 or len(folds) < 2 or (seconds is not None and seconds < MIN_STACK_SECONDS):
        return None
    features = stack_features([e.predictions for e in pool], classes)
    stacked = np.zeros_like(pool[0].predictions, dtype=np.float64)
    averaged = np.zeros_like(stacked)
    began = time.perf_counter()
    for i, test in enumerate(folds):
        projected = (time.perf_counter() - began) * (len(folds) + 1)
        if i == 1 and seconds is not None and projected > seconds:
            if timed is not None:
                timed(projected, len(pool))
            return None  # the budget has no room for the other folds and the final stacker
        train = np.concatenate([f for j, f in enumerate(folds) if j != i])
        stacker = _fit(make_stacker(classes), features[train], y[train], None if sample_weight is None else sample_weight[train])
        stacked[test] = _predict(stacker, features[test], classes)
        chosen = select_ensemble(pool, y, metric, classes, [f for j, f in enumerate(folds) if j != i], sample_weight)
        averaged[test] = _weighted_average([m.predictions[test] for m in chosen.members], chosen.weights)
    stacker = _fit(make_stacker(classes), features[scored], y[scored], None if sample_weight is None else sample_weight[scored])
    if timed is not None:
        timed(time.perf_counter() - began, len(pool))
    return StackChoice(pool, stacker, _fold_mean(metric, y, stacked, classes, folds, sample_weight),
                       _fold_mean(metric, y, averaged, classes, folds, sample_weight), stacked)


def member_shares(stacker, n_members: int) -> list[float]:
    """Each member's share of the stacker's absolute coefficients on standardized inputs (what the leaderboard
    shows as its weight)."""
    coef = np.abs(np.atleast_2d(stacker.steps[-1][1].coef_)).sum(axis=0).reshape(n_members, -1).sum(axis=1)
    total = coef.sum()
    return [float(c / total) if total > 0 else 1.0 / n_members for c in coef]


def _fit(stacker, features, y, weights):
    step = stacker.steps[-1][0]
    return stacker.fit(features, y, **({} if weights is None else {f"{step}__sample_weight": weights}))


def _predict(stacker, features, classes) -> np.ndarray:
    from automl_meta.evaluate import predict_for_scoring

    return predict_for_scoring(stacker, features, None if classes is None else list(classes))


class StackedModel(BaseEstimator):
    """Fitted members and a stacker fitted on their out-of-fold predictions: the stacker's prediction from the
    members' predictions of the rows (probabilities in ``classes`` order for a classifier)."""

    def __init__(self, models=None, stacker=None, classes=None):
        self.models = models
        self.stacker = stacker
        self.classes = classes

    @property
    def classes_(self):
        return np.asarray(self.classes)

    def _features(self, X) -> np.ndarray:
        from automl_meta.evaluate import predict_for_scoring

        classes = None if self.classes is None else list(self.classes)
        return stack_features([predict_for_scoring(m, X, classes) for m in self.models], classes)

    def predict_proba(self, X):
        return _predict(self.stacker, self._features(X), list(self.classes)).astype(np.float64)

    def predict(self, X):
        if self.classes is not None:
            return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
        return self.stacker.predict(self._features(X))
