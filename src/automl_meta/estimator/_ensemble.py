"""Post-hoc ensemble selection (Caruana et al., "Ensemble Selection from Libraries of Models", ICML 2004): greedy
forward selection, with replacement, over the out-of-fold predictions of a search's successful trials.

Each iteration adds the trial whose predictions, averaged with those already chosen, score best on the task's
metric; the ensemble is the prefix of iterations that scored best (so it is never worse, out of fold, than the
best single trial, which is its first pick). Weights are how often a trial was picked. AutoGluon keeps 25
iterations, as here.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator


@dataclass
class EnsembleSelection:
    """The chosen trials (evaluations with predictions) and their weights, and the out-of-fold score of the
    weighted average after each iteration (``trace``) and at the chosen prefix (``score``)."""

    members: list
    weights: list
    score: float
    trace: list

    def average(self) -> np.ndarray:
        return _weighted_average([m.predictions for m in self.members], self.weights)


def select_ensemble(evaluations, y, metric: str, classes=None, folds=None, sample_weight=None, iterations: int = 25,
                    pool_size: int = 10) -> EnsembleSelection:
    """Caruana's selection over the ``pool_size`` best evaluations that kept out-of-fold ``predictions`` (rows
    aligned with ``y``; the best evaluation of each strategy); ``classes`` in the predictions' column order for
    classification, None for regression. Scores are the mean over ``folds`` (the test rows of each fold), as the
    trials' own scores are, so the first pick is the best trial and the ensemble's score compares with the
    trials' (all rows as one fold when None). A small pool keeps the selection from fitting the noise of many
    weak trials."""
    from automl_meta.evaluate import best_per_strategy

    y = np.asarray(y)
    folds = folds if folds is not None else [np.arange(len(y))]
    scored = np.concatenate(folds)  # with validation data, the other rows have no out-of-fold prediction (NaN)
    with_predictions = [e for e in evaluations if e.predictions is not None and np.isfinite(e.predictions[scored]).all()]
    pool = best_per_strategy(with_predictions)[:pool_size]
    if not pool:
        raise ValueError("ensemble selection needs at least one successful evaluation with out-of-fold predictions")
    total = np.zeros_like(pool[0].predictions, dtype=np.float64)
    picks, trace = [], []
    for i in range(iterations):
        scores = [_fold_mean(metric, y, (total + e.predictions) / (i + 1), classes, folds, sample_weight) for e in pool]
        best = int(np.argmax(scores))
        picks.append(best)
        trace.append(scores[best])
        total += pool[best].predictions
    size = int(np.argmax(trace)) + 1  # the best prefix (the first of equal scores: fewer members)
    counts = Counter(picks[:size])
    members = [pool[j] for j in counts]
    return EnsembleSelection(members, [counts[j] / size for j in counts], float(trace[size - 1]), trace)


def score_average(members, weights, y, metric: str, classes=None, folds=None, sample_weight=None) -> float:
    """The out-of-fold score (mean over ``folds``) of the weighted average of ``members``' predictions."""
    y = np.asarray(y)
    average = _weighted_average([m.predictions for m in members], weights)
    return _fold_mean(metric, y, average, classes, folds if folds is not None else [np.arange(len(y))], sample_weight)


def _fold_mean(metric, y, predictions, classes, folds, sample_weight=None) -> float:
    from automl_meta.evaluate import score_predictions

    return float(np.mean([score_predictions(metric, y[f], predictions[f], classes,
                                            None if sample_weight is None else sample_weight[f]) for f in folds]))


def _weighted_average(arrays, weights) -> np.ndarray:
    return sum(w * np.asarray(a, dtype=np.float64) for a, w in zip(arrays, weights)) / float(sum(weights))


class EnsembleModel(BaseEstimator):
    """Fitted models combined by weight: the average of their class probabilities (``predict`` is its most
    probable class) or of their predictions. Each model is a fitted ``Pipeline`` of ``build_model``."""

    def __init__(self, models=None, weights=None, classes=None):
        self.models = models
        self.weights = weights
        self.classes = classes

    @property
    def classes_(self):
        return np.asarray(self.classes)

    def predict_proba(self, X):
        from automl_meta.evaluate import predict_for_scoring

        return _weighted_average([predict_for_scoring(m, X, list(self.classes)) for m in self.models], self.weights)

    def predict(self, X):
        if self.classes is not None:
            return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
        return _weighted_average([m.predict(X) for m in self.models], self.weights)
