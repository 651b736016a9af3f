"""How long the refit of a searched strategy on every row will take, and so what a budgeted fit keeps free.

Every constant of the estimators' time budget lives here. The search scores strategies on a subsample with
k-fold cross-validation; the refit fits the chosen one once on every row (on a table much larger than the
subsample, on as many rows as the budget allows). A reserve must be pessimistic (refit time grows faster than
linearly in rows for some families, slower for boosters), so it carries a safety factor; what the pessimism
leaves unused goes to more trials after the refit (see ``_AutoMetaBase._top_up``).
"""

from __future__ import annotations

import sys
import time

# Kept free for the refit: its expected seconds times _SAFETY, plus _SLACK seconds and _SLACK_SHARE of the
# budget; before any trial has succeeded, _FALLBACK_SHARE of the budget (for the fallback model). Not more: with
# _SLACK added there, 5 s fits with one core busy waited 0.3 s less for their starting workers and all ended on
# the fallback with no trial, where 2 trials had finished (benchmarks/NOTES.md, session 31).
_SAFETY = 1.5
_SLACK = 0.3
_SLACK_SHARE = 0.02
_FALLBACK_SHARE = 0.05
# The library each family's refit imports in this process (the evaluation worker imported it in its own), and
# the seconds allowed for that import when it has not happened yet: the refit of a hist_gb was seen to take
# three times its estimate for want of it.
FAMILY_LIBRARY = {"linear": "sklearn.linear_model", "knn": "sklearn.neighbors", "svm_rbf": "sklearn.svm",
                  "random_forest": "sklearn.ensemble", "extra_trees": "sklearn.ensemble",
                  "hist_gb": "sklearn.ensemble", "mlp": "torch", "lightgbm": "lightgbm", "xgboost": "xgboost"}
