"""A :class:`Strategy` (a family with all its hyperparameters), its Optuna form and its numeric encoding."""

from __future__ import annotations

import difflib
import hashlib
import json
import math
from dataclasses import dataclass, field

import numpy as np

from automl_meta.errors import ConfigError
from automl_meta.space._families import FAMILIES, available_families

# The learning rate is also encoded on one scale shared by every family, so that "a small learning rate"
# means the same to the meta-model whichever family it belongs to.
_LR_LOG10_RANGE = (-4.0, 0.0)


def _family(name: str):
    try:
        return FAMILIES[name]
    except KeyError:
        close = difflib.get_close_matches(str(name), list(FAMILIES), n=2)
        hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
        raise ConfigError(f"Unknown model family {name!r}.{hint} Known families: {', '.join(FAMILIES)}.") from None


@dataclass(frozen=True)
class Strategy:
    """A model family with every hyperparameter set.

    ``Strategy("hist_gb", {"learning_rate": 0.05})`` fills the missing hyperparameters with the family's
    defaults and validates every value against the space; an unknown family or parameter, or a value out of
    range, raises :class:`~automl_meta.errors.ConfigError`.
    """

    family: str
    params: dict = field(default_factory=dict)

    def __post_init__(self):
        fam = _family(self.family)
        unknown = sorted(set(self.params) - set(fam.params))
        if unknown:
            raise ConfigError(
                f"Unknown hyperparameter(s) {', '.join(map(repr, unknown))} for family {self.family!r}. "
                f"Its hyperparameters are: {', '.join(fam.params)}."
            )
        full = {name: spec.validate(name, self.params.get(name, spec.default)) for name, spec in fam.params.items()}
        object.__setattr__(self, "params", full)

    # -- identity -------------------------------------------------------------------------------------------
    @property
    def key(self) -> str:
        """A short stable hash of the family and its parameters (floats rounded to 6 significant digits)."""
        return hashlib.sha1(self.to_json().encode()).hexdigest()[:16]

    def to_dict(self) -> dict:
        return {"family": self.family, "params": {k: _canonical(v) for k, v in sorted(self.params.items())}}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict) -> "Strategy":
        if not isinstance(data, dict) or "family" not in data:
            raise ConfigError(f"A strategy is a mapping with 'family' and 'params'; got {data!r}.")
        return cls(data["family"], dict(data.get("params") or {}))

    @classmethod
    def from_json(cls, text: str) -> "Strategy":
        return cls.from_dict(json.loads(text))

    @classmethod
    def default(cls, family: str) -> "Strategy":
        return cls(family, {})

    def __hash__(self):
        return hash(self.to_json())

    def __eq__(self, other):
        return isinstance(other, Strategy) and self.to_json() == other.to_json()

    def __str__(self) -> str:
        parts = ", ".join(f"{k}={_short(v)}" for k, v in self.params.items())
        return f"{self.family}({parts})"

    # -- Optuna ---------------------------------------------------------------------------------------------
    def to_trial_params(self) -> dict:
        """The parameters of this strategy as :func:`suggest` names them (for ``study.enqueue_trial``)."""
        return {"family": self.family, **{f"{self.family}.{k}": v for k, v in self.params.items()}}

    @classmethod
    def from_trial_params(cls, params: dict) -> "Strategy":
        family = params["family"]
        prefix = f"{family}."
        return cls(family, {k[len(prefix):]: v for k, v in params.items() if k.startswith(prefix)})


def _canonical(v):
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return float(f"{float(v):.6g}")
    return v


def _short(v) -> str:
    return f"{v:.3g}" if isinstance(v, float) else str(v)


def suggest(trial, families) -> Strategy:
    """Define-by-run: the family first, then that family's hyperparameters, named ``family.param``."""
    try:
        family = trial.suggest_categorical("family", list(families))
    except ValueError as exc:  # an enqueued trial (another process's warm start) of a family not searched here
        raise ConfigError(f"Trial {trial.number} of study {trial.study.study_name!r} was enqueued with a family this "
                          f"search does not include ({exc}). Processes sharing a study must search the same "
                          "families: give them the same families=.") from exc
    params = {name: spec.suggest(trial, f"{family}.{name}") for name, spec in FAMILIES[family].params.items()}
    return Strategy(family, params)


# -- numeric encoding ---------------------------------------------------------------------------------------
#: Names of the encoding's columns, in order: family one-hot, the common knobs, then each family's own.
ENCODING_NAMES: tuple[str, ...] = (
    *(f"family={f}" for f in FAMILIES),
    "has_learning_rate",
    "learning_rate_log10_scaled",
    "regularization_scaled",
    *(slot for fam in FAMILIES.values() for name, spec in fam.params.items() for slot in spec.slot_names(f"{fam.name}.{name}")),
)
_N_FAMILIES = len(FAMILIES)
_OFFSETS = {}
_pos = _N_FAMILIES + 3
for _fam in FAMILIES.values():
    _OFFSETS[_fam.name] = _pos
    _pos += sum(spec.width for spec in _fam.params.values())
del _pos, _fam


