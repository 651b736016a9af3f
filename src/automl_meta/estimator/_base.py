"""``AutoMetaClassifier`` and ``AutoMetaRegressor``: scikit-learn estimators over the warm-started search."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils._param_validation import HasMethods, Interval, InvalidParameterError, Options, StrOptions
from sklearn.utils.validation import check_is_fitted

from automl_meta._internal._byvalue import by_value, unwrapped
from automl_meta._internal._warnings import warn
from automl_meta._internal._threads import limit_threads
from automl_meta.errors import ConfigError, DataError
from automl_meta.estimator._costs import member_costs, with_costs
from automl_meta.estimator._importance import TrainingRows
from automl_meta.estimator._final import (END_SECONDS, FinalModel, RefitCache, pool_members, with_better_trial,
                                          with_ensemble, with_stack)
from automl_meta.estimator._threshold import choose_threshold, decision_weights, is_thresholded
from automl_meta.estimator._refit import (RefitPlan, import_in_background, import_seconds, more_rows,
                                          probe_trees, probed_rows, search_rows, searched_families, subsample_folds)
from automl_meta.estimator._plateau import PlateauStop

log = logging.getLogger("automl_meta.estimator")

#: Trials of a fit given neither ``n_trials`` nor ``time_budget``.
DEFAULT_N_TRIALS = 30
#: Given neither ``time_budget`` nor ``time_limit``, warm starts are chosen among the strategies predicted to
#: cross-validate within this many seconds on the trials' rows: unbounded, the best-predicted strategy on a
#: large table can be an MLP of several minutes per fit where a boosted model does as well in seconds.
WARM_START_SECONDS = 60.0
# The refits a budgeted search with an ensemble keeps time for (the best strategy and the next ones, the likely
# members).
_LIKELY_MEMBERS = 3
#: Given no time budget and no time limit per trial, a fit whose study other processes share waits at most this
#: many seconds for the trials they are running, so that processes ending together choose from the same trials.
SHARED_WAIT_SECONDS = 60.0
# After the refit, time left over (at least _TOP_UP_MIN_SECONDS) goes to more trials.
_TOP_UP_MIN_SECONDS = 0.5
# When no trial finished, the fallback is the first of this many recommendations predicted to fit the time left.
FALLBACK_CANDIDATES = 5
#: Rows a booster grown in a refit on a subsample stops on, from the rows the subsample left out (HeldOutStopping
#: holds out at most as many of its own).
STOPPING_ROWS = 20_000


@dataclass(frozen=True)
class _Setting:
    """What one fit decided before its search, and the steps after it read: the folds of each trial, the rows
    each trial scores strategies on, and this machine's speed."""

    cv: int
    search_rows: int
    machine_factor: float


@dataclass(frozen=True)
class _Found:
    """What the search and the steps after it found, for ``fit`` to set as fitted attributes."""

    metafeatures: object
    recommendations: list
    warm_starts: list
    study: object
    leaderboard: pd.DataFrame
    final: FinalModel
    threshold: float | None


def _as_frame(array) -> pd.DataFrame:
    return pd.DataFrame(array, columns=[f"x{i}" for i in range(array.shape[1])]).infer_objects()


def _with_validation_rows(frame: pd.DataFrame, y, X_val, y_val, groups):
    """(X and X_val's rows, y and y_val, the mask of the validation rows); a clear error when only one of X_val
    and y_val is given, when their columns differ from X's, or with groups."""
    if X_val is None or y_val is None:
        raise ConfigError(f"Give both X_val and y_val (got only {'X_val' if y_val is None else 'y_val'}), or neither.")
    if groups is not None:
        raise ConfigError("Give groups= or X_val/y_val, not both: validation data is one split of its own.")
    val = X_val if isinstance(X_val, pd.DataFrame) else _as_frame(np.asarray(X_val))
    if val.shape[1] != frame.shape[1] or (isinstance(X_val, pd.DataFrame) and list(map(str, val.columns)) != list(map(str, frame.columns))):
        missing = [str(c) for c in frame.columns if c not in val.columns]
        extra = [str(c) for c in val.columns if c not in frame.columns]
        raise DataError(f"X_val has {val.shape[1]} columns, X has {frame.shape[1]}"
                        + (f"; missing from X_val: {missing[:5]}" if missing else "")
                        + (f"; not in X: {extra[:5]}" if extra else "")
                        + ". Give X_val the columns of X, in the same order.")
    y_val = pd.Series(np.asarray(y_val))
    if len(y_val) != len(val):
        raise DataError(f"X_val has {len(val)} rows but y_val has {len(y_val)}. Give one target value per row.")
    rows = pd.concat([frame.reset_index(drop=True), val.set_axis(frame.columns, axis=1).reset_index(drop=True)],
                     ignore_index=True)
    target = pd.concat([pd.Series(np.asarray(y)), y_val], ignore_index=True)
    if isinstance(y, pd.Series):
        target = target.rename(y.name)
    rows.attrs = frame.attrs
    return rows, target, np.r_[np.zeros(len(frame), dtype=bool), np.ones(len(val), dtype=bool)]


def _shared_wait(budget, evaluator, result) -> float:
    """Seconds to wait for trials other processes sharing the study are running: what the budget leaves free
    (not its reserve for the refit); without a budget, one trial's time limit, or ``SHARED_WAIT_SECONDS``."""
    if budget is not None:
        return max(budget.free(result.evaluations), 0.0)
    if evaluator.time_limit is not None:
        return evaluator.time_limit + evaluator.grace_seconds
    return SHARED_WAIT_SECONDS


def _with_ensemble_row(board: pd.DataFrame, final: FinalModel) -> pd.DataFrame:
    """The leaderboard with the ensemble (or stack) as a row of its own, ranked by its out-of-fold score."""
    from automl_meta.search import ranked

    ensemble, score = final.members, final.score
    described = final.description or " + ".join(f"{m['weight']:.2f}*{m['strategy']}" for m in ensemble)
    row = {"trial": -1, "family": "ensemble", "score": score, "status": "ok", "fit_seconds": float("nan"),
           "origin": "ensemble", "strategy": described, "error": "", "ran_here": True}
    return ranked(pd.concat([pd.DataFrame([row]), board.reset_index(drop=True)], ignore_index=True))


def _with_costs_measured(final: FinalModel, task, known: dict | None = None) -> FinalModel:
    """``final`` with its members' costs (the leaderboard's) measured, but for those ``known``, and the seconds
    that took. A top-up search keeps that many seconds free for measuring the final model it may make, and one it
    leaves unchanged is not measured twice (a bagged ensemble of three 5-class members took 0.55 s of a 30 s
    fit)."""
    began = time.perf_counter()
    costs = member_costs(final, task.X, task.classes, known)
    return replace(final, costs=costs, costs_seconds=time.perf_counter() - began)


def _refit_rows(task, rows: int, seed: int):
    """The positions of the rows a refit fits on when not every row (a seeded stratified subsample, as the
    search's); None for every row."""
    from automl_meta.evaluate import row_subsample

    if rows >= task.n_rows:
        return None
    log.info("refit on %d of the %d rows: the refit on every row is not expected to fit in the budget", rows, task.n_rows)
    return row_subsample(task, rows, seed)


def _refit_positions(task, plan, strategy, rows: int, seed: int) -> tuple[np.ndarray | None, int]:
    """The row positions of ``strategy``'s refit on ``rows`` rows (None: every row), with rows to stop on after
    them where its booster grows (``_with_stopping_rows``), and how many of those."""
    positions = _refit_rows(task, rows, seed)
    if plan.refit_trees(strategy, rows) is None:
        return positions, 0
    return _with_stopping_rows(task, positions, seed)


