"""The Optuna search over the strategy space: enqueued strategies first, then a sampler; every trial recorded.

Define-by-run: each trial picks a family, then that family's hyperparameters (named ``family.param``), so any
Optuna sampler and storage work, and optuna-dashboard can read a study stored in a database. How a trial is
scored (folds, time limit, device, threads, isolation) is the :class:`~automl_meta.evaluate.Evaluator`'s
business; when to stop is ``n_trials`` and the :class:`~automl_meta.search.Budget`.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from automl_meta.errors import ConfigError
from automl_meta.evaluate import LATE_IMPORT_FAMILIES, Evaluation, Evaluator
from automl_meta.search._budget import Budget
from automl_meta.search._costs import TrialCosts
from automl_meta._internal._callbacks import TrialReport, check_callbacks, notify
from automl_meta.search._interrupt import graceful_interrupt
from automl_meta.search._progress import SearchProgress
from automl_meta.search._shared import SharedTrials
from automl_meta.search._storage import may_enqueue, open_study
from automl_meta.search._warm import AdaptiveWarmStarts
from automl_meta.space import FAMILIES, Strategy, available_families, suggest

#: Trial user attribute naming where a trial came from ("warm_start", "sampler", or the caller's name).
ORIGIN_ATTR = "origin"
# Below this many seconds left (plus, after a time-out, the worker's restart), no new trial is started.
_MIN_TRIAL_SECONDS = 0.25
# A trial expected (``search(trial_seconds=...)``) to take longer than the time it may take is not run (Optuna
# records it as pruned; TPE then counts its region among the worse ones): on a 100,000-row table searched on
# 18,000 rows, a sampled 379-tree random forest was given the 41 s left of a 60 s fit and timed out, after five
# trials. Only those expected not to finish: a stricter rule (half the time left) skipped trials that fit in
# the last seconds of small tables' fits. At most _MAX_SKIPPED such trials a search, so that a sampler that
# only proposes slow strategies (a budget far too short for the table) still runs them, and the limit decides.
_MAX_SKIPPED = 50
# Seconds without a running trial after which the other processes sharing a study are taken to have finished.
_QUIET_SECONDS = 1.0


#: ``trial``: the trial's number in the study; ``ran_here``: False for a trial another process sharing the study ran.
LEADERBOARD_COLUMNS = ["trial", "family", "score", "status", "fit_seconds", "origin", "strategy", "error", "ran_here"]


def ranked(board: pd.DataFrame) -> pd.DataFrame:
    """Leaderboard rows best first (failures last, ties by trial), indexed by rank from 1."""
    board = board.sort_values(["score", "trial"], ascending=[False, True], na_position="last").reset_index(drop=True)
    board.index = board.index + 1
    board.index.name = "rank"
    return board


@dataclass
class SearchResult:
    """What a search did: the Optuna study, every evaluation in trial order, and the leaderboard."""

    study: object
    evaluations: list = field(default_factory=list)
    origins: list = field(default_factory=list)
    #: each evaluation's trial number in the study
    trial_numbers: list = field(default_factory=list)
    seconds: float = math.nan
    task_id: int | None = None
    #: the study's trials as every process sharing it reads them (None: the study is in memory)
    shared: SharedTrials | None = None
    #: the trial numbers of the evaluations other processes sharing the study ran
    from_others: frozenset = frozenset()
    #: Out-of-fold predictions are kept for at most this many evaluations (the best), so that memory stays
    #: bounded by max_predictions x rows scored x classes x 4 bytes however long the search runs.
    max_predictions: int = 25

    @property
    def best(self) -> Evaluation | None:
        ok = [e for e in self.evaluations if e.ok]
        return max(ok, key=lambda e: e.score) if ok else None

    @property
    def leaderboard(self) -> pd.DataFrame:
        """One row per trial, best first; failures last with their status and error."""
        rows = [
            {
                "trial": number, "family": e.strategy.family, "score": e.score, "status": e.status,
                "fit_seconds": e.fit_seconds, "origin": o, "strategy": str(e.strategy),
                "error": (e.error or "").splitlines()[0][:200] if e.error else "", "ran_here": number not in self.from_others,
            }
            for e, o, number in zip(self.evaluations, self.origins, self.trial_numbers)
        ]
        return ranked(pd.DataFrame(rows, columns=LEADERBOARD_COLUMNS))

    def extend(self, other: "SearchResult") -> None:
        """Append the trials of a search that went on with this one's study."""
        self.evaluations += other.evaluations
        self.origins += other.origins
        self.trial_numbers += other.trial_numbers
        self.drop_surplus_predictions()

    def with_other_processes(self, wait_seconds: float = 0.0) -> "SearchResult":
        """This result and the trials other processes sharing its study (in a database) finished on the same
        target, which are this process's to choose from too. When other processes have trials in the study, first
        waits, up to ``wait_seconds``, until no trial has run for a second, so that processes ending together
        choose from the same trials."""
        if self.shared is None:
            return self
        _wait_for_running_trials(self.study, wait_seconds, set(self.trial_numbers))
        others = self.shared.finished(exclude=self.trial_numbers)
        # in trial order: ties (in the choice of the best, in ensemble selection) are then broken alike in every process
        rows = sorted([*zip(self.trial_numbers, self.evaluations, self.origins), *others], key=lambda row: row[0])
        merged = SearchResult(
            study=self.study, evaluations=[e for _, e, _ in rows], origins=[o for _, _, o in rows],
            trial_numbers=[n for n, _, _ in rows],
            seconds=self.seconds, task_id=self.task_id, shared=self.shared,
            from_others=self.from_others | {n for n, _, _ in others},
            max_predictions=self.max_predictions)
        merged.drop_surplus_predictions()
        return merged

    def drop_surplus_predictions(self) -> None:
        """Forget the out-of-fold predictions of all but the ``max_predictions`` best evaluations."""
        kept = [e for e in self.evaluations if e.predictions is not None]
        if len(kept) > self.max_predictions:
            for e in sorted(kept, key=lambda e: -e.score)[self.max_predictions:]:
                e.predictions = None


