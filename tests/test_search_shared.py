"""search/_shared.py: the trials of a study in a database as every process sharing it reads them, with their
out-of-fold predictions, for the target they were scored on only, within the size bound."""

import warnings

import numpy as np
import optuna
import sqlalchemy as sa

from automl_meta.evaluate import Evaluator
from automl_meta.search import search
from automl_meta.search._shared import TABLE, SharedTrials
from helpers import LINEAR, KNN


def _search(task, url, strategies, random_state=0):
    with Evaluator(cv=3, isolate=False, keep_predictions=True, random_state=random_state) as evaluator:
        return search(task, n_trials=len(strategies), enqueue=strategies, storage=url, study_name="shared",
                      metadataset=False, families=["linear", "knn"], evaluator=evaluator, random_state=random_state)


def test_a_process_reads_the_trials_another_finished_with_their_predictions(tasks_by_kind, tmp_path):
    url = f"sqlite:///{tmp_path / 'study.db'}"
    first = _search(tasks_by_kind["multiclass"], url, LINEAR)
    second = _search(tasks_by_kind["multiclass"], url, KNN)
    assert first.trial_numbers == [0, 1, 2] and second.trial_numbers == [3, 4, 5]
    both = second.with_other_processes()
    assert sorted(both.trial_numbers) == list(range(6)) and both.from_others == {0, 1, 2}
    board = both.leaderboard
    assert sorted(board.loc[~board["ran_here"], "trial"]) == [0, 1, 2]
    theirs = {n: e for n, e in zip(both.trial_numbers, both.evaluations) if n in both.from_others}
    for number, mine in zip(first.trial_numbers, first.evaluations):
        shared = theirs[number]
        assert (shared.strategy, shared.score, shared.fold_scores, shared.n_rows) == \
               (mine.strategy, mine.score, mine.fold_scores, mine.n_rows)
        np.testing.assert_array_equal(shared.predictions, mine.predictions)  # float32, bit for bit
    assert first.with_other_processes().from_others == {3, 4, 5}  # and the other way round


def test_trials_of_another_target_are_not_mixed_in(tasks_by_kind, tmp_path):
    """Other folds (another seed) or other data: their predictions refer to other rows, so nothing is shared."""
    url = f"sqlite:///{tmp_path / 'study.db'}"
    _search(tasks_by_kind["binary"], url, LINEAR, random_state=0)
    other_folds = _search(tasks_by_kind["binary"], url, KNN, random_state=1)
    assert other_folds.with_other_processes().from_others == frozenset()


def test_the_study_keeps_the_predictions_of_its_best_trials_only(tasks_by_kind, tmp_path):
    url = f"sqlite:///{tmp_path / 'study.db'}"
    result = _search(tasks_by_kind["binary"], url, LINEAR + KNN)
    shared = SharedTrials(result.shared.engine, result.shared.study_id, result.shared.key, max_predictions=2)
    shared.add(999, result.best, "sampler")  # a new trial: the bound is applied as it is recorded
    with result.shared.engine.connect() as conn:
        rows = conn.execute(sa.text(f"SELECT trial_id, score, predictions IS NOT NULL FROM {TABLE}")).all()
    assert len(rows) == 7  # every trial's row stays: it can still be chosen alone
    kept = sorted((r for r in rows if r[2]), key=lambda r: -r[1])
    assert len(kept) == 2 and [r[1] for r in kept] == sorted((r[1] for r in rows), reverse=True)[:2]


def test_a_trial_recorded_but_never_told_to_the_study_is_left_out(tasks_by_kind, tmp_path):
    """A process killed between recording a trial and telling Optuna: the trial is RUNNING (then failed as
    stale), not finished, and no other process chooses it."""
    url = f"sqlite:///{tmp_path / 'study.db'}"
    result = _search(tasks_by_kind["binary"], url, LINEAR[:1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # heartbeats are meant for optimize()
        running = result.study.ask()
    result.shared.add(running._trial_id, result.best, "sampler")
    assert [n for n, _, _ in result.shared.finished()] == [0]
    assert optuna.load_study(study_name="shared", storage=url).trials[1].state == optuna.trial.TrialState.RUNNING
