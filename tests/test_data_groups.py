"""Grouped cross-validation: ``groups=`` on Task, the estimators and ``automl-meta fit --group-column``."""

import numpy as np
import pandas as pd
import pytest

from automl_meta import AutoMetaClassifier, AutoMetaRegressor
from automl_meta.data import DataWarning, Task
from automl_meta.errors import DataError
from automl_meta import evaluate


def _subjects(n_groups=40, per=6, seed=0):
    """Repeated rows of subjects: each subject's rows look alike and share its label, and nothing about a
    subject predicts another's label. Ungrouped folds test a subject's rows against the subject's own."""
    rng = np.random.RandomState(seed)
    groups = np.repeat([f"s{i}" for i in range(n_groups)], per)
    codes = np.repeat(np.arange(n_groups), per)
    X = pd.DataFrame(rng.randn(n_groups, 5)[codes] + 0.05 * rng.randn(len(codes), 5), columns=list("abcde"))
    y = pd.Series((rng.randn(n_groups) > 0).astype(int)[codes], name="y")
    return X, y, groups


@pytest.mark.parametrize("kind", ["binary", "regression"])
def test_each_group_is_tested_in_one_fold_only(kind):
    X, y, groups = _subjects()
    task = Task(X, y.astype(float) + np.arange(len(y)) / 1000 if kind == "regression" else y, kind=kind, groups=groups)
    folds = evaluate.test_folds(task, 5, 0)
    assert sorted(np.concatenate(folds)) == list(range(len(y)))
    tested = [set(groups[f]) for f in folds]
    assert sum(len(t) for t in tested) == len(set(groups))  # no group in two folds


def test_grouped_folds_do_not_overstate_the_score_of_repeated_subjects():
    X, y, groups = _subjects()
    scores = {}
    for name, g in (("ungrouped", None), ("grouped", groups)):
        model = AutoMetaClassifier(n_trials=2, cv=5, warm_start=False, families=["knn"], metadataset=False,
                                   random_state=0, n_jobs=1).fit(X, y, groups=g)  # one at a time: the same draws
        scores[name] = model.best_score_
    assert scores["ungrouped"] > 0.95 and scores["grouped"] < 0.75  # the subjects' labels are coin flips


def test_rows_dropped_for_a_missing_target_take_their_groups_with_them():
    X, y, groups = _subjects(n_groups=10, per=3)
    y = y.astype(float)
    y[[0, 4]] = np.nan
    with pytest.warns(DataWarning, match="Dropped 2 of 30 rows"):
        task = Task(X, y, groups=groups, cv=3)
    assert list(task.groups) == [g for i, g in enumerate(groups) if i not in (0, 4)]


@pytest.mark.parametrize("groups, message", [
    (np.arange(5), "groups has 5 labels for 30 rows"),
    (np.r_[[None], np.arange(29)], "groups is missing for 1 of 30 rows"),
    (np.zeros(30), "groups has 1 distinct label"),
])
def test_bad_groups_are_clear_errors(groups, message):
    X, y, _ = _subjects(n_groups=10, per=3)
    with pytest.raises(DataError, match=message):
        AutoMetaRegressor(n_trials=1, metadataset=False).fit(X, y.astype(float), groups=groups)


def test_fewer_groups_than_folds_cross_validate_with_one_group_a_fold():
    X, y, groups = _subjects(n_groups=4, per=10)
    y = pd.Series(np.arange(40) % 2)
    with pytest.warns(DataWarning, match="groups has 4 distinct labels, fewer than cv=5: cross-validating with 4 folds"):
        model = AutoMetaClassifier(n_trials=1, cv=5, warm_start=False, families=["linear"], metadataset=False).fit(
            X, y, groups=groups)
    assert model.cv_ == 4
    with pytest.raises(DataError, match="fewer than cv=5 folds"):
        Task(X, y, groups=groups, cv=5)


def test_the_command_takes_a_group_column(tmp_path, capsys):
    from automl_meta.cli import main

    X, y, groups = _subjects()
    X.assign(subject=groups, y=y).to_csv(tmp_path / "subjects.csv", index=False)
    args = ["fit", str(tmp_path / "subjects.csv"), "--target", "y", "--trials", "2", "--cv", "5", "--no-warm-start",
            "--no-progress", "--metadataset", str(tmp_path / "md.sqlite"), "--out", str(tmp_path / "m.amm")]
    assert main([*args, "--group-column", "subject"]) == 0
    out = capsys.readouterr().out
    assert "features=5" in out  # the group column is not a feature
    score = float(out.split("(roc_auc ")[1].split()[0])
    assert score < 0.75
    assert main([*args, "--group-column", "patient"]) == 2
    assert "Group column 'patient' not found" in capsys.readouterr().err
