"""From a :class:`~automl_meta.space.Strategy` to a ready scikit-learn estimator: encoding + model."""

from __future__ import annotations

import numpy as np

from sklearn.pipeline import Pipeline

from automl_meta.errors import ConfigError
from automl_meta.models._device import adapt_to_device, lightgbm_gpu_device, resolve_device
from automl_meta.models._encoding import TabularEncoder
from automl_meta.space import FAMILIES, SVM_MAX_ROWS, Strategy

#: The encoding each family gets (see TabularEncoder).
ENCODING = {
    "linear": "onehot",
    "knn": "onehot",
    "svm_rbf": "onehot",
    "mlp": "onehot",
    "random_forest": "ordinal",
    "extra_trees": "ordinal",
    "hist_gb": "native",
    "lightgbm": "native",
    "xgboost": "native",
}

#: What scikit-learn's TargetEncoder calls each task kind (TabularEncoder's target encoding of pooled levels);
#: None for multiclass, where it is one column per class: on the corpus' 5 multiclass tables with such columns
#: the linear model lost with it on all 5 (-0.008 to -0.03 ROC AUC; benchmarks/bench_target_encoding.py).
TARGET_TYPES = {"binary": "binary", "multiclass": None, "regression": "continuous"}


def fit_model(model, X, y, sample_weight=None):
    """Fit a :func:`build_model` pipeline, with ``sample_weight`` where its model takes them (every family but
    ``knn`` and ``mlp``, which train unweighted: their scores and the ensemble's are weighted all the same);
    returns it."""
    if sample_weight is None:
        return model.fit(X, y)
    from sklearn.utils.validation import has_fit_parameter

    step, estimator = model.steps[-1]
    if has_fit_parameter(estimator, "sample_weight"):
        return model.fit(X, y, **{f"{step}__sample_weight": np.asarray(sample_weight, dtype=float)})
    return model.fit(X, y)


def with_time_limit(model, seconds: float | None):
    """``model`` (a :func:`build_model` pipeline) whose training stops starting epochs after ``seconds``, where
    its family trains in epochs (the MLP: its best epoch so far stands); the others are returned unchanged (a
    tree ensemble or a booster cannot stop halfway and still be a model of its strategy)."""
    step = model.steps[-1][1]
    if seconds is not None and "max_seconds" in step.get_params(deep=False):
        step.set_params(max_seconds=max(float(seconds), 0.0))
    return model


def build_model(strategy: Strategy, kind: str, *, n_rows: int | None = None, device: str = "auto", random_state=0, n_jobs: int = 1):
    """A fresh, unfitted ``Pipeline(encode, model)`` for a strategy and a task kind.

    Parameters
    ----------
    strategy : Strategy
    kind : {"binary", "multiclass", "regression"}
    n_rows : int, optional
        Rows the model will be trained on, for data-dependent limits (k-NN's ``n_neighbors`` is capped at it).
    device : {"auto", "cpu", "cuda"}, default="auto"
        Where the MLP, XGBoost and (a GPU build of) LightGBM run; on a GPU the MLP trains with the batch and
        learning rate of :func:`~automl_meta.models.adapt_to_device`.
    random_state : int, default=0
    n_jobs : int, default=1
        Threads for the families that use them.
    """
    if not isinstance(strategy, Strategy):
        raise ConfigError(f"Expected a Strategy; got {type(strategy).__name__}. Build one with Strategy(family, params).")
    family = FAMILIES[strategy.family]
    if not family.available():
        raise ConfigError(
            f"Family {family.name!r} needs the {family.requires!r} package, which is not installed: pip install {family.requires}."
        )
    if kind not in family.kinds:
        raise ConfigError(f"Family {family.name!r} does not serve {kind} tasks.")
    classification = kind != "regression"
    strategy = adapt_to_device(strategy, device, n_rows)
    model = _MAKERS[strategy.family](dict(strategy.params), classification, n_rows, device, random_state, n_jobs)
    # an MLP's inputs are held to the training range: a ReLU network extrapolates linearly (TabularEncoder.clip)
    encoder = TabularEncoder(output=ENCODING[strategy.family], clip=strategy.family == "mlp",
                             target_type=TARGET_TYPES[kind])
    return Pipeline([("encode", encoder), ("model", model)])


