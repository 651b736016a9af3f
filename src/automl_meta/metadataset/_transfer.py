"""Export and import of a meta-dataset as one flat, compressed, pickle-free file (Parquet or CSV.gz)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from automl_meta.errors import StorageError
from automl_meta.metadataset import _schema as S

TASK_COLUMNS = [c.name for c in S.tasks.columns if c.name != "id"]
EVAL_COLUMNS = [c.name for c in S.evaluations.columns if c.name not in ("id", "task_id")]
#: Columns of an export file: the task's (prefixed ``task_``) then the evaluation's (``uid`` empty for a task
#: without evaluations).
EXPORT_COLUMNS = [f"task_{c}" for c in TASK_COLUMNS] + EVAL_COLUMNS
_ADDED_IN_V2 = ("task_fidelity", "task_collection")


def export_frame(tasks: pd.DataFrame, evaluations: pd.DataFrame) -> pd.DataFrame:
    t = tasks.rename(columns={c: f"task_{c}" for c in TASK_COLUMNS})
    merged = t.merge(evaluations, how="left", left_on="id", right_on="task_id", suffixes=("", "_eval"))
    return merged.reindex(columns=EXPORT_COLUMNS)


def write_frame(frame: pd.DataFrame, path) -> None:
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".parquet":
            frame.to_parquet(path, index=False, compression="zstd")
        else:
            frame.to_csv(path, index=False, compression="infer")
    except OSError as exc:
        raise StorageError(f"Cannot write the export {str(path)!r}: {exc.strerror or exc}. Choose a writable path.") from exc


def read_frame(path) -> pd.DataFrame:
    path = Path(path)
    if not path.is_file():
        raise StorageError(f"Meta-dataset export {str(path)!r} does not exist. Pass the path of a .parquet or .csv.gz export.")
    try:
        frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, compression="infer", keep_default_na=True)
    except Exception as exc:
        raise StorageError(f"{str(path)!r} is not a readable meta-dataset export ({exc}).") from exc
    for column in _ADDED_IN_V2:  # an export of a v1 meta-dataset: its tasks have no fidelity or collection
        if column not in frame.columns:
            frame[column] = None
    missing = [c for c in EXPORT_COLUMNS if c not in frame.columns]
    if missing:
        raise StorageError(f"{str(path)!r} is not a meta-dataset export: it lacks the column(s) {', '.join(missing[:5])}.")
    return frame


def _python_values(column: pd.Series, integer: bool = False) -> list:
    """A column's values as Python scalars, missing ones (NaN, NA) as None: converted at once, not cell by cell
    (importing the 57,000-evaluation shipped meta-dataset cell by cell took seconds of a user's first fit)."""
    values = column.to_numpy(dtype=object, copy=True)  # Python floats, ints and strings (a copy: written below)
    missing = column.isna().to_numpy()
    if integer:
        values = np.array([None if m else int(v) for v, m in zip(values, missing)], dtype=object)
    values[missing] = None
    return values.tolist()


def _columns(frame: pd.DataFrame, table: sa.Table, names: list[str], prefix: str = "") -> list[list]:
    """The values of ``table``'s columns ``names`` from ``frame``'s columns ``prefix + name``, column by column."""
    return [_python_values(frame[prefix + n], integer=isinstance(table.c[n].type, sa.Integer)) for n in names]


def _insert_many(conn, table: sa.Table, names: list[str], columns: list[list]) -> None:
    """One ``INSERT`` of the rows of ``columns`` (the values of ``names``), run as the driver's ``executemany``:
    SQLAlchemy's own builds each row's parameters in Python (0.9 s of the 3.5 s that importing the shipped
    meta-dataset took on a slow machine). The tables' columns are strings and numbers, which need no conversion
    on the way in."""
    compiled = sa.insert(table).compile(dialect=conn.dialect, column_keys=names)
    rows = list(zip(*columns))
    if compiled.positional:
        order = [names.index(n) for n in compiled.positiontup]
        params = [tuple(row[i] for i in order) for row in rows]
    else:
        params = [dict(zip(names, row)) for row in rows]
    conn.exec_driver_sql(str(compiled), params)


def _task_ids(conn) -> dict:
    """The stored tasks' ids by (fingerprint, metric)."""
    return {(r.fingerprint, r.metric): r.id for r in conn.execute(sa.select(S.tasks.c.id, S.tasks.c.fingerprint, S.tasks.c.metric))}


def import_frame(store, frame: pd.DataFrame) -> tuple[int, int]:
    """Merge ``frame`` (an export) into ``store`` in one transaction; (new tasks, new evaluations). Tasks are
    matched by (fingerprint, metric), evaluations by uid; each kind is written in one statement."""
    frame = frame.reset_index(drop=True)
    key = ["task_fingerprint", "task_metric"]
    with store._write() as conn:
        ids = _task_ids(conn)
        firsts = frame.drop_duplicates(key)
        added = firsts[[(f, m) not in ids for f, m in zip(firsts["task_fingerprint"], firsts["task_metric"])]]
        if len(added):
            _insert_many(conn, S.tasks, TASK_COLUMNS, _columns(added, S.tasks, TASK_COLUMNS, prefix="task_"))
            ids = _task_ids(conn)
        existing_uids = {r[0] for r in conn.execute(sa.select(S.evaluations.c.uid))}
        # each evaluation once: not one the store holds (by uid), not a repeat within the file; a task's own row
        # (a task without evaluations) has none
        uids = frame["uid"]
        new = frame[(uids.notna() & ~uids.isin(existing_uids) & ~uids.duplicated()).to_numpy()]
        if len(new):
            task_ids = [ids[key] for key in zip(new["task_fingerprint"], new["task_metric"])]
            _insert_many(conn, S.evaluations, EVAL_COLUMNS + ["task_id"],
                         _columns(new, S.evaluations, EVAL_COLUMNS) + [task_ids])
    return len(added), len(new)
