"""The scoring network: a task tower (meta-features), a strategy tower (strategy encoding and its prior), and
a head on both towers and their elementwise product, with two outputs: the normalized-score logit and
log1p(fit seconds). The prior (the strategy's mean normalized score over the training tasks) also enters the
score logit directly, with a learned weight: the network learns how a task departs from the static ranking."""

from __future__ import annotations

import torch
from torch import nn


def _tower(n_in: int, hidden: int, n_out: int, dropout: float) -> nn.Sequential:
    return nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, n_out), nn.ReLU())


class ScoreNet(nn.Module):
    def __init__(self, n_task: int, n_strategy: int, hidden: int = 128, embedding: int = 64, dropout: float = 0.1):
        super().__init__()
        self.task = _tower(n_task, hidden, embedding, dropout)
        self.strategy = _tower(n_strategy, hidden, embedding, dropout)
        self.head = nn.Sequential(nn.Linear(3 * embedding, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, 2))
        self.prior_weight = nn.Parameter(torch.tensor(1.0))

    def forward(self, task_x: torch.Tensor, strategy_x: torch.Tensor, prior: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        t, s = self.task(task_x), self.strategy(torch.cat([strategy_x, prior.unsqueeze(-1)], dim=-1))
        out = self.head(torch.cat([t, s, t * s], dim=-1))
        p = prior.clamp(0.02, 0.98)
        return out[..., 0] + self.prior_weight * torch.log(p / (1 - p)), out[..., 1]
