"""What the final model's members cost to use: prediction seconds per 1,000 rows and size in bytes, as
AutoGluon's leaderboard shows them. Measured once, at the end of ``fit``, on (at most) 1,000 of its rows."""

from __future__ import annotations

import pickle
import time

import numpy as np
import pandas as pd

#: Rows the prediction time is measured on.
COST_ROWS = 1000


class _ByteCounter:
    """A file that counts what is written to it: a model's pickled size without holding the bytes."""

    def __init__(self):
        self.size = 0

    def write(self, data) -> int:
        # bytes, or (protocol 5, large arrays) a PickleBuffer: its size in bytes either way
        size = memoryview(data).nbytes
        self.size += size
        return size


def pickled_size(model) -> int:
    counter = _ByteCounter()
    pickle.dump(model, counter, protocol=pickle.HIGHEST_PROTOCOL)
    return counter.size


def predict_seconds_per_1k(model, X: pd.DataFrame, classes) -> float:
    """Seconds ``model`` takes to predict 1,000 rows (probabilities for a classifier), from one call on ``X``
    after a call on its first row (which pays one-off costs: thread pools started, lazy imports)."""
    from automl_meta.evaluate import predict_for_scoring

    predict_for_scoring(model, X.iloc[:1], classes)
    began = time.perf_counter()
    predict_for_scoring(model, X, classes)
    return (time.perf_counter() - began) * 1000 / len(X)


def member_costs(final, X: pd.DataFrame, classes, known: dict | None = None) -> dict:
    """{str(strategy): (prediction seconds per 1,000 rows, bytes)} of each member of the final model; those in
    ``known`` (an earlier final model's, of the same fit: one refit per strategy) are not measured again."""
    sample, known = X.iloc[:COST_ROWS], known or {}
    return {str(member["strategy"]): known.get(str(member["strategy"]))
            or (predict_seconds_per_1k(model, sample, classes), pickled_size(model))
            for member, model in zip(final.members, final.member_models)}


def with_costs(board: pd.DataFrame, costs: dict) -> pd.DataFrame:
    """The leaderboard with ``predict_s_per_1k_rows`` and ``size_bytes`` for the final model's members (and the
    ensemble row, their sums); NaN for trials whose models were not kept."""
    seconds = board["strategy"].map({k: v[0] for k, v in costs.items()}).astype(float)
    size = board["strategy"].map({k: v[1] for k, v in costs.items()}).astype(float)
    ensemble = (board["origin"] == "ensemble").to_numpy()
    if ensemble.any():
        seconds[ensemble] = sum(v[0] for v in costs.values())
        size[ensemble] = sum(v[1] for v in costs.values())
    return board.assign(predict_s_per_1k_rows=seconds.round(6), size_bytes=size.astype("Int64"))
