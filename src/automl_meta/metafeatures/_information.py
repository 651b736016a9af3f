"""Information-theoretic meta-features, on the statistics sample with every column discretized.

Numeric columns are cut into ``N_BINS`` equal-frequency bins (robust to outliers and scale), categorical
columns keep their ``N_BINS`` most frequent levels (the rest pooled); a missing value is a level of its own.
A regression target is binned the same way. Entropies are in bits.
"""

from __future__ import annotations

import numpy as np

from automl_meta.metafeatures._prepare import Prepared, nan_percentile

NAMES = (
    "attr_entropy_mean",
    "attr_entropy_sd",
    "mutual_info_mean",
    "mutual_info_sd",
    "mutual_info_max",
    "mutual_info_top_share",
    "equivalent_n_attributes",
    "noise_signal_ratio",
    "target_entropy",
)

N_BINS = 10


def quantile_bins(x: np.ndarray, n_bins: int = N_BINS) -> np.ndarray:
    """Per column, equal-frequency bin codes 0..n_bins-1; code n_bins for missing."""
    qs = np.linspace(0, 100, n_bins + 1)[1:-1]
    edges = nan_percentile(x, qs)  # (n_bins - 1, p)
    codes = (x[:, :, None] > edges.T[None, :, :]).sum(axis=2)
    codes[np.isnan(x)] = n_bins
    return codes


def top_level_codes(codes: np.ndarray, n_levels: int = N_BINS) -> np.ndarray:
    """Keep each column's ``n_levels`` most frequent codes (0..n_levels-1), pool the rest, missing -> n_levels."""
    out = np.empty_like(codes)
    for j in range(codes.shape[1]):
        col = codes[:, j]
        present = col >= 0
        ranked = np.zeros(col.max() + 2 if col.size else 1, dtype=np.int64)
        if present.any():
            counts = np.bincount(col[present])
            order = np.argsort(-counts, kind="stable")
            ranked[order] = np.minimum(np.arange(order.size), n_levels - 1)
        out[:, j] = np.where(present, ranked[np.where(present, col, 0)], n_levels)
    return out


def _column_entropies(joint_counts: np.ndarray) -> np.ndarray:
    """Entropy (bits) of each row of a counts matrix."""
    totals = joint_counts.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = joint_counts / totals
        terms = np.where(p > 0, p * np.log2(p), 0.0)
    return -terms.sum(axis=1)


def compute(prep: Prepared) -> dict[str, float]:
    parts = []
    if prep.numeric.shape[1]:
        parts.append(quantile_bins(prep.numeric))
    if prep.categorical.shape[1]:
        parts.append(top_level_codes(prep.categorical))
    if prep.task.is_classification:
        t = prep.y.astype(np.int64)
    else:
        t = quantile_bins(prep.y[:, None])[:, 0]
    n_t = int(t.max()) + 1
    t_counts = np.bincount(t, minlength=n_t).astype(float)
    target_h = _column_entropies(t_counts[None, :])[0]
    out = {"target_entropy": target_h}
    if not parts:
        return out
    codes = np.hstack(parts)  # (n, p), values 0..N_BINS
    n, p = codes.shape
    levels = N_BINS + 1
    # One bincount for every column's joint (level, target) table: offset each column into its own block.
    joint_index = (np.arange(p)[None, :] * levels + codes) * n_t + t[:, None]
    joint = np.bincount(joint_index.ravel(), minlength=p * levels * n_t).reshape(p, levels, n_t).astype(float)
    h_attr = _column_entropies(joint.sum(axis=2))
    h_joint = _column_entropies(joint.reshape(p, -1))
    mi = np.maximum(h_attr + target_h - h_joint, 0.0)
    out.update(
        attr_entropy_mean=h_attr.mean(),
        attr_entropy_sd=h_attr.std(),
        mutual_info_mean=mi.mean(),
        mutual_info_sd=mi.std(),
        mutual_info_max=mi.max(),
    )
    total_mi = mi.sum()
    if total_mi > 0:
        top = np.sort(mi)[::-1][: max(1, int(np.ceil(0.1 * p)))]
        out["mutual_info_top_share"] = top.sum() / total_mi
        out["equivalent_n_attributes"] = target_h / mi.mean()
        out["noise_signal_ratio"] = (h_attr.mean() - mi.mean()) / mi.mean()
    return out
