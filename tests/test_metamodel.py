"""The meta-model: it learns which strategies win where, predicts with uncertainty, recommends diverse
strategies, and saves/loads without pickle, refusing mismatched or corrupted files."""

import json

import numpy as np
import pytest

from automl_meta.errors import ConfigError, MetaModelError
from automl_meta.metadataset import TrainingData
from automl_meta.metafeatures import FEATURE_NAMES
from automl_meta.metamodel import MetaModel
from automl_meta.metamodel._baselines import NearestTasks, StaticPortfolio, common_matrix
from automl_meta.metamodel._scaling import QuantileScaler
from automl_meta.space import Strategy, encode_many
from helpers import FOREST, KNN, LINEAR, STRATEGIES, synthetic_data


@pytest.fixture(scope="module")
def trained():
    return MetaModel(n_members=3, epochs=60, random_state=0).fit(synthetic_data())


def vector(first: float) -> np.ndarray:
    v = np.zeros(len(FEATURE_NAMES))
    v[0] = first
    v[5] = np.nan
    return v


def test_learns_which_family_wins_where(trained):
    for first, family in [(2.0, "linear"), (-2.0, "knn")]:
        mean, std, seconds = trained.predict(vector(first), STRATEGIES)
        assert STRATEGIES[int(np.argmax(mean))].family == family
        assert mean.shape == std.shape == seconds.shape == (len(STRATEGIES),)
        assert (std >= 0).all() and ((mean >= 0) & (mean <= 1)).all()
    _, _, seconds = trained.predict(vector(0.0), STRATEGIES)
    assert seconds[-1] > 5 * seconds[0]  # the forest is predicted slower than the linear model


def test_recommend_is_ranked_diverse_and_respects_a_time_budget(trained):
    recs = trained.recommend(vector(2.0), k=4, candidates=STRATEGIES, kind="binary")
    assert recs[0].strategy.family == "linear"
    assert [r.predicted_score for r in recs[:1]] >= [r.predicted_score for r in recs[1:2]]
    assert len({r.strategy for r in recs}) == 4 and len({r.strategy.family for r in recs}) >= 2
    fast = trained.recommend(vector(0.0), k=3, candidates=STRATEGIES, kind="binary", max_seconds=1.0)
    assert all(r.strategy.family != "extra_trees" for r in fast)
    with pytest.raises(ConfigError, match="k must be a positive integer"):
        trained.recommend(vector(0.0), k=0)


def test_predict_seconds_are_the_seconds_recommend_filters_by(trained):
    """What a search asks of a sampled strategy before scoring it is what ``recommend`` said of it: the same
    seconds at the fit's rows, folds and device, on this machine."""
    options = dict(n_rows=20_000, folds=5, device="cpu", seconds_scale=1.7)
    recs = trained.recommend(vector(0.0), k=4, candidates=STRATEGIES, kind="binary", **options)
    seconds = trained.predict_seconds(vector(0.0), [r.strategy for r in recs], **options)
    assert seconds == pytest.approx([r.predicted_seconds for r in recs])
    assert (trained.predict_seconds(vector(0.0), STRATEGIES[:1], n_rows=40_000, folds=5)
            > trained.predict_seconds(vector(0.0), STRATEGIES[:1], n_rows=20_000, folds=5)).all()
    # the lower bound: a forest's trees' work (within the prediction), nothing for other families
    least = trained.least_seconds(vector(0.0), STRATEGIES, n_rows=20_000, folds=5, seconds_scale=1.7)
    forests = np.array([s.family in ("random_forest", "extra_trees") for s in STRATEGIES])
    assert (least[~forests] == 0).all() and (least[forests] > 0).all()
    assert (least <= trained.predict_seconds(vector(0.0), STRATEGIES, **options) + 1e-9).all()


def test_default_candidates_include_stored_and_fresh(trained):
    recs = trained.recommend(vector(1.0), k=5, kind="binary")
    assert len(recs) == 5 and len(trained.candidates_) == len(STRATEGIES)


def test_save_and_load_round_trip(trained, tmp_path):
    path = trained.save(tmp_path / "mm.pt")
    loaded = MetaModel.load(path)
    a, b = trained.predict(vector(1.0), STRATEGIES), loaded.predict(vector(1.0), STRATEGIES)
    np.testing.assert_allclose(a[0], b[0], rtol=1e-6)
    assert loaded.candidates_ == trained.candidates_
    assert loaded.similar_tasks(vector(1.0), n=2) == trained.similar_tasks(vector(1.0), n=2)


def test_load_refuses_other_versions(trained, tmp_path):
    path = trained.save(tmp_path / "mm.pt")
    meta_path = tmp_path / "mm.pt.json"
    meta = json.loads(meta_path.read_text())
    meta["metafeatures_version"] = "0"
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(MetaModelError, match=r"trained for meta-features v0 .* Retrain it"):
        MetaModel.load(path)


def test_load_refuses_corrupted_or_missing_files(trained, tmp_path):
    path = trained.save(tmp_path / "mm.pt")
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(MetaModelError, match="is not a readable meta-model weights file"):
        MetaModel.load(path)
    with pytest.raises(MetaModelError, match="does not exist"):
        MetaModel.load(tmp_path / "nope.pt")
    (tmp_path / "x.pt.json").write_text("{not json")
    (tmp_path / "x.pt").write_bytes(b"")
    with pytest.raises(MetaModelError, match="is not a meta-model description"):
        MetaModel.load(tmp_path / "x.pt")


