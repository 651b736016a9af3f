"""Several MLPs of one architecture trained at once, as one network with stacked weights (issue 17).

A trial cross-validates a strategy with k fold models; trained one after another, a small MLP leaves a GPU
idle (each mini-batch is ~10 tiny kernel launches) and a CPU core underused. Stacked, the k members share
every launch: each layer is one batched matrix product (``torch.baddbmm``) over a (members, batch, width)
tensor, as in pytabkit's RealMLP. Each member keeps its own data (its fold's rows), mini-batch order,
validation split, early stopping and best weights, so the result is what k separate fits give:

* identical initial weights (each member's layers are made exactly as the separate fit makes them, then
  copied into the stack, inputs zero-padded to the widest member: padded inputs are always zero, so their
  weights stay zero);
* identical batches, validation rows and losses (a member's shorter last batch is masked, not resampled);
* AdamW is elementwise, so each member's slice takes the step its own optimizer would.

Two differences remain, and bound the tolerance of the equivalence test: dropout masks are drawn from one
random stream for the whole stack (the same distribution, other draws), and a member whose epoch has fewer
mini-batches than another's (fold sizes differ by a row) still takes the optimizer's momentum and weight-decay
step, with a zero gradient, while the others finish theirs.
"""

from __future__ import annotations

import numpy as np


def is_stackable(pipeline) -> bool:
    """Whether a ``build_model`` pipeline's model is an MLP whose fold models can be trained stacked."""
    from automl_meta.models._torch_mlp import _TorchMLP

    return isinstance(getattr(pipeline, "named_steps", {}).get("model"), _TorchMLP)


def fit_pipelines_stacked(template, datasets: list) -> list:
    """Clones of a ``build_model`` pipeline (encoder, MLP) fitted on each ``(X, y)`` of ``datasets``: each
    encoder on its own data, the MLPs at once (``fit_stacked``)."""
    from sklearn.base import clone
    from sklearn.pipeline import Pipeline

    encoders = [clone(template.named_steps["encode"]).fit(X, y) for X, y in datasets]
    encoded = [encoder.transform(X) for encoder, (X, _) in zip(encoders, datasets)]
    models = fit_stacked([clone(template.named_steps["model"]) for _ in datasets], encoded, [y for _, y in datasets])
    return [Pipeline([("encode", encoder), ("model", model)]) for encoder, model in zip(encoders, models)]


def fit_stacked(estimators: list, Xs: list, ys: list) -> list:
    """Fit ``estimators`` (unfitted ``TorchMLPClassifier`` or ``TorchMLPRegressor`` of equal architecture
    parameters) on ``(Xs[m], ys[m])`` at once; returns them fitted, as if each had been fitted alone."""
    import torch

    first = estimators[0]
    shape = ("width", "depth", "batch_size", "max_epochs", "patience", "learning_rate", "weight_decay", "dropout",
             "validation_fraction")
    if any(any(getattr(e, p) != getattr(first, p) for p in shape) for e in estimators) or len({type(e) for e in estimators}) > 1:
        raise ValueError("fit_stacked needs estimators of one class and one architecture and training setting")
    prepared = [e._prepare(X, y) for e, X, y in zip(estimators, Xs, ys)]
    threads = torch.get_num_threads()
    if first.n_jobs:
        torch.set_num_threads(int(first.n_jobs))
    try:
        if len({p["n_out"] for p in prepared}) > 1:  # a class missing from some member's rows: outputs differ
            for estimator, p in zip(estimators, prepared):
                estimator._fit_seeded(p)
        else:
            # the dropout masks from the members' seeds, as a separate fit draws them (without this they came
            # from the process's global generator: the same strategy, seed and data scored differently per run)
            with torch.random.fork_rng(devices=first._devices()):
                torch.manual_seed(_stack_seed(prepared))
                _train(estimators, prepared)
    finally:
        torch.set_num_threads(threads)
    return estimators


def _stack_seed(prepared) -> int:
    """One seed for the stacked networks' dropout masks, from the members' seeds."""
    return int(np.random.SeedSequence([int(p["seed"]) for p in prepared]).generate_state(1)[0])


