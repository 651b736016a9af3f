"""A grown LightGBM's leaves at fixed seconds: which tree size a time-bound refit on a large table should take.

The table of ``bench_large_tables.py`` (its 80/20 split); the LightGBM a 60 s fit of its 500,000 rows chose
(searched on 18,000 rows: 60 leaves, learning rate 0.213, ``bench_refit_rows.py``'s "chosen"), fitted with each
``--leaves`` on the first ``n`` rows of a seeded permutation of the training rows, for each ``n`` of ``--rows``,
one core, growing trees until ``max(--seconds)`` have passed (the rows' binning counted) and stopping on 20,000
other training rows by their ROC AUC, as a grown refit does (``automl_meta.models.HeldOutStopping``). For each
of ``--seconds``: the trees grown by then, the best of them on the rows stopped on, and that count's test ROC
AUC. What it answers: where a refit ends at its deadline still gaining, do larger trees gain more per second?

Usage: python benchmarks/bench_refit_leaves.py [--table-rows 500000] [--rows 71000,150000,380000]
       [--leaves 60,127,255] [--seconds 10,20,32] [--out benchmarks/results/refit_leaves.csv]
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd

from bench_large_tables import split_table
from bench_refit_rows import _CHOSEN
from harness.cli import RESULTS, benchmark_parser
from harness.machine import machine_stamp

STOPPING_ROWS = 20_000


def grown(X, y, stop_X, stop_y, leaves: int, seconds: float):
    """The chosen LightGBM with ``leaves`` leaves grown on (X, y) for ``seconds``: the model, each tree's end in
    seconds from the fit's start, and each tree count's ROC AUC on the rows to stop on."""
    import lightgbm

    ends, began = [], time.perf_counter()

    def until_deadline(env):
        ends.append(time.perf_counter() - began)
        if ends[-1] > seconds:
            raise lightgbm.callback.EarlyStopException(env.iteration, env.evaluation_result_list)

    params = {**_CHOSEN, "num_leaves": leaves, "n_estimators": 100_000}
    model = lightgbm.LGBMClassifier(**params, n_jobs=1, verbose=-1, random_state=0)
    model.fit(X, y, eval_set=[(stop_X, stop_y)], eval_metric="auc", callbacks=[until_deadline])
    return model, np.array(ends), np.array(model.evals_result_["valid_0"]["auc"])


def run(table_rows: int, sizes: list[int], leaves: list[int], seconds: list[float]) -> list[dict]:
    from sklearn.metrics import roc_auc_score

    X_train, X_test, y_train, y_test = split_table(table_rows)
    for column in ("region", "code"):  # LightGBM's own categorical handling, as the project's "native" encoding
        X_train[column] = X_train[column].astype("category")
        X_test[column] = X_test[column].astype(X_train[column].dtype)
    order = np.random.default_rng(0).permutation(len(X_train))
    stop = order[-min(STOPPING_ROWS, len(order) // 5):]
    rows = []
    for n in sizes:
        fit_on = order[:min(n, len(order) - len(stop))]
        for leaf_count in leaves:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model, ends, auc = grown(X_train.iloc[fit_on], y_train[fit_on], X_train.iloc[stop], y_train[stop],
                                         leaf_count, max(seconds))
            for limit in seconds:
                trees = int(np.searchsorted(ends, limit))  # the trees finished within the limit
                best = int(np.argmax(auc[:trees])) + 1 if trees else 0
                score = roc_auc_score(y_test, model.predict_proba(X_test, num_iteration=best)[:, 1]) if best else np.nan
                rows.append({"rows": len(fit_on), "leaves": leaf_count, "seconds": limit, "trees_grown": trees,
                             "best_trees": best, "test_roc_auc": round(float(score), 4)})
                print(rows[-1], flush=True)
    return rows


def main() -> None:
    parser = benchmark_parser(__doc__, out=RESULTS / "refit_leaves.csv")
    parser.add_argument("--table-rows", type=int, default=500_000)
    parser.add_argument("--rows", default="71000,150000,380000")
    parser.add_argument("--leaves", default="60,127,255")
    parser.add_argument("--seconds", default="10,20,32")
    args = parser.parse_args()
    frame = pd.DataFrame(run(args.table_rows, [int(n) for n in args.rows.split(",")],
                             [int(n) for n in args.leaves.split(",")], [float(s) for s in args.seconds.split(",")]))
    frame.to_csv(args.out, index=False)
    print(machine_stamp())
    print(frame.pivot_table(index=["rows", "seconds"], columns="leaves", values="test_roc_auc").to_markdown())


if __name__ == "__main__":
    main()
