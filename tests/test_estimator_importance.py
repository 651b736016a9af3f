"""estimator/_importance.py and `automl-meta importance`: permutation importance of a fitted model."""

import numpy as np
import pandas as pd
import pytest

from automl_meta import AutoMetaRegressor
from automl_meta.errors import ConfigError, DataError


def _signal_and_noise(n=400, seed=0):
    rng = np.random.RandomState(seed)
    X = pd.DataFrame({"signal": rng.randn(n), "noise": rng.randn(n), "color": rng.choice(["r", "g", "b"], n)})
    return X, pd.Series(3 * X["signal"] + 0.1 * rng.randn(n), name="y")


@pytest.fixture(scope="module")
def fitted():
    X, y = _signal_and_noise()
    # one worker: with several, the trials' strategies vary from run to run whatever the seed (one run in many drew
    # reg_strength 133 and 1,980, an ensemble whose "signal" importance fell to 0.12)
    model = AutoMetaRegressor(n_trials=2, cv=3, warm_start=False, families=["linear"], metadataset=False,
                              random_state=0, n_jobs=1).fit(X.iloc[:300], y.iloc[:300])
    return model, X.iloc[300:], y.iloc[300:]


def test_the_column_the_target_depends_on_comes_first_with_a_spread(fitted):
    model, X_test, y_test = fitted
    table = model.feature_importances(X_test, y_test, n_repeats=4)
    assert list(table.columns) == ["importance", "std", "low", "high"] and table.index[0] == "signal"
    assert table.loc["signal", "importance"] > 1.0 and table.loc["signal", "low"] > 0.5  # R² drops from ~1 to < 0
    assert abs(table.loc["noise", "importance"]) < 0.05 and (table["low"] <= table["high"]).all()


def test_bad_arguments_are_clear_errors(fitted):
    model, X_test, y_test = fitted
    with pytest.raises(ConfigError, match="n_repeats must be an integer of at least 2"):
        model.feature_importances(X_test, y_test, n_repeats=1)
    with pytest.raises(DataError, match="X has 100 rows but y has 99"):
        model.feature_importances(X_test, y_test.iloc[:99])


def test_the_importance_command(fitted, tmp_path, capsys):
    from automl_meta.cli import main
    from automl_meta.estimator import save_model

    model, X_test, y_test = fitted
    model.target_name_ = "y"
    save_model(model, tmp_path / "m.amm")
    X_test.assign(y=y_test).to_csv(tmp_path / "test.csv", index=False)
    assert main(["importance", str(tmp_path / "m.amm"), str(tmp_path / "test.csv"), "--repeats", "3"]) == 0
    out = capsys.readouterr().out
    assert "permutation importance on 100 rows" in out and out.splitlines()[3].startswith("signal")
    X_test.to_csv(tmp_path / "no_target.csv", index=False)
    assert main(["importance", str(tmp_path / "m.amm"), str(tmp_path / "no_target.csv")]) == 2
    assert "has no column 'y', the target the model was fitted on" in capsys.readouterr().err


def test_without_rows_the_importance_is_out_of_fold_on_the_fit_s_own_rows(fitted):
    model, _, _ = fitted
    table = model.feature_importances(n_repeats=3)
    assert table.index[0] == "signal" and table.loc["signal", "low"] > 0.5
    assert abs(table.loc["noise", "importance"]) < 0.05


def test_out_of_fold_a_column_an_overfitted_model_memorized_is_not_important():
    # a column of pure noise: extra trees fitted to every row (leaves of one row) use it to memorize them, so that
    # shuffling it in the training rows costs accuracy; on rows the fold's model never saw it costs about nothing
    from automl_meta.data import Task
    from automl_meta.estimator._importance import TrainingRows, out_of_fold_importances, permutation_importances
    from automl_meta.models import build_model, fit_model
    from automl_meta.space import Strategy

    rng = np.random.RandomState(1)
    X = pd.DataFrame({"signal": rng.randn(300), "noise": rng.randn(300)})
    y = pd.Series(np.where(X["signal"] + 0.8 * rng.randn(300) > 0, "a", "b"), name="y")
    task = Task(X, y, metric="accuracy", cv=3)
    strategy = Strategy.default("extra_trees")
    model = build_model(strategy, task.kind, n_rows=300, device="cpu", random_state=0)
    fit_model(model, task.X, task.y)
    in_sample = permutation_importances(model, task.X, task.y, "accuracy", 5, 0, None)
    out_of_fold = out_of_fold_importances(TrainingRows(task, ((strategy, 1.0),), 3, 0, "cpu", 1), 5, 0, None)
    assert in_sample.loc["noise", "importance"] > 0.05
    assert abs(out_of_fold.loc["noise", "importance"]) < in_sample.loc["noise", "importance"] / 2
    assert out_of_fold.index[0] == "signal"


