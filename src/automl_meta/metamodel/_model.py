"""The :class:`MetaModel`: an ensemble of scoring networks trained with a within-task ranking loss."""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from automl_meta.errors import ConfigError, MetaModelError
from automl_meta.metamodel._scaling import QuantileScaler
from automl_meta.metamodel._selection import best_of_k, reweight
from automl_meta.metamodel._targets import NeighbourPrior, StrategyPrior, log_seconds, nearest_weights, normalized_scores
from automl_meta.metamodel._timing import (MIN_EXTRAPOLATION_EXPONENT, exponent_of, on_device, rescale, size_exponents,
                                          to_task_size, tree_floor)

FORMAT = "automl-meta-metamodel"
FORMAT_VERSION = 2  # 2: the strategy prior


@dataclass
class Recommendation:
    """A recommended strategy with the meta-model's predictions for the task."""

    strategy: object
    predicted_score: float  # predicted normalized score in [0, 1] (1: the best of the candidates it knows)
    uncertainty: float  # standard deviation of the ensemble members' predictions
    predicted_seconds: float  # predicted cross-validation seconds (at the rows and folds recommend was given, else the task's)
    remembered: bool = False  # a best recorded strategy of this very dataset (``MetaModel.remembered``)

    def to_dict(self) -> dict:
        return {"strategy": self.strategy.to_dict(), "predicted_score": self.predicted_score,
                "uncertainty": self.uncertainty, "predicted_seconds": self.predicted_seconds,
                "remembered": self.remembered}


