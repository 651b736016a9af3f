"""Sample weights and class weights: in training (families that take them), scores, ensemble, refit."""

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification
from sklearn.metrics import balanced_accuracy_score

from automl_meta import AutoMetaClassifier, AutoMetaRegressor
from automl_meta.data import Task
from automl_meta.errors import ConfigError, DataError
from automl_meta.evaluate import cross_validate
from automl_meta.metadataset import MetaDataset
from automl_meta.models import build_model, fit_model
from automl_meta.space import FAMILIES, Strategy, available_families


def _clean_and_corrupted(n=400, seed=0):
    """A learnable table, then the same rows again with every label flipped: weight 0 on the copies leaves the
    clean table; unweighted, the labels are noise."""
    X, y = make_classification(n_samples=n, n_features=5, n_informative=4, n_redundant=0, random_state=seed)
    X = pd.DataFrame(X, columns=list("abcde"))
    both = pd.concat([X, X], ignore_index=True)
    return both, np.r_[y, 1 - y], np.r_[np.ones(n), np.zeros(n)], X, y


@pytest.mark.parametrize("family", [f for f in FAMILIES if f not in ("knn", "mlp")])
def test_every_family_but_knn_and_mlp_trains_with_the_weights(family):
    if family not in available_families("binary"):
        pytest.skip(f"{family} is not installed")
    X, y, w, X_clean, y_clean = _clean_and_corrupted()
    make = lambda: build_model(Strategy.default(family), "binary", n_rows=len(X), device="cpu")  # noqa: E731
    weighted = (fit_model(make(), X, y, w).predict(X_clean) == y_clean).mean()
    unweighted = (fit_model(make(), X, y).predict(X_clean) == y_clean).mean()
    clean = (make().fit(X_clean, y_clean).predict(X_clean) == y_clean).mean()
    assert weighted > unweighted + 0.1 and weighted > clean - 0.1  # it learned the clean labels, not the noise


def test_scores_are_weighted_and_weights_of_one_scale_change_nothing(tasks_by_kind):
    """k-NN trains unweighted: only the scores see the weights."""
    task = tasks_by_kind["binary"]
    strategy = Strategy.default("knn")
    plain = cross_validate(strategy, task, cv=3)
    kw = dict(kind=task.kind, cv=3)
    scaled = cross_validate(strategy, Task(task.X, task.y, sample_weight=np.full(task.n_rows, 2.5), **kw), cv=3)
    tilted = cross_validate(strategy, Task(task.X, task.y, sample_weight=np.linspace(0.1, 3, task.n_rows), **kw), cv=3)
    np.testing.assert_allclose(scaled.fold_scores, plain.fold_scores)
    assert not np.allclose(tilted.fold_scores, plain.fold_scores)


def test_balanced_class_weights_raise_the_balanced_accuracy_of_a_rare_class(tmp_path):
    X, y = make_classification(n_samples=1500, n_features=8, weights=[0.92, 0.08], flip_y=0.02, random_state=3)
    X = pd.DataFrame(X, columns=[f"f{i}" for i in range(8)])
    scores, models = {}, {}
    for class_weight in (None, "balanced"):
        model = AutoMetaClassifier(n_trials=3, cv=3, class_weight=class_weight, metadataset=str(tmp_path / "md.sqlite"),
                                   warm_start=False, families=["linear"], random_state=0, n_jobs=1).fit(X[:1000], y[:1000])
        scores[class_weight], models[class_weight] = balanced_accuracy_score(y[1000:], model.predict(X[1000:])), model
    assert scores["balanced"] > scores[None] + 0.03
    # the weights move the decision only: the same trials, scores and probabilities; predict weighs them
    plain, balanced = models[None], models["balanced"]
    np.testing.assert_allclose(balanced.predict_proba(X[1000:]), plain.predict_proba(X[1000:]))
    assert plain.class_weights_ is None
    np.testing.assert_allclose(balanced.class_weights_, 1000 / (2 * np.bincount(y[:1000])))
    expected = balanced.classes_[np.argmax(plain.predict_proba(X[1000:]) * balanced.class_weights_, axis=1)]
    assert (balanced.predict(X[1000:]) == expected).all()
    recorded = MetaDataset(str(tmp_path / "md.sqlite")).evaluations()
    assert len(recorded) == 6  # unweighted trials: both fits' are recorded


def test_class_weights_of_a_dict_and_bad_ones():
    X, y = make_classification(n_samples=300, n_features=5, weights=[0.8, 0.2], random_state=1)
    kw = dict(n_trials=1, cv=3, warm_start=False, families=["linear"], metadataset=False, random_state=0, n_jobs=1)
    model = AutoMetaClassifier(class_weight={1: 3.0}, **kw).fit(X, y)
    np.testing.assert_allclose(model.class_weights_, [1.0, 3.0])
    for bad, match in (({7: 2.0}, "names classes the target does not have"), ({1: -1.0}, "finite weights, 0 or more")):
        with pytest.raises(ConfigError, match=match):
            AutoMetaClassifier(class_weight=bad, **kw).fit(X, y)


@pytest.mark.parametrize("weights, message", [
    (np.ones(5), "sample_weight has 5 weights for 150 rows"),
    (np.r_[-1.0, np.ones(149)], "1 missing, infinite or negative weight"),
    (np.r_[np.nan, np.ones(149)], "1 missing, infinite or negative weight"),
    (np.zeros(150), "zero for every row"),
])
def test_bad_weights_are_clear_errors(tasks_by_kind, weights, message):
    task = tasks_by_kind["regression"]
    with pytest.raises(DataError, match=message):
        AutoMetaRegressor(n_trials=1, metadataset=False).fit(task.X, task.y, sample_weight=weights)


def test_weights_and_validation_data_together_are_a_clear_error(tasks_by_kind):
    task = tasks_by_kind["binary"]
    with pytest.raises(ConfigError, match="sample_weight or X_val/y_val, not both"):
        AutoMetaClassifier(n_trials=1, metadataset=False).fit(task.X[:100], task.y[:100], X_val=task.X[100:],
                                                              y_val=task.y[100:], sample_weight=np.ones(100))


def test_the_command_takes_a_weight_column_and_balanced_class_weights(tmp_path, capsys):
    from automl_meta.cli import main

    X, y, w, _, _ = _clean_and_corrupted(n=150)
    X.assign(weight=w, y=y).to_csv(tmp_path / "w.csv", index=False)
    args = ["fit", str(tmp_path / "w.csv"), "--target", "y", "--trials", "2", "--cv", "3", "--no-warm-start",
            "--no-progress", "--metadataset", str(tmp_path / "md.sqlite"), "--out", str(tmp_path / "m.amm")]
    assert main([*args, "--weight-column", "weight", "--class-weight", "balanced"]) == 0
    assert "features=5" in capsys.readouterr().out  # the weight column is not a feature
    assert main([*args, "--weight-column", "w8"]) == 2
    assert "Weight column 'w8' not found" in capsys.readouterr().err
