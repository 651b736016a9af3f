"""One strategy fitted on more and more of a large table's training rows: fit seconds and test ROC AUC.

What a large table's refit buys with rows, and what it costs: the table of ``bench_large_tables.py`` (its
80/20 split), each strategy of ``--strategies`` fitted alone (one core, the project's preprocessing) on the
first ``n`` rows of a seeded permutation of the training rows, for each ``n`` of ``--rows``, and scored on the
test rows. The default strategies are the LightGBM a 60 s fit of the 500,000-row table chose (searched on
18,000 rows) and the same with ``reg_lambda=1`` or ``min_child_samples`` 20 or 66.

With ``--corpus-tasks`` (needs the corpus), the same on real tables instead: each named task of the corpus
manifest split 80/20 (seeded; stratified for classification), the strategies fitted on a tenth of its training
rows and on all of them, scored with the task's metric (ROC AUC, one-vs-rest for multiclass; R²): whether what
the synthetic table shows (a strategy that gets worse with rows) happens on real ones.

Usage: python benchmarks/bench_refit_rows.py [--table-rows 500000] [--rows 12000,36000,100000,200000,400000]
       [--strategies 'name=family:{json params};...'] [--out benchmarks/results/refit_rows.csv]
       python benchmarks/bench_refit_rows.py --corpus-tasks uci_regression/kin40k,... --out results/refit_rows_corpus.csv
"""

from __future__ import annotations

import json
import time
import warnings

import numpy as np
import pandas as pd

from bench_large_tables import split_table
from harness.cli import RESULTS, benchmark_parser
from harness.machine import machine_stamp
from harness.peers import test_score

_CHOSEN = {"learning_rate": 0.213, "num_leaves": 60, "min_child_samples": 2, "reg_lambda": 1.75e-06,
           "colsample_bytree": 0.997, "n_estimators": 468}
DEFAULT_STRATEGIES = {
    "chosen": ("lightgbm", _CHOSEN),
    "reg_lambda=1": ("lightgbm", {**_CHOSEN, "reg_lambda": 1.0}),
    "min_child_samples=20": ("lightgbm", {**_CHOSEN, "min_child_samples": 20}),
    "min_child_samples=66": ("lightgbm", {**_CHOSEN, "min_child_samples": 66}),
}


def parse_strategies(text: str | None) -> dict:
    """``name=family:{json}`` separated by ``;`` (None: the defaults)."""
    if not text:
        return DEFAULT_STRATEGIES
    out = {}
    for item in text.split(";"):
        name, rest = item.split("=", 1)
        family, params = rest.split(":", 1)
        out[name.strip()] = (family.strip(), json.loads(params))
    return out


def synthetic_split(table_rows: int):
    return ("synthetic", "binary", "roc_auc", *split_table(table_rows))


def corpus_split(name: str):
    """A corpus task (its rows with a target) split 80/20 as the synthetic table is."""
    from sklearn.model_selection import train_test_split

    from automl_meta.data._corpus import load_manifest, task_from_manifest_row

    manifest = load_manifest()
    task = task_from_manifest_row(manifest[manifest["name"] == name].iloc[0])
    y = np.asarray(task.y)
    stratify = y if task.kind != "regression" else None
    return (name, task.kind, task.metric, *train_test_split(task.X, y, test_size=0.2, random_state=0, stratify=stratify))


def run(split, sizes: list[int], strategies: dict) -> list[dict]:
    """Each strategy fitted on the first ``n`` rows of a seeded permutation of the training rows, per ``n``."""
    from automl_meta.models import build_model
    from automl_meta.space import Strategy

    table, kind, metric, X_train, X_test, y_train, y_test = split
    order = np.random.default_rng(0).permutation(len(X_train))
    rows = []
    for name, (family, params) in strategies.items():
        for n in sizes:
            if n > len(X_train):
                continue
            take = order[:n]
            model = build_model(Strategy(family, params), kind, n_rows=n)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                began = time.perf_counter()
                model.fit(X_train.iloc[take], y_train[take])
                seconds = time.perf_counter() - began
                score = test_score(metric, model, X_test, y_test)
            rows.append({"table": table, "metric": metric, "strategy": name, "rows": n, "fit_s": round(seconds, 2),
                         "test_score": round(score, 4)})
            print(rows[-1], flush=True)
    return rows


def main() -> None:
    parser = benchmark_parser(__doc__, out=RESULTS / "refit_rows.csv")
    parser.add_argument("--table-rows", type=int, default=500_000)
    parser.add_argument("--rows", default="12000,36000,100000,200000,400000")
    parser.add_argument("--strategies", default=None)
    parser.add_argument("--corpus-tasks", default=None, help="corpus tasks, comma-separated, instead of the synthetic table")
    args = parser.parse_args()
    strategies = parse_strategies(args.strategies)
    rows = []
    if args.corpus_tasks:
        for name in args.corpus_tasks.split(","):
            split = corpus_split(name)
            n_train = len(split[3])
            rows += run(split, [n_train // 10, n_train], strategies)
    else:
        rows = run(synthetic_split(args.table_rows), [int(n) for n in args.rows.split(",")], strategies)
    frame = pd.DataFrame(rows)
    frame.to_csv(args.out, index=False)
    print(machine_stamp())
    print(frame.pivot_table(index=["table", "rows"], columns="strategy", values="test_score").to_markdown())


if __name__ == "__main__":
    main()