def test_load_never_unpickles_objects(trained, tmp_path):
    import pickle

    path = trained.save(tmp_path / "mm.pt")

    class Evil:
        def __reduce__(self):
            return (exec, ("raise SystemExit('pwned')",))

    path.write_bytes(pickle.dumps({"member0.x": Evil()}))
    with pytest.raises(MetaModelError, match="is not a readable meta-model weights file"):
        MetaModel.load(path)


def test_untrained_model_and_too_little_data():
    with pytest.raises(MetaModelError, match="not trained"):
        MetaModel().predict(vector(0.0), STRATEGIES)
    with pytest.raises(ConfigError, match="needs evaluations on at least 2 tasks"):
        MetaModel().fit(synthetic_data().subset([0]))


def test_mismatched_metafeature_version(trained):
    from automl_meta.metafeatures import MetaFeatures

    mf = MetaFeatures(vector(1.0), version="0")
    with pytest.raises(MetaModelError, match="version '0'"):
        trained.predict(mf, STRATEGIES)


def test_quantile_scaler():
    X = np.array([[1.0, np.nan], [2.0, 5.0], [2.0, 6.0], [3.0, np.nan]])
    out = QuantileScaler().fit(X).transform(X)
    np.testing.assert_allclose(out[:, 0], [0.125, 0.5, 0.5, 0.875])
    np.testing.assert_allclose(out[:, 1], [0.5, 0.25, 0.75, 0.5])
    np.testing.assert_allclose(out[:, 2], [1, 0, 0, 1])  # missing indicator


def test_baselines():
    data = synthetic_data()
    matrix, common = common_matrix(data)
    assert matrix.shape == (40, len(STRATEGIES))
    portfolio = StaticPortfolio().fit(data)
    # the forest is best on average (0.8 normalized on every task); then one strategy for each regime
    picks = portfolio.recommend(k=3)
    assert picks[0].family == "extra_trees" and {s.family for s in picks[1:]} == {"linear", "knn"}
    knn = NearestTasks().fit(data)
    for t in range(5):  # a training task's own meta-features: its nearest task is itself
        expected = "linear" if data.metafeatures[t, 0] > 0 else "knn"
        assert knn.recommend(data.metafeatures[t], k=1)[0].family == expected
        assert knn.neighbours(data.metafeatures[t])[0] == t


def test_strategy_prior_is_the_mean_without_the_own_task():
    from automl_meta.metamodel._targets import StrategyPrior, normalized_scores

    data = synthetic_data(n_tasks=6)
    y = normalized_scores(data.eval_task, data.scores, 6)
    prior = StrategyPrior().fit(data, y)
    matrix, _ = prior.matrix_, None
    np.testing.assert_allclose(prior.values_, matrix.mean(axis=0), rtol=1e-6)
    loo = prior.leave_one_task_out(data.encodings, data.eval_task)
    j = prior.nearest(data.encodings)
    expected = (matrix.sum(axis=0)[j] - matrix[data.eval_task, j]) / 5
    np.testing.assert_allclose(loo, expected, rtol=1e-6)
    # a strategy never evaluated takes the prior of the nearest evaluated one
    unseen = Strategy("linear", {"reg_strength": 0.0101})
    assert prior.predict(encode_many([unseen]))[0] == pytest.approx(prior.values_[prior.nearest(encode_many(LINEAR[:1]))[0]])


def test_a_dataset_seen_before_gets_its_best_recorded_strategies_first(trained, tmp_path):
    data = synthetic_data()
    t = 7
    rows = np.flatnonzero(data.eval_task == t)
    best = data.strategies[rows[np.argmax(data.scores[rows])]]
    remembered = trained.remembered(data.metafeatures[t])
    assert remembered[0] == best
    assert len({s.family for s in remembered}) == len(remembered) == 3  # the best of each of its 3 best families
    recs = trained.recommend(data.metafeatures[t], k=5, kind="binary")
    assert [r.strategy for r in recs[:3]] == remembered
    # a slightly different version of the dataset is the same dataset; another dataset is not (with 40
    # training tasks a quantile step is 1/40, so the radius here is wider than the default's 0.01)
    import copy

    wider = copy.copy(trained)
    wider.memory_radius = 0.05
    nudged = data.metafeatures[t] * 1.0001
    assert wider.remembered(nudged)[0] == best
    assert wider.remembered(vector(0.3)) == []
    # memory off, and memory kept through save/load; files written before the memory load without it
    assert MetaModel(n_members=1, epochs=1, memory_radius=0).fit(data).remembered(data.metafeatures[t]) == []
    path = trained.save(tmp_path / "mm.pt")
    assert MetaModel.load(path).remembered(data.metafeatures[t]) == remembered
    meta = json.loads((tmp_path / "mm.pt.json").read_text())
    del meta["task_best"]
    (tmp_path / "mm.pt.json").write_text(json.dumps(meta))
    assert MetaModel.load(path).remembered(data.metafeatures[t]) == []


def test_fitting_again_forgets_what_the_first_fit_cached():
    model = MetaModel(n_members=1, epochs=5, random_state=0).fit(synthetic_data(seed=0))
    first = model.recommend(vector(2.0), k=2, kind="binary")
    model.similar_tasks(vector(2.0))
    model.epochs = 60
    model.fit(synthetic_data(seed=1))
    fresh = MetaModel(n_members=1, epochs=60, random_state=0).fit(synthetic_data(seed=1))
    assert [r.predicted_score for r in model.recommend(vector(2.0), k=2, kind="binary")] == \
        [r.predicted_score for r in fresh.recommend(vector(2.0), k=2, kind="binary")]
    assert model.similar_tasks(vector(2.0)) == fresh.similar_tasks(vector(2.0))
    assert first  # the first model recommended something


