"""Validation data (``fit(X, y, X_val=, y_val=)``): trials train on X once and are scored on X_val."""

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification
from sklearn.metrics import get_scorer

from automl_meta import AutoMetaClassifier
from automl_meta.errors import ConfigError, DataError
from automl_meta.models import build_model


def _split(n=600, seed=0):
    X, y = make_classification(n_samples=n, n_features=6, random_state=seed)
    X = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])
    return X.iloc[:450], y[:450], X.iloc[450:].reset_index(drop=True), y[450:]


def test_each_trial_is_a_model_trained_on_x_and_scored_on_the_validation_rows():
    X, y, X_val, y_val = _split()
    model = AutoMetaClassifier(n_trials=3, cv=5, warm_start=False, families=["linear"], metadataset=False,
                               random_state=0, n_jobs=1).fit(X, y, X_val=X_val, y_val=y_val)
    assert model.cv_ == 1 and model.n_rows_ == 600 and model.n_features_in_ == 6
    board = model.leaderboard_[model.leaderboard_["origin"] != "ensemble"]
    strategy = model.best_strategy_
    trained = build_model(strategy, "binary", n_rows=450, device="cpu", random_state=0).fit(X, y)
    expected = get_scorer("roc_auc")(trained, X_val, y_val)
    assert np.isclose(board.loc[board["strategy"] == str(strategy), "score"].iloc[0], expected, atol=1e-6)
    assert model.predict(X_val).shape == (150,)


@pytest.mark.parametrize("change, error, message", [
    (lambda X, y, Xv, yv: dict(X_val=Xv), ConfigError, "Give both X_val and y_val"),
    (lambda X, y, Xv, yv: dict(X_val=Xv.rename(columns={"f0": "g0"}), y_val=yv), DataError, "missing from X_val: \\['f0'\\]"),
    (lambda X, y, Xv, yv: dict(X_val=Xv.to_numpy()[:, :5], y_val=yv), DataError, "X_val has 5 columns, X has 6"),
    (lambda X, y, Xv, yv: dict(X_val=Xv, y_val=yv[:10]), DataError, "X_val has 150 rows but y_val has 10"),
    (lambda X, y, Xv, yv: dict(X_val=Xv, y_val=np.where(yv == 1, 2, yv)), DataError, "y_val has class\\(es\\) '2'"),
    (lambda X, y, Xv, yv: dict(X_val=Xv, y_val=yv, groups=np.arange(len(X)) % 5), ConfigError, "not both"),
])
def test_bad_validation_data_is_a_clear_error(change, error, message):
    X, y, X_val, y_val = _split()
    with pytest.raises(error, match=message):
        AutoMetaClassifier(n_trials=1, metadataset=False).fit(X, y, **change(X, y, X_val, y_val))