def _wait_for_running_trials(study, seconds: float, own: set) -> None:
    """Return at once when every trial of ``study`` is one of this process's (``own``: a study no other process
    shares); else when no trial has run for ``_QUIET_SECONDS`` (another process's next trial starts milliseconds
    after its last ends: a gap seen once is not its end), or after ``seconds``."""
    from optuna.trial import TrialState

    if all(t.number in own for t in study.get_trials(deepcopy=False)):
        return
    deadline, quiet_since = time.monotonic() + seconds, None
    while time.monotonic() < deadline:
        if study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        if quiet_since is not None and time.monotonic() - quiet_since >= _QUIET_SECONDS:
            return
        time.sleep(min(0.2, max(deadline - time.monotonic(), 0.0)))


def _quiet_optuna() -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)  # failures are reported by us, with their reason


def check_scorer(task) -> None:
    """A metric of the user's own, tried on perfect predictions of a few rows before any trial: one that raises
    is a ConfigError naming it, before a study or a record is written (not a failure of every trial)."""
    if task.scorer is None:
        return
    from automl_meta.evaluate import score_predictions

    y = task.y.iloc[:50].to_numpy()
    classes = None if task.classes is None else list(task.classes)
    perfect = y.astype(float) if classes is None else (y[:, None] == np.asarray(classes)[None, :]).astype(float)
    try:
        score_predictions(task.scoring, y, perfect, classes)
    except Exception as exc:
        raise ConfigError(f"metric {task.metric!r} raised {type(exc).__name__}: {exc} when scoring perfect predictions "
                          f"of {len(y)} rows. Fix the function (it receives y_true and the predicted labels or values; "
                          "give make_scorer(f, response_method='predict_proba') for probabilities).") from exc


