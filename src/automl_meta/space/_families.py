"""THE declarative table of model families and their hyperparameters.

Each family lists its hyperparameters (range, scale, default), the task kinds it serves, which of its knobs is
the learning rate and which the regularization strength (the common knobs the meta-model reasons about across
families), and the optional package it needs. Ranges are chosen to be sensible on any tabular task, so that the
same space serves every task; data-dependent quantities are expressed relative to the data (the RBF ``gamma``
is a multiple of 1 / n_features, ``max_features`` a fraction of the columns).

Changing this table changes the strategy encoding: bump ``SPACE_VERSION``.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field

from automl_meta.space._params import Categorical, Float, Int

#: Version of the table below and of the strategy encoding derived from it.
SPACE_VERSION = "1"

ALL_KINDS = frozenset({"binary", "multiclass", "regression"})


@dataclass(frozen=True)
class Family:
    """One model family: its hyperparameters and the roles of its knobs."""

    name: str
    description: str
    params: dict = field(default_factory=dict)
    kinds: frozenset = ALL_KINDS
    learning_rate: str | None = None  # name of the learning-rate parameter, if the family has one
    regularization: str | None = None  # name of the parameter that sets the regularization strength
    regularization_increasing: bool = True  # False when a larger value means weaker regularization
    requires: str | None = None  # an optional package the family needs
    uses_gpu: bool = False

    @property
    def defaults(self) -> dict:
        return {name: p.default for name, p in self.params.items()}

    def available(self) -> bool:
        return self.requires is None or importlib.util.find_spec(self.requires) is not None


_TREE_ENSEMBLE = {
    "n_estimators": Int(32, 512, 128, log=True, help="number of trees"),
    "max_features": Float(0.05, 1.0, 0.5, help="fraction of the columns tried at each split"),
    "min_samples_leaf": Int(1, 64, 1, log=True, help="minimum rows in a leaf (regularization)"),
}

FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family(
            "linear",
            "L2-regularized logistic regression (classification) or ridge regression, on one-hot encoded, "
            "scaled features; C = 1 / reg_strength, alpha = reg_strength",
            {"reg_strength": Float(1e-4, 1e4, 1.0, log=True, help="inverse of C / ridge alpha")},
            regularization="reg_strength",
        ),
        Family(
            "knn",
            "k-nearest neighbours on one-hot encoded, scaled features",
            {
                "n_neighbors": Int(1, 100, 5, log=True),
                "weights": Categorical(("uniform", "distance"), "uniform"),
                "p": Categorical((1, 2), 2, help="Minkowski power: 1 Manhattan, 2 Euclidean"),
            },
            regularization="n_neighbors",
        ),
        Family(
            "svm_rbf",
            "RBF support vector machine on one-hot encoded, scaled features; trained on at most "
            "SVM_MAX_ROWS rows (kernel methods scale quadratically); gamma = gamma_scale / n_features",
            {
                "C": Float(1e-3, 1e3, 1.0, log=True),
                "gamma_scale": Float(1e-3, 1e2, 1.0, log=True, help="gamma times the number of features"),
            },
            regularization="C",
            regularization_increasing=False,
        ),
        Family(
            "random_forest",
            "random forest on ordinal-encoded features",
            dict(_TREE_ENSEMBLE, bootstrap=Categorical((False, True), True, help="sample rows with replacement")),
            regularization="min_samples_leaf",
        ),
        Family(
            "extra_trees",
            "extremely randomized trees on ordinal-encoded features",
            dict(_TREE_ENSEMBLE, bootstrap=Categorical((False, True), False, help="sample rows with replacement")),
            regularization="min_samples_leaf",
        ),
        Family(
            "hist_gb",
            "scikit-learn HistGradientBoosting with native categorical and missing-value support",
            {
                "learning_rate": Float(0.01, 0.5, 0.1, log=True),
                "max_leaf_nodes": Int(4, 128, 31, log=True),
                "min_samples_leaf": Int(2, 128, 20, log=True),
                "l2_regularization": Float(1e-6, 10.0, 1e-6, log=True),
                "max_iter": Int(20, 500, 100, log=True, help="boosting rounds, an upper bound with early stopping"),
                "early_stopping": Categorical((True, False), True),
            },
            learning_rate="learning_rate",
            regularization="l2_regularization",
        ),
        Family(
            "mlp",
            "PyTorch multilayer perceptron (AdamW, ReLU, dropout, early stopping on a validation split) on "
            "one-hot encoded, scaled features; on CUDA when available",
            {
                "learning_rate": Float(1e-4, 3e-2, 1e-3, log=True),
                "weight_decay": Float(1e-6, 1e-1, 1e-4, log=True),
                "width": Int(16, 512, 128, log=True),
                "depth": Int(1, 4, 2),
                "dropout": Float(0.0, 0.5, 0.1),
                "batch_size": Categorical((32, 64, 128, 256, 512), 128),
                "max_epochs": Int(10, 200, 100, log=True, help="an upper bound with early stopping"),
            },
            learning_rate="learning_rate",
            regularization="weight_decay",
            uses_gpu=True,
        ),
        Family(
            "lightgbm",
            "LightGBM gradient boosting with native categorical and missing-value support",
            {
                "learning_rate": Float(0.01, 0.3, 0.1, log=True),
                "num_leaves": Int(4, 256, 31, log=True),
                "min_child_samples": Int(2, 100, 20, log=True),
                "reg_lambda": Float(1e-6, 10.0, 1e-6, log=True),
                "colsample_bytree": Float(0.3, 1.0, 1.0),
                "n_estimators": Int(20, 500, 100, log=True),
            },
            learning_rate="learning_rate",
            regularization="reg_lambda",
            requires="lightgbm",
        ),
        Family(
            "xgboost",
            "XGBoost gradient boosting (hist trees; on CUDA when available) on ordinal-encoded features",
            {
                "learning_rate": Float(0.01, 0.3, 0.3, log=True),
                "max_depth": Int(2, 12, 6),
                "min_child_weight": Float(0.5, 50.0, 1.0, log=True),
                "reg_lambda": Float(1e-3, 10.0, 1.0, log=True),
                "subsample": Float(0.5, 1.0, 1.0),
                "colsample_bytree": Float(0.3, 1.0, 1.0),
                "n_estimators": Int(20, 500, 100, log=True),
            },
            learning_rate="learning_rate",
            regularization="reg_lambda",
            requires="xgboost",
            uses_gpu=True,
        ),
    )
}

#: Rows an SVM is trained on at most (a seeded, stratified subsample beyond).
SVM_MAX_ROWS = 2_000


def available_families(kind: str | None = None) -> list[str]:
    """Names of the families whose packages are installed (and that serve ``kind``), in table order."""
    return [f.name for f in FAMILIES.values() if f.available() and (kind is None or kind in f.kinds)]
