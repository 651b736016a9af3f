"""The model a fit ends with, as a value: each step after the search (the refit of the chosen strategy, the
ensemble selection, the top-up) takes the final model so far and returns the one it chose, and ``fit`` sets the
fitted attributes from the last.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from automl_meta._internal._threads import quiet_fit
from automl_meta.estimator._bagging import bagged_model
from automl_meta.models import fit_model, stops_on_held_out, with_time_limit, with_trees

log = logging.getLogger("automl_meta.estimator")

# Iterations of Caruana's greedy selection (AutoGluon's 25), and the most trials it chooses among.
ENSEMBLE_ITERATIONS = 25
ENSEMBLE_POOL = 10
# Seconds kept for closing the evaluation worker and the leaderboard after the last refit.
END_SECONDS = 0.05


@dataclass(frozen=True)
class FinalModel:
    """The fitted model (a Pipeline, or an EnsembleModel of several), the best single strategy, the model's
    cross-validated score (the ensemble's out-of-fold score when it is one; NaN when no trial finished) and its
    members (``strategy``, ``weight``, their own ``score``; one when not an ensemble)."""

    estimator: object
    strategy: object
    score: float
    members: tuple
    #: the model's out-of-fold predictions when they are not its members' weighted average (a stack's)
    predictions: object = None
    #: how the leaderboard describes a model of several members (None: their weighted sum)
    description: str | None = None
    #: the rows the best strategy's model was refitted on, when fewer than every row (a large table's refit
    #: within the budget); None: every row
    refit_rows: int | None = None
    #: its members' prediction seconds and sizes (``member_costs``), once measured, and the seconds that took
    costs: dict | None = None
    costs_seconds: float = 0.0

    @classmethod
    def single(cls, estimator, strategy, score: float) -> FinalModel:
        return cls(estimator, strategy, score, ({"strategy": strategy, "weight": 1.0, "score": score},))

    @property
    def member_models(self) -> list:
        """Each member's fitted model, in ``members`` order: an ensemble's or a stack's models, or the model
        itself when it has one member (which may be a bag of fold models)."""
        return self.estimator.models if len(self.members) > 1 else [self.estimator]


class RefitCache:
    """The models refitted on every row during one fit, by strategy: the ensemble reuses the refit of the best
    strategy and a top-up those of the members. Lives as long as one ``fit`` call; never kept.

    Parameters
    ----------
    build : callable
        ``build(strategy)`` -> the unfitted model of a strategy.
    X, y : the rows to refit on (all of the task's).
    n_jobs : int
        Threads of a refit: no trial runs during one, so it has every core the fit was given.
    sample_weight : array-like, optional
        The rows' weights (``fit_model``: where the family takes them).
    bag_folds : list of (train, test) positions, optional
        Bag each strategy over these folds (``quality="best"``): its model is the average of one model per fold,
        fitted on the fold's training rows, instead of one model fitted on every row.
    classes : the task's classes (a bagged classifier's probability columns); None for regression.
    seconds_left : callable, optional
        ``seconds_left()``: the budget's seconds left (None: no budget). A family that trains in epochs stops
        starting them then (``models.with_time_limit``): a refit estimated from a subsample can take longer
        than estimated (an MLP on 100,000 rows, searched on 18,000: +55% over a 60 s budget).
    more_trees : callable, optional
        ``more_trees(model, strategy, rows, held_out)``: the model a refit that is not bagged fits on ``rows``
        rows, given ``held_out`` more to stop on (a booster refitted on many more rows than searched grows its
        trees, stopped on held-out rows: ``RefitPlan.refit_trees``); None: as built.
    """

    def __init__(self, build, X, y, n_jobs: int, sample_weight=None, bag_folds=None, classes=None, seconds_left=None,
                 more_trees=None):
        self._build, self._X, self._y, self._n_jobs = build, X, y, n_jobs
        self._weights, self._bag_folds, self._classes = sample_weight, bag_folds, classes
        self._seconds_left = seconds_left or (lambda: None)
        self._more_trees = more_trees or (lambda model, strategy, rows, held_out: model)
        self._models, self._bags = {}, set()

    def __contains__(self, strategy) -> bool:
        return strategy.key in self._models

    def fit(self, strategy, bag: bool = False, rows=None, *, again: bool = False, held_out: int = 0) -> tuple[object, float]:
        """``strategy``'s model fitted on every row (``bag``: bagged over ``bag_folds``, when given; ``rows``: on
        these row positions only, not bagged; of them, the last ``held_out`` are only for a grown booster to stop
        on, and left out of any other model), and the seconds that took (0 when refitted already: the first
        refit of a strategy is its model; ``again``: fitted anew, replacing it)."""
        if strategy.key in self._models and not again:
            return self._models[strategy.key], 0.0
        began = time.perf_counter()
        if bag and self._bag_folds is not None and rows is None:
            model = bagged_model(self._builder(), strategy, self._X, self._y, self._bag_folds, self._n_jobs,
                                 self._weights, self._classes)
            self._bags.add(strategy.key)
        else:
            held_out = held_out if rows is not None else 0
            model = self._builder(grow=True)(strategy, n_rows=(len(self._X) if rows is None else len(rows)) - held_out,
                                             held_out=held_out)
            if held_out and not stops_on_held_out(model):  # rows to stop on are no rows to fit on
                rows = rows[:-held_out]
            model = self._fit_on(model, rows)
        self._models[strategy.key] = model
        return model, time.perf_counter() - began

    def probe(self, strategy, rows, trees: int) -> tuple[float, object]:
        """Seconds of ``strategy``'s booster fitted with ``trees`` of its trees on ``rows`` (positions), as built
        (not grown; not kept), and that model: what its refit on those rows costs, measured on a share of its
        trees."""
        model = with_trees(self._build(strategy, n_rows=len(rows)), trees)
        began = time.perf_counter()
        self._fit_on(model, rows)
        return time.perf_counter() - began, model

    def _fit_on(self, model, rows=None):
        """``model`` fitted on every row, or on ``rows`` (positions) only."""
        X, y, weights = self._X, self._y, self._weights
        if rows is not None:  # (the rows as fold_models takes a fold's: y is the task's Series)
            X, y, weights = X.iloc[rows], y.iloc[rows], None if weights is None else weights[rows]
        # a thread limit: without it a 0.5 s refit was seen to take 3.4 s on a busy machine
        with quiet_fit(self._n_jobs):
            fit_model(model, X, y, weights)
        return model

    def _builder(self, grow: bool = False):
        """``build`` with the budget's deadline: a family that trains in epochs (or a booster that grows its trees,
        ``grow``: a refit on one set of rows, not a bag's fold model) stops starting them then."""
        left = self._seconds_left()
        limit = None if left is None else left - END_SECONDS

        def build(s, held_out: int = 0, **options):
            model = self._build(s, **options)
            return with_time_limit(self._more_trees(model, s, options["n_rows"], held_out) if grow else model, limit)

        return build

    def is_bag(self, strategy) -> bool:
        """Whether ``strategy``'s model here is a bag of fold models."""
        return strategy.key in self._bags