class MetaModel:
    """Predicts, for a task's meta-features, how well each strategy will do (and how long it will take).

    Parameters
    ----------
    n_members : int, default=5
        Ensemble size; each member is trained on a bootstrap sample of the training tasks with its own seed,
        and the spread of their predictions is the uncertainty.
    epochs : int, default=60
    hidden, embedding : int
        Widths of the towers and the head.
    dropout : float, default=0.1
    learning_rate, weight_decay : float
    temperature : float, default=0.1
        Sharpness of the listwise target: softmax(normalized score / temperature) within each task.
    tasks_per_batch : int, default=16
    random_state : int, default=0
    memory_radius : float, default=0.01
        A training task this close to the query (mean absolute difference of the scaled meta-features; other
        datasets of the corpus are at least 0.036 apart, near-identical versions of one dataset below 0.01)
        is taken for the same dataset: its best recorded strategies lead the recommendations. This is how the
        learning loop serves a user who comes back to a dataset, or to a new version of it. 0 turns it off.
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where the members are trained. The networks are small: on a meta-dataset of the shipped size (about
        10,000 evaluations) the CPU is as fast; a GPU pays off from a few hundred thousand evaluations (see
        the README's scale benchmark). Trained members always live on the CPU, where predictions are made, so
        a model trained on a GPU is saved and used anywhere. Not saved with the model.
    neighbours : int, default=0
        Tasks in the neighbour prior (:class:`~automl_meta.metamodel._targets.NeighbourPrior`): each common
        strategy's weighted mean normalized score over the training tasks nearest to the task, a second prior
        input of the network next to the strategy's mean over all tasks. 0 (the default: it did not raise
        the top-1 in grouped cross-validation, benchmarks/NOTES.md) turns it off.
    set_neighbours : int, default=100
        ``recommend`` chooses its k strategies as a set (``_selection``): the first is the best predicted, the
        next ones maximise the expected best of the set over scenarios, the measured scores of this many
        training tasks nearest to the task (weighted by similarity; each candidate scored as its nearest
        common strategy, ties broken by the prediction). 0: the k best predictions kept diverse by maximal
        marginal relevance instead.
    set_shrinkage : float, default=0.3
        Each scenario of the set selection is ``(1 - set_shrinkage)`` times a neighbour's measured scores plus
        ``set_shrinkage`` times the network's predicted scores for the task: the neighbours give how strategies
        win together (their joint structure), the network where this task departs from them. 0.3 was the best
        of 0, 0.15, 0.3, 0.5 and 0.7 in grouped cross-validation, in each half of the folds
        (benchmarks/NOTES.md, "Set selection shrunk toward the network").
    """

    def __init__(self, n_members=5, epochs=60, hidden=128, embedding=64, dropout=0.1, learning_rate=1e-3,
                 weight_decay=1e-4, temperature=0.1, tasks_per_batch=16, random_state=0, memory_radius=0.01,
                 device="cpu", neighbours=0, set_neighbours=100, set_shrinkage=0.3):
        self.n_members = n_members
        self.epochs = epochs
        self.hidden = hidden
        self.embedding = embedding
        self.dropout = dropout
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.temperature = temperature
        self.tasks_per_batch = tasks_per_batch
        self.random_state = random_state
        self.memory_radius = memory_radius
        self.device = device
        self.neighbours = neighbours
        self.set_neighbours = set_neighbours
        self.set_shrinkage = set_shrinkage

    def _config(self) -> dict:
        return {k: getattr(self, k) for k in ("n_members", "epochs", "hidden", "embedding", "dropout", "learning_rate",
                                              "weight_decay", "temperature", "tasks_per_batch", "random_state",
                                              "memory_radius", "neighbours", "set_neighbours",
                                              "set_shrinkage")}

    # -- training -------------------------------------------------------------------------------------------
    def fit(self, data) -> "MetaModel":
        """Train on a :class:`~automl_meta.metadataset.TrainingData` (``MetaDataset.training_data()``)."""
        import torch

        from automl_meta.metafeatures import FEATURE_NAMES, VERSION
        from automl_meta.models import resolve_device
        from automl_meta.space import ENCODING_NAMES, SPACE_VERSION

        device = resolve_device(self.device)
        n_tasks = len(data.task_ids)
        if n_tasks < 2 or len(data.scores) == 0:
            raise ConfigError(f"A meta-model needs evaluations on at least 2 tasks; got {n_tasks} tasks and "
                              f"{len(data.scores)} evaluations. Build or import a meta-dataset first.")
        start = time.perf_counter()
        for cache in ("_train_scaled", "_last_predictions", "_fresh_cache"):  # derived from the previous fit
            self.__dict__.pop(cache, None)
        self.scaler_ = QuantileScaler().fit(data.metafeatures)
        task_x = self.scaler_.transform(data.metafeatures).astype(np.float32)
        y = normalized_scores(data.eval_task, data.scores, n_tasks).astype(np.float32)
        enc = data.encodings.astype(np.float32)
        # the time head learns the seconds at each task's own size (its meta-features' rows); timing_ carries
        # them to the size of a fit, beyond the training sizes too, with each family's measured exponent
        task_rows = _rows_of(data.metafeatures, FEATURE_NAMES)
        self.size_exponents_ = size_exponents(data, task_rows)
        exponents = self._exponents(enc)
        t = log_seconds(to_task_size(data.fit_seconds, data.n_rows, task_rows[data.eval_task], exponents)).astype(np.float32)
        self.prior_ = StrategyPrior().fit(data, y)
        priors = [self.prior_.leave_one_task_out(enc, data.eval_task)]
        if self.neighbours:
            self.neighbour_prior_ = NeighbourPrior(self.neighbours).fit(task_x, self.prior_.matrix_, data.groups)
            priors.append(self.neighbour_prior_.for_training()[data.eval_task, self.prior_.nearest(enc)])
        prior = np.stack(priors, axis=1).astype(np.float32)
        groups = [np.flatnonzero(data.eval_task == i) for i in range(n_tasks)]
        groups = [g for g in groups if len(g) >= 2]
        self.members_ = []
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # small networks: one thread is fastest, and leaves cores to evaluations
        try:
            for m in range(self.n_members):
                self.members_.append(self._train_member(task_x, enc, prior, y, t, data.eval_task, groups,
                                                        seed=self.random_state * 1000 + m, device=device))
        finally:
            torch.set_num_threads(threads)
        self.metafeatures_version_, self.space_version_ = VERSION, SPACE_VERSION
        self.feature_names_, self.encoding_names_ = list(FEATURE_NAMES), list(ENCODING_NAMES)
        # candidates for recommend(): every distinct strategy of the meta-dataset
        seen, cands = set(), []
        for s in data.strategies:
            if s.key not in seen:
                seen.add(s.key)
                cands.append(s)
        self.candidates_ = cands
        self.task_best_ = _best_per_task(data, {c.key: i for i, c in enumerate(cands)}, n_tasks)
        self.train_metafeatures_ = data.metafeatures.copy()
        self.train_task_names_ = [str(n) for n in data.task_names]
        self.timing_ = {"at": "task", "folds": (data.build_config or {}).get("cv"), "exponents": self.size_exponents_,
                        "max_task_rows": float(np.nanmax(task_rows)) if np.isfinite(task_rows).any() else None}
        self.training_summary_ = {"tasks": n_tasks, "evaluations": int(len(data.scores)), "seconds": time.perf_counter() - start}
        return self

    def _train_member(self, task_x, enc, prior, y, t, eval_task, groups, seed, device="cpu"):
        """One ensemble member, trained on a bootstrap sample of the tasks (``groups``: each task's evaluation
        rows), a batch of whole tasks at a time (the listwise loss compares strategies within a task)."""
        import torch

        from automl_meta.metamodel._network import ScoreNet

        rng = np.random.default_rng(seed)
        torch.manual_seed(seed)
        n_priors = prior.shape[1]
        net = ScoreNet(task_x.shape[1], enc.shape[1] + n_priors, self.hidden, self.embedding, self.dropout,
                       n_priors=n_priors).to(device)
        optimizer = torch.optim.AdamW(net.parameters(), lr=self.learning_rate, weight_decay=self.weight_decay)
        # bootstrap of tasks: diversity for the ensemble
        chosen = [groups[i] for i in rng.integers(0, len(groups), size=len(groups))] if self.n_members > 1 else groups
        width = max(len(g) for g in chosen)
        padded = np.zeros((len(chosen), width), dtype=np.int64)  # each chosen task's evaluation rows, padded
        mask = np.zeros((len(chosen), width), dtype=bool)
        for i, g in enumerate(chosen):
            padded[i, : len(g)] = g
            mask[i, : len(g)] = True
        on_device = {name: torch.as_tensor(array, device=device) for name, array in (
            ("task_x", task_x), ("encodings", enc), ("scores", y), ("prior", prior), ("log_seconds", t),
            ("rows", padded), ("mask", mask), ("task_of", eval_task))}
        net.train()
        for _ in range(self.epochs):
            order = rng.permutation(len(chosen))
            for start in range(0, len(order), self.tasks_per_batch):
                batch = torch.as_tensor(order[start : start + self.tasks_per_batch], device=device)
                loss = self._batch_loss(net, on_device, batch)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        return net.cpu().eval()

    def _batch_loss(self, net, data: dict, batch):
        """Listwise + pointwise score loss and the fit-time loss over a batch of tasks (rows of ``data["rows"]``)."""
        import torch

        rows, valid = data["rows"][batch], data["mask"][batch]
        logit, log_time = net(data["task_x"][data["task_of"][rows]], data["encodings"][rows], data["prior"][rows])
        target = data["scores"][rows]
        neg = torch.finfo(logit.dtype).min
        # listwise: cross-entropy between softmax(target / temperature) and softmax(prediction), per task
        p_target = torch.softmax(torch.where(valid, target / self.temperature, neg), dim=1)
        log_p = torch.log_softmax(torch.where(valid, logit, neg), dim=1)
        listwise = -(p_target * torch.where(valid, log_p, 0.0)).sum(dim=1).mean()
        pointwise = ((torch.sigmoid(logit) - target) ** 2)[valid].mean()
        measured = data["log_seconds"][rows]
        timed = valid & ~torch.isnan(measured)
        # masked mean without a host sync (timed.any() would wait for the GPU every step)
        time_loss = (((log_time - torch.nan_to_num(measured)) ** 2) * timed).sum() / timed.sum().clamp(min=1)
        return listwise + pointwise + 0.1 * time_loss

    def _exponents(self, encodings: np.ndarray) -> np.ndarray:
        """Each encoded strategy's size exponent (``_timing``)."""
        from automl_meta.space import FAMILIES

        families = list(FAMILIES)
        return exponent_of(encodings[:, : len(families)], families, getattr(self, "size_exponents_", {}) or {})

    # -- prediction -----------------------------------------------------------------------------------------
    def _check_fitted(self):
        if not getattr(self, "members_", None):
            raise MetaModelError("This MetaModel is not trained. Call fit(...) or MetaModel.load(path).")

    def predict(self, metafeatures, strategies) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For one task's meta-features (a MetaFeatures or a vector) and a list of strategies: the predicted
        normalized scores (ensemble mean), their uncertainty (ensemble standard deviation) and fit seconds."""
        from automl_meta.space import encode_many

        self._check_fitted()
        return self._predict_scaled(self._scale_query(metafeatures), encode_many(strategies), self._query_rows(metafeatures))

    def predict_encoded(self, metafeatures, encodings: np.ndarray):
        """``predict`` for strategies already encoded (``space.encode_many``): many queries over one large
        candidate set encode it once."""
        self._check_fitted()
        return self._predict_scaled(self._scale_query(metafeatures), np.asarray(encodings, dtype=float),
                                    self._query_rows(metafeatures))

    def _query_rows(self, metafeatures) -> float | None:
        """The query task's rows, from its (unscaled) meta-features; None when unknown."""
        return self._query_size(metafeatures, "log_n_rows")

    def _query_size(self, metafeatures, name: str) -> float | None:
        """exp of the query's (unscaled) log-size meta-feature ``name``; None when unknown."""
        values = np.asarray(getattr(metafeatures, "values", metafeatures), dtype=float)
        size = _exp_feature(values[None, :], self.feature_names_, name)[0]
        return float(size) if np.isfinite(size) else None

    def _scale_query(self, metafeatures) -> np.ndarray:
        """The query's meta-features checked for their version and scaled as the training tasks' were (1 x M)."""
        values = getattr(metafeatures, "values", metafeatures)
        version = getattr(metafeatures, "version", self.metafeatures_version_)
        if version != self.metafeatures_version_:
            raise MetaModelError(f"Meta-features of version {version!r} given to a meta-model trained on version "
                                 f"{self.metafeatures_version_!r}. Recompute them or retrain the meta-model.")
        return self.scaler_.transform(np.asarray(values, dtype=float)[None, :])

    def _predict_scaled(self, x: np.ndarray, encodings: np.ndarray, rows: float | None = None):
        """``predict`` for a scaled query and encoded strategies; seconds at the task's size (``rows``, beyond
        the largest training task extrapolated with the family's exponent)."""
        import torch

        enc_np = encodings.astype(np.float32)
        prior = torch.as_tensor(self._priors(x, enc_np))
        enc = torch.as_tensor(enc_np)
        tx = torch.as_tensor(x.astype(np.float32)).expand(len(enc), -1)
        scores, times = [], []
        with torch.no_grad():
            for net in self.members_:
                logit, log_time = net(tx, enc, prior)
                scores.append(torch.sigmoid(logit).numpy())
                times.append(log_time.numpy())
        scores, times = np.array(scores), np.array(times)
        # a cautious estimate, the members' mean plus their spread (in log seconds): the time limits a
        # recommendation must meet are picked among thousands of candidates, where the mean's errors are
        # selected for (the strategies predicted fastest for their score are the under-predicted ones)
        seconds = np.expm1(np.clip(times.mean(axis=0) + times.std(axis=0), 0, 20))
        largest = (getattr(self, "timing_", None) or {}).get("max_task_rows")
        if rows is not None and largest and rows > largest:  # the time head has seen no larger task
            exponents = np.maximum(self._exponents(enc_np), MIN_EXTRAPOLATION_EXPONENT)
            seconds = rescale(seconds, exponents, largest, rows, None, None)
        return scores.mean(axis=0), scores.std(axis=0), seconds

    def _priors(self, x: np.ndarray, encodings: np.ndarray) -> np.ndarray:
        """(candidates, priors): each candidate's global prior and, with neighbours, its neighbour prior for the
        scaled query ``x`` (of its nearest common strategy)."""
        priors = [self.prior_.predict(encodings)]
        if self.neighbours:
            priors.append(self.neighbour_prior_.for_query(x)[self.prior_.nearest(encodings)])
        return np.stack(priors, axis=1).astype(np.float32)

    def _scenarios(self, x: np.ndarray, encodings: np.ndarray, mean: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """(scenarios x candidates) measured normalized scores of the ``set_neighbours`` training tasks nearest
        to the query (those scored on the whole common set; each candidate as its nearest common strategy),
        shrunk toward the predicted ``mean`` by ``set_shrinkage``, and their weights, exp(-distance / the median
        distance), summing to 1; None without such tasks."""
        matrix = self.prior_.matrix_
        complete = np.flatnonzero(~np.isnan(matrix).any(axis=1))
        if not len(complete):
            return None
        nearest, weights = nearest_weights(self._task_distances(x), complete, self.set_neighbours)
        measured = matrix[nearest][:, self.prior_.nearest(encodings.astype(np.float32))]
        shrink = self.set_shrinkage
        return (1.0 - shrink) * measured + shrink * np.asarray(mean)[None, :], weights / weights.sum()

    def _task_distances(self, x: np.ndarray) -> np.ndarray:
        """Mean absolute difference between a scaled query and every (scaled, once) training task."""
        if getattr(self, "_train_scaled", None) is None:
            self._train_scaled = self.scaler_.transform(self.train_metafeatures_)
        return np.abs(self._train_scaled - x).mean(axis=1)

    def similar_tasks(self, metafeatures, n: int = 3) -> list[tuple[str, float]]:
        """The training tasks closest in scaled meta-features (L1 distance), as the reason for a recommendation."""
        self._check_fitted()
        d = self._task_distances(self._scale_query(metafeatures))
        order = np.argsort(d)[:n]
        return [(self.train_task_names_[i], float(d[i])) for i in order]

    def remembered(self, metafeatures) -> list:
        """The best recorded strategies of the training tasks within ``memory_radius`` of the query (nearest
        task first, each task's best first), without repeats."""
        self._check_fitted()
        return self._remembered(self._scale_query(metafeatures))

    def _remembered(self, x: np.ndarray) -> list:
        if not self.memory_radius or not getattr(self, "task_best_", None):
            return []
        d = self._task_distances(x)
        out, seen = [], set()
        for t in np.argsort(d):
            if d[t] > self.memory_radius:
                break
            for i in self.task_best_[t]:
                if i not in seen:
                    seen.add(i)
                    out.append(self.candidates_[i])
        return out

    def default_candidates(self, kind: str | None = None, n_fresh: int = 256, families=None) -> list:
        """The strategies ``recommend`` chooses among: every distinct strategy of the training meta-dataset plus
        ``n_fresh`` seeded Sobol samples, of the families that serve ``kind`` (and are in ``families``)."""
        from automl_meta.space import sample

        self._check_fitted()
        allowed = _allowed_families(kind, families)
        cache = self.__dict__.setdefault("_fresh_cache", {})
        if (n_fresh, kind) not in cache:
            cache[(n_fresh, kind)] = sample(n_fresh, kind, random_state=self.random_state, method="sobol")
        return [c for c in list(self.candidates_) + cache[(n_fresh, kind)] if c.family in allowed]

    def candidate_predictions(self, metafeatures, kind: str | None = None, families=None, n_fresh: int = 256):
        """The default candidates for a task and the predictions for them: ``(candidates, encodings, mean, std,
        seconds)``, seconds of cross-validation at the task's size. The last answer is kept, so that ``recommend``
        and the guided sampler's :func:`~automl_meta.search.family_weights` on one task predict once."""
        self._check_fitted()
        return self._candidate_predictions(self._scale_query(metafeatures), kind, families, n_fresh,
                                           self._query_rows(metafeatures))

    def _candidate_predictions(self, x, kind, families, n_fresh, rows=None):
        from automl_meta.space import encode_many

        key = (x.tobytes(), kind, None if families is None else tuple(families), n_fresh, rows)
        cached = getattr(self, "_last_predictions", None)
        if cached is None or cached[0] != key:
            candidates = self.default_candidates(kind, n_fresh=n_fresh, families=families)
            encodings = encode_many(candidates)
            cached = (key, (candidates, encodings, *self._predict_scaled(x, encodings, rows)))
            self._last_predictions = cached
        return cached[1]

    def recommend(self, task_or_metafeatures, k: int = 5, candidates=None, max_seconds: float | None = None,
                  kind: str | None = None, n_fresh: int = 256, diversity: float = 0.5, families=None,
                  n_rows: int | None = None, folds: int | None = None, device: str | None = None,
                  observed=None) -> list[Recommendation]:
        """``k`` strategies for a task: the best predicted first, then those that most raise the expected best of
        the set (``set_neighbours``).

        Parameters
        ----------
        task_or_metafeatures : Task, MetaFeatures or array
            A Task (its meta-features are computed) or its meta-features.
        k : int, default=5
        candidates : list of Strategy, optional
            Defaults to every strategy of the training meta-dataset plus ``n_fresh`` fresh Sobol samples.
        max_seconds : float, optional
            Drop candidates whose predicted cross-validation seconds exceed it (all kept if none fits).
        kind : str, optional
            The task kind (taken from a Task); restricts candidates to families serving it.
        diversity : float, default=0.5
            Without set selection (``set_neighbours=0``): weight of the penalty for resembling an already
            chosen strategy (maximal marginal relevance).
        families : list of str, optional
            Only strategies of these families.
        n_rows, folds : int, optional
            The rows and folds the strategies will be cross-validated with (``folds=1``: one fit on ``n_rows``
            rows): predicted seconds are carried to them from the task's size (its meta-features) and the
            folds the meta-dataset measured its times with (its provenance), each family with its own growth
            in the rows (see ``automl_meta.metamodel._timing``).
        device : str, optional
            Where the strategies will be trained. An MLP's predicted seconds are held to its optimizer steps at
            the device's cost per step: raised to them on the CPU (``None`` or ``"cpu"``), lowered to them on
            ``"cuda"`` (the meta-dataset's times are CPU times); see ``_timing.on_device``. A forest's are
            held to at least its trees' work on the CPU (``_timing.tree_floor``).
        observed : sequence of (Strategy, float), optional
            Strategies already tried on this task and their scores (higher is better; NaN or None for a failure
            or a trial still running). None of them is recommended again, and the k new ones complement them: with
            set selection, they count as chosen, and each scenario is reweighted by how well it orders the
            observed scores (``_selection.reweight``), so the next choices follow the training tasks whose
            winners win here too. A remembered dataset's best strategies lead only when nothing is observed.
            :class:`~automl_meta.search.AdaptiveWarmStarts` calls it after each warm start.
        """
        self._check_fitted()
        if not isinstance(k, int) or k < 1:
            raise ConfigError(f"k must be a positive integer; got {k!r}.")
        if max_seconds is not None and not max_seconds > 0:
            raise ConfigError(f"max_seconds must be a positive number of seconds; got {max_seconds!r}.")
        if not isinstance(self.set_shrinkage, (int, float)) or not 0 <= self.set_shrinkage <= 1:
            raise ConfigError(f"set_shrinkage must be a number between 0 and 1; got {self.set_shrinkage!r}.")
        mf = task_or_metafeatures
        if hasattr(task_or_metafeatures, "X"):
            from automl_meta.metafeatures import compute

            kind, mf = task_or_metafeatures.kind, compute(task_or_metafeatures)
        x, rows = self._scale_query(mf), self._query_rows(mf)
        if candidates is None:
            candidates, enc, mean, std, seconds = self._candidate_predictions(x, kind, families, n_fresh, rows)
        else:
            from automl_meta.space import encode_many

            allowed = _allowed_families(kind, families)
            candidates = [c for c in candidates if c.family in allowed]
            enc = encode_many(candidates)
            mean, std, seconds = self._predict_scaled(x, enc, rows) if candidates else (None, None, None)
        if not candidates:
            raise ConfigError("No candidate strategy is available for this task (check the installed families).")
        seconds = self._at_fit_size(seconds, enc, rows, n_rows, folds)
        timing = getattr(self, "timing_", None) or {}
        fit_rows, fit_folds = n_rows or rows or 1.0, folds or timing.get("folds") or 1
        seconds = on_device(seconds, candidates, fit_rows, fit_folds, device)
        seconds = tree_floor(seconds, candidates, fit_rows, self._query_size(mf, "log_n_features"), fit_folds)
        tried = [strategy for strategy, _ in observed or ()]
        tried_keys = {t.key for t in tried}
        untried = np.array([c.key not in tried_keys for c in candidates], dtype=bool)
        if not untried.any():
            raise ConfigError("Every candidate strategy has been tried on this task; there is nothing to recommend.")
        keep = np.flatnonzero(untried)
        if max_seconds is not None:
            fits = keep[seconds[keep] <= max_seconds]
            keep = fits if len(fits) else keep
        # the same dataset seen before (memory_radius): its best recorded strategies first, up to half of k
        position = {candidates[j].key: p for p, j in enumerate(keep)}
        remembered = self._remembered(x)[: (k + 1) // 2] if not tried else []
        lead = list(dict.fromkeys(position[s.key] for s in remembered if s.key in position))
        chosen = self._choose(x, rows, observed or [], enc[keep], mean[keep], lead, k, diversity)
        return [Recommendation(candidates[keep[i]], float(mean[keep[i]]), float(std[keep[i]]), float(seconds[keep[i]]),
                               remembered=i in lead) for i in chosen]

    def _choose(self, x, rows, observed, encodings, mean, lead, k, diversity) -> list[int]:
        """Indices into the untried candidates (``encodings``, predicted ``mean``) of the k to recommend: after
        ``observed`` scores, those that best complement the tried strategies; before any, the set of k with the
        highest expected best (``lead`` first: remembered strategies, or else the best mean); the diverse top k
        when set selection is off or no training task is scored on the whole common set."""
        if observed:
            scores = np.array([np.nan if v is None else float(v) for _, v in observed])
            chosen = self._after_observed(x, rows, [s for s, _ in observed], scores, encodings, mean, k)
            if chosen is not None:
                return chosen
        elif self.set_neighbours:
            scenarios = self._scenarios(x, encodings, mean)
            if scenarios is not None:
                return best_of_k(*scenarios, lead or [int(np.argmax(mean))], k, mean)
        return _diverse_top(encodings, mean, lead, k, diversity)

    def _after_observed(self, x, rows, tried, scores, encodings, mean, k) -> list[int] | None:
        """Indices (into ``encodings``, the untried candidates) of the k that best complement the ``tried``
        strategies, the scenarios reweighted by the tried strategies' measured ``scores``; None when set selection
        is off or no training task is scored on the whole common set."""
        from automl_meta.space import encode_many

        if not self.set_neighbours:
            return None
        tried_encodings = encode_many(tried)
        tried_mean = self._predict_scaled(x, tried_encodings, rows)[0]
        # one scenario matrix over the tried strategies (first m columns) and the candidates
        both = self._scenarios(x, np.vstack([tried_encodings, encodings]), np.concatenate([tried_mean, mean]))
        if both is None:
            return None
        scenarios, weights = both
        m = len(tried)
        weights = reweight(weights, scenarios[:, :m], scores)
        chosen = best_of_k(scenarios, weights, list(range(m)), m + k, np.concatenate([tried_mean, mean]))
        return [c - m for c in chosen[m:]]

    def _at_fit_size(self, seconds, encodings, task_rows, n_rows, folds) -> np.ndarray:
        """Predicted seconds (at the task's rows and the meta-dataset's folds) carried to ``n_rows`` and
        ``folds``."""
        timing = getattr(self, "timing_", None) or {}
        if timing.get("at") != "task":  # a model saved before size-aware timing: seconds at the meta-dataset's rows
            return seconds * self._time_scale(n_rows, folds)
        start = task_rows or n_rows or 1.0
        return rescale(seconds, self._exponents(encodings), start, n_rows or start, timing.get("folds"), folds)

    def _time_scale(self, n_rows, folds) -> float:
        """For a model saved before size-aware timing: factor from predicted seconds (at the meta-dataset's
        rows and folds) to ``n_rows`` and ``folds``, linear in both."""
        timing = getattr(self, "timing_", None) or {}
        scale = 1.0
        if n_rows is not None and timing.get("rows"):
            scale *= max(1.0, n_rows / timing["rows"])
        if folds is not None and timing.get("folds"):
            scale *= folds / timing["folds"]
        return scale

    # -- persistence ----------------------------------------------------------------------------------------
    def save(self, path) -> Path:
        """Write ``path`` (tensors: the members' state dicts and the scaler, loadable with weights_only) and
        ``path.json`` (versions, configuration, candidates, training summary). No pickle of Python objects."""
        import torch

        self._check_fitted()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tensors = {f"member{i}.{k}": v for i, net in enumerate(self.members_) for k, v in net.state_dict().items()}
        scaler = self.scaler_.state()
        tensors.update({"scaler.sorted": torch.as_tensor(scaler["sorted"]), "scaler.counts": torch.as_tensor(scaler["counts"]),
                        "scaler.missing_columns": torch.as_tensor(scaler["missing_columns"]),
                        "train_metafeatures": torch.as_tensor(self.train_metafeatures_),
                        "prior.encodings": torch.as_tensor(self.prior_.encodings_),
                        "prior.values": torch.as_tensor(self.prior_.values_)})
        tensors["prior.matrix"] = torch.as_tensor(self.prior_.matrix_)
        torch.save(tensors, path)
        meta = {
            "format": FORMAT, "format_version": FORMAT_VERSION,
            "metafeatures_version": self.metafeatures_version_, "space_version": self.space_version_,
            "feature_names": self.feature_names_, "encoding_names": self.encoding_names_,
            "n_task_inputs": int(self.scaler_.n_outputs), "config": self._config(),
            "candidates": [c.to_dict() for c in self.candidates_], "train_task_names": self.train_task_names_,
            "task_best": self.task_best_, "training": self.training_summary_, "timing": self.timing_,
        }
        _meta_path(path).write_text(json.dumps(meta))
        return path

    def _restore(self, tensors: dict, n_task_inputs: int, n_encoding: int) -> None:
        """The fitted arrays and networks from a saved file's tensors (``load``)."""
        from automl_meta.metamodel._network import ScoreNet

        self.scaler_ = QuantileScaler.from_state({
            "sorted": tensors["scaler.sorted"].numpy(), "counts": tensors["scaler.counts"].numpy(),
            "missing_columns": tensors["scaler.missing_columns"].numpy()})
        n_priors = 2 if self.neighbours else 1
        self.members_ = []
        for i in range(self.n_members):
            net = ScoreNet(n_task_inputs, n_encoding + n_priors, self.hidden, self.embedding, self.dropout, n_priors=n_priors)
            prefix = f"member{i}."
            net.load_state_dict({k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)})
            self.members_.append(net.eval())
        self.train_metafeatures_ = tensors["train_metafeatures"].numpy()
        self.prior_ = StrategyPrior()
        self.prior_.encodings_ = tensors["prior.encodings"].numpy()
        self.prior_.values_ = tensors["prior.values"].numpy()
        if self.neighbours or self.set_neighbours:
            self.prior_.matrix_ = tensors["prior.matrix"].numpy()
        if self.neighbours:
            train_x = self.scaler_.transform(self.train_metafeatures_)
            self.neighbour_prior_ = NeighbourPrior(self.neighbours).fit(train_x, self.prior_.matrix_)

    @classmethod
    def load(cls, path) -> "MetaModel":
        """Load a saved meta-model; refuses a missing, corrupted or version-mismatched file with a clear error."""
        import torch

        from automl_meta.metafeatures import VERSION
        from automl_meta.space import SPACE_VERSION, Strategy

        path = Path(path)
        meta_path = _meta_path(path)
        for p in (path, meta_path):
            if not p.is_file():
                raise MetaModelError(f"Meta-model file {str(p)!r} does not exist. Train one with `automl-meta metamodel train`.")
        try:
            meta = json.loads(meta_path.read_text())
        except (ValueError, UnicodeDecodeError) as exc:
            raise MetaModelError(f"{str(meta_path)!r} is not a meta-model description ({exc}). Retrain or re-download the model.") from exc
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise MetaModelError(f"{str(meta_path)!r} is not an automl-meta meta-model description.")
        if meta.get("format_version") != FORMAT_VERSION:
            raise MetaModelError(f"Meta-model {str(path)!r} has file format {meta.get('format_version')}; this automl-meta "
                                 f"reads format {FORMAT_VERSION}. Retrain it with `automl-meta metamodel train`.")
        if meta.get("metafeatures_version") != VERSION or meta.get("space_version") != SPACE_VERSION:
            raise MetaModelError(
                f"Meta-model {str(path)!r} was trained for meta-features v{meta.get('metafeatures_version')} and space "
                f"v{meta.get('space_version')}; this automl-meta has v{VERSION} and v{SPACE_VERSION}. "
                "Retrain it with `automl-meta metamodel train`."
            )
        try:
            tensors = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:
            raise MetaModelError(f"{str(path)!r} is not a readable meta-model weights file ({type(exc).__name__}). "
                                 "Retrain it or restore the file.") from exc
        # files written before the neighbour prior and the set selection have neither
        obj = cls(**{"neighbours": 0, "set_neighbours": 0, **meta["config"]})
        try:
            obj._restore(tensors, meta["n_task_inputs"], len(meta["encoding_names"]))
        except (KeyError, RuntimeError) as exc:
            raise MetaModelError(f"{str(path)!r} does not match its description {str(meta_path)!r} ({exc}). Retrain it.") from exc
        obj.metafeatures_version_, obj.space_version_ = meta["metafeatures_version"], meta["space_version"]
        obj.feature_names_, obj.encoding_names_ = meta["feature_names"], meta["encoding_names"]
        obj.candidates_ = [Strategy.from_dict(c) for c in meta["candidates"]]
        obj.train_task_names_ = meta["train_task_names"]
        obj.task_best_ = meta.get("task_best") or [[] for _ in obj.train_task_names_]  # older files: no memory
        obj.training_summary_ = meta.get("training", {})
        obj.timing_ = meta.get("timing")  # older files: predicted seconds are not rescaled
        obj.size_exponents_ = (obj.timing_ or {}).get("exponents") or {}
        return obj


def _allowed_families(kind: str | None, families=None) -> set:
    """The installed families serving ``kind``, restricted to ``families`` when given."""
    from automl_meta.space import FAMILIES, available_families

    return set(available_families(kind)) & (set(families) if families is not None else set(FAMILIES))


def _best_per_task(data, index_of: dict, n_tasks: int, n: int = 3) -> list[list[int]]:
    """Per training task, the candidate indices of its best successful strategy in each of its ``n`` best
    families, best first (three near-copies of one configuration would waste the warm starts)."""
    best = [[] for _ in range(n_tasks)]
    ok = np.flatnonzero(np.isfinite(data.scores))
    for t in range(n_tasks):
        rows = ok[data.eval_task[ok] == t]
        families = set()
        for r in rows[np.argsort(-data.scores[rows], kind="stable")]:
            strategy = data.strategies[r]
            if strategy.family not in families:
                families.add(strategy.family)
                best[t].append(int(index_of[strategy.key]))
                if len(best[t]) == n:
                    break
    return best


def _rows_of(metafeatures: np.ndarray, feature_names) -> np.ndarray:
    """Each task's rows, from its ``log_n_rows`` meta-feature (NaN where missing)."""
    return _exp_feature(metafeatures, feature_names, "log_n_rows")


def _exp_feature(metafeatures: np.ndarray, feature_names, name: str) -> np.ndarray:
    """Each task's size from its log-size meta-feature ``name`` (NaN where missing)."""
    names = list(feature_names)
    if name not in names:
        return np.full(len(metafeatures), np.nan)
    return np.exp(np.asarray(metafeatures, dtype=float)[:, names.index(name)])


def _diverse_top(encodings: np.ndarray, relevance: np.ndarray, lead: list, k: int, diversity: float) -> list[int]:
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


def _meta_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")
