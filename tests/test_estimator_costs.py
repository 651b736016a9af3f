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


def test_costs_known_from_an_earlier_final_model_are_not_measured_again():
    """A top-up's new ensemble reuses the costs of the members the model before it measured (one refit per strategy
    in a fit): only a new member is measured."""
    import pandas as pd

    from automl_meta.estimator._costs import member_costs
    from automl_meta.estimator._ensemble import EnsembleModel
    from automl_meta.estimator._final import FinalModel
    from automl_meta.models import build_model
    from automl_meta.space import Strategy

    rng = np.random.RandomState(0)
    X = pd.DataFrame({"a": rng.randn(120), "b": rng.randn(120)})
    y = X["a"] + 0.1 * rng.randn(120)
    linear, knn = Strategy.default("linear"), Strategy.default("knn")
    models = [build_model(s, "regression", n_rows=120, device="cpu", random_state=0).fit(X, y) for s in (linear, knn)]
    final = FinalModel(EnsembleModel(models, [0.5, 0.5], None), linear, 0.9,
                       tuple({"strategy": s, "weight": 0.5, "score": 0.9} for s in (linear, knn)))
    known = {str(linear): (123.0, 456)}  # not what measuring would give: shows it was reused
    costs = member_costs(final, X, None, known)
    assert costs[str(linear)] == (123.0, 456)
    assert costs[str(knn)][0] > 0 and costs[str(knn)][1] == pickled_size(models[1])
