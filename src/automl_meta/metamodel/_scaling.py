"""Scaling of meta-features for the meta-model: the mid-rank empirical CDF of each feature over the training
tasks, so heavy-tailed features (kurtosis, cardinalities) and features on any scale land in [0, 1] and ties
(e.g. a feature that is 0 on half the tasks) map to the middle of their run. A missing value becomes 0.5 plus
an indicator column, for each feature that was ever missing in training."""

from __future__ import annotations

import numpy as np


class QuantileScaler:
    """Fit on a (tasks x features) matrix with NaN; transform to [0, 1] plus missing indicators."""

    def fit(self, X: np.ndarray) -> "QuantileScaler":
        X = np.asarray(X, dtype=float)
        # sorted training values per feature, NaN-padded at the end (np.sort puts NaN last)
        self.sorted_ = np.sort(X, axis=0).T
        self.counts_ = (~np.isnan(X)).sum(axis=0)
        self.missing_columns_ = np.flatnonzero(np.isnan(X).any(axis=0))
        return self

    @property
    def n_outputs(self) -> int:
        return self.sorted_.shape[0] + len(self.missing_columns_)

    def transform(self, X: np.ndarray) -> np.ndarray:
        X = np.atleast_2d(np.asarray(X, dtype=float))
        out = np.full(X.shape, 0.5)
        for j in range(X.shape[1]):
            n = self.counts_[j]
            if n == 0:
                continue
            values = self.sorted_[j, :n]
            below = np.searchsorted(values, X[:, j], side="left")
            not_above = np.searchsorted(values, X[:, j], side="right")
            out[:, j] = (below + not_above) / (2.0 * n)
        missing = np.isnan(X)
        out[missing] = 0.5
        return np.hstack([out, missing[:, self.missing_columns_].astype(float)])

    def state(self) -> dict:
        return {"sorted": self.sorted_, "counts": self.counts_, "missing_columns": self.missing_columns_}

    @classmethod
    def from_state(cls, state: dict) -> "QuantileScaler":
        obj = cls()
        obj.sorted_ = np.asarray(state["sorted"], dtype=float)
        obj.counts_ = np.asarray(state["counts"], dtype=int)
        obj.missing_columns_ = np.asarray(state["missing_columns"], dtype=int)
        return obj
