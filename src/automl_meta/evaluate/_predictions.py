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
    other scorer name, and every weighted score (``sample_weight``: one weight per row of ``y``), goes through
    scikit-learn."""
    y = np.asarray(y)
    predictions = np.asarray(predictions)
    fast = _FAST.get(metric) if sample_weight is None else None  # the fast paths are unweighted
    if fast is not None and np.isfinite(predictions).all():
        try:
            value = float(fast(y, predictions, classes))
            if np.isfinite(value):
                return value
        except _NoFastPath:
            pass
    from sklearn.metrics import get_scorer

    stand_in = _GivenValues(predictions) if classes is None else _GivenProbabilities(predictions, classes)
    weights = {} if sample_weight is None else {"sample_weight": np.asarray(sample_weight, dtype=float)}
    return float(get_scorer(metric)(stand_in, np.zeros((len(y), 1)), y, **weights))


def _auc(positive: np.ndarray, score: np.ndarray) -> float:
    """ROC AUC as the Mann-Whitney statistic (ties count one half), as scikit-learn's trapezoidal AUC."""
    from scipy.stats import rankdata

    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")  # scikit-learn raises here; the caller's fallback reports it
    ranks = rankdata(score)
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _roc_auc(y, proba, classes):
    if classes is None or len(classes) != 2 or proba.ndim != 2:
        raise _NoFastPath
    return _auc(y == classes[1], proba[:, 1])


def _roc_auc_ovr(y, proba, classes):
    if classes is None or proba.ndim != 2:
        raise _NoFastPath
    return float(np.mean([_auc(y == c, proba[:, j]) for j, c in enumerate(classes)]))


def _r2(y, values, classes):
    residual = float(((y - values) ** 2).sum())
    total = float(((y - y.mean()) ** 2).sum())
    if total == 0.0:
        return 1.0 if residual == 0.0 else 0.0
    return 1.0 - residual / total


class _NoFastPath(Exception):
    pass


_FAST = {
    "roc_auc": _roc_auc,
    "roc_auc_ovr": _roc_auc_ovr,
    "r2": _r2,
    "neg_mean_squared_error": lambda y, v, c: -float(((y - v) ** 2).mean()),
    "neg_root_mean_squared_error": lambda y, v, c: -float(np.sqrt(((y - v) ** 2).mean())),
    "neg_mean_absolute_error": lambda y, v, c: -float(np.abs(y - v).mean()),
    "accuracy": lambda y, p, c: float((np.asarray(c)[np.argmax(p, axis=1)] == y).mean()),
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
