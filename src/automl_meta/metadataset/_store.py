"""The :class:`MetaDataset`: tasks, their meta-features and every evaluation, in a SQL database."""

from __future__ import annotations

import datetime
import json
import math
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from automl_meta.errors import ConfigError, StorageError
from automl_meta.metadataset import _schema as S
from automl_meta._internal._sql import SQLITE_BUSY_MS, lost_creation_race, safe_url, serialize_sqlite_transactions
from automl_meta._internal._warnings import warn
from automl_meta.metadataset._location import resolve_url

#: The meta-dataset shipped in the package (built from the corpus by ``automl-meta metadataset build``).
SHIPPED_FILE = Path(__file__).resolve().parent.parent / "assets" / "metadataset.csv.gz"


def shipped_path() -> Path | None:
    """The shipped meta-dataset export, or None in a checkout that has not got one yet."""
    return SHIPPED_FILE if SHIPPED_FILE.is_file() else None


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def _json_floats(values) -> str:
    return json.dumps([None if (v is None or not math.isfinite(v)) else float(v) for v in values])


def _mf_json(metafeatures) -> str:
    return json.dumps({n: (None if not math.isfinite(v) else float(v)) for n, v in metafeatures.to_dict().items()})


def _make_engine(url: str) -> sa.Engine:
    if url.startswith("sqlite"):
        engine = serialize_sqlite_transactions(sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_MS / 1000}))

        @event.listens_for(engine, "connect")
        def _store_pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return sa.create_engine(url, pool_pre_ping=True)


@dataclass
class TrainingData:
    """The meta-model's training arrays: one row per task, one per evaluation."""

    task_ids: np.ndarray  # (T,)
    task_names: np.ndarray  # (T,)
    groups: np.ndarray  # (T,)
    kinds: np.ndarray  # (T,)
    metafeatures: np.ndarray  # (T, M), NaN where missing
    feature_names: tuple
    eval_task: np.ndarray  # (E,) index into the task arrays
    strategies: list  # (E,) Strategy
    encodings: np.ndarray  # (E, S)
    scores: np.ndarray  # (E,) NaN for failures
    fit_seconds: np.ndarray  # (E,)
    status: np.ndarray  # (E,)
    origin: np.ndarray  # (E,)
    n_rows: np.ndarray | None = None  # (E,) rows each evaluation was scored on (its time was measured there)
    build_config: dict | None = None  # how the last build scored strategies (max_rows, cv, ...: its provenance)
    fidelities: np.ndarray | None = None  # (T,) "base", "large", or None (a task recorded by a fit)
    collections: np.ndarray | None = None  # (T,) the corpus collection, or None
    metrics: np.ndarray | None = None  # (T,) the metric each task's scores are of

    def subset(self, task_indices) -> "TrainingData":
        """The same data restricted to some tasks (by index), with evaluations re-indexed."""
        task_indices = np.asarray(task_indices, dtype=int)
        remap = np.full(len(self.task_ids), -1)
        remap[task_indices] = np.arange(len(task_indices))
        keep = np.flatnonzero(remap[self.eval_task] >= 0)
        return TrainingData(
            task_ids=self.task_ids[task_indices], task_names=self.task_names[task_indices],
            groups=self.groups[task_indices], kinds=self.kinds[task_indices],
            metafeatures=self.metafeatures[task_indices], feature_names=self.feature_names,
            eval_task=remap[self.eval_task[keep]], strategies=[self.strategies[i] for i in keep],
            encodings=self.encodings[keep], scores=self.scores[keep], fit_seconds=self.fit_seconds[keep],
            status=self.status[keep], origin=self.origin[keep],
            n_rows=None if self.n_rows is None else self.n_rows[keep], build_config=self.build_config,
            fidelities=None if self.fidelities is None else self.fidelities[task_indices],
            collections=None if self.collections is None else self.collections[task_indices],
            metrics=None if self.metrics is None else self.metrics[task_indices],
        )


