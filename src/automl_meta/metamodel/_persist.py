"""A trained meta-model on disk: ``PATH`` holds its arrays, ``PATH.json`` describes it.

Format 3 (this one): ``PATH`` is a NumPy ``.npz`` archive (read with ``allow_pickle=False``: nothing but
arrays), so that loading needs neither torch nor a JSON parse of every candidate. It holds the networks'
weights stacked over the members (``network.*``), the meta-feature scaler, the training tasks' meta-features,
the strategy prior, and the candidate pool with its encodings, keys, families and JSON (``pool.*``,
:class:`~automl_meta.metamodel._pool.CandidatePool`). ``PATH.json`` holds the versions, the configuration,
the training tasks' names and best strategies, the timing provenance and the training summary.

Every change of layout raises :data:`FORMAT_VERSION` and adds one step to :data:`_MIGRATIONS`, which turns a
file of the previous version into the arrays and description of the next: a file of any older version still
loads, migrated step by step in memory. ``automl-meta metamodel migrate`` writes the result.

Formats: 2 (2026-11): a torch file of the members' state dicts, candidates as JSON in the description; 3
(2026-12): NumPy arrays, the candidate pool prepared.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import numpy as np

from automl_meta.errors import MetaModelError

FORMAT = "automl-meta-metamodel"
FORMAT_VERSION = 3


def description_path(path: Path) -> Path:
    """``PATH.json``, the description beside a model file."""
    return path.with_name(path.name + ".json")


def save(model, path) -> Path:
    """Write ``model``'s arrays to ``path`` (atomically: a reader never sees half a file) and its description to
    ``path.json``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **model.arrays_to_save())
    _write_atomically(path, buffer.getvalue())
    meta = {"format": FORMAT, "format_version": FORMAT_VERSION, **model.description_to_save()}
    _write_atomically(description_path(path), json.dumps(meta).encode())
    return path


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def read(path) -> tuple[dict, dict]:
    """The arrays and description of the model at ``path``, migrated to :data:`FORMAT_VERSION`; a missing,
    corrupted, foreign or newer file is a :class:`MetaModelError` that says what to do."""
    path = Path(path)
    meta_path = description_path(path)
    for p in (path, meta_path):
        if not p.is_file():
            raise MetaModelError(f"Meta-model file {str(p)!r} does not exist. Train one with `automl-meta metamodel train`.")
    try:
        meta = json.loads(meta_path.read_text())
    except (ValueError, UnicodeDecodeError) as exc:
        raise MetaModelError(f"{str(meta_path)!r} is not a meta-model description ({exc}). Retrain or re-download the model.") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise MetaModelError(f"{str(meta_path)!r} is not an automl-meta meta-model description.")
    version = meta.get("format_version")
    if version not in _MIGRATIONS and version != FORMAT_VERSION:
        raise MetaModelError(f"Meta-model {str(path)!r} has file format {version}; this automl-meta reads formats "
                             f"{min(_MIGRATIONS)} to {FORMAT_VERSION}. Retrain it with `automl-meta metamodel train`.")
    _check_versions(path, meta)
    arrays = _read_torch(path) if version == 2 else _read_npz(path)
    while version != FORMAT_VERSION:
        try:
            arrays, meta = _MIGRATIONS[version](arrays, meta)
        except (KeyError, ValueError) as exc:
            raise MetaModelError(f"{str(path)!r} does not match its description {str(meta_path)!r} ({exc}). Retrain it.") from exc
        version = meta["format_version"]
    return arrays, meta


def _check_versions(path: Path, meta: dict) -> None:
    from automl_meta.metafeatures import VERSION
    from automl_meta.space import SPACE_VERSION

    if meta.get("metafeatures_version") != VERSION or meta.get("space_version") != SPACE_VERSION:
        raise MetaModelError(
            f"Meta-model {str(path)!r} was trained for meta-features v{meta.get('metafeatures_version')} and space "
            f"v{meta.get('space_version')}; this automl-meta has v{VERSION} and v{SPACE_VERSION}. "
            "Retrain it with `automl-meta metamodel train`.")


