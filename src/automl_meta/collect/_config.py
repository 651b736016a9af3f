"""How a meta-dataset is built (no heavy imports: the command's --help shows these defaults)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class BuildConfig:
    """How a meta-dataset is built; recorded as provenance. See ``automl-meta metadataset build --help``."""

    n_common: int = 64
    n_specific: int = 32
    max_rows: int = 1000
    cv: int = 3
    time_limit: float = 30.0
    rounds: int = 4
    large_rows: int = 10_000
    large_min_rows: int = 3_000
    n_common_large: int = 32
    large_time_limit: float = 60.0
    jobs: int = 2
    random_state: int = 0
    families: list | None = None  # restrict the common set and the TPE runs (None: every available family)
