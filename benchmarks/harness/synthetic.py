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


def messy_customers(n_rows: int = 900, seed: int = 7) -> pd.DataFrame:
    """A churn table as users bring them: a row id, currency and percent text, a city column with stray case and
    spaces and missing values, day-first dates, yes/no text, a free-text note, a constant and an empty column,
    numbers mixed with words, missing ages; target ``Churn`` ("churned"/"stayed", a few rows missing)."""
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 80, n_rows).astype(float)
    income = rng.lognormal(10, 0.6, n_rows)
    city = rng.choice(np.array(["Paris", "paris ", "Lyon", "Marseille", "Nice", None], dtype=object), n_rows,
                      p=[0.3, 0.05, 0.25, 0.2, 0.15, 0.05])
    signup = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 1500, n_rows), unit="D")
    score = 0.04 * (age - 45) + 0.8 * np.log(income / 22000) + (city == "Lyon") * 0.7 + rng.normal(0, 1, n_rows)
    frame = pd.DataFrame({
        "Customer ID": [f"C{100000 + i}" for i in range(n_rows)],
        "Âge (years)": age,
        "Income": [f"${v:,.2f}" for v in income],
        "discount": [f"{v:.0f}%" for v in rng.uniform(0, 30, n_rows)],
        "City": city,
        "signup date": signup.strftime("%d/%m/%Y"),
        "vip": rng.choice(["yes", "no", "Yes", "NO"], n_rows),
        "notes": rng.choice(["called twice about billing", "happy customer", "asked for refund on the order", "",
                             "n/a"], n_rows),
        "constant": 1,
        "empty": np.nan,
        "mixed": rng.choice(["1", "2", "three", "4", "?"], n_rows),
        "Churn": np.where(score > 0.3, "churned", "stayed").astype(object),
    })
    frame.loc[rng.choice(n_rows, 40, replace=False), "Âge (years)"] = np.nan
    frame.loc[rng.choice(n_rows, 5, replace=False), "Churn"] = None
    return frame
