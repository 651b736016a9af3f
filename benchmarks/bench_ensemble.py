"""The ensemble against the best single strategy of the same search, on held-out tasks.

For each held-out task (the end-to-end benchmark's: same sample, same held-out meta-models, same outer 75/25
split), ``AutoMetaClassifier``/``AutoMetaRegressor(time_budget=B, n_jobs=1)`` is fitted once; its model (the
ensemble, or the single best strategy when that is what the selection kept) is compared on the test split
with the best single strategy of the same search refitted on the same training rows, and with the other way
to make the members: bagging, each member being the average of its cross-validation fold models as
the trials trained them (same rows, folds and seeds: re-trained here, since the search does not keep them),
with no refit. Also reported: members, the out-of-fold gain, predict seconds on the test split and the size
of the saved model file (the bagged members' fold models pickled with joblib).

Writes benchmarks/results/ensemble.csv (resumable) and ensemble.md.

Usage: python benchmarks/bench_ensemble.py [--tasks 12] [--budget 30] [--metadataset PATH] [--smoke]
"""

from __future__ import annotations

import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from harness.cli import RESULTS, benchmark_parser, command_line
from harness.heldout import MODEL_CACHE, open_store, select
from harness.machine import machine_stamp
from harness.endtoend import TIE
from harness.peers import outer_split, test_score


def predict_seconds(model, X, classification: bool) -> float:
    began = time.perf_counter()
    model.predict_proba(X) if classification else model.predict(X)
    return time.perf_counter() - began


def file_kib(model, folder: Path) -> float:
    from automl_meta import save_model

    path = folder / "model.amm"
    save_model(model, path)
    return path.stat().st_size / 1024


class Averaged:
    """Weighted average of fitted models' predictions (probabilities for classification)."""

    def __init__(self, models, weights, classes):
        self.models, self.weights, self.classes_ = models, weights, classes

    def _average(self, X):
        from automl_meta.evaluate import predict_for_scoring

        classes = None if self.classes_ is None else list(self.classes_)
        total = sum(w * np.asarray(predict_for_scoring(m, X, classes), dtype=float) for m, w in zip(self.models, self.weights))
        return total / float(sum(self.weights))

    def predict_proba(self, X):
        return self._average(X)

    def predict(self, X):
        average = self._average(X)
        return self.classes_[np.argmax(average, axis=1)] if self.classes_ is not None else average


def bagged_members(fitted, task, X_train, y_train) -> Averaged:
    """The ensemble's members as the average of their fold models: each trained on the rows and folds its trial
    used, with its seed (bagging: what keeping the trials' fold models would give, without refitting)."""
    from automl_meta.data import Task
    from automl_meta.evaluate import row_subsample, test_folds
    from automl_meta.models import build_model

    train_task = Task(X_train, y_train, kind=task.kind, metric=task.metric, cv=fitted.cv_)
    max_rows = None if fitted.search_rows_ >= train_task.n_rows else fitted.search_rows_
    rows = row_subsample(train_task, max_rows, 0)
    X, y = train_task.X.iloc[rows].reset_index(drop=True), train_task.y.iloc[rows].reset_index(drop=True)
    folds = test_folds(train_task, fitted.cv_, 0, max_rows)  # the folds the fit used (fewer for a rare class)
    models, weights = [], []
    for member in fitted.ensemble_:
        for test in folds:
            train = np.setdiff1d(np.arange(len(y)), test)
            model = build_model(member["strategy"], task.kind, n_rows=len(train), random_state=0, n_jobs=1)
            models.append(model.fit(X.iloc[train], y.iloc[train]))
            weights.append(member["weight"] / len(folds))
    classes = None if train_task.classes is None else np.asarray(train_task.classes)
    return Averaged(models, weights, classes)


def joblib_kib(obj, folder: Path) -> float:
    import joblib

    path = folder / "bagged.joblib"
    joblib.dump(obj, path)
    return path.stat().st_size / 1024


def compare(task, budget: float, metamodel_path, scratch: Path) -> dict:
    from automl_meta.estimator import AutoMetaClassifier, AutoMetaRegressor
    from automl_meta.models import build_model

    X_train, X_test, y_train, y_test = outer_split(task)
    cls = AutoMetaClassifier if task.is_classification else AutoMetaRegressor
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = cls(time_budget=budget, metamodel=metamodel_path, metric=task.metric, n_jobs=1, random_state=0,
                     metadataset=str(scratch / "recorded.sqlite")).fit(X_train, y_train)
        single = build_model(fitted.best_strategy_, task.kind, n_rows=len(X_train), random_state=0).fit(X_train, y_train)
        bagged = bagged_members(fitted, task, X_train, y_train)
    board = fitted.leaderboard_
    best_trial = board.loc[board["origin"] != "ensemble", "score"].max()
    single_est = cls(n_jobs=1)  # the single model, saved the way a user would save it
    single_est.__dict__.update(fitted.__dict__)
    single_est.best_estimator_ = single
    return {
        "task": task.name, "kind": task.kind, "budget_s": budget, "members": len(fitted.ensemble_),
        "fit_seconds": round(fitted.fit_seconds_, 2), "oof_gain": fitted.best_score_ - best_trial,
        "test_ensemble": test_score(task.metric, fitted, X_test, y_test),
        "test_single": test_score(task.metric, single_est, X_test, y_test),
        "test_bagged": test_score(task.metric, bagged, X_test, y_test),
        "predict_s_ensemble": predict_seconds(fitted, X_test, task.is_classification),
        "predict_s_single": predict_seconds(single_est, X_test, task.is_classification),
        "predict_s_bagged": predict_seconds(bagged, X_test, task.is_classification),
        "kib_ensemble": file_kib(fitted, scratch), "kib_single": file_kib(single_est, scratch),
        "kib_bagged": joblib_kib(bagged.models, scratch),
    }


