"""``quality="best"`` under a time budget: stop exploring once more trials stop paying, and end the fit there.

Why: on small tables a longer search fits the noise of the cross-validation folds (the best of more trials'
noisy scores is more optimistic, not better on unseen rows: a default fit's mean test metric was 0.719 / 0.717 /
0.719 at 30 / 120 / 600 s). The time left is not spent on variance either. Repeated k-fold bagging (AutoGluon's
``num_bag_sets``: one more model per fold of a fresh split for every bagged member) was the fit's last step until
it was measured: the same final models scored on the end-to-end tasks' test rows with and without their second
set were level, +0.0005 [-0.0002, +0.0012] for one set (14 higher, 21 level, 9 lower over 11 tasks x 4 method
seeds; ``benchmarks/results/endtoend_quality/session33/bag_sets/``), at up to half the predict time and size and
without the set's fitting seconds; 4 sets against 2 had lost (0 wins, 6 ties, 4 losses on 10 tasks), and so had
sets of 10 folds and a search of 10 folds.
"""

from __future__ import annotations

import math

import numpy as np

#: A search is judged only after this many successful trials (four times the warm starts: the sampler has
#: had time to find what they missed).
PLATEAU_MIN_TRIALS = 20
#: The window of latest successful trials (at least this many, and at least a third of them) whose gain is
#: weighed against the folds' noise.
PLATEAU_WINDOW = 10
#: The share of the budget the search explores before a plateau may end it. 0: a plateau ends it whenever it
#: comes. Half the budget was tried first (at 30 s, stopping at the first plateau had lost 0.038 of ROC AUC on a
#: table and gained elsewhere); at 120 s it left the search to chase the folds' noise for another minute of
#: trials: mean test metric 0.7216 on the end-to-end tasks, against 0.7289 without it (5/2/5).
PLATEAU_MIN_SHARE = 0.0


def plateaued(evaluations) -> bool:
    """Whether the search stopped finding better strategies: after :data:`PLATEAU_MIN_TRIALS` successful trials,
    the latest window's best gained no more over the best before it than the standard error of the best
    trial's cross-validated score (its fold scores' spread over the square root of their number), the noise a
    gain must beat to be real."""
    ok = [e for e in evaluations if e.ok]
    if len(ok) < PLATEAU_MIN_TRIALS:
        return False
    window = max(PLATEAU_WINDOW, len(ok) // 3)
    best = max(ok, key=lambda e: e.score)
    before = max(e.score for e in ok[:-window])
    folds = np.asarray(best.fold_scores, dtype=float)
    if len(folds) < 2:  # validation data: one split, no spread to weigh a gain against
        return False
    noise = float(np.std(folds, ddof=1) / math.sqrt(len(folds)))
    return best.score - before <= noise


class PlateauStop:
    """The stop condition of a ``quality="best"`` search under ``budget`` (``Budget.stop_when``): true once
    :data:`PLATEAU_MIN_SHARE` of the budget is spent and the search has :func:`plateaued`; ``fired`` says
    whether it ended the search."""

    def __init__(self, budget):
        self.budget, self.fired = budget, False

    def __call__(self, evaluations) -> bool:
        if not self.fired and self.budget.elapsed() >= PLATEAU_MIN_SHARE * self.budget.seconds:
            self.fired = plateaued(evaluations)
        return self.fired

