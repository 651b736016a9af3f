"""The meta-feature vector: a fixed, ordered, versioned description of a task."""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from automl_meta._internal._warnings import warn
from automl_meta.metafeatures import _information, _landmarking, _simple, _statistical
from automl_meta.metafeatures._prepare import prepare

#: Bump whenever a feature is added, removed, reordered or computed differently: stored meta-features and
#: trained meta-models record it, and a mismatch is refused rather than silently misread.
VERSION = "1"

_GROUP_MODULES = {
    "simple": _simple,
    "statistical": _statistical,
    "information": _information,
    "landmarking": _landmarking,
}
#: Every feature name, in vector order.
FEATURE_NAMES: tuple[str, ...] = tuple(name for module in _GROUP_MODULES.values() for name in module.NAMES)
#: The group of each feature.
FEATURE_GROUPS: dict[str, str] = {name: group for group, m in _GROUP_MODULES.items() for name in m.NAMES}


@dataclass(frozen=True)
class MetaFeatures:
    """A task's meta-feature vector.

    Attributes
    ----------
    values : numpy.ndarray of shape (len(FEATURE_NAMES),)
        Finite floats, or NaN where a feature does not apply (class features of a regression task, numeric
        statistics of a task without numeric columns, ...).
    names : tuple of str
        The feature names, in order.
    version : str
        The meta-feature version the vector was computed with.
    seconds : float
        Wall-clock seconds ``compute`` took.
    """

    values: np.ndarray
    names: tuple[str, ...] = FEATURE_NAMES
    version: str = VERSION
    seconds: float = field(default=float("nan"), compare=False)

    def __post_init__(self):
        if len(self.values) != len(self.names):
            raise ValueError(f"{len(self.values)} values for {len(self.names)} meta-feature names")

    def __len__(self) -> int:
        return len(self.names)

    def __getitem__(self, name: str) -> float:
        try:
            return float(self.values[self.names.index(name)])
        except ValueError:
            raise KeyError(f"no meta-feature named {name!r}") from None

    def to_dict(self) -> dict[str, float]:
        return {n: float(v) for n, v in zip(self.names, self.values)}

    def to_series(self):
        import pandas as pd

        return pd.Series(self.values, index=list(self.names), name="value")

    @property
    def groups(self) -> dict[str, str]:
        return {n: FEATURE_GROUPS.get(n, "") for n in self.names}


def compute(task, random_state: int = 0) -> MetaFeatures:
    """Compute the meta-feature vector of a :class:`~automl_meta.data.Task`.

    Deterministic for a ``random_state``. Never raises on a valid task: a group that fails (which would be a
    bug, reported as a ``RuntimeWarning``) leaves its features NaN. Large tasks are subsampled as documented in
    :mod:`automl_meta.metafeatures._prepare`.

    Parameters
    ----------
    task : Task
        The task to describe.
    random_state : int, default=0
        Seed of the subsamples and of the landmarkers' folds.

    Returns
    -------
    MetaFeatures
    """
    start = time.perf_counter()
    values = dict.fromkeys(FEATURE_NAMES, np.nan)
    prep = prepare(task, random_state)
    for group, module in _GROUP_MODULES.items():
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                values.update(module.compute(prep))
        except Exception as exc:  # never fail the caller on a meta-feature; say so
            warn(f"meta-feature group {group!r} failed on task {task.name!r}: {exc!r}", RuntimeWarning)
    vector = np.array([values[n] for n in FEATURE_NAMES], dtype=float)
    vector[~np.isfinite(vector)] = np.nan
    return MetaFeatures(vector, seconds=time.perf_counter() - start)