def two_size_data(exponents={"linear": 1.0, "knn": 1.5, "extra_trees": 0.7}, n_tasks=12, seed=0,
                  curves=None) -> TrainingData:
    """Every task scored at 1,000 rows (base) and 10,000 rows (large), each family's seconds growing as
    rows ** its exponent (and with ``curves``, its error 1 - score as rows ** its curve's exponent); the
    meta-feature ``log_n_rows`` says each stored task's size."""
    rng = np.random.default_rng(seed)
    rows_col = list(FEATURE_NAMES).index("log_n_rows")
    mf, names, fidelities, eval_task, strategies, scores, seconds, rows = [], [], [], [], [], [], [], []
    for t in range(n_tasks):
        features = rng.normal(size=len(FEATURE_NAMES))
        error = rng.uniform(0.05, 0.4)
        for fidelity, n in (("base", 1000), ("large", 10000)):
            features = features.copy()
            features[rows_col] = np.log(n)
            mf.append(features)
            names.append(f"t{t}")
            fidelities.append(fidelity)
            for s in STRATEGIES:
                eval_task.append(len(mf) - 1)
                strategies.append(s)
                scores.append(0.5 + 0.05 * rng.normal() if curves is None else
                              1 - error * (n / 1000) ** curves[s.family] * (1 + 0.02 * rng.normal()))
                seconds.append(0.01 * (n / 1000) ** exponents[s.family] * (1 + 0.05 * rng.random()))
                rows.append(n)
    count = len(scores)
    return TrainingData(
        task_ids=np.arange(len(mf)), task_names=np.array(names), groups=np.array(names),
        kinds=np.array(["binary"] * len(mf)), metafeatures=np.array(mf), feature_names=FEATURE_NAMES,
        eval_task=np.array(eval_task), strategies=strategies, encodings=encode_many(strategies),
        scores=np.array(scores), fit_seconds=np.array(seconds), status=np.array(["ok"] * count),
        origin=np.array(["common"] * count), n_rows=np.array(rows, dtype=float), build_config={"cv": 3},
        fidelities=np.array(fidelities, dtype=object),
    )


def test_size_exponents_are_measured_on_the_same_data_at_two_sizes():
    from automl_meta.metamodel._timing import size_exponents

    data = two_size_data()
    found = size_exponents(data, np.exp(data.metafeatures[:, list(FEATURE_NAMES).index("log_n_rows")]))
    assert found.keys() == {"linear", "knn", "extra_trees"}
    assert found["linear"] == pytest.approx(1.0, abs=0.05) and found["knn"] == pytest.approx(1.5, abs=0.05)
    assert found["extra_trees"] == pytest.approx(0.7, abs=0.05)


def test_learning_curves_are_measured_on_the_same_strategies_at_two_sizes(tmp_path):
    """Each family's error exponent (1 - score as rows ** it) from the strategies scored at both sizes, on
    tasks of a metric bounded by 1 only; saved with the model, and none for a model saved before them."""
    from automl_meta.metamodel._curves import error_exponents

    data = two_size_data(curves={"linear": -0.02, "knn": -0.1, "extra_trees": -0.3})
    rows = np.exp(data.metafeatures[:, list(FEATURE_NAMES).index("log_n_rows")])
    found = error_exponents(data, rows)
    assert found == pytest.approx({"linear": -0.02, "knn": -0.1, "extra_trees": -0.3}, abs=0.02)
    data.metrics = np.array(["neg_log_loss"] * len(data.task_ids), dtype=object)
    assert error_exponents(data, rows) == {}  # no curve of an unbounded error
    data.metrics = None
    model = MetaModel(n_members=1, epochs=2).fit(data)
    assert model.learning_curves_["exponents"] == pytest.approx(found)
    assert model.curve_exponents("roc_auc") == model.learning_curves_["exponents"]
    assert model.curve_exponents("neg_log_loss") is None and model.curve_exponents(len) is None
    path = model.save(tmp_path / "m.npz")
    assert MetaModel.load(path).learning_curves_ == model.learning_curves_
    description = json.loads(path.with_name(path.name + ".json").read_text())
    del description["learning_curves"]
    path.with_name(path.name + ".json").write_text(json.dumps(description))
    assert MetaModel.load(path).learning_curves_ == {} and MetaModel.load(path).curve_exponents("r2") is None


def test_a_subsample_s_seconds_do_not_grow_with_the_task_beyond_the_training_sizes():
    """The networks see every task beyond the largest training size alike; the seconds of a fit on a
    subsample of one are carried from that size, not up to the task's and back down with another exponent."""
    model = MetaModel(n_members=1, epochs=5, random_state=0).fit(two_size_data())
    assert model.size_exponents_["extra_trees"] < 1  # where the two ways differed
    near, far = vector(np.log(100_000)), vector(np.log(500_000))
    strategies = [LINEAR[0], KNN[0], FOREST[0]]
    assert model.predict_seconds(near, strategies, n_rows=5_000, folds=3) == pytest.approx(
        model.predict_seconds(far, strategies, n_rows=5_000, folds=3))
    # a fit on every row of the task: carried up beyond the training sizes, as before
    assert (model.predict_seconds(far, strategies, n_rows=500_000, folds=3)
            > model.predict_seconds(near, strategies, n_rows=100_000, folds=3)).all()