def _with_stopping_rows(task, positions, seed: int) -> tuple[np.ndarray | None, int]:
    """A refit's row ``positions`` (a subsample; None: every row) and, after them, up to :data:`STOPPING_ROWS` of
    the rows the subsample left out (stratified, seeded), and how many: a grown booster stops on those instead of
    holding out a tenth of its own rows. Why: the subsample is what the budget allows to fit on, and the rest of
    the table is unused; so the refit fits on every row it planned (in 60 s fits of the 500,000-row benchmark
    table, eight seeds: 0.9786 against 0.9784, within noise; no time is added). None left out, or a task with
    ``groups``: the positions unchanged and 0."""
    if positions is None or task.groups is not None:
        return positions, 0
    from automl_meta.data import stratified_subsample

    others = np.setdiff1d(np.arange(task.n_rows), positions)
    n = min(STOPPING_ROWS, len(others))
    if n < 1:
        return positions, 0
    chosen = others[stratified_subsample(task.y.to_numpy()[others], n, classification=task.is_classification,
                                         random_state=seed)] if n < len(others) else others
    return np.concatenate([positions, chosen]), len(chosen)


def _tree_growth(task, plan, seed: int):
    """How a refit on one set of rows grows a booster's trees (``RefitCache``'s ``more_trees``: where
    ``RefitPlan.refit_trees`` says so, stopped on held-out rows, with the leaves of ``RefitPlan.refit_leaves``),
    or None: a task with ``groups``, whose held-out rows would share groups with the rows fitted on and so stop
    the booster late (a panel table's other years of the same man score like training rows)."""
    if task.groups is not None:
        return None
    from automl_meta.models import stop_metric, with_leaves, with_more_trees

    metric = stop_metric(task.kind, task.metric)

    def grown(model, strategy, rows, held_out=0):
        leaves = plan.refit_leaves(strategy, rows)
        if leaves is not None:
            log.info("refit of %s on %d rows grows trees of %d leaves", strategy, rows, leaves)
        return with_more_trees(with_leaves(model, leaves), plan.refit_trees(strategy, rows), metric, seed,
                               plan.growth_keeps, held_out or None)

    return grown