def with_ensemble(final: FinalModel, evaluations, target: tuple, plan, budget, refits: RefitCache,
                  keep: float = 0.0) -> FinalModel:
    """``final``, or an ensemble that scores better: Caruana's selection over the trials' out-of-fold
    predictions (``target``: y, metric, classes and folds they score against). Models refitted already are
    reused, the others refitted on every row while the budget allows, leaving ``keep`` seconds free for what
    follows (best weight first); the weights of the members that did not fit are dropped, and the ensemble's
    score is that of the members kept."""
    from automl_meta.estimator._ensemble import EnsembleModel, score_average, select_ensemble

    with_predictions = [e for e in evaluations if e.ok and e.predictions is not None]
    if len(with_predictions) < 2:
        return final
    began = time.perf_counter()
    selection = select_ensemble(with_predictions, *target, iterations=ENSEMBLE_ITERATIONS, pool_size=ENSEMBLE_POOL)
    plan.time_selection(time.perf_counter() - began, pool_members(with_predictions))
    if len(selection.members) < 2:
        return final
    order = sorted(range(len(selection.members)), key=lambda i: -selection.weights[i])
    kept = [(i, model) for i, model in ((i, _member_model(selection.members[i], plan, budget, refits, keep)) for i in order)
            if model is not None]
    if len(kept) < 2:
        return final
    weights = [selection.weights[i] for i, _ in kept]
    members = [selection.members[i] for i, _ in kept]
    score = selection.score if len(kept) == len(selection.members) else score_average(members, weights, *target)
    if not score > final.score:  # what is fitted already scores as well (a single model, or an ensemble)
        return final
    log.info("ensemble of %d: out-of-fold %s %.5f", len(members), target[1], score)
    model = EnsembleModel([m for _, m in kept], weights, target[2])
    return FinalModel(model, final.strategy, score,
                      tuple({"strategy": m.strategy, "weight": w, "score": m.score} for m, w in zip(members, weights)),
                      refit_rows=final.refit_rows)


def pool_members(evaluations) -> int:
    """The trials an ensemble selection over ``evaluations`` chooses among (the best of each strategy, at most
    ENSEMBLE_POOL): what its seconds grow with."""
    from automl_meta.evaluate import best_per_strategy

    return min(ENSEMBLE_POOL, len(best_per_strategy([e for e in evaluations if e.ok and e.predictions is not None])))


