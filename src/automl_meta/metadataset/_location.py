"""The one resolver from what a user names (nothing, a path, a URL) to a SQLAlchemy URL."""

from __future__ import annotations

import os
from pathlib import Path

from automl_meta.data import data_home
from automl_meta.errors import StorageError

DEFAULT_FILENAME = "metadataset.sqlite"


def resolve_url(location=None) -> str:
    """A SQLAlchemy URL: ``None`` -> the default SQLite file; ``"...://..."`` -> as given (PostgreSQL, ...);
    anything else -> a SQLite file at that path (its folder is created)."""
    if location is not None and "://" in str(location):
        return str(location)
    path = data_home() / DEFAULT_FILENAME if location is None else Path(location).expanduser()
    path = path.resolve()
    if path.is_dir():
        raise StorageError(f"Meta-dataset path {str(path)!r} is a folder. Pass a file path such as {str(path / DEFAULT_FILENAME)!r}.")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"Cannot create the folder of the meta-dataset {str(path)!r} ({exc.strerror}). Choose a writable location.") from exc
    if not os.access(path.parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise StorageError(f"Meta-dataset {str(path)!r} is not writable. Choose a writable location or fix its permissions.")
    return f"sqlite:///{path}"