def validate_stopping(n_trials, time_budget) -> None:
    """The one check of when a search stops: trials, a budget (seconds or a :class:`Budget`), or both."""
    if n_trials is None and time_budget is None:
        raise ConfigError("Give n_trials, time_budget or both, so that the search knows when to stop.")
    if n_trials is not None and (isinstance(n_trials, bool) or not isinstance(n_trials, (int, np.integer)) or n_trials < 1):
        raise ConfigError(f"n_trials must be a positive integer; got {n_trials!r}. Use for example n_trials=30.")


def resolve_families(families, kind: str) -> list[str]:
    """The families a search over a ``kind`` task may use: ``families`` checked, or every available one."""
    available = available_families(kind)
    if families is None:
        return available
    families = list(families)
    for f in families:
        if f not in FAMILIES:
            Strategy.default(f)  # raises the ConfigError naming the close matches
        if f not in available:
            raise ConfigError(f"Family {f!r} is not available for {kind} tasks here (needs {FAMILIES[f].requires!r}?).")
    if not families:
        raise ConfigError("families is empty; name at least one model family or pass None for all.")
    return families


def _open_metadataset(metadataset, task, log):
    """The meta-dataset trials are recorded in; None for none, and for a metric of the user's own or weighted
    rows, whose scores the meta-model, which learns from unweighted scores of scorer names, cannot compare."""
    if metadataset is False:
        return None
    if task.scorer is not None or task.sample_weight is not None:
        log.info("trials are not recorded in the meta-dataset: %s", "their metric, %s, is not one of scikit-learn's "
                 "scorer names" % task.metric if task.scorer is not None else "their scores are weighted")
        return None
    from automl_meta.metadataset import MetaDataset

    return metadataset if isinstance(metadataset, MetaDataset) else MetaDataset(metadataset)


def _record_task(store, task, metafeatures, random_state: int) -> int | None:
    """The task's id in the meta-dataset, storing it (with ``metafeatures``) when needed. Meta-features are
    computed here only when none were given and the store has none of the current version."""
    if store is None:
        return None
    if metafeatures is None:
        from automl_meta.metafeatures import compute

        task_id = store.current_task_id(task)
        if task_id is not None:
            return task_id
        metafeatures = compute(task, random_state=random_state)
    return store.add_task(task, metafeatures)