def test_predicted_seconds_follow_the_task_size_beyond_the_training_sizes(tmp_path):
    """A task 10x larger than any training task: each family's seconds grow by 10 ** its exponent; carried to
    the rows and folds of a fit (folds=1: one fit), and kept through save/load."""
    data = two_size_data()
    model = MetaModel(n_members=1, epochs=5, random_state=0).fit(data)
    query = data.metafeatures[1].copy()  # a large-fidelity task's meta-features
    bigger = query.copy()
    bigger[list(FEATURE_NAMES).index("log_n_rows")] = np.log(100_000)
    _, _, at_10k = model.predict(query, STRATEGIES)
    _, _, at_100k = model.predict(bigger, STRATEGIES)
    # beyond the largest training task at least linear (MIN_EXTRAPOLATION_EXPONENT): extra_trees' 0.7 becomes 1
    growth = np.array([{"linear": 1.0, "knn": 1.5, "extra_trees": 1.0}[s.family] for s in STRATEGIES])
    np.testing.assert_allclose(at_100k / at_10k, 10 ** growth, rtol=0.1)
    loaded = MetaModel.load(model.save(tmp_path / "m.pt"))
    by_key = {s.key: s for s in STRATEGIES}
    from automl_meta.metamodel._timing import TREE_SECONDS_PER_UNIT, tree_floor

    n_features = float(np.exp(bigger[list(FEATURE_NAMES).index("log_n_features")]))
    for m in (model, loaded):
        cv3 = {r.strategy.key: r.predicted_seconds for r in m.recommend(bigger, k=8, candidates=STRATEGIES, kind="binary")}
        one_fit = {r.strategy.key: r.predicted_seconds for r in m.recommend(bigger, k=8, candidates=STRATEGIES,
                                                                            kind="binary", n_rows=50_000, folds=1)}
        for key, seconds in one_fit.items():
            b = m.size_exponents_[by_key[key].family]  # as measured (the seconds are noisy)
            # one fit on all 50,000 rows against three on two thirds of 100,000 each
            if by_key[key].family in TREE_SECONDS_PER_UNIT:  # a forest: at least its trees' work in both
                assert seconds >= tree_floor(np.array([0.0]), [by_key[key]], 50_000, n_features, 1)[0] > 0
                assert cv3[key] >= tree_floor(np.array([0.0]), [by_key[key]], 100_000, n_features, 3)[0]
                continue
            assert seconds == pytest.approx(cv3[key] / 3 * 0.5 ** b * 1.5 ** b, rel=1e-4)


def test_on_a_gpu_an_mlp_costs_at_most_its_steps():
    """device="cuda": a wide MLP slow on the CPU is bounded by its optimizer steps at a GPU's cost per step;
    on the CPU its steps are a floor; other families keep the predicted seconds."""
    from automl_meta.metamodel._timing import GPU_STEP_SECONDS, on_device

    wide = Strategy("mlp", {**Strategy.default("mlp").params, "width": 512, "batch_size": 512, "max_epochs": 100,
                            "depth": 2})
    forest = Strategy.default("random_forest")
    cpu_seconds = np.array([900.0, 900.0])
    assert np.array_equal(on_device(cpu_seconds, [wide, forest], 50_000, 3, "cpu"), cpu_seconds)
    assert np.array_equal(on_device(cpu_seconds, [wide, forest], 50_000, 3, None), cpu_seconds)
    gpu = on_device(cpu_seconds, [wide, forest], 50_000, 3, "cuda")
    steps = 100 * int(np.ceil(50_000 * 2 / 3 / 512)) * 3
    assert gpu[0] == pytest.approx(steps * GPU_STEP_SECONDS) and gpu[0] < 900 and gpu[1] == 900
    assert on_device(np.array([1.0]), [wide], 50_000, 3, "cuda")[0] == 1.0  # never above the measured time
    # on the CPU, an MLP predicted faster than its steps allow is raised to them (early stopping only shortens)
    from automl_meta.metamodel._timing import CPU_STEP_FIXED_SECONDS, CPU_STEP_SECONDS_PER_FLOP

    raised = on_device(np.array([1.0, 1.0]), [wide, forest], 50_000, 3, "cpu")
    per_step = CPU_STEP_FIXED_SECONDS + CPU_STEP_SECONDS_PER_FLOP * 512 * 512**2 * 2
    assert raised[0] == pytest.approx(steps * per_step) and raised[1] == 1.0


