"""From a trained meta-model's predictions to the k strategies a search starts with.

:class:`Recommender` owns what a query needs beyond the networks, prepared once per model (``MetaModel.
recommender``): the candidate pool with the strategy side of the networks computed for it
(``_inference.StrategySide``) and each candidate's nearest common strategy, the training tasks' scaled
meta-features for the nearest-task search, and the last answer (the guided sampler's family weights and the
warm starts ask about one task in turn). A query is then a task tower, one product per member, and the
selection below; it never builds a :class:`~automl_meta.space.Strategy` but for the ones it returns.

The choices it makes: the candidates that serve the task's kind and the installed families; the time filter
(seconds carried to the fit's rows, folds and device, held to an MLP's steps and a forest's work); a dataset
seen before leading with its best recorded strategies (memory); and the set of k chosen for the expected best
of the set (``_selection``), or, after some have been tried, for what complements them.
"""

from __future__ import annotations

import numpy as np

from automl_meta.errors import ConfigError
from automl_meta.metamodel._selection import best_of_k, reweight
from automl_meta.metamodel._targets import nearest_weights


class _Prepared:
    """A candidate pool with what every query over it reuses: the strategy side of the networks (None when the
    priors depend on the query: the neighbour prior) and each candidate's nearest common strategy."""

    def __init__(self, model, pool, nearest=None):
        self.pool = pool
        self.nearest = model.prior_.nearest(pool.encodings) if nearest is None else nearest
        self.exponents = model._exponents(pool.encodings)
        from automl_meta.metamodel._persist import cached_array

        self.side = None if model.neighbours else model.network_.strategy_side(
            pool.encodings, model.prior_.values_[self.nearest][:, None], cache=cached_array)


