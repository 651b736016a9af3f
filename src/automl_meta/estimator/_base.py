"""``AutoMetaClassifier`` and ``AutoMetaRegressor``: scikit-learn estimators over the warm-started search."""

from __future__ import annotations

import logging
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from automl_meta.errors import ConfigError, DataError

log = logging.getLogger("automl_meta.estimator")

# Under a time budget the search keeps free what the refit of its best strategy on all rows is expected to take
# (its cross-validation time scaled to one fit on every row) times this safety factor, plus _REFIT_SLACK
# seconds and _REFIT_SLACK_SHARE of the budget; before any trial has succeeded it keeps _FALLBACK_SHARE of the budget for the fallback model.
_REFIT_SAFETY = 1.5
_REFIT_SLACK = 0.3
_REFIT_SLACK_SHARE = 0.02
_FALLBACK_SHARE = 0.05
# After the refit, time left over (at least _TOP_UP_MIN_SECONDS) goes to more trials; _END_SECONDS is kept for
# closing the evaluation worker and the leaderboard.
_TOP_UP_MIN_SECONDS = 0.5
_END_SECONDS = 0.05
# The library each family's refit imports in this process (the evaluation worker imported it in its own), and
# the seconds allowed for that import when it has not happened yet: the refit of a hist_gb was seen to take
# three times its estimate for want of it.
_FAMILY_LIBRARY = {"linear": "sklearn.linear_model", "knn": "sklearn.neighbors", "svm_rbf": "sklearn.svm",
                   "random_forest": "sklearn.ensemble", "extra_trees": "sklearn.ensemble",
                   "hist_gb": "sklearn.ensemble", "mlp": "torch", "lightgbm": "lightgbm", "xgboost": "xgboost"}
_IMPORT_ALLOWANCE = {"torch": 4.0}
_DEFAULT_IMPORT_ALLOWANCE = 1.0
# Under a time budget, trials score strategies on a seeded stratified subsample of at most this many rows per
# second of budget (at least _MIN_SEARCH_ROWS): 5-fold CV of a 500-tree ensemble on 20,000 rows takes longer
# than a 30 s budget, and a strategy's rank on ~10,000 rows rarely differs from its rank on all of them
# (FLAML also searches on a growing sample). The refit of the chosen strategy uses every row.
_SEARCH_ROWS_PER_SECOND = 300
_MIN_SEARCH_ROWS = 2000
# The meta-dataset times strategies on tasks of at most this many rows with this many folds; predicted fit
# times are scaled from there (linearly in rows: exact for most families, optimistic for the kernel SVM, which
# subsamples to 2,000 rows anyway).
_METADATA_ROWS, _METADATA_FOLDS = 1000, 3


def _import_in_background(families) -> None:
    """Import the model libraries of ``families`` (all by default) in a daemon thread: this process waits on
    the evaluation worker during the search, so the imports cost the budget nothing there."""
    import importlib
    import threading

    libraries = sorted({lib for fam, lib in _FAMILY_LIBRARY.items() if families is None or fam in families})

    def run():
        for name in libraries:
            try:
                importlib.import_module(name)
            except Exception:  # an optional family not installed: its refit never happens
                pass

    threading.Thread(target=run, name="automl-meta-imports", daemon=True).start()