def _unreadable(path: Path, exc: Exception) -> MetaModelError:
    return MetaModelError(f"{str(path)!r} is not a readable meta-model weights file ({type(exc).__name__}). "
                          "Retrain it or restore the file.")


def _read_npz(path: Path) -> dict:
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except Exception as exc:  # a truncated archive, a pickle (refused), anything but arrays
        raise _unreadable(path, exc) from exc


def _read_torch(path: Path) -> dict:
    """A format-2 file: torch tensors (loaded with ``weights_only``: no pickled objects), as arrays."""
    import torch

    try:
        tensors = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise _unreadable(path, exc) from exc
    return {name: value.numpy() for name, value in tensors.items()}


def _from_v2(arrays: dict, meta: dict) -> tuple[dict, dict]:
    """Format 2 -> 3: the members' state dicts stacked into ``network.*``; the candidates, JSON in the
    description, built into the candidate pool with the fresh samples a format-2 model drew on each call."""
    from automl_meta.metamodel._inference import NetworkEnsemble
    from automl_meta.metamodel._pool import N_FRESH, CandidatePool
    from automl_meta.metamodel._targets import StrategyPrior
    from automl_meta.space import Strategy

    config = meta["config"]
    members = [{k[len(f"member{i}."):]: v for k, v in arrays.items() if k.startswith(f"member{i}.")}
               for i in range(config["n_members"])]
    out = {k: v for k, v in arrays.items() if not k.startswith("member")}
    out.update(NetworkEnsemble.from_state_dicts(members).arrays())
    stored = [Strategy.from_dict(c) for c in meta["candidates"]]
    pool = CandidatePool.default(stored, N_FRESH, random_state=config.get("random_state", 0))
    out.update(pool.arrays())
    out["pool.nearest_common"] = StrategyPrior.nearest_of(arrays["prior.encodings"], pool.encodings)
    meta = {k: v for k, v in meta.items() if k != "candidates"}
    meta.update(format_version=3, n_stored=len(stored))
    meta["config"] = {"neighbours": 0, "set_neighbours": 0, **config}  # files before these had neither
    return out, meta


#: ``version -> step`` turning a file's arrays and description of that version into the next version's.
_MIGRATIONS = {2: _from_v2}


def migrate(path, out=None) -> Path:
    """Rewrite the model at ``path`` (any readable format) in :data:`FORMAT_VERSION`, at ``out`` (default: beside
    it, the same name with ``.npz``)."""
    from automl_meta.metamodel._model import MetaModel

    path = Path(path)
    model = MetaModel.from_saved(*read(path))
    return save(model, out or path.with_suffix(".npz"))


def cached_array(key: bytes, compute) -> np.ndarray:
    """``compute()``, kept in ``<data home>/cache`` under a digest of ``key`` and read back (memory-mapped) by
    later processes: for arrays that a model file determines but that cost more to compute than to read (the
    networks' strategy embeddings of the candidate pool: 90 ms to compute, 22 MB, a few ms to map). Where the
    cache cannot be read or written, the array is computed, and nothing else changes."""
    import hashlib

    from automl_meta.data import data_home

    path = data_home() / "cache" / f"{hashlib.sha256(key).hexdigest()[:32]}.npy"
    try:
        return np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError):
        pass
    array = compute()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            np.save(fh, array, allow_pickle=False)
        os.replace(tmp, path)
        _drop_oldest(path.parent, keep=CACHE_FILES)
    except OSError:
        pass
    return array


#: Arrays the cache keeps (each meta-model retrained by ``metamodel update`` adds one of about 22 MB).
CACHE_FILES = 4


def _drop_oldest(folder: Path, keep: int) -> None:
    """Remove all but the ``keep`` most recently written ``.npy`` files of the cache ``folder``."""
    files = sorted(folder.glob("*.npy"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for old in files[keep:]:
        old.unlink(missing_ok=True)

