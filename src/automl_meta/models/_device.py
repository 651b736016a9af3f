"""Choosing the compute device: CUDA when asked for and present, the CPU otherwise."""

from __future__ import annotations

import contextlib
import functools
import os

from automl_meta.errors import ConfigError


def cuda_available() -> bool:
    """Whether torch sees a CUDA device. Without an NVIDIA driver (no CUDA driver library to load) the answer is
    no without importing torch: its import takes seconds on a slow machine, and ``device="auto"`` asks at the
    start of every fit."""
    if not nvidia_driver_present():
        return False
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        return False
    return bool(torch.cuda.is_available())


@functools.lru_cache(maxsize=None)
def nvidia_driver_present() -> bool:
    """Whether the CUDA driver library (libcuda, nvcuda.dll on Windows) can be loaded: every CUDA device needs it."""
    import ctypes
    import sys

    names = ("nvcuda.dll",) if sys.platform == "win32" else ("libcuda.so.1", "libcuda.so", "libcuda.dylib")
    for name in names:
        try:
            ctypes.CDLL(name)
            return True
        except OSError:
            continue
    return False


def resolve_device(device: str = "auto") -> str:
    """``"auto"`` -> ``"cuda"`` when a CUDA device is visible, else ``"cpu"``; ``"cpu"`` and ``"cuda[:N]"``
    as given (``"cuda"`` without a GPU is an error, not a silent fall-back)."""
    d = str(device).strip().lower()
    if d == "auto":
        return "cuda" if cuda_available() else "cpu"
    if d == "cpu":
        return "cpu"
    if d == "cuda" or d.startswith("cuda:"):
        if not cuda_available():
            raise ConfigError(f"device={device!r} but no CUDA device is available. Use device='auto' or 'cpu'.")
        return d
    raise ConfigError(f"Unknown device {device!r}. Use 'auto', 'cpu' or 'cuda' (or 'cuda:N').")


def is_gpu(device) -> bool:
    """Whether ``device`` means a GPU: ``"cuda[:N]"``, or ``"auto"`` where one is visible. Unlike
    :func:`resolve_device` it does not check that a named GPU exists (a plan for a GPU machine may be made on
    one without)."""
    d = str(device).strip().lower()
    return d.startswith("cuda") or (d == "auto" and cuda_available())


def adapt_to_device(strategy, device, n_rows: int | None = None):
    """``strategy`` as it trains on ``device`` on ``n_rows`` training rows: on a GPU (:func:`is_gpu`) an MLP
    with a GPU's batch where the rows allow (:func:`automl_meta.space.for_gpu`); anything else as it is.
    Idempotent.

    Applied where a model is built and where an evaluation records its strategy, so that what the
    meta-dataset stores is what ran; the search space itself is the same on every device.
    """
    if strategy.family != "mlp" or not is_gpu(device):
        return strategy
    from automl_meta.space import for_gpu

    return for_gpu(strategy, n_rows)


@functools.lru_cache(maxsize=None)
def lightgbm_gpu_device() -> str | None:
    """The ``device_type`` under which this LightGBM build trains on a GPU (``"cuda"``, else the OpenCL
    ``"gpu"``), or None. LightGBM has no query for how it was built, and the PyPI wheels are CPU-only, so a
    tiny booster is trained once per process under each; asked only when a fit's device is CUDA."""
    try:
        import lightgbm
        import numpy as np
    except ImportError:  # pragma: no cover - lightgbm is optional
        return None
    X = np.arange(40, dtype=float).reshape(20, 2)
    y = np.arange(20) % 2
    for device_type in ("cuda", "gpu"):
        try:
            with _native_output_silenced():  # a CPU build prints "[Fatal] ... not enabled in this build"
                lightgbm.train({"device_type": device_type, "verbose": -1, "num_iterations": 1,
                                "min_data_in_leaf": 1}, lightgbm.Dataset(X, y))
            return device_type
        except Exception:  # LightGBMError: "... was not enabled in this build", or no OpenCL/CUDA device
            continue
    return None


@contextlib.contextmanager
def _native_output_silenced():
    """Standard output and error of native code (file descriptors 1 and 2) to /dev/null for the block."""
    saved = [os.dup(1), os.dup(2)]
    with open(os.devnull, "w") as null:
        try:
            os.dup2(null.fileno(), 1)
            os.dup2(null.fileno(), 2)
            yield
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


#: GPU memory one trial may take: its CUDA context (about 0.5 GiB) and a network or booster of the space's
#: sizes on up to a few hundred thousand rows.
GPU_BYTES_PER_TRIAL = 2 * 1024**3


def gpu_trial_slots(device: str, per_trial: int = GPU_BYTES_PER_TRIAL) -> int | None:
    """How many trials can share the GPU of ``device`` at once (at least 1): its free memory over
    ``per_trial``; None when ``device`` is not a GPU. Trials of every family run in the evaluation workers, and
    each worker that trains a network or a GPU booster holds a CUDA context, so the workers are capped by it."""
    if not str(device).startswith("cuda"):
        return None
    import torch

    index = int(device.split(":")[1]) if ":" in device else torch.cuda.current_device()
    free, _total = torch.cuda.mem_get_info(index)
    return max(1, int(free // per_trial))
