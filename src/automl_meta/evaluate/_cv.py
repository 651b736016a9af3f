"""Cross-validated scoring of a strategy on a task, in the current process."""

from __future__ import annotations

import math
import re
import time
import traceback

import numpy as np

from automl_meta._internal._threads import quiet_fit
from automl_meta.evaluate._result import ERROR, NAN, OK, TIMEOUT, Evaluation
from automl_meta.space import Strategy

_MAX_ERROR_CHARS = 2000
_NON_FINITE_INPUT = re.compile(r"contains (NaN|infinity)", re.IGNORECASE)


def splitter(task, cv: int, random_state: int):
    """Stratified k-fold for classes, k-fold for regression; their group variants when the task has groups."""
    from sklearn.model_selection import GroupKFold, KFold, StratifiedGroupKFold, StratifiedKFold

    if task.groups is not None:
        if task.is_classification:
            return StratifiedGroupKFold(n_splits=cv, shuffle=True, random_state=random_state)
        return GroupKFold(n_splits=cv, shuffle=True, random_state=random_state)
    if task.is_classification:
        return StratifiedKFold(n_splits=cv, shuffle=True, random_state=random_state)
    return KFold(n_splits=cv, shuffle=True, random_state=random_state)


def row_subsample(task, max_rows: int | None, random_state: int) -> np.ndarray:
    """Rows used for the evaluation: all, or a seeded subsample (stratified, every class kept)."""
    from automl_meta.data import stratified_subsample

    if max_rows is None or task.n_rows <= max_rows:
        return np.arange(task.n_rows)
    return stratified_subsample(task.y.to_numpy(), max_rows, classification=task.is_classification, random_state=random_state)


def test_folds(task, cv: int | None, random_state: int, max_rows: int | None = None) -> list[np.ndarray]:
    """The test rows of each fold ``cross_validate`` uses (positions within its row subsample), so that
    out-of-fold predictions can be scored fold by fold as the evaluations were."""
    return [test for _, test in splits(task, cv, random_state, max_rows)]