def test_a_forest_costs_at_least_its_trees_work():
    """A forest predicted faster than its trees' work allows (rows x log2(rows / leaf) x columns tried per tree)
    is raised to it; more trees, rows or columns raise the floor; other families and unknown columns are left."""
    from automl_meta.metamodel._timing import TREE_SECONDS_PER_UNIT, tree_floor

    forest = Strategy("random_forest", {**Strategy.default("random_forest").params, "n_estimators": 200,
                                        "max_features": 0.5, "min_samples_leaf": 1})
    extra = Strategy("extra_trees", {**forest.params})
    linear = Strategy.default("linear")
    raised = tree_floor(np.array([1.0, 1.0, 1.0]), [forest, extra, linear], 30_000, 20, folds=1)
    work = 200 * 30_000 * np.log2(30_000) * 10
    assert raised[0] == pytest.approx(work * TREE_SECONDS_PER_UNIT["random_forest"])
    assert raised[1] == pytest.approx(work * TREE_SECONDS_PER_UNIT["extra_trees"]) and raised[2] == 1.0
    assert raised[0] > raised[1] > 1.0  # a random forest sorts at each split: the costlier of the two
    # three folds: three fits on two thirds of the rows
    three = tree_floor(np.array([1.0]), [forest], 30_000, 20, folds=3)[0]
    assert three == pytest.approx(3 * 200 * 20_000 * np.log2(20_000) * 10 * TREE_SECONDS_PER_UNIT["random_forest"])
    bigger = tree_floor(np.array([1.0]), [forest], 60_000, 40, folds=1)[0]
    assert bigger > 4 * raised[0]
    assert tree_floor(np.array([1e6]), [forest], 30_000, 20, 1)[0] == 1e6  # never below the prediction
    assert tree_floor(np.array([1.0]), [forest], 30_000, None, 1)[0] == 1.0


def test_a_histogram_booster_costs_at_least_its_binning_and_its_splits_scans():
    """LightGBM and HistGradientBoosting are held to their trees' binning (rows x columns) and split scans (leaves
    x columns x bins): binding on a wide table, far below any prediction on a narrow one; no more leaves than the
    rows can fill; a HistGradientBoosting with early stopping counts only the rounds it runs at least; XGBoost
    (cheap on a GPU) is left as predicted."""
    from automl_meta.metamodel._timing import (BOOSTER_BINS, BOOSTER_SECONDS_PER_LEAF_BIN,
                                                BOOSTER_SECONDS_PER_ROW_COLUMN, tree_floor)

    lgbm = Strategy("lightgbm", {**Strategy.default("lightgbm").params, "num_leaves": 60, "min_child_samples": 2,
                                 "n_estimators": 468})
    hgb = Strategy("hist_gb", {**Strategy.default("hist_gb").params, "max_leaf_nodes": 31, "min_samples_leaf": 20,
                               "max_iter": 200, "early_stopping": False})
    hgb_stopped = Strategy("hist_gb", {**hgb.params, "early_stopping": True})
    xgb = Strategy.default("xgboost")
    # 300 rows x 3,000 columns, 5 folds: the 60-leaf LightGBM that was predicted 3.2 s and timed out after 9.9 s
    wide = tree_floor(np.zeros(4), [lgbm, hgb, hgb_stopped, xgb], 300, 3000, folds=5)
    per_tree = 240 * 3000 * BOOSTER_SECONDS_PER_ROW_COLUMN + 2 * 59 * 3000 * 240 * BOOSTER_SECONDS_PER_LEAF_BIN
    assert wide[0] == pytest.approx(5 * 468 * per_tree) and wide[0] > 9.9
    leaves = min(31, 240 / (2 * 20))  # 240 rows fill at most 6 leaves of 20 rows (half of it: a lower bound)
    hgb_tree = 240 * 3000 * BOOSTER_SECONDS_PER_ROW_COLUMN + 2 * (leaves - 1) * 3000 * 240 * BOOSTER_SECONDS_PER_LEAF_BIN
    assert wide[1] == pytest.approx(5 * 200 * hgb_tree)
    assert wide[2] == pytest.approx(5 * 11 * hgb_tree)  # early stopping: 11 rounds at least
    assert wide[3] == 0.0
    # a narrow table of 1,000 rows x 20 columns: a fraction of a second, below what such a fit takes
    narrow = tree_floor(np.zeros(1), [lgbm], 1000, 20, folds=5)[0]
    assert 0 < narrow < 2.0
    assert narrow == pytest.approx(5 * 468 * (800 * 20 * BOOSTER_SECONDS_PER_ROW_COLUMN
                                              + 2 * 59 * 20 * BOOSTER_BINS * BOOSTER_SECONDS_PER_LEAF_BIN))
    assert tree_floor(np.array([1e6]), [lgbm], 300, 3000, 5)[0] == 1e6  # never below the prediction


def test_a_pool_saved_without_the_booster_hyperparameters_reads_them_from_its_specs():
    """A meta-model saved before the boosters' hyperparameters joined the pool's timing columns (a user's own,
    retrained one) loads them from its strategies' specs: the same columns a pool built now holds."""
    from automl_meta.metamodel._pool import TIMING_PARAMS, CandidatePool

    strategies = [Strategy.default("linear"), Strategy.default("lightgbm"), Strategy.default("hist_gb"),
                  Strategy("lightgbm", {**Strategy.default("lightgbm").params, "num_leaves": 60})]
    built = CandidatePool.build(strategies)
    old = {k: v for k, v in built.arrays().items() if k.split(".")[-1] not in ("num_leaves", "min_child_samples",
                                                                             "max_leaf_nodes", "max_iter", "early_stopping")}
    read = CandidatePool.from_arrays(old)
    for name in TIMING_PARAMS:
        np.testing.assert_array_equal(read.params[name], built.params[name])
    assert read.params["num_leaves"][3] == 60 and np.isnan(read.params["num_leaves"][0])
    assert read.params["early_stopping"][2] == 1.0


