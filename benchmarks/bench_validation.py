"""Validation data against cross-validation on a large table: seconds per trial.

The task: a seeded synthetic classification table of ``--rows`` x 20 (100,000 by default), its last 20% the
validation rows. ``AutoMetaClassifier(n_trials=--trials, warm_start=False, random_state=0, n_jobs=1)`` fitted
twice on the first 80%: with ``cv=5``, and with ``X_val``/``y_val`` = the last 20%. The same seed samples the
same strategies in both (TPE's first trials are its random start-up). Reported per strategy: the trial's
seconds either way and their ratio, and the mean ratio (the target: at most 60%).

Usage: python benchmarks/bench_validation.py [--rows 100000] [--trials 4] [--out benchmarks/results/validation.md]
"""

from __future__ import annotations

import warnings

import pandas as pd

from harness.cli import RESULTS, benchmark_parser, command_line
from harness.machine import machine_stamp

FAMILIES = ["linear", "hist_gb", "random_forest", "lightgbm"]


def fit_trials(X, y, trials: int, **validation) -> pd.DataFrame:
    from automl_meta import AutoMetaClassifier

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = AutoMetaClassifier(n_trials=trials, cv=5, warm_start=False, families=FAMILIES, metadataset=False,
                                   random_state=0, n_jobs=1, ensemble=False).fit(X, y, **validation)
    board = model.leaderboard_[model.leaderboard_["origin"] != "ensemble"]
    return board.set_index("trial")[["strategy", "status", "fit_seconds", "score"]]


def main() -> None:
    from sklearn.datasets import make_classification

    parser = benchmark_parser(__doc__, trials=4, out=RESULTS / "validation.md")
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    X, y = make_classification(n_samples=args.rows, n_features=20, n_informative=8, random_state=0)
    X = pd.DataFrame(X, columns=[f"f{i}" for i in range(20)])
    cut = int(0.8 * args.rows)
    folds = fit_trials(X.iloc[:cut], y[:cut], args.trials)
    split = fit_trials(X.iloc[:cut], y[:cut], args.trials, X_val=X.iloc[cut:], y_val=y[cut:])
    table = folds.join(split, lsuffix="_5fold", rsuffix="_val")
    assert (table["strategy_5fold"] == table["strategy_val"]).all(), "the two fits sampled different strategies"
    table = table.assign(ratio=(table["fit_seconds_val"] / table["fit_seconds_5fold"]).round(3))
    shown = table[["strategy_5fold", "fit_seconds_5fold", "fit_seconds_val", "ratio", "score_5fold", "score_val"]]
    ratio = float(table["fit_seconds_val"].sum() / table["fit_seconds_5fold"].sum())
    text = "\n".join([
        f"## Validation data against 5-fold cross-validation, {args.rows:,} rows ({machine_stamp()})", "",
        f"Command: `{command_line(parser, args)}`", "", shown.rename(columns={"strategy_5fold": "strategy"}).round(4).to_markdown(), "",
        f"Seconds per trial with X_val: {100 * ratio:.0f}% of 5-fold cross-validation's (all trials' seconds summed; "
        f"target at most 60%: {'MET' if ratio <= 0.6 else 'MISSED'}).", ""])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