def splits(task, cv: int | None, random_state: int, max_rows: int | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (train, test) rows of each fold ``cross_validate`` uses (positions within its row subsample): what
    fold models fitted outside an evaluation (bagged members, out-of-fold importance) are fitted and tested on."""
    rows = row_subsample(task, max_rows, random_state)
    return _folds(task, rows, int(cv or task.cv), random_state)


def _folds(task, rows, cv: int, random_state: int) -> list:
    """(train, test) positions (within ``rows``) of each fold of the task's ``rows``: the one split of the
    trials' cross-validation and of the out-of-fold scoring of ensembles (the splitters use only the rows'
    target, their groups and their number)."""
    if task.validation is not None:  # the given validation rows: one split
        validation = task.validation[rows]
        return [(np.flatnonzero(~validation), np.flatnonzero(validation))]
    y = task.y.iloc[rows].reset_index(drop=True)
    groups = None if task.groups is None else task.groups[rows]
    return list(splitter(task, cv, random_state).split(np.zeros((len(y), 1)), y, groups))


def cross_validate(
    strategy: Strategy,
    task,
    *,
    cv: int | None = None,
    time_limit: float | None = None,
    random_state: int = 0,
    device: str = "auto",
    n_jobs: int = 1,
    max_rows: int | None = None,
    keep_predictions: bool = False,
) -> Evaluation:
    """Score ``strategy`` on ``task`` by (stratified) k-fold cross-validation; never raises for a model's fault.

    The time limit is checked between folds here (a fold in progress cannot be interrupted in-process); the
    isolated :class:`~automl_meta.evaluate.Evaluator` enforces it exactly by ending the worker process. With
    ``keep_predictions`` each fold is scored from its predictions, which are kept as the evaluation's
    out-of-fold ``predictions`` (probabilities, not decision values: a ROC AUC can then differ from the
    default scoring by ties).
    """
    from automl_meta.models import adapt_to_device, build_model

    start = time.perf_counter()
    cv = int(cv or task.cv)
    rows = row_subsample(task, max_rows, random_state)
    X, y = task.X.iloc[rows].reset_index(drop=True), task.y.iloc[rows].reset_index(drop=True)
    weights = None if task.sample_weight is None else task.sample_weight[rows]
    result = Evaluation(strategy=strategy, metric=task.metric, status=OK, n_rows=len(rows))
    try:
        score_fold = _fold_scorer(task, len(rows), keep_predictions, result, weights)
        folds = _folds(task, rows, cv, random_state)
        # recorded as it runs: an MLP's batch on a GPU (on a fold's rows, as build_model adapts it)
        strategy = result.strategy = adapt_to_device(strategy, device, len(folds[0][0]))
        template = build_model(strategy, task.kind, n_rows=len(folds[0][0]), device=device, random_state=random_state, n_jobs=n_jobs)
        models = fold_models(template, X, y, folds, n_jobs, weights)
        for train, test in folds:
            if time_limit is not None and time.perf_counter() - start > time_limit:
                result.status, result.error = TIMEOUT, f"time limit of {time_limit:.3g} s reached after {len(result.fold_scores)} of {cv} folds"
                break
            model = next(models)
            with quiet_fit(n_jobs):
                try:
                    score = score_fold(model, X.iloc[test], y.iloc[test], test)
                except ValueError as exc:
                    if not _NON_FINITE_INPUT.search(str(exc)):
                        raise
                    # scikit-learn refuses to score NaN or infinite predictions: the model "returned NaN"
                    result.status, result.error = NAN, f"the model predicted non-finite values on fold {len(result.fold_scores) + 1}: {exc}"
                    break
            result.fold_scores.append(score)
            if not math.isfinite(score):
                result.status, result.error = NAN, f"the {task.metric} score of fold {len(result.fold_scores)} is {score}"
                break
    except Exception as exc:  # any failure of a model is a recorded result, never the caller's crash
        result.status = ERROR
        result.error = (f"{type(exc).__name__}: {exc}\n" + traceback.format_exc())[:_MAX_ERROR_CHARS]
    result.fit_seconds = time.perf_counter() - start
    if result.status == OK and time_limit is not None and result.fit_seconds > time_limit:
        result.status, result.error = TIMEOUT, f"took {result.fit_seconds:.3g} s, over the time limit of {time_limit:.3g} s"
    if result.status == OK:
        result.score = float(np.mean(result.fold_scores))
    else:
        result.predictions = None  # only a complete set of out-of-fold predictions is worth keeping
    return result


def fold_models(template, X, y, folds, n_jobs: int, weights=None):
    """The fitted model of each fold, in order, fitted when asked for (the time limit is checked between
    folds), with the rows' ``weights`` where the family takes them (``fit_model``); an MLP's folds are all
    fitted at the first ask, as one stacked network (``fit_pipelines_stacked``: the same models as fitted one
    by one, several times faster; unweighted, as an MLP is)."""
    from sklearn.base import clone

    from automl_meta.models import fit_model, fit_pipelines_stacked, is_stackable

    if is_stackable(template):
        yield from fit_pipelines_stacked(template, [(X.iloc[train], y.iloc[train]) for train, _ in folds], n_jobs)
        return
    for train, _ in folds:
        model = clone(template)
        with quiet_fit(n_jobs):
            fit_model(model, X.iloc[train], y.iloc[train], None if weights is None else weights[train])
        yield model


def _fold_scorer(task, n_rows: int, keep_predictions: bool, result: Evaluation, weights=None):
    """``score(model, X_test, y_test, test_rows)`` for the folds of one evaluation: the task's scikit-learn
    scorer on the model; or, keeping predictions, the scorer on the fold's predictions, stored into
    ``result.predictions`` at the fold's rows; weighted by the test rows' ``weights`` when given."""
    from sklearn.metrics import get_scorer

    from automl_meta.evaluate._predictions import predict_for_scoring, score_predictions

    classes = None if task.classes is None else list(task.classes)
    if not keep_predictions:
        scorer = get_scorer(task.scoring)

        def score_model(model, X_test, y_test, rows):
            weighted = {} if weights is None else {"sample_weight": weights[rows]}
            try:
                return float(scorer(model, X_test, y_test, **weighted))
            except ValueError as exc:
                if "Number of classes in y_true" not in str(exc):
                    raise
                # a fold of a subsample lacking a rare class: scored on the classes it has, as kept predictions are
                return score_predictions(task.scoring, y_test, predict_for_scoring(model, X_test, classes), classes,
                                         weighted.get("sample_weight"))

        return score_model
    shape = (n_rows,) if classes is None else (n_rows, len(classes))
    result.predictions = np.full(shape, np.nan, dtype=np.float32)

    def score(model, X_test, y_test, rows):
        predicted = predict_for_scoring(model, X_test, classes)
        result.predictions[rows] = predicted
        return score_predictions(task.scoring, y_test, predicted, classes,
                                 sample_weight=None if weights is None else weights[rows])

    return score
