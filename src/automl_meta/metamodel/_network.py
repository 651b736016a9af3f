"""The scoring network: a task tower (meta-features), a strategy tower (strategy encoding), and a head on
both towers and their elementwise product, with two outputs: the normalized-score logit and log1p(fit s)."""

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

    def forward(self, task_x: torch.Tensor, strategy_x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        t, s = self.task(task_x), self.strategy(strategy_x)
        out = self.head(torch.cat([t, s, t * s], dim=-1))
        return out[..., 0], out[..., 1]
