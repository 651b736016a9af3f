"""The units of work of a meta-dataset build, run by joblib's workers (local processes or Dask workers).

Each unit is independent and picklable: it names its task by a :class:`TaskSpec` (the manifest row and the
fidelity), loads the task as a user's file would (``Task.from_file``: no cleaning beyond what ``Task`` does for
everyone), caps it to the fidelity's rows, and either describes it (:func:`register_task`) or scores one
strategy on it (:func:`evaluate_strategy`). Loaded tasks and the isolated evaluator are kept per worker
process, so consecutive units of one task load it once.
"""

from __future__ import annotations

import atexit
import functools
import warnings
from dataclasses import dataclass

from automl_meta.data import Task, stratified_subsample


@dataclass(frozen=True)
class TaskSpec:
    """One task of a manifest at one fidelity: what a worker needs to load it."""

    name: str
    group: str
    collection: str | None
    file: str
    target: str
    kind: str
    source: str
    fidelity: str
    max_rows: int
    cv: int
    random_state: int


def capped_task(task: Task, max_rows: int, cv: int, random_state: int) -> Task:
    """The task itself, or a seeded stratified subsample of at most ``max_rows`` rows (same name and group)."""
    if task.n_rows <= max_rows:
        return task
    # every class keeps at least `cv` rows where it has them, so that the subsample can be cross-validated
    rows = stratified_subsample(task.y.to_numpy(), max_rows, classification=task.is_classification,
                                random_state=random_state, min_per_class=cv)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Task(task.X.iloc[rows], task.y.iloc[rows], kind=task.kind, metric=task.metric, name=task.name,
                    group=task.group, cv=cv, target_name=task.target_name)


@functools.lru_cache(maxsize=4)
def _load(spec: TaskSpec) -> tuple[Task, int, tuple[str, ...]]:
    """(the capped task, the full task's rows, the data warnings Task raised while loading the file)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        full = Task.from_file(spec.file, target=spec.target, kind=spec.kind, name=spec.name, group=spec.group, cv=spec.cv)
    repairs = tuple(str(w.message) for w in caught if w.category.__name__ == "DataWarning")
    return capped_task(full, spec.max_rows, spec.cv, spec.random_state), full.n_rows, repairs


def register_task(spec: TaskSpec, min_rows: int = 0) -> dict:
    """Load and describe one task: ``{"spec", "task", "metafeatures", "full_rows", "repairs"}``; ``{"spec",
    "error"}`` when ``Task`` refuses the file (the reason is the build report's); ``{"spec", "skip"}`` when the
    task has no more than ``min_rows`` rows (a larger fidelity is only for larger tasks)."""
    from automl_meta.metafeatures import compute

    try:
        task, full_rows, repairs = _load(spec)
    except Exception as exc:  # a task the library refuses: reported with its reason, the build goes on
        return {"spec": spec, "error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:300] if str(exc) else ''}"}
    if full_rows <= min_rows:
        return {"spec": spec, "skip": f"{full_rows} rows"}
    return {"spec": spec, "task": task, "metafeatures": compute(task, random_state=spec.random_state),
            "full_rows": full_rows, "repairs": list(repairs)}


def evaluate_strategy(spec: TaskSpec, strategy: dict, time_limit: float):
    """Score one strategy (``Strategy.to_dict()``) on the task by cross-validation, in an isolated worker
    process that is ended at ``time_limit``; returns the :class:`~automl_meta.evaluate.Evaluation`."""
    from automl_meta.space import Strategy

    task = _load(spec)[0]
    return _evaluator(spec.cv, time_limit, spec.random_state)(Strategy.from_dict(strategy), task)


@functools.lru_cache(maxsize=2)
def _evaluator(cv: int, time_limit: float, random_state: int):
    from automl_meta.evaluate import Evaluator

    evaluator = Evaluator(cv=cv, time_limit=time_limit, random_state=random_state, n_jobs=1)
    atexit.register(evaluator.close)
    return evaluator
