"""The end-to-end benchmark's methods behind one ``make_method``: automl-meta, FLAML (``AutoML`` and its zero-shot
defaults), AutoGluon (in its own interpreter: ``autogluon_runner.py``), the meta-model's zero-shot pick and
scikit-learn defaults; the outer split and the test metric every method is scored with (protocol 3 of
docs/BENCHMARKS.md)."""

from __future__ import annotations

import json
import sys
import tempfile
import time
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent

METHODS = ["automl_meta", "automl_meta_fast", "automl_meta_best", "flaml_automl", "flaml_automl_ensemble", "autogluon_medium", "autogluon_best", "flaml_zeroshot",
           "automl_meta_zeroshot", "hgb_default", "rf_default", "linear_default"]


#: The zero-shot pick is made among the strategies predicted to train on the task within this many seconds.
ZERO_SHOT_SECONDS = 60.0


#: The methods of a run without --methods (the AutoGluon ones need its extra: `make bench-endtoend-v2`).
DEFAULT_METHODS = ["automl_meta", "flaml_automl", "flaml_zeroshot", "automl_meta_zeroshot", "hgb_default", "rf_default",
                   "linear_default"]


#: Methods that search within the budget (the others fit the same model at every budget).
SEARCHING = {"automl_meta", "automl_meta_fast", "automl_meta_best", "flaml_automl", "flaml_automl_ensemble", "autogluon_medium", "autogluon_best"}


#: The package each method needs; a method whose package is missing is left out of the run, with a message.
REQUIRES = {"flaml_automl": "flaml", "flaml_automl_ensemble": "flaml", "flaml_zeroshot": "flaml",
            "autogluon_medium": "autogluon.tabular", "autogluon_best": "autogluon.tabular"}


#: AutoGluon's names for the task metrics (it has no macro one-vs-rest ROC AUC: multiclass uses log loss).
AUTOGLUON_METRIC = {"roc_auc": "roc_auc", "roc_auc_ovr": "log_loss", "r2": "r2"}


FAILED_SCORE = {"roc_auc": 0.5, "roc_auc_ovr": 0.5, "r2": 0.0}


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
    if method in ("automl_meta", "automl_meta_fast", "automl_meta_best"):  # the presets: quality medium, fast, best
        from automl_meta.estimator import AutoMetaClassifier, AutoMetaRegressor

        cls = AutoMetaClassifier if clf else AutoMetaRegressor
        quality = {"automl_meta": "medium", "automl_meta_fast": "fast", "automl_meta_best": "best"}[method]
        return cls(n_trials=None, time_budget=budget, metamodel=metamodel_path, metric=task.metric, quality=quality,
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
    by ``autogluon_runner.py`` in AutoGluon's own interpreter (:func:`autogluon_python`): its pins of pandas,
    scikit-learn and torch differ from the project's. ``fit_seconds_`` is AutoGluon's own fit time (the
    interpreter's start and imports excluded, as they are for the in-process methods)."""

    def __init__(self, budget: float, presets: str, metric: str, scratch: Path):
        self.budget, self.presets, self.metric, self.scratch = budget, presets, metric, scratch

    def fit(self, X, y):
        import subprocess

        self.dir_ = Path(tempfile.mkdtemp(dir=self.scratch))
        data = self.dir_ / "train.parquet"
        _for_parquet(X).assign(__target__=np.asarray(y)).to_parquet(data)
        command = [autogluon_python(), str(HERE / "autogluon_runner.py"), "fit", "--data", str(data), "--label",
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
        subprocess.run([autogluon_python(), str(HERE / "autogluon_runner.py"), "predict", "--data", str(data),
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

    for candidate in (os.environ.get("AUTOGLUON_PYTHON"), str(ROOT / ".venv-autogluon" / "bin" / "python")):
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

@dataclass(frozen=True)
class Run:
    """One method's fit on one task: its test metric, fit seconds, error (empty: none), the seconds it predicted
    for itself (the zero-shot pick), and its inference costs: seconds to predict 1,000 test rows and the size of
    the fitted model pickled (NaN where it cannot be pickled)."""

    score: float
    seconds: float
    error: str
    predicted_seconds: float = np.nan
    predict_s_per_1k_rows: float = np.nan
    size_bytes: float = np.nan


def run_one(method, task, budget, metamodel_path, scratch, split, seed: int = 0) -> Run:
    X_train, X_test, y_train, y_test = split
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = make_method(method, task, budget, metamodel_path, scratch, seed)
            model.fit(X_train, y_train)
            seconds = getattr(model, "fit_seconds_", None) if method.startswith("autogluon") else None
            seconds = seconds if seconds is not None else time.perf_counter() - t0
            score = test_score(task.metric, model, X_test, y_test)
            return Run(score, seconds, "", getattr(model, "predicted_seconds_", np.nan),
                       *inference_costs(model, X_test, task.is_classification))
    except Exception as exc:  # a failure is a result: recorded, counted against the method
        traceback.print_exc()
        error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
        return Run(np.nan, time.perf_counter() - t0, error)


def inference_costs(model, X_test, classification: bool) -> tuple[float, float]:
    """Seconds the fitted ``model`` takes to predict 1,000 of ``X_test``'s rows (probabilities for a classifier;
    after one call that pays one-off costs), and its pickled size in bytes (NaN when it does not pickle)."""
    import cloudpickle  # the FLAML method is a class defined in make_method: plain pickle refuses it

    rows = X_test.iloc[:1000]
    predict = model.predict_proba if classification else model.predict
    predict(rows.iloc[:1])
    began = time.perf_counter()
    predict(rows)
    per_1k = (time.perf_counter() - began) * 1000 / len(rows)
    try:
        size = float(len(cloudpickle.dumps(model)))
    except Exception:  # a wrapper of another interpreter's model (AutoGluon), say
        size = np.nan
    return per_1k, size
