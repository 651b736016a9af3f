"""Saving and loading fitted estimators, signed so that a received file is not unpickled by accident.

A fitted scikit-learn model can only be stored as a pickle, and unpickling runs whatever code the file holds.
So a model file carries an HMAC-SHA256 of its payload under a secret key kept in the user's data folder
(created on first use, readable by the user alone): ``load_model`` unpickles a file only when the signature
matches, i.e. when this user's automl-meta wrote it and nobody changed it since. A file from a colleague is
refused with :class:`~automl_meta.errors.UntrustedFileError` unless the caller says it trusts it
(``trust=True``, the CLI's ``--trust``). A truncated or edited file fails the same check, before any byte of
it is unpickled.

Layout: the line ``automl-meta model\\n``, one JSON header line (format, version, signature), the joblib payload.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import secrets
from pathlib import Path

from automl_meta.errors import DataError, StorageError, UntrustedFileError

MAGIC = b"automl-meta model\n"
FORMAT = 1
KEY_FILE = "model-signing.key"


def _key() -> bytes:
    from automl_meta.data import data_home

    path = data_home() / KEY_FILE
    try:
        return bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        pass
    except ValueError as exc:
        raise StorageError(f"The model-signing key {str(path)!r} is damaged. Delete it; models saved before "
                           "then will need --trust to load.") from exc
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # O_EXCL: two first uses agree on one key
    with os.fdopen(fd, "w") as fh:
        fh.write(key.hex())
    return key


def _signature(payload: bytes) -> str:
    return hmac.new(_key(), payload, hashlib.sha256).hexdigest()


def save_model(estimator, path) -> Path:
    """Write a fitted estimator to ``path`` (signed with this user's key); returns the path."""
    import joblib

    from automl_meta._internal._version import __version__

    buffer = io.BytesIO()
    joblib.dump(estimator, buffer, compress=3)
    payload = buffer.getvalue()
    header = json.dumps({"format": FORMAT, "automl_meta": __version__, "class": type(estimator).__name__,
                         "hmac_sha256": _signature(payload)}).encode() + b"\n"
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_bytes(MAGIC + header + payload)
        os.replace(tmp, path)  # never a half-written model under the final name
    except OSError as exc:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass  # the folder itself is not there or not writable: nothing was written
        raise StorageError(f"Cannot write the model to {str(path)!r} ({exc.strerror or exc}). Choose a writable path.") from exc
    return path


def check_writable(path) -> Path:
    """Fail now, before a search that may take hours, when a model cannot be written to ``path``: it must not be
    a folder, and its folder must exist and take a new file (a probe file is written there and removed)."""
    path = Path(path)
    if path.is_dir():
        raise StorageError(f"Cannot write the model to {str(path)!r}: it is a folder. Give a file name, such as "
                           f"{str(path / 'model.amm')!r}.")
    folder = path.parent
    if not folder.is_dir():
        raise StorageError(f"Cannot write the model to {str(path)!r}: the folder {str(folder)!r} does not exist. "
                           "Create it, or choose a path in an existing folder.")
    probe = folder / f".{path.name}.{os.getpid()}.probe"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise StorageError(f"Cannot write the model to {str(path)!r} ({exc.strerror or exc}). Choose a writable "
                           "path.") from exc
    return path


def load_model(path, trust: bool = False):
    """Load an estimator written by :func:`save_model`.

    Parameters
    ----------
    path : str or Path
    trust : bool, default=False
        Load even when the signature does not match this user's key (a file from someone else). Loading runs
        code from the file: only for files whose origin you trust.
    """
    import joblib

    from automl_meta.estimator._base import _AutoMetaBase

    path = Path(path)
    if not path.is_file():
        what = "is a folder" if path.is_dir() else "does not exist"
        raise DataError(f"Model file {str(path)!r} {what}. Pass the file written by `automl-meta fit --out`.")
    with open(path, "rb") as fh:
        magic = fh.read(len(MAGIC))
        if magic != MAGIC:
            raise DataError(f"{str(path)!r} is not a model saved by automl-meta (it does not start with "
                            f"{MAGIC.strip().decode()!r}). Fit one with `automl-meta fit --out`.")
        try:
            header = json.loads(fh.readline(4096))
        except ValueError as exc:
            raise DataError(f"{str(path)!r} has a damaged header. Fit the model again.") from exc
        payload = fh.read()
    if header.get("format") != FORMAT:
        raise DataError(f"{str(path)!r} is a model file of format {header.get('format')!r}; this automl-meta reads "
                        f"format {FORMAT}. Fit the model again with this version.")
    if not trust and not hmac.compare_digest(str(header.get("hmac_sha256", "")), _signature(payload)):
        raise UntrustedFileError(
            f"{str(path)!r} was not written by this user's automl-meta, or was changed or truncated since: its "
            "signature does not match. Loading it would run code from the file. If you trust where it came from, "
            "pass trust=True (CLI: --trust); otherwise fit the model again.")
    try:
        estimator = joblib.load(io.BytesIO(payload))
    except Exception as exc:
        raise DataError(f"{str(path)!r} could not be read ({type(exc).__name__}: {exc}). Fit the model again.") from exc
    if not isinstance(estimator, _AutoMetaBase):
        raise DataError(f"{str(path)!r} holds a {type(estimator).__name__}, not an automl-meta estimator.")
    return estimator
