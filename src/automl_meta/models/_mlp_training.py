"""The MLP family's one training loop: networks of one architecture trained at once as one stacked network.

A single fit is a stack of one. Stacking is for cross-validation: a trial fits k fold models of one strategy, and
trained one after another a small MLP leaves a GPU idle (each mini-batch is ~10 tiny kernel launches) and a CPU
core underused. Stacked, the k members share every launch: each layer is one batched matrix product
(``torch.baddbmm``) over a (members, batch, width) tensor, as in pytabkit's RealMLP. Each member keeps its own
data (its fold's rows), mini-batch order, validation split, early stopping and best weights, so the result is
what k fits of a stack of one give:

* identical initial weights (each member's network is made from its own seed, then copied into the stack,
  inputs zero-padded to the widest member: padded inputs are always zero, so their weights stay zero);
* identical batches, validation rows and losses (a member's shorter last batch is masked, not resampled);
* AdamW is elementwise, so each member's slice takes the step its own optimizer would.

Two differences remain, and bound the tolerance of the tests: dropout masks are drawn from one random stream for
the whole stack (the same distribution, other draws), and a member whose epoch has fewer mini-batches than
another's (fold sizes differ by a row) still takes the optimizer's momentum and weight-decay step, with a zero
gradient, while the others finish theirs.

This module imports torch at its top: it is imported only when a network is trained.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

# A validation loss must improve on the best by more than this to count as better (early stopping).
_MIN_IMPROVEMENT = 1e-6


@dataclass(frozen=True)
class Training:
    """The setting every member of a stack shares: the optimizer's, the batches' and early stopping's."""

    learning_rate: float
    weight_decay: float
    batch_size: int
    max_epochs: int
    patience: int
    #: a time.perf_counter() after which no epoch starts (the best epoch's weights are kept); None: no limit
    deadline: float | None = None


def train(nets: list, data: list, loss_per_row, training: Training, device: str) -> list[tuple[int, float]]:
    """Train ``nets`` (``nn.Sequential`` of Linear, ReLU and Dropout layers, on the CPU) on their ``data``
    (each with ``X``, ``target``, ``seed``, ``train`` and ``val`` rows) at once; each net ends holding its
    best epoch's weights. The dropout masks come from torch's global random stream (the caller seeds it);
    each member's batch order from its own seed. Returns each member's (epochs run, best validation loss; inf
    without a validation split)."""
    stack = Stack(nets).to(device)
    members = [_Member(d, stack.n_in, device) for d in data]
    _run_epochs(stack, members, loss_per_row, training, device)
    for m, (net, member) in enumerate(zip(nets, members)):
        stack.write_member(m, net, member.best_state)
    return [(member.epochs, member.best) for member in members]


