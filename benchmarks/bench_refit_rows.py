"""One strategy fitted on more and more of a large table's training rows: fit seconds and test ROC AUC.

What a large table's refit buys with rows, and what it costs: the table of ``bench_large_tables.py`` (its
80/20 split), each strategy of ``--strategies`` fitted alone (one core, the project's preprocessing) on the
first ``n`` rows of a seeded permutation of the training rows, for each ``n`` of ``--rows``, and scored on the
test rows. The default strategies are the LightGBM a 60 s fit of the 500,000-row table chose (searched on
18,000 rows) and the same with ``reg_lambda=1`` or ``min_child_samples`` 20 or 66.

Usage: python benchmarks/bench_refit_rows.py [--table-rows 500000] [--rows 12000,36000,100000,200000,400000]
       [--strategies 'name=family:{json params};...'] [--out benchmarks/results/refit_rows.csv]
"""

from __future__ import annotations

import json
import time
import warnings

import numpy as np
import pandas as pd

from bench_large_tables import make_table
from harness.cli import RESULTS, benchmark_parser
from harness.machine import machine_stamp

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


def run(table_rows: int, sizes: list[int], strategies: dict) -> pd.DataFrame:
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split

    from automl_meta.models import build_model
    from automl_meta.space import Strategy

    X, y = make_table(table_rows)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0, stratify=y)
    order = np.random.default_rng(0).permutation(len(X_train))
    rows = []
    for name, (family, params) in strategies.items():
        for n in sizes:
            if n > len(X_train):
                continue
            take = order[:n]
            model = build_model(Strategy(family, params), "binary", n_rows=n)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                began = time.perf_counter()
                model.fit(X_train.iloc[take], y_train[take])
                seconds = time.perf_counter() - began
                auc = roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])
            rows.append({"strategy": name, "rows": n, "fit_s": round(seconds, 2), "test_roc_auc": round(auc, 4)})
            print(rows[-1], flush=True)
    return pd.DataFrame(rows)


def main() -> None:
    parser = benchmark_parser(__doc__, out=RESULTS / "refit_rows.csv")
    parser.add_argument("--table-rows", type=int, default=500_000)
    parser.add_argument("--rows", default="12000,36000,100000,200000,400000")
    parser.add_argument("--strategies", default=None)
    args = parser.parse_args()
    frame = run(args.table_rows, [int(n) for n in args.rows.split(",")], parse_strategies(args.strategies))
    frame.to_csv(args.out, index=False)
    print(machine_stamp())
    print(frame.pivot(index="rows", columns="strategy", values="test_roc_auc").to_markdown())


if __name__ == "__main__":
    main()
