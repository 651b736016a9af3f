"""The one seeded row subsample used everywhere: stratified by class for classification."""

from __future__ import annotations

import numpy as np


def stratified_subsample(y, max_rows: int, *, classification: bool = True, random_state=None,
                         min_per_class: int = 2) -> np.ndarray:
    """At most about ``max_rows`` sorted row indices of ``y``, seeded.

    For classification each class keeps its share of the rows, and at least ``min_per_class`` of them when it
    has that many (so every class stays present: a fold or a landmarker never meets a class it has not seen);
    for regression the rows are drawn uniformly. All rows when there are at most ``max_rows``.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Class labels (or codes) for classification; anything of the right length for regression.
    max_rows : int
    classification : bool, default=True
    random_state : int, numpy.random.Generator or None
        A Generator is used as it is (and advanced), so a caller can draw several subsamples from one stream.
    min_per_class : int, default=2

    Returns
    -------
    numpy.ndarray of int
    """
    y = np.asarray(y)
    n = len(y)
    if n <= max_rows:
        return np.arange(n)
    rng = np.random.default_rng(random_state)
    if not classification:
        return np.sort(rng.choice(n, max_rows, replace=False))
    _, codes = np.unique(y, return_inverse=True)
    chosen = []
    for c in np.unique(codes):
        members = np.flatnonzero(codes == c)
        take = min(len(members), max(min_per_class, int(round(max_rows * len(members) / n))))
        chosen.append(rng.choice(members, take, replace=False))
    return np.sort(np.concatenate(chosen))
