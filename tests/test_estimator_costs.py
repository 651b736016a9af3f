"""estimator/_costs.py: the leaderboard's prediction seconds per 1,000 rows and size of the kept models."""

import pickle

import numpy as np

from automl_meta import AutoMetaClassifier
from automl_meta.estimator._costs import pickled_size


def test_the_leaderboard_gives_the_cost_of_each_kept_model_and_of_the_ensemble(tasks_by_kind):
    task = tasks_by_kind["multiclass"]
    model = AutoMetaClassifier(n_trials=4, cv=3, warm_start=False, families=["linear", "knn", "extra_trees"],
                               metadataset=False, random_state=0).fit(task.X, task.y)
    board = model.leaderboard_
    members = {str(m["strategy"]) for m in model.ensemble_}
    kept = board["strategy"].isin(members) | (board["origin"] == "ensemble")
    assert kept.any() and (board.loc[kept, "predict_s_per_1k_rows"] > 0).all() and (board.loc[kept, "size_bytes"] > 0).all()
    assert board.loc[~kept, "predict_s_per_1k_rows"].isna().all() and board.loc[~kept, "size_bytes"].isna().all()
    if len(model.ensemble_) > 1:  # the ensemble's row: the sum of its members'
        ensemble = board[board["origin"] == "ensemble"].iloc[0]
        singles = board[board["strategy"].isin(members)].drop_duplicates("strategy")
        assert ensemble["size_bytes"] == singles["size_bytes"].sum()
        assert np.isclose(ensemble["predict_s_per_1k_rows"], singles["predict_s_per_1k_rows"].sum(), atol=1e-6)
    else:
        assert board.loc[kept, "size_bytes"].iloc[0] == pickled_size(model.best_estimator_)


def test_the_size_is_the_pickled_size(tasks_by_kind):
    task = tasks_by_kind["binary"]
    model = AutoMetaClassifier(n_trials=1, cv=3, warm_start=False, families=["linear"], metadataset=False,
                               ensemble=False).fit(task.X, task.y)
    expected = len(pickle.dumps(model.best_estimator_, protocol=pickle.HIGHEST_PROTOCOL))
    assert pickled_size(model.best_estimator_) == expected == model.leaderboard_["size_bytes"].iloc[0]


def test_the_size_of_a_model_holding_large_arrays():
    """Protocol 5 writes a large array as a PickleBuffer, not bytes (a 100,000-row fit's end crashed on it)."""
    model = {"weights": np.arange(2_000_000, dtype=np.float64)}
    assert pickled_size(model) == len(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)) > 16_000_000
