"""A sampler that lets the meta-model steer the model family after the warm starts.

TPE learns which family works on a task only from that task's own trials; after five warm starts it has little
to go on and spends its first trials across all families. The meta-model already believes some families suit
the task better. ``MetaGuidedSampler`` draws the ``family`` of a trial from that belief with probability
``guidance`` and leaves everything else (the other draws of the family, and every hyperparameter) to the base
sampler, so TPE still converges on what the task itself shows.
"""

from __future__ import annotations


import numpy as np
import optuna

from automl_meta.errors import ConfigError
from automl_meta.search._storage import default_sampler

FAMILY_PARAM = "family"


def family_weights(metamodel, metafeatures, kind: str, families=None, temperature: float = 0.02) -> dict[str, float]:
    """The meta-model's belief in each family for a task: a softmax, at ``temperature``, of the best
    predicted normalized score among the family's candidate strategies (the ones ``recommend`` chooses among;
    ``MetaModel.candidate_predictions`` keeps its last answer, so recommend and this predict once)."""
    if not temperature > 0:
        raise ConfigError(f"temperature must be positive; got {temperature!r}.")
    candidates, _, mean, _, _ = metamodel.candidate_predictions(metafeatures, kind, families=families)
    if not candidates:
        raise ConfigError("No candidate strategy is available for this task (check the installed families).")
    best = {}
    for c, m in zip(candidates, mean):
        best[c.family] = max(best.get(c.family, -np.inf), float(m))
    names = sorted(best)
    logits = np.array([best[f] for f in names]) / temperature
    p = np.exp(logits - logits.max())
    return dict(zip(names, (p / p.sum()).tolist()))


class MetaGuidedSampler(optuna.samplers.BaseSampler):
    """Optuna sampler: the ``family`` parameter from the meta-model's ``weights`` with probability ``guidance``,
    else (and every other parameter) from ``base_sampler``.

    Parameters
    ----------
    weights : dict of str to float
        Probability of each family (:func:`family_weights`); families missing from it are never forced.
    base_sampler : optuna.samplers.BaseSampler, optional
        Defaults to a seeded multivariate, grouped TPE, as in :func:`~automl_meta.search.search`.
    guidance : float, default=0.5
        Share of trials whose family the meta-model picks.
    seed : int, optional
    """

    def __init__(self, weights: dict, base_sampler=None, guidance: float = 0.5, seed: int | None = None):
        if not (0.0 <= guidance <= 1.0):
            raise ConfigError(f"guidance must be between 0 and 1; got {guidance!r}.")
        total = sum(max(float(w), 0.0) for w in weights.values())
        if not weights or not total > 0:
            raise ConfigError("weights must give at least one family a positive probability.")
        if base_sampler is None:
            base_sampler = default_sampler(seed)
        self._families = list(weights)
        self._p = np.array([max(float(weights[f]), 0.0) for f in self._families]) / total
        self._base = base_sampler
        self._guidance = float(guidance)
        self._rng = np.random.RandomState(seed)

    def _guided_family(self, choices) -> str | None:
        """A family from the weights (among ``choices``), or None when this trial is left to the base sampler."""
        if self._rng.random_sample() >= self._guidance:
            return None
        allowed = [i for i, f in enumerate(self._families) if f in set(choices)]
        if not allowed:
            return None
        p = self._p[allowed] / self._p[allowed].sum()
        return self._families[allowed[int(self._rng.choice(len(allowed), p=p))]]

    # -- Optuna's sampler interface ---------------------------------------------------------------------------
    def reseed_rng(self) -> None:
        self._base.reseed_rng()
        self._rng.seed()

    def infer_relative_search_space(self, study, trial):
        space = self._base.infer_relative_search_space(study, trial)
        space.pop(FAMILY_PARAM, None)  # the family is always sampled independently, here
        return space

    def sample_relative(self, study, trial, search_space):
        return self._base.sample_relative(study, trial, search_space)

    def sample_independent(self, study, trial, param_name, param_distribution):
        if param_name == FAMILY_PARAM and hasattr(param_distribution, "choices"):
            family = self._guided_family(param_distribution.choices)
            if family is not None:
                return family
        return self._base.sample_independent(study, trial, param_name, param_distribution)

    def before_trial(self, study, trial) -> None:
        self._base.before_trial(study, trial)

    def after_trial(self, study, trial, state, values) -> None:
        self._base.after_trial(study, trial, state, values)