class _AutoMetaBase(BaseEstimator):
    def __init__(self, n_trials=30, time_budget=None, warm_start=True, n_warm_start=5, cv=5, metric=None,
                 storage=None, metadataset=None, metamodel=None, device="auto", random_state=None, n_jobs=1,
                 time_limit=None, families=None, progress=False, sampler="tpe"):
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

    # -- fitting --------------------------------------------------------------------------------------------
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # missing values are handled by every family's encoding
        return tags

    def _make_task(self, X, y, task_name=None):
        """Validate (X, y) as scikit-learn does for arrays, keep DataFrames as they are, and build the Task."""
        from sklearn.utils.validation import check_array, column_or_1d

        from automl_meta.data import Task

        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None.")
        if isinstance(X, pd.DataFrame):
            frame = X
        else:
            arr = check_array(X, dtype=None, ensure_all_finite=False, accept_sparse=False, ensure_min_samples=1)
            frame = pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])]).infer_objects()
        if not isinstance(y, pd.Series):
            y = column_or_1d(y, warn=True)
        from sklearn.utils.multiclass import type_of_target

        present = pd.Series(y).dropna()  # rows with a missing target are dropped (with a warning) by Task
        if present.empty:
            raise DataError(f"The target is missing in all {len(y)} rows. Pass y with known values.")
        target_type = type_of_target(present.to_numpy(), input_name="y", raise_unknown=True)
        if self._kind == "classification":
            if target_type in ("continuous", "continuous-multioutput"):
                raise ValueError(f"Unknown label type: {target_type}. AutoMetaClassifier needs class labels; "
                                 "use AutoMetaRegressor for a continuous target.")
        kind = "regression" if self._kind == "regression" else "classification"
        if task_name is not None and not (isinstance(task_name, str) and task_name.strip()):
            raise ConfigError(f"task_name must be a non-empty string; got {task_name!r}.")
        return Task(frame, y, kind=kind, metric=self.metric, name=task_name or type(self).__name__, cv=self.cv)

    def fit(self, X, y, task_name=None):
        """Search strategies for (X, y) — warm-started with the meta-model's recommendations — then refit the
        best on all of the data. Returns self.

        ``task_name`` names the task in the meta-dataset (and in the reasons ``recommend`` gives later); the
        estimator's class name by default.
        """
        from automl_meta.evaluate import Evaluator

        start = time.perf_counter()
        self._validate_params_values()
        task = self._make_task(X, y, task_name)
        self.n_features_in_ = task.n_features
        self.n_rows_ = task.n_rows
        if isinstance(X, pd.DataFrame):
            self.feature_names_in_ = np.asarray([str(c) for c in X.columns], dtype=object)
        self.task_kind_ = task.kind
        self.metric_ = task.metric
        isolate = self.time_budget is not None or self.time_limit is not None
        self.search_rows_ = self._search_rows(task.n_rows)
        evaluator = Evaluator(cv=self.cv, time_limit=self.time_limit, isolate=isolate, device=self.device,
                              n_jobs=self.n_jobs, random_state=self._seed(),
                              max_rows=None if self.search_rows_ >= task.n_rows else self.search_rows_)
        evaluator.spawn()  # the worker imports its libraries while the meta-features are computed
        if self.time_budget is not None:
            _import_in_background(self.families)  # so that the final refit does not pay for the imports
        try:
            self._search_and_refit(task, evaluator, start)
        finally:
            evaluator.close()
        return self

    def _search_and_refit(self, task, evaluator, start) -> None:
        from automl_meta.metafeatures import compute
        from automl_meta.search import search
        from automl_meta.space import Strategy

        self.metafeatures_ = compute(task, random_state=self._seed())
        metamodel = self._metamodel() if self.warm_start or self.sampler == "guided" else None
        self.recommendations_ = self._recommend(metamodel, task, self.search_rows_) if self.warm_start and metamodel is not None else []
        for r in self.recommendations_:
            log.info("warm start: %s (predicted normalized score %.3f ± %.3f, ~%.1f s)", r.strategy, r.predicted_score, r.uncertainty, r.predicted_seconds)
        search_budget = None
        if self.time_budget is not None:
            search_budget = self.time_budget - (time.perf_counter() - start)
            if search_budget <= 1 + _FALLBACK_SHARE * self.time_budget:
                raise ConfigError(f"time_budget={self.time_budget!r} s leaves no time to search after computing the "
                                  "meta-features. Give a larger budget.")
        result = search(
            task, n_trials=None if (self.time_budget is not None and self.n_trials is None) else self.n_trials,
            time_budget=search_budget, enqueue=[r.strategy for r in self.recommendations_], storage=self.storage,
            random_state=self._seed(), families=self.families, metadataset=self.metadataset, evaluator=evaluator,
            progress=self.progress, reserve=None if self.time_budget is None else self._refit_reserve,
            sampler=self._make_sampler(metamodel, task),
        )
        self.study_ = result.study
        estimate = None
        if result.best is not None:
            best = self._refit_choice(result, start)
            strategy, self.best_score_ = best.strategy, best.score
            estimate = self._refit_seconds(best)
        elif self.time_budget is not None and all(e.status == "timeout" for e in result.evaluations):
            # nothing finished within the budget: a model is still owed, so fit the cheapest sound one
            strategy, self.best_score_ = Strategy.default("linear"), float("nan")
            warnings.warn(f"No trial finished within time_budget={self.time_budget} s; fitted {strategy} without "
                          "cross-validation. Give a larger budget for a searched model.", UserWarning, stacklevel=2)
        else:
            raise ConfigError(
                f"Every one of the {len(result.evaluations)} strategies tried failed on this data; the first error: "
                f"{(result.evaluations[0].error or '').splitlines()[0] if result.evaluations else 'no trial ran'}. "
                "See leaderboard_ for all of them."
            )
        # the worker stays (idle) through the refit: time the refit leaves unused goes to more trials
        self.best_strategy_ = strategy
        self.best_estimator_, seconds = self._refit(strategy, task)
        if estimate is not None and self.time_budget is not None:
            self._top_up(task, evaluator, result, start, {strategy.family: seconds / max(estimate, 1e-3)})
        evaluator.close()
        self.leaderboard_ = result.leaderboard
        if task.is_classification:
            self.classes_ = self.best_estimator_.classes_
        self.fit_seconds_ = time.perf_counter() - start

    def _refit(self, strategy, task):
        """``strategy``'s model fitted on every row, and the seconds that took."""
        from automl_meta.evaluate._cv import limit_threads
        from automl_meta.models import build_model

        began = time.perf_counter()
        model = build_model(strategy, task.kind, n_rows=task.n_rows, device=self.device, random_state=self._seed(),
                            n_jobs=self.n_jobs)
        # the trials' thread limit: without it a 0.5 s refit was seen to take 3.4 s on a busy machine
        with limit_threads(self.n_jobs), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(task.X, task.y)
        return model, time.perf_counter() - began

    def _top_up(self, task, evaluator, result, start, calibration) -> None:
        """Spend the part of the budget that the refit did not use on more trials of the same study, and refit
        again when one beats the fitted strategy and its refit surely fits in what is left.

        Why: the search keeps a refit reserve with a safety margin, and refit estimates scaled from a subsample
        are pessimistic for boosters (a LightGBM refit estimated at 2.6 s took 0.6 s), so the budget was
        under-used by up to 40%. ``calibration`` maps a family to measured/estimated refit seconds; it corrects
        the estimates of that family only (a kernel SVM does not scale like a booster)."""
        from automl_meta.search import search

        left = self.time_budget - (time.perf_counter() - start) - _END_SECONDS
        n_trials = None if self.n_trials is None else self.n_trials - len(result.evaluations)
        if left < _TOP_UP_MIN_SECONDS or (n_trials is not None and n_trials < 1):
            return
        fitted = self.best_score_

        def expected_refit(e) -> float:
            ratio = min(max(calibration.get(e.strategy.family, 1.0), 0.25), 4.0)
            return _REFIT_SAFETY * ratio * self._refit_seconds(e) + _REFIT_SLACK

        def reserve(evaluations) -> float:
            better = [e for e in evaluations if e.ok and e.score > fitted]
            return expected_refit(max(better, key=lambda e: e.score)) if better else 0.0

        log.info("%.1f s of the budget left after the refit: searching on", left)
        more = search(task, n_trials=n_trials, time_budget=left, study=result.study, random_state=self._seed(),
                      families=self.families, metadataset=self.metadataset, evaluator=evaluator,
                      progress=self.progress, reserve=reserve)
        result.evaluations += more.evaluations
        result.origins += more.origins
        better = sorted((e for e in more.evaluations if e.ok and e.score > fitted), key=lambda e: -e.score)
        left = self.time_budget - (time.perf_counter() - start) - _END_SECONDS
        for e in better:
            if expected_refit(e) <= left:
                log.info("refitting %s (cross-validated %.5f, better than %.5f)", e.strategy, e.score, fitted)
                try:
                    self.best_estimator_, _ = self._refit(e.strategy, task)
                except Exception as exc:  # the model fitted first is kept: nothing is lost
                    log.warning("refit of %s failed (%s: %s); keeping %s", e.strategy, type(exc).__name__, exc,
                                self.best_strategy_)
                    return
                self.best_strategy_, self.best_score_ = e.strategy, e.score
                return

    def _refit_seconds(self, evaluation) -> float:
        """Expected seconds to fit ``evaluation``'s strategy on every row: one fold's fit is about the CV time
        over (folds - 1), on the share of rows the search used."""
        import sys

        seconds = evaluation.fit_seconds / max(self._folds() - 1, 1) * max(1.0, self.n_rows_ / self.search_rows_)
        library = _FAMILY_LIBRARY.get(evaluation.strategy.family)
        if library is not None and library not in sys.modules:
            seconds += _IMPORT_ALLOWANCE.get(library, _DEFAULT_IMPORT_ALLOWANCE)
        return seconds

    def _refit_reserve(self, evaluations) -> float:
        ok = [e for e in evaluations if e.ok]
        if not ok:
            return _FALLBACK_SHARE * self.time_budget
        best = max(ok, key=lambda e: e.score)
        return _REFIT_SAFETY * self._refit_seconds(best) + _REFIT_SLACK + _REFIT_SLACK_SHARE * self.time_budget

    def _refit_choice(self, result, start):
        """The best strategy whose refit on all rows is expected to fit in what is left of the budget."""
        ok = sorted((e for e in result.evaluations if e.ok), key=lambda e: -e.score)
        if self.time_budget is None:
            return ok[0]
        left = self.time_budget - (time.perf_counter() - start)
        for e in ok:
            if self._refit_seconds(e) <= left:
                return e
        return min(ok, key=lambda e: e.fit_seconds)

    def _folds(self) -> int:
        """Folds of each trial's cross-validation (a splitter object given as ``cv``: counted as 5)."""
        return self.cv if isinstance(self.cv, (int, np.integer)) else 5

    def _search_rows(self, n_rows: int) -> int:
        if self.time_budget is None:
            return n_rows
        return min(n_rows, max(_MIN_SEARCH_ROWS, int(self.time_budget * _SEARCH_ROWS_PER_SECOND)))

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
            warnings.warn("No meta-model is available (none shipped or trained): the search starts cold. "
                          "Train one with `automl-meta metamodel train`.", UserWarning, stacklevel=4)
        return model

    def _make_sampler(self, metamodel, task):
        """None for Optuna's TPE (``search``'s default); the meta-model-guided TPE for "guided"; a sampler
        object as given."""
        if self.sampler == "tpe":
            return None
        if self.sampler == "guided":
            if metamodel is None:
                return None  # warned already: the search runs cold
            from automl_meta.search import MetaGuidedSampler, family_weights

            weights = family_weights(metamodel, self.metafeatures_, task.kind, families=self.families)
            log.info("guided sampler: family weights %s", {f: round(w, 3) for f, w in weights.items()})
            return MetaGuidedSampler(weights, seed=self._seed())
        return self.sampler

    def _recommend(self, model, task, search_rows: int):
        budget = None
        if self.time_budget is not None:
            # a warm start may take a quarter of the budget; predictions are for the meta-dataset's task size
            scale = max(1.0, search_rows / _METADATA_ROWS) * self._folds() / _METADATA_FOLDS
            budget = self.time_budget / 4 / scale
        return model.recommend(self.metafeatures_, k=self.n_warm_start, kind=task.kind, time_budget=budget, families=self.families)

    def _validate_params_values(self):
        from automl_meta.search._study import validate_stopping

        validate_stopping(self.n_trials, self.time_budget)
        if isinstance(self.sampler, str) and self.sampler not in ("tpe", "guided"):
            raise ConfigError(f"sampler must be 'tpe', 'guided' or an Optuna sampler; got {self.sampler!r}.")
        if not isinstance(self.sampler, str) and not hasattr(self.sampler, "sample_independent"):
            raise ConfigError(f"sampler must be 'tpe', 'guided' or an Optuna sampler; got {type(self.sampler).__name__}.")
        if not isinstance(self.n_warm_start, (int, np.integer)) or self.n_warm_start < 0:
            raise ConfigError(f"n_warm_start must be a non-negative integer; got {self.n_warm_start!r}.")

    def _seed(self) -> int:
        if self.random_state is None:
            return 0
        if isinstance(self.random_state, (int, np.integer)):
            return int(self.random_state)
        return int(np.random.RandomState(self.random_state).randint(0, 2**31 - 1))

    # -- prediction -----------------------------------------------------------------------------------------
    def _input(self, X):
        from sklearn.utils.validation import check_array

        check_is_fitted(self, "best_estimator_")
        if isinstance(X, pd.DataFrame):
            return X
        arr = check_array(X, dtype=None, ensure_all_finite=False, accept_sparse=False)
        if arr.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {arr.shape[1]} features, but {type(self).__name__} is expecting {self.n_features_in_} features as input.")
        names = getattr(self, "feature_names_in_", None)
        columns = list(names) if names is not None else [f"x{i}" for i in range(arr.shape[1])]
        return pd.DataFrame(arr, columns=columns).infer_objects()

    def predict(self, X):
        X = self._input(X)
        return self.best_estimator_.predict(X)