def test_out_of_fold_with_validation_rows_and_weights():
    X, y = _signal_and_noise(300, seed=2)
    weights = np.where(X["color"] == "r", 2.0, 1.0)
    for kwargs in (dict(X_val=X.iloc[200:], y_val=y.iloc[200:]), dict(sample_weight=weights[:200])):
        model = AutoMetaRegressor(n_trials=1, cv=3, warm_start=False, families=["linear"], metadataset=False,
                                  random_state=0).fit(X.iloc[:200], y.iloc[:200], **kwargs)
        table = model.feature_importances(n_repeats=2)
        # (one trial of a random regularization: the signal's drop is 0.07 to 1.9, the others' about nothing)
        assert table.index[0] == "signal" and table.loc["signal", "low"] > 10 * abs(table.loc["noise", "importance"])


def test_out_of_fold_needs_the_rows_of_this_process(fitted, tmp_path):
    from automl_meta.estimator import load_model, save_model

    model, X_test, y_test = fitted
    save_model(model, tmp_path / "m.amm")
    with pytest.raises(ConfigError, match="keeps no training rows"):
        load_model(tmp_path / "m.amm").feature_importances()
    with pytest.raises(ConfigError, match="was given X without y"):
        model.feature_importances(X_test)


def test_fit_prints_the_most_important_features_out_of_fold(tmp_path, capsys):
    from automl_meta.cli import main

    X, y = _signal_and_noise(200, seed=3)
    X.assign(y=y).to_csv(tmp_path / "train.csv", index=False)
    argv = ["fit", str(tmp_path / "train.csv"), "--target", "y", "--trials", "1", "--jobs", "1", "--cv", "3",
            "--no-warm-start", "--no-ensemble", "--no-progress", "--metadataset", str(tmp_path / "md.sqlite"),
            "--out", str(tmp_path / "m.amm")]
    assert main(argv) == 0
    out = capsys.readouterr().out
    heading = next(i for i, line in enumerate(out.splitlines()) if line.startswith("most important features out of fold"))
    assert out.splitlines()[heading + 3].startswith("signal")
    assert main(argv + ["--no-importance"]) == 0
    assert "most important features" not in capsys.readouterr().out


def test_stacked_copies_shuffle_one_column_each_and_keep_the_dtypes():
    from automl_meta.estimator._importance import stacked_copies

    X = pd.DataFrame({"n": [1.0, 2.0, 3.0], "c": pd.Categorical(["a", "b", "a"], categories=["a", "b", "z"]),
                      "d": pd.to_datetime(["2020-01-01", "2021-06-30", "2022-12-31"])})
    batch = stacked_copies(X, [(1, np.array([2, 0, 1])), (0, np.array([1, 2, 0]))])
    assert list(batch.columns) == ["n", "c", "d"] and (batch.dtypes == X.dtypes).all()
    assert list(batch.loc[0:2, "c"]) == ["a", "a", "b"] and list(batch.loc[0:2, "n"]) == [1.0, 2.0, 3.0]
    assert list(batch.loc[3:5, "n"]) == [2.0, 3.0, 1.0] and list(batch.loc[3:5, "c"]) == ["a", "b", "a"]
    assert list(batch["c"].cat.categories) == ["a", "b", "z"] and (batch["d"].iloc[3:].to_numpy() == X["d"].to_numpy()).all()


