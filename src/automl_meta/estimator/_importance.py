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
    #: a ``quality="best"`` fit's bags: their (train, test) folds, and each member's fold models (None for a
    #: member not bagged); where the importance's folds are these, its fold models are these, not fitted again
    bags: tuple | None = None


def permutation_importances(estimator, X: pd.DataFrame, y, metric, n_repeats: int, random_state,
                            max_rows: int | None) -> pd.DataFrame:
    """One row per column of ``X``, most important first: ``importance`` (the mean drop of ``metric`` when
    the column is shuffled, in the metric's units), ``std`` over the ``n_repeats`` shuffles, and ``low`` and
    ``high``, the mean's 95% interval (mean ± 1.96 std / sqrt(n_repeats)). As scikit-learn's
    ``permutation_importance`` (the scorer called on the estimator, on at most ``max_rows`` rows: a seeded
    sample, the drop is a mean over rows), but with the shuffled copies predicted in batches
    (:func:`shuffled_scores`)."""
    from sklearn.metrics import get_scorer

    rng = np.random.default_rng(random_state)
    y = pd.Series(np.asarray(y))
    if max_rows is not None and len(X) > max_rows:
        keep = np.sort(rng.choice(len(X), max_rows, replace=False))
        X, y = X.iloc[keep], y.iloc[keep]
    X, y = X.reset_index(drop=True), y.reset_index(drop=True)
    scorer, n = get_scorer(metric), len(X)  # a scorer's name, or the user's scorer as it is

    def scores_of(batch: pd.DataFrame, copies: int) -> list:
        if not hasattr(scorer, "_response_method"):  # a scorer of the user's own may read X: one copy at a time
            return [scorer(estimator, batch.iloc[b * n:(b + 1) * n].reset_index(drop=True), y) for b in range(copies)]
        answers = _BatchAnswers(estimator, batch, n)
        return [scorer(answers.copy(b), X, y) for b in range(copies)]

    shuffles = [(j, rng.permutation(n)) for j in range(X.shape[1]) for _ in range(n_repeats)]
    drops = scorer(estimator, X, y) - shuffled_scores(X, shuffles, scores_of)
    return _frame(X.columns, drops.reshape(X.shape[1], n_repeats), n_repeats)


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
    # each member's fold models, fitted as the trials fitted them (an MLP's folds at once), or its bag's
    bagged = _bagged_over(rows, folds) if len(sample) == task.n_rows else [None] * len(rows.members)
    by_member = [models or fit_fold_models(build_for(rows, len(X)), strategy, X, y, folds, rows.n_jobs, weights)
                 for (strategy, _), models in zip(rows.members, bagged)]
    rng = np.random.default_rng(random_state)
    drops = np.zeros((X.shape[1], n_repeats))
    for f, (_, test) in enumerate(folds):
        fold_members = [models[f] for models in by_member]
        model = (EnsembleModel(fold_members, [w for _, w in rows.members], classes) if rows.stacker is None
                 else StackedModel(fold_members, rows.stacker, classes))
        fold = _FoldScore(model, X.iloc[test].reset_index(drop=True), y.to_numpy()[test], classes,
                          None if weights is None else weights[test], task.scoring)
        # the permutations drawn in the order of one shuffle at a time (column, then repeat), as before batching
        shuffles = [(j, rng.permutation(len(test))) for j in range(X.shape[1]) for _ in range(n_repeats)]
        drops += (fold.score(fold.predictions(fold.X)) - shuffled_scores(fold.X, shuffles, fold.scores_of)).reshape(
            drops.shape) / len(folds)
    return _frame(X.columns, drops, n_repeats)


def _bagged_over(rows: TrainingRows, folds) -> list:
    """Each member's fold models where the fit bagged it over these very ``folds`` (the same models as fitting
    them again would make: the same strategy, rows, seed and build), else None."""
    if rows.bags is None:
        return [None] * len(rows.members)
    bag_folds, models = rows.bags
    same = len(bag_folds) == len(folds) and all(np.array_equal(a, c) and np.array_equal(b, d)
                                                 for (a, b), (c, d) in zip(bag_folds, folds))
    return list(models) if same else [None] * len(rows.members)


