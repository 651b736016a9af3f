"""The scoring network: a task tower (meta-features), a strategy tower (strategy encoding and its priors), and
a head on both towers and their elementwise product, with two outputs: the normalized-score logit and
log1p(fit seconds). The priors (the strategy's mean normalized score over the training tasks, and over the
tasks nearest to this one) also enter the score logit directly, with learned weights: the network learns how a
task departs from them."""

from __future__ import annotations

import torch
from torch import nn


def _tower(n_in: int, hidden: int, n_out: int, dropout: float) -> nn.Sequential:
    return nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, n_out), nn.ReLU())


class ScoreNet(nn.Module):
    """``n_strategy`` counts the encoding's columns plus the ``n_priors`` prior columns."""

    def __init__(self, n_task: int, n_strategy: int, hidden: int = 128, embedding: int = 64, dropout: float = 0.1,
                 n_priors: int = 1):
        super().__init__()
        self.task = _tower(n_task, hidden, embedding, dropout)
        self.strategy = _tower(n_strategy, hidden, embedding, dropout)
        self.head = nn.Sequential(nn.Linear(3 * embedding, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, 2))
        # one prior: a scalar weight (the layout of model files saved before the neighbour prior)
        self.prior_weight = nn.Parameter(torch.tensor(1.0) if n_priors == 1 else torch.full((n_priors,), 1.0 / n_priors))

    def forward(self, task_x: torch.Tensor, strategy_x: torch.Tensor, prior: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``prior``: (..., n_priors), or (...) for one."""
        prior = prior if prior.dim() == strategy_x.dim() else prior.unsqueeze(-1)
        t, s = self.task(task_x), self.strategy(torch.cat([strategy_x, prior], dim=-1))
        out = self.head(torch.cat([t, s, t * s], dim=-1))
        p = prior.clamp(0.02, 0.98)
        prior_logit = (self.prior_weight * torch.log(p / (1 - p))).sum(dim=-1)
        return out[..., 0] + prior_logit, out[..., 1]
