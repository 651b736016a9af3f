"""Scoring predictions computed once: the out-of-fold predictions of a trial, or an ensemble's average.

scikit-learn's scorers take an estimator and call its ``predict_proba`` or ``predict``; a stand-in that
answers with given predictions lets any scorer name (``roc_auc``, ``r2``, ``accuracy``, ...) score arrays
exactly as it scores a model, positive class and all.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin


class _GivenProbabilities(ClassifierMixin, BaseEstimator):
    def __init__(self, probabilities=None, classes=None):
        self.probabilities = probabilities
        self.classes = classes

    @property
    def classes_(self):
        return np.asarray(self.classes)

    def predict_proba(self, X):
        return self.probabilities

    def predict(self, X):
        return self.classes_[np.argmax(self.probabilities, axis=1)]


class _GivenValues(RegressorMixin, BaseEstimator):
    def __init__(self, values=None):
        self.values = values

    def predict(self, X):
        return self.values


def score_predictions(metric: str, y, predictions: np.ndarray, classes=None, sample_weight=None) -> float:
    """The scikit-learn ``metric`` (a scorer name, or a scorer) of ``predictions`` against ``y``: class probabilities
    (n_samples x n_classes, columns in ``classes`` order) for classification, values for regression.

    The default metrics and a few common ones are computed directly (ensemble selection scores thousands of
    averages, and a scorer call costs milliseconds of validation); they equal scikit-learn's (tested); any
    other scorer name goes through scikit-learn. ``sample_weight`` (one weight per row of ``y``) weighs the rows,
    as scikit-learn's ``sample_weight`` does. ROC AUC over several classes averages the classes present in
    ``y`` (a fold of a rare class may lack it, where scikit-learn raises)."""
    y = np.asarray(y)
    predictions = np.asarray(predictions)
    weights = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
    fast = _FAST.get(metric) if isinstance(metric, str) else None
    if fast is not None and np.isfinite(predictions).all():
        try:
            value = float(fast(y, predictions, classes, weights))
            if np.isfinite(value):
                return value
        except _NoFastPath:
            pass
    from sklearn.metrics import get_scorer

    stand_in = _GivenValues(predictions) if classes is None else _GivenProbabilities(predictions, classes)
    weighted = {} if weights is None else {"sample_weight": weights}
    return float(get_scorer(metric)(stand_in, np.zeros((len(y), 1)), y, **weighted))


def _auc(positive: np.ndarray, score: np.ndarray, weights=None) -> float:
    """ROC AUC as the (weighted) Mann-Whitney statistic, ties counting one half: scikit-learn's trapezoidal AUC
    (with ``sample_weight``). NaN when a side has no weight."""
    weights = np.ones(len(score)) if weights is None else weights
    _, level = np.unique(score, return_inverse=True)
    w_pos = np.bincount(level, weights=weights * positive)
    w_neg = np.bincount(level, weights=weights * ~positive)
    total_pos, total_neg = w_pos.sum(), w_neg.sum()
    if total_pos <= 0 or total_neg <= 0:
        return float("nan")  # scikit-learn raises here; the caller's fallback reports it
    below = np.cumsum(w_neg) - w_neg  # negatives' weight at lower scores
    return float((w_pos * (below + 0.5 * w_neg)).sum() / (total_pos * total_neg))


def _roc_auc(y, proba, classes, weights=None):
    if classes is None or len(classes) != 2 or proba.ndim != 2:
        raise _NoFastPath
    return _auc(y == classes[1], proba[:, 1], weights)


def _roc_auc_ovr(y, proba, classes, weights=None):
    """Macro one-vs-rest over the classes present in ``y`` (at least two)."""
    if classes is None or proba.ndim != 2:
        raise _NoFastPath
    scores = [_auc(y == c, proba[:, j], weights) for j, c in enumerate(classes) if (y == c).any()]
    return float(np.mean(scores)) if len(scores) >= 2 else float("nan")


def _r2(y, values, classes, weights=None):
    weights = np.ones(len(y)) if weights is None else weights
    residual = float((weights * (y - values) ** 2).sum())
    total = float((weights * (y - np.average(y, weights=weights)) ** 2).sum())
    if total == 0.0:
        return 1.0 if residual == 0.0 else 0.0
    return 1.0 - residual / total


def _mean(values, weights) -> float:
    return float(np.average(values, weights=weights))


class _NoFastPath(Exception):
    pass


_FAST = {
    "roc_auc": _roc_auc,
    "roc_auc_ovr": _roc_auc_ovr,
    "r2": _r2,
    "neg_mean_squared_error": lambda y, v, c, w: -_mean((y - v) ** 2, w),
    "neg_root_mean_squared_error": lambda y, v, c, w: -float(np.sqrt(_mean((y - v) ** 2, w))),
    "neg_mean_absolute_error": lambda y, v, c, w: -_mean(np.abs(y - v), w),
    "accuracy": lambda y, p, c, w: _mean(np.asarray(c)[np.argmax(p, axis=1)] == y, w),
}


def predict_for_scoring(model, X, classes=None) -> np.ndarray:
    """The predictions a scorer of the task would use: class probabilities in ``classes`` order (a model that
    never saw a class gives it 0) for classification, values for regression; float32 to keep them small."""
    if classes is None:
        return np.asarray(model.predict(X), dtype=np.float32)
    proba = np.asarray(model.predict_proba(X), dtype=np.float32)
    fitted = list(model.classes_)
    if fitted == list(classes):
        return proba
    out = np.zeros((len(proba), len(classes)), dtype=np.float32)
    position = {c: j for j, c in enumerate(classes)}
    for j, c in enumerate(fitted):
        out[:, position[c]] = proba[:, j]
    return out