def search(
    task,
    *,
    n_trials: int | None = None,
    time_budget=None,
    evaluator: Evaluator | None = None,
    enqueue=(),
    enqueue_origin: str = "warm_start",
    families=None,
    storage: str | None = None,
    study_name: str | None = None,
    sampler=None,
    study=None,
    metadataset=None,
    metafeatures=None,
    origin: str = "sampler",
    random_state: int = 0,
    progress: bool = False,
    logger: logging.Logger | None = None,
    callbacks=(),
    trial_seconds=None,
) -> SearchResult:
    """Search the strategy space for a task with Optuna.

    Parameters
    ----------
    task : Task
    n_trials : int, optional
        Trials to run (in addition to any already in a resumed study).
    time_budget : float or Budget, optional
        Seconds for the whole search, or a :class:`Budget` shared with the caller (its reserve is kept free);
        each trial's time limit is cut to the time left, and a trial over it is ended.
    evaluator : Evaluator, optional
        How trials are scored (folds, time limit per trial, device, threads, isolation, subsample); by default
        an isolated ``Evaluator(random_state=random_state)``, closed at the end.
    enqueue : iterable of Strategy, or AdaptiveWarmStarts
        Strategies tried first, in order (the meta-model's recommendations), but a family whose library a new
        evaluation worker imports last (the MLP) after the others; recorded with ``enqueue_origin``.
        An :class:`~automl_meta.search.AdaptiveWarmStarts` gives its first ones (as many as trials run at
        once), then one more after each of its warm starts is scored.
    families : list of str, optional
        Restrict the search to these families; all available ones by default.
    storage : str, optional
        An Optuna storage URL (``sqlite:///study.db``) to keep and resume the study; in memory when None.
    study_name : str, optional
        Defaults to ``automl-meta-<task name>``.
    sampler : optuna.samplers.BaseSampler, optional
        Defaults to a seeded multivariate TPE sampler (grouped, for the conditional space).
    study : optuna.Study, optional
        A study to go on with, instead of ``storage`` and ``sampler`` (giving both is an error): its own
        sampler keeps what the earlier trials taught it.
    metadataset : MetaDataset, str, None or False
        Where every trial is recorded: a store, a location, None for the user's default store, False for none.
    metafeatures : MetaFeatures, optional
        The task's meta-features, stored with it; computed when the store needs them and none are given.
    origin : str, default="sampler"
        Origin recorded for sampled trials.
    random_state : int, default=0
    progress : bool, default=False
        Show a progress bar on standard error.
    logger : logging.Logger, optional
        Receives one line per enqueued strategy and per trial.
    callbacks : list of SearchCallback or callable, optional
        Told of each trial after it is recorded (:class:`~automl_meta.search.TrialReport`).
    trial_seconds : callable or TrialCosts, optional
        ``trial_seconds(strategy)``: its predicted cross-validation seconds on this machine (for instance from
        ``MetaModel.predict_seconds``), used once the search has measured the strategy's family, corrected by
        those trials (:class:`TrialCosts`; pass one to share what it learns between searches, or to give a lower
        bound for a family not measured yet). Under a time budget, a strategy expected to take longer than its
        trial may is not scored: its trial is pruned, and the search goes on.

    Returns
    -------
    SearchResult
    """
    validate_stopping(n_trials, time_budget)
    check_scorer(task)
    budget = time_budget if isinstance(time_budget, Budget) or time_budget is None else Budget(time_budget)
    families = resolve_families(families, task.kind)
    log = logger or logging.getLogger("automl_meta.search")
    _quiet_optuna()
    study, created = open_study(study_name or f"automl-meta-{task.name}", storage=storage, sampler=sampler,
                                study=study, random_state=random_state)
    for key, value in (("task", task.name), ("metric", task.metric)) if created else ():
        study.set_user_attr(key, value)  # what optuna-dashboard shows of the study
    own_evaluator, evaluator = evaluator is None, evaluator or Evaluator(random_state=random_state)
    n_parallel = evaluator.workers if evaluator.isolate else 1
    warm = _start_warm(study, created, enqueue, enqueue_origin, families, n_parallel, log)
    store = _open_metadataset(metadataset, task, log)
    result = SearchResult(study=study, task_id=_record_task(store, task, metafeatures, random_state),
                          shared=SharedTrials.of(study, task, evaluator))
    interrupted = threading.Event()
    start = time.perf_counter()
    try:
        with SearchProgress(n_trials, None if budget is None else budget.left(), enabled=progress) as bar, \
                graceful_interrupt(interrupted, evaluator):
            runner = _TrialRunner(task, evaluator, families, budget, store, result, origin, bar, log, interrupted,
                                  None if warm is None else (warm, enqueue_origin), check_callbacks(callbacks), trial_seconds)
            # start the workers now; under a budget without waiting for one that is starting (a worker ended
            # after a time-out takes seconds to start again: a short search after a refit must not wait for it)
            if evaluator.isolate:
                evaluator.prepare(task, wait=budget is None)
            # several evaluation workers: as many trials at once, each in a thread driving its own worker
            study.optimize(runner, n_trials=n_trials, timeout=None if budget is None else max(budget.left(), 0.0),
                           catch=(), gc_after_trial=False, n_jobs=n_parallel)
    finally:
        if own_evaluator:
            evaluator.close()
    result.seconds = time.perf_counter() - start
    if interrupted.is_set():
        raise KeyboardInterrupt(f"search interrupted after {len(result.evaluations)} recorded trials; run it again "
                                "with the same storage to resume the study")
    return result