class AutoMetaClassifier(ClassifierMixin, _AutoMetaBase):
    """Meta-learning AutoML classifier: meta-features -> meta-model recommendations -> warm-started Optuna
    search over model families and hyperparameters -> the best strategy refitted on all the data.

    Parameters
    ----------
    n_trials : int or None, default=30
        Trials of the search (the warm starts included). With ``time_budget`` and None: as many as fit.
    time_budget : float, optional
        Seconds for the whole ``fit`` (meta-features, search and refit); honoured within a few percent. Trials
        then score strategies on a stratified subsample of at most 300 rows per second of budget (at least
        2,000; ``search_rows_``), and the search keeps free what the refit of its best strategy on every row is
        expected to take.
    warm_start : bool, default=True
        Start the search with the meta-model's recommendations.
    n_warm_start : int, default=5
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
    n_jobs : int, default=1
        Threads per model.
    time_limit : float, optional
        Seconds per trial.
    families : list of str, optional
        Restrict the search to these model families.
    progress : bool, default=False
    sampler : {"tpe", "guided"} or optuna.samplers.BaseSampler, default="tpe"
        How trials after the warm starts are chosen: Optuna's multivariate TPE; "guided": TPE whose model family
        is drawn, in half of the trials, from the meta-model's belief in each family
        (:class:`~automl_meta.search.MetaGuidedSampler`); or any Optuna sampler.

    Attributes
    ----------
    best_strategy_, best_score_, best_estimator_ : the winner, its cross-validated score and the refitted model
    recommendations_ : list of Recommendation (the warm starts, with predicted score, uncertainty and seconds)
    metafeatures_ : MetaFeatures
    study_ : optuna.Study
    leaderboard_ : pandas.DataFrame, one row per trial, best first
    classes_, n_features_in_, feature_names_in_, task_kind_, metric_, fit_seconds_
    n_rows_, search_rows_ : rows of the training data, and rows each trial scored strategies on

    Notes
    -----
    Ctrl-C during ``fit`` ends the trial in progress cleanly (nothing half-written to the meta-dataset or the
    study) and raises ``KeyboardInterrupt``; with ``storage`` set, fitting again resumes the study.
    """

    _kind = "classification"

    def predict_proba(self, X):
        X = self._input(X)
        return self.best_estimator_.predict_proba(X)


class AutoMetaRegressor(RegressorMixin, _AutoMetaBase):
    """Meta-learning AutoML regressor; parameters and attributes as :class:`AutoMetaClassifier` (the default
    metric is R²)."""

    _kind = "regression"
