"""The anytime benchmark's held-out rows (``bench_anytime.py --holdout``): is an incumbent's inner-CV lead real?

Protocol 2 scores an incumbent by the inner-CV score the search selected it on. A search of 50 trials picks the
maximum of 50 noisy estimates, so part of its lead over a search of 5 is the noise it selected (the optimizer's
curse). With ``--holdout`` every task's rows are split once, 75/25 (stratified for classification, seeded, as
in the end-to-end benchmark): every method searches the 75% with the same inner CV, and the incumbent after n
trials is refit on the 75% and scored on the 25% it never saw, with the task's metric. Nothing of the 25%
reaches a method: the warm starts come from the meta-features of the 75% (not the meta-dataset's, which
describe the whole task).

Writes ``anytime_test.csv`` (task, group, kind, method, n_trials, trial, cv_score, test_score; resumable per
task and method) and a section of ``anytime.md``: the mean test metric per method and checkpoint, and per task
the first few trials of the warm-started methods against cold TPE's last checkpoint.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from harness.stats import above_level_below, mean_with_interval
from harness.endtoend import TIE
from harness.peers import outer_split, test_score

TEST_COLUMNS = ["task", "group", "kind", "method", "n_trials", "trial", "cv_score", "test_score"]


def split_task(task, cv: int):
    """The task's 75% as a Task for the search and the held-out 25% as (X, y). The search uses ``cv`` inner
    folds, or as many as the 75%'s rarest class has rows (at least 2; a class of one row is dropped), as the
    estimators do: a class of 3 rows in the task may keep 2 in the 75%."""
    from automl_meta.data import Task

    X_train, X_test, y_train, y_test = outer_split(task)
    if task.kind != "regression":
        counts = pd.Series(y_train).value_counts()
        cv = max(2, min(cv, int(counts[counts >= 2].min())))
    train = Task(X_train, y_train, kind=task.kind, metric=task.metric, name=task.name, group=task.group, cv=cv,
                 single_row_classes="drop")
    return train, (X_test, y_test)


def reached(checkpoints, n_trials: int) -> list[int]:
    """The checkpoints a search of ``n_trials`` trials reached; the first always counts, so that a search with
    no (or too few) trials still reports its incumbent there, as a failure."""
    return [n for n in checkpoints if n <= n_trials or n == checkpoints[0]]


def incumbent_tests(rows: list[dict], checkpoints, train, test) -> list[dict]:
    """For each checkpoint n a search of ``rows`` reached: its incumbent (the best inner-CV score among the first
    n trials), refit on ``train`` and scored on ``test``; NaN when nothing had succeeded or the refit failed."""
    scores = np.array([r["score"] for r in rows], dtype=float)
    tested: dict[int, float] = {}
    out = []
    for n in reached(checkpoints, len(rows)):
        seen = scores[:n]
        if not np.isfinite(seen).any():
            out.append({"n_trials": n, "trial": -1, "cv_score": np.nan, "test_score": np.nan})
            continue
        i = int(np.nanargmax(seen))
        if i not in tested:
            tested[i] = _refit_and_test(rows[i]["strategy"], train, test)
        out.append({"n_trials": n, "trial": i, "cv_score": float(seen[i]), "test_score": tested[i]})
    return out


def _refit_and_test(strategy_json: str, train, test) -> float:
    from automl_meta.models import build_model
    from automl_meta.space import Strategy

    model = build_model(Strategy.from_json(strategy_json), train.kind, n_rows=train.n_rows, random_state=0, n_jobs=1)
    try:
        model.fit(train.X, train.y)
        return test_score(train.metric, model, *test)
    except Exception:  # noqa: BLE001 - a strategy that fails on the 75% is scored as missing, as a failed trial
        return float("nan")


def paired_test(frame: pd.DataFrame, pairs, value: str = "test_score", seed: int = 0) -> pd.DataFrame:
    """For each ((method, n), (other, m)) pair: on how many tasks the first incumbent's ``value`` (test metric,
    or the inner-CV score it was selected on) is above / level with (within TIE) / below the second's, and the
    mean difference with a 95% bootstrap interval."""
    wide = frame.pivot_table(index="task", columns=["method", "n_trials"], values=value)
    rng = np.random.default_rng(seed)
    rows = []
    for first, second in pairs:
        if first not in wide.columns or second not in wide.columns:
            continue
        both = wide[[first, second]].dropna()
        diff = (both[first] - both[second]).to_numpy()
        rows.append({"incumbent": f"{first[0]} after {first[1]}", "against": f"{second[0]} after {second[1]}",
                     "tasks": len(diff),
                     "better / level / worse": above_level_below(diff, TIE),
                     "mean difference": mean_with_interval(diff, rng)})
    return pd.DataFrame(rows)


def summarize_test(frame: pd.DataFrame, order) -> list[str]:
    """The markdown section of the held-out rows."""
    n_tasks = frame["task"].nunique()
    mean = frame.pivot_table(index="n_trials", columns="method", values="test_score", aggfunc="mean")
    cv = frame.pivot_table(index="n_trials", columns="method", values="cv_score", aggfunc="mean")
    methods = [m for m in order if m in mean.columns]
    table = pd.DataFrame({m: [f"{mean.loc[n, m]:.4f} ({cv.loc[n, m]:.4f})" if np.isfinite(mean.loc[n, m]) else ""
                              for n in mean.index] for m in methods}, index=mean.index)
    last = int(frame.loc[frame["method"] == "tpe", "n_trials"].max()) if (frame["method"] == "tpe").any() else None
    warm = [m for m in methods if m != "tpe" and m != "random"]
    pairs = [((m, n), ("tpe", last)) for m in warm for n in (5, 20)] + [(("tpe", 20), ("tpe", last))] if last else []
    lines = [f"### held-out rows ({n_tasks} tasks): the incumbent refit on the 75% and scored on the 25%", "",
             "mean test metric of the incumbent after n trials (its mean inner-CV score in brackets)", "",
             table.to_markdown(), ""]
    for value, label in (("test_score", "test metric on the held-out rows"),
                         ("cv_score", "inner-CV score, what the search selected on")):
        paired = paired_test(frame, pairs, value)
        if not paired.empty:
            lines += [f"per task, {label} (ties within 1e-4)", "", paired.to_markdown(index=False), ""]
    return lines
