"""Synthetic mixed tabular data for speed benchmarks (seeded; no download)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def mixed_frame(n_rows: int, n_cols: int = 100, frac_categorical: float = 0.1, frac_missing: float = 0.05, seed: int = 0):
    """``n_rows`` x ``n_cols`` features (numeric with skew, correlation and missing values; text categoricals of
    3 to 50 levels) and a binary target that depends on a few of them."""
    rng = np.random.default_rng(seed)
    n_cat = int(round(n_cols * frac_categorical))
    n_num = n_cols - n_cat
    latent = rng.normal(size=(n_rows, 5))
    mixing = rng.normal(size=(5, n_num))
    num = latent @ mixing + rng.normal(size=(n_rows, n_num))
    num[:, ::3] = np.exp(num[:, ::3] / 3)  # some skewed columns
    num[rng.random((n_rows, n_num)) < frac_missing] = np.nan
    cols = {f"n{j}": num[:, j] for j in range(n_num)}
    for j in range(n_cat):
        levels = np.array([f"level_{k}" for k in range(int(rng.integers(3, 51)))], dtype=object)
        values = levels[rng.integers(0, len(levels), size=n_rows)]
        values[rng.random(n_rows) < frac_missing] = None
        cols[f"c{j}"] = values
    frame = pd.DataFrame(cols)
    logit = latent[:, 0] - 0.5 * latent[:, 1] + rng.normal(scale=0.5, size=n_rows)
    y = (logit > 0).astype(int)
    return frame, y
