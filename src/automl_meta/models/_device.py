"""Choosing the compute device: CUDA when asked for and present, the CPU otherwise."""

from __future__ import annotations

from automl_meta.errors import ConfigError


def cuda_available() -> bool:
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        return False
    return bool(torch.cuda.is_available())


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
