"""Held-out groups shared by the anytime and end-to-end benchmarks (protocols 2 and 3 of docs/BENCHMARKS.md).

A seeded sample of task groups is held out; the sample is split into folds, and for each fold the meta-model
and the baselines are trained on every *other* group of the meta-dataset. One task per held-out group is
evaluated (several tasks of one group are near-copies of one source dataset; counting each would weight that
dataset several times). Nothing of a held-out group — meta-features, evaluations, strategies found by search
on it — reaches the methods that are evaluated on it.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
MODEL_CACHE = HERE.parent.parent / "build" / "heldout_models"  # the repository's build/


#: A meta-model's settings that only ``recommend`` reads: not in its weights, so a cached model takes them from
#: the model the caller asked for.
RECOMMEND_SETTINGS = ("set_neighbours", "set_shrinkage")


def fit_or_load(model, data, path: Path | None):
    """``model`` (unfitted) fitted on ``data`` and saved to ``path``, or, when ``path`` holds one already, the
    saved meta-model with ``model``'s :data:`RECOMMEND_SETTINGS`; ``path`` None: fitted, not saved."""
    from automl_meta.metamodel import MetaModel

    if path is not None and path.exists():
        loaded = MetaModel.load(path)
        for name in RECOMMEND_SETTINGS:
            setattr(loaded, name, getattr(model, name))
        return loaded
    model.fit(data)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        model.save(path)
    return model


@dataclass
class HeldOut:
    """The evaluated tasks (indices into ``data``), their fold, and per-fold trained methods (a meta-model of
    ``members`` x ``epochs``, cached under ``cache`` when given)."""

    data: object
    tasks: list[int]
    fold_of_group: dict
    store: object
    build_config: dict
    members: int = 5
    epochs: int = 60
    cache: Path | None = MODEL_CACHE
    tag: str = ""  # names a sample drawn from a subset of the groups, in the cached models' file names
    set_shrinkage: float | None = None  # the meta-models' recommendation-time setting (None: their default)
    _fitted: dict = field(default_factory=dict)
    _manifest: object = None

    def fold(self, t: int) -> int:
        return self.fold_of_group[str(self.data.groups[t])]

    def train_indices(self, fold: int) -> np.ndarray:
        held = {g for g, f in self.fold_of_group.items() if f == fold}
        return np.flatnonzero(~np.isin(self.data.groups.astype(str), list(held)))

    def methods(self, fold: int):
        """(meta-model, {kind class: portfolio}, {kind class: nearest tasks}) trained without the fold's groups.

        The meta-model is saved under ``cache`` (keyed by fold, sample and training size) so the end-to-end
        benchmark and a resumed run use the very same model."""
        if fold in self._fitted:
            return self._fitted[fold]
        from automl_meta.metamodel import MetaModel
        from automl_meta.metamodel import NearestTasks, StaticPortfolio

        train = self.train_indices(fold)
        sub = self.data.subset(train)
        members, epochs = self.members, self.epochs
        key = f"fold{fold}_of{len(set(self.fold_of_group.values()))}_{len(self.tasks)}tasks_{len(train)}train_{members}m{epochs}e{self.tag}"
        path = None if self.cache is None else self.cache / f"{key}.pt"
        settings = {} if self.set_shrinkage is None else {"set_shrinkage": self.set_shrinkage}
        model = fit_or_load(MetaModel(n_members=members, epochs=epochs, **settings), sub, path)
        portfolios, nearest = {}, {}
        for kind_class in ("classification", "regression"):
            rows = np.flatnonzero(kind_classes(sub.kinds) == kind_class)
            if len(rows):
                portfolios[kind_class] = StaticPortfolio().fit(sub.subset(rows))
                nearest[kind_class] = NearestTasks().fit(sub.subset(rows))
        self._fitted[fold] = (model, portfolios, nearest, path)
        return self._fitted[fold]

    def corpus_task(self, t: int, capped: bool = True):
        """The corpus task behind meta-dataset task ``t``: as the meta-dataset evaluated it (capped) or whole."""
        from automl_meta.data import load_manifest

        if self._manifest is None:
            self._manifest = load_manifest()
        cfg = self.build_config
        return corpus_task(str(self.data.task_names[t]), cfg, self._manifest, int(cfg["max_rows"]) if capped else None)


