"""Small scikit-learn meta-estimators that adapt a library model to the strategy space."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.utils.validation import check_is_fitted

from automl_meta.data import stratified_subsample


class _RBFSVM(BaseEstimator):
    """An RBF SVM with ``gamma = gamma_scale / n_features``, trained on at most ``max_rows`` rows."""

    def __init__(self, C=1.0, gamma_scale=1.0, max_rows=2000, random_state=None):
        self.C = C
        self.gamma_scale = gamma_scale
        self.max_rows = max_rows
        self.random_state = random_state

    def fit(self, X, y, sample_weight=None):
        X, y = np.asarray(X, dtype=float), np.asarray(y)
        idx = stratified_subsample(y, self.max_rows, classification=self._classification, random_state=self.random_state)
        self.n_features_in_ = X.shape[1]
        self.n_train_rows_ = len(idx)
        weights = {} if sample_weight is None else {"sample_weight": np.asarray(sample_weight, dtype=float)[idx]}
        self.model_ = self._make(self.gamma_scale / max(X.shape[1], 1), X[idx], y[idx]).fit(X[idx], y[idx], **weights)
        return self

    def predict(self, X):
        check_is_fitted(self, "model_")
        return self.model_.predict(np.asarray(X, dtype=float))


class RBFSVMClassifier(ClassifierMixin, _RBFSVM):
    _classification = True

    def _make(self, gamma, X, y):
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.svm import SVC

        # Probabilities (for ROC AUC over several classes, log loss, ...) by Platt scaling on internal
        # 3-fold predictions, then one SVC refit on all rows: scikit-learn's replacement of probability=True.
        # Fewer folds when a class has fewer rows (a rare class in a training fold); a class of one row allows
        # no stratified split: the SVC is then fitted on all rows and calibrated on its own decision values.
        smallest = int(np.unique(y, return_counts=True)[1].min())
        if smallest < 2:
            from sklearn.frozen import FrozenEstimator

            every_row = np.arange(len(y))  # one "fold" of every row: no class-count check, in-sample decisions
            return CalibratedClassifierCV(FrozenEstimator(SVC(C=self.C, gamma=gamma).fit(X, y)), method="sigmoid",
                                          cv=[(every_row, every_row)])
        return CalibratedClassifierCV(SVC(C=self.C, gamma=gamma), method="sigmoid", cv=min(3, smallest), ensemble=False)

    def fit(self, X, y, sample_weight=None):
        super().fit(X, y, sample_weight)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X):
        check_is_fitted(self, "model_")
        return self.model_.predict_proba(np.asarray(X, dtype=float))


class RBFSVMRegressor(RegressorMixin, _RBFSVM):
    _classification = False

    def _make(self, gamma, X, y):
        from sklearn.svm import SVR

        return SVR(C=self.C, gamma=gamma)


class LabelEncodedClassifier(ClassifierMixin, BaseEstimator):
    """Fit a classifier that needs labels 0..k-1 (XGBoost) on any labels; ``classes_`` are the originals."""

    def __init__(self, estimator=None):
        self.estimator = estimator

    def fit(self, X, y, sample_weight=None):
        self.classes_, codes = np.unique(np.asarray(y), return_inverse=True)
        weights = {} if sample_weight is None else {"sample_weight": sample_weight}
        self.estimator_ = clone(self.estimator).fit(X, codes, **weights)
        return self

    def predict_proba(self, X):
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict_proba(X)

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