def _gaining_at_its_last_tree(task, probe, positions, trees: int, seed: int) -> bool:
    """Whether ``probe`` (a LightGBM strategy's first ``trees`` trees fitted on ``positions``) scores better with all
    of them than with half on the rows its refit stops on (``_with_stopping_rows``): a booster whose refit will end
    at its deadline still gaining, which larger trees serve (``RefitPlan.refit_leaves``), not one already past its
    best that they would fit to noise. False where it cannot be told (no rows to stop on, a class unseen)."""
    from automl_meta.models import scores_by_trees, stop_metric

    with_stopping, n_stopping = _with_stopping_rows(task, positions, seed)
    if n_stopping == 0:
        return False
    stopping, counts = with_stopping[-n_stopping:], [max(1, trees // 2), trees]
    try:
        scores = scores_by_trees(probe, task.X.iloc[stopping], task.y.iloc[stopping],
                                 stop_metric(task.kind, task.metric), counts)
    except Exception as exc:  # a refit as searched is never worse off for it
        log.warning("scoring the probe failed (%s: %s); refitting with its searched trees", type(exc).__name__, exc)
        return False
    if scores is None:
        return False
    log.info("probe scored on %d rows to stop on after %s trees: %s", n_stopping, " / ".join(map(str, counts)),
             " / ".join(f"{s:.5f}" for s in scores))
    return scores[-1] > scores[0]


def _cores(n_jobs) -> int:
    """Cores a fit may use: all of them (as the operating system lets this process have) for -1 or None."""
    import joblib

    return joblib.cpu_count() if n_jobs in (-1, None) else int(n_jobs)


def _trial_slots(n_jobs, device: str = "cpu", client=None) -> tuple[int, int]:
    """Trials at once and threads per trial's model: one trial per core, each model on one thread (several
    small fits at once use cores better than one fit on many threads); on a GPU, no more trials than its free
    memory holds (they share it); on a Dask cluster, ``n_jobs`` trials (-1 or None: one per thread of its
    workers)."""
    from automl_meta.models import gpu_trial_slots

    if client is not None:
        return (sum(client.nthreads().values()) or 1) if n_jobs in (-1, None) else int(n_jobs), 1
    cores, slots = _cores(n_jobs), gpu_trial_slots(device)
    return (min(cores, slots) if slots else cores), 1


def _open_users_store(metadataset) -> bool:
    """Open the user's meta-dataset when ``metadataset`` is None (the default); whether this was its first use,
    which made it a copy of the shipped one (about 2 s, once): the caller starts the budget after that copy (a
    10 s first fit of a 344-row table, the copy inside its search, ran no trial and ended at 16-18 s), but counts
    an ordinary opening (its imports took 0.6 s of a 5 s fit on a busy machine, which then ended at 5.5 s)."""
    if metadataset is None:
        from automl_meta.metadataset import MetaDataset

        return MetaDataset().made_from_shipped
    return False


class _AutoMetaBase(BaseEstimator):
    _parameter_constraints = {
        "n_trials": [Interval(Integral, 1, None, closed="left"), None],
        "time_budget": [Interval(Real, 0, None, closed="neither"), None],
        "warm_start": ["boolean", StrOptions({"adaptive"})],
        "n_warm_start": [Interval(Integral, 0, None, closed="left")],
        "cv": [Interval(Integral, 2, None, closed="left")],
        "metric": [str, callable, None],
        "storage": [str, None],
        "metadataset": "no_validation",  # a MetaDataset, a path, a URL, None or False: MetaDataset checks it
        "metamodel": "no_validation",  # a MetaModel, a path or None: resolve_metamodel checks it
        "device": [StrOptions({"auto", "cpu", "cuda"})],
        "random_state": ["random_state"],
        "n_jobs": [Options(Integral, {-1}), Interval(Integral, 1, None, closed="left"), None],
        "time_limit": [Interval(Real, 0, None, closed="neither"), None],
        "families": ["array-like", None],
        "progress": ["boolean"],
        "sampler": [StrOptions({"tpe", "guided"}), HasMethods(["sample_independent"])],
        "ensemble": ["boolean"],
        "scheduler": "no_validation",  # a dask.distributed.Client, an address or None: resolve_client checks it
        "callbacks": "no_validation",  # SearchCallbacks or callables: check_callbacks checks them
        "quality": [StrOptions({"fast", "medium", "best"})],
    }

    def __init__(self, n_trials=None, time_budget=None, warm_start=True, n_warm_start=5, cv=5, metric=None,
                 storage=None, metadataset=None, metamodel=None, device="auto", random_state=None, n_jobs=-1,
                 time_limit=None, families=None, progress=False, sampler="tpe", ensemble=True, scheduler=None,
                 callbacks=None, quality="medium"):
        self.n_trials = n_trials
        self.time_budget = time_budget
        self.warm_start = warm_start
        self.n_warm_start = n_warm_start
        self.cv = cv
        self.metric = metric
        self.storage = storage
        self.metadataset = metadataset
        self.metamodel = metamodel
        self.device = device
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.time_limit = time_limit
        self.families = families
        self.progress = progress
        self.sampler = sampler
        self.ensemble = ensemble
        self.scheduler = scheduler
        self.callbacks = callbacks
        self.quality = quality

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # missing values are handled by every family's encoding
        return tags

    # -- fitting --------------------------------------------------------------------------------------------
    def fit(self, X, y, task_name=None, groups=None, X_val=None, y_val=None, sample_weight=None):
        """Search strategies for (X, y), warm-started with the meta-model's recommendations, then refit the
        best on all of the data.

        Parameters
        ----------
        X : pandas.DataFrame or array-like of shape (n_samples, n_features)
            Features; string, category and bool columns are categorical, NaN is missing.
        y : array-like of shape (n_samples,)
        task_name : str, optional
            The task's name in the meta-dataset (and in the reasons ``recommend`` gives later). By default the
            DataFrame's ``attrs["name"]``, else ``data-`` and a short hash of the data.
        groups : array-like of shape (n_samples,), optional
            Each row's group (a patient, a customer): the trials' cross-validation keeps a group's rows in one
            fold (``StratifiedGroupKFold``; ``GroupKFold`` for regression), so that scores are those of groups
            never seen in training. Fewer groups than ``cv``: that many folds, with a DataWarning. The refit
            uses every row.
        X_val, y_val : validation data, optional
            Rows with the columns of ``X`` (and their target): each trial then trains on ``X`` once and is scored
            on them, instead of cross-validating (``cv_`` is 1); ensemble selection and the decision threshold use
            the trials' predictions of these rows. The final model is refitted on ``X`` and ``X_val`` together.
            Not with ``groups``.
        sample_weight : array-like of shape (n_samples,), optional
            Each row's weight (finite, 0 or more): in the training of every family that takes weights (all but
            ``knn`` and ``mlp``, which train unweighted), in the trials' cross-validation scores, in ensemble
            selection, the decision threshold and the refit. Weighted trials are not recorded in the
            meta-dataset. Not with ``X_val``.

        Returns
        -------
        self
        """
        from automl_meta.evaluate import LATE_IMPORT_FAMILIES, Evaluator
        from automl_meta.metamodel import machine_factor, prefetch_metamodel
        from automl_meta.models import resolve_device
        from automl_meta._internal._callbacks import check_callbacks, notify

        start = time.perf_counter()
        self._check_params()
        callbacks = check_callbacks(self.callbacks)
        notify(callbacks, "on_fit_start", self)
        budget = self._budget()
        machine = machine_factor()  # this machine's speed, before the workers compete for the cores (25 ms)
        if self.warm_start or self.sampler == "guided":
            prefetch_metamodel(self.metamodel)  # read while the data is checked and described
        task, n_features, cv = self._make_task(X, y, task_name, groups, (X_val, y_val), sample_weight)
        class_weights = decision_weights(getattr(self, "class_weight", None), task)  # checked before any trial
        setting = self._setting(task, cv, machine)
        self.families_ = searched_families(self.families, task.kind, task.n_rows, setting.search_rows)
        client, own_client = self._client()
        n_workers, threads = _trial_slots(self.n_jobs, resolve_device(self.device), client)
        isolate = budget is not None or self.time_limit is not None or n_workers > 1 or client is not None
        evaluator = Evaluator(cv=setting.cv, time_limit=self.time_limit, isolate=isolate, workers=n_workers,
                              device=self.device, n_jobs=threads, random_state=self._seed(),
                              max_rows=None if setting.search_rows >= task.n_rows else setting.search_rows,
                              keep_predictions=self._ensembles() or is_thresholded(task.scoring), scheduler=client)
        evaluator.spawn()  # the worker imports its libraries while the meta-features are computed
        if budget is not None:  # so that the final refit does not pay for the imports; not torch (see _refit)
            import_in_background([f for f in self.families_ if f not in LATE_IMPORT_FAMILIES])
        try:
            found = self._search_and_refit(task, evaluator, budget, setting)
        finally:
            evaluator.close()
            if own_client:
                client.close()
        # every fitted attribute is set here, from what the steps above returned
        self.n_features_in_ = n_features  # the columns given, not those kept (the task may drop or add some)
        if isinstance(X, pd.DataFrame):
            self.feature_names_in_ = np.asarray([str(c) for c in X.columns], dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_  # a refit on an array: the names of an earlier DataFrame no longer apply
        self.n_rows_, self.date_orders_ = task.n_rows, task.date_orders  # predict reads dates as fit did
        self.task_kind_, self.metric_, self.refit_rows_ = task.kind, task.metric, found.final.refit_rows or task.n_rows
        self.cv_ = 1 if task.validation is not None else setting.cv  # validation data: one split
        self.search_rows_, self.machine_factor_, self.n_workers_ = setting.search_rows, machine, n_workers
        self.metafeatures_, self.recommendations_, self.warm_starts_ = found.metafeatures, found.recommendations, found.warm_starts
        self.study_, self.leaderboard_ = found.study, found.leaderboard
        final = found.final
        self.best_estimator_, self.best_strategy_, self.best_score_ = final.estimator, final.strategy, final.score
        self.ensemble_ = list(final.members)
        if task.is_classification:
            self.classes_, self.threshold_, self.class_weights_ = final.estimator.classes_, found.threshold, class_weights
        self._training_rows = self._rows_kept(task, final, cv, setting)  # in memory only (see __getstate__)
        self.fit_seconds_ = time.perf_counter() - start
        notify(callbacks, "on_fit_end", self)
        return self

    def _rows_kept(self, task, final, cv: int, setting) -> TrainingRows:
        """What out-of-fold importance needs of this fit: its rows, the final model's members (fitted again on
        each fold, or, where they are bags over the importance's folds, their fold models reused)."""
        from automl_meta.estimator._bagging import bagged_fold_models
        from automl_meta.evaluate import splits

        folds = splits(task, setting.cv, self._seed()) if self._bags(task) else None
        return TrainingRows(task, tuple((m["strategy"], m["weight"]) for m in final.members), cv, self._seed(),
                            self.device, _cores(self.n_jobs), getattr(final.estimator, "stacker", None),
                            bags=None if folds is None else (folds, bagged_fold_models(final.member_models, folds)))

    def _budget(self):
        """The fit's time budget (None without one), with the user's store opened (``_open_users_store``): started
        before the opening, which is the fit's time, or after it when that opening made the store's one-off
        first copy."""
        from automl_meta.search import Budget

        budget = None if self.time_budget is None else Budget(self.time_budget)
        if _open_users_store(self.metadataset) and budget is not None:
            budget = Budget(self.time_budget)
        return budget

    def _setting(self, task, cv: int, machine: float) -> _Setting:
        """The trials' folds and rows (``subsample_folds``, ``search_rows``) and this machine's speed."""
        rows = search_rows(task.n_rows, self.time_budget)
        return _Setting(subsample_folds(cv, task.n_rows, rows, task.validation is not None), rows, machine)

    def _client(self):
        """The Dask client the trials run on (None: local workers), and whether this fit made it (and closes it)."""
        if self.scheduler is None:
            return None, False
        from automl_meta.evaluate import resolve_client

        client = resolve_client(self.scheduler)
        return client, client is not self.scheduler

    def __getstate__(self):
        # a fitted model is saved without the Dask client it was fitted with (a live connection); an address stays.
        # A metric of the user's own is saved by value: loaded elsewhere, its script is not importable.
        # (a copy: object.__getstate__ returns the instance's own __dict__) a model file keeps no training rows
        state = {k: v for k, v in super().__getstate__().items() if k != "_training_rows"}
        if state.get("scheduler") is not None and not isinstance(state["scheduler"], str):
            state = dict(state, scheduler=None)
        return dict(state, metric=by_value(state.get("metric")))

    def __setstate__(self, state):
        super().__setstate__(dict(state, metric=unwrapped(state.get("metric"))))

    def _check_params(self) -> None:
        """scikit-learn's parameter validation, raised as this library's ConfigError."""
        try:
            self._validate_params()
        except InvalidParameterError as exc:
            raise ConfigError(f"{exc} See help({type(self).__name__}) for what each parameter means.") from None

    def _make_task(self, X, y, task_name=None, groups=None, validation=(None, None), sample_weight=None):
        """Validate (X, y) as scikit-learn does for arrays, keep DataFrames as they are, and build the Task;
        returns it, the number of columns given, and the folds of each trial."""
        from sklearn.utils.multiclass import type_of_target
        from sklearn.utils.validation import check_array, column_or_1d

        from automl_meta.data import Task, fold_count, group_fold_count

        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None.")
        if task_name is not None and not (isinstance(task_name, str) and task_name.strip()):
            raise ConfigError(f"task_name must be a non-empty string; got {task_name!r}.")
        frame = X if isinstance(X, pd.DataFrame) else _as_frame(check_array(
            X, dtype=None, ensure_all_finite=False, accept_sparse=False, ensure_min_samples=1))
        if not isinstance(y, pd.Series):
            y = np.asarray(y)
            if y.ndim == 2 and y.shape[1] != 1:
                raise DataError(f"The target must be one column; got shape {y.shape}. Multi-output targets are "
                                "not supported: fit one model per target column.")
            y = column_or_1d(y, warn=True)
        n_features, mask = frame.shape[1], None
        if any(v is not None for v in validation):
            if sample_weight is not None:
                raise ConfigError("Give sample_weight or X_val/y_val, not both (the validation rows have no weights).")
            frame, y, mask = _with_validation_rows(frame, y, *validation, groups)
        present = pd.Series(y).dropna()  # rows with a missing target are dropped (with a warning) by Task
        if len(y) == 0:
            raise DataError("The data is empty (0 rows). Pass a table with some rows and their target values.")
        if present.empty:
            raise DataError(f"The target is missing in all {len(y)} rows. Pass y with known values.")
        target_type = type_of_target(present.to_numpy(), input_name="y", raise_unknown=True)
        if self._kind == "classification" and target_type in ("continuous", "continuous-multioutput"):
            raise ValueError(f"Unknown label type: {target_type}. AutoMetaClassifier needs class labels; "
                             "use AutoMetaRegressor for a continuous target.")
        kind = "regression" if self._kind == "regression" else "classification"
        # fewer folds (with a DataWarning) where a class has fewer rows than cv; Task drops a class of one row
        cv = fold_count(present, self.cv) if kind == "classification" else self.cv
        cv = cv if groups is None else group_fold_count(groups, cv)  # fewer (with a DataWarning) for few groups
        task = Task(frame, y, kind=kind, metric=self.metric, name=task_name or frame.attrs.get("name"),
                    cv=cv if mask is None else 2, single_row_classes="drop", groups=groups, validation=mask,
                    sample_weight=sample_weight)
        if not task_name and not frame.attrs.get("name"):
            # an unnamed fit is recorded under a name of its data, so that unrelated datasets never share one
            task.name = task.group = f"data-{task.fingerprint[:10]}"
        return task, n_features, task.cv  # with validation data, the Task's 2: its folds are the one split

    def _search_and_refit(self, task, evaluator, budget, setting: _Setting) -> _Found:
        from automl_meta.metafeatures import compute
        from automl_meta.search import AdaptiveWarmStarts, search

        # one thread: the landmarkers and the recommender are small, and while the evaluation workers start on
        # every core, more OpenMP/BLAS threads spin-wait each other (0.4-0.5 s of a 10 s fit, 2 cores, one busy)
        with limit_threads(1):
            metafeatures = compute(task, random_state=self._seed())
            metamodel = self._metamodel() if self.warm_start or self.sampler == "guided" else None
            recommendations, warm = self._warm_starts(metamodel, task, budget, metafeatures, setting)
        for r in recommendations:
            log.info("warm start: %s (predicted normalized score %.3f ± %.3f, ~%.1f s)", r.strategy, r.predicted_score, r.uncertainty, r.predicted_seconds)
        plan = RefitPlan(task.n_rows, setting.search_rows, setting.cv, None if budget is None else budget.seconds,
                         members=_LIKELY_MEMBERS if self._ensembles() else 1, bagged=self._bags(task),
                         curves=None if metamodel is None else metamodel.curve_exponents(task.metric))
        if budget is not None:
            if budget.left() <= 1 + plan.search_reserve(()):
                raise ConfigError(f"time_budget={self.time_budget!r} s leaves no time to search after computing the "
                                  "meta-features. Give a larger budget.")
            budget.reserve(plan.search_reserve)
            # quality="best": exploring stops when more trials stop paying, and the fit ends there
            budget.stop_when(PlateauStop(budget) if self._bags(task) else None)
        # what the search and the top-up search after the refit share
        searching = dict(families=self.families_, metadataset=self.metadataset, metafeatures=metafeatures,
                         random_state=self._seed(), progress=self.progress, callbacks=self.callbacks,
                         trial_seconds=self._trial_seconds(metamodel, metafeatures, setting))
        result = search(task, n_trials=self._n_trials(), time_budget=budget, evaluator=evaluator, enqueue=warm,
                        storage=self.storage, sampler=self._make_sampler(metamodel, task, metafeatures, self._sampler_seed()),
                        **searching)
        # a study shared with other processes: the model is chosen from all its finished trials
        result = result.with_other_processes(_shared_wait(budget, evaluator, result))
        warm_starts = warm.given if isinstance(warm, AdaptiveWarmStarts) else warm
        target = evaluator.scoring_target(task)  # what out-of-fold predictions score against, computed once
        final = self._final_model(task, evaluator, result, plan, budget, target,
                                  lambda: self._fallback(metamodel, task, budget, metafeatures, setting,
                                                         searching["trial_seconds"]), searching)
        leaderboard = result.leaderboard
        if len(final.members) > 1:
            leaderboard = _with_ensemble_row(leaderboard, final)
        leaderboard = with_costs(leaderboard, final.costs or member_costs(final, task.X, task.classes))
        threshold = choose_threshold(final, result.evaluations, target)
        return _Found(metafeatures, recommendations, warm_starts, result.study, leaderboard, final, threshold)

    def _final_model(self, task, evaluator, result, plan, budget, target, fallback, searching) -> FinalModel:
        """The chosen strategy refitted on every row; then, when the search estimated its refit, the ensemble that
        beats it and (with a budget) the better trials the time the refit left unused finds."""
        from automl_meta.evaluate import splits
        from automl_meta.models import build_model

        strategy, score, best, rows = self._choose(result, plan, budget, fallback)
        refits = RefitCache(lambda s, n_rows=task.n_rows: build_model(s, task.kind, n_rows=n_rows, device=self.device,
                                                  random_state=self._seed(), n_jobs=_cores(self.n_jobs)),
                            task.X, task.y, _cores(self.n_jobs), task.sample_weight,
                            bag_folds=splits(task, plan.folds, self._seed()) if self._bags(task) else None,
                            classes=None if task.classes is None else list(task.classes),
                            seconds_left=None if budget is None else budget.left,
                            more_trees=_tree_growth(task, plan, self._seed()))
        # the worker stays (idle) through the refit: time the refit leaves unused goes to more trials
        bag = best is not None and rows == task.n_rows and plan.bags(best, None if budget is None else budget.left())
        if budget is not None and rows < task.n_rows and plan.refit_trees(strategy, rows) is not None:
            rows = self._probed_rows(task, plan, refits, strategy, rows, budget)
        positions, held_out = _refit_positions(task, plan, strategy, rows, self._seed())
        model, seconds = refits.fit(strategy, bag, positions, held_out=held_out)
        refitted_on = rows
        if budget is not None and rows < task.n_rows:  # a large table's refit on a subsample, sooner than estimated
            model, refitted_on = self._on_more_rows(task, plan, refits, strategy, (model, rows), seconds, budget)
        final = replace(FinalModel.single(model, strategy, score), refit_rows=refitted_on if refitted_on < task.n_rows else None)
        if self._ensembles() and best is not None:
            # the members are refitted now, so that a top-up spends what they leave, not a guess of it
            final = with_ensemble(final, result.evaluations, target, plan, budget, refits)
            if self._bags(task):  # quality="best": a stacker, where it beats the average by nested scores
                final = with_stack(final, result.evaluations, target, plan, budget, refits)
        if best is not None and budget is not None:
            plan.calibrate(strategy.family, seconds, plan.seconds(best, bag, rows))
            stop = budget.stopped_by
            budget.stop_when(None)  # what follows (a top-up search) runs to the budget's end
            if getattr(stop, "fired", False):  # the search plateaued: neither more trials nor more bag sets pay
                return final
            final = self._top_up(task, evaluator, result, plan, budget, target, refits, _with_costs_measured(final, task),
                                 searching)
        return final

    def _probed_rows(self, task, plan, refits, strategy, rows, budget) -> int:
        """The rows a grown booster's refit on a subsample takes: ``rows`` (planned from its trials' seconds), or
        more where a probe of a share of its trees on them says more surely fit (``probed_rows``); its trees
        beyond the searched ones stop at the deadline on their own. A LightGBM's probe still gaining at its last
        tree (``_gaining_at_its_last_tree``) lets its refit take larger trees (``RefitPlan.refit_leaves``; fewer
        of them: ``models.with_leaves``). A failed probe leaves ``rows`` and the searched trees."""
        from automl_meta.evaluate import row_subsample

        trees, positions = probe_trees(strategy), row_subsample(task, rows, self._seed())
        try:
            seconds, probe = refits.probe(strategy, positions, trees)
        except Exception as exc:
            log.warning("probe of %s on %d rows failed (%s: %s); refitting on them", strategy, rows, type(exc).__name__, exc)
            return rows
        expected = seconds * int(strategy.params["n_estimators"]) / trees
        probed = probed_rows(rows, expected, budget.left() - END_SECONDS, task.n_rows)
        log.info("probe: %d trees on %d rows in %.2f s (the refit's searched trees ~%.1f s): refit on %d rows",
                 trees, rows, seconds, expected, probed)
        if strategy.family == "lightgbm" and _gaining_at_its_last_tree(task, probe, positions, trees, self._seed()):
            plan.still_gaining(strategy)
        return probed

    def _on_more_rows(self, task, plan, refits, strategy, fitted, seconds, budget):
        """``fitted`` (the model, and the rows it was refitted on in ``seconds``), or the strategy refitted on as
        many more rows as the time left surely allows at that refit's measured cost (``more_rows``), and those
        rows. The estimate scaled from the search's trials is pessimistic for boosters (a LightGBM refit on
        39,805 of 400,000 rows left 17 s of a 60 s fit to a search that found nothing better). When the second
        refit fails, the first model stays: nothing is lost."""
        from automl_meta.models import grown_seconds

        model, rows = fitted
        # a grown booster's cost per row is that of its searched trees: those beyond them stopped on their own
        more = more_rows(rows, seconds - grown_seconds(model), budget.left() - END_SECONDS, task.n_rows)
        if more is None:
            return model, rows
        try:
            positions, held_out = _refit_positions(task, plan, strategy, more, self._seed())
            return refits.fit(strategy, rows=positions, again=True, held_out=held_out)[0], more
        except Exception as exc:
            log.warning("refit of %s on %d rows failed (%s: %s); keeping its refit on %d", strategy, more,
                        type(exc).__name__, exc, rows)
            return model, rows

    def _ensembles(self) -> bool:
        """Whether the fit ends with an ensemble of the trials (``ensemble``, but never with ``quality="fast"``)."""
        return self.ensemble and self.quality != "fast"

    def _bags(self, task) -> bool:
        """Whether the final model's members are bagged over the trials' folds (``quality="best"``; validation
        data has one split, and its members are refitted on every row)."""
        return self.quality == "best" and task.validation is None

    def _n_trials(self) -> int | None:
        """Trials of the search: as given; with a time budget and no n_trials, as many as fit it."""
        if self.n_trials is None and self.time_budget is None:
            return DEFAULT_N_TRIALS
        return self.n_trials

    def _choose(self, result, plan, budget, fallback):
        """The strategy to refit, its cross-validated score, its evaluation (None: the fallback, not searched) and
        the rows to refit it on (``RefitPlan.choose``); ``fallback()`` gives the strategy (and why it) when no
        trial finished within the budget."""
        if result.best is not None:
            best, rows = plan.choose(result.evaluations, None if budget is None else budget.left())
            return best.strategy, best.score, best, rows
        if budget is not None and all(e.status == "timeout" for e in result.evaluations):
            # nothing finished within the budget: a model is still owed, so fit the one most likely to be good
            # among those predicted to fit in the time left
            strategy, why = fallback()
            warn(f"No trial finished within time_budget={self.time_budget} s; fitted {strategy} ({why}) without "
                 "cross-validation. Give a larger budget for a searched model.", UserWarning)
            # on a table larger than the search's subsample, fitted on that many rows: on every row of a
            # 500,000-row table the linear model owed after a 60 s fit's only trial timed out ended it at 73 s
            return strategy, float("nan"), None, min(plan.n_rows, plan.search_rows)
        first = (result.evaluations[0].error or "").splitlines()[0] if result.evaluations else "no trial ran"
        raise ConfigError(f"Every one of the {len(result.evaluations)} strategies tried failed on this data; the first "
                          f"error: {first}. See leaderboard_ for all of them.")

    def _fallback(self, metamodel, task, budget, metafeatures, setting: _Setting, costs=None):
        """The strategy fitted when no trial finished, and why it: the meta-model's first recommendation predicted
        to fit on the rows it is fitted on (every row; the search's subsample of a larger table) in the time left,
        its predicted seconds times what its family's timed-out trials measured against theirs (``costs``, a ``TrialCosts``; a family not tried: the worst family's, when the
        predictions fell short); the linear model's defaults without a meta-model, or when none of its first
        recommendations is predicted to fit. A library this process has still to import counts too (torch: an MLP
        "predicted to fit in the 0.5 s left" ended a 10 s fit at 13.6 s).

        Why the trials' measure: the time head errs most on a table unlike its training tasks, and there the
        first recommendation is often the warm start that just timed out (a 15 s fit of 300 rows x 3,000 columns
        refitted the LightGBM whose trial had timed out, predicted 3 s, and ended at 24.8 s)."""
        from automl_meta.models import resolve_device
        from automl_meta.space import Strategy

        left = max(budget.left(), 0.5)
        if metamodel is not None and task is not None:
            try:
                firsts = metamodel.recommend(metafeatures, k=FALLBACK_CANDIDATES, kind=task.kind, families=self.families_,
                                             n_rows=setting.search_rows, folds=1, max_seconds=left,
                                             device=resolve_device(self.device), seconds_scale=setting.machine_factor)
            except ConfigError:  # no candidate of the searched families
                firsts = []
            worst = max(1.0, (costs.worst_ratio() if costs is not None else None) or 1.0)
            for r in firsts:
                ratio = None if costs is None else costs.ratio(r.strategy.family)
                if r.predicted_seconds * (worst if ratio is None else ratio) + import_seconds(r.strategy.family) <= left:
                    return r.strategy, f"the meta-model's first recommendation predicted to fit in the {left:.1f} s left"
        return Strategy.default("linear"), "the linear model's defaults"

    def _top_up(self, task, evaluator, result, plan, budget, target, refits, final, searching) -> FinalModel:
        """Spend the part of the budget that the refit did not use on more trials of the same study; returns
        ``final``, or the ensemble, stack or better trial they lead to (its costs measured), made when its refits
        and what follows them surely fit in what is left.

        Why: the search keeps a pessimistic refit reserve, and refit estimates scaled from a subsample are
        pessimistic for boosters (a LightGBM refit estimated at 2.6 s took 0.6 s), so the budget was under-used
        by up to 40%."""
        from automl_meta.search import search

        n_trials = None if self.n_trials is None else self.n_trials - len(result.evaluations)
        # what ends the fit after the search: measuring a new final model's costs, as long as this one's took
        closing = END_SECONDS + final.costs_seconds
        if budget.left() - closing < _TOP_UP_MIN_SECONDS or (n_trials is not None and n_trials < 1):
            return final
        top_up_reserve = plan.top_up_reserve(final.score)
        # choosing the ensemble again among the new trials too: its measured cost per trial chosen among (a
        # 60 s fit of a 15,000-row table of several classes took 2.8 s for it after its top-up had ended). Not the
        # stacking step: it is tried only where its last measured time fits (``with_stack``)
        selecting = (lambda evaluations: plan.selection_seconds(pool_members(list(result.evaluations) + list(evaluations)))
                     if self._ensembles() else 0.0)
        budget.reserve(lambda evaluations: top_up_reserve(evaluations) + closing + selecting(evaluations))
        log.info("%.1f s of the budget left after the refit: searching on", budget.left())
        more = search(task, n_trials=n_trials, time_budget=budget, evaluator=evaluator, study=result.study, **searching)
        result.extend(more)
        if budget.left() <= closing + selecting(()):  # no new trial can be refitted now: choosing again would only cost time
            return final
        chosen = final
        if self._ensembles() and more.evaluations:  # the new trials may join (members that fit)
            if chosen.predictions is None:  # (a stack's score is nested, an average's is not: only a stack replaces it)
                chosen = with_ensemble(chosen, result.evaluations, target, plan, budget, refits, keep=closing)
            if self._bags(task):
                chosen = with_stack(chosen, result.evaluations, target, plan, budget, refits, keep=closing)
        if chosen.predictions is None:  # likewise, a trial's score does not compare with a stack's nested one
            chosen = with_better_trial(chosen, more.evaluations, plan, budget, refits, keep=closing)
        # a new model's members measured before are not measured again (what ``closing`` kept free is an upper bound)
        return final if chosen is final else _with_costs_measured(chosen, task, known=final.costs)

    def _metamodel(self):
        """The meta-model to use, or None (with a warning) when none is available and none was asked for."""
        from automl_meta.errors import MetaModelError
        from automl_meta.metamodel import resolve_metamodel

        try:
            model = resolve_metamodel(self.metamodel)
        except MetaModelError:
            if self.metamodel is not None:
                raise
            model = None
        if model is None:
            warn("No meta-model is available (none shipped or trained): the search starts cold. "
                 "Train one with `automl-meta metamodel train`.", UserWarning)
        return model

    def _make_sampler(self, metamodel, task, metafeatures, seed: int):
        """The search's sampler, seeded with ``seed`` (``_sampler_seed``): Optuna's TPE as ``search`` makes it
        by default; the meta-model-guided TPE for "guided"; a sampler object as given."""
        if self.sampler == "tpe":
            from automl_meta.search import default_sampler

            return default_sampler(seed)
        if self.sampler == "guided":
            if metamodel is None:
                return None  # warned already: the search runs cold
            from automl_meta.search import MetaGuidedSampler, family_weights

            weights = family_weights(metamodel, metafeatures, task.kind, families=self.families_)
            log.info("guided sampler: family weights %s", {f: round(w, 3) for f, w in weights.items()})
            return MetaGuidedSampler(weights, seed=seed)
        return self.sampler

    def _warm_starts(self, metamodel, task, budget, metafeatures, setting: _Setting) -> tuple[list, list | AdaptiveWarmStarts]:
        """The meta-model's recommendations before any trial, and the search's warm starts: their strategies,
        or (``warm_start="adaptive"``) an AdaptiveWarmStarts that chooses each after the first knowing the scores
        of those before it. Each is predicted to cross-validate on the trials' rows (on this fit's device)
        within a quarter of the budget, else within ``time_limit``, else within ``WARM_START_SECONDS``."""
        if not self.warm_start or metamodel is None or not self.n_warm_start:
            return [], []
        from automl_meta.models import resolve_device

        params = dict(kind=task.kind, families=self.families_, n_rows=setting.search_rows, folds=setting.cv,
                      max_seconds=budget.seconds / 4 if budget is not None else (self.time_limit or WARM_START_SECONDS),
                      device=resolve_device(self.device), seconds_scale=setting.machine_factor)
        if self.warm_start == "adaptive":
            from automl_meta.search import AdaptiveWarmStarts

            warm = AdaptiveWarmStarts(metamodel, metafeatures, k=self.n_warm_start, **params)
            return warm.plan, warm
        plan = metamodel.recommend(metafeatures, k=self.n_warm_start, **params)
        return plan, [r.strategy for r in plan]

    def _trial_seconds(self, metamodel, metafeatures, setting: _Setting):
        """The expected trial seconds of a strategy on this machine (``search(trial_seconds=)``): the meta-model's
        time head calibrated by the fit's trials of the family, else a lower bound (shared by the fit's search
        and top-up search); None without a meta-model or a budget (nothing to protect)."""
        if metamodel is None or self.time_budget is None:
            return None
        from automl_meta.models import resolve_device
        from automl_meta.search import TrialCosts

        device = resolve_device(self.device)
        at_fit = dict(n_rows=setting.search_rows, folds=setting.cv, seconds_scale=setting.machine_factor)
        return TrialCosts(lambda strategy: metamodel.predict_seconds(metafeatures, [strategy], device=device, **at_fit)[0],
                          lambda strategy: metamodel.least_seconds(metafeatures, [strategy], **at_fit)[0])

    def _sampler_seed(self) -> int:
        """The sampler's seed: the fit's, except in a shared study (``storage``) without a ``random_state``,
        where each fit draws its own, so that processes sharing the study do not propose the same trials; the
        folds and models stay seeded as the fit, so that their scores compare."""
        if self.storage is None or self.random_state is not None:
            return self._seed()
        from automl_meta.search import own_sampler_seed

        return own_sampler_seed()

    def _seed(self) -> int:
        if self.random_state is None:
            return 0
        if isinstance(self.random_state, (int, np.integer)):
            return int(self.random_state)
        return int(np.random.RandomState(self.random_state).randint(0, 2**31 - 1))

    def feature_importances(self, X=None, y=None, *, n_repeats=5, random_state=0, max_rows=5000):
        """Permutation importance of the fitted model: how much the cross-validation metric drops when a column's
        values are shuffled.

        Given ``X`` and ``y``, the fitted model (its ensemble, as ``predict`` uses it) is scored on them: give
        held-out rows to learn what generalizes (on the training rows, an overfitted column looks important).
        Given neither, out of fold on the rows ``fit`` was given, in the same process: the final model's members
        are fitted again on each fold's training rows (the trials' folds and metric; the validation rows when
        ``fit`` had ``X_val``) and the shuffles are scored on the fold's test rows. That costs a fit of the members
        per fold; a model loaded from a file keeps no training rows and needs ``X`` and ``y``.

        Parameters
        ----------
        X : pandas.DataFrame or array-like, optional
            Rows with the columns ``fit`` was given.
        y : array-like, optional
            Their target.
        n_repeats : int, default=5
            Shuffles per column.
        random_state : int, default=0
        max_rows : int, default=5000
            Score on a seeded sample of at most this many rows (the drop is a mean over rows); out of fold, the
            folds are made of such a sample (stratified, as the trials' subsample is).

        Returns
        -------
        pandas.DataFrame
            Indexed by feature, most important first: ``importance`` (mean drop of ``metric_``), ``std`` over the
            shuffles, and ``low``/``high``, its 95% interval. Out of fold, the features are the columns the models
            see (a date column's parts are features of their own).
        """
        from automl_meta.data import resolve_scoring
        from automl_meta.estimator._importance import out_of_fold_importances, permutation_importances

        check_is_fitted(self, "best_estimator_")
        if isinstance(n_repeats, bool) or not isinstance(n_repeats, (int, np.integer)) or n_repeats < 2:
            raise ConfigError(f"n_repeats must be an integer of at least 2 (for a spread); got {n_repeats!r}.")
        if X is None and y is None:
            rows = getattr(self, "_training_rows", None)
            if rows is None:
                raise ConfigError("This model keeps no training rows (it was loaded from a file, or copied), so "
                                  "importance out of fold is not possible: give rows and their target, "
                                  "feature_importances(X, y), held-out ones at best.")
            return out_of_fold_importances(rows, int(n_repeats), random_state, max_rows)
        if X is None or y is None:
            raise ConfigError(f"feature_importances was given {'y' if X is None else 'X'} without "
                              f"{'X' if X is None else 'y'}: give both (rows and their target), or neither (out of fold).")
        frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X), columns=self._column_names())
        y = pd.Series(np.asarray(y)).reset_index(drop=True)
        if len(y) != len(frame):
            raise DataError(f"X has {len(frame)} rows but y has {len(y)}. Give one target value per row.")
        known = y.notna().to_numpy()
        scoring = resolve_scoring(self.metric, self.task_kind_)[1] or self.metric_  # a scorer of the user's own
        return permutation_importances(self, frame.reset_index(drop=True)[known], y[known], scoring, int(n_repeats),
                                       random_state, max_rows)

    def refit_full(self):
        """Replace the bagged members of a ``quality="best"`` fit by one model each, fitted on every row
        (AutoGluon's ``refit_full``): about ``cv`` times smaller and faster to predict with, at the cost of the
        bagging's gain on unseen rows. A stack keeps its stacker. Only in the process that fitted (the rows live
        there); the leaderboard's costs are measured again.

        Returns
        -------
        self
        """
        from automl_meta.estimator._bagging import refitted_on_every_row

        check_is_fitted(self, "best_estimator_")
        rows = getattr(self, "_training_rows", None)
        if rows is None:
            raise ConfigError("refit_full needs the rows fit was given, which live only in the process that fitted "
                              "(this model was loaded from a file, or copied): call it right after fit, before saving.")
        self.best_estimator_ = refitted_on_every_row(rows)
        self._training_rows = replace(rows, bags=None)  # the bags' models are let go (importance refits them)
        final = FinalModel(self.best_estimator_, self.best_strategy_, self.best_score_, tuple(self.ensemble_))
        board = self.leaderboard_.drop(columns=["predict_s_per_1k_rows", "size_bytes"])
        self.leaderboard_ = with_costs(board, member_costs(final, rows.task.X, rows.task.classes))
        return self

    def _column_names(self) -> list:
        names = getattr(self, "feature_names_in_", None)
        return list(names) if names is not None else [f"x{i}" for i in range(self.n_features_in_)]

    # -- prediction -----------------------------------------------------------------------------------------
    def _input(self, X):
        from sklearn.utils.validation import check_array

        from automl_meta.data import read_dates

        check_is_fitted(self, "best_estimator_")
        orders = getattr(self, "date_orders_", {})  # getattr: a model saved before dates were kept
        if isinstance(X, pd.DataFrame):
            if X.shape[0] == 0:
                raise ValueError(f"Found array with 0 sample(s) (shape={X.shape}) while a minimum of 1 is required by "
                                 f"{type(self).__name__}. Pass at least one row to predict.")
            return read_dates(X, orders)
        arr = check_array(X, dtype=None, ensure_all_finite=False, accept_sparse=False)
        if arr.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {arr.shape[1]} features, but {type(self).__name__} is expecting {self.n_features_in_} features as input.")
        names = getattr(self, "feature_names_in_", None)
        columns = list(names) if names is not None else [f"x{i}" for i in range(arr.shape[1])]
        return read_dates(pd.DataFrame(arr, columns=columns).infer_objects(), orders)

    def predict(self, X):
        X = self._input(X)
        return self.best_estimator_.predict(X)


class AutoMetaClassifier(ClassifierMixin, _AutoMetaBase):
    """Meta-learning AutoML classifier: meta-features -> meta-model recommendations -> warm-started Optuna
    search over model families and hyperparameters -> the best strategy refitted on all the data.

    Parameters
    ----------
    n_trials : int, optional
        Trials of the search (the warm starts included). None (the default): with ``time_budget``, as many as
        fit in it (the budget is then the only stopping rule); without one, 30.
    time_budget : float, optional
        Seconds for the whole ``fit`` (opening the user's store, meta-features, search and refit; not the
        store's one-off first copy of the shipped meta-dataset); honoured within a few percent. Trials
        then score strategies on a stratified subsample of at most 300 rows per second of budget (at least
        2,000; ``search_rows_``), and the search keeps free what the refit of its best strategy on every row is
        expected to take.
    warm_start : bool or "adaptive", default=True
        Start the search with the meta-model's recommendations: the set of ``n_warm_start`` it chooses before
        any trial (True), or (``"adaptive"``) its first, then each next one chosen knowing how those before it
        scored (:class:`~automl_meta.search.AdaptiveWarmStarts`; ahead on the anytime benchmark's first five
        trials, behind end to end at 120 s: see benchmarks/NOTES.md).
    n_warm_start : int, default=5
        Warm starts: the meta-model's best set of this many strategies among those predicted to cross-validate
        on the trials' rows within a quarter of ``time_budget``, else within ``time_limit``, else within 60 s.
    cv : int, default=5
        Cross-validation folds of each trial.
    metric : str, optional
        A scikit-learn scorer name; ROC AUC (macro one-vs-rest for several classes) by default.
    storage : str, optional
        Optuna storage URL to keep the study (resumable; optuna-dashboard reads it).
    metadataset : MetaDataset, str, None or False
        Where trials are recorded (the learning loop): None for the user's store, False for nowhere.
    metamodel : MetaModel or path, optional
        Defaults to the user's retrained meta-model, else the shipped one.
    device : {"auto", "cpu", "cuda"}, default="auto"
        Where the MLP and XGBoost families train ("auto": CUDA when a GPU is visible). A model fitted on a GPU
        is saved from the CPU and loads on machines without one.
    random_state : int, optional
        Seeds the folds, the models and the sampler (0 when None). With ``storage`` and no ``random_state``, each
        fit draws its own sampler seed, so that processes sharing the study do not propose the same trials; the
        folds stay seeded 0, so that their scores compare.
    n_jobs : int, default=-1
        Cores to use: -1 (or None) for all. Trials run this many at once, each in its own worker process with
        one thread; the refit of the chosen strategy uses them all. 1 gives a sequential, reproducible search
        (with several workers the order in which trials finish, and so what TPE learns from, varies).
    time_limit : float, optional
        Seconds per trial.
    families : list of str, optional
        Restrict the search to these model families. None: every available one, except that a time-budgeted
        fit of a table at least 4 times larger than the rows its trials score strategies on leaves out
        ``svm_rbf`` and ``knn``, whose rank there does not carry to the whole table (``families_`` says what
        was searched).
    progress : bool, default=False
    sampler : {"tpe", "guided"} or optuna.samplers.BaseSampler, default="tpe"
        How trials after the warm starts are chosen: Optuna's multivariate TPE; "guided": TPE whose model family
        is drawn, in half of the trials, from the meta-model's belief in each family
        (:class:`~automl_meta.search.MetaGuidedSampler`); or any Optuna sampler.
    scheduler : dask.distributed.Client or str, optional
        Run the trials on a Dask cluster: a client, or its scheduler's address (``tcp://host:8786``; the fit
        connects and disconnects). Each trial runs in a worker process on a Dask worker's machine, isolated and
        ended at its time limit as locally; ``n_jobs`` trials at once (-1: one per thread of the cluster's
        workers). Warm starts, the ensemble, the refit (on this machine) and the meta-dataset records are as
        in a local fit. Needs ``pip install 'automl-meta[distributed]'`` and automl-meta on the workers.
    callbacks : list of SearchCallback or callable, optional
        Told when the fit starts, after each trial (a plain callable: after each trial only, with its
        :class:`~automl_meta.search.TrialReport`) and when it ends; ``automl_meta.MLflowCallback`` logs
        the fit to MLflow. A callback that raises is reported as a ``CallbackWarning`` and the fit goes on.
    class_weight : "balanced" or dict, optional
        Weigh the classes in the decision: ``predict`` returns the class of the largest probability times its
        weight ("balanced": n / (classes x the class's rows), scikit-learn's; a dict ``{class: weight}``; classes
        not in it weigh 1), the Bayes decision when a class's errors cost its weight. Unlike scikit-learn's
        estimators, which weigh the training loss, the models are trained, scored and chosen unweighted, so that
        ``predict_proba`` (and ROC AUC) are those of the unweighted fit: on the 10 most imbalanced end-to-end
        tasks, weighing the loss cost 0.009-0.012 of ROC AUC on average and raised balanced accuracy less than
        the decision does (``benchmarks/results/class_weight.md``). A binary task scored by a metric of labels
        uses its ``threshold_`` instead.
    ensemble : bool, default=True
        End with a weighted ensemble of the trials instead of the single best: Caruana's greedy selection with
        replacement (25 iterations, the best prefix kept) over the out-of-fold predictions of the 10 best
        distinct strategies, scored as the trials are (mean over the same folds); its members are refitted on
        every row (within the time budget: a member whose refit would not fit is left out). The predictions
        of at most 25 trials are kept (memory: 25 x rows scored x classes x 4 bytes). When one strategy is best
        alone, the model is that strategy's, as with False.
    quality : {"fast", "medium", "best"}, default="medium"
        What the search's result becomes. ``"medium"``: the ensemble (see ``ensemble``), each member refitted on
        every row. ``"fast"``: the single best strategy refitted on every row, no ensemble (the cheapest to
        predict with and to store). ``"best"``: each member bagged, as AutoGluon's ``best_quality`` does: one
        model per cross-validation fold (the trials' folds), fitted on the fold's training rows, predictions
        averaged; about ``cv - 1`` times the refit's seconds and ``cv`` times the prediction cost and size, for
        members that score better on unseen rows (``benchmarks/results/ensemble_v2.md``: 9 of 12 held-out
        tasks). With validation data (``X_val``) the members are refitted on every row, as with ``"medium"``.
        Under a time budget ``"best"`` stops exploring once more trials stop paying (no gain beyond the best
        trial's fold noise over the latest third of the trials) and ends the fit there, often well before its
        budget: more bag sets (repeated k-fold bagging) were measured not to help (docs/USER_GUIDE.md).

    Attributes
    ----------
    best_strategy_ : the best single strategy
    best_score_ : the cross-validated score of the fitted model (the ensemble's out-of-fold score when it is one)
    best_estimator_ : the refitted model (a Pipeline, or an EnsembleModel of several)
    ensemble_ : list of dict, the members (``strategy``, ``weight``, their own ``score``); one when not an ensemble
    recommendations_ : list of Recommendation, the meta-model's ``n_warm_start`` before any trial (predicted score,
        uncertainty and seconds); the first of them are the first warm starts
    warm_starts_ : list of Strategy, the warm starts given to the search, in order (the last may not have run when
        the budget ended first): ``recommendations_``' strategies, or with ``warm_start="adaptive"`` those
        chosen as the scores came in
    metafeatures_ : MetaFeatures
    machine_factor_ : float, this machine's seconds for one second of the machine that measured the meta-dataset,
        measured at the start of ``fit`` (``metamodel.machine_factor``); the predicted seconds of the warm starts
        and of the model fitted when no trial finishes are multiplied by it
    study_ : optuna.Study
    leaderboard_ : pandas.DataFrame, one row per trial, best first (``trial``: its number in the study;
        ``ran_here``: False for another process's, in a shared study); ``predict_s_per_1k_rows`` and
        ``size_bytes`` (pickled) of the final model's members, measured at the end of ``fit`` on up to 1,000 of
        its rows (the ensemble's row: their sums; NaN for trials whose models were not kept)
    class_weights_ : numpy.ndarray or None, each class's weight in ``predict``'s decision (``classes_`` order), from
        ``class_weight``; None without
    threshold_ : float or None, for a binary task scored by a metric of labels (``accuracy``,
        ``balanced_accuracy``, ``f1``, ...): the threshold on the positive class's probability that ``predict``
        uses, chosen on the final model's out-of-fold probabilities; None otherwise (the most probable class).
        ``predict_proba`` is unchanged.
    classes_, n_features_in_, feature_names_in_, task_kind_, metric_, fit_seconds_
    n_rows_, search_rows_ : rows of the training data, and rows each trial scored strategies on
    refit_rows_ : int, the rows ``best_strategy_`` was refitted on: every row, or on a table larger than
        ``search_rows_``, as many as its refit was expected to fit in the budget (a seeded stratified subsample)
    families_ : list of str, the model families searched
    cv_ : int, the folds used: ``cv``, or fewer when a class has fewer rows than ``cv`` (with a DataWarning) or
        when the trials score a quarter of the rows or fewer (at most 3); 1 with validation data (``X_val``)
    date_orders_ : dict, the columns read as dates and how (``Task.date_orders``): predict reads a batch's dates
        the same way, day or month first, however few its rows

    Notes
    -----
    Ctrl-C during ``fit`` ends the trial in progress cleanly (nothing half-written to the meta-dataset or the
    study) and raises ``KeyboardInterrupt``; with ``storage`` set, fitting again resumes the study.
    """

    _kind = "classification"
    _parameter_constraints = {**_AutoMetaBase._parameter_constraints,
                              "class_weight": [StrOptions({"balanced"}), dict, None]}

    def __init__(self, n_trials=None, time_budget=None, warm_start=True, n_warm_start=5, cv=5, metric=None,
                 storage=None, metadataset=None, metamodel=None, device="auto", random_state=None, n_jobs=-1,
                 time_limit=None, families=None, progress=False, sampler="tpe", ensemble=True, scheduler=None,
                 callbacks=None, quality="medium", class_weight=None):
        super().__init__(n_trials=n_trials, time_budget=time_budget, warm_start=warm_start,
                         n_warm_start=n_warm_start, cv=cv, metric=metric, storage=storage,
                         metadataset=metadataset, metamodel=metamodel, device=device, random_state=random_state,
                         n_jobs=n_jobs, time_limit=time_limit, families=families, progress=progress,
                         sampler=sampler, ensemble=ensemble, scheduler=scheduler,
                         callbacks=callbacks, quality=quality)
        self.class_weight = class_weight

    def predict(self, X):
        """The most probable class; for a binary task scored by a metric of labels, the positive class where its
        probability reaches ``threshold_``; with ``class_weight``, the class of the largest probability times its
        weight (``class_weights_``)."""
        threshold = getattr(self, "threshold_", None)  # getattr: a model saved before thresholds were chosen
        if threshold is not None:
            return self.classes_[(self.predict_proba(X)[:, 1] >= threshold).astype(int)]
        weights = getattr(self, "class_weights_", None)
        if weights is not None:
            return self.classes_[np.argmax(self.predict_proba(X) * weights, axis=1)]
        return super().predict(X)

    def predict_proba(self, X):
        X = self._input(X)
        return self.best_estimator_.predict_proba(X)


class AutoMetaRegressor(RegressorMixin, _AutoMetaBase):
    """Meta-learning AutoML regressor; parameters and attributes as :class:`AutoMetaClassifier` (the default
    metric is R²)."""

    _kind = "regression"