def _member_model(member, plan, budget, refits: RefitCache, keep: float = 0.0):
    """An ensemble member's model refitted on every row: reused, or refitted when the budget allows it and
    ``keep`` seconds after it; None when it does not, or when the refit fails (the other members remain)."""
    left = None if budget is None else budget.left() - keep
    bag = plan.bags(member, left)
    if member.strategy not in refits and left is not None and plan.expected(member, bag) > left - END_SECONDS:
        return None
    try:
        return refits.fit(member.strategy, bag)[0]
    except Exception as exc:
        log.warning("refit of ensemble member %s failed (%s: %s)", member.strategy, type(exc).__name__, exc)
        return None


def with_better_trial(final: FinalModel, evaluations, plan, budget, refits: RefitCache, keep: float = 0.0) -> FinalModel:
    """``final``, or the best of ``evaluations`` that scores better than it, refitted, when its refit surely fits
    in what is left of the budget less ``keep`` seconds (the model fitted first is kept when that refit fails:
    nothing is lost).
    Scores compare as ``plan.choose`` compares them: carried to a refit on every row (``expected_score``)."""
    def expected(score, family):
        return plan.expected_score(score, family, plan.n_rows)

    bar = expected(final.score, final.strategy.family)
    better = sorted((e for e in evaluations if e.ok and expected(e.score, e.strategy.family) > bar),
                    key=lambda e: -expected(e.score, e.strategy.family))
    for e in better:
        if plan.expected(e) <= budget.left() - keep - END_SECONDS:
            log.info("refitting %s (cross-validated %.5f, better than %.5f)", e.strategy, e.score, final.score)
            try:
                model, _ = refits.fit(e.strategy, plan.bags(e, budget.left() - keep))
            except Exception as exc:
                log.warning("refit of %s failed (%s: %s); keeping %s", e.strategy, type(exc).__name__, exc, final.strategy)
                return final
            return FinalModel.single(model, e.strategy, e.score)
    return final


def with_stack(final: FinalModel, evaluations, target: tuple, plan, budget, refits: RefitCache,
               keep: float = 0.0) -> FinalModel:
    """``final``, or a stack (``quality="best"``): a linear stacker over the best distinct strategies' out-of-fold
    predictions, taken when its nested score beats the nested score of Caruana's average of the same members and
    every member can be refitted (or bagged) within the budget, leaving ``keep`` seconds free. Not tried when
    the stacking step would not fit as ``plan.stacking_seconds`` expects it (its nested fits then end a fit late:
    7 s for 4 members of a 5-class table, 2 s before the end of a 30 s fit)."""
    from automl_meta.estimator._stacking import MIN_STACK_SECONDS, STACK_POOL, StackedModel, choose_stack, member_shares

    pooled = min(STACK_POOL, pool_members(evaluations))
    seconds = None if budget is None else budget.left() - keep - END_SECONDS
    if pooled < 2:
        return final
    too_long = "no stack: its nested fits (~%.1f s) would not end in the %.1f s left"
    # (choose_stack's own floor, MIN_STACK_SECONDS, judged here too: its None would be logged as a fold's verdict)
    if seconds is not None and max(plan.stacking_seconds(pooled), MIN_STACK_SECONDS) > seconds:
        log.info(too_long, max(plan.stacking_seconds(pooled), MIN_STACK_SECONDS), seconds)
        return final
    choice = choose_stack(evaluations, *target, seconds=seconds, timed=plan.time_stacking)
    if choice is None:
        if seconds is not None:  # (its first fold said the others would not fit)
            log.info(too_long, plan.stacking_seconds(pooled), seconds)
        return final
    if not choice.score > choice.average_score:
        log.info("stack not taken: nested %s %.5f, the weighted average's %.5f", target[1], choice.score, choice.average_score)
        return final
    models = [_member_model(member, plan, budget, refits, keep) for member in choice.members]
    if any(model is None for model in models):
        return final
    log.info("stack of %d: nested out-of-fold %s %.5f (weighted average %.5f)", len(models), target[1], choice.score,
             choice.average_score)
    shares = member_shares(choice.stacker, len(models))
    members = tuple({"strategy": m.strategy, "weight": w, "score": m.score} for m, w in zip(choice.members, shares))
    stacker = type(choice.stacker.steps[-1][1]).__name__
    return FinalModel(StackedModel(models, choice.stacker, target[2]), final.strategy, choice.score, members,
                      predictions=choice.predictions,
                      description=f"{stacker} stacked on " + " + ".join(str(m.strategy) for m in choice.members),
                      refit_rows=final.refit_rows)