class MetaDataset:
    """A store of tasks (with meta-features) and evaluations of strategies on them.

    Parameters
    ----------
    location : str or path, default=None
        A SQLAlchemy URL (``postgresql://user@host/db`` for a shared store; needs ``automl-meta[postgres]``),
        a path of a SQLite file, or None for the user's default file (see :func:`data_home`).

    Every write is one transaction: a batch of evaluations is stored whole or not at all. SQLite files are
    opened in WAL mode with immediate write transactions and a long busy timeout, so several processes can
    record into one file at once.

    Attributes
    ----------
    made_from_shipped : bool
        Whether this opening made the user's default store, as a copy of the meta-dataset shipped in the package
        (its first use; a one-off of about 2 s that an estimator's time budget does not count).
    """

    def __init__(self, location=None):
        self.url = resolve_url(location)
        first_use = location is None and not Path(self.url.removeprefix("sqlite:///")).exists()
        try:
            self.engine = _make_engine(self.url)
            self._create_schema()
        except (SQLAlchemyError, OSError) as exc:
            raise StorageError(f"Cannot open the meta-dataset at {self._safe_url()!r}: {exc}. Check the path or URL and its permissions.") from exc
        # whether this opening made the user's store, a copy of the meta-dataset shipped in the package (imports
        # are idempotent, so two processes doing this at once add it once): a one-off cost a caller may set apart
        self.made_from_shipped = first_use and shipped_path() is not None
        if self.made_from_shipped:
            self.import_file(shipped_path())

    def _create_schema(self, attempts: int = 5) -> None:
        """Create the tables and the schema version, once, even when several processes (on several machines)
        open a new database at the same moment: PostgreSQL then fails the losers' CREATE TABLE (DuplicateTable,
        a ProgrammingError) or their insert (IntegrityError); they try again and find everything there."""
        for attempt in range(attempts):
            try:
                S.metadata.create_all(self.engine)
                with self.engine.begin() as conn:
                    found = conn.execute(sa.select(S.info.c.value).where(S.info.c.key == "schema_version")).first()
                    if found is None:
                        conn.execute(sa.insert(S.info).values(key="schema_version", value=S.SCHEMA_VERSION))
                    elif found[0] != S.SCHEMA_VERSION:
                        self._migrate(conn, found[0])
                return
            except SQLAlchemyError as exc:
                if not lost_creation_race(exc) or attempt == attempts - 1:
                    raise
                time.sleep(0.1 * (attempt + 1))

    def _migrate(self, conn, version: str) -> None:
        """Bring a database of an older schema to this one in place (inside the caller's transaction), with a
        warning; refuse one written by a newer automl-meta."""
        if version not in ("1",):
            raise StorageError(f"The meta-dataset {self._safe_url()!r} has schema version {version!r}, which this "
                               f"automl-meta (schema {S.SCHEMA_VERSION}) cannot read. Upgrade automl-meta, or export it "
                               "with the version that wrote it and import the export here.")
        for statement in S.MIGRATIONS["2"]:
            conn.exec_driver_sql(statement)
        conn.execute(sa.update(S.info).where(S.info.c.key == "schema_version").values(value=S.SCHEMA_VERSION))
        warn(f"Migrated the meta-dataset {self._safe_url()!r} from schema v{version} to v{S.SCHEMA_VERSION}: tasks "
             "now record their fidelity and collection (none for the tasks already there).", UserWarning)

    def _safe_url(self) -> str:
        return safe_url(self.url)

    def __repr__(self) -> str:
        return f"MetaDataset({self._safe_url()!r})"

    def close(self) -> None:
        self.engine.dispose()

    def _write(self):
        """A write transaction, with database errors turned into StorageError."""
        return _Transaction(self)

    # -- tasks ----------------------------------------------------------------------------------------------
    def add_task(self, task, metafeatures, source: str | None = None, fidelity: str | None = None,
                 collection: str | None = None) -> int:
        """Store a task with its meta-features (idempotent: the same data and metric give the same id; stored
        meta-features are replaced by the given ones) and return its id. The store never computes meta-features:
        whoever made the task computed them, with the seed it chose."""
        if metafeatures is None or not hasattr(metafeatures, "version"):
            raise ConfigError(f"add_task needs the task's meta-features (automl_meta.metafeatures.compute(task)); got "
                              f"{type(metafeatures).__name__}.")
        row = dict(
            name=task.name, group_name=task.group, kind=task.kind, metric=task.metric, n_rows=task.n_rows,
            n_features=task.n_features, n_classes=None if task.classes is None else len(task.classes),
            fingerprint=task.fingerprint, mf_version=metafeatures.version, metafeatures=_mf_json(metafeatures),
            source=source, created_at=_now(), fidelity=fidelity, collection=collection,
        )
        return self._upsert_task(row)

    def _upsert_task(self, row: dict) -> int:
        key = (S.tasks.c.fingerprint == row["fingerprint"]) & (S.tasks.c.metric == row["metric"])
        for _ in range(2):  # a concurrent insert of the same task makes the first try fail; the second finds it
            try:
                with self._write() as conn:
                    found = conn.execute(sa.select(S.tasks.c.id).where(key)).first()
                    if found is not None:
                        update = {k: row[k] for k in ("mf_version", "metafeatures", "fidelity", "collection") if row.get(k) is not None}
                        if update:
                            conn.execute(sa.update(S.tasks).where(S.tasks.c.id == found.id).values(**update))
                        return int(found.id)
                    return int(conn.execute(sa.insert(S.tasks).values(**row)).inserted_primary_key[0])
            except StorageError as exc:
                if not isinstance(exc.__cause__, IntegrityError):
                    raise
        raise StorageError(f"Could not store task {row['name']!r}.")  # pragma: no cover

    def find_task(self, task) -> dict | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(S.tasks).where((S.tasks.c.fingerprint == task.fingerprint) & (S.tasks.c.metric == task.metric))
            ).mappings().first()
        return dict(row) if row is not None else None

    def current_task_id(self, task) -> int | None:
        """The id of ``task`` when it is stored with meta-features of the current version (so they need not be
        computed again), else None."""
        from automl_meta.metafeatures import VERSION

        existing = self.find_task(task)
        return int(existing["id"]) if existing is not None and existing["mf_version"] == VERSION else None

    def tasks(self) -> pd.DataFrame:
        with self.engine.connect() as conn:
            return pd.read_sql(sa.select(S.tasks).order_by(S.tasks.c.id), conn)

    # -- evaluations ----------------------------------------------------------------------------------------
    def add_evaluations(self, task_id: int, evaluations, origin: str) -> list[str]:
        """Record evaluations of one task in one transaction; returns their uids."""
        from automl_meta.space import SPACE_VERSION

        rows = []
        for ev in evaluations:
            rows.append(dict(
                uid=uuid.uuid4().hex, task_id=int(task_id), family=ev.strategy.family, strategy_key=ev.strategy.key,
                params=json.dumps(ev.strategy.to_dict()["params"], sort_keys=True), space_version=SPACE_VERSION,
                metric=ev.metric, score=ev.score if ev.ok and math.isfinite(ev.score) else None,
                fold_scores=_json_floats(ev.fold_scores), fit_seconds=_finite_or_none(ev.fit_seconds),
                status=ev.status, error=ev.error, origin=origin, n_rows=ev.n_rows, created_at=_now(),
            ))
        if rows:
            with self._write() as conn:
                conn.execute(sa.insert(S.evaluations), rows)
        return [r["uid"] for r in rows]

    def add_evaluation(self, task_id: int, evaluation, origin: str) -> str:
        return self.add_evaluations(task_id, [evaluation], origin)[0]

    def evaluations(self, task_id: int | None = None) -> pd.DataFrame:
        query = sa.select(S.evaluations).order_by(S.evaluations.c.id)
        if task_id is not None:
            query = query.where(S.evaluations.c.task_id == int(task_id))
        with self.engine.connect() as conn:
            return pd.read_sql(query, conn)

    def evaluated_keys(self, task_id: int, origin: str | None = None) -> set[str]:
        """Strategy keys already evaluated on a task (for resumable builds)."""
        query = sa.select(S.evaluations.c.strategy_key).where(S.evaluations.c.task_id == int(task_id))
        if origin is not None:
            query = query.where(S.evaluations.c.origin == origin)
        with self.engine.connect() as conn:
            return {r[0] for r in conn.execute(query)}

    def count(self) -> tuple[int, int]:
        """(tasks, evaluations)."""
        with self.engine.connect() as conn:
            n_tasks = conn.execute(sa.select(sa.func.count()).select_from(S.tasks)).scalar_one()
            n_evals = conn.execute(sa.select(sa.func.count()).select_from(S.evaluations)).scalar_one()
        return int(n_tasks), int(n_evals)

    # -- provenance -----------------------------------------------------------------------------------------
    def set_info(self, key: str, value) -> None:
        text = value if isinstance(value, str) else json.dumps(value)
        with self._write() as conn:
            conn.execute(sa.delete(S.info).where(S.info.c.key == key))
            conn.execute(sa.insert(S.info).values(key=key, value=text))

    def get_info(self, key: str, default=None):
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(S.info.c.value).where(S.info.c.key == key)).first()
        return default if row is None else row[0]

    # -- the meta-model's view ------------------------------------------------------------------------------
    def training_data(self, mf_version: str | None = None, space_version: str | None = None) -> TrainingData:
        """Tasks with meta-features of ``mf_version`` and their evaluations of ``space_version`` (the current
        versions by default), as arrays."""
        from automl_meta.metafeatures import FEATURE_NAMES, VERSION
        from automl_meta.space import SPACE_VERSION, Strategy, encode_many

        mf_version = mf_version or VERSION
        space_version = space_version or SPACE_VERSION
        tasks = self.tasks()
        tasks = tasks[tasks["mf_version"] == mf_version].reset_index(drop=True)
        evals = self.evaluations()
        evals = evals[(evals["space_version"] == space_version) & evals["task_id"].isin(tasks["id"])].reset_index(drop=True)
        strategies, valid = [], np.ones(len(evals), dtype=bool)
        for i, (family, params) in enumerate(zip(evals["family"], evals["params"])):
            try:
                strategies.append(Strategy(family, json.loads(params)))
            except (ConfigError, ValueError):  # a row outside this space (mislabelled version): unusable
                valid[i] = False
        if not valid.all():
            warn(f"Skipped {int((~valid).sum())} evaluations whose strategies do not fit space v{space_version}.", RuntimeWarning)
            evals = evals[valid].reset_index(drop=True)
        mf = np.array(
            [[np.nan if (v := json.loads(text).get(n)) is None else v for n in FEATURE_NAMES] for text in tasks["metafeatures"]],
            dtype=float,
        ).reshape(len(tasks), len(FEATURE_NAMES))
        index = {tid: i for i, tid in enumerate(tasks["id"])}
        return TrainingData(
            task_ids=tasks["id"].to_numpy(), task_names=tasks["name"].to_numpy(), groups=tasks["group_name"].to_numpy(),
            kinds=tasks["kind"].to_numpy(), metafeatures=mf, feature_names=FEATURE_NAMES,
            eval_task=np.array([index[t] for t in evals["task_id"]], dtype=int), strategies=strategies,
            encodings=encode_many(strategies), scores=evals["score"].to_numpy(dtype=float),
            fit_seconds=evals["fit_seconds"].to_numpy(dtype=float), status=evals["status"].to_numpy(),
            origin=evals["origin"].to_numpy(), n_rows=evals["n_rows"].to_numpy(dtype=float), build_config=self.build_config(),
            fidelities=tasks["fidelity"].to_numpy(dtype=object), collections=tasks["collection"].to_numpy(dtype=object),
            metrics=tasks["metric"].to_numpy(dtype=object),
        )

    def build_config(self) -> dict | None:
        """The configuration of the last build recorded in the provenance (``max_rows``, ``cv``, ...), or None."""
        builds = json.loads(self.get_info("provenance") or "{}").get("builds") or []
        return dict(builds[-1].get("config") or {}) if builds else None

    # -- shipping and merging -------------------------------------------------------------------------------
    def export(self, path) -> int:
        """Write every task and evaluation to one flat file (``.parquet``, or CSV, gzip-compressed when the
        name ends in ``.gz``); returns the number of rows. Tasks without evaluations get one row of their own."""
        from automl_meta.metadataset._transfer import export_frame, write_frame

        frame = export_frame(self.tasks(), self.evaluations())
        write_frame(frame, path)
        with self.engine.connect() as conn:
            info = {r.key: r.value for r in conn.execute(sa.select(S.info))}
        Path(str(path) + ".json").write_text(json.dumps({"info": info}, indent=1))
        return len(frame)

    def import_file(self, path) -> tuple[int, int]:
        """Merge an exported file into this store (one transaction): tasks are matched by data fingerprint and
        metric, evaluations by uid, so importing the same file twice adds nothing. Returns (new tasks, new
        evaluations)."""
        from automl_meta.metadataset._transfer import import_frame, read_frame

        counts = import_frame(self, read_frame(path))
        sidecar = Path(str(path) + ".json")
        if sidecar.is_file():  # provenance and build time travel beside the export
            info = json.loads(sidecar.read_text()).get("info", {})
            for key, value in info.items():
                if key == "build_seconds":
                    total = float(self.get_info(key, 0) or 0) + (float(value) if counts[1] else 0.0)
                    self.set_info(key, f"{total:.1f}")
                elif key != "schema_version" and self.get_info(key) is None:
                    self.set_info(key, value)
        return counts


def _finite_or_none(v):
    return None if v is None or not math.isfinite(v) else float(v)


class _Transaction:
    def __init__(self, store: MetaDataset):
        self.store = store

    def __enter__(self):
        try:
            self._ctx = self.store.engine.begin()
            return self._ctx.__enter__()
        except OperationalError as exc:
            raise StorageError(f"Cannot write to the meta-dataset {self.store._safe_url()!r}: {exc.orig}. Check that it is writable.") from exc

    def __exit__(self, exc_type, exc, tb):
        try:
            result = self._ctx.__exit__(exc_type, exc, tb)
        except (OperationalError, IntegrityError) as err:
            raise StorageError(f"Writing to the meta-dataset {self.store._safe_url()!r} failed: {err.orig}") from err
        if isinstance(exc, (OperationalError, IntegrityError)):
            raise StorageError(f"Writing to the meta-dataset {self.store._safe_url()!r} failed: {exc.orig}") from exc
        return result
