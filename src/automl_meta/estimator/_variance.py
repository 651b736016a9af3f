"""``quality="best"`` with time to spare: stop exploring once more trials stop paying, and spend the rest on
variance (more bag sets of the final model's members) instead of on more trials.

Why: on small tables a longer search fits the noise of the cross-validation folds (the best of more trials'
noisy scores is more optimistic, not better on unseen rows: a default fit's mean test metric was 0.719 / 0.717 /
0.719 at 30 / 120 / 600 s), while the average of more fold models, each fitted on a different (k-1)/k of the
rows, predicts with less variance for every extra set (AutoGluon's ``num_bag_sets``: repeated k-fold bagging).
"""

from __future__ import annotations

import logging
import math

import numpy as np

log = logging.getLogger("automl_meta.estimator")

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
#: Bag sets per member at most (each one more model per fold: the predict time and size grow with them; with 3
#: sets a bagged forest ensemble of a 12,000-row table took 260 MB). Measured, not guessed: at 600 s, 4 sets
#: against 2 after the same searches lost on 4 of 10 end-to-end tasks and won none (mean test metric 0.7523
#: against 0.7541) at twice the predict time and size; sets of 10 folds rather than the search's 5 lost too
#: (pneumon 0.674 against 0.701, the same ensemble), and so did a search of 10 folds (``cv=10``: 0.7177 against
#: 0.7289 at 120 s). So a longer budget does not buy more sets: the fit ends.
MAX_BAG_SETS = 2
# A set's seconds are expected within this factor of its first set's (the same fits on other rows), and a set
# leaves this share of the budget free (a 9-class table's 30 s fit ended at 31.6 s without it: +5.4%).
_SAFETY = 1.25
_MARGIN = 0.03


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


def with_more_bag_sets(final, refits, fold_sets, budget, end_seconds: float) -> int:
    """Add bag sets to ``final``'s bagged members (in place, through ``refits``) while a whole set of every member
    fits in what is left of ``budget``: set ``r`` is one more model per fold of ``fold_sets[r]`` (folds of
    another seed; the caller gives at most ``MAX_BAG_SETS - 1``). The seconds of a set are those its first set
    took, member by member. Returns the sets added."""
    bagged = [m["strategy"] for m in final.members if refits.is_bag(m["strategy"])]
    if not bagged:
        return 0
    added = 0
    for folds in fold_sets:
        if _SAFETY * sum(refits.seconds(s) for s in bagged) > budget.left() - end_seconds - _MARGIN * budget.seconds:
            break
        for strategy in bagged:
            refits.add_bag_set(strategy, folds)
        added += 1
    if added:
        log.info("%d more bag set(s) of %d member(s): %d fold models each", added, len(bagged), refits.bag_size(bagged[0]))
    return added
