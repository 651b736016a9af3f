"""The decision threshold of a binary classifier scored by a metric of labels (accuracy, balanced accuracy, F1,
...): chosen on the final model's out-of-fold probabilities, as AutoGluon's ``calibrate_decision_threshold``
does, instead of 0.5 (the right one only when the classes are balanced and the metric is accuracy)."""

from __future__ import annotations

import numpy as np

#: Candidate thresholds: 0.5 and these quantiles of the out-of-fold probabilities of the positive class.
QUANTILES = np.linspace(0.01, 0.99, 99)


def is_thresholded(metric: str) -> bool:
    """Whether the scikit-learn scorer ``metric`` scores predicted labels (not probabilities or decisions)."""
    from sklearn.metrics import get_scorer

    return getattr(get_scorer(metric), "_response_method", None) == "predict"


def choose_threshold(final, evaluations, target: tuple) -> float | None:
    """The threshold on the positive class's probability that scores best on the final model's out-of-fold
    probabilities (ties: the one closest to 0.5); None when the task is not binary, the metric scores
    probabilities, or the out-of-fold probabilities of a member were not kept."""
    from automl_meta.evaluate import score_predictions

    y, metric, classes, folds, weights = target
    if classes is None or len(classes) != 2 or not is_thresholded(metric):
        return None
    oof = final.predictions if final.predictions is not None else out_of_fold_probabilities(final, evaluations)
    if oof is None:
        return None
    rows = np.concatenate(folds) if folds is not None else np.arange(len(y))  # only validation rows have them
    y, positive = np.asarray(y)[rows], oof[rows, 1]
    weights = None if weights is None else np.asarray(weights)[rows]

    def score(threshold: float) -> float:
        labels = (positive >= threshold).astype(float)
        return score_predictions(metric, y, np.c_[1 - labels, labels], classes, weights)

    candidates = np.unique(np.r_[0.5, np.quantile(positive, QUANTILES)])
    return float(max(candidates, key=lambda t: (score(t), -abs(t - 0.5))))


def out_of_fold_probabilities(final, evaluations):
    """The final model's out-of-fold probabilities: its members' (the best evaluation of each member's
    strategy that kept them), averaged by weight; None when one of them was not kept."""
    kept = {}
    for e in sorted((e for e in evaluations if e.ok and e.predictions is not None), key=lambda e: -e.score):
        kept.setdefault(e.strategy.key, e.predictions)
    parts = [kept.get(m["strategy"].key) for m in final.members]
    if any(p is None for p in parts):
        return None
    weights = np.asarray([m["weight"] for m in final.members], dtype=float)
    return sum(w * np.asarray(p, dtype=float) for w, p in zip(weights / weights.sum(), parts))


def decision_weights(class_weight, task) -> np.ndarray | None:
    """Each class's weight in the decision (the task's classes' order) for the classifier's ``class_weight``:
    "balanced" is n / (classes x the class's rows), the rows counted by their ``sample_weight`` when there are
    any; a dict names some classes' weights (the others weigh 1); None for no class weights (or regression)."""
    from automl_meta.errors import ConfigError

    if class_weight is None or task.classes is None:
        return None
    y, classes = task.y.to_numpy(), list(task.classes)
    if isinstance(class_weight, str):  # "balanced" (the parameter's validation allows no other string)
        rows = np.ones(len(y)) if task.sample_weight is None else np.asarray(task.sample_weight, dtype=float)
        counts = np.array([rows[y == c].sum() for c in classes])
        return rows.sum() / (len(classes) * np.maximum(counts, 1e-12))
    unknown = [c for c in class_weight if c not in set(classes)]
    if unknown:
        raise ConfigError(f"class_weight names classes the target does not have: {unknown[:5]!r}. Its classes are "
                          f"{list(classes)[:10]!r}.")
    weights = np.array([float(class_weight.get(c, 1.0)) for c in classes])
    if not np.isfinite(weights).all() or (weights < 0).any() or not (weights > 0).any():
        raise ConfigError(f"class_weight must give finite weights, 0 or more, one of them positive; got {class_weight!r}.")
    return weights
