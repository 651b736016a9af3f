"""The strategy space: the declarative table, strategies, their Optuna form and their encoding."""

import numpy as np
import optuna
import pytest

from automl_meta.errors import ConfigError
from automl_meta.space import ENCODING_NAMES, FAMILIES, Strategy, available_families, decode, encode, encode_many, sample, suggest
from automl_meta.space._params import Categorical


def test_table_is_consistent():
    required = {"linear", "knn", "svm_rbf", "random_forest", "extra_trees", "hist_gb", "mlp", "lightgbm", "xgboost"}
    assert required <= set(FAMILIES)
    for fam in FAMILIES.values():
        assert fam.regularization in fam.params, fam.name  # every family has a regularization knob
        assert fam.learning_rate is None or fam.learning_rate in fam.params
        for name, spec in fam.params.items():
            if isinstance(spec, Categorical):
                assert spec.default in spec.choices, (fam.name, name)
            else:
                assert spec.low <= spec.default <= spec.high, (fam.name, name)
                assert not spec.log or spec.low > 0
    for fam in ("hist_gb", "mlp", "lightgbm", "xgboost"):
        assert FAMILIES[fam].learning_rate == "learning_rate"
    mlp = FAMILIES["mlp"].params
    assert {"learning_rate", "weight_decay", "width", "depth", "dropout", "batch_size", "max_epochs"} <= set(mlp)
    assert mlp["learning_rate"].log and FAMILIES["linear"].params["reg_strength"].log


def test_defaults_fill_missing_parameters():
    s = Strategy("hist_gb", {"learning_rate": 0.05})
    assert s.params["learning_rate"] == 0.05 and s.params["max_leaf_nodes"] == 31


@pytest.mark.parametrize(
    "family, params, message",
    [
        ("lgbm", {}, r"Unknown model family 'lgbm'\. Did you mean 'lightgbm'"),
        ("knn", {"k": 3}, r"Unknown hyperparameter\(s\) 'k' for family 'knn'\. Its hyperparameters are: n_neighbors"),
        ("knn", {"n_neighbors": 0}, r"'n_neighbors'=0\.0 is outside \[1, 100\]"),
        ("knn", {"weights": "gaussian"}, r"'weights'='gaussian' is not one of \['uniform', 'distance'\]"),
        ("mlp", {"depth": 1.5}, r"'depth' must be an integer"),
    ],
)
def test_invalid_strategies(family, params, message):
    with pytest.raises(ConfigError, match=message):
        Strategy(family, params)


@pytest.mark.parametrize("method", ["random", "sobol"])
def test_encoding_round_trips(method):
    strategies = sample(90, families=list(FAMILIES), random_state=4, method=method)
    assert {s.family for s in strategies} == set(FAMILIES)
    codes = encode_many(strategies)
    assert codes.shape == (90, len(ENCODING_NAMES))
    assert codes.min() >= 0 and codes.max() <= 1
    for s, code in zip(strategies, codes):
        assert decode(code) == s


def test_encoding_common_knobs():
    names = list(ENCODING_NAMES)
    weak = encode(Strategy("linear", {"reg_strength": 1e-4}))
    strong = encode(Strategy("linear", {"reg_strength": 1e4}))
    assert weak[names.index("regularization_scaled")] == 0 and strong[names.index("regularization_scaled")] == 1
    # for an SVM a large C is weak regularization
    assert encode(Strategy("svm_rbf", {"C": 1e3}))[names.index("regularization_scaled")] == 0
    hgb = encode(Strategy("hist_gb", {"learning_rate": 0.01}))
    mlp = encode(Strategy("mlp", {"learning_rate": 0.01}))
    i = names.index("learning_rate_log10_scaled")
    assert hgb[i] == mlp[i] == pytest.approx(0.5)  # log10(0.01) on the shared [-4, 0] scale
    assert encode(Strategy.default("knn"))[names.index("has_learning_rate")] == 0


def test_json_and_key_are_stable():
    s = Strategy("random_forest", {"max_features": 0.3333333333})
    assert Strategy.from_json(s.to_json()) == s
    assert s.key == Strategy("random_forest", {"max_features": 0.33333333}).key
    assert s.key != Strategy("random_forest", {"max_features": 0.4}).key


def test_suggest_and_trial_params_round_trip():
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    seen = set()
    for _ in range(40):
        trial = study.ask()
        strategy = suggest(trial, available_families("binary"))
        assert Strategy.from_trial_params(trial.params) == strategy
        seen.add(strategy.family)
        study.tell(trial, 0.0)
    assert len(seen) >= 6
    s = Strategy("svm_rbf", {"C": 3.0})
    study.enqueue_trial(s.to_trial_params())
    trial = study.ask()
    assert suggest(trial, available_families("binary")) == s


def test_decode_rejects_wrong_length():
    with pytest.raises(ConfigError, match=r"A strategy encoding has \d+ values; got shape \(3,\)"):
        decode(np.zeros(3))