#: Cells (rows x columns) of the shuffled copies of the scored rows predicted in one call: a prediction call
#: costs milliseconds whatever its rows (a pipeline's column encoding, a forest's thread pool), so one call per
#: shuffle made a CLI fit's importance 34 s of predictions for 5 folds x 13 columns x 3 shuffles of 180 rows
#: (an ensemble of 5, one a 457-tree forest); batched, one call per fold at that size. The caps bound the memory
#: of wide tables (5,000,000 cells: about 40 MB of float64) and of what a model makes of its rows (a one-hot
#: encoding, a network's activations: 100,000 rows).
BATCH_CELLS = 5_000_000
BATCH_ROWS = 100_000


def shuffled_scores(X: pd.DataFrame, shuffles: list, scores_of) -> np.ndarray:
    """The score of ``X`` with, for each ``(column position, permutation)`` of ``shuffles``, that column's values
    permuted: the shuffled copies are stacked (:func:`stacked_copies`), as many a batch as :data:`BATCH_CELLS`
    and :data:`BATCH_ROWS` hold, and ``scores_of(batch, copies)`` returns each copy's score (a model's prediction
    of a row depends on that row alone, so a batch's predictions are those of its copies one by one)."""
    per_call = max(1, min(BATCH_CELLS // max(1, X.shape[0] * X.shape[1]), BATCH_ROWS // max(1, X.shape[0])))
    scores = []
    for first in range(0, len(shuffles), per_call):
        batch = shuffles[first:first + per_call]
        scores += scores_of(stacked_copies(X, batch), len(batch))
    return np.asarray(scores, dtype=float)


def stacked_copies(X: pd.DataFrame, shuffles: list) -> pd.DataFrame:
    """``len(shuffles)`` copies of ``X`` one under the other, the b-th with column ``shuffles[b][0]`` (a position)
    in the order of permutation ``shuffles[b][1]``; each column keeps its dtype (categories, dates)."""
    n, copies = len(X), len(shuffles)
    unshuffled = np.tile(np.arange(n), copies)
    order = {}
    for b, (j, permutation) in enumerate(shuffles):
        rows = order.setdefault(j, unshuffled.copy())
        rows[b * n:(b + 1) * n] = permutation
    return pd.concat([X.iloc[:, j].take(order.get(j, unshuffled)).reset_index(drop=True) for j in range(X.shape[1])],
                     axis=1)


class _BatchAnswers:
    """An estimator's answers to a batch of stacked copies (``predict``, ``predict_proba``, ...), each computed
    once, when a scorer first asks for it; ``copy(b)`` is what a scikit-learn scorer calls in the estimator's
    place to score the b-th copy: those answers' rows of that copy, and the estimator's own attributes
    (``classes_``, its tags) for everything else."""

    def __init__(self, estimator, batch: pd.DataFrame, n_rows: int):
        self.estimator, self.batch, self.n_rows, self._answers = estimator, batch, n_rows, {}

    def rows(self, method: str, copy: int):
        if method not in self._answers:
            self._answers[method] = getattr(self.estimator, method)(self.batch)
        return self._answers[method][copy * self.n_rows:(copy + 1) * self.n_rows]

    def copy(self, b: int) -> "_CopyAnswers":
        return _CopyAnswers(self, b)


class _CopyAnswers:
    _METHODS = ("predict", "predict_proba", "predict_log_proba", "decision_function")

    def __init__(self, batch: _BatchAnswers, copy: int):
        self._batch, self._copy = batch, copy

    def __getattr__(self, name):
        estimator = self._batch.estimator
        if name not in self._METHODS or not hasattr(estimator, name):
            return getattr(estimator, name)

        def answer(X=None):  # the scorer's X is the copy: the batch's answers to its rows
            return self._batch.rows(name, self._copy)

        answer.__name__ = name  # scikit-learn's scorers call a response method by its name
        return answer


@dataclass(frozen=True)
class _FoldScore:
    """A fold's model and test rows: ``score`` is the trials' metric of its predictions, ``scores_of`` that of
    each copy of its test rows stacked in a batch (:func:`shuffled_scores`)."""

    model: object
    X: pd.DataFrame
    y: np.ndarray
    classes: list | None
    weights: np.ndarray | None
    scoring: object

    def predictions(self, X: pd.DataFrame) -> np.ndarray:
        from automl_meta.evaluate import predict_for_scoring

        return predict_for_scoring(self.model, X, self.classes)

    def score(self, predicted: np.ndarray) -> float:
        from automl_meta.evaluate import score_predictions

        return score_predictions(self.scoring, self.y, predicted, self.classes, self.weights)

    def scores_of(self, batch: pd.DataFrame, copies: int) -> list:
        n, predicted = len(self.X), self.predictions(batch)
        return [self.score(predicted[b * n:(b + 1) * n]) for b in range(copies)]


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
