"""Building a meta-dataset from a corpus, through joblib (local processes, or a Dask cluster), resumably.

A build evaluates, on every task of a manifest:

* the **base fidelity**: a seeded, stratified subsample of at most ``max_rows`` rows (stored as its own task,
  so its meta-features describe exactly the data the strategies were scored on), the first ``n_common``
  strategies of the common set, then (after the large fidelity's common set) ``n_specific`` task-specific
  strategies proposed by TPE from everything stored for the task (every third one uniformly at random
  instead: TPE alone piles up near-copies of the incumbent), in ``rounds`` rounds over all tasks;
* the **large fidelity**, for tasks of more than ``large_min_rows`` rows: a subsample of at most
  ``large_rows`` rows (its own task with its own meta-features) and the first ``n_common_large`` strategies of
  the common set, so that the meta-model sees how the best choice shifts with size.

Every (task, strategy, fidelity) evaluation is an independent unit of work run by joblib's workers; the
results stream into the meta-dataset as they finish. Resumable: what is stored is never evaluated again (a
killed build restarts where it stopped). ``shard=(i, n)`` builds the i-th of n disjoint parts of the manifest
(by group), for building on several machines and merging the exports (``MetaDataset.import_file``).
"""

from __future__ import annotations

import json
import logging
import math
import time
import warnings
import zlib
from dataclasses import dataclass, field

import pandas as pd

from automl_meta.collect._backend import execution_backend, run_units
from automl_meta.collect._config import BuildConfig
from automl_meta.collect._design import common_strategies
from automl_meta.collect._units import TaskSpec, evaluate_strategy, register_task
from automl_meta.data import load_manifest
from automl_meta.space import Strategy, available_families, sample, suggest

COMMON, TPE = "common", "tpe"
BASE, LARGE = "base", "large"
log = logging.getLogger("automl_meta.collect")


@dataclass
class BuildReport:
    tasks_done: int = 0
    evaluations_added: int = 0
    seconds: float = 0.0
    failed_tasks: dict = field(default_factory=dict)  # task name -> why Task refused it
    duplicate_tasks: dict = field(default_factory=dict)  # task name -> the task with the same data (built once)
    repaired_tasks: dict = field(default_factory=dict)  # task name -> the DataWarnings Task raised

    @property
    def evaluations_per_second(self) -> float:
        return self.evaluations_added / self.seconds if self.seconds > 0 else float("nan")


def plan(frame: pd.DataFrame, config: BuildConfig) -> list[TaskSpec]:
    """The task specs of a manifest: every row at the base fidelity, rows of more than ``large_min_rows``
    rows (or of unknown size) at the large one too."""
    specs = []
    for _, row in frame.iterrows():
        common = dict(name=str(row["name"]), group=str(row["group"]), file=str(row["file"]), target=str(row["target"]),
                      kind=str(row["task"]).strip().lower(), source=str(row.get("source", "") or ""), cv=config.cv,
                      collection=None if pd.isna(row.get("collection")) else str(row.get("collection")),
                      random_state=config.random_state)
        specs.append(TaskSpec(fidelity=BASE, max_rows=config.max_rows, **common))
        size = row.get("n_rows")
        if config.n_common_large and (size is None or pd.isna(size) or int(size) > config.large_min_rows):
            specs.append(TaskSpec(fidelity=LARGE, max_rows=config.large_rows, **common))
    return specs


def shard_of(frame: pd.DataFrame, shard: tuple[int, int] | None) -> pd.DataFrame:
    """The rows of shard ``(i, n)`` (1 <= i <= n): groups are split by a stable hash, so a group is built whole
    on one machine and shards never overlap."""
    if shard is None:
        return frame
    i, n = shard
    keep = [zlib.crc32(str(g).encode()) % n == i - 1 for g in frame["group"]]
    return frame[keep]


