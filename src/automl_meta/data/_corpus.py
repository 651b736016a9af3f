"""A corpus of tasks described by a manifest CSV (the shared KEEL/UCI corpus, or any folder laid out the same).

A manifest has one row per task with at least the columns ``name``, ``path`` (relative to the manifest's
folder), ``task`` (``classification`` or ``regression``, or a precise kind) and ``target``; ``group`` is
optional (defaults to the name). Other columns (shape, source) are kept as information.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from automl_meta.data._task import Task
from automl_meta.errors import DataError

#: Environment variable naming a manifest to use instead of the shared corpus.
CORPUS_ENV = "AUTOML_META_CORPUS"
REQUIRED_COLUMNS = ("name", "path", "task", "target")


def default_manifest_path() -> Path | None:
    """The corpus manifest: ``$AUTOML_META_CORPUS``, else ``shared/datasets/manifest.csv`` beside the checkout.

    Returns None when neither exists (a user's clone has no shared corpus).
    """
    env = os.environ.get(CORPUS_ENV)
    if env:
        return Path(env).expanduser()
    here = Path(__file__).resolve()
    candidates = [Path.cwd() / ".." / "shared", Path.cwd() / "shared"]
    candidates += [parent.parent / "shared" for parent in here.parents]
    for base in candidates:
        manifest = base / "datasets" / "manifest.csv"
        if manifest.is_file():
            return manifest.resolve()
    return None


def load_manifest(path=None) -> pd.DataFrame:
    """Read a manifest; the default corpus when ``path`` is None. Adds an absolute ``file`` column."""
    if path is None:
        path = default_manifest_path()
        if path is None:
            raise DataError(
                "No corpus manifest found: there is no ../shared/datasets/manifest.csv here. "
                f"Pass the manifest's path or set {CORPUS_ENV}=/path/to/manifest.csv."
            )
    path = Path(path).expanduser()
    if path.is_dir():
        path = path / "manifest.csv"
    if not path.is_file():
        raise DataError(f"Manifest {str(path)!r} does not exist. Pass the path of a manifest CSV.")
    manifest = pd.read_csv(path)
    missing = [c for c in REQUIRED_COLUMNS if c not in manifest.columns]
    if missing:
        raise DataError(
            f"Manifest {str(path)!r} lacks the column(s) {', '.join(map(repr, missing))}. "
            f"A manifest needs {', '.join(REQUIRED_COLUMNS)} (and optionally group)."
        )
    if "group" not in manifest.columns:
        manifest["group"] = manifest["name"]
    manifest["group"] = manifest["group"].fillna(manifest["name"])
    manifest["file"] = [str((path.parent / p).resolve()) for p in manifest["path"]]
    return manifest


def task_from_manifest_row(row, **kwargs) -> Task:
    """Load one task from a manifest row (a Series or mapping with ``file`` or ``path``)."""
    file = row["file"] if "file" in row else row["path"]
    kind = str(row["task"]).strip().lower()
    return Task.from_file(file, target=str(row["target"]), kind=kind, name=str(row["name"]), group=str(row["group"]), **kwargs)


def iter_corpus(manifest=None, *, kind: str | None = None, names=None, **kwargs) -> Iterator[Task]:
    """Yield the tasks of a manifest, optionally only those of one kind (as the manifest states it) or names."""
    frame = manifest if isinstance(manifest, pd.DataFrame) else load_manifest(manifest)
    if kind is not None:
        frame = frame[frame["task"].str.lower() == kind.lower()]
    if names is not None:
        wanted = set(names)
        frame = frame[frame["name"].isin(wanted)]
    for _, row in frame.iterrows():
        yield task_from_manifest_row(row, **kwargs)
