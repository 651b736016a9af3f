"""The candidate pool: the strategies ``recommend`` chooses among, prepared once.

A recommendation scores every candidate (about 17,000: every distinct strategy of the meta-dataset and 256
fresh Sobol samples) and returns five. Building a :class:`~automl_meta.space.Strategy` validates its values and
hashing it serialises it to JSON: done for every candidate on every call, that was most of a second. The pool
keeps what a query needs as arrays, computed when the meta-model is trained and saved with it: the encodings,
the keys, the family of each, the few hyperparameters the time limits read, and the JSON of each strategy,
from which a :class:`Strategy` is built only for the candidates actually returned.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np

#: The hyperparameters that ``_timing`` reads to bound an MLP's or a forest's predicted seconds; kept as columns
#: (NaN where a family lacks one) so that the bounds are vectorized over the pool.
TIMING_PARAMS = ("depth", "width", "batch_size", "max_epochs", "min_samples_leaf", "max_features", "n_estimators",
                 "num_leaves", "min_child_samples", "max_leaf_nodes", "max_iter", "early_stopping")

#: Fresh samples in the default pool: seeded Sobol points of every family, strategies no task has scored yet.
N_FRESH = 256


class CandidatePool(Sequence):
    """Strategies as arrays: ``encodings`` (n, encoding) float32, ``keys`` (n,) ``Strategy.key``, ``families``
    (n,) family names, ``params[name]`` (n,) float for :data:`TIMING_PARAMS`, and each strategy's JSON.

    Indexing gives a :class:`~automl_meta.space.Strategy`, built on first use and kept."""

    def __init__(self, specs: np.ndarray, encodings: np.ndarray, keys: np.ndarray, families: np.ndarray,
                 params: dict[str, np.ndarray]):
        self.specs = specs
        self.encodings = np.asarray(encodings, dtype=np.float32)
        self.keys = np.asarray(keys).astype(str)
        self.families = np.asarray(families).astype(str)
        self.params = params
        self._built: dict[int, object] = {}
        self._order = None  # the keys' sort order, for index_of

    @classmethod
    def build(cls, strategies) -> "CandidatePool":
        """From a list of strategies (without repeats)."""
        from automl_meta.space import encode_many

        strategies = list(strategies)
        pool = cls(np.array([s.to_json().encode() for s in strategies], dtype=bytes),
                   encode_many(strategies), np.array([s.key for s in strategies], dtype=str),
                   np.array([s.family for s in strategies], dtype=str),
                   {name: np.array([float(s.params.get(name, np.nan)) for s in strategies]) for name in TIMING_PARAMS})
        pool._built = dict(enumerate(strategies))
        return pool

    @classmethod
    def default(cls, stored, n_fresh: int = N_FRESH, random_state: int = 0) -> "CandidatePool":
        """``stored`` (distinct strategies, in order) plus ``n_fresh`` Sobol samples of every family."""
        return cls.build(stored).with_fresh(n_fresh, random_state)

    def with_fresh(self, n_fresh: int, random_state: int = 0) -> "CandidatePool":
        """This pool, then the ``n_fresh`` seeded Sobol samples of every family that it does not hold already."""
        from automl_meta.space import FAMILIES, sample

        known, fresh = set(self.keys), []
        for s in sample(n_fresh, families=list(FAMILIES), random_state=random_state, method="sobol") if n_fresh else []:
            if s.key not in known:
                known.add(s.key)
                fresh.append(s)
        return self.concat(CandidatePool.build(fresh)) if fresh else self

    # -- persistence ----------------------------------------------------------------------------------------
    def arrays(self, prefix: str = "pool.") -> dict[str, np.ndarray]:
        out = {f"{prefix}specs": self.specs, f"{prefix}encodings": self.encodings,
               f"{prefix}keys": self.keys.astype("S"), f"{prefix}families": self.families.astype("S")}
        out.update({f"{prefix}param.{name}": values for name, values in self.params.items()})
        return out

    @classmethod
    def from_arrays(cls, arrays, prefix: str = "pool.") -> "CandidatePool":
        specs, families = arrays[f"{prefix}specs"], arrays[f"{prefix}families"]
        params = {name: np.asarray(arrays[f"{prefix}param.{name}"], dtype=float) if f"{prefix}param.{name}" in arrays
                  else _read_param(specs, families, name) for name in TIMING_PARAMS}
        return cls(specs, arrays[f"{prefix}encodings"], arrays[f"{prefix}keys"], families, params)

    # -- access ---------------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.keys)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        i = int(i)
        if i < 0:
            i += len(self)
        strategy = self._built.get(i)
        if strategy is None:
            from automl_meta.space import Strategy

            strategy = self._built[i] = Strategy.from_dict(json.loads(self.specs[i]))
        return strategy

    def __eq__(self, other) -> bool:
        if isinstance(other, CandidatePool):
            return np.array_equal(self.keys, other.keys)
        if isinstance(other, (list, tuple)):
            return len(other) == len(self) and all(getattr(s, "key", None) == k for s, k in zip(other, self.keys))
        return NotImplemented

    __hash__ = None

    def take(self, index) -> "CandidatePool":
        """The candidates at ``index`` (an integer array or a boolean mask), as a pool."""
        index = np.asarray(index)
        if index.dtype == bool:
            index = np.flatnonzero(index)
        sub = CandidatePool(self.specs[index], self.encodings[index], self.keys[index], self.families[index],
                            {name: values[index] for name, values in self.params.items()})
        if self._built:  # the strategies built already stay built (matched through the positions, vectorized)
            built = np.fromiter(self._built, dtype=int, count=len(self._built))
            at = np.flatnonzero(np.isin(index, built))
            sub._built = {int(p): self._built[int(index[p])] for p in at}
        return sub

    def concat(self, other: "CandidatePool") -> "CandidatePool":
        """This pool's candidates, then ``other``'s."""
        joined = CandidatePool(np.concatenate([self.specs, other.specs]), np.vstack([self.encodings, other.encodings]),
                               np.concatenate([self.keys, other.keys]), np.concatenate([self.families, other.families]),
                               {n: np.concatenate([self.params[n], other.params[n]]) for n in TIMING_PARAMS})
        joined._built = {**self._built, **{len(self) + i: s for i, s in other._built.items()}}
        return joined

    def mask(self, families) -> np.ndarray:
        """Which candidates are of one of ``families``."""
        return np.isin(self.families, list(families))

    def index_of(self, keys) -> np.ndarray:
        """Positions of the strategies with these keys (-1 where none)."""
        if self._order is None:
            self._order = np.argsort(self.keys)
        order = self._order
        keys = np.asarray(list(keys), dtype=str)
        if not len(keys):
            return np.zeros(0, dtype=int)
        at = np.clip(np.searchsorted(self.keys, keys, sorter=order), 0, len(order) - 1)
        found = self.keys[order[at]] == keys
        return np.where(found, order[at], -1)


def _read_param(specs, families, name: str) -> np.ndarray:
    """Hyperparameter ``name`` of each candidate (NaN where its family has none), read from the specs: a pool
    saved before ``name`` joined :data:`TIMING_PARAMS`. Only the families that have it are parsed (LightGBM's
    and HistGradientBoosting's ~2,000 of 17,435 candidates: ~20 ms)."""
    from automl_meta.space import FAMILIES

    out = np.full(len(specs), np.nan)
    having = [f for f, family in FAMILIES.items() if name in family.params]
    for i in np.flatnonzero(np.isin(np.asarray(families).astype(str), having)):
        out[i] = float(json.loads(specs[i])["params"].get(name, np.nan))
    return out
