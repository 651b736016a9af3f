"""A scikit-learn compatible PyTorch multilayer perceptron, on CUDA when available.

Takes a numeric matrix (use it after :class:`~automl_meta.models.TabularEncoder`). Training: AdamW with
weight decay, ReLU layers of equal width with dropout, mini-batches, and early stopping on a held-out
validation split (the best epoch's weights are kept). Seeded and deterministic on the CPU. One loop trains
every network (``_mlp_training``): a fit is a stack of one, a cross-validation's fold models one stack
(``fit_stacked``, ``fit_pipelines_stacked``).
"""

from __future__ import annotations

import copy
import time
from typing import NamedTuple

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from automl_meta._internal._threads import quiet_fit, torch_threads
from automl_meta.models._device import resolve_device

# Below this many rows no validation split is held out: training runs for max_epochs on everything.
_MIN_ROWS_FOR_EARLY_STOPPING = 30


class _Prepared(NamedTuple):
    """One network's training data: inputs, targets (class codes, or the standardized target), outputs, seed,
    and the positions of the validation and training rows."""

    X: np.ndarray
    target: np.ndarray
    n_out: int
    seed: int
    val: np.ndarray
    train: np.ndarray


class _TorchMLP(BaseEstimator):
    def __init__(
        self,
        learning_rate=1e-3,
        weight_decay=1e-4,
        width=128,
        depth=2,
        dropout=0.1,
        batch_size=128,
        max_epochs=100,
        patience=10,
        validation_fraction=0.1,
        device="auto",
        random_state=None,
        n_jobs=None,
        max_seconds=None,
    ):
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.width = width
        self.depth = depth
        self.dropout = dropout
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.device = device
        self.random_state = random_state
        self.n_jobs = n_jobs
        # no epoch starts after this many seconds of training (a budgeted refit's guard; the best epoch stands)
        self.max_seconds = max_seconds

    # Subclasses define _targets(y) -> (array, n_outputs) and _loss_per_row() (a loss of each row's output).
    def fit(self, X, y):
        """Train the network on (X, y): a stack of one in the MLP family's one training loop
        (``fit_stacked``)."""
        fit_stacked([self], [X], [y])
        return self

    def _prepare(self, X, y) -> _Prepared:
        """The checked inputs and targets, the seed, and the validation and training rows (a seeded split)."""
        X = np.asarray(X, dtype=np.float32)
        if X.ndim != 2:
            raise ValueError(f"Expected a 2-D array; got shape {X.shape}")
        self.n_features_in_ = X.shape[1]
        target, n_out = self._targets(np.asarray(y))
        self.device_ = resolve_device(self.device)
        seed = int(np.random.RandomState(self.random_state).randint(0, 2**31 - 1))
        n = len(X)
        order = np.random.default_rng(seed).permutation(n)
        n_val = int(round(self.validation_fraction * n)) if n >= _MIN_ROWS_FOR_EARLY_STOPPING else 0
        return _Prepared(X, target, n_out, seed, order[:n_val], order[n_val:])

    def _network(self, n_in: int, n_out: int, seed: int):
        """The untrained network (on the CPU), its weights drawn from ``seed`` whatever the global random state."""
        import torch

        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return self._layers(n_in, n_out)

    def _layers(self, n_in: int, n_out: int):
        """The untrained network, its weights drawn from torch's global random stream."""
        from torch import nn

        layers = []
        for _ in range(int(self.depth)):
            layers += [nn.Linear(n_in, int(self.width)), nn.ReLU(), nn.Dropout(float(self.dropout))]
            n_in = int(self.width)
        layers.append(nn.Linear(n_in, n_out))
        return nn.Sequential(*layers)

    # A network fitted on a GPU is pickled from the CPU (joblib, model files): the file then loads on a machine
    # without CUDA, where the network runs on the CPU; with CUDA it goes back to the device it was fitted on.
    def __getstate__(self):
        state = dict(super().__getstate__())  # a copy: on Python >= 3.11 it may be this object's own __dict__
        if "model_" in state and str(state.get("device_", "cpu")) != "cpu":
            state["model_"] = copy.deepcopy(state["model_"]).cpu()
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        device = str(getattr(self, "device_", "cpu"))
        if device != "cpu" and hasattr(self, "model_"):
            from automl_meta.models._device import cuda_available

            self.device_ = device if cuda_available() else "cpu"
            self.model_ = self.model_.to(self.device_)

    def _forward(self, X):
        import torch

        check_is_fitted(self, "model_")
        X = np.asarray(X, dtype=np.float32)
        with torch_threads(self.n_jobs), torch.no_grad():
            return self.model_(torch.as_tensor(X, device=self.device_))


class TorchMLPClassifier(ClassifierMixin, _TorchMLP):
    """PyTorch MLP classifier (cross-entropy). See the module docstring; ``device_`` is the device used."""

    def _targets(self, y):
        self.classes_, codes = np.unique(y, return_inverse=True)
        return codes.astype(np.int64), len(self.classes_)

    def _loss_per_row(self):
        from torch import nn

        return nn.CrossEntropyLoss(reduction="none")

    def predict_proba(self, X):
        import torch

        return torch.softmax(self._forward(X), dim=1).cpu().numpy().astype(np.float64)

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


