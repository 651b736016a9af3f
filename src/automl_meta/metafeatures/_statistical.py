"""Statistical meta-features of the numeric columns (on the statistics sample) and of a regression target."""

from __future__ import annotations

import numpy as np

from automl_meta.metafeatures._prepare import Prepared, nan_percentile

NAMES = (
    "skew_mean",
    "skew_sd",
    "skew_abs_max",
    "kurt_mean",
    "kurt_sd",
    "kurt_max",
    "abs_corr_mean",
    "abs_corr_sd",
    "abs_corr_max",
    "frac_high_corr_pairs",
    "pca_first_ratio",
    "pca_frac_for_95",
    "pca_eigen_entropy_norm",
    "outlier_frac",
    "frac_integer_columns",
    "log_scale_spread",
    "target_skew",
    "target_kurt",
    "target_frac_unique",
    "target_outlier_frac",
)

# Correlation and PCA cost O(p^2) to O(p^3); above this many numeric columns a seeded random subset is used.
MAX_CORR_COLUMNS = 256


def moments(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Column-wise NaN-aware mean, standard deviation, skewness and excess kurtosis (population estimators)."""
    mean = np.nanmean(x, axis=0)
    c = x - mean
    c2 = c * c
    m2 = np.nanmean(c2, axis=0)
    m3 = np.nanmean(c2 * c, axis=0)
    m4 = np.nanmean(c2 * c2, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        skew = m3 / m2**1.5
        kurt = m4 / (m2 * m2) - 3.0
    return mean, np.sqrt(m2), skew, kurt


def outlier_fraction(x: np.ndarray) -> np.ndarray:
    """Per column, the fraction of present values outside Tukey's fences (1.5 IQR beyond the quartiles)."""
    q1, q3 = nan_percentile(x, [25, 75])
    iqr = q3 - q1
    outside = (x < q1 - 1.5 * iqr) | (x > q3 + 1.5 * iqr)
    present = np.maximum((~np.isnan(x)).sum(axis=0), 1)
    return outside.sum(axis=0) / present


def _summary(values: np.ndarray, prefix: str, out: dict, stats=("mean", "sd")) -> None:
    values = values[np.isfinite(values)]
    if values.size == 0:
        return
    if "mean" in stats:
        out[f"{prefix}_mean"] = values.mean()
    if "sd" in stats:
        out[f"{prefix}_sd"] = values.std()
    if "max" in stats:
        out[f"{prefix}_max"] = values.max()
    if "abs_max" in stats:
        out[f"{prefix}_abs_max"] = np.abs(values).max()


def _correlation_features(z: np.ndarray, out: dict) -> None:
    """From standardized, mean-imputed columns: correlation summaries and PCA spectrum (same matrix)."""
    n, p = z.shape
    corr = (z.T @ z) / n
    if p >= 2:
        upper = np.abs(corr[np.triu_indices(p, k=1)])
        out.update(
            abs_corr_mean=upper.mean(), abs_corr_sd=upper.std(), abs_corr_max=upper.max(),
            frac_high_corr_pairs=(upper > 0.9).mean(),
        )
    eig = np.clip(np.linalg.eigvalsh(corr)[::-1], 0.0, None)
    total = eig.sum()
    if total > 0:
        ratio = eig / total
        out["pca_first_ratio"] = ratio[0]
        out["pca_frac_for_95"] = (np.searchsorted(np.cumsum(ratio), 0.95) + 1) / p
        nz = ratio[ratio > 0]
        out["pca_eigen_entropy_norm"] = float(-(nz * np.log(nz)).sum() / np.log(p)) if p > 1 else 0.0


def compute(prep: Prepared) -> dict[str, float]:
    out: dict[str, float] = {}
    x = prep.numeric
    if x.shape[1]:
        present = ~np.isnan(x)
        usable = (present.sum(axis=0) >= 2)
        x = x[:, usable]
    if x.shape[1]:
        mean, sd, skew, kurt = moments(x)
        varying = sd > 0
        _summary(skew[varying], "skew", out, ("mean", "sd", "abs_max"))
        _summary(kurt[varying], "kurt", out, ("mean", "sd", "max"))
        out["outlier_frac"] = outlier_fraction(x).mean()
        finite = np.where(np.isnan(x), 0.0, x)
        out["frac_integer_columns"] = np.all(finite == np.round(finite), axis=0).mean()
        if varying.any():
            out["log_scale_spread"] = np.log10(sd[varying].max() / sd[varying].min())
            cols = np.flatnonzero(varying)
            if cols.size > MAX_CORR_COLUMNS:
                cols = np.sort(np.random.default_rng(prep.rng_seed).choice(cols, MAX_CORR_COLUMNS, replace=False))
            z = (x[:, cols] - mean[cols]) / sd[cols]
            _correlation_features(np.where(np.isnan(z), 0.0, z), out)
    if not prep.task.is_classification:
        y = prep.y
        _, _, t_skew, t_kurt = moments(y[:, None])
        out.update(
            target_skew=t_skew[0], target_kurt=t_kurt[0],
            target_frac_unique=len(np.unique(y)) / len(y),
            target_outlier_frac=outlier_fraction(y[:, None])[0],
        )
    return out