def build(manifest=None, store=None, config: BuildConfig | None = None, names=None, progress: bool = True,
          scheduler: str | None = None, dask: bool = False, shard: tuple[int, int] | None = None) -> BuildReport:
    """Build (or resume) a meta-dataset from a manifest (default: the corpus); see the module's docstring.

    Parameters
    ----------
    manifest : path or DataFrame, optional
    store : MetaDataset, optional
        The user's store by default.
    config : BuildConfig, optional
    names : list of str, optional
        Only these tasks.
    progress : bool, default=True
        A progress bar of evaluations on standard error.
    scheduler : str, optional
        The address of a Dask scheduler (``tcp://host:8786``) whose workers run the units.
    dask : bool, default=False
        Run the units on a local Dask cluster of ``config.jobs`` workers.
    shard : (int, int), optional
        Build only the i-th of n disjoint parts of the manifest.
    """
    from automl_meta.metadataset import MetaDataset

    config = config or BuildConfig()
    store = store if store is not None else MetaDataset()
    frame = load_manifest(manifest) if manifest is None or not hasattr(manifest, "iterrows") else manifest
    if names is not None:
        frame = frame[frame["name"].isin(set(names))]
    builder = _Builder(store, config, plan(shard_of(frame, shard), config), progress)
    with execution_backend(config.jobs, scheduler=scheduler, dask=dask):
        builder.run()
    return builder.report


