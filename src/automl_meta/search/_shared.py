"""The trials of a study shared by several processes, as every one of them can read them: so that each process
chooses its final model (and ensemble) from all the study's finished trials, not only from those it ran.

Optuna keeps a trial's parameters and value; an ensemble also needs the trial's out-of-fold predictions, and
Optuna's trial attributes are the wrong place for them (a sampler reads every attribute of every trial before
each trial). They go in a table of their own, ``automl_meta_trial_outcomes``, in the database the study is in,
which every process sharing the study reaches by definition: one row per successful trial, its evaluation as
JSON and its predictions (float32 ``.npy``, zlib-compressed).

Size bound: a study keeps the predictions of its ``MAX_SHARED_PREDICTIONS`` best trials of each target only
(the others' are set to NULL as better ones arrive; their rows stay, so they can still be chosen alone), and
none over ``MAX_PREDICTION_BYTES``: at most 25 x rows x classes x 4 bytes before compression, as each process
holds in memory (``SearchResult.max_predictions``).

A row names the target its predictions refer to (a hash of the rows' target values, the folds, the metric and
the classes): a process reads only the rows of its own target, so a study shared with a fit on other data, or
on other folds, gives it nothing to mix up.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import math
import zlib

import numpy as np

from automl_meta.evaluate import Evaluation

#: Trials of each target whose out-of-fold predictions a study keeps (the best ones).
MAX_SHARED_PREDICTIONS = 25
#: Predictions larger than this (before compression) are not shared: a trial of 1,000,000 rows x 2 classes is.
MAX_PREDICTION_BYTES = 64 * 2**20
TABLE = "automl_meta_trial_outcomes"

log = logging.getLogger("automl_meta.search")


def target_key(target: tuple) -> str:
    """A hash of (y, metric, classes, folds, weights): equal exactly when out-of-fold predictions compare."""
    import pandas as pd

    y, metric, classes, folds, weights = target
    digest = hashlib.sha256()
    digest.update(pd.util.hash_array(np.asarray(y)).tobytes())
    name = metric if isinstance(metric, str) else repr(metric)  # a scorer of the user's own: its repr
    digest.update(json.dumps([name, None if classes is None else [str(c) for c in classes]]).encode())
    for fold in folds:
        digest.update(np.asarray(fold, dtype=np.int64).tobytes() + b"|")
    if weights is not None:
        digest.update(b"weights" + np.asarray(weights, dtype=np.float64).tobytes())
    return digest.hexdigest()


class SharedTrials:
    """The successful trials of one study and target in the study's database.

    Use :meth:`of` (None when the study is not in a database: then no other process can share it).
    """

    def __init__(self, engine, study_id: int, key: str, max_predictions: int = MAX_SHARED_PREDICTIONS):
        self.engine, self.study_id, self.key, self.max_predictions = engine, study_id, key, max_predictions
        self.table = _create_table(engine)

    @classmethod
    def of(cls, study, task, evaluator, **kwargs) -> SharedTrials | None:
        """The shared trials of ``study`` on ``task`` as ``evaluator`` scores it; None for a study in memory."""
        # Optuna has no public accessor for a study's engine and id; these are stable since Optuna 2
        backend = getattr(study._storage, "_backend", study._storage)
        engine = getattr(backend, "engine", None)
        if engine is None:
            return None
        return cls(engine, study._study_id, target_key(evaluator.scoring_target(task)), **kwargs)

    def add(self, trial_id: int, evaluation: Evaluation, origin: str) -> None:
        """Keep a successful evaluation of trial ``trial_id`` (then drop the predictions of the trials that are
        no longer among the ``max_predictions`` best); a failure is not kept (Optuna has it)."""
        if not evaluation.ok:
            return
        summary = evaluation.to_dict()
        summary.pop("predictions")
        summary["origin"] = origin
        blob = _pack(evaluation.predictions)
        with self.engine.begin() as conn:
            conn.execute(self.table.insert().values(trial_id=trial_id, study_id=self.study_id, target_key=self.key,
                                                    score=evaluation.score, evaluation=json.dumps(summary, default=_plain),
                                                    predictions=blob))
            if blob is not None:
                self._drop_surplus(conn)

    def _drop_surplus(self, conn) -> None:
        import sqlalchemy as sa

        t = self.table
        ids = conn.execute(sa.select(t.c.trial_id).where(t.c.study_id == self.study_id, t.c.target_key == self.key,
                                                         t.c.predictions.is_not(None))
                           .order_by(t.c.score.desc(), t.c.trial_id)).scalars().all()
        surplus = ids[self.max_predictions:]
        if surplus:
            conn.execute(t.update().where(t.c.trial_id.in_(surplus)).values(predictions=None))

    def finished(self, exclude=()) -> list[tuple[int, Evaluation, str]]:
        """(trial number, evaluation, origin) of every COMPLETE trial of the study with this target, but for
        the trial numbers in ``exclude``; best first. A trial recorded by a process killed before Optuna was told
        its result is not COMPLETE (it is failed as stale) and is left out."""
        import sqlalchemy as sa

        t = self.table
        trials = sa.table("trials", sa.column("trial_id"), sa.column("number"), sa.column("state"))
        query = (sa.select(trials.c.number, t.c.evaluation, t.c.predictions)
                 .join_from(t, trials, trials.c.trial_id == t.c.trial_id)
                 .where(t.c.study_id == self.study_id, t.c.target_key == self.key, trials.c.state == "COMPLETE")
                 .order_by(t.c.score.desc(), trials.c.number))
        excluded = set(exclude)
        with self.engine.connect() as conn:
            rows = [row for row in conn.execute(query) if row[0] not in excluded]
        return [(number, *_evaluation(summary, blob)) for number, summary, blob in rows]


def _create_table(engine):
    """The table, created when the database has none (a process losing the race to create it finds it made)."""
    import sqlalchemy as sa
    from sqlalchemy.exc import SQLAlchemyError

    from automl_meta._internal._sql import lost_creation_race

    metadata = sa.MetaData()
    table = sa.Table(
        TABLE, metadata,
        sa.Column("trial_id", sa.Integer, primary_key=True, autoincrement=False),  # Optuna's trials.trial_id
        sa.Column("study_id", sa.Integer, nullable=False),
        sa.Column("target_key", sa.String(64), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("evaluation", sa.Text, nullable=False),
        sa.Column("predictions", sa.LargeBinary(length=2**31 - 1), nullable=True),
        sa.Index(f"ix_{TABLE}_study_target", "study_id", "target_key"),
    )
    try:
        metadata.create_all(engine, checkfirst=True)
    except SQLAlchemyError as exc:
        if not lost_creation_race(exc):
            raise
    return table


def _plain(value):
    return value.item() if isinstance(value, np.generic) else str(value)


def _pack(predictions) -> bytes | None:
    if predictions is None:
        return None
    array = np.asarray(predictions, dtype=np.float32)
    if array.nbytes > MAX_PREDICTION_BYTES:
        log.info("out-of-fold predictions of %d bytes not shared (over %d)", array.nbytes, MAX_PREDICTION_BYTES)
        return None
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return zlib.compress(buffer.getvalue(), 1)


def _evaluation(summary: str, blob) -> tuple[Evaluation, str]:
    summary = json.loads(summary)
    origin = summary.pop("origin")
    summary["score"] = math.nan if summary["score"] is None else summary["score"]
    predictions = None if blob is None else np.load(io.BytesIO(zlib.decompress(blob)), allow_pickle=False)
    return Evaluation.from_dict({**summary, "predictions": predictions}), origin