class Recommender:
    """The recommendations of a trained :class:`~automl_meta.metamodel.MetaModel` (its ``recommender``)."""

    def __init__(self, model):
        self.model = model
        self._train_scaled = model.scaler_.transform(model.train_metafeatures_)
        # the default pool, prepared now: the first query should cost what every other one does
        self._prepared = {model.n_fresh_: _Prepared(model, model.pool_, model.pool_nearest_)}
        self._last = None  # (query key, answer) of candidate_predictions

    # -- the candidates ---------------------------------------------------------------------------------------
    def prepared(self, n_fresh: int) -> _Prepared:
        """The default pool (the stored strategies and ``n_fresh`` fresh samples), prepared once."""
        if n_fresh not in self._prepared:  # another number of fresh samples than the saved pool's: built once
            model = self.model
            pool = model.candidates_.with_fresh(n_fresh, model.random_state)
            self._prepared[n_fresh] = _Prepared(model, pool)
        return self._prepared[n_fresh]

    def candidate_predictions(self, x: np.ndarray, kind, families, n_fresh: int, rows):
        """``(candidates, encodings, mean, std, seconds, nearest)`` over the default candidates of ``kind`` (and
        ``families``) for the scaled query ``x``: the candidates a CandidatePool, the seconds at the task's size,
        ``nearest`` each one's nearest common strategy. The last answer is kept."""
        key = (x.tobytes(), kind, None if families is None else tuple(families), n_fresh, rows)
        if self._last is not None and self._last[0] == key:
            return self._last[1]
        prepared = self.prepared(n_fresh)
        pool = prepared.pool
        keep = np.flatnonzero(pool.mask(allowed_families(kind, families)))
        if prepared.side is None:
            mean, std, seconds = self.model._predict_scaled(x, pool.encodings[keep], rows)
        else:
            mean, std, seconds = self.model._summarize(*self.model.network_.predict(x, prepared.side.take(keep)
                                                       if len(keep) < len(pool) else prepared.side),
                                                       prepared.exponents[keep], rows)
        answer = (pool.take(keep), pool.encodings[keep], mean, std, seconds, prepared.nearest[keep])
        self._last = (key, answer)
        return answer

    # -- recommending ---------------------------------------------------------------------------------------
    def recommend(self, mf, x, rows, k, candidates, max_seconds, kind, n_fresh, diversity, families, n_rows, folds,
                  device, observed, seconds_scale=1.0) -> list:
        """``MetaModel.recommend`` for the query's meta-features ``mf``, scaled ``x`` and rows."""
        from automl_meta.metamodel._model import Recommendation
        from automl_meta.metamodel._pool import CandidatePool

        model = self.model
        if candidates is None:
            candidates, enc, mean, std, seconds, nearest = self.candidate_predictions(x, kind, families, n_fresh, rows)
        else:
            allowed = allowed_families(kind, families)
            candidates = CandidatePool.build([c for c in candidates if c.family in allowed])
            enc = candidates.encodings
            mean, std, seconds = model._predict_scaled(x, enc, rows) if len(candidates) else (None, None, None)
            nearest = model.prior_.nearest(enc) if len(candidates) else None
        if not len(candidates):
            raise ConfigError("No candidate strategy is available for this task (check the installed families).")
        seconds = model._at_fit(seconds, enc, candidates, mf, rows, n_rows, folds, device, seconds_scale)
        tried = [strategy for strategy, _ in observed or ()]
        untried = ~np.isin(candidates.keys, [t.key for t in tried])
        if not untried.any():
            raise ConfigError("Every candidate strategy has been tried on this task; there is nothing to recommend.")
        keep = np.flatnonzero(untried)
        if max_seconds is not None:
            fits = keep[seconds[keep] <= max_seconds]
            keep = fits if len(fits) else keep
        # the same dataset seen before (memory_radius): its best recorded strategies first, up to half of k
        remembered = self.remembered(x)[: (k + 1) // 2] if not tried else []
        kept = candidates.take(keep)
        lead = [int(p) for p in kept.index_of([s.key for s in remembered]) if p >= 0]
        lead = list(dict.fromkeys(lead))
        chosen = self._choose(x, rows, observed or [], enc[keep], nearest[keep], mean[keep], lead, k, diversity)
        return [Recommendation(kept[i], float(mean[keep[i]]), float(std[keep[i]]), float(seconds[keep[i]]),
                               remembered=i in lead) for i in chosen]

    def _choose(self, x, rows, observed, encodings, nearest, mean, lead, k, diversity) -> list[int]:
        """Indices into the untried candidates (``encodings``, their ``nearest`` common strategy, predicted
        ``mean``) of the k to recommend: after ``observed`` scores, those that best complement the tried
        strategies; before any, the set of k with the highest expected best (``lead`` first: remembered
        strategies, or else the best mean); the diverse top k when set selection is off or no training task is
        scored on the whole common set."""
        if self.model.set_neighbours:
            # Every scenario scores a candidate as (1 - shrink) x its nearest common strategy's measured score +
            # shrink x its predicted mean: of two candidates with the same nearest common strategy, the one with
            # the higher mean is at least as good in every scenario, so the greedy selection of k only ever takes
            # one of the k best means of each such group. Selecting among those (and the lead) is the same
            # selection over a few hundred candidates instead of thousands.
            among = np.union1d(_top_per_group(nearest, mean, k), np.asarray(lead, dtype=int))
            position = {int(c): p for p, c in enumerate(among)}
            if observed:
                scores = np.array([np.nan if v is None else float(v) for _, v in observed])
                chosen = self._after_observed(x, rows, [s for s, _ in observed], scores, nearest[among], mean[among], k)
            else:
                scenarios = self.scenarios(x, nearest[among], mean[among])
                chosen = None if scenarios is None else best_of_k(
                    *scenarios, [position[int(p)] for p in lead] or [int(np.argmax(mean[among]))], k, mean[among])
            if chosen is not None:
                return [int(among[c]) for c in chosen]
        return diverse_top(encodings, mean, lead, k, diversity)

    def _after_observed(self, x, rows, tried, scores, nearest, mean, k) -> list[int] | None:
        """Indices (into the untried candidates: their ``nearest`` common strategy, predicted ``mean``) of the k
        that best complement the ``tried`` strategies, the scenarios reweighted by the tried strategies'
        measured ``scores``; None when set selection is off or no training task is scored on the whole common
        set."""
        from automl_meta.space import encode_many

        model = self.model
        if not model.set_neighbours:
            return None
        tried_encodings = encode_many(tried).astype(np.float32)
        tried_mean = model._predict_scaled(x, tried_encodings, rows)[0]
        # one scenario matrix over the tried strategies (first m columns) and the candidates
        both = self.scenarios(x, np.concatenate([model.prior_.nearest(tried_encodings), nearest]),
                              np.concatenate([tried_mean, mean]))
        if both is None:
            return None
        scenarios, weights = both
        m = len(tried)
        weights = reweight(weights, scenarios[:, :m], scores)
        chosen = best_of_k(scenarios, weights, list(range(m)), m + k, np.concatenate([tried_mean, mean]))
        return [c - m for c in chosen[m:]]

    def scenarios(self, x: np.ndarray, nearest: np.ndarray, mean: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """(scenarios x candidates) measured normalized scores of the ``set_neighbours`` training tasks nearest
        to the query (those scored on the whole common set; each candidate as its ``nearest`` common strategy),
        shrunk toward the predicted ``mean`` by ``set_shrinkage``, and their weights, exp(-distance / the median
        distance), summing to 1; None without such tasks."""
        model = self.model
        matrix = model.prior_.matrix_
        complete = np.flatnonzero(~np.isnan(matrix).any(axis=1))
        if not len(complete):
            return None
        tasks, weights = nearest_weights(self.task_distances(x), complete, model.set_neighbours)
        measured = matrix[tasks][:, nearest]
        shrink = model.set_shrinkage
        return (1.0 - shrink) * measured + shrink * np.asarray(mean)[None, :], weights / weights.sum()

    # -- the training tasks -----------------------------------------------------------------------------------
    def task_distances(self, x: np.ndarray) -> np.ndarray:
        """Mean absolute difference between a scaled query and every training task: one vectorized pass."""
        return np.abs(self._train_scaled - x).mean(axis=1)

    def similar_tasks(self, x: np.ndarray, n: int) -> list[tuple[str, float]]:
        d = self.task_distances(x)
        order = np.argsort(d, kind="stable")[:n]
        return [(self.model.train_task_names_[i], float(d[i])) for i in order]

    def remembered(self, x: np.ndarray) -> list:
        """The best recorded strategies of the training tasks within ``memory_radius`` of the query (nearest
        task first, each task's best first), without repeats."""
        model = self.model
        if not model.memory_radius or not model.task_best_:
            return []
        d = self.task_distances(x)
        out, seen = [], set()
        for t in np.argsort(d, kind="stable"):
            if d[t] > model.memory_radius:
                break
            for i in model.task_best_[t]:
                if i not in seen:
                    seen.add(i)
                    out.append(model.pool_[i])
        return out


def _top_per_group(groups: np.ndarray, values: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` largest ``values`` within each group (ties: the earlier position), sorted."""
    order = np.lexsort((np.arange(len(values)), -values, groups))  # by group, then value descending, then position
    sorted_groups = groups[order]
    starts = np.r_[0, np.flatnonzero(sorted_groups[1:] != sorted_groups[:-1]) + 1]
    rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    return np.sort(order[rank < k])


def allowed_families(kind: str | None, families=None) -> set:
    """The installed families serving ``kind``, restricted to ``families`` when given."""
    from automl_meta.space import FAMILIES, available_families

    return set(available_families(kind)) & (set(families) if families is not None else set(FAMILIES))


def diverse_top(encodings: np.ndarray, relevance: np.ndarray, lead: list, k: int, diversity: float) -> list[int]:
    """Indices of ``k`` strategies by maximal marginal relevance: the ``lead`` indices (a remembered dataset's
    best) first, then each next one maximises relevance minus ``diversity`` times its similarity to those chosen."""
    chosen: list[int] = []
    max_sim = np.zeros(len(relevance))
    for p in lead:
        chosen.append(p)
        max_sim = np.maximum(max_sim, _similarity(encodings, encodings[p]))
    for _ in range(min(k, len(relevance)) - len(chosen)):
        value = relevance - diversity * max_sim
        value[chosen] = -np.inf
        best = int(np.argmax(value))
        chosen.append(best)
        max_sim = np.maximum(max_sim, _similarity(encodings, encodings[best]))
    return chosen


def _similarity(encodings: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """How alike each strategy is to a chosen one: 0 for another family; for the same family between 0.5
    (hyperparameters at opposite ends) and 1 (identical), by the mean difference of the family's own columns."""
    from automl_meta.space import FAMILIES

    n_families = len(FAMILIES)
    same = encodings[:, :n_families] @ chosen[:n_families]
    own = (encodings[:, n_families:] != 0) | (chosen[n_families:] != 0)[None, :]
    diff = np.abs(encodings[:, n_families:] - chosen[n_families:])
    mean_diff = (diff * own).sum(axis=1) / np.maximum(own.sum(axis=1), 1)
    return same * (1.0 - 0.5 * np.clip(mean_diff, 0.0, 1.0))
