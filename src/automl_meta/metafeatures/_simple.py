"""Simple meta-features: shape, kind, classes, feature types, missing values, cardinalities."""

from __future__ import annotations

import numpy as np

from automl_meta.data import BINARY, MULTICLASS, REGRESSION
from automl_meta.metafeatures._prepare import Prepared

NAMES = (
    "log_n_rows",
    "log_n_features",
    "log_dimensionality",
    "log_n_onehot_features",
    "is_binary",
    "is_multiclass",
    "is_regression",
    "n_classes",
    "class_entropy",
    "class_entropy_norm",
    "majority_class_frac",
    "minority_class_frac",
    "log_imbalance_ratio",
    "frac_categorical",
    "frac_binary_features",
    "frac_missing_cells",
    "frac_rows_with_missing",
    "frac_cols_with_missing",
    "log_mean_cardinality",
    "log_max_cardinality",
)

# One-hot encoders cap rare levels; beyond this a column's one-hot width says nothing more.
_ONEHOT_CAP = 100


def entropy_bits(counts: np.ndarray) -> float:
    counts = counts[counts > 0]
    p = counts / counts.sum()
    return float(-(p * np.log2(p)).sum())


def compute(prep: Prepared) -> dict[str, float]:
    task = prep.task
    n, p = prep.n_rows, prep.n_features
    frame = prep.simple_frame
    out = {
        "log_n_rows": np.log(n),
        "log_n_features": np.log(p),
        "log_dimensionality": np.log(p / n),
        "is_binary": float(task.kind == BINARY),
        "is_multiclass": float(task.kind == MULTICLASS),
        "is_regression": float(task.kind == REGRESSION),
    }
    counts = prep.y_full_counts
    if counts is not None:
        k = len(counts)
        h = entropy_bits(counts)
        out.update(
            n_classes=float(k),
            class_entropy=h,
            class_entropy_norm=h / np.log2(k),
            majority_class_frac=counts.max() / n,
            minority_class_frac=counts.min() / n,
            log_imbalance_ratio=np.log(counts.max() / counts.min()),
        )
    missing = frame.isna().to_numpy()
    out.update(
        frac_missing_cells=missing.mean(),
        frac_rows_with_missing=missing.any(axis=1).mean(),
        frac_cols_with_missing=missing.any(axis=0).mean(),
        frac_categorical=len(task.categorical_columns) / p,
    )
    cardinality = frame[task.categorical_columns].nunique(dropna=True).to_numpy(dtype=float)
    # Binary numeric columns are found on the statistics sample: exact for 0/1 indicators.
    num = prep.numeric
    numeric_binary = 0
    if num.shape[1]:
        lo, hi = np.nanmin(num, axis=0), np.nanmax(num, axis=0)
        two_valued = np.all(np.isnan(num) | (num == lo) | (num == hi), axis=0) & (hi > lo)
        numeric_binary = int(two_valued.sum())
    out["frac_binary_features"] = (numeric_binary + int((cardinality == 2).sum())) / p
    onehot = len(task.numeric_columns) + np.minimum(cardinality, _ONEHOT_CAP).sum()
    out["log_n_onehot_features"] = np.log(max(onehot, 1.0))
    if cardinality.size:
        out["log_mean_cardinality"] = np.log1p(cardinality.mean())
        out["log_max_cardinality"] = np.log1p(cardinality.max())
    return out
