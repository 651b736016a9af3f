"""How many threads a fit, or a piece of one, may use."""

from __future__ import annotations

import contextlib
import warnings


def limit_threads(n_jobs):
    """OpenMP/BLAS threads as many as a model's ``n_jobs`` while it fits (no limit for 0 or None): left alone,
    HistGradientBoosting and the boosters take every core and, on a busy machine, spin-wait each other."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=n_jobs) if n_jobs else contextlib.nullcontext()


@contextlib.contextmanager
def quiet_fit(n_jobs):
    """A model's fit on ``n_jobs`` threads (``limit_threads``) with its warnings silenced: convergence chatter;
    failures surface as exceptions or NaN scores."""
    with limit_threads(n_jobs), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@contextlib.contextmanager
def torch_threads(n_threads):
    """torch's intra-op threads set to ``n_threads`` (unchanged for 0 or None), and restored after: small
    networks run fastest on one thread (thread start-up dominates), and leave the other cores to trials."""
    import torch

    before = torch.get_num_threads()
    if n_threads:
        torch.set_num_threads(int(n_threads))
    try:
        yield
    finally:
        torch.set_num_threads(before)
