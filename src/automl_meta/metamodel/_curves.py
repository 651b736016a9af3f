"""How a strategy's score grows with the rows it is fitted on: each family's learning curve, measured on the
meta-dataset, so that a fit which searched a subsample of a large table can tell which strategy will be best
once refitted on the rows the refit can afford.

Families gain unequally from rows: on the meta-dataset's tasks scored at two sizes (a task's base fidelity, about
1,000 rows, and its large one, up to 10,000), the same strategy's error (1 - ROC AUC, or 1 - R²) fell by a median
factor per tenfold rows of 0.79 for XGBoost and 0.83 for LightGBM, 0.88 for the forests, 0.91 for k-nearest
neighbours and 0.96 for linear models (meta-dataset v2, 152 tasks). A search on 18,000 of 400,000 rows ranks
families by where they stand on 14,400 (its folds' training rows); a refit on every row moves the boosters further
than a forest. Each family's curve is a power law, error proportional to rows ** exponent, with the median
exponent over the strategies measured at both sizes: it ranks candidates refitted on different numbers of rows,
not a promise of the score they will reach (the exponent flattens as rows grow).
"""

from __future__ import annotations

import math

import numpy as np

from automl_meta.metamodel._timing import two_size_slopes

#: Exponents are kept in this range (0: no gain from rows; -0.5: error halves with 4x the rows).
EXPONENT_RANGE = (-0.5, 0.0)
#: A family needs this many (strategy, data) pairs measured at two sizes for its own exponent.
MIN_PAIRS = 5
#: Errors below this are not used for a slope (a perfect score's noise, not a curve).
ERROR_FLOOR = 1e-3
#: Metrics whose best score is 1 (the meta-dataset's, and the bounded scores scikit-learn has): the curves are
#: of the error 1 - score; a fit with another metric does not extrapolate.
BOUNDED_METRICS = frozenset({"roc_auc", "roc_auc_ovr", "roc_auc_ovo", "roc_auc_ovr_weighted", "roc_auc_ovo_weighted",
                             "r2", "accuracy", "balanced_accuracy", "average_precision", "f1", "f1_macro", "f1_micro",
                             "f1_weighted", "precision", "recall", "jaccard", "explained_variance"})


def error_exponents(data, task_rows: np.ndarray) -> dict[str, float]:
    """Per family, the median of d log(1 - score) / d log(rows) over the successful evaluations of one strategy
    on one named task at two sizes at least twice apart (``task_rows``: each task's rows), on tasks whose metric
    is bounded by 1 (all of them when the data does not say)."""
    errors = 1.0 - data.scores
    usable = (data.status == "ok") & np.isfinite(errors) & (errors >= ERROR_FLOOR)
    metrics = getattr(data, "metrics", None)
    if metrics is not None:
        usable &= np.isin(np.asarray(metrics, dtype=str), list(BOUNDED_METRICS))[data.eval_task]
    slopes = two_size_slopes(data, task_rows, errors, usable)
    return {family: float(np.clip(np.median(values), *EXPONENT_RANGE))
            for family, values in slopes.items() if len(values) >= MIN_PAIRS}


def score_at(score: float, exponent: float, from_rows: float, to_rows: float) -> float:
    """A score measured after fits on ``from_rows`` rows carried along a learning curve of ``exponent`` to a fit
    on ``to_rows`` (unchanged when not larger, or when the score is not below 1)."""
    if not (to_rows > from_rows > 0) or not score < 1.0 or not math.isfinite(score):
        return score
    return 1.0 - (1.0 - score) * (to_rows / from_rows) ** exponent
