"""A scikit-learn compatible PyTorch multilayer perceptron, on CUDA when available.

Takes a numeric matrix (use it after :class:`~automl_meta.models.TabularEncoder`). Training: AdamW with
weight decay, ReLU layers of equal width with dropout, mini-batches, and early stopping on a held-out
validation split (the best epoch's weights are kept). Seeded and deterministic on the CPU.
"""

from __future__ import annotations

import copy

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from automl_meta.models._device import resolve_device

# Below this many rows no validation split is held out: training runs for max_epochs on everything.
_MIN_ROWS_FOR_EARLY_STOPPING = 30


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

    # Subclasses define _targets(y) -> (array, n_outputs), _loss() (a batch mean) and _loss_per_row().
    def fit(self, X, y):
        import torch

        prepared = self._prepare(X, y)
        threads = torch.get_num_threads()
        if self.n_jobs:  # small networks run fastest on one thread: thread start-up dominates
            torch.set_num_threads(int(self.n_jobs))
        try:
            self._fit_seeded(prepared)
        finally:
            torch.set_num_threads(threads)
        return self

    def _prepare(self, X, y) -> dict:
        """The checked inputs and targets, the seed, and the validation and training rows (a seeded split): what
        a fit needs, alone or stacked with others (``_stacked_mlp.fit_stacked``)."""
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
        return {"X": X, "target": target, "n_out": n_out, "seed": seed, "val": order[:n_val], "train": order[n_val:]}

    def _devices(self) -> list:
        import torch

        return [torch.device(self.device_).index or 0] if self.device_.startswith("cuda") else []

    def _make_net(self, n_in: int, n_out: int, seed: int):
        """The untrained network, its weights drawn from ``seed`` (on the CPU)."""
        import torch

        with torch.random.fork_rng(devices=self._devices()):
            torch.manual_seed(seed)
            return self._layers(n_in, n_out)

    def _layers(self, n_in: int, n_out: int):
        from torch import nn

        layers = []
        for _ in range(int(self.depth)):
            layers += [nn.Linear(n_in, int(self.width)), nn.ReLU(), nn.Dropout(float(self.dropout))]
            n_in = int(self.width)
        layers.append(nn.Linear(n_in, n_out))
        return nn.Sequential(*layers)

    def _fit_seeded(self, prepared: dict):
        import torch

        with torch.random.fork_rng(devices=self._devices()):
            torch.manual_seed(prepared["seed"])  # the weights, then the dropout masks, from the seed
            net = self._layers(prepared["X"].shape[1], prepared["n_out"]).to(self.device_)
            epochs, best = self._train(net, prepared)
        self._finish(net, epochs, best)

    def _finish(self, net, epochs: int, best: float) -> None:
        self.model_ = net.to(self.device_).eval()
        self.n_epochs_, self.best_loss_ = epochs, best

    def _train(self, net, prepared: dict):
        import torch

        seed, val_idx, train_idx = prepared["seed"], prepared["val"], prepared["train"]
        n_val = len(val_idx)
        dev = self.device_
        Xt = torch.as_tensor(prepared["X"], device=dev)
        yt = torch.as_tensor(prepared["target"], device=dev)
        loss_fn = self._loss()
        # on a GPU the fused optimizer is one kernel instead of one per parameter tensor and step
        opt = torch.optim.AdamW(net.parameters(), lr=float(self.learning_rate), weight_decay=float(self.weight_decay),
                                fused=str(dev).startswith("cuda"))
        batch = max(1, min(int(self.batch_size), len(train_idx)))
        best, best_state, since_best, epochs = np.inf, None, 0, 0
        train_t = torch.as_tensor(train_idx, device=dev)
        gen = torch.Generator(device="cpu").manual_seed(seed)
        for epoch in range(int(self.max_epochs)):
            epochs = epoch + 1
            net.train()
            perm = train_t[torch.randperm(len(train_idx), generator=gen).to(dev)]
            for start in range(0, len(perm), batch):
                idx = perm[start : start + batch]
                if len(idx) < 2 and len(perm) >= 2:
                    continue  # a batch of one row carries no useful gradient for dropout nets
                opt.zero_grad(set_to_none=True)
                loss = loss_fn(net(Xt[idx]), yt[idx])
                loss.backward()
                opt.step()
            if n_val:
                net.eval()
                with torch.no_grad():
                    val = float(loss_fn(net(Xt[val_idx]), yt[val_idx]))
                if not np.isfinite(val):
                    break
                if val < best - 1e-6:
                    best, since_best = val, 0
                    best_state = copy.deepcopy(net.state_dict())
                else:
                    since_best += 1
                    if since_best >= int(self.patience):
                        break
        if best_state is not None:
            net.load_state_dict(best_state)
        return epochs, best

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
        threads = torch.get_num_threads()
        if self.n_jobs:
            torch.set_num_threads(int(self.n_jobs))
        try:
            with torch.no_grad():
                return self.model_(torch.as_tensor(X, device=self.device_))
        finally:
            torch.set_num_threads(threads)


class TorchMLPClassifier(ClassifierMixin, _TorchMLP):
    """PyTorch MLP classifier (cross-entropy). See the module docstring; ``device_`` is the device used."""

    def _targets(self, y):
        self.classes_, codes = np.unique(y, return_inverse=True)
        return codes.astype(np.int64), len(self.classes_)

    def _loss(self):
        from torch import nn

        return nn.CrossEntropyLoss()

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

    def _loss(self):
        from torch import nn

        return nn.MSELoss()

    def _loss_per_row(self):
        return lambda out, target: ((out - target) ** 2).mean(dim=-1)

    def predict(self, X):
        return self._forward(X).cpu().numpy()[:, 0].astype(np.float64) * self.y_scale_ + self.y_mean_
