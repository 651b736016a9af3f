"""Building a meta-dataset from a corpus: every task gets the common strategies and a short TPE run (every
third of its trials drawn at random instead).

Resumable: what is stored is skipped (common strategies by key, TPE trials by count, the TPE study re-seeded
with everything stored for the task). Parallel: ``jobs`` threads, each driving its own isolated evaluation
worker process (the threads only wait on their workers). Each task is evaluated on a seeded, stratified
subsample of at most ``max_rows`` rows, and it is that subsample which is stored as the task (its
meta-features describe exactly the data the strategies were scored on).
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

import numpy as np

from automl_meta.collect._design import common_strategies
from automl_meta.data import Task, load_manifest, stratified_subsample, task_from_manifest_row
from automl_meta.evaluate import Evaluator
from automl_meta.metafeatures import compute
from automl_meta.space import Strategy, available_families, sample, suggest

COMMON, TPE = "common", "tpe"
log = logging.getLogger("automl_meta.collect")


@dataclass
class BuildConfig:
    """How a meta-dataset is built; recorded as provenance. See ``automl-meta metadataset build --help``."""

    n_common: int = 32
    n_specific: int = 32
    max_rows: int = 1500
    cv: int = 3
    time_limit: float = 60.0
    jobs: int = 2
    random_state: int = 0


@dataclass
class BuildReport:
    tasks_done: int = 0
    evaluations_added: int = 0
    seconds: float = 0.0
    failed_tasks: dict = field(default_factory=dict)


def capped_task(task: Task, max_rows: int, cv: int, random_state: int) -> Task:
    """The task itself, or a seeded stratified subsample of at most ``max_rows`` rows (same name and group)."""
    if task.n_rows <= max_rows:
        return task
    rows = stratified_subsample(task.y.to_numpy(), max_rows, classification=task.is_classification, random_state=random_state)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Task(task.X.iloc[rows], task.y.iloc[rows], kind=task.kind, metric=task.metric, name=task.name,
                    group=task.group, cv=cv, target_name=task.target_name)


def _trial_for(strategy, status: str, score, families) -> object:
    """A finished Optuna trial for a stored evaluation, as ``suggest`` would have named its parameters."""
    import optuna

    from automl_meta.space import FAMILIES

    fam = FAMILIES[strategy.family]
    params = strategy.to_trial_params()
    dists = {"family": optuna.distributions.CategoricalDistribution(list(families))}
    for name, spec in fam.params.items():
        dists[f"{strategy.family}.{name}"] = spec.distribution()
    if status == "ok" and score is not None and math.isfinite(score):
        return optuna.trial.create_trial(params=params, distributions=dists, value=float(score))
    return optuna.trial.create_trial(params=params, distributions=dists, state=optuna.trial.TrialState.FAIL)


def _build_task(row, store, config: BuildConfig, common, on_eval, task_seed: int) -> int:
    """Evaluate what is missing for one manifest row; returns the evaluations added."""
    import optuna

    full = task_from_manifest_row(row, cv=config.cv)
    task = capped_task(full, config.max_rows, config.cv, config.random_state)
    source = f"{row.get('source', '')}; rows {task.n_rows} of {full.n_rows}".strip("; ")
    task_id = store.current_task_id(task)
    if task_id is None:
        task_id = store.add_task(task, compute(task, random_state=config.random_state), source=source)
    added = 0
    with Evaluator(cv=config.cv, time_limit=config.time_limit, random_state=config.random_state, n_jobs=1) as evaluator:
        done = store.evaluated_keys(task_id, origin=COMMON)
        for strategy in common:
            if strategy.key in done:
                continue
            ev = evaluator(strategy, task)
            store.add_evaluation(task_id, ev, origin=COMMON)
            on_eval(ev)
            added += 1
        stored = store.evaluations(task_id)
        n_tpe = int((stored["origin"] == TPE).sum())
        if n_tpe >= config.n_specific:
            return added
        families = available_families(task.kind)
        optuna.logging.set_verbosity(optuna.logging.ERROR)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            sampler = optuna.samplers.TPESampler(seed=task_seed + n_tpe, multivariate=True, group=True, n_startup_trials=0)
        study = optuna.create_study(direction="maximize", sampler=sampler)
        for family, params, status, score in stored[["family", "params", "status", "score"]].itertuples(index=False):
            if family in families:  # everything known about this task guides the sampler
                study.add_trial(_trial_for(Strategy(family, json.loads(params)), status, score, families))
        for i in range(n_tpe, config.n_specific):
            if i % 3 == 0:
                # every third one uniformly at random in the space: TPE alone piles up near-copies of the
                # incumbent, and the meta-model learns as much from the rest of the space
                study.enqueue_trial(sample(1, task.kind, families=families, random_state=task_seed * 1000 + i)[0].to_trial_params())
            trial = study.ask()
            strategy = suggest(trial, families)
            ev = evaluator(strategy, task)
            store.add_evaluation(task_id, ev, origin=TPE)
            study.tell(trial, ev.score if ev.ok else None, state=None if ev.ok else optuna.trial.TrialState.FAIL)
            on_eval(ev)
            added += 1
    return added


def build(manifest=None, store=None, config: BuildConfig | None = None, names=None, progress: bool = True) -> BuildReport:
    """Evaluate the common strategies and a short TPE run on every task of a manifest (default: the corpus).

    Parameters
    ----------
    manifest : path or DataFrame, optional
    store : MetaDataset
    config : BuildConfig
    names : list of str, optional
        Only these tasks.
    progress : bool
        A progress bar of evaluations on standard error.
    """
    from automl_meta.metadataset import MetaDataset

    config = config or BuildConfig()
    store = store if store is not None else MetaDataset()
    frame = load_manifest(manifest) if manifest is None or not hasattr(manifest, "iterrows") else manifest
    if names is not None:
        frame = frame[frame["name"].isin(set(names))]
    common = common_strategies(config.n_common, config.random_state)
    total = len(frame) * (config.n_common + config.n_specific)
    report = BuildReport()
    lock = threading.Lock()
    start = time.perf_counter()
    bar = None
    if progress:
        from tqdm.auto import tqdm

        done = store.count()[1]
        bar = tqdm(total=total, initial=min(done, total), desc="meta-dataset", unit="eval", dynamic_ncols=True)

    def on_eval(ev):
        with lock:
            if bar is not None:
                bar.update(1)
                bar.set_postfix_str(f"{ev.strategy.family}:{ev.status}")

    def run(i, row):
        return _build_task(row, store, config, common, on_eval, task_seed=config.random_state * 100_003 + i)

    last_recorded = start

    def record_time():
        # the build time is added up as tasks finish, so that an interrupted build still accounts for itself
        nonlocal last_recorded
        now = time.perf_counter()
        previous = float(store.get_info("build_seconds", 0) or 0)
        store.set_info("build_seconds", f"{previous + now - last_recorded:.1f}")
        last_recorded = now

    with ThreadPoolExecutor(max_workers=config.jobs) as pool:
        futures = {pool.submit(run, i, row): row["name"] for i, (_, row) in enumerate(frame.iterrows())}
        for fut in as_completed(futures):
            record_time()
            try:
                added = fut.result()
            except Exception as exc:  # a task that cannot be loaded is reported; the build goes on
                log.error("task %s failed: %r", futures[fut], exc)
                report.failed_tasks[futures[fut]] = repr(exc)
                continue
            report.tasks_done += 1
            report.evaluations_added += added
    if bar is not None:
        bar.close()
    record_time()
    report.seconds = time.perf_counter() - start
    return report