def _train(estimators, prepared) -> None:
    import torch

    first = estimators[0]
    device = first.device_
    nets = [e._make_net(p["X"].shape[1], p["n_out"], p["seed"]) for e, p in zip(estimators, prepared)]
    stack = _Stack(nets).to(device)
    loss_fn = first._loss_per_row()
    opt = torch.optim.AdamW(stack.parameters(), lr=float(first.learning_rate), weight_decay=float(first.weight_decay),
                            fused=str(device).startswith("cuda"))
    width = stack.n_in
    members = [_Member(p, width, device) for p in prepared]
    batch = max(1, min(int(first.batch_size), min(len(m.train) for m in members)))
    for epoch in range(int(first.max_epochs)):
        stack.train()
        orders = [m.epoch_order() for m in members]
        n_steps = max((len(o) + batch - 1) // batch for o in orders)
        for step in range(n_steps):
            index, mask = _batch(orders, step, batch, device)
            if not mask.any():
                continue
            X = torch.stack([m.X[i] for m, i in zip(members, index)])
            y = torch.stack([m.y[i] for m, i in zip(members, index)])
            losses = loss_fn(stack(X).flatten(0, 1), y.flatten(0, 1)).view(mask.shape)
            per_member = (losses * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1)
            opt.zero_grad(set_to_none=True)
            per_member.sum().backward()
            opt.step()
        if not _validate(stack, members, loss_fn, epoch, int(first.patience)):
            break
    for m, (estimator, member, net) in enumerate(zip(estimators, members, nets)):
        stack.write_member(m, net, member.best_state)
        estimator._finish(net, member.epochs, member.best)


def _batch(orders, step: int, batch: int, device):
    """Each member's rows of mini-batch ``step`` (padded with row 0) and the mask of the real ones; a member's
    batch of a single row is masked out, as the separate fit skips it."""
    import torch

    index = np.zeros((len(orders), batch), dtype=np.int64)
    mask = np.zeros((len(orders), batch), dtype=bool)
    for m, order in enumerate(orders):
        rows = order[step * batch : (step + 1) * batch]
        if len(rows) < 2 and len(order) >= 2:
            continue
        index[m, : len(rows)] = rows
        mask[m, : len(rows)] = True
    return torch.as_tensor(index, device=device), torch.as_tensor(mask, device=device)


def _validate(stack, members, loss_fn, epoch: int, patience: int) -> bool:
    """Each member's validation loss after an epoch, its best weights and patience; False when every member
    has stopped."""
    import torch

    stack.eval()
    with torch.no_grad():
        for m, member in enumerate(members):
            if member.stopped:
                continue
            member.epochs = epoch + 1
            if not len(member.val):
                continue
            out = stack.forward_member(m, member.X[member.val])
            value = float(loss_fn(out, member.y[member.val]).mean())
            if not np.isfinite(value):
                member.stopped = True
            elif value < member.best - 1e-6:
                member.best, member.since_best = value, 0
                member.best_state = stack.member_state(m)
            else:
                member.since_best += 1
                member.stopped = member.since_best >= patience
    return not all(member.stopped for member in members)


class _Member:
    """One member's data on the device, its training and validation rows, its batch order and its early
    stopping state (as ``_TorchMLP._train`` keeps them)."""

    def __init__(self, prepared: dict, width: int, device):
        import torch

        X = prepared["X"]
        padded = np.zeros((len(X), width), dtype=np.float32)
        padded[:, : X.shape[1]] = X
        self.X = torch.as_tensor(padded, device=device)
        self.y = torch.as_tensor(prepared["target"], device=device)
        self.val = torch.as_tensor(prepared["val"], device=device)
        self.train = prepared["train"]
        self.generator = torch.Generator(device="cpu").manual_seed(prepared["seed"])
        self.best, self.best_state, self.since_best, self.epochs, self.stopped = np.inf, None, 0, 0, False

    def epoch_order(self) -> np.ndarray:
        import torch

        return self.train[torch.randperm(len(self.train), generator=self.generator).numpy()]


class _Stack:
    """The members' layers as stacked parameters: weight (members, in, out), bias (members, 1, out)."""

    def __init__(self, nets):
        import torch
        from torch import nn

        linears = [[layer for layer in net if isinstance(layer, nn.Linear)] for net in nets]
        self.dropout = next((float(layer.p) for layer in nets[0] if isinstance(layer, nn.Dropout)), 0.0)
        self.n_in = max(layers[0].in_features for layers in linears)
        self.weights, self.biases = [], []
        for depth in range(len(linears[0])):
            n_in = self.n_in if depth == 0 else linears[0][depth].in_features
            w = torch.zeros(len(nets), n_in, linears[0][depth].out_features)
            for m, layers in enumerate(linears):
                w[m, : layers[depth].in_features] = layers[depth].weight.detach().T
            self.weights.append(nn.Parameter(w))
            self.biases.append(nn.Parameter(torch.stack([layers[depth].bias.detach()[None, :] for layers in linears])))
        self.training = True

    def to(self, device):
        from torch import nn

        self.weights = [nn.Parameter(w.to(device)) for w in self.weights]
        self.biases = [nn.Parameter(b.to(device)) for b in self.biases]
        return self

    def parameters(self):
        return [p for pair in zip(self.weights, self.biases) for p in pair]

    def train(self):
        self.training = True

    def eval(self):
        self.training = False

    def __call__(self, X):
        """(members, batch, in) -> (members, batch, out)."""
        import torch

        for depth, (w, b) in enumerate(zip(self.weights, self.biases)):
            X = torch.baddbmm(b, X, w)
            if depth < len(self.weights) - 1:
                X = torch.dropout(torch.relu(X), self.dropout, self.training)
        return X

    def forward_member(self, m: int, X):
        """One member's output for its (rows, in) inputs, without dropout (evaluation)."""
        import torch

        for depth, (w, b) in enumerate(zip(self.weights, self.biases)):
            X = torch.addmm(b[m], X, w[m])
            if depth < len(self.weights) - 1:
                X = torch.relu(X)
        return X

    def member_state(self, m: int) -> list:
        return [(w[m].detach().clone(), b[m].detach().clone()) for w, b in zip(self.weights, self.biases)]

    def write_member(self, m: int, net, state=None) -> None:
        """Copy member ``m``'s weights (its best state when given) back into its own ``nn.Sequential``."""
        import torch
        from torch import nn

        state = state if state is not None else self.member_state(m)
        linears = [layer for layer in net if isinstance(layer, nn.Linear)]
        with torch.no_grad():
            for layer, (w, b) in zip(linears, state):
                layer.weight.copy_(w[: layer.in_features].T.to(layer.weight.device))
                layer.bias.copy_(b[0].to(layer.bias.device))

