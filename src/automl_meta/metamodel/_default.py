"""Which meta-model a user gets by default: their own retrained one, else the one shipped in the package; read
once per process."""

from __future__ import annotations

import threading
from pathlib import Path

#: The meta-model shipped in the package (trained on the shipped meta-dataset).
SHIPPED_MODEL = Path(__file__).resolve().parent.parent / "assets" / "metamodel.npz"
USER_MODEL_NAME = "metamodel.npz"
#: A user's model written before format 3 (``automl-meta metamodel update`` wrote this name); still read.
LEGACY_USER_MODEL_NAME = "metamodel.pt"

#: Models read in this process: path -> ((modification time, size) of the file and its description, model).
_LOADED: dict[Path, tuple[tuple, object]] = {}
_LOADING = threading.Lock()  # one reader at a time: a caller waits for a read under way instead of reading again


def default_metamodel_path() -> Path | None:
    """``<data home>/metamodel.npz`` (written by ``automl-meta metamodel update``; ``metamodel.pt`` from before
    format 3), else the shipped model, else None."""
    from automl_meta.data import data_home  # not through metadataset: that imports SQLAlchemy

    home = data_home()
    for path in (home / USER_MODEL_NAME, home / LEGACY_USER_MODEL_NAME, SHIPPED_MODEL):
        if path.is_file() and path.with_name(path.name + ".json").is_file():
            return path
    return None


def resolve_metamodel(metamodel=None):
    """A MetaModel from a MetaModel, a path, or None (the default one; None if there is none).

    A path is read once per process: a later call with the same file, unchanged (modification time and size
    of the file and its description), returns the same model. The model is shared: treat it as read-only."""
    from automl_meta.metamodel._model import MetaModel

    if isinstance(metamodel, MetaModel):
        return metamodel
    path = default_metamodel_path() if metamodel is None else Path(metamodel)
    if path is None:
        return None
    path = path.resolve()
    with _LOADING:
        stamp = _stamp(path)
        cached = _LOADED.get(path)
        if cached is not None and stamp is not None and cached[0] == stamp:
            return cached[1]
        model = MetaModel.load(path)
        if stamp is not None:
            _LOADED[path] = (stamp, model)
        return model


def prefetch_metamodel(metamodel=None) -> None:
    """Start reading the meta-model ``resolve_metamodel(metamodel)`` will return, in a background thread, so that
    it is ready when the task's meta-features are: the read and the candidate pool's preparation are NumPy work
    that runs beside the meta-features' (about 0.1-0.3 s saved on two cores). An error is left for the caller's
    own ``resolve_metamodel`` to raise."""
    if metamodel is not None and not isinstance(metamodel, (str, Path)):
        return  # a model object: nothing to read

    def read():
        try:
            resolve_metamodel(metamodel)
        except Exception:  # reported where the model is used
            pass

    threading.Thread(target=read, name="automl-meta-metamodel-reader", daemon=True).start()


def _stamp(path: Path) -> tuple | None:
    """What tells that a model file changed: its and its description's modification times and sizes."""
    try:
        return tuple((s.st_mtime_ns, s.st_size) for s in (path.stat(), path.with_name(path.name + ".json").stat()))
    except OSError:
        return None
