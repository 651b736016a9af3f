"""Choosing k strategies as a set: the warm starts should maximise the expected best of the k, not be the k
best means (five near-copies of the favourite are worth one of them).

The uncertainty over which strategies win on a task is represented by scenarios: plausible vectors of the
candidates' normalized scores (the ensemble members' predictions, and the measured scores of the training
tasks nearest to the task). Greedy selection maximises the weighted mean over scenarios of the best chosen
score; it is the standard (1 - 1/e)-approximation of this submodular objective, the same greedy that builds a
static portfolio over training tasks (``StaticPortfolio``), here conditioned on the task.

Once some strategies have been tried on the task, their scores say which scenarios it resembles: ``reweight``
weighs each scenario by how well it orders the observed scores, so the next choices follow the neighbours whose
winners also win here (the idea by which RGPE, Feurer et al. 2018, weighs its base tasks).
"""

from __future__ import annotations

import numpy as np

#: How sharply ``reweight`` trusts an observed order: a scenario that puts the worse of two tried strategies
#: ahead by 0.1 (normalized score) keeps 1/(1 + e^3), about 5%, of its weight. On two samples of 24 held-out
#: tasks 30 and 100 did better than 10 and 3; 30 is the more cautious of the two, since two tried strategies'
#: cross-validated scores may be ordered by noise (benchmarks/NOTES.md, "Warm starts that follow the scores").
SHARPNESS = 30.0


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


def reweight(weights: np.ndarray, tried: np.ndarray, scores: np.ndarray, sharpness: float = SHARPNESS) -> np.ndarray:
    """Scenario weights given the scores of strategies tried on the task.

    Each weight is multiplied by the likelihood of the observed order under its scenario: for every pair of
    tried strategies where ``a`` scored above ``b``, ``sigmoid(sharpness * (tried[s, a] - tried[s, b]))``.
    Failed (NaN) and equal scores (within 1e-6) say nothing.

    Parameters
    ----------
    weights : (S,) array
        Scenario probabilities (sum to 1).
    tried : (S, m) array
        The scenarios' normalized scores of the m tried strategies.
    scores : (m,) array
        Their measured scores on the task (higher is better).
    sharpness : float, default=SHARPNESS

    Returns
    -------
    (S,) array, summing to 1
    """
    scores = np.asarray(scores, dtype=float)
    log_like = np.zeros(len(weights))
    for a, b in zip(*np.triu_indices(len(scores), k=1)):
        if np.isfinite(scores[a]) and np.isfinite(scores[b]) and abs(scores[a] - scores[b]) > 1e-6:
            margin = np.sign(scores[a] - scores[b]) * (tried[:, a] - tried[:, b])
            log_like -= np.logaddexp(0.0, -sharpness * margin)
    posterior = np.asarray(weights, dtype=float) * np.exp(log_like - log_like.max())
    return posterior / posterior.sum()