def _start_warm(study, created: bool, enqueue, origin: str, families, n_parallel: int, log):
    """Enqueue the first warm starts; the AdaptiveWarmStarts that gives the later ones, or None (a list, or
    another process enqueues this study's warm starts)."""
    warm = enqueue if isinstance(enqueue, AdaptiveWarmStarts) else None
    first = _late_imports_last(warm.start(n_parallel) if warm else enqueue)
    enqueued = _enqueue(study, created, first, origin, families, log)
    return warm if enqueued else None


def _late_imports_last(strategies) -> list:
    """``strategies`` in their order, but those of a family whose library an evaluation worker imports only for
    it (the MLP's torch: 3 s on a slow 2-core machine) after the others, which need no such wait. First, an MLP
    waited for the import and its refit for this process's: a 10 s fit of a 344-row table ran one trial."""
    return sorted(strategies, key=lambda s: s.family in LATE_IMPORT_FAMILIES)  # sorted is stable


def _enqueue(study, created: bool, strategies, origin: str, families, log) -> bool:
    """Put the warm starts at the front of the study's queue, once; False when another process does."""
    strategies = list(strategies)
    if strategies and not created and not may_enqueue(study):
        # Several processes share this study (Optuna's distributed mode): the one that created it enqueues the
        # warm starts, so they are tried once, not once per process.
        log.info("warm starts left to the process that created study %r", study.study_name)
        return False
    for strategy in strategies:
        if strategy.family not in families:
            log.info("warm start skipped (family %s not searched): %s", strategy.family, strategy)
            continue
        study.enqueue_trial(strategy.to_trial_params(), user_attrs={ORIGIN_ATTR: origin}, skip_if_exists=True)
        log.info("warm start enqueued: %s", strategy)
    return True