def _run_epochs(stack: Stack, members: list, loss_per_row, training: Training, device) -> None:
    # on a GPU the fused optimizer is one kernel instead of one per parameter tensor and step
    opt = torch.optim.AdamW(stack.parameters(), lr=float(training.learning_rate),
                            weight_decay=float(training.weight_decay), fused=str(device).startswith("cuda"))
    batch = max(1, min(int(training.batch_size), min(len(m.train) for m in members)))
    for epoch in range(int(training.max_epochs)):
        stack.train()
        orders = [m.epoch_order() for m in members]
        n_steps = max((len(o) + batch - 1) // batch for o in orders)
        # a stack of one is the plain loop: its last, shorter batch is not padded (padding would draw other
        # dropout masks than a network trained alone always had); several members pad every step to the batch
        width = None if len(members) == 1 else batch
        for step in range(n_steps):
            index, mask = _batch(orders, step, batch, device, width)
            if not mask.any():
                continue
            X = torch.stack([m.X[i] for m, i in zip(members, index)])
            y = torch.stack([m.y[i] for m, i in zip(members, index)])
            losses = loss_per_row(stack(X).flatten(0, 1), y.flatten(0, 1)).view(mask.shape)
            per_member = (losses * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1)
            opt.zero_grad(set_to_none=True)
            per_member.sum().backward()
            opt.step()
        if not _validate(stack, members, loss_per_row, epoch, int(training.patience)):
            break
        if training.deadline is not None and time.perf_counter() >= training.deadline:
            break  # out of time: the best epoch so far stands, as after early stopping


def _batch(orders, step: int, batch: int, device, width=None):
    """Each member's rows of mini-batch ``step`` (padded with row 0 to ``width``, by default the longest
    member's rows in this step) and the mask of the real ones; a member's batch of a single row is masked out:
    one row carries no useful gradient for a dropout net."""
    width = width or max(len(order[step * batch : (step + 1) * batch]) for order in orders)
    index = np.zeros((len(orders), width), dtype=np.int64)
    mask = np.zeros((len(orders), width), dtype=bool)
    for m, order in enumerate(orders):
        rows = order[step * batch : (step + 1) * batch]
        if len(rows) < 2 and len(order) >= 2:
            continue
        index[m, : len(rows)] = rows
        mask[m, : len(rows)] = True
    return torch.as_tensor(index, device=device), torch.as_tensor(mask, device=device)


def _validate(stack: Stack, members: list, loss_per_row, epoch: int, patience: int) -> bool:
    """Each member's validation loss after an epoch, its best weights and patience; False when every member
    has stopped."""
    stack.eval()
    with torch.no_grad():
        for m, member in enumerate(members):
            if member.stopped:
                continue
            member.epochs = epoch + 1
            if not len(member.val):
                continue
            out = stack.forward_member(m, member.X[member.val])
            value = float(loss_per_row(out, member.y[member.val]).mean())
            if not np.isfinite(value):
                member.stopped = True
            elif value < member.best - _MIN_IMPROVEMENT:
                member.best, member.since_best = value, 0
                member.best_state = stack.member_state(m)
            else:
                member.since_best += 1
                member.stopped = member.since_best >= patience
    return not all(member.stopped for member in members)


class _Member:
    """One member's data on the device, its training and validation rows, its batch order and its early
    stopping state."""

    def __init__(self, data, width: int, device):
        X = data.X
        padded = np.zeros((len(X), width), dtype=np.float32)
        padded[:, : X.shape[1]] = X
        self.X = torch.as_tensor(padded, device=device)
        self.y = torch.as_tensor(data.target, device=device)
        self.val = torch.as_tensor(data.val, device=device)
        self.train = data.train
        self.generator = torch.Generator(device="cpu").manual_seed(data.seed)
        self.best, self.best_state, self.since_best, self.epochs, self.stopped = np.inf, None, 0, 0, False

    def epoch_order(self) -> np.ndarray:
        return self.train[torch.randperm(len(self.train), generator=self.generator).numpy()]


class Stack(nn.Module):
    """The members' linear layers as stacked parameters: weight (members, in, out), bias (members, 1, out);
    ReLU and dropout between them."""

    def __init__(self, nets: list):
        super().__init__()
        linears = [[layer for layer in net if isinstance(layer, nn.Linear)] for net in nets]
        self.dropout = next((float(layer.p) for layer in nets[0] if isinstance(layer, nn.Dropout)), 0.0)
        self.n_in = max(layers[0].in_features for layers in linears)
        weights, biases = [], []
        for depth in range(len(linears[0])):
            n_in = self.n_in if depth == 0 else linears[0][depth].in_features
            w = torch.zeros(len(nets), n_in, linears[0][depth].out_features)
            for m, layers in enumerate(linears):
                w[m, : layers[depth].in_features] = layers[depth].weight.detach().T
            weights.append(nn.Parameter(w))
            biases.append(nn.Parameter(torch.stack([layers[depth].bias.detach()[None, :] for layers in linears])))
        self.weights, self.biases = nn.ParameterList(weights), nn.ParameterList(biases)

    def forward(self, X):
        """(members, batch, in) -> (members, batch, out)."""
        for depth, (w, b) in enumerate(zip(self.weights, self.biases)):
            X = torch.baddbmm(b, X, w)
            if depth < len(self.weights) - 1:
                X = torch.dropout(torch.relu(X), self.dropout, self.training)
        return X

    def forward_member(self, m: int, X):
        """One member's output for its (rows, in) inputs, without dropout (evaluation)."""
        for depth, (w, b) in enumerate(zip(self.weights, self.biases)):
            X = torch.addmm(b[m], X, w[m])
            if depth < len(self.weights) - 1:
                X = torch.relu(X)
        return X

    def member_state(self, m: int) -> list:
        return [(w[m].detach().clone(), b[m].detach().clone()) for w, b in zip(self.weights, self.biases)]

    def write_member(self, m: int, net, state=None) -> None:
        """Copy member ``m``'s weights (its best state when given) back into its own ``nn.Sequential``."""
        state = state if state is not None else self.member_state(m)
        linears = [layer for layer in net if isinstance(layer, nn.Linear)]
        with torch.no_grad():
            for layer, (w, b) in zip(linears, state):
                layer.weight.copy_(w[: layer.in_features].T.to(layer.weight.device))
                layer.bias.copy_(b[0].to(layer.bias.device))