def test_recommend_holds_forests_to_their_work_on_large_tasks(trained):
    """recommend's predicted seconds for a forest on a large task are at least the trees' work for the task's
    rows and columns (its meta-features)."""
    from automl_meta.metafeatures import FEATURE_NAMES
    from automl_meta.metamodel._timing import tree_floor

    mf = vector(1.0).copy()
    mf[list(FEATURE_NAMES).index("log_n_rows")] = np.log(50_000)
    mf[list(FEATURE_NAMES).index("log_n_features")] = np.log(30)
    forest = Strategy("random_forest", {**Strategy.default("random_forest").params, "n_estimators": 300})
    top = trained.recommend(mf, k=1, candidates=[forest], kind="binary", n_rows=50_000, folds=1)[0]
    assert top.predicted_seconds >= tree_floor(np.array([0.0]), [forest], 50_000, 30, 1)[0] > 10

def test_neighbour_prior_is_local_and_leaves_out_the_own_group():
    from automl_meta.metamodel._targets import NeighbourPrior

    # two regimes of tasks: strategy 0 wins where the meta-feature is low, strategy 1 where it is high
    x = np.array([[0.0], [0.05], [0.1], [0.9], [0.95], [1.0]])
    matrix = np.array([[1, 0], [1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9], [0, 1]], dtype=float)
    prior = NeighbourPrior(k=2).fit(x, matrix, groups=np.array(["a", "a", "b", "c", "d", "d"]))
    assert prior.for_query(np.array([[0.02]])).argmax() == 0 and prior.for_query(np.array([[0.97]])).argmax() == 1
    training = prior.for_training()
    # task 0's own group (tasks 0 and 1) is left out: its 2 nearest are tasks 2 and 3
    weights = np.exp(-np.array([0.1, 0.9]) / 0.5)
    np.testing.assert_allclose(training[0], weights @ matrix[[2, 3]] / weights.sum())
    assert training.shape == matrix.shape and not np.isnan(training).any()


def test_the_neighbour_prior_is_saved_and_older_files_load_without_it(tmp_path):
    data = synthetic_data()
    with_prior = MetaModel(n_members=1, epochs=3, neighbours=5).fit(data)
    loaded = MetaModel.load(with_prior.save(tmp_path / "m.pt"))
    np.testing.assert_allclose(loaded.predict(vector(1.0), STRATEGIES)[0], with_prior.predict(vector(1.0), STRATEGIES)[0], rtol=1e-5)
    without = MetaModel(n_members=1, epochs=3, neighbours=0).fit(data)
    path = without.save(tmp_path / "old.pt")
    meta = json.loads(path.with_name("old.pt.json").read_text())
    del meta["config"]["neighbours"]  # as written before the neighbour prior
    path.with_name("old.pt.json").write_text(json.dumps(meta))
    old = MetaModel.load(path)
    assert old.neighbours == 0
    np.testing.assert_allclose(old.predict(vector(1.0), STRATEGIES)[0], without.predict(vector(1.0), STRATEGIES)[0], rtol=1e-5)


def test_best_of_k_covers_the_scenarios_a_ranking_by_mean_would_miss():
    from automl_meta.metamodel._selection import best_of_k

    # candidates 0 and 1 are near-copies, good in scenario A; candidate 2 is best in scenario B
    scenarios = np.array([[1.0, 0.99, 0.2], [0.3, 0.31, 1.0]])
    weights = np.array([0.6, 0.4])
    mean = weights @ scenarios
    assert list(np.argsort(-mean)[:2]) == [0, 1]  # the two best means: best of the pair 0.72
    chosen = best_of_k(scenarios, weights, [], 2, mean)
    assert chosen == [0, 2] and weights @ scenarios[:, chosen].max(axis=1) == pytest.approx(1.0)
    assert best_of_k(scenarios, weights, [1], 2, mean) == [1, 2]  # a lead is kept first


def test_reweight_follows_the_scenarios_that_order_the_observed_scores():
    from automl_meta.metamodel._selection import reweight

    # scenario 0 ranks strategy a above b, scenario 1 the reverse
    tried, weights = np.array([[0.9, 0.2], [0.2, 0.9]]), np.array([0.5, 0.5])
    a_won = reweight(weights, tried, np.array([0.8, 0.7]))
    assert a_won[0] > 0.99 and a_won.sum() == pytest.approx(1.0)
    assert reweight(weights, tried, np.array([0.7, 0.8]))[1] > 0.99
    for says_nothing in ([0.8, np.nan], [0.8, 0.8]):  # a failure, a tie
        np.testing.assert_allclose(reweight(weights, tried, np.array(says_nothing)), weights)


def test_recommend_after_observed_scores_follows_the_family_that_won(trained):
    """At the boundary between the regimes, which family comes next depends on how the tried linear and
    k-NN strategies scored; tried strategies are not recommended again."""
    tried = [FOREST[0], LINEAR[1], KNN[1]]
    for scores, family in (([0.7, 0.9, 0.1], "linear"), ([0.7, 0.1, 0.9], "knn")):
        recs = trained.recommend(vector(0.0), k=2, candidates=STRATEGIES, kind="binary",
                                 observed=list(zip(tried, scores)))
        assert [r.strategy.family for r in recs] == [family, family]
        assert not {r.strategy for r in recs} & set(tried)
    pending = trained.recommend(vector(0.0), k=2, candidates=STRATEGIES, kind="binary",
                                observed=[(s, np.nan) for s in tried])  # no score yet: no family preferred
    assert {r.strategy.family for r in pending} == {"linear", "knn"}
    with pytest.raises(ConfigError, match="Every candidate strategy has been tried"):
        trained.recommend(vector(0.0), k=1, candidates=STRATEGIES, kind="binary",
                          observed=[(s, 0.5) for s in STRATEGIES])


