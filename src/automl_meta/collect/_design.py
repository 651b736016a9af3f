"""The common set of strategies evaluated on every task of a shipped meta-dataset.

Identical on every task, so that static portfolios can be built and methods compared on equal terms.

Two designs:

* :func:`sobol_strategies` (meta-dataset v1): every family's defaults, then a scrambled Sobol design within each
  family, round robin over the families (used for families restricted by the caller, and to top a short set up).
* :func:`select_common_set` (meta-dataset v2, shipped in ``common_set.json``): greedy portfolio construction
  for coverage. Starting from the v1 common set (each family's defaults and 23 Sobol points, already evaluated
  on the 173 v1 tasks), it adds, one at a time, the strategy of a large pool that most raises the mean over
  the v1 tasks of the best normalized score in the set, where a strategy's normalized score on a task is the
  recorded one if it was evaluated there and the v1 meta-model's prediction otherwise. The pool: every
  strategy the v1 meta-dataset evaluated (common and task-specific) plus 512 Sobol points. A family may hold at
  most ``max_share`` of the set, so every family's good regions stay in it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from automl_meta.space import FAMILIES, Strategy, available_families, encode_many, sample

#: The designed v2 common set, best first after the v1 prefix (see ``select_common_set``).
COMMON_SET_FILE = Path(__file__).resolve().parent / "common_set.json"


def sobol_strategies(n: int, random_state: int = 0, families=None) -> list[Strategy]:
    """``n`` strategies: each family's defaults first, then Sobol points per family, interleaved; no duplicates."""
    families = list(families) if families is not None else available_families()
    out = [Strategy.default(f) for f in families][:n]
    if len(out) < n:
        for s in sample(2 * n, families=families, random_state=random_state, method="sobol"):
            if s not in out:
                out.append(s)
        # sample() fills families in blocks; interleave so that any prefix covers every family
        defaults, rest = out[: len(families)], out[len(families):]
        by_family = {f: [s for s in rest if s.family == f] for f in families}
        interleaved = []
        while any(by_family.values()):
            for f in families:
                if by_family[f]:
                    interleaved.append(by_family[f].pop(0))
        out = defaults + interleaved
    return out[:n]


def designed_common_set() -> list[Strategy]:
    """The shipped v2 common set (empty when the file is absent)."""
    if not COMMON_SET_FILE.is_file():
        return []
    return [Strategy.from_dict(d) for d in json.loads(COMMON_SET_FILE.read_text())["strategies"]]


def common_strategies(n: int, random_state: int = 0, families=None) -> list[Strategy]:
    """The first ``n`` strategies of the common set of ``families`` (all available by default): the designed
    v2 set, topped up from the Sobol design where it has fewer of those families."""
    allowed = set(families) if families is not None else set(available_families())
    out = [s for s in designed_common_set() if s.family in allowed][:n]
    for s in sobol_strategies(2 * n, random_state, families=sorted(allowed, key=list(FAMILIES).index)):
        if len(out) >= n:
            break
        if s not in out:
            out.append(s)
    return out[:n]


def select_common_set(data, metamodel, n: int = 64, start=(), n_sobol: int = 512, max_share: float = 0.2,
                      random_state: int = 0) -> tuple[list[Strategy], list[float]]:
    """Greedy coverage portfolio over ``data``'s tasks (see the module's docstring); returns the set and the
    mean best normalized score after each addition."""
    from automl_meta.metamodel import normalized_scores

    start = list(start)
    pool = list(dict.fromkeys(start + list(data.strategies) + [Strategy.default(f) for f in available_families()]
                              + sample(n_sobol, random_state=random_state, method="sobol")))
    index = {s.key: j for j, s in enumerate(pool)}
    encodings = encode_many(pool)
    n_tasks = len(data.task_ids)
    matrix = np.vstack([metamodel.predict_encoded(data.metafeatures[t], encodings)[0] for t in range(n_tasks)])
    observed = normalized_scores(data.eval_task, data.scores, n_tasks)
    for row, (t, s) in enumerate(zip(data.eval_task, data.strategies)):
        matrix[t, index[s.key]] = observed[row]
    for t in range(n_tasks):  # a family that does not serve the task's kind can never be its best
        serving = set(available_families(str(data.kinds[t])))
        matrix[t, [j for j, s in enumerate(pool) if s.family not in serving]] = 0.0
    chosen = [index[s.key] for s in start]
    best = matrix[:, chosen].max(axis=1) if chosen else np.zeros(n_tasks)
    curve, cap = [], max(1, int(max_share * n))
    families = [s.family for s in pool]
    while len(chosen) < n:
        gain = np.maximum(best[:, None], matrix).mean(axis=0)
        full = {f for f in set(families) if sum(families[j] == f for j in chosen) >= cap}
        gain[[j for j, f in enumerate(families) if f in full or j in set(chosen)]] = -np.inf
        j = int(np.argmax(gain))
        chosen.append(j)
        best = np.maximum(best, matrix[:, j])
        curve.append(float(best.mean()))
    return [pool[j] for j in chosen], curve
