"""Landmarking meta-features: out-of-fold scores of cheap learners on a stratified subsample.

Each learner is cross-validated with ``N_FOLDS`` folds on at most ``LANDMARK_ROWS`` rows (see ``_prepare``).
Classification scores are chance-corrected balanced accuracy, ``(bacc - 1/k) / (1 - 1/k)`` (0 = chance,
1 = perfect), so that tasks with different numbers of classes compare; regression scores are R² clipped at -1.
"""

from __future__ import annotations

import warnings

import numpy as np

from automl_meta.metafeatures._prepare import Prepared, category_codes

NAMES = (
    "lm_1nn",
    "lm_stump",
    "lm_tree",
    "lm_naive_bayes",
    "lm_linear",
    "lm_best",
    "lm_tree_minus_linear",
    "lm_1nn_minus_linear",
)

N_FOLDS = 3
TREE_DEPTH = 4


def _design_matrix(prep: Prepared) -> np.ndarray:
    """Numeric columns median-imputed plus categorical codes, standardized; rows = the landmark sample."""
    task = prep.task
    sample = task.X.iloc[prep.landmark_idx]
    blocks = []
    if task.numeric_columns:
        num = sample[task.numeric_columns].to_numpy(dtype=float, na_value=np.nan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns in a sample -> filled below
            med = np.nanmedian(num, axis=0)
        blocks.append(np.where(np.isnan(num), np.nan_to_num(med)[None, :], num))
    if task.categorical_columns:
        blocks.append(np.column_stack([category_codes(sample[c]) for c in task.categorical_columns]).astype(float))
    x = np.hstack(blocks)
    sd = x.std(axis=0)
    return (x - x.mean(axis=0)) / np.where(sd > 0, sd, 1.0)


def _learners(classification: bool, seed: int):
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.naive_bayes import GaussianNB
    from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    if classification:
        return {
            "lm_1nn": KNeighborsClassifier(n_neighbors=1, algorithm="brute"),
            "lm_stump": DecisionTreeClassifier(max_depth=1, random_state=seed),
            "lm_tree": DecisionTreeClassifier(max_depth=TREE_DEPTH, random_state=seed),
            "lm_naive_bayes": GaussianNB(),
            "lm_linear": LogisticRegression(C=1.0, max_iter=200),
        }
    return {
        "lm_1nn": KNeighborsRegressor(n_neighbors=1, algorithm="brute"),
        "lm_stump": DecisionTreeRegressor(max_depth=1, random_state=seed),
        "lm_tree": DecisionTreeRegressor(max_depth=TREE_DEPTH, random_state=seed),
        "lm_linear": Ridge(alpha=1.0),
    }


def _score(y: np.ndarray, pred: np.ndarray, classification: bool) -> float:
    if classification:
        classes = np.unique(y)
        recalls = [(pred[y == c] == c).mean() for c in classes]
        chance = 1.0 / len(classes)
        return (float(np.mean(recalls)) - chance) / (1.0 - chance)
    ss_res = float(((y - pred) ** 2).sum())
    ss_tot = float(((y - y.mean()) ** 2).sum())
    return max(1.0 - ss_res / ss_tot, -1.0) if ss_tot > 0 else np.nan


def compute(prep: Prepared) -> dict[str, float]:
    from sklearn.model_selection import KFold, StratifiedKFold

    task = prep.task
    classification = task.is_classification
    x = _design_matrix(prep)
    if classification:
        y = np.asarray(prep.task.y.iloc[prep.landmark_idx].factorize(sort=True)[0])
        min_count = np.bincount(y).min()
        n_folds = min(N_FOLDS, int(min_count))
        if n_folds < 2:
            return {}
        folds = StratifiedKFold(n_folds, shuffle=True, random_state=prep.rng_seed % 2**31).split(x, y)
    else:
        y = task.y.to_numpy(dtype=float)[prep.landmark_idx]
        folds = KFold(N_FOLDS, shuffle=True, random_state=prep.rng_seed % 2**31).split(x)
    folds = list(folds)
    out = {}
    for name, learner in _learners(classification, prep.rng_seed % 2**31).items():
        pred = np.empty(len(y), dtype=y.dtype)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # convergence warnings of the capped linear model
                for train, test in folds:
                    pred[test] = learner.fit(x[train], y[train]).predict(x[test])
        except Exception:  # a landmarker that cannot fit is a missing value, not a failure
            continue
        out[name] = _score(y, pred, classification)
    scores = [out[k] for k in ("lm_1nn", "lm_stump", "lm_tree", "lm_naive_bayes", "lm_linear") if k in out]
    if scores:
        out["lm_best"] = max(scores)
    if "lm_linear" in out:
        if "lm_tree" in out:
            out["lm_tree_minus_linear"] = out["lm_tree"] - out["lm_linear"]
        if "lm_1nn" in out:
            out["lm_1nn_minus_linear"] = out["lm_1nn"] - out["lm_linear"]
    return out