# A fit imports torch (LATE_IMPORT_FAMILIES' library) only to refit an MLP, its seconds counted: at the fit's start
# it took a core from the starting workers (10 s fits of a 344-row table on 2 cores: 8.5 trials with it, 16
# without, median of 4), and imported in the background once an MLP trial had succeeded, its thread held the
# interpreter's lock that the refits after the search needed (20 s fits ended at 20.9-22.0 s).
_IMPORT_ALLOWANCE = {"torch": 4.0}
_DEFAULT_IMPORT_ALLOWANCE = 1.0
# Under a time budget, trials score strategies on a seeded stratified subsample of at most this many rows per
# second of budget (at least _MIN_SEARCH_ROWS): 5-fold CV of a 500-tree ensemble on 20,000 rows takes longer
# than a 30 s budget, and a strategy's rank on ~10,000 rows rarely differs from its rank on all of them, but for
# the families of _NOT_SCALING (FLAML also searches on a growing sample). The refit of the chosen strategy uses
# every row (on a large table, as many as fit: _MAX_REFIT_SHARE).
_SEARCH_ROWS_PER_SECOND = 300
_MIN_SEARCH_ROWS = 2000
# On a table larger than the search's subsample, at most this share of the budget is kept for the refit: when
# the refit on every row would take more, it fits on as many rows as the time allows (never fewer than the search
# scored on, so that the cross-validated score still holds for it). Without it a 500,000-row 60 s fit ended on
# the strategy whose refit on every row fitted the time left, a weak XGBoost (test ROC AUC 0.82; with it,
# LightGBM, 0.97). FLAML's ``retrain_full="budget"`` is the same idea.
_MAX_REFIT_SHARE = 0.4
# ... and on a table searched on a small share of its rows (_SUBSAMPLED_FACTOR), up to this share, as long as
# the search keeps _MIN_SEARCH_SECONDS: there the refit's rows decide more than further trials do (60 s fits, one
# core, refits sized by a probe: 500,000 rows 0.9778 with 40% (four seeds), 0.9790 with 60% (eight)), but a shorter
# budget's search needs its time for the warm starts (a 30 s fit of a 75,000-row table kept 60% and stopped
# after one trial of 12 s: 0.747 against 0.767-0.772; its five warm starts take 20-24 s on the 500,000-row table).
_SUBSAMPLED_REFIT_SHARE = 0.6
_MIN_SEARCH_SECONDS = 24.0
# A refit on a subsample that left time enough for one on this many times its rows is done again on them
# (``more_rows``): its own measured cost is a better estimate than the search's trials scaled up.
_MORE_ROWS_FACTOR = 1.5
# A measured/estimated refit ratio corrects later estimates of the same family within these bounds.
_CALIBRATION_BOUNDS = (0.25, 4.0)
# On a table at least this many times larger than the rows its trials score strategies on, the search leaves
# out (unless the user named the families) those whose rank on the subsample does not carry to the whole table:
# an RBF SVM fits at most SVM_MAX_ROWS rows whatever the table (bagged on 500,000 rows, a 60 s fit of SVMs scored
# a test ROC AUC of 0.746), and k-nearest neighbours gains less from the rows the search did not see than a
# booster does, while its predictions cost time in every one of them (100,000 rows: kNN chosen, 0.970; left out,
# XGBoost, 0.978; benchmarks/results/large_tables*.md).
_SUBSAMPLED_FACTOR = 4
# ... and its trials cross-validate with at most this many folds (``subsample_folds``).
_SUBSAMPLED_FOLDS = 3
_NOT_SCALING = ("svm_rbf", "knn")
# A booster's trees were searched with its learning rate on the folds' rows: refitted (not bagged) on at least
# _GROWN_FACTOR times as many rows, it keeps them and may grow up to _MORE_TREES times as many (at most
# _MAX_TREES) while its metric on held-out rows of the refit improves (``models.HeldOutStopping``). The LightGBM
# a 60 s fit chose on a 500,000-row table (468 trees, searched on 12,000 fold rows) scored a test ROC AUC of
# 0.9745 refitted on 100,000 rows, and 0.9793 grown so (1,591 trees). A refit on a subsample of a larger table
# grows on any number of rows: it stops on rows the subsample left out, which cost it none of its own, and its
# growth spends time that a refit sized pessimistically leaves (refits on 21,000-23,000 rows of the 500,000-row
# table, under twice the folds' rows, left 12-17 s of 60 to a search that found nothing better).
_GROWN_FAMILIES = ("lightgbm", "xgboost")
_GROWN_FACTOR = 2
_MORE_TREES = 4
_MAX_TREES = 2000
# ... and a grown LightGBM refitted on a subsample of a larger table takes larger trees than searched
# (``refit_leaves``): its searched num_leaves times (refit rows / folds' rows) ** _LEAVES_EXPONENT, at most the
# space's highest. Why: the budget did not allow every row, so the refit ends at its deadline, still gaining, and
# larger trees gain more per second; the leaves were chosen for the folds' rows, and more rows support more. The
# 500,000-row table's LightGBM (60 leaves, learning rate 0.21) grown for 32 s on 71,000 rows, stopped on held-out
# rows: test ROC AUC 0.9788 with 60 leaves, 0.9796 with 127, 0.9797 with 255 (at 20 s 0.9771 / 0.9780 /
# 0.9788). Not where the refit fits every row: there the booster grows until its held-out metric stops
# improving, and larger trees fitted the noise of real tables (the 12 held-out corpus tables of 15,566-75,000
# training rows at 60 s, scaled on every row: 0/10/2, restaurant_inspections 0.4912 -> 0.4886, movielens
# 0.7683 -> 0.7669). Nor where the probe (below), scored on the rows the refit stops on, was no better with all its
# trees than with half: larger trees lost on real tables whose booster was past its best after a few trees (a
# strategy of learning rate 0.21 refitted on half of movielens: 0.738 -> 0.710 at 3.1x the leaves; gss_wages R²
# 0.268 -> 0.189), while a booster still gaining at its deadline gained from them.
_LEAVES_EXPONENT = 0.5
# Such a booster's refit on a subsample has its rows measured, not only scaled from its trials: _PROBE_SHARE of
# its searched trees are fitted on the planned rows first, and the whole refit is taken to cost that fit's
# seconds over _PROBE_SHARE (pessimistic: the rows' encoding and binning are counted that many times), linear in
# rows from there (``probed_rows``). A histogram booster's tree costs a fixed part besides its per-row part
# (LightGBM of 60 leaves, 200 trees, one core: 2.4 s on 12,000 rows, 3.7 s on 48,000, 8.5 s on 192,000), so the
# trials' seconds scaled by rows overestimated the 500,000-row table's refit threefold (53,000 rows planned, the
# searched trees fitted in 7 s of the 24 s kept for them).
_PROBE_SHARE = 0.1
# ... and its growth stops with this share of the budget left, for what follows the refit (an ensemble's member
# refits, the leaderboard's costs): growing to the budget's end, a 30 s fit of movielens ended at 31.9 s (+6.2%).
_GROWTH_KEEPS_SHARE = 0.05


