"""Bad input through the three interfaces: the Python API, the estimator and the CLI.

Each case is one row of CASES and of the table in docs/RELIABILITY.md. For every interface that can be given
the bad input, the case states the exception (the CLI: exit code 2 and one line on stderr naming the problem,
no traceback) and a fragment of its message. Graceful behaviours (extra, reordered or retyped columns, unseen
categories) have their own tests below the table.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from automl_meta.cli._main import main
from automl_meta.data import Task
from automl_meta.errors import (AutoMetaError, ConfigError, DataError, MetaModelError, StorageError,
                                UntrustedFileError)
from automl_meta.estimator import AutoMetaClassifier, AutoMetaRegressor, load_model, save_model

from helpers import make_mixed_frame
from helpers import stored

def _search(*args, **kwargs):
    from automl_meta.search import search

    return search(*args, **kwargs)


FAST = dict(n_trials=2, warm_start=False, families=["linear"], cv=3, metadataset=False, random_state=0, n_jobs=1)


@pytest.fixture(scope="module")
def fitted():
    frame = make_mixed_frame(n=120, seed=1)
    return AutoMetaClassifier(**FAST).fit(frame.drop(columns=["y_binary", "y_multi", "y_reg"]), frame["y_binary"])


@pytest.fixture(scope="module")
def small_metamodel(tmp_path_factory):
    from automl_meta.evaluate import Evaluation
    from automl_meta.metadataset import MetaDataset
    from automl_meta.metamodel import MetaModel
    from automl_meta.space import Strategy

    store = MetaDataset(tmp_path_factory.mktemp("mm") / "md.sqlite")
    for seed in range(3):
        frame = make_mixed_frame(n=60, seed=seed)
        tid = stored(store, Task(frame.drop(columns=["y_binary", "y_multi", "y_reg"]), frame["y_binary"], name=f"t{seed}"))
        store.add_evaluations(tid, [Evaluation(Strategy("linear", {"reg_strength": r}), "roc_auc", "ok", score=0.5 + r / 100,
                                               fit_seconds=0.1) for r in (0.1, 1.0, 10.0)], origin="search")
    return MetaModel(n_members=1, epochs=2).fit(store.training_data())


@dataclass
class Ctx:
    tmp: Path
    frame: pd.DataFrame
    X: pd.DataFrame
    y: pd.Series
    train_csv: Path
    new_csv: Path
    model_file: Path
    metamodel_file: Path
    fitted: object

    def csv(self, name: str, frame: pd.DataFrame | None = None, text: bytes | None = None) -> Path:
        path = self.tmp / name
        if text is not None:
            path.write_bytes(text)
        else:
            frame.to_csv(path, index=False)
        return path


@pytest.fixture
def ctx(tmp_path, fitted, small_metamodel):
    frame = make_mixed_frame(n=120, seed=1).drop(columns=["y_multi", "y_reg"])
    X, y = frame.drop(columns=["y_binary"]), frame["y_binary"]
    c = Ctx(tmp_path, frame, X, y, tmp_path / "train.csv", tmp_path / "new.csv", tmp_path / "model.amm",
            tmp_path / "metamodel.npz", fitted)
    frame.to_csv(c.train_csv, index=False)
    X.iloc[:20].to_csv(c.new_csv, index=False)
    save_model(fitted, c.model_file)  # signed with this test's (temporary) user key
    small_metamodel.save(c.metamodel_file)
    return c


def _truncate(path: Path, keep: float = 0.5) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def _other_version_metamodel(c: Ctx) -> Path:
    meta = c.metamodel_file.with_name(c.metamodel_file.name + ".json")
    info = json.loads(meta.read_text())
    info["metafeatures_version"] = "0-other"
    meta.write_text(json.dumps(info))
    return c.metamodel_file


def _fit_cli(c, *extra, data=None, target="y_binary", out=None, metadataset=None):
    return ["fit", str(data or c.train_csv), "--target", target, "--trials", "2", "--cv", "3", "--no-warm-start",
            "--no-progress", "--out", str(out or c.tmp / "m.amm"), "--metadataset", str(metadataset or c.tmp / "md.sqlite"),
            *extra]


def _truncated_gzip() -> bytes:
    rows = "".join(f"{v:.6f},{i % 2}\n" for i, v in enumerate(np.random.default_rng(0).normal(size=2000)))
    data = gzip.compress(("a,y\n" + rows).encode())
    return data[: len(data) // 2]  # pandas alone would return the first half of the rows without a word


def _one_class(c):
    return c.frame.assign(y_binary="yes")


def _predict_missing(c):
    return c.X.drop(columns=["x0"])


# id: (error class, message fragment, python API, estimator, CLI argv); a None interface cannot be given it.
CASES = {
    "target column missing": (
        DataError, "not found",
        lambda c: Task.from_csv(c.train_csv, target="y_binry"),
        None,
        lambda c: _fit_cli(c, target="y_binry"),
    ),
    "target all missing": (
        DataError, "missing",
        lambda c: Task(c.X, pd.Series([np.nan] * len(c.X))),
        lambda c: AutoMetaRegressor(**FAST).fit(c.X, np.full(len(c.X), np.nan)),
        lambda c: _fit_cli(c, data=c.csv("t.csv", c.frame.assign(y_binary=np.nan))),
    ),
    "one class": (
        DataError, "one class",
        lambda c: Task(c.X, pd.Series(["a"] * len(c.X)), kind="binary"),
        lambda c: AutoMetaClassifier(**FAST).fit(c.X, ["a"] * len(c.X)),
        lambda c: _fit_cli(c, data=c.csv("t.csv", _one_class(c))),
    ),
    "fewer than 10 rows": (
        DataError, "rows",
        lambda c: Task(c.X.iloc[:5], c.y.iloc[:5]),
        lambda c: AutoMetaClassifier(**FAST).fit(c.X.iloc[:5], c.y.iloc[:5]),
        lambda c: _fit_cli(c, data=c.csv("t.csv", c.frame.iloc[:5])),
    ),
    "X and y of different lengths": (
        ValueError, "",
        lambda c: Task(c.X, c.y.iloc[:-3]),
        lambda c: AutoMetaClassifier(**FAST).fit(c.X, c.y.iloc[:-3]),
        None,
    ),
    "duplicate column names": (
        DataError, "duplicate",
        lambda c: Task(c.X.set_axis(["x0"] * c.X.shape[1], axis=1), c.y),
        lambda c: AutoMetaClassifier(**FAST).fit(c.X.set_axis(["x0"] * c.X.shape[1], axis=1), c.y),
        None,
    ),
    "infinite feature values": (
        DataError, "Infinite values",
        lambda c: Task(c.X.assign(x0=np.inf), c.y),
        lambda c: AutoMetaClassifier(**FAST).fit(c.X.assign(x0=np.inf), c.y),
        lambda c: _fit_cli(c, data=c.csv("t.csv", c.frame.assign(x0=np.inf))),
    ),
    "text target declared regression": (
        DataError, "regression",
        lambda c: Task(c.X, c.y, kind="regression"),
        lambda c: AutoMetaRegressor(**FAST).fit(c.X, c.y),
        lambda c: _fit_cli(c, "--kind", "regression"),
    ),
    # (a Task cannot stratify a class of one row; the estimator and the CLI drop its row with a warning, and
    # cross-validate a class of 2 or more rows but fewer than cv with fewer folds: see test_estimator)
    "class of one row": (
        DataError, "fold",
        lambda c: Task(c.X, c.y.where(c.y.index > 0, "rare"), cv=5),
        None,
        None,
    ),
    "cv below 2": (
        DataError, "cv must be",
        lambda c: Task(c.X, c.y, cv=1),
        None,
        None,
    ),
    "estimator cv below 2": (
        ConfigError, "'cv' parameter of AutoMetaClassifier must be an int in the range [2, inf). Got 1",
        None,
        lambda c: AutoMetaClassifier(**FAST | {"cv": 1}).fit(c.X, c.y),
        lambda c: _fit_cli(c, "--cv", "1"),
    ),
    "empty CSV": (
        DataError, "empty",
        lambda c: Task.from_csv(c.csv("e.csv", text=b""), target="y"),
        None,
        lambda c: _fit_cli(c, data=c.csv("e.csv", text=b""), target="y"),
    ),
    "CSV with only a header": (
        DataError, "no data rows",
        lambda c: Task.from_csv(c.csv("h.csv", text=b"a,b,y\n"), target="y"),
        None,
        lambda c: _fit_cli(c, data=c.csv("h.csv", text=b"a,b,y\n"), target="y"),
    ),
    "file not UTF-8": (
        DataError, "UTF-8",
        lambda c: Task.from_csv(c.csv("l.csv", text="a,y\n".encode() + "é,1\n".encode("utf-16") * 20), target="y"),
        None,
        lambda c: _fit_cli(c, data=c.csv("l.csv", text="a,y\n".encode() + "é,1\n".encode("utf-16") * 20), target="y"),
    ),
    "truncated gzip": (
        DataError, "not a complete gzip file",
        lambda c: Task.from_csv(c.csv("c.csv.gz", text=_truncated_gzip()), target="y"),
        None,
        lambda c: _fit_cli(c, data=c.csv("c.csv.gz", text=_truncated_gzip()), target="y"),
    ),
    "a folder given as the data file": (
        DataError, "folder",
        lambda c: Task.from_csv(c.tmp, target="y"),
        None,
        lambda c: _fit_cli(c, data=c.tmp),
    ),
    "data file does not exist": (
        DataError, "does not exist",
        lambda c: Task.from_csv(c.tmp / "absent.csv", target="y"),
        None,
        lambda c: _fit_cli(c, data=c.tmp / "absent.csv"),
    ),
    "time budget of 0": (
        ConfigError, "time_budget",
        lambda c: _search(Task(c.X, c.y), time_budget=0, metadataset=False),
        lambda c: AutoMetaClassifier(**FAST | {"time_budget": 0}).fit(c.X, c.y),
        lambda c: _fit_cli(c, "--time-budget", "0"),
    ),
    "negative time budget": (
        ConfigError, "time_budget",
        lambda c: _search(Task(c.X, c.y), time_budget=-5, metadataset=False),
        lambda c: AutoMetaClassifier(**FAST | {"time_budget": -5}).fit(c.X, c.y),
        lambda c: _fit_cli(c, "--time-budget", "-5"),
    ),
    "zero trials": (
        ConfigError, "n_trials",
        lambda c: _search(Task(c.X, c.y), n_trials=0, metadataset=False),
        lambda c: AutoMetaClassifier(**FAST | {"n_trials": 0}).fit(c.X, c.y),
        lambda c: ["search", str(c.train_csv), "--target", "y_binary", "--trials", "0", "--no-progress"],
    ),
    "unknown metric": (
        ConfigError, "Unknown metric 'acuracy'",
        lambda c: Task(c.X, c.y, metric="acuracy"),
        lambda c: AutoMetaClassifier(**FAST | {"metric": "acuracy"}).fit(c.X, c.y),
        lambda c: _fit_cli(c, "--metric", "acuracy"),
    ),
    "unknown family": (
        ConfigError, "Unknown model family 'boosted_forest'",
        lambda c: __import__("automl_meta").Strategy("boosted_forest", {}),
        lambda c: AutoMetaClassifier(**FAST | {"families": ["boosted_forest"]}).fit(c.X, c.y),
        lambda c: ["search", str(c.train_csv), "--target", "y_binary", "--trials", "1", "--families", "boosted_forest",
                   "--no-progress", "--metadataset", str(c.tmp / "md.sqlite")],
    ),
    "unknown hyperparameter in a strategy": (
        ConfigError, "Unknown hyperparameter",
        lambda c: __import__("automl_meta").Strategy("linear", {"learning_rate": 0.1}),
        None,
        None,
    ),
    "unknown Optuna storage URL": (
        StorageError, "Cannot open the Optuna storage",
        lambda c: _search(Task(c.X, c.y), n_trials=1, storage="foo:///x.db", metadataset=False),
        lambda c: AutoMetaClassifier(**FAST | {"storage": "foo:///x.db"}).fit(c.X, c.y),
        lambda c: _fit_cli(c, "--storage", "foo:///x.db"),
    ),
    "Optuna storage in a folder that does not exist": (
        StorageError, "Cannot open the Optuna storage",
        lambda c: _search(Task(c.X, c.y), n_trials=1, storage=f"sqlite:///{c.tmp}/absent/study.db", metadataset=False),
        lambda c: AutoMetaClassifier(**FAST | {"storage": f"sqlite:///{c.tmp}/absent/study.db"}).fit(c.X, c.y),
        lambda c: _fit_cli(c, "--storage", f"sqlite:///{c.tmp}/absent/study.db"),
    ),
    "truncated meta-model file": (
        MetaModelError, "",
        lambda c: __import__("automl_meta").MetaModel.load(_truncate(c.metamodel_file)),
        lambda c: AutoMetaClassifier(**FAST | {"warm_start": True, "metamodel": _truncate(c.metamodel_file)}).fit(c.X, c.y),
        lambda c: ["recommend", str(c.train_csv), "--target", "y_binary", "--metamodel", str(_truncate(c.metamodel_file))],
    ),
    "meta-model of another meta-feature version": (
        MetaModelError, "trained for meta-features v0-other",
        lambda c: __import__("automl_meta").MetaModel.load(_other_version_metamodel(c)),
        lambda c: AutoMetaClassifier(**FAST | {"warm_start": True, "metamodel": _other_version_metamodel(c)}).fit(c.X, c.y),
        lambda c: ["recommend", str(c.train_csv), "--target", "y_binary", "--metamodel", str(_other_version_metamodel(c))],
    ),
    "unwritable meta-dataset path": (
        StorageError, "meta-dataset",
        # under a regular file no folder can be made, even by root
        lambda c: __import__("automl_meta").MetaDataset(c.train_csv / "md.sqlite").count(),
        lambda c: AutoMetaClassifier(**FAST | {"metadataset": str(c.train_csv / "md.sqlite")}).fit(c.X, c.y),
        lambda c: _fit_cli(c, metadataset=c.train_csv / "md.sqlite"),
    ),
    "unwritable model output path": (
        StorageError, "Cannot write the model",
        lambda c: save_model(c.fitted, c.train_csv / "model.amm"),
        None,
        lambda c: _fit_cli(c, out=c.train_csv / "m.amm"),
    ),
    "model file that is not one": (
        DataError, "is not a model saved by automl-meta",
        lambda c: load_model(c.train_csv),
        None,
        lambda c: ["predict", str(c.train_csv), str(c.new_csv), "--out", str(c.tmp / "p.csv")],
    ),
    "model file truncated": (
        UntrustedFileError, "signature does not match",
        lambda c: load_model(_truncate(c.model_file, 0.9)),
        None,
        lambda c: ["predict", str(_truncate(c.model_file, 0.9)), str(c.new_csv), "--out", str(c.tmp / "p.csv")],
    ),
    "model file a folder": (
        DataError, "is a folder",
        lambda c: load_model(c.tmp),
        None,
        lambda c: ["predict", str(c.tmp), str(c.new_csv), "--out", str(c.tmp / "p.csv")],
    ),
    "predict without a training column": (
        DataError, "missing at prediction",
        lambda c: load_model(c.model_file).predict(_predict_missing(c)),
        lambda c: c.fitted.predict(_predict_missing(c)),
        lambda c: ["predict", str(c.model_file), str(c.csv("n.csv", _predict_missing(c))), "--out", str(c.tmp / "p.csv")],
    ),
    "predict with an array of the wrong width": (
        ValueError, "features",
        None,
        lambda c: AutoMetaRegressor(**FAST).fit(np.random.default_rng(0).normal(size=(40, 3)), np.arange(40.0)).predict(np.zeros((2, 4))),
        None,
    ),
}


def _check(exc_info, error, fragment):
    assert isinstance(exc_info.value, error), f"{type(exc_info.value).__name__}: {exc_info.value}"
    assert fragment.lower() in str(exc_info.value).lower()


@pytest.mark.parametrize("case", [k for k, v in CASES.items() if v[2] is not None])
def test_python_api(case, ctx):
    error, fragment, api, _, _ = CASES[case]
    with pytest.raises(Exception) as info:
        api(ctx)
    _check(info, error, fragment)


@pytest.mark.parametrize("case", [k for k, v in CASES.items() if v[3] is not None])
def test_estimator(case, ctx):
    error, fragment, _, estimator, _ = CASES[case]
    with pytest.raises(Exception) as info:
        estimator(ctx)
    _check(info, error, fragment)


@pytest.mark.parametrize("case", [k for k, v in CASES.items() if v[4] is not None])
def test_cli(case, ctx, capsys):
    error, fragment, _, _, argv = CASES[case]
    code = main(argv(ctx))
    err = capsys.readouterr().err
    assert code == 2, err
    lines = [line for line in err.splitlines() if line.startswith("automl-meta: error:")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert fragment.lower() in lines[0].lower()


def test_cli_debug_shows_the_traceback(ctx):
    with pytest.raises(AutoMetaError):
        main(["--debug", *_fit_cli(ctx, "--metric", "acuracy")])


def test_there_are_at_least_25_cases_and_each_reaches_two_interfaces():
    assert len(CASES) >= 25
    assert sum(sum(f is not None for f in v[2:]) >= 2 for v in CASES.values()) >= 25


# -- graceful behaviours ---------------------------------------------------------------------------------------
def test_reordered_columns_give_the_same_predictions(ctx):
    X = ctx.X.iloc[:30]
    assert (ctx.fitted.predict(X[X.columns[::-1]]) == ctx.fitted.predict(X)).all()


def test_extra_columns_are_ignored(ctx):
    X = ctx.X.iloc[:30]
    assert (ctx.fitted.predict(X.assign(unexpected=1.0, note="x")) == ctx.fitted.predict(X)).all()


def test_unseen_categories_are_predicted(ctx):
    X = ctx.X.iloc[:30].assign(color="ultraviolet", size="XXL")
    proba = ctx.fitted.predict_proba(X)
    assert proba.shape == (30, 2) and np.isfinite(proba).all()


def test_a_numeric_column_turned_text_warns_and_is_treated_as_missing(ctx):
    from automl_meta.data import DataWarning

    X = ctx.X.iloc[:30].copy()
    X["x0"] = X["x0"].astype(object)
    X.loc[X.index[:5], "x0"] = "see notes"  # ("n/a" and the like are missing markers: read as missing silently)
    with pytest.warns(DataWarning, match="'x0' was numeric in training, but 5 of its values"):
        pred = ctx.fitted.predict(X)
    assert len(pred) == 30
    # the CLI prints the warning as one line and still writes the predictions
    path = ctx.csv("typed.csv", X)
    assert main(["predict", str(ctx.model_file), str(path), "--out", str(ctx.tmp / "p.csv")]) == 0
    assert len(pd.read_csv(ctx.tmp / "p.csv")) == 30


def test_a_categorical_column_turned_numeric_is_read_as_categories(ctx):
    X = ctx.X.iloc[:30].assign(color=7)
    assert len(ctx.fitted.predict(X)) == 30


def test_a_model_from_another_user_needs_trust(ctx, monkeypatch, tmp_path_factory, capsys):
    other_home = tmp_path_factory.mktemp("other_user")
    monkeypatch.setenv("AUTOML_META_HOME", str(other_home))
    with pytest.raises(UntrustedFileError, match="trust"):
        load_model(ctx.model_file)
    assert main(["predict", str(ctx.model_file), str(ctx.new_csv), "--out", str(ctx.tmp / "p.csv")]) == 2
    assert "--trust" in capsys.readouterr().err
    assert load_model(ctx.model_file, trust=True).predict(ctx.X.iloc[:5]).shape == (5,)
    assert main(["predict", "--trust", str(ctx.model_file), str(ctx.new_csv), "--out", str(ctx.tmp / "p.csv")]) == 0


def test_the_signing_key_is_private_to_the_user(ctx):
    import os
    import stat

    from automl_meta.data import data_home

    mode = stat.S_IMODE(os.stat(data_home() / "model-signing.key").st_mode)
    assert mode == 0o600
