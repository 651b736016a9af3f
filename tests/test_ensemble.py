"""Caruana's ensemble selection: greedy with replacement, best prefix, never worse than the best trial."""

import numpy as np
import pytest

from automl_meta.estimator._ensemble import EnsembleModel, select_ensemble
from automl_meta.evaluate import Evaluation
from automl_meta.space import Strategy


def _evaluation(name_value, predictions, y, folds):
    from automl_meta.evaluate import score_predictions

    score = np.mean([score_predictions("r2", y[f], predictions[f]) for f in folds])
    return Evaluation(Strategy("linear", {"reg_strength": name_value}), "r2", "ok", score=score, predictions=predictions)


def test_two_independent_noisy_models_average_better_than_either():
    rng = np.random.default_rng(0)
    y = rng.normal(size=600)
    folds = np.array_split(rng.permutation(600), 3)
    a, b = y + rng.normal(scale=0.8, size=600), y + rng.normal(scale=0.8, size=600)
    poor = y + rng.normal(scale=3.0, size=600)
    pool = [_evaluation(v, p, y, folds) for v, p in [(0.1, a), (1.0, b), (10.0, poor)]]
    selection = select_ensemble(pool, y, "r2", folds=folds)
    assert selection.trace[0] == pytest.approx(max(e.score for e in pool))  # the first pick is the best trial
    assert selection.score > max(e.score for e in pool) and selection.score == max(selection.trace)
    assert {m.strategy.params["reg_strength"] for m in selection.members} >= {0.1, 1.0}
    assert sum(selection.weights) == pytest.approx(1.0)


def test_a_dominant_model_stays_alone():
    rng = np.random.default_rng(1)
    y = rng.normal(size=300)
    good, bad = y + rng.normal(scale=0.05, size=300), rng.normal(size=300)
    pool = [_evaluation(0.1, good, y, [np.arange(300)]), _evaluation(1.0, bad, y, [np.arange(300)])]
    selection = select_ensemble(pool, y, "r2")
    assert len(selection.members) == 1 and selection.weights == [1.0]


def test_only_successful_trials_with_predictions_take_part():
    y = np.arange(10.0)
    failed = Evaluation(Strategy.default("knn"), "r2", "error", predictions=np.zeros(10))
    with pytest.raises(ValueError, match="at least one successful evaluation"):
        select_ensemble([failed], y, "r2")


def test_ensemble_model_averages_probabilities_in_class_order():
    class Fixed:
        def __init__(self, proba, classes):
            self.proba, self.classes_ = np.asarray(proba, dtype=float), np.asarray(classes)

        def predict_proba(self, X):
            return np.repeat(self.proba[None, :], len(X), axis=0)

    model = EnsembleModel([Fixed([0.8, 0.2], ["no", "yes"]), Fixed([0.4, 0.6], ["no", "yes"])], [0.25, 0.75], ["no", "yes"])
    np.testing.assert_allclose(model.predict_proba(np.zeros((2, 1))), [[0.5, 0.5]] * 2, atol=1e-7)
    other = EnsembleModel([Fixed([0.2, 0.8], ["yes", "no"])], [1.0], ["no", "yes"])  # columns mapped by class
    np.testing.assert_allclose(other.predict_proba(np.zeros((1, 1))), [[0.8, 0.2]], atol=1e-7)
    assert list(other.predict(np.zeros((1, 1)))) == ["no"]
