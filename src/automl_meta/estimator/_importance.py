"""Permutation importance of a fitted model: how much its score drops when a column's values are shuffled."""

from __future__ import annotations

import numpy as np
import pandas as pd


def permutation_importances(estimator, X: pd.DataFrame, y, metric, n_repeats: int, random_state,
                            max_rows: int | None) -> pd.DataFrame:
    """One row per column of ``X``, most important first: ``importance`` (the mean drop of ``metric`` when
    the column is shuffled, in the metric's units), ``std`` over the ``n_repeats`` shuffles, and ``low`` and
    ``high``, the mean's 95% interval (mean ± 1.96 std / sqrt(n_repeats)). scikit-learn's
    ``permutation_importance`` on at most ``max_rows`` rows (a seeded sample: the drop is a mean over rows)."""
    from sklearn.inspection import permutation_importance
    from sklearn.metrics import get_scorer

    result = permutation_importance(estimator, X, y, scoring=get_scorer(metric), n_repeats=n_repeats,
                                    random_state=random_state, max_samples=min(len(X), max_rows or len(X)))
    half = 1.96 * result.importances_std / np.sqrt(n_repeats)
    frame = pd.DataFrame({"importance": result.importances_mean, "std": result.importances_std,
                          "low": result.importances_mean - half, "high": result.importances_mean + half},
                         index=pd.Index([str(c) for c in X.columns], name="feature"))
    return frame.sort_values("importance", ascending=False)