class _TrialRunner:
    """Optuna's objective: a trial's strategy scored by the evaluator within what the budget leaves, then
    recorded in the trial, the meta-dataset, the result and the progress bar."""

    def __init__(self, task, evaluator, families, budget, store, result, origin, bar, log, interrupted, warm=None,
                 callbacks=(), trial_seconds=None):
        self.task, self.evaluator, self.families, self.budget = task, evaluator, families, budget
        self.store, self.result, self.origin = store, result, origin
        self.bar, self.log, self.interrupted = bar, log, interrupted
        self.warm = warm  # (AdaptiveWarmStarts, the origin of its trials) or None
        self.callbacks = callbacks
        # a TrialCosts given by the caller keeps what it learnt across searches (a fit's search and its top-up)
        self.costs = trial_seconds if trial_seconds is None or isinstance(trial_seconds, TrialCosts) else TrialCosts(trial_seconds)
        self.skipped = 0
        self._lock = threading.Lock()  # trials may run in several threads (one per evaluation worker)

    def __call__(self, trial) -> float:
        import optuna

        self._stop_if_interrupted(trial)
        strategy = suggest(trial, self.families)
        origin = trial.user_attrs.get(ORIGIN_ATTR, self.origin)
        trial.set_user_attr(ORIGIN_ATTR, origin)
        with self.evaluator.lease() as lease:
            limit = self._time_limit(lease)
            if limit is not None and limit < _MIN_TRIAL_SECONDS:
                trial.study.stop()
                raise optuna.TrialPruned("time budget spent")
            predicted = self._skip_if_too_slow(strategy, limit, lease.import_seconds(strategy.family))
            evaluation = lease.evaluate(strategy, self.task, time_limit=limit)
        if predicted is not None:
            self.costs.observe(strategy, predicted, evaluation)
        # an evaluation cut short by the user, not by the strategy: nothing to learn, nothing recorded
        self._stop_if_interrupted(trial)
        self._record(trial, evaluation, origin)
        if self.warm is not None and origin == self.warm[1]:
            # the trial's strategy as enqueued: the evaluation's may be adapted to a device (space.for_gpu)
            following = self.warm[0].next(strategy, evaluation.score if evaluation.ok else float("nan"))
            if following is not None:
                _enqueue(trial.study, True, [following], origin, self.families, self.log)
        if self.budget is not None and self.budget.free(self.result.evaluations) < _MIN_TRIAL_SECONDS:
            trial.study.stop()
        return evaluation.score if evaluation.ok else float("nan")  # NaN: Optuna records a failed trial and goes on

    def _skip_if_too_slow(self, strategy, limit: float | None, importing: float = 0.0) -> float | None:
        """Prune the trial, unscored, when ``strategy`` is expected to take longer than its time ``limit`` (see
        :data:`_MAX_SKIPPED`), counting the seconds its worker would first spend ``importing`` its library;
        else its uncalibrated prediction (None: no predictor)."""
        import optuna

        if self.costs is None:
            return None
        raw = self.costs.raw(strategy)
        expected = self.costs.seconds(strategy, raw) + importing
        if limit is not None and expected > limit and self.skipped < _MAX_SKIPPED:
            with self._lock:
                self.skipped += 1
            self.log.info("not scored (expected %.1f s, the trial may take %.1f s): %s", expected, limit, strategy)
            raise optuna.TrialPruned(f"expected to take {expected:.1f} s of the {limit:.1f} s left")
        return raw

    def _stop_if_interrupted(self, trial) -> None:
        import optuna

        if self.interrupted.is_set():
            trial.study.stop()
            raise optuna.TrialPruned("interrupted")

    def _time_limit(self, lease) -> float | None:
        """Seconds this trial may take (None: no budget); the (re)start of an isolated worker is paid first,
        so that it is not counted against the model."""
        if self.budget is None:
            return None
        free = self.budget.free(self.result.evaluations)
        if lease.starting:
            # its worker is importing already: waiting costs the budget no more than giving up, and nothing else
            # can run in this slot; wait while a trial would still fit after it (a guess of the start-up, made
            # on another machine, once ended a 5 s fit before its first trial)
            if not lease.wait_ready(free - _MIN_TRIAL_SECONDS):
                return 0.0
        elif free < _MIN_TRIAL_SECONDS + lease.startup_cost():
            return 0.0  # no worker running: starting one would leave no time for a trial
        lease.prepare(self.task)
        # the evaluation may overrun its limit by the worker's grace period before it is ended
        return self.budget.free(self.result.evaluations) - self.evaluator.grace_seconds

    def _record(self, trial, evaluation, origin: str) -> None:
        with self._lock:
            self._record_locked(trial, evaluation, origin)

    def _record_locked(self, trial, evaluation, origin: str) -> None:
        trial.set_user_attr("status", evaluation.status)
        trial.set_user_attr("fit_seconds", evaluation.fit_seconds)
        if evaluation.error:
            trial.set_user_attr("error", evaluation.error.splitlines()[0][:500])
        if self.store is not None:
            self.store.add_evaluation(self.result.task_id, evaluation, origin=origin)
        if self.result.shared is not None:
            self.result.shared.add(trial._trial_id, evaluation, origin)  # the storage's id: no public accessor
        self.result.evaluations.append(evaluation)
        self.result.origins.append(origin)
        self.result.trial_numbers.append(trial.number)
        self.result.drop_surplus_predictions()
        self.bar.update(evaluation)
        outcome = f"{evaluation.score:.5f}" if evaluation.ok else (evaluation.error or "").splitlines()[0][:120]
        self.log.info("trial %d [%s] %s -> %s %s", trial.number, origin, evaluation.strategy, evaluation.status, outcome)
        notify(self.callbacks, "on_trial", TrialReport(trial.number, evaluation.strategy, evaluation.status, evaluation.score,
                                                       evaluation.fit_seconds, origin, evaluation.error))
