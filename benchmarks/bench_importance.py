"""Permutation importance: seconds of the two ways ``feature_importances`` scores shuffled columns.

Out of fold (what ``automl-meta fit`` prints after every fit unless ``--no-importance``): the final model's
members are fitted on each fold's training rows, then each column of the fold's test rows is shuffled
``--repeats`` times and the fold's model predicts every shuffled copy. Compared: the shuffled copies stacked
and predicted in batches (``estimator._importance.BATCH_CELLS``, the code's way) against one prediction call
per shuffled copy (``BATCH_CELLS=1``, the way before); the importances must be equal (their largest difference
is reported); for a ``quality="best"`` fit, whose bagged members' fold models are reused (tables of at most
1,000 rows), also the seconds with them fitted again (``oof_bags_refitted_s``). On held-out rows
(``feature_importances(X, y)``, ``automl-meta importance``): the batched scoring against scikit-learn's
``permutation_importance`` (the way before), which draws other permutations, so the two are compared by the
rank correlation of their importances.

Tables (no download): the bundled penguins (multiclass, 344 rows), a seeded messy churn table
(``harness.synthetic.messy_customers``: currency and percent text, dates, free text, 900 rows, binary) and a
seeded mixed table of 3,000 rows and 30 columns (``mixed_frame``, binary). Each fit: ``time_budget=--budget``,
every core, seed 0, on 75% of the rows (the other 25% are the held-out rows).

Writes ``benchmarks/results/importance.csv`` and ``.md``.

Usage: python benchmarks/bench_importance.py [--budget 20] [--repeats 3] [--qualities medium,best] [--smoke]
"""

from __future__ import annotations

import time
import warnings
from dataclasses import replace

import numpy as np
import pandas as pd

from harness.cli import RESULTS, benchmark_parser, command_line
from harness.machine import machine_stamp
from harness.synthetic import messy_customers, mixed_frame

COLUMNS = ["table", "quality", "rows", "columns", "ensemble", "fit_s", "oof_batched_s", "oof_per_copy_s", "oof_max_diff",
           "oof_bags_refitted_s", "heldout_rows", "heldout_batched_s", "heldout_sklearn_s", "heldout_spearman"]


def tables(smoke: bool) -> list:
    """(name, features, target) of each table."""
    from automl_meta.data import read_table
    from automl_meta.examples import example_path

    penguins = read_table(example_path("penguins"))
    out = [("penguins", penguins.drop(columns=["species"]), penguins["species"])]
    if not smoke:
        churn = messy_customers()
        churn = churn[churn["Churn"].notna()].reset_index(drop=True)
        out.append(("messy_churn", churn.drop(columns=["Churn"]), churn["Churn"]))
        X, y = mixed_frame(3000, 30, seed=1)
        out.append(("mixed_3000x30", X, pd.Series(np.where(y == 1, "yes", "no"))))
    return out


def _seconds(call):
    began = time.perf_counter()
    result = call()
    return result, time.perf_counter() - began


def measure(name: str, X: pd.DataFrame, y: pd.Series, budget: float, repeats: int, quality: str) -> dict:
    from scipy.stats import spearmanr
    from sklearn.inspection import permutation_importance
    from sklearn.metrics import get_scorer

    from automl_meta import AutoMetaClassifier
    from automl_meta.estimator import _importance

    rng = np.random.default_rng(0)
    test = np.zeros(len(X), dtype=bool)
    test[rng.choice(len(X), len(X) // 4, replace=False)] = True
    model, fit_s = _seconds(lambda: AutoMetaClassifier(time_budget=budget, random_state=0, quality=quality).fit(
        X[~test], y[~test]))
    batched, oof_batched_s = _seconds(lambda: model.feature_importances(n_repeats=repeats, max_rows=1000))
    cells, _importance.BATCH_CELLS = _importance.BATCH_CELLS, 1
    try:
        per_copy, oof_per_copy_s = _seconds(lambda: model.feature_importances(n_repeats=repeats, max_rows=1000))
    finally:
        _importance.BATCH_CELLS = cells
    refitted_s = np.nan
    if model._training_rows.bags is not None:  # a best fit's bags reused, against its members fitted again
        rows = model._training_rows
        model._training_rows = replace(rows, bags=None)
        _, refitted_s = _seconds(lambda: model.feature_importances(n_repeats=repeats, max_rows=1000))
        model._training_rows = rows
    X_test, y_test = X[test].reset_index(drop=True), y[test].reset_index(drop=True)
    held, heldout_batched_s = _seconds(lambda: model.feature_importances(X_test, y_test, n_repeats=5))
    before, heldout_sklearn_s = _seconds(lambda: permutation_importance(
        model, X_test, y_test, scoring=get_scorer(model.metric_), n_repeats=5, random_state=0))
    sklearn_means = pd.Series(before.importances_mean, index=[str(c) for c in X_test.columns])
    return {"table": name, "quality": quality, "rows": len(X), "columns": X.shape[1], "ensemble": len(model.ensemble_),
            "fit_s": round(fit_s, 1), "oof_batched_s": round(oof_batched_s, 2), "oof_per_copy_s": round(oof_per_copy_s, 2),
            "oof_max_diff": float((batched["importance"] - per_copy["importance"].reindex(batched.index)).abs().max()),
            "oof_bags_refitted_s": round(refitted_s, 2),
            "heldout_rows": int(test.sum()), "heldout_batched_s": round(heldout_batched_s, 2),
            "heldout_sklearn_s": round(heldout_sklearn_s, 2),
            "heldout_spearman": round(float(spearmanr(held["importance"], sklearn_means.reindex(held.index)).statistic), 3)}


def main() -> None:
    parser = benchmark_parser(__doc__, budget=20.0, smoke=False, out_dir=RESULTS)
    parser.add_argument("--repeats", type=int, default=3, help="shuffles per column out of fold (the CLI's 3)")
    parser.add_argument("--qualities", default="medium,best", help="the presets fitted, comma-separated")
    args = parser.parse_args()
    command = command_line(parser, args)
    if args.smoke:
        args.budget, args.repeats = 5.0, 2
    warnings.simplefilter("ignore")  # the messy table's data warnings are what it is for; not this benchmark's
    rows = []
    for name, X, y in tables(args.smoke):
        for quality in args.qualities.split(","):
            rows.append(measure(name, X, y, args.budget, args.repeats, quality))
            print(rows[-1], flush=True)
    frame = pd.DataFrame(rows, columns=COLUMNS)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    frame.to_csv(args.out_dir / "importance.csv", index=False)
    (args.out_dir / "importance.md").write_text(
        f"# Permutation importance: batched against one prediction call per shuffled copy\n\n"
        f"_{machine_stamp()}_\n\nCommand: `{command}`\n\n{frame.to_markdown(index=False)}\n")
    print(frame.to_markdown(index=False))


if __name__ == "__main__":
    main()