def encode(strategy: Strategy) -> np.ndarray:
    """A fixed-length vector in [0, 1] describing a strategy (``ENCODING_NAMES`` names its columns).

    Columns: the family, one-hot; whether it has a learning rate and its log10 on one scale shared by all
    families ([1e-4, 1] -> [0, 1]); its regularization strength scaled within its family's range (0 weakest,
    1 strongest); then every family's own hyperparameters scaled to [0, 1] (log scale where the space searches
    on one; categoricals one-hot), zero for the other families' slots.
    """
    fam = FAMILIES[strategy.family]
    vec = np.zeros(len(ENCODING_NAMES))
    vec[list(FAMILIES).index(fam.name)] = 1.0
    if fam.learning_rate:
        lo, hi = _LR_LOG10_RANGE
        vec[_N_FAMILIES] = 1.0
        vec[_N_FAMILIES + 1] = min(max((math.log10(strategy.params[fam.learning_rate]) - lo) / (hi - lo), 0.0), 1.0)
    if fam.regularization:
        t = fam.params[fam.regularization].encode(strategy.params[fam.regularization])[0]
        vec[_N_FAMILIES + 2] = t if fam.regularization_increasing else 1.0 - t
    pos = _OFFSETS[fam.name]
    for name, spec in fam.params.items():
        vec[pos : pos + spec.width] = spec.encode(strategy.params[name])
        pos += spec.width
    return vec


def encode_many(strategies) -> np.ndarray:
    strategies = list(strategies)
    if not strategies:
        return np.zeros((0, len(ENCODING_NAMES)))
    return np.vstack([encode(s) for s in strategies])


def decode(vector) -> Strategy:
    """The strategy an encoding describes: the family with the largest one-hot value, its own slots decoded."""
    vector = np.asarray(vector, dtype=float)
    if vector.shape != (len(ENCODING_NAMES),):
        raise ConfigError(f"A strategy encoding has {len(ENCODING_NAMES)} values; got shape {vector.shape}.")
    fam = list(FAMILIES.values())[int(np.argmax(vector[:_N_FAMILIES]))]
    pos = _OFFSETS[fam.name]
    params = {}
    for name, spec in fam.params.items():
        params[name] = spec.decode(vector[pos : pos + spec.width])
        pos += spec.width
    return Strategy(fam.name, params)


def sample(n: int, kind: str | None = None, families=None, random_state=0, method: str = "random") -> list[Strategy]:
    """``n`` strategies spread over the families (round robin), each family's parameters drawn uniformly in
    its encoded space: ``method="random"`` or ``"sobol"`` (a scrambled Sobol sequence per family, which covers
    the space more evenly for a fixed, shared design)."""
    families = list(families) if families is not None else available_families(kind)
    if not families:
        raise ConfigError("No model family to sample from: check the families and installed packages.")
    rng = np.random.default_rng(random_state)
    per_family = {f: n // len(families) + (1 if i < n % len(families) else 0) for i, f in enumerate(families)}
    out = []
    for family, count in per_family.items():
        if count == 0:
            continue
        fam = FAMILIES[family]
        width = sum(spec.width for spec in fam.params.values())
        if method == "sobol":
            from scipy.stats import qmc

            # Sobol' points are balanced in blocks of 2^m: draw the enclosing block, keep the first `count`
            points = qmc.Sobol(d=width, scramble=True, seed=rng).random_base2(max(0, math.ceil(math.log2(count))))[:count]
        else:
            points = rng.random((count, width))
        for row in points:
            pos, params = 0, {}
            for name, spec in fam.params.items():
                params[name] = spec.from_uniform(row[pos : pos + spec.width])
                pos += spec.width
            out.append(Strategy(family, params))
    return out


#: The smallest MLP batch a GPU trains: a step on a GPU costs about the same from batch 32 to 512 (it waits on
#: kernel launches, not arithmetic: 1.25 ms at width 128 / batch 128, 1.56 ms at 512 / 512 on an NVIDIA H200,
#: benchmarks/results/device_mlp.csv), so a batch of 512 passes over the data in about a quarter of batch
#: 128's time.
GPU_MIN_BATCH = 512

#: The GPU's batch only where each epoch still has this many steps of it (25,600 training rows): with fewer,
#: fewer steps cost accuracy (on 16 corpus tasks of at most 1,000 rows, 1-2 steps an epoch, it scored worse in
#: 20 of 31 strategies; on 8 tables of 40,000 rows it tied in 11 of 11: benchmarks/results/gpu_batch_*.md),
#: and on so few rows a GPU fit is quick anyway.
GPU_BATCH_MIN_STEPS = 50


def for_gpu(strategy: Strategy, n_rows: int | None = None) -> Strategy:
    """An MLP strategy as a GPU trains it on ``n_rows`` training rows: the batch raised to
    :data:`GPU_MIN_BATCH` and the learning rate scaled by the square root of the batch's growth (the
    square-root rule for Adam-type optimizers: Malladi et al., "On the SDEs and Scaling Rules for Adaptive
    Gradient Algorithms", NeurIPS 2022), held to the space's upper bound; the same epochs. Only where an epoch
    keeps :data:`GPU_BATCH_MIN_STEPS` steps of the new batch (``n_rows`` None: assumed so). Other families,
    smaller data and batches already that large are returned as they are. What it costs in accuracy, measured
    on the CPU: ``benchmarks/bench_gpu_batch.py``."""
    if strategy.family != "mlp":
        return strategy
    batch = int(strategy.params["batch_size"])
    if batch >= GPU_MIN_BATCH or (n_rows is not None and n_rows < GPU_BATCH_MIN_STEPS * GPU_MIN_BATCH):
        return strategy
    lr_high = FAMILIES["mlp"].params["learning_rate"].high
    lr = min(float(strategy.params["learning_rate"]) * (GPU_MIN_BATCH / batch) ** 0.5, lr_high)
    return Strategy(strategy.family, dict(strategy.params, batch_size=GPU_MIN_BATCH, learning_rate=lr))
