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
    model = AutoMetaRegressor(n_trials=2, cv=3, warm_start=False, families=["linear"], metadataset=False,
                              random_state=0).fit(X.iloc[:300], y.iloc[:300])
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
