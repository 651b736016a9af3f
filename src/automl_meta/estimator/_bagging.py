"""Bagged members: a strategy fitted once per cross-validation fold on the fold's training rows, its predictions
the average of the fold models' (AutoGluon's k-fold bagging). Each fold model saw (k-1)/k of the rows, and
together their predictions of new rows vary as the out-of-fold predictions that chose them did; a bagged member
is measured to score better on unseen rows than one model refitted on every row, for k times the prediction
cost and size (``benchmarks/results/ensemble_v2.md``).
"""

from __future__ import annotations

import pandas as pd

from automl_meta._internal._threads import quiet_fit


def fit_fold_models(build, strategy, X: pd.DataFrame, y: pd.Series, folds, n_jobs: int, weights=None) -> list:
    """``strategy``'s model (``build(strategy, n_rows=...)``) fitted on the training rows of each of ``folds``
    ((train, test) positions in ``X``), in fold order, as the trials fit theirs (an MLP's folds at once, as one
    stacked network); built for a fold's rows, as the trials' are (k-NN's neighbours are capped at them)."""
    from automl_meta.evaluate import fold_models

    with quiet_fit(n_jobs):
        template = build(strategy, n_rows=min(len(train) for train, _ in folds))
        return list(fold_models(template, X, y, folds, n_jobs, weights))


def bagged_model(build, strategy, X: pd.DataFrame, y: pd.Series, folds, n_jobs: int, weights=None, classes=None):
    """``strategy`` bagged over ``folds``: the equally weighted average of its fold models."""
    from automl_meta.estimator._ensemble import EnsembleModel

    models = fit_fold_models(build, strategy, X, y, folds, n_jobs, weights)
    return EnsembleModel(models, [1.0] * len(models), classes)


def bagged_fold_models(members: list, folds) -> tuple:
    """For each of a final model's ``members``, its fold models where it is bagged over ``folds`` (one model per
    fold, in fold order: ``bagged_model``'s), else None (a member refitted on every row)."""
    from automl_meta.estimator._ensemble import EnsembleModel

    return tuple(list(m.models) if isinstance(m, EnsembleModel) and len(m.models) == len(folds) else None
                 for m in members)


def refitted_on_every_row(rows):
    """The final model of a fit (``TrainingRows``: its members, weights or stacker) with each member fitted once
    on every row instead of bagged: AutoGluon's ``refit_full``, a model ``cv`` times lighter to keep and to
    predict with, whose members' scores were measured by cross-validation, not on unseen rows."""
    from automl_meta.estimator._ensemble import EnsembleModel
    from automl_meta.estimator._final import RefitCache  # (imports this module: here, not at the top)
    from automl_meta.estimator._importance import build_for
    from automl_meta.estimator._stacking import StackedModel

    task = rows.task
    refits = RefitCache(build_for(rows, task.n_rows), task.X, task.y, rows.n_jobs, task.sample_weight)
    models = [refits.fit(strategy)[0] for strategy, _ in rows.members]
    classes = None if task.classes is None else list(task.classes)
    if rows.stacker is not None:
        return StackedModel(models, rows.stacker, classes)
    if len(models) == 1:
        return models[0]
    return EnsembleModel(models, [w for _, w in rows.members], classes)