def test_recommend_chooses_a_set_that_covers_both_regimes():
    """At the boundary between the regimes (linear best on one side, k-NN on the other), the set holds both
    families; with set selection off, diversity comes from maximal marginal relevance."""
    data = synthetic_data()
    model = MetaModel(n_members=2, epochs=30, random_state=0).fit(data)
    recs = model.recommend(vector(0.0), k=2, candidates=STRATEGIES, kind="binary")
    assert {r.strategy.family for r in recs} == {"linear", "knn"}
    assert recs[0].predicted_score == max(model.predict(vector(0.0), STRATEGIES)[0])  # the best predicted first
    plain = MetaModel(n_members=2, epochs=30, random_state=0, set_neighbours=0).fit(data)
    assert len({r.strategy for r in plain.recommend(vector(0.0), k=3, candidates=STRATEGIES, kind="binary")}) == 3


def test_the_set_selection_scenarios_are_shrunk_toward_the_prediction(trained):
    """set_shrinkage blends each neighbour's measured scores with the network's predicted ones: 0 the measured
    alone, 1 the prediction alone (the k best means); outside [0, 1] a clear error."""
    import copy

    from automl_meta.errors import ConfigError
    from automl_meta.space import encode_many

    model = copy.deepcopy(trained)
    x, nearest = model._scale_query(vector(0.0)), model.prior_.nearest(encode_many(STRATEGIES))
    mean = model.predict(vector(0.0), STRATEGIES)[0]
    model.set_shrinkage = 0.0
    measured, weights = model.recommender.scenarios(x, nearest, mean)
    model.set_shrinkage = 0.3
    shrunk, same_weights = model.recommender.scenarios(x, nearest, mean)
    np.testing.assert_allclose(shrunk, 0.7 * measured + 0.3 * mean[None, :])
    np.testing.assert_array_equal(weights, same_weights)
    model.set_shrinkage = 1.0
    picks = [r.strategy for r in model.recommend(vector(0.0), k=3, candidates=STRATEGIES, kind="binary")]
    assert picks == [STRATEGIES[i] for i in np.argsort(-mean, kind="stable")[:3]]
    model.set_shrinkage = 1.5
    with pytest.raises(ConfigError, match="set_shrinkage must be a number between 0 and 1; got 1.5"):
        model.recommend(vector(0.0), k=3, candidates=STRATEGIES, kind="binary")


def test_set_selection_falls_back_without_tasks_scored_on_the_whole_common_set():
    """A meta-dataset of fits only (no task scored on every strategy): recommend still answers, by MMR."""
    data = synthetic_data(n_tasks=6)
    rng = np.random.default_rng(0)
    keep = np.flatnonzero(rng.random(len(data.scores)) < 0.6)  # each task scored on part of the strategies
    data.eval_task, data.strategies = data.eval_task[keep], [data.strategies[i] for i in keep]
    data.encodings, data.scores, data.fit_seconds = data.encodings[keep], data.scores[keep], data.fit_seconds[keep]
    data.status, data.origin = data.status[keep], data.origin[keep]
    model = MetaModel(n_members=1, epochs=2).fit(data)
    assert np.isnan(model.prior_.matrix_).any(axis=1).all()
    assert len(model.recommend(vector(1.0), k=3, candidates=STRATEGIES, kind="binary")) == 3


def test_on_a_gpu_an_mlp_is_timed_with_a_gpu_batch():
    """A batch-128 MLP on a GPU is timed by the steps of the batch it trains there (space.for_gpu): 512 on
    large data, its own on small."""
    from automl_meta.metamodel._timing import GPU_STEP_SECONDS, on_device

    asked = Strategy("mlp", {**Strategy.default("mlp").params, "batch_size": 128, "max_epochs": 100, "depth": 2})
    gpu = on_device(np.array([1e6]), [asked], 50_000, 3, "cuda")[0]
    assert gpu == pytest.approx(100 * int(np.ceil(50_000 * 2 / 3 / 512)) * 3 * GPU_STEP_SECONDS)
    small = on_device(np.array([1e6]), [asked], 5_000, 3, "cuda")[0]  # too few rows: its own batch
    assert small == pytest.approx(100 * int(np.ceil(5_000 * 2 / 3 / 128)) * 3 * GPU_STEP_SECONDS)


def test_the_numpy_networks_equal_the_torch_ones(trained):
    """Recommending evaluates the trained networks with NumPy (``_inference``): the same scores and times as the
    torch modules they were trained as, within 1e-5."""
    import torch

    from automl_meta.space import encode_many

    x = trained._scale_query(vector(0.5))
    enc = encode_many(STRATEGIES).astype(np.float32)
    prior = trained._priors(x, enc)
    logits, log_times = trained.network_.predict(x, trained.network_.strategy_side(enc, prior))
    with torch.no_grad():
        for m, net in enumerate(trained.members_):
            logit, log_time = net(torch.as_tensor(x.astype(np.float32)).expand(len(enc), -1), torch.as_tensor(enc),
                                  torch.as_tensor(prior))
            np.testing.assert_allclose(logits[m], logit.numpy(), atol=1e-5)
            np.testing.assert_allclose(log_times[m], log_time.numpy(), atol=1e-5)