class TorchMLPRegressor(RegressorMixin, _TorchMLP):
    """PyTorch MLP regressor (mean squared error on the standardized target)."""

    def _targets(self, y):
        y = y.astype(np.float64)
        self.y_mean_, std = float(y.mean()), float(y.std())
        self.y_scale_ = std if std > 0 else 1.0
        return ((y - self.y_mean_) / self.y_scale_).astype(np.float32)[:, None], 1

    def _loss_per_row(self):
        return lambda out, target: ((out - target) ** 2).mean(dim=-1)

    def predict(self, X):
        return self._forward(X).cpu().numpy()[:, 0].astype(np.float64) * self.y_scale_ + self.y_mean_


def is_stackable(pipeline) -> bool:
    """Whether a ``build_model`` pipeline's model is an MLP whose fold models can be trained stacked."""
    return isinstance(getattr(pipeline, "named_steps", {}).get("model"), _TorchMLP)


def fit_pipelines_stacked(template, datasets: list, n_jobs=None) -> list:
    """Clones of a ``build_model`` pipeline (encoder, MLP) fitted on each ``(X, y)`` of ``datasets``: each
    encoder on its own data, the MLPs at once (``fit_stacked``), on ``n_jobs`` threads, their warnings
    silenced."""
    from sklearn.base import clone
    from sklearn.pipeline import Pipeline

    with quiet_fit(n_jobs):
        encoders = [clone(template.named_steps["encode"]) for _ in datasets]
        # fit_transform: the training rows' target encodings out of fold, as a Pipeline's fit gives them
        encoded = [encoder.fit_transform(X, y) for encoder, (X, y) in zip(encoders, datasets)]
        models = fit_stacked([clone(template.named_steps["model"]) for _ in datasets], encoded, [y for _, y in datasets])
    return [Pipeline([("encode", encoder), ("model", model)]) for encoder, model in zip(encoders, models)]


# What the members of one stack must share: the architecture and the training setting.
_SHARED = ("width", "depth", "batch_size", "max_epochs", "patience", "learning_rate", "weight_decay", "dropout",
           "validation_fraction")


def fit_stacked(estimators: list, Xs: list, ys: list) -> list:
    """Fit ``estimators`` (unfitted ``TorchMLPClassifier`` or ``TorchMLPRegressor`` of equal architecture
    parameters) on ``(Xs[m], ys[m])`` at once; returns them fitted, as if each had been fitted alone. Members
    whose outputs differ (a class missing from some member's rows) are trained in a stack of their own."""
    from automl_meta.models._mlp_training import Training

    first = estimators[0]
    if any(any(getattr(e, p) != getattr(first, p) for p in _SHARED) for e in estimators) or len({type(e) for e in estimators}) > 1:
        raise ValueError("fit_stacked needs estimators of one class and one architecture and training setting")
    prepared = [e._prepare(X, y) for e, X, y in zip(estimators, Xs, ys)]
    limit = getattr(first, "max_seconds", None)  # getattr: a network pickled before there was a limit
    training = Training(first.learning_rate, first.weight_decay, first.batch_size, first.max_epochs, first.patience,
                        None if limit is None else time.perf_counter() + float(limit))
    with torch_threads(first.n_jobs):
        for n_out in dict.fromkeys(p.n_out for p in prepared):
            group = [i for i, p in enumerate(prepared) if p.n_out == n_out]
            _fit_stack([estimators[i] for i in group], [prepared[i] for i in group], training)
    return estimators


def _fit_stack(estimators: list, prepared: list, training) -> None:
    """Train one stack (members of equal outputs) and set each estimator's fitted network."""
    import torch

    from automl_meta.models._mlp_training import train

    first = estimators[0]
    devices = [torch.device(first.device_).index or 0] if first.device_.startswith("cuda") else []
    with torch.random.fork_rng(devices=devices):
        if len(estimators) == 1:
            # a network alone draws its dropout masks where the draws of its weights end, as it always has
            torch.manual_seed(prepared[0].seed)
            nets = [first._layers(prepared[0].X.shape[1], prepared[0].n_out)]
        else:
            # each member's weights from its own seed (as alone); the masks from one seed made of all of theirs
            # (from the process's global generator, the same strategy, seed and data once scored differently)
            nets = [e._network(p.X.shape[1], p.n_out, p.seed) for e, p in zip(estimators, prepared)]
            torch.manual_seed(_stack_seed([p.seed for p in prepared]))
        outcomes = train(nets, prepared, first._loss_per_row(), training, first.device_)
    for estimator, net, (epochs, best) in zip(estimators, nets, outcomes):
        estimator.model_ = net.to(estimator.device_).eval()
        estimator.n_epochs_, estimator.best_loss_ = epochs, best


def _stack_seed(seeds: list) -> int:
    """One seed for a stack's dropout masks, from its members' seeds."""
    return int(np.random.SeedSequence([int(s) for s in seeds]).generate_state(1)[0])