def corpus_task(name: str, cfg: dict, manifest, max_rows: int | None):
    """The corpus task ``name`` (a row of ``manifest``) with the build's folds, capped (seeded, as the
    meta-dataset's build caps) at ``max_rows`` rows, or whole when None."""
    from automl_meta.collect._units import capped_task
    from automl_meta.data._corpus import task_from_manifest_row

    row = manifest[manifest["name"] == name]
    if row.empty:
        raise SystemExit(f"task {name!r} is in the meta-dataset but not in the corpus manifest")
    full = task_from_manifest_row(row.iloc[0], cv=int(cfg["cv"]))
    return full if max_rows is None else capped_task(full, int(max_rows), int(cfg["cv"]), int(cfg["random_state"]))


def kind_classes(kinds) -> np.ndarray:
    """Each task kind as its class: "regression", or "classification" (binary and multiclass)."""
    return np.where(np.asarray(kinds).astype(str) == "regression", "regression", "classification")


def kind_class(kind: str) -> str:
    return "regression" if kind == "regression" else "classification"


def open_store(location: str | None):
    from automl_meta.metadataset import MetaDataset, shipped_path

    if location:
        return MetaDataset(location)
    store = MetaDataset(Path(tempfile.mkdtemp()) / "md.sqlite")
    store.import_file(shipped_path())
    return store


def build_config(store) -> dict:
    import json

    prov = store.get_info("provenance")
    prov = json.loads(prov) if isinstance(prov, str) else (prov or {})
    builds = prov.get("builds") or [{}]
    cfg = {"max_rows": 1000, "cv": 3, "time_limit": 30.0, "random_state": 0}
    cfg.update({k: v for k, v in (builds[-1].get("config") or {}).items() if k in cfg})
    return cfg


def select(store, n_tasks: int, n_folds: int, regression_share: float = 0.25, seed: int = 0, among=None,
           **methods) -> HeldOut:
    """A seeded sample of ``n_tasks`` groups (about ``regression_share`` of them regression), one task each,
    dealt into ``n_folds`` folds; ``among``: only these task names are sampled (their whole groups are held
    out; the meta-models are still trained on every group outside the fold); ``methods``: ``members``,
    ``epochs``, ``cache`` and ``set_shrinkage`` of :class:`HeldOut`."""
    data = store.training_data()
    rng = np.random.default_rng(seed)
    groups = np.asarray(data.groups).astype(str)
    classes = kind_classes(data.kinds)
    by_class = {}
    names = np.asarray(data.task_names).astype(str)
    allowed = np.ones(len(names), bool) if among is None else np.isin(names, list(among))
    for g in dict.fromkeys(groups[allowed]):
        by_class.setdefault(classes[np.flatnonzero(groups == g)[0]], []).append(g)
    tag = ""  # the cached meta-models' names tell samples apart
    if among is not None:
        import hashlib

        tag += "_" + hashlib.sha1(",".join(sorted(map(str, among))).encode()).hexdigest()[:8]
    if seed:
        tag += f"_seed{seed}"
    if tag:
        methods.setdefault("tag", tag)
    n_reg = min(len(by_class.get("regression", [])), int(round(n_tasks * regression_share)))
    n_cls = min(len(by_class.get("classification", [])), n_tasks - n_reg)
    chosen = list(rng.permutation(by_class.get("classification", []))[:n_cls]) + \
        list(rng.permutation(by_class.get("regression", []))[:n_reg])
    chosen = [str(g) for g in rng.permutation(chosen)]
    fold_of_group = {g: i % n_folds for i, g in enumerate(chosen)}
    # one task per group at the base fidelity: a group's large-fidelity tasks (meta-dataset v2) are the same
    # data at up to 10,000 rows, and the searches here run on the task as the base fidelity evaluated it
    fidelities = data.fidelities if data.fidelities is not None else [None] * len(groups)
    base = np.array([f in (None, "base") for f in fidelities])
    tasks = [int(rng.choice(np.flatnonzero((groups == g) & base & allowed))) for g in chosen]
    return HeldOut(data=data, tasks=tasks, fold_of_group=fold_of_group, store=store, build_config=build_config(store),
                   **methods)
