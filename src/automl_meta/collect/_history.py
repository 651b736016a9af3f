"""An Optuna study that knows a task's stored evaluations, for proposing its next task-specific strategies."""

from __future__ import annotations

import json
import math
import warnings

import pandas as pd

from automl_meta.space import FAMILIES, Strategy


def _trial_for(strategy: Strategy, status: str, score, families):
    """A finished Optuna trial for a stored evaluation, as ``suggest`` would have named its parameters."""
    import optuna

    dists = {"family": optuna.distributions.CategoricalDistribution(list(families))}
    for name, spec in FAMILIES[strategy.family].params.items():
        dists[f"{strategy.family}.{name}"] = spec.distribution()
    params = strategy.to_trial_params()
    if status == "ok" and score is not None and math.isfinite(score):
        return optuna.trial.create_trial(params=params, distributions=dists, value=float(score))
    return optuna.trial.create_trial(params=params, distributions=dists, state=optuna.trial.TrialState.FAIL)


def study_from_evaluations(stored: pd.DataFrame, families, seed: int):
    """An in-memory study (seeded multivariate TPE with the constant liar, so that several proposals asked
    before any is told differ) holding every stored evaluation of the task whose family is searched."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        sampler = optuna.samplers.TPESampler(seed=seed, multivariate=True, group=True, n_startup_trials=0, constant_liar=True)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    for family, params, status, score in stored[["family", "params", "status", "score"]].itertuples(index=False):
        if family in families:  # everything known about this task guides the sampler
            study.add_trial(_trial_for(Strategy(family, json.loads(params)), status, score, families))
    return study
