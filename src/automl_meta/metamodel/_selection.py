"""Choosing k strategies as a set: the warm starts should maximise the expected best of the k, not be the k
best means (five near-copies of the favourite are worth one of them).

The uncertainty over which strategies win on a task is represented by scenarios: plausible vectors of the
candidates' normalized scores (the ensemble members' predictions, and the measured scores of the training
tasks nearest to the task). Greedy selection maximises the weighted mean over scenarios of the best chosen
score; it is the standard (1 - 1/e)-approximation of this submodular objective, the same greedy that builds a
static portfolio over training tasks (``StaticPortfolio``), here conditioned on the task.
"""

from __future__ import annotations

import numpy as np


def best_of_k(scenarios: np.ndarray, weights: np.ndarray, lead: list[int], k: int, tie_break: np.ndarray) -> list[int]:
    """Indices of ``k`` candidates, greedily maximising ``sum_s weights[s] * max(scenarios[s, chosen])``.

    Parameters
    ----------
    scenarios : (S, C) array
        Plausible normalized scores of the C candidates.
    weights : (S,) array
        Probability of each scenario (sums to 1).
    lead : list of int
        Candidates chosen first, in this order (a remembered dataset's best).
    k : int
    tie_break : (C,) array
        Preferred among candidates of equal gain (the mean prediction): once the chosen set is the best in
        every scenario, the next ones are the best means.
    """
    chosen = list(lead)[:k]
    best = scenarios[:, chosen].max(axis=1) if chosen else np.full(len(scenarios), -np.inf)
    for _ in range(min(k, scenarios.shape[1]) - len(chosen)):
        gain = weights @ np.maximum(scenarios, best[:, None]) + 1e-9 * tie_break
        gain[chosen] = -np.inf
        j = int(np.argmax(gain))
        chosen.append(j)
        best = np.maximum(best, scenarios[:, j])
    return chosen