@pytest.mark.parametrize("metric", ["roc_auc", "balanced_accuracy", "neg_log_loss"])
def test_batched_shuffles_score_as_the_scorer_scores_each_shuffled_copy(metric, monkeypatch):
    # a copy's score from the batch's answers equals the scorer called on the estimator with that copy (a label
    # metric included: the estimator's own predict, its threshold), whatever the batches' size
    from sklearn.metrics import get_scorer

    from automl_meta import AutoMetaClassifier
    from automl_meta.estimator import _importance
    from automl_meta.estimator._importance import permutation_importances, stacked_copies

    rng = np.random.RandomState(4)
    X = pd.DataFrame({"signal": rng.randn(240), "noise": rng.randn(240), "color": rng.choice(["r", "g", "b"], 240)})
    y = pd.Series(np.where(X["signal"] + 0.7 * rng.randn(240) > 0.4, "yes", "no"))
    model = AutoMetaClassifier(n_trials=2, cv=3, warm_start=False, families=["linear", "random_forest"], metric=metric,
                               metadataset=False, random_state=0, n_jobs=1).fit(X.iloc[:160], y.iloc[:160])
    X_test, y_test = X.iloc[160:].reset_index(drop=True), y.iloc[160:].reset_index(drop=True)
    monkeypatch.setattr(_importance, "BATCH_CELLS", 2 * X_test.size)  # two copies a batch: three batches
    table = permutation_importances(model, X_test, y_test, metric, 2, 0, None)
    scorer, rng = get_scorer(metric), np.random.default_rng(0)
    shuffles = [(j, rng.permutation(len(X_test))) for j in range(3) for _ in range(2)]
    one_by_one = np.array([scorer(model, stacked_copies(X_test, [s]), y_test) for s in shuffles]).reshape(3, 2)
    expected = (scorer(model, X_test, y_test) - one_by_one).mean(axis=1)
    assert np.allclose(table.loc[["signal", "noise", "color"], "importance"], expected, atol=1e-12)
    assert table.index[0] == "signal"


def test_out_of_fold_importance_does_not_depend_on_the_batches(fitted, monkeypatch):
    from automl_meta.estimator import _importance

    model, _, _ = fitted
    batched = model.feature_importances(n_repeats=2)
    monkeypatch.setattr(_importance, "BATCH_CELLS", 1)  # one shuffled copy a prediction call
    pd.testing.assert_frame_equal(model.feature_importances(n_repeats=2), batched, rtol=1e-9)


def test_out_of_fold_importance_of_a_best_fit_reuses_its_bags_and_equals_fitting_them_again(monkeypatch):
    import dataclasses

    from automl_meta import AutoMetaClassifier
    from automl_meta.estimator import _importance

    rng = np.random.RandomState(5)
    X = pd.DataFrame({"signal": rng.randn(200), "noise": rng.randn(200), "color": rng.choice(["r", "g"], 200)})
    y = pd.Series(np.where(X["signal"] + 0.5 * rng.randn(200) > 0, "yes", "no"))
    model = AutoMetaClassifier(n_trials=3, cv=3, warm_start=False, families=["linear", "random_forest"], quality="best",
                               metadataset=False, random_state=0, n_jobs=1).fit(X, y)
    rows = model._training_rows
    folds, bags = rows.bags
    assert len(folds) == 3 and all(b is not None and len(b) == 3 for b in bags) and len(bags) == len(rows.members)
    fitted = []
    real = _importance.fit_fold_models
    monkeypatch.setattr(_importance, "fit_fold_models", lambda *a, **k: fitted.append(a[1]) or real(*a, **k))
    reused = _importance.out_of_fold_importances(rows, 2, 0, 1000)
    assert fitted == []  # every member's fold models were its bag's
    again = _importance.out_of_fold_importances(dataclasses.replace(rows, bags=None), 2, 0, 1000)
    assert len(fitted) == len(rows.members)
    pd.testing.assert_frame_equal(reused, again)
    # on a sample of the rows the folds are other rows: the members are fitted again
    _importance.out_of_fold_importances(rows, 2, 0, 150)
    assert len(fitted) == 2 * len(rows.members)


def test_fit_skips_an_importance_too_wide_to_be_quick_unless_asked(tmp_path, capsys, monkeypatch):
    from automl_meta.cli import _fit, main

    X, y = _signal_and_noise(200, seed=3)
    X.assign(y=y).to_csv(tmp_path / "train.csv", index=False)
    argv = ["fit", str(tmp_path / "train.csv"), "--target", "y", "--trials", "1", "--jobs", "1", "--cv", "3",
            "--no-warm-start", "--no-ensemble", "--no-progress", "--metadataset", str(tmp_path / "md.sqlite"),
            "--out", str(tmp_path / "m.amm")]
    monkeypatch.setattr(_fit, "AUTO_IMPORTANCE_CELLS", 5399)  # 3 columns x 3 shuffles x 200 rows x 3 columns: 5,400
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "feature importance not computed: shuffling each of the 3 columns 3 times predicts 5,400 cells" in out
    assert "most important features" not in out
    assert main(argv + ["--importance"]) == 0
    assert "most important features out of fold" in capsys.readouterr().out