def bagging_lines(frame: pd.DataFrame) -> list[str]:
    """Refitted members against bagged fold models (rows written before the bagging variant are left out)."""
    if "test_bagged" not in frame or frame["test_bagged"].isna().all():
        return []
    both = frame.dropna(subset=["test_bagged"])
    d = both["test_ensemble"] - both["test_bagged"]
    return [f"Members refitted on every row against bagged fold models ({len(both)} tasks): mean test metric "
            f"{both['test_ensemble'].mean():.4f} vs {both['test_bagged'].mean():.4f}, win/tie/loss "
            f"{int((d > TIE).sum())}/{int((d.abs() <= TIE).sum())}/{int((d < -TIE).sum())}; median predict seconds "
            f"{both['predict_s_ensemble'].median():.3f} vs {both['predict_s_bagged'].median():.3f}; median KiB "
            f"{both['kib_ensemble'].median():.0f} vs {both['kib_bagged'].median():.0f}."]


def summarize(frame: pd.DataFrame, command: str) -> str:
    d = frame["test_ensemble"] - frame["test_single"]
    wins, ties, losses = int((d > TIE).sum()), int((d.abs() <= TIE).sum()), int((d < -TIE).sum())
    several = frame[frame["members"] > 1]
    lines = [f"## Ensemble against the best single strategy ({machine_stamp()})", "", f"Command: `{command}`", "",
             frame.round(4).to_markdown(index=False), "",
             f"Ensemble at least as good as the single best on the test split (tie: within {TIE}): "
             f"{wins + ties} of {len(frame)} tasks ({100 * (wins + ties) / max(len(frame), 1):.0f}%; win/tie/loss "
             f"{wins}/{ties}/{losses}); an ensemble of several members on {len(several)} tasks, where the mean test "
             f"difference is {(several['test_ensemble'] - several['test_single']).mean():+.4f}.",
             f"Target (>= 70% of tasks): {'MET' if wins + ties >= 0.7 * len(frame) else 'MISSED'}.",
             *bagging_lines(frame),
             f"Median predict seconds, ensemble / single: {frame['predict_s_ensemble'].median():.3f} / "
             f"{frame['predict_s_single'].median():.3f}; median model file KiB: {frame['kib_ensemble'].median():.0f} / "
             f"{frame['kib_single'].median():.0f}."]
    return "\n".join(lines)


def main() -> None:
    parser = benchmark_parser(__doc__, metadataset=None, tasks=12, folds=4, budget=30.0, out_dir=RESULTS,
                              smoke=(False, "1 task, a 10 s budget, a small meta-model"))
    parser.add_argument("--sample", type=int, default=24)
    args = parser.parse_args()
    command = command_line(parser, args)
    members, epochs, cache = 5, 60, MODEL_CACHE
    if args.smoke:
        args.tasks, args.sample, args.folds, args.budget = 1, 1, 1, 10.0
        members, epochs, cache = 1, 3, None
    out_dir = args.out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / "ensemble.csv"
    done = pd.read_csv(out) if out.exists() else pd.DataFrame()
    held = select(open_store(args.metadataset), args.sample, args.folds, members=members, epochs=epochs, cache=cache)
    scratch = Path(tempfile.mkdtemp())
    for t in held.tasks[: args.tasks]:
        model, _, _, path = held.methods(held.fold(t))
        if path is None:
            path = model.save(scratch / "m.pt")
        task = held.corpus_task(t, capped=False)
        if len(done) and ((done["task"] == task.name) & (done["budget_s"] == args.budget)).any():
            continue
        row = compare(task, args.budget, path, scratch)
        print(f"{task.name}: ensemble of {row['members']}, test {row['test_ensemble']:.4f} vs single "
              f"{row['test_single']:.4f}", flush=True)
        done = pd.concat([done, pd.DataFrame([row])], ignore_index=True)
        done.to_csv(out, index=False)
    report = summarize(done[done["budget_s"] == args.budget], command)
    (out_dir / "ensemble.md").write_text(report + "\n")
    print(report)


if __name__ == "__main__":
    main()
