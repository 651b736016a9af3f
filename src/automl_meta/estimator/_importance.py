"""Permutation importance of a fitted model: how much its score drops when a column's values are shuffled.

Two sources of rows. Rows the user gives (held-out ones, ideally): the fitted model itself is scored, as
scikit-learn's ``permutation_importance`` does. No rows: the fit's own rows, out of fold — the final model's
members (their strategies and weights) are fitted again on each fold's training rows and the shuffles are scored
on the fold's test rows, with the folds and the metric the trials used, so that no row scores a model that saw it
(an overfitted column does not look important, as it does on the training rows).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from automl_meta.estimator._bagging import fit_fold_models


@dataclass(frozen=True)
class TrainingRows:
    """What out-of-fold importance needs of a fit: its task (the rows, their folds' groups or validation rows,
    weights and metric), the final model's members as ``(strategy, weight)`` pairs, the trials' folds and seed,
    and how its models are built. Kept in memory by the estimator after ``fit``; never saved with it (a model
    file keeps no training rows)."""

    task: object
    members: tuple
    cv: int
    seed: int
    device: str
    n_jobs: int
    #: a stack's stacker (fitted on every row's out-of-fold predictions), None: the members' weighted average
    stacker: object = None


def permutation_importances(estimator, X: pd.DataFrame, y, metric, n_repeats: int, random_state,
                            max_rows: int | None) -> pd.DataFrame:
    """One row per column of ``X``, most important first: ``importance`` (the mean drop of ``metric`` when
    the column is shuffled, in the metric's units), ``std`` over the ``n_repeats`` shuffles, and ``low`` and
    ``high``, the mean's 95% interval (mean ± 1.96 std / sqrt(n_repeats)). scikit-learn's
    ``permutation_importance`` on at most ``max_rows`` rows (a seeded sample: the drop is a mean over rows)."""
    from sklearn.inspection import permutation_importance
    from sklearn.metrics import get_scorer

    result = permutation_importance(estimator, X, y, scoring=get_scorer(metric), n_repeats=n_repeats,
                                    random_state=random_state, max_samples=min(len(X), max_rows or len(X)))
    return _frame(X.columns, result.importances, n_repeats)


def out_of_fold_importances(rows: TrainingRows, n_repeats: int, random_state, max_rows: int | None) -> pd.DataFrame:
    """As :func:`permutation_importances`, out of fold on the fit's own rows (a seeded stratified sample of at
    most ``max_rows``, as the trials' subsample is drawn): each fold's members fitted on its training rows, the
    drop of the fold's score (the trials' metric and weights) when a column of its test rows is shuffled,
    averaged over the folds as the trials' scores are. Columns are those the models see (a date column's parts
    are columns of their own)."""
    from automl_meta.estimator._ensemble import EnsembleModel
    from automl_meta.estimator._stacking import StackedModel
    from automl_meta.evaluate import row_subsample, splits

    task = rows.task
    sample = row_subsample(task, max_rows, rows.seed)
    X, y = task.X.iloc[sample].reset_index(drop=True), task.y.iloc[sample].reset_index(drop=True)
    weights = None if task.sample_weight is None else task.sample_weight[sample]
    classes = None if task.classes is None else list(task.classes)
    folds = splits(task, rows.cv, rows.seed, max_rows)
    # each member's fold models, fitted as the trials fitted them (an MLP's folds at once)
    by_member = [fit_fold_models(build_for(rows, len(X)), strategy, X, y, folds, rows.n_jobs, weights)
                 for strategy, _ in rows.members]
    rng = np.random.default_rng(random_state)
    drops = np.zeros((X.shape[1], n_repeats))
    for f, (_, test) in enumerate(folds):
        fold_members = [models[f] for models in by_member]
        model = (EnsembleModel(fold_members, [w for _, w in rows.members], classes) if rows.stacker is None
                 else StackedModel(fold_members, rows.stacker, classes))
        fold = _FoldScore(model, X.iloc[test].reset_index(drop=True), y.to_numpy()[test], classes,
                          None if weights is None else weights[test], task.scoring)
        baseline = fold.score(fold.X)
        for j, column in enumerate(X.columns):
            for r in range(n_repeats):
                shuffled = fold.X.copy()
                shuffled[column] = fold.X[column].to_numpy()[rng.permutation(len(shuffled))]
                drops[j, r] += (baseline - fold.score(shuffled)) / len(folds)
    return _frame(X.columns, drops, n_repeats)


@dataclass(frozen=True)
class _FoldScore:
    """A fold's model and test rows: ``score(X)`` is the trials' metric of its predictions of ``X``."""

    model: object
    X: pd.DataFrame
    y: np.ndarray
    classes: list | None
    weights: np.ndarray | None
    scoring: object

    def score(self, X: pd.DataFrame) -> float:
        from automl_meta.evaluate import predict_for_scoring, score_predictions

        predicted = predict_for_scoring(self.model, X, self.classes)
        return score_predictions(self.scoring, self.y, predicted, self.classes, self.weights)


def build_for(rows: TrainingRows, n_rows: int):
    """``build(strategy, n_rows=n_rows)``: the unfitted model of a strategy for so many training rows, as the fit
    built its models."""
    from automl_meta.models import build_model

    return lambda strategy, n_rows=n_rows: build_model(strategy, rows.task.kind, n_rows=n_rows, device=rows.device,
                                                       random_state=rows.seed, n_jobs=rows.n_jobs)


def _frame(columns, drops: np.ndarray, n_repeats: int) -> pd.DataFrame:
    mean, std = drops.mean(axis=1), drops.std(axis=1)
    half = 1.96 * std / np.sqrt(n_repeats)
    frame = pd.DataFrame({"importance": mean, "std": std, "low": mean - half, "high": mean + half},
                         index=pd.Index([str(c) for c in columns], name="feature"))
    return frame.sort_values("importance", ascending=False)