def _linear(p, clf, n_rows, device, seed, n_jobs):
    from sklearn.linear_model import LogisticRegression, Ridge

    if clf:
        return LogisticRegression(C=1.0 / p["reg_strength"], max_iter=1000)
    return Ridge(alpha=p["reg_strength"])


def _knn(p, clf, n_rows, device, seed, n_jobs):
    from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

    k = p["n_neighbors"] if n_rows is None else max(1, min(p["n_neighbors"], n_rows - 1))
    cls = KNeighborsClassifier if clf else KNeighborsRegressor
    return cls(n_neighbors=k, weights=p["weights"], p=p["p"], n_jobs=n_jobs)


def _svm(p, clf, n_rows, device, seed, n_jobs):
    from automl_meta.models._wrappers import RBFSVMClassifier, RBFSVMRegressor

    cls = RBFSVMClassifier if clf else RBFSVMRegressor
    return cls(C=p["C"], gamma_scale=p["gamma_scale"], max_rows=SVM_MAX_ROWS, random_state=seed)


def _forest(extra: bool):
    def make(p, clf, n_rows, device, seed, n_jobs):
        from sklearn import ensemble

        name = ("ExtraTrees" if extra else "RandomForest") + ("Classifier" if clf else "Regressor")
        return getattr(ensemble, name)(
            n_estimators=p["n_estimators"],
            max_features=p["max_features"],
            min_samples_leaf=p["min_samples_leaf"],
            bootstrap=p["bootstrap"],
            n_jobs=n_jobs,
            random_state=seed,
        )

    return make


def _hist_gb(p, clf, n_rows, device, seed, n_jobs):
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    cls = HistGradientBoostingClassifier if clf else HistGradientBoostingRegressor
    return cls(
        learning_rate=p["learning_rate"],
        max_leaf_nodes=p["max_leaf_nodes"],
        min_samples_leaf=p["min_samples_leaf"],
        l2_regularization=p["l2_regularization"],
        max_iter=p["max_iter"],
        early_stopping=p["early_stopping"],
        categorical_features="from_dtype",
        random_state=seed,
    )


def _mlp(p, clf, n_rows, device, seed, n_jobs):
    from automl_meta.models._torch_mlp import TorchMLPClassifier, TorchMLPRegressor

    cls = TorchMLPClassifier if clf else TorchMLPRegressor
    return cls(device=device, random_state=seed, n_jobs=n_jobs, **p)


def _lightgbm(p, clf, n_rows, device, seed, n_jobs):
    import lightgbm

    cls = lightgbm.LGBMClassifier if clf else lightgbm.LGBMRegressor
    # on a CUDA fit, LightGBM follows the device where its build can (see lightgbm_gpu_device); else the CPU
    gpu = lightgbm_gpu_device() if resolve_device(device).startswith("cuda") else None
    return cls(random_state=seed, n_jobs=n_jobs, verbose=-1, **({"device_type": gpu} if gpu else {}), **p)


def _xgboost(p, clf, n_rows, device, seed, n_jobs):
    import xgboost

    from automl_meta.models._wrappers import LabelEncodedClassifier

    dev = resolve_device(device)
    common = dict(tree_method="hist", enable_categorical=True, device=dev, random_state=seed, n_jobs=n_jobs, **p)
    if clf:
        return LabelEncodedClassifier(xgboost.XGBClassifier(**common))
    return xgboost.XGBRegressor(**common)


_MAKERS = {
    "linear": _linear,
    "knn": _knn,
    "svm_rbf": _svm,
    "random_forest": _forest(extra=False),
    "extra_trees": _forest(extra=True),
    "hist_gb": _hist_gb,
    "mlp": _mlp,
    "lightgbm": _lightgbm,
    "xgboost": _xgboost,
}