class _Builder:
    """One build: registers the tasks, then runs the common units and the task-specific rounds."""

    def __init__(self, store, config: BuildConfig, specs: list[TaskSpec], progress: bool):
        self.store, self.config, self.specs, self.progress = store, config, specs, progress
        self.report = BuildReport()
        self.task_ids: dict[TaskSpec, int] = {}
        self.kinds: dict[TaskSpec, str] = {}
        self.start = self._last_recorded = time.perf_counter()
        families = config.families or available_families()
        self.common = common_strategies(config.n_common, config.random_state, families=families)
        self.families = families

    def run(self) -> None:
        self._register()
        done = self._done()
        # the common sets first (base, then the costlier large fidelity), the task-specific rounds last: the
        # meta-model learns and is benchmarked mostly from the common sets (every task scored on the same
        # strategies, at both sizes), so a build stopped early leaves the most useful evaluations
        for fidelity in (BASE, LARGE):
            units = [(spec, s, COMMON) for spec in self.task_ids if spec.fidelity == fidelity
                     for s in self._common_for(spec) if (self.task_ids[spec], s.key, COMMON) not in done]
            self._evaluate(units, len(units), f"common set, {fidelity}")
        for r in range(self.config.rounds):
            self._evaluate(*self._tpe_units(r), f"task-specific {r + 1}/{self.config.rounds}")
        self._record_time()
        self.report.tasks_done = len({spec.name for spec in self.task_ids})
        self.report.seconds = time.perf_counter() - self.start

    # -- tasks ----------------------------------------------------------------------------------------------
    def _register(self) -> None:
        """Store every task spec not stored yet (found by name and fidelity) with its meta-features."""
        stored = self.store.tasks()
        known = {(n, f): (int(i), k) for n, f, i, k in zip(stored["name"], stored["fidelity"], stored["id"], stored["kind"])
                 if isinstance(f, str)}
        self.report.duplicate_tasks = json.loads(self.store.get_info("duplicate_tasks") or "{}")
        todo = []
        for spec in self.specs:
            if spec.name in self.report.duplicate_tasks:
                continue
            if (spec.name, spec.fidelity) in known:
                self.task_ids[spec], self.kinds[spec] = known[(spec.name, spec.fidelity)]
            else:
                todo.append(spec)
        jobs = [(register_task, (spec, self.config.large_min_rows if spec.fidelity == LARGE else 0)) for spec in todo]
        for _, result in run_units(jobs, len(jobs), self.progress and bool(todo), "loading tasks"):
            self._store_task(result)
        self.store.set_info("rejected_tasks", json.dumps(self.report.failed_tasks))
        self.store.set_info("duplicate_tasks", json.dumps(self.report.duplicate_tasks))

    def _store_task(self, result: dict) -> None:
        spec = result["spec"]
        if "error" in result:
            log.error("task %s refused: %s", spec.name, result["error"])
            self.report.failed_tasks[spec.name] = result["error"]
            return
        if "skip" in result:
            return
        if result["repairs"]:
            self.report.repaired_tasks[spec.name] = result["repairs"]
        task = result["task"]
        source = f"{spec.source}; rows {task.n_rows} of {result['full_rows']}".strip("; ")
        task_id = self.store.current_task_id(task)
        same = [other for other, i in self.task_ids.items() if i == task_id and other.name != spec.name]
        if same:  # the same data (and metric) under another name in the manifest: built once, reported
            self.report.duplicate_tasks[spec.name] = same[0].name
            return
        self.task_ids[spec] = self.store.add_task(task, result["metafeatures"], source=source, fidelity=spec.fidelity,
                                                  collection=spec.collection)
        self.kinds[spec] = task.kind

    def _done(self) -> set:
        evals = self.store.evaluations()
        return set(zip(evals["task_id"].astype(int), evals["strategy_key"], evals["origin"]))

    def _common_for(self, spec: TaskSpec) -> list[Strategy]:
        n = self.config.n_common if spec.fidelity == BASE else self.config.n_common_large
        return [s for s in self.common[:n] if s.family in available_families(self.kinds[spec])]

    # -- evaluations ----------------------------------------------------------------------------------------
    def _evaluate(self, units, total: int, desc: str) -> None:
        """Run ``total`` (spec, strategy, origin) units, taken from ``units`` as workers free up (a TPE proposal
        is made while the previous ones run); each result is stored as soon as it arrives."""
        if not total:
            return
        log.info("%s: %d evaluations", desc, total)
        dispatched = []

        def jobs():
            for unit in units:
                dispatched.append(unit)
                spec, strategy, _ = unit
                yield evaluate_strategy, (spec, strategy.to_dict(), self._time_limit(spec))

        for count, (index, evaluation) in enumerate(run_units(jobs(), total, self.progress, desc), start=1):
            spec, _, origin = dispatched[index]
            self.store.add_evaluation(self.task_ids[spec], evaluation, origin=origin)
            self.report.evaluations_added += 1
            if count % 200 == 0:
                self._record_time()

    def _time_limit(self, spec: TaskSpec) -> float:
        return self.config.time_limit if spec.fidelity == BASE else self.config.large_time_limit

    def _tpe_units(self, round_index: int):
        """Round ``round_index`` of the task-specific strategies: each base task's share, proposed by a TPE
        study that knows every stored evaluation of the task (and, as running, the round's other proposals)."""
        per_round = math.ceil(self.config.n_specific / max(self.config.rounds, 1))
        target = min(self.config.n_specific, per_round * (round_index + 1))
        evals = self.store.evaluations()
        by_task = {int(t): g for t, g in evals.groupby("task_id")}
        todo = []
        for spec, task_id in self.task_ids.items():
            stored = by_task.get(task_id, evals.iloc[:0])
            n_done = int((stored["origin"] == TPE).sum())
            if spec.fidelity == BASE and n_done < target:
                todo.append((spec, stored, n_done))

        def units():
            for spec, stored, n_done in todo:
                for strategy in self._propose(spec, stored, n_done, target - n_done):
                    yield spec, strategy, TPE

        return units(), sum(target - n_done for _, _, n_done in todo)

    def _propose(self, spec: TaskSpec, stored: pd.DataFrame, n_done: int, count: int) -> list[Strategy]:
        import optuna

        from automl_meta.collect._history import study_from_evaluations

        if count <= 0:
            return []
        families = [f for f in self.families if f in available_families(self.kinds[spec])]
        seed = self.config.random_state * 100_003 + zlib.crc32(spec.name.encode()) % 100_000 + n_done
        study = study_from_evaluations(stored, families, seed)
        out = []
        for i in range(n_done, n_done + count):
            if i % 3 == 0:
                params = sample(1, families=families, random_state=seed * 1000 + i)[0].to_trial_params()
                study.enqueue_trial(params)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                out.append(suggest(study.ask(), families))
        return out

    def _record_time(self) -> None:
        """Add the time since the last record to the store's build time, so an interrupted build accounts for
        itself."""
        now = time.perf_counter()
        previous = float(self.store.get_info("build_seconds", 0) or 0)
        self.store.set_info("build_seconds", f"{previous + now - self._last_recorded:.1f}")
        self._last_recorded = now

