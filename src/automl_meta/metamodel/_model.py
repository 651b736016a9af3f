"""The :class:`MetaModel`: an ensemble of scoring networks trained with a within-task ranking loss."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from automl_meta._internal._threads import torch_threads
from automl_meta.errors import ConfigError, MetaModelError
from automl_meta.metamodel._inference import NetworkEnsemble
from automl_meta.metamodel._pool import N_FRESH, CandidatePool
from automl_meta.metamodel._scaling import QuantileScaler
from automl_meta.metamodel._targets import NeighbourPrior, StrategyPrior, log_seconds, normalized_scores
from automl_meta.metamodel._curves import error_exponents
from automl_meta.metamodel._timing import MIN_EXTRAPOLATION_EXPONENT, exponent_of, rescale, size_exponents, to_task_size


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
        from automl_meta.metafeatures import FEATURE_NAMES, VERSION
        from automl_meta.models import resolve_device
        from automl_meta.space import ENCODING_NAMES, SPACE_VERSION

        device = resolve_device(self.device)
        n_tasks = len(data.task_ids)
        if n_tasks < 2 or len(data.scores) == 0:
            raise ConfigError(f"A meta-model needs evaluations on at least 2 tasks; got {n_tasks} tasks and "
                              f"{len(data.scores)} evaluations. Build or import a meta-dataset first.")
        start = time.perf_counter()
        for cache in ("_recommender", "_stored"):  # derived from the previous fit
            self.__dict__.pop(cache, None)
        self.scaler_ = QuantileScaler().fit(data.metafeatures)
        task_x = self.scaler_.transform(data.metafeatures).astype(np.float32)
        y = normalized_scores(data.eval_task, data.scores, n_tasks).astype(np.float32)
        enc = data.encodings.astype(np.float32)
        # the time head learns the seconds at each task's own size (its meta-features' rows); timing_ carries
        # them to the size of a fit, beyond the training sizes too, with each family's measured exponent
        task_rows = _rows_of(data.metafeatures, FEATURE_NAMES)
        self.size_exponents_ = size_exponents(data, task_rows)
        # and how each family's score grows with the rows (``_curves``): what a fit that searched a subsample
        # expects of each strategy refitted on more rows
        self.learning_curves_ = {"exponents": error_exponents(data, task_rows)}
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
        with torch_threads(1):  # small networks: one thread is fastest, and leaves cores to evaluations
            for m in range(self.n_members):
                self.members_.append(self._train_member(task_x, enc, prior, y, t, data.eval_task, groups,
                                                        seed=self.random_state * 1000 + m, device=device))
        self.metafeatures_version_, self.space_version_ = VERSION, SPACE_VERSION
        self.feature_names_, self.encoding_names_ = list(FEATURE_NAMES), list(ENCODING_NAMES)
        # candidates for recommend(): every distinct strategy of the meta-dataset, then fresh samples, as arrays
        cands = list({s.key: s for s in data.strategies}.values())  # first occurrence order, once each
        self.pool_ = CandidatePool.default(cands, N_FRESH, random_state=self.random_state)
        self.n_stored_, self.n_fresh_ = len(cands), N_FRESH
        self.network_ = NetworkEnsemble.from_torch(self.members_)
        self.pool_nearest_ = self.prior_.nearest(self.pool_.encodings)  # each candidate's nearest common strategy
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
        return exponent_of(encodings[:, : len(families)], families, self.size_exponents_)

    # -- prediction -----------------------------------------------------------------------------------------
    def _check_fitted(self):
        if getattr(self, "network_", None) is None:
            raise MetaModelError("This MetaModel is not trained. Call fit(...) or MetaModel.load(path).")

    @property
    def candidates_(self) -> CandidatePool:
        """Every distinct strategy of the training meta-dataset (the first ``n_stored_`` of ``pool_``)."""
        self._check_fitted()
        if "_stored" not in self.__dict__:
            self.__dict__["_stored"] = self.pool_.take(np.arange(self.n_stored_))
        return self.__dict__["_stored"]

    @property
    def recommender(self):
        """The :class:`~automl_meta.metamodel._recommender.Recommender` of this model, prepared once."""
        from automl_meta.metamodel._recommender import Recommender

        self._check_fitted()
        cached = self.__dict__.get("_recommender")
        if cached is None or cached.model is not self:  # none yet, or a copy's (copy.copy shares the dict's values)
            self.__dict__["_recommender"] = Recommender(self)
        return self.__dict__["_recommender"]

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
        the largest training task extrapolated with the family's exponent). NumPy only (``_inference``)."""
        enc = np.asarray(encodings, dtype=np.float32)
        side = self.network_.strategy_side(enc, self._priors(x, enc))
        return self._summarize(*self.network_.predict(x, side), self._exponents(enc), rows)

    def _summarize(self, logits: np.ndarray, log_times: np.ndarray, exponents: np.ndarray, rows: float | None):
        """The members' (members x candidates) logits and log1p-seconds as the mean score, its spread and the
        seconds at the task's size."""
        scores = 1.0 / (1.0 + np.exp(-logits))
        # a cautious estimate, the members' mean plus their spread (in log seconds): the time limits a
        # recommendation must meet are picked among thousands of candidates, where the mean's errors are
        # selected for (the strategies predicted fastest for their score are the under-predicted ones)
        seconds = np.expm1(np.clip(log_times.mean(axis=0) + log_times.std(axis=0), 0, 20)).astype(float)
        largest = (self.timing_ or {}).get("max_task_rows")
        if rows is not None and largest and rows > largest:  # the time head has seen no larger task
            seconds = rescale(seconds, np.maximum(exponents, MIN_EXTRAPOLATION_EXPONENT), largest, rows, None, None)
        return scores.mean(axis=0).astype(float), scores.std(axis=0).astype(float), seconds

    def _priors(self, x: np.ndarray, encodings: np.ndarray) -> np.ndarray:
        """(candidates, priors): each candidate's global prior and, with neighbours, its neighbour prior for the
        scaled query ``x`` (of its nearest common strategy)."""
        nearest = self.prior_.nearest(encodings)
        priors = [self.prior_.values_[nearest]]
        if self.neighbours:
            priors.append(self.neighbour_prior_.for_query(x)[nearest])
        return np.stack(priors, axis=1).astype(np.float32)

    def similar_tasks(self, metafeatures, n: int = 3) -> list[tuple[str, float]]:
        """The training tasks closest in scaled meta-features (L1 distance), as the reason for a recommendation."""
        self._check_fitted()
        return self.recommender.similar_tasks(self._scale_query(metafeatures), n)

    def remembered(self, metafeatures) -> list:
        """The best recorded strategies of the training tasks within ``memory_radius`` of the query (nearest
        task first, each task's best first), without repeats."""
        self._check_fitted()
        return self.recommender.remembered(self._scale_query(metafeatures))

    def default_candidates(self, kind: str | None = None, n_fresh: int = N_FRESH, families=None) -> CandidatePool:
        """The strategies ``recommend`` chooses among: every distinct strategy of the training meta-dataset plus
        ``n_fresh`` seeded Sobol samples, of the families that serve ``kind`` (and are in ``families``)."""
        from automl_meta.metamodel._recommender import allowed_families

        pool = self.recommender.prepared(n_fresh).pool
        return pool.take(pool.mask(allowed_families(kind, families)))

    def candidate_predictions(self, metafeatures, kind: str | None = None, families=None, n_fresh: int = N_FRESH):
        """The default candidates for a task and the predictions for them: ``(candidates, encodings, mean, std,
        seconds)``, seconds of cross-validation at the task's size. The last answer is kept, so that ``recommend``
        and the guided sampler's :func:`~automl_meta.search.family_weights` on one task predict once."""
        self._check_fitted()
        answer = self.recommender.candidate_predictions(self._scale_query(metafeatures), kind, families, n_fresh,
                                                        self._query_rows(metafeatures))
        return answer[:5]

    def recommend(self, task_or_metafeatures, k: int = 5, candidates=None, max_seconds: float | None = None,
                  kind: str | None = None, n_fresh: int = N_FRESH, diversity: float = 0.5, families=None,
                  n_rows: int | None = None, folds: int | None = None, device: str | None = None,
                  observed=None, seconds_scale: float = 1.0) -> list[Recommendation]:
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
        seconds_scale : float, default=1.0
            This machine's seconds for one second of the machine that measured the meta-dataset
            (:func:`~automl_meta.metamodel.machine_factor`): the predicted seconds are multiplied by it before
            ``max_seconds`` filters them, so that a slower machine is given faster strategies.
        """
        self._check_fitted()
        if not isinstance(k, int) or k < 1:
            raise ConfigError(f"k must be a positive integer; got {k!r}.")
        if max_seconds is not None and not max_seconds > 0:
            raise ConfigError(f"max_seconds must be a positive number of seconds; got {max_seconds!r}.")
        if not (isinstance(seconds_scale, (int, float)) and seconds_scale > 0):
            raise ConfigError(f"seconds_scale must be a positive number; got {seconds_scale!r}.")
        if not isinstance(self.set_shrinkage, (int, float)) or not 0 <= self.set_shrinkage <= 1:
            raise ConfigError(f"set_shrinkage must be a number between 0 and 1; got {self.set_shrinkage!r}.")
        mf = task_or_metafeatures
        if hasattr(task_or_metafeatures, "X"):
            from automl_meta.metafeatures import compute

            kind, mf = task_or_metafeatures.kind, compute(task_or_metafeatures)
        return self.recommender.recommend(mf, self._scale_query(mf), self._query_rows(mf), k, candidates, max_seconds,
                                          kind, n_fresh, diversity, families, n_rows, folds, device, observed,
                                          seconds_scale)

    def predict_seconds(self, metafeatures, strategies, n_rows: int | None = None, folds: int | None = None,
                        device: str | None = None, seconds_scale: float = 1.0) -> np.ndarray:
        """The cross-validation seconds of each of ``strategies`` on a task of ``metafeatures``, as ``recommend``
        predicts them before it filters by ``max_seconds`` (carried to ``n_rows`` and ``folds``, held to an MLP's
        steps on ``device`` and a forest's work, times ``seconds_scale``): cautious, the members' mean plus
        their spread. A search asks it before it scores a strategy it did not choose by them (a sampled one)."""
        from automl_meta.space import encode_many

        self._check_fitted()
        encodings = encode_many(strategies)
        rows = self._query_rows(metafeatures)
        seconds = self._predict_scaled(self._scale_query(metafeatures), encodings, rows)[2]
        return self._at_fit(seconds, encodings, strategies, metafeatures, rows, n_rows, folds, device, seconds_scale)

    def curve_exponents(self, metric) -> dict | None:
        """Each family's learning-curve exponent (``learning_curves_``: the error, 1 - score, as rows ** it) for a
        fit scored by ``metric``; None for a metric whose curves it did not learn (one not bounded by 1, a
        callable) or a model saved without them (``tools/add_learning_curves.py`` adds them)."""
        from automl_meta.metamodel._curves import BOUNDED_METRICS

        if not isinstance(metric, str) or metric not in BOUNDED_METRICS:
            return None
        return (getattr(self, "learning_curves_", None) or {}).get("exponents") or None

    def least_seconds(self, metafeatures, strategies, n_rows: int | None = None, folds: int | None = None,
                      seconds_scale: float = 1.0) -> np.ndarray:
        """The seconds each of ``strategies`` cannot cross-validate faster than, as far as that is known: a
        forest's trees' work at the lower end of its measured cost (``_timing.tree_floor``), 0 for the other
        families (the time head's own prediction is no bound: it erred 16-fold on a table larger than any it
        learnt from)."""
        from automl_meta.metamodel._timing import tree_floor

        rows = n_rows or self._query_rows(metafeatures) or 1.0
        floor = tree_floor(np.zeros(len(strategies)), strategies, rows, self._query_size(metafeatures, "log_n_features"),
                           folds or (self.timing_ or {}).get("folds") or 1)
        return floor * seconds_scale

    def _at_fit(self, seconds, encodings, strategies, metafeatures, rows, n_rows, folds, device, seconds_scale) -> np.ndarray:
        """Predicted seconds at the task's rows (``rows``) carried to the fit: its ``n_rows`` and ``folds``, an
        MLP's steps on ``device`` (``_timing.on_device``), on this machine (``seconds_scale``), and never under
        ``least_seconds`` (a forest's work)."""
        from automl_meta.metamodel._timing import on_device

        seconds = self._at_fit_size(seconds, encodings, rows, n_rows, folds)
        fit_rows, fit_folds = n_rows or rows or 1.0, folds or (self.timing_ or {}).get("folds") or 1
        seconds = on_device(seconds, strategies, fit_rows, fit_folds, device) * seconds_scale
        return np.maximum(seconds, self.least_seconds(metafeatures, strategies, fit_rows, fit_folds, seconds_scale))

    def _at_fit_size(self, seconds, encodings, task_rows, n_rows, folds) -> np.ndarray:
        """Predicted seconds (at the task's rows and the meta-dataset's folds) carried to ``n_rows`` and
        ``folds``: within the training sizes with each family's exponent, beyond the largest training task with
        at least MIN_EXTRAPOLATION_EXPONENT, whichever way. (Seconds carried up to a task beyond the training
        sizes with the steeper exponent and back down to a fit's subsample with the family's own overstated
        the subsample's: 15-18 s for LightGBM trials of 18,000 rows of a 100,000-row table that took 1 s.)"""
        start = task_rows or n_rows or 1.0
        end = n_rows or start
        exponents, folds_measured = self._exponents(encodings), (self.timing_ or {}).get("folds")
        largest = (self.timing_ or {}).get("max_task_rows")
        beyond = np.maximum(exponents, MIN_EXTRAPOLATION_EXPONENT)
        if largest and start > largest:  # back to the largest training size, as _summarize carried them up
            seconds, start = rescale(seconds, beyond, start, largest, None, None), largest
        if largest and end > largest > start:  # up to the largest with the family's exponent, then beyond
            seconds, start = rescale(seconds, exponents, start, largest, None, None), largest
        return rescale(seconds, beyond if largest and end > largest else exponents, start, end, folds_measured, folds)

    # -- persistence ----------------------------------------------------------------------------------------
    def arrays_to_save(self) -> dict[str, np.ndarray]:
        """Every fitted array (``_persist`` writes them)."""
        self._check_fitted()
        scaler = self.scaler_.state()
        arrays = {"scaler.sorted": scaler["sorted"], "scaler.counts": scaler["counts"],
                  "scaler.missing_columns": scaler["missing_columns"], "train_metafeatures": self.train_metafeatures_,
                  "prior.encodings": self.prior_.encodings_, "prior.values": self.prior_.values_,
                  "prior.matrix": self.prior_.matrix_}
        arrays.update(self.network_.arrays())
        arrays.update(self.pool_.arrays())
        arrays["pool.nearest_common"] = self.pool_nearest_
        return arrays

    def description_to_save(self) -> dict:
        """Everything else that is fitted, for the description file."""
        return {"metafeatures_version": self.metafeatures_version_, "space_version": self.space_version_,
                "feature_names": self.feature_names_, "encoding_names": self.encoding_names_,
                "n_task_inputs": int(self.scaler_.n_outputs), "config": self._config(), "n_stored": self.n_stored_,
                "n_fresh": self.n_fresh_, "train_task_names": self.train_task_names_, "task_best": self.task_best_,
                "training": self.training_summary_, "timing": self.timing_, "learning_curves": self.learning_curves_}

    def save(self, path) -> Path:
        """Write ``path`` (NumPy arrays, read back without pickle) and ``path.json`` (versions, configuration,
        training summary); see ``automl_meta.metamodel._persist`` for the format."""
        from automl_meta.metamodel import _persist

        return _persist.save(self, path)

    @classmethod
    def from_saved(cls, arrays: dict, meta: dict) -> "MetaModel":
        """A model from the arrays and description of a saved one (``_persist.read``)."""
        obj = cls(**meta["config"])
        try:
            obj.scaler_ = QuantileScaler.from_state({"sorted": arrays["scaler.sorted"], "counts": arrays["scaler.counts"],
                                                     "missing_columns": arrays["scaler.missing_columns"]})
            obj.network_ = NetworkEnsemble.from_arrays(arrays)
            obj.pool_ = CandidatePool.from_arrays(arrays)
            obj.train_metafeatures_ = np.asarray(arrays["train_metafeatures"], dtype=float)
            obj.prior_ = StrategyPrior()
            obj.prior_.encodings_ = np.asarray(arrays["prior.encodings"], dtype=np.float32)
            obj.prior_.values_ = np.asarray(arrays["prior.values"], dtype=np.float32)
            obj.prior_.matrix_ = np.asarray(arrays["prior.matrix"], dtype=float)
            obj.pool_nearest_ = np.asarray(arrays["pool.nearest_common"], dtype=int)
            if obj.network_.n_members != obj.n_members or obj.scaler_.n_outputs != meta["n_task_inputs"]:
                raise ValueError("the networks do not have the described shape")
        except KeyError as exc:
            raise MetaModelError(f"The saved meta-model lacks {exc} that its description needs. Retrain it.") from exc
        except ValueError as exc:
            raise MetaModelError(f"The saved meta-model does not match its description ({exc}). Retrain it.") from exc
        if obj.neighbours:
            obj.neighbour_prior_ = NeighbourPrior(obj.neighbours).fit(obj.scaler_.transform(obj.train_metafeatures_),
                                                                      obj.prior_.matrix_)
        obj.metafeatures_version_, obj.space_version_ = meta["metafeatures_version"], meta["space_version"]
        obj.feature_names_, obj.encoding_names_ = meta["feature_names"], meta["encoding_names"]
        obj.n_stored_, obj.n_fresh_ = int(meta["n_stored"]), int(meta.get("n_fresh", N_FRESH))
        obj.train_task_names_ = meta["train_task_names"]
        obj.task_best_ = meta.get("task_best") or [[] for _ in obj.train_task_names_]
        obj.training_summary_ = meta.get("training", {})
        obj.timing_ = meta.get("timing") or {}
        obj.size_exponents_ = obj.timing_.get("exponents") or {}
        obj.learning_curves_ = meta.get("learning_curves") or {}  # a model saved before them has none
        return obj

    @classmethod
    def load(cls, path) -> "MetaModel":
        """Load a saved meta-model (any format this version reads, migrated in memory); refuses a missing,
        corrupted or version-mismatched file with a clear error. Neither torch nor pickle is used for a file of
        the current format."""
        from automl_meta.metamodel import _persist

        model = cls.from_saved(*_persist.read(path))
        model.recommender  # the candidate pool prepared now, not in the first recommend
        return model


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