def test_recommending_imports_neither_torch_nor_optuna():
    import subprocess
    import sys

    code = ("import sys, warnings; warnings.simplefilter('ignore')\n"
            "from automl_meta.metamodel import resolve_metamodel\n"
            "from automl_meta.examples import load_example\n"
            "task = load_example()\n"
            "recs = resolve_metamodel().recommend(task, k=3)\n"
            "assert len(recs) == 3\n"
            "print(sorted(m for m in ('torch', 'optuna') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def _write_format_2(model, path):
    """``model`` as format 2 wrote it: a torch file of the members' state dicts, the candidates in the JSON."""
    import torch

    tensors = {f"member{i}.{k}": v for i, net in enumerate(model.members_) for k, v in net.state_dict().items()}
    scaler = model.scaler_.state()
    tensors.update({"scaler.sorted": torch.as_tensor(scaler["sorted"]), "scaler.counts": torch.as_tensor(scaler["counts"]),
                    "scaler.missing_columns": torch.as_tensor(scaler["missing_columns"]),
                    "train_metafeatures": torch.as_tensor(model.train_metafeatures_),
                    "prior.encodings": torch.as_tensor(model.prior_.encodings_),
                    "prior.values": torch.as_tensor(model.prior_.values_), "prior.matrix": torch.as_tensor(model.prior_.matrix_)})
    torch.save(tensors, path)
    meta = model.description_to_save()
    meta.update(format="automl-meta-metamodel", format_version=2, candidates=[c.to_dict() for c in model.candidates_])
    del meta["n_stored"], meta["n_fresh"]
    path.with_name(path.name + ".json").write_text(json.dumps(meta))


def test_a_format_2_file_is_migrated(trained, tmp_path, capsys):
    """One migration path: a file of the previous format loads (migrated in memory) and recommends as the model
    it was saved from; ``automl-meta metamodel migrate`` writes it in the current format."""
    from automl_meta.cli import main
    from automl_meta.metamodel._persist import FORMAT_VERSION

    old = tmp_path / "old.pt"
    _write_format_2(trained, old)
    migrated = MetaModel.load(old)
    np.testing.assert_allclose(migrated.predict(vector(1.0), STRATEGIES)[0], trained.predict(vector(1.0), STRATEGIES)[0], rtol=1e-6)
    assert migrated.candidates_ == trained.candidates_ and migrated.pool_ == trained.pool_
    recs = [r.strategy for r in trained.recommend(vector(1.0), k=4, kind="binary")]
    assert [r.strategy for r in migrated.recommend(vector(1.0), k=4, kind="binary")] == recs
    assert main(["metamodel", "migrate", str(old)]) == 0
    new = tmp_path / "old.npz"
    assert json.loads(new.with_name("old.npz.json").read_text())["format_version"] == FORMAT_VERSION
    assert [r.strategy for r in MetaModel.load(new).recommend(vector(1.0), k=4, kind="binary")] == recs


def test_a_model_file_is_read_once_per_process(trained, tmp_path):
    import os

    from automl_meta.metamodel import resolve_metamodel

    path = trained.save(tmp_path / "m.npz")
    first = resolve_metamodel(path)
    assert resolve_metamodel(str(path)) is first
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # the file changed: read again
    assert resolve_metamodel(path) is not first


def test_selection_among_the_best_of_each_group_equals_selection_among_all():
    """The recommender selects among the k best means of each nearest-common-strategy group: since a candidate's
    scenarios are its group's measured scores shrunk toward its own mean, the greedy set is the same."""
    from automl_meta.metamodel._recommender import _top_per_group
    from automl_meta.metamodel._selection import best_of_k

    rng = np.random.default_rng(0)
    for trial in range(20):
        n, groups, k = 400, 12, 5
        nearest = rng.integers(0, groups, n)
        mean = rng.random(n)
        measured = rng.random((30, groups))
        weights = rng.random(30)
        weights /= weights.sum()
        scenarios = 0.7 * measured[:, nearest] + 0.3 * mean[None, :]
        full = best_of_k(scenarios, weights, [int(np.argmax(mean))], k, mean)
        among = _top_per_group(nearest, mean, k)
        reduced = best_of_k(scenarios[:, among], weights, [int(np.argmax(mean[among]))], k, mean[among])
        assert [int(among[c]) for c in reduced] == full


def test_the_pool_embeddings_are_computed_once_per_model_and_kept(trained, tmp_path):
    """The networks' strategy embeddings of the candidate pool are kept in the data home's cache: a second
    process reads them (memory-mapped) and recommends the same; a damaged cache file is computed again."""
    from automl_meta.data import data_home

    path = trained.save(tmp_path / "m.npz")
    first = [r.strategy for r in MetaModel.load(path).recommend(vector(1.0), k=4, kind="binary")]
    cached = sorted((data_home() / "cache").glob("*.npy"))
    assert cached
    again = MetaModel.load(path)
    assert isinstance(again.recommender.prepared(again.n_fresh_).side.embeddings, np.memmap)
    assert [r.strategy for r in again.recommend(vector(1.0), k=4, kind="binary")] == first
    for file in cached:
        file.write_bytes(b"not an array")
    assert [r.strategy for r in MetaModel.load(path).recommend(vector(1.0), k=4, kind="binary")] == first


def test_the_cache_keeps_the_newest_arrays_only(tmp_path, monkeypatch):
    from automl_meta.metamodel import _persist

    monkeypatch.setenv("AUTOML_META_HOME", str(tmp_path))
    for i in range(_persist.CACHE_FILES + 2):
        assert _persist.cached_array(f"key{i}".encode(), lambda: np.arange(3.0))[2] == 2.0
    assert len(list((tmp_path / "cache").glob("*.npy"))) == _persist.CACHE_FILES

