"""estimator/_threshold.py: the decision threshold of a binary classifier scored by a metric of labels."""

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.metrics import balanced_accuracy_score

from automl_meta import AutoMetaClassifier
from automl_meta.estimator._final import FinalModel
from automl_meta.estimator._threshold import choose_threshold, is_thresholded
from automl_meta.evaluate import Evaluation
from automl_meta.space import Strategy


def _imbalanced(seed=1):
    X, y = make_classification(n_samples=1200, n_features=8, weights=[0.9, 0.1], flip_y=0.02, random_state=seed)
    return X[:800], X[800:], y[:800], y[800:]


def test_metrics_of_labels_are_thresholded_and_others_not():
    assert all(is_thresholded(m) for m in ("accuracy", "balanced_accuracy", "f1", "matthews_corrcoef"))
    assert not any(is_thresholded(m) for m in ("roc_auc", "neg_log_loss", "average_precision"))


def test_the_threshold_maximizes_the_metric_on_out_of_fold_probabilities():
    """Out-of-fold probabilities of a rare positive class that all sit below 0.5 but rank it first."""
    y = np.r_[np.zeros(90), np.ones(10)]
    positive = np.r_[np.linspace(0.0, 0.2, 90), np.linspace(0.3, 0.4, 10)]
    strategy = Strategy.default("linear")
    evaluation = Evaluation(strategy, "balanced_accuracy", "ok", score=0.5, predictions=np.c_[1 - positive, positive])
    final = FinalModel.single(None, strategy, 0.5)
    threshold = choose_threshold(final, [evaluation], (y, "balanced_accuracy", [0, 1], None, None))
    assert 0.2 < threshold <= 0.3  # every positive above it, every negative below
    assert choose_threshold(final, [evaluation], (y, "roc_auc", [0, 1], None, None)) is None
    kept_none = Evaluation(strategy, "balanced_accuracy", "ok", score=0.5)
    assert choose_threshold(final, [kept_none], (y, "balanced_accuracy", [0, 1], None, None)) is None


@pytest.mark.parametrize("ensemble", [True, False])
def test_a_fit_for_balanced_accuracy_predicts_with_its_threshold(ensemble):
    X_train, X_test, y_train, y_test = _imbalanced()
    model = AutoMetaClassifier(n_trials=3, cv=3, metric="balanced_accuracy", families=["linear", "extra_trees"],
                               metadataset=False, random_state=0, ensemble=ensemble).fit(X_train, y_train)
    assert model.threshold_ is not None and model.threshold_ < 0.5  # the rare class needs less than half
    proba = model.predict_proba(X_test)
    assert (model.predict(X_test) == model.classes_[(proba[:, 1] >= model.threshold_).astype(int)]).all()
    at_half = model.classes_[(proba[:, 1] >= 0.5).astype(int)]
    assert balanced_accuracy_score(y_test, model.predict(X_test)) > balanced_accuracy_score(y_test, at_half)


def test_a_metric_of_probabilities_or_several_classes_keeps_the_most_probable_class(tasks_by_kind):
    X_train, _, y_train, _ = _imbalanced()
    auc = AutoMetaClassifier(n_trials=1, cv=3, families=["linear"], metadataset=False).fit(X_train, y_train)
    task = tasks_by_kind["multiclass"]
    multi = AutoMetaClassifier(n_trials=1, cv=3, metric="accuracy", families=["linear"], metadataset=False).fit(task.X, task.y)
    assert auc.threshold_ is None and multi.threshold_ is None