# The libraries ``import_in_background`` is importing or has imported: name -> (when it started, set when done).
_BACKGROUND_IMPORTS: dict = {}


def import_seconds(family: str) -> float:
    """The seconds allowed for importing ``family``'s library into this process before its first fit here: 0
    once imported; while ``import_in_background`` imports it, what is left of its allowance (a library is in
    ``sys.modules`` from its import's start, and torch's may start seconds before the refit: after the first MLP
    trial succeeded); else the whole allowance."""
    library = FAMILY_LIBRARY.get(family)
    if library is None:
        return 0.0
    allowance = _IMPORT_ALLOWANCE.get(library, _DEFAULT_IMPORT_ALLOWANCE)
    under_way = _BACKGROUND_IMPORTS.get(library)
    if under_way is not None:
        started, done = under_way
        return 0.0 if done.is_set() else max(allowance - (time.perf_counter() - started), 0.0)
    return 0.0 if library in sys.modules else allowance


def import_in_background(families) -> None:
    """Import the model libraries of ``families`` in a daemon thread (each once a process): a fit waits on its
    evaluation workers during the search, so there the imports cost the budget nothing; ``import_seconds`` counts
    what is left of one under way."""
    import importlib
    import threading

    libraries = sorted({FAMILY_LIBRARY[f] for f in families if f in FAMILY_LIBRARY} - set(_BACKGROUND_IMPORTS))
    if not libraries:
        return
    done = {name: threading.Event() for name in libraries}
    for name in libraries:
        _BACKGROUND_IMPORTS[name] = (time.perf_counter(), done[name])

    def run():
        for name in libraries:
            try:
                importlib.import_module(name)
            except Exception:  # an optional family not installed: its refit never happens
                pass
            done[name].set()

    threading.Thread(target=run, name="automl-meta-imports", daemon=True).start()


def search_rows(n_rows: int, time_budget: float | None) -> int:
    """Rows each trial scores strategies on: all of them without a budget, else a share that fits it."""
    if time_budget is None:
        return n_rows
    return min(n_rows, max(_MIN_SEARCH_ROWS, int(time_budget * _SEARCH_ROWS_PER_SECOND)))


def subsample_folds(cv: int, n_rows: int, rows_searched: int, validation: bool = False) -> int:
    """The folds of each trial: ``cv``, or at most _SUBSAMPLED_FOLDS on a table searched on a small share of its
    rows (at least _SUBSAMPLED_FACTOR times fewer), where each fold still tests thousands of rows and the time
    of a trial decides how many the budget sees (given validation rows: their one split)."""
    if validation or n_rows < _SUBSAMPLED_FACTOR * rows_searched:
        return cv
    return min(cv, _SUBSAMPLED_FOLDS)


def more_rows(rows: int, seconds: float, left: float, n_rows: int) -> int | None:
    """After a refit on ``rows`` of a table's ``n_rows`` that took ``seconds``: the rows a second refit surely
    fits on in ``left`` seconds at the same cost per row (times _SAFETY, plus _SLACK), when at least
    _MORE_ROWS_FACTOR times as many (else None: not worth the time)."""
    room = (left - _SLACK) / _SAFETY
    if seconds <= 0 or room <= 0:
        return None
    more = min(n_rows, int(rows * room / seconds))
    return more if more >= _MORE_ROWS_FACTOR * rows else None


def probe_trees(strategy) -> int:
    """The trees of a booster's probe (``probed_rows``): _PROBE_SHARE of its searched ones, at least 2."""
    return max(2, round(_PROBE_SHARE * int(strategy.params["n_estimators"])))


