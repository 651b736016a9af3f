"""Export and import of a meta-dataset as one flat, compressed, pickle-free file (Parquet or CSV.gz)."""

from __future__ import annotations

from pathlib import Path

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


def _clean(value):
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value.item() if hasattr(value, "item") else value


def _evaluation_records(frame: pd.DataFrame) -> list[dict]:
    """Every row's evaluation columns as insert parameters (missing values as None), converted for the whole
    frame at once: row-by-row pandas access made importing the 57,000-evaluation shipped meta-dataset slow."""
    records = frame[list(EVAL_COLUMNS)].astype(object).to_dict("records")
    for row in records:  # _clean: missing values (NaN, NA) to None, numpy scalars to Python
        for c, v in row.items():
            row[c] = _clean(v)
        if row["n_rows"] is not None:
            row["n_rows"] = int(row["n_rows"])
    return records


def import_frame(store, frame: pd.DataFrame) -> tuple[int, int]:
    new_tasks = new_evals = 0
    frame = frame.reset_index(drop=True)  # records[i] is row i
    records = _evaluation_records(frame)
    with store._write() as conn:
        existing_uids = {r[0] for r in conn.execute(sa.select(S.evaluations.c.uid))}
        for (fingerprint, metric), group in frame.groupby(["task_fingerprint", "task_metric"], sort=False, dropna=False):
            first = group.iloc[0]
            found = conn.execute(
                sa.select(S.tasks.c.id).where((S.tasks.c.fingerprint == fingerprint) & (S.tasks.c.metric == metric))
            ).first()
            if found is None:
                row = {c: _clean(first[f"task_{c}"]) for c in TASK_COLUMNS}
                task_id = conn.execute(sa.insert(S.tasks).values(**row)).inserted_primary_key[0]
                new_tasks += 1
            else:
                task_id = found.id
            rows = []
            for i in group.index:
                uid = records[i]["uid"]
                if uid is None or uid in existing_uids:
                    continue
                existing_uids.add(uid)
                rows.append({**records[i], "task_id": task_id})
            if rows:
                conn.execute(sa.insert(S.evaluations), rows)
                new_evals += len(rows)
    return new_tasks, new_evals
