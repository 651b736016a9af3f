"""Where a build's units of work run: joblib's local processes (loky) by default, or a Dask cluster through
joblib's Dask backend (a scheduler's address, or a ``LocalCluster`` started here)."""

from __future__ import annotations

import contextlib
import logging

log = logging.getLogger("automl_meta.collect")


@contextlib.contextmanager
def execution_backend(jobs: int, scheduler: str | None = None, dask: bool = False):
    """Within it, :func:`run_units` runs on ``jobs`` local worker processes, on the Dask cluster at
    ``scheduler``, or on a local Dask cluster of ``jobs`` single-threaded workers (``dask=True``)."""
    import joblib

    if scheduler is None and not dask:
        with joblib.parallel_config(backend="loky", n_jobs=jobs):
            yield
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        from automl_meta.errors import ConfigError

        raise ConfigError("A Dask build needs dask.distributed: pip install 'automl-meta[distributed]'.") from exc
    if scheduler is not None:
        cluster, client = None, Client(scheduler)
    else:
        cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    log.info("building on the Dask cluster %s (%d workers)", client.scheduler.address, len(client.scheduler_info()["workers"]))
    try:
        with joblib.parallel_config(backend="dask", n_jobs=-1):
            yield
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _indexed(index: int, function, arguments: tuple):
    return index, function(*arguments)


def run_units(jobs, total: int | None = None, progress: bool = False, desc: str = ""):
    """Run ``(function, arguments)`` jobs (any iterable, consumed as workers free up) on the current backend;
    yield ``(index, result)`` as each finishes, in any order, so that results are stored while others run."""
    from joblib import Parallel, delayed

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, desc=desc, unit="eval", dynamic_ncols=True)
    try:
        for index, result in Parallel(return_as="generator_unordered", pre_dispatch="3*n_jobs")(
                delayed(_indexed)(i, function, arguments) for i, (function, arguments) in enumerate(jobs)):
            if bar is not None:
                bar.update(1)
            yield index, result
    finally:
        if bar is not None:
            bar.close()