def probed_rows(rows: int, seconds: float, left: float, n_rows: int) -> int:
    """The rows a refit surely fits on in ``left`` seconds, given that its whole fit on ``rows`` rows is expected
    to take ``seconds`` (its probe's, scaled to every searched tree): linear in rows from there (a booster's
    cost grows at most so), times _SAFETY, plus _SLACK; between ``rows`` and ``n_rows``."""
    room = (left - _SLACK) / _SAFETY
    return max(rows, min(n_rows, int(rows * room / max(seconds, 1e-9))))


def searched_families(families, kind: str, n_rows: int, rows_searched: int) -> list[str]:
    """The families a fit searches: ``families`` (checked before anything else runs: a misspelt family is named
    at once, not as "no candidate" later), or every available one, less, on a table searched on a small share of
    its rows, those whose rank there does not carry to the whole table (:data:`_NOT_SCALING`)."""
    from automl_meta.search import resolve_families

    resolved = resolve_families(families, kind)
    if families is not None or n_rows < _SUBSAMPLED_FACTOR * rows_searched:
        return resolved
    return [f for f in resolved if f not in _NOT_SCALING] or resolved


class RefitPlan:
    """Refit-time estimates for one fit.

    Parameters
    ----------
    n_rows : int
        Rows of the training data (the refit uses them all).
    search_rows : int
        Rows each trial scored strategies on.
    folds : int
        Folds of each trial's cross-validation.
    budget_seconds : float
        The fit's whole time budget.
    members : int, default=1
        Refits the search keeps time for: the best strategy's, and with an ensemble those of the next best
        distinct strategies (the likely members).
    bagged : bool, default=False
        Refits are bagged members where the budget allows (one model per fold, each on (folds - 1) / folds of
        the rows: about folds - 1 times a refit on every row): the search keeps time for bags, the strategy is
        chosen by its plain refit's time (``choose``), and each refit is bagged when its bag fits (``bags``).
    curves : dict, optional
        Each family's learning-curve exponent (``MetaModel.learning_curves_``; error proportional to rows **
        exponent): on a table larger than the search's subsample, strategies are compared by their scores
        carried to the rows their refit will use (``expected_score``), not by their scores on the subsample.
        None: by those (a metric not bounded by 1, or no meta-model).
    """

    def __init__(self, n_rows: int, search_rows: int, folds: int, budget_seconds: float, members: int = 1,
                 bagged: bool = False, curves: dict | None = None):
        self.n_rows, self.search_rows, self.folds, self.budget_seconds = n_rows, search_rows, folds, budget_seconds
        self.members, self.bagged, self.curves = members, bagged, curves or {}
        self._calibration = {}
        self._selection_per_trial = 0.0
        self._stacking_per_member = 0.0
        self._still_gaining = set()  # strategies whose probe gained to its last tree (``refit_leaves``)

    def seconds(self, evaluation, bagged: bool = False, rows: int | None = None) -> float:
        """Expected seconds to fit ``evaluation``'s strategy on every row (or on ``rows`` of them; ``bagged``: as
        a bag of one model per fold): one fold's fit is about the CV time over (folds - 1), on the share of rows
        the search used; plus its library's import when still owed."""
        seconds = self._per_fit(evaluation) * max(1.0, (rows or self.n_rows) / self.search_rows)
        if bagged:
            seconds *= max(self.folds - 1, 1)
        return seconds + import_seconds(evaluation.strategy.family)

    def _per_fit(self, evaluation) -> float:
        """Seconds of one fit on the search's rows."""
        # an MLP's folds train at once, as one stacked network: its trial's seconds are nearer one fit's than
        # folds - 1 fits' (dividing them underestimated a 100,000-row refit by half)
        return evaluation.fit_seconds / (1 if evaluation.strategy.family == "mlp" else max(self.folds - 1, 1))

    def rows_within(self, evaluation, seconds: float) -> int:
        """The rows ``evaluation``'s refit is expected to fit on within ``seconds``, pessimistically (at most every
        row; fewer than the search's when not even those fit)."""
        per_row = self._per_fit(evaluation) / self.search_rows
        room = seconds / _SAFETY - import_seconds(evaluation.strategy.family)
        return int(min(self.n_rows, max(room, 0.0) / max(per_row, 1e-9)))

    def search_reserve(self, evaluations) -> float:
        """What the search keeps free, given its evaluations so far: the refit of the best one, with margins."""
        from automl_meta.evaluate import best_per_strategy

        likely = best_per_strategy(evaluations)[: self.members]
        if not likely:
            return _FALLBACK_SHARE * self.budget_seconds
        reserve = _SAFETY * sum(self.seconds(e, self.bagged) for e in likely) + _SLACK + _SLACK_SHARE * self.budget_seconds
        if self.n_rows > self.search_rows:  # the refit may be on fewer rows, but not on fewer than the search's
            least = _SAFETY * self.seconds(likely[0], rows=self.search_rows) + _SLACK + _SLACK_SHARE * self.budget_seconds
            reserve = min(reserve, max(self.refit_share * self.budget_seconds, least))
        return reserve

    @property
    def refit_share(self) -> float:
        """The largest share of the budget the search keeps for the refit on a table larger than its subsample:
        _MAX_REFIT_SHARE, or up to _SUBSAMPLED_REFIT_SHARE on a table searched on under a quarter of its rows while
        the search keeps _MIN_SEARCH_SECONDS."""
        if self.n_rows < _SUBSAMPLED_FACTOR * self.search_rows:
            return _MAX_REFIT_SHARE
        most = min(_SUBSAMPLED_REFIT_SHARE, 1.0 - _MIN_SEARCH_SECONDS / self.budget_seconds)
        return max(_MAX_REFIT_SHARE, most)

    @property
    def fold_rows(self) -> float:
        """Rows each fold model of a trial trained on."""
        return self.search_rows * (self.folds - 1) / self.folds if self.folds > 1 else self.search_rows

    def expected_score(self, score: float, family: str, rows: int) -> float:
        """A cross-validated ``score`` of a ``family``'s strategy carried along the family's learning curve from
        the rows its folds trained on to a refit on ``rows`` (unchanged when the search did not subsample)."""
        from automl_meta.metamodel import score_at

        if self.n_rows <= self.search_rows or family not in self.curves:
            return score
        return score_at(score, self.curves[family], self.fold_rows, rows)

    def refit_trees(self, strategy, rows: int) -> int | None:
        """The most trees a refit of ``strategy`` on ``rows`` rows may grow, stopped on held-out rows: for a
        booster refitted on at least _GROWN_FACTOR times its folds' rows, or on a subsample of a larger table;
        else None (as searched)."""
        if strategy.family not in _GROWN_FAMILIES or (rows < _GROWN_FACTOR * self.fold_rows and rows >= self.n_rows):
            return None
        return min(_MAX_TREES, _MORE_TREES * int(strategy.params["n_estimators"]))

    def still_gaining(self, strategy) -> None:
        """Records that ``strategy``'s probe on its refit's rows was still gaining at its last tree on the rows
        the refit stops on: its refit on a subsample may take larger trees (``refit_leaves``)."""
        self._still_gaining.add(strategy.key)

    def refit_leaves(self, strategy, rows: int) -> int | None:
        """The leaves of each tree of ``strategy``'s refit on ``rows`` rows where it grows a LightGBM
        (``refit_trees``) on a subsample of a larger table, on more rows than its folds', and its probe was still
        gaining (``still_gaining``): the searched ``num_leaves`` scaled by _LEAVES_EXPONENT of the rows' ratio, at
        most the space's highest; else None (as searched)."""
        from automl_meta.space import FAMILIES

        if (strategy.family != "lightgbm" or rows >= self.n_rows or rows <= self.fold_rows
                or strategy.key not in self._still_gaining or self.refit_trees(strategy, rows) is None):
            return None
        searched = int(strategy.params["num_leaves"])
        most = FAMILIES["lightgbm"].params["num_leaves"].high
        leaves = min(most, round(searched * (rows / self.fold_rows) ** _LEAVES_EXPONENT))
        return leaves if leaves > searched else None

    @property
    def growth_keeps(self) -> float:
        """Seconds a booster's growth leaves of the budget (``refit_trees``) for what follows the refit."""
        return 0.0 if self.budget_seconds is None else _GROWTH_KEEPS_SHARE * self.budget_seconds

    def choose(self, evaluations, left: float | None):
        """The successful evaluation with the best expected score (``expected_score``) among those whose refit
        is expected to fit in ``left`` seconds, on every row or on no fewer rows than the search scored it on,
        and the rows to refit it on (every row without a budget). When none fits: the fastest evaluation, on
        every row of a table the search scored whole, else on the rows it fits in ``left`` (at least
        _MIN_SEARCH_ROWS). Of equal expected scores, the better cross-validated one."""
        ok = sorted((e for e in evaluations if e.ok), key=lambda e: -e.score)
        if left is None:
            return ok[0], self.n_rows
        fitting = []
        for e in ok:
            rows = self.n_rows if self.seconds(e) <= left else self.rows_within(e, left)
            if rows >= self.search_rows:
                fitting.append((self.expected_score(e.score, e.strategy.family, rows), e, rows))
        if not fitting:
            fastest = min(ok, key=lambda e: e.fit_seconds)
            if self.n_rows <= self.search_rows:
                return fastest, self.n_rows
            # not every row of a large table: its first trial slowed by a busy core, a 60 s fit of 500,000 rows
            # had no refit fitting the search's rows and refitted its LightGBM on all of them, ending at 105 s
            return fastest, min(self.n_rows, max(self.rows_within(fastest, left), _MIN_SEARCH_ROWS))
        _, best, rows = max(fitting, key=lambda chosen: chosen[0])  # max keeps the first of equal ones
        return best, rows

    def time_selection(self, seconds: float, trials: int) -> None:
        """Record that an ensemble selection among ``trials`` trials took ``seconds``: what a later one costs
        per trial it chooses among (its metric scored 25 times per trial and fold; ROC AUC one-vs-rest on a
        15,000-row table of several classes, 0.47 s per trial)."""
        self._selection_per_trial = max(self._selection_per_trial, seconds / max(trials, 1))

    def selection_seconds(self, trials: int) -> float:
        """The expected seconds of an ensemble selection among ``trials`` trials (0 before one was timed)."""
        return self._selection_per_trial * trials

    def time_stacking(self, seconds: float, members: int) -> None:
        """Record that a stacking step's nested fits over ``members`` members took ``seconds`` (``choose_stack``):
        what a later one costs per member (a 30 s fit of a 5,190-row table of 5 classes took 7 s for 4 members;
        its nested Caruana selections score ROC AUC one-vs-rest 25 times per member and fold)."""
        self._stacking_per_member = max(self._stacking_per_member, seconds / max(members, 1))

    def stacking_seconds(self, members: int) -> float:
        """The expected seconds of a stacking step over ``members`` members: as long per member as the last one;
        before one was timed, a selection among them per fold (each fold's nested Caruana selection over the
        other folds is most of a stacking step's time); 0 before either was timed."""
        if self._stacking_per_member:
            return self._stacking_per_member * members
        return self.folds * self.selection_seconds(members)

    def calibrate(self, family: str, measured: float, estimated: float) -> None:
        """Correct later estimates for ``family`` by how the refit just done compared with its estimate (a
        kernel SVM does not scale like a booster, so only the same family is corrected)."""
        self._calibration[family] = measured / max(estimated, 1e-3)

    def expected(self, evaluation, bagged: bool = False) -> float:
        """The calibrated, pessimistic refit seconds of ``evaluation`` (what a second refit must fit in)."""
        low, high = _CALIBRATION_BOUNDS
        ratio = min(max(self._calibration.get(evaluation.strategy.family, 1.0), low), high)
        return _SAFETY * ratio * self.seconds(evaluation, bagged) + _SLACK

    def bags(self, evaluation, left: float | None) -> bool:
        """Whether ``evaluation``'s refit is bagged: with bagging on, when the bag is expected to fit in ``left``
        seconds (always without a budget). On a large table the bag of a slow family does not, and the member is
        refitted on every row instead of being left out."""
        return self.bagged and (left is None or self.expected(evaluation, bagged=True) <= left)

    def top_up_reserve(self, fitted_score: float):
        """The reserve of the search after the refit: nothing until a trial beats ``fitted_score``, then that
        trial's expected refit."""

        def reserve(evaluations) -> float:
            better = [e for e in evaluations if e.ok and e.score > fitted_score]
            return self.expected(max(better, key=lambda e: e.score)) if better else 0.0

        return reserve
