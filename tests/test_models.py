"""Every family fits and predicts on every kind, with categoricals and missing values; encoding; the MLP."""

import numpy as np
import pandas as pd
import pytest

from automl_meta.errors import ConfigError, DataError
from automl_meta.models import TabularEncoder, TorchMLPClassifier, TorchMLPRegressor, build_model, resolve_device
from automl_meta.models._encoding import OUTPUTS
from automl_meta.space import FAMILIES, Strategy, available_families


@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression"])
@pytest.mark.parametrize("family", list(FAMILIES))
def test_every_family_fits_and_predicts(family, kind, tasks_by_kind):
    if family not in available_families(kind):
        pytest.skip(f"{family} needs {FAMILIES[family].requires}, which is not installed")
    task = tasks_by_kind[kind]
    X_train, y_train = task.X.iloc[:120], task.y.iloc[:120]
    X_test = task.X.iloc[120:]
    model = build_model(Strategy.default(family), kind, n_rows=120, device="cpu").fit(X_train, y_train)
    pred = model.predict(X_test)
    assert len(pred) == len(X_test)
    if kind == "regression":
        assert np.isfinite(pred).all()
        assert model.score(task.X, task.y) > 0  # it learned something
    else:
        proba = model.predict_proba(X_test)
        assert proba.shape == (len(X_test), task.y.nunique())
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)
        assert set(pred) <= set(task.y)


def test_unknown_family_and_unavailable_kind():
    with pytest.raises(ConfigError, match="Expected a Strategy"):
        build_model("knn", "binary")


@pytest.mark.parametrize("rare_rows", [1, 2])
def test_the_svm_gives_probabilities_of_a_class_rarer_than_its_calibration_folds(rare_rows):
    """A training fold may hold one or two rows of a rare class: the SVM's Platt scaling (3 internal folds)
    must still fit and give every class a probability (it failed with "Requesting 3-fold cross-validation")."""
    import warnings

    rng = np.random.RandomState(0)
    X = pd.DataFrame(rng.randn(40, 3), columns=["a", "b", "c"])
    y = pd.Series(["common"] * (40 - rare_rows - 9) + ["other"] * 9 + ["rare"] * rare_rows)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nor a warning of too few members for the folds
        model = build_model(Strategy.default("svm_rbf"), "multiclass", n_rows=40, device="cpu").fit(X, y)
        proba = model.predict_proba(X)
    assert list(model.classes_) == ["common", "other", "rare"] and proba.shape == (40, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)


def test_knn_neighbours_are_capped_by_rows():
    model = build_model(Strategy("knn", {"n_neighbors": 100}), "binary", n_rows=40)
    assert model[-1].n_neighbors == 39


class TestTabularEncoder:
    def frame(self):
        return pd.DataFrame({
            "num": [1.0, 2.0, np.nan, 4.0, 5.0, 6.0],
            "cat": ["a", "b", "a", None, "c", "a"],
            "flag": [True, False, True, True, False, True],
        })

    def test_onehot(self):
        enc = TabularEncoder("onehot").fit(self.frame())
        out = enc.transform(self.frame())
        # num (scaled), num missing indicator, cat: a b c missing, flag: True False
        assert out.shape == (6, 1 + 1 + 4 + 2)
        assert np.isfinite(out).all()
        np.testing.assert_allclose(out[:, 0].mean(), 0, atol=1e-12)

    def test_clip_holds_numbers_to_the_training_range(self):
        """clip=True: a value far outside the fitted range encodes as the range's end; without, as it is."""
        enc = TabularEncoder("onehot", clip=True).fit(self.frame())
        far = self.frame().assign(num=[1e12, -1e12, 2.0, np.nan, 3.0, 4.0])
        clipped, plain = enc.transform(far)[:, 0], TabularEncoder("onehot").fit(self.frame()).transform(far)[:, 0]
        inside = enc.transform(self.frame())[:, 0]
        assert clipped[0] == inside.max() and clipped[1] == inside.min() and plain[0] > 1e10
        np.testing.assert_allclose(clipped[2:], plain[2:])

    def test_an_mlp_does_not_extrapolate_an_outlier_into_a_huge_prediction(self):
        """The MLP family's pipeline clips its inputs: a test row 1e9 standard deviations out predicts within
        the targets' scale (unclipped, a ReLU network's output grows linearly with it)."""
        rng = np.random.default_rng(0)
        X = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
        y = X["a"] * 2 + X["b"] + rng.normal(scale=0.1, size=300)
        pipe = build_model(Strategy("mlp", {"max_epochs": 20}), "regression", device="cpu").fit(X, y)
        assert pipe.named_steps["encode"].clip
        pred = pipe.predict(pd.DataFrame({"a": [1e9], "b": [0.0]}))
        assert abs(pred[0]) < 10 * y.abs().max()

    def test_unseen_levels_reordered_and_extra_columns(self):
        enc = TabularEncoder("onehot").fit(self.frame())
        new = pd.DataFrame({"extra": [1, 2], "flag": [False, True], "cat": ["zzz", "a"], "num": [3.0, 1.0]})
        out = enc.transform(new)
        cat_block = out[:, 2:6]
        assert cat_block[0].sum() == 0 and cat_block[1].sum() == 1  # unseen level: no column set

    def test_missing_column_is_a_clear_error(self):
        enc = TabularEncoder("ordinal").fit(self.frame())
        with pytest.raises(DataError, match=r"Column\(s\) 'cat' seen in training are missing at prediction"):
            enc.transform(self.frame().drop(columns="cat"))

    def test_type_changed_at_predict_time(self):
        enc = TabularEncoder("ordinal").fit(self.frame())
        changed = self.frame().assign(num=["1.5", "oops", "3", None, "5", "6"])
        out = enc.transform(changed)
        assert out[0, 0] == 1.5 and out[1, 0] == enc.medians_[0]  # unparsable -> missing -> median

    def test_native_keeps_missing_and_categories(self):
        out = TabularEncoder("native").fit(self.frame()).transform(self.frame())
        assert out["num_0"].isna().sum() == 1
        assert isinstance(out["cat_0"].dtype, pd.CategoricalDtype)

    def test_rare_levels_are_pooled(self):
        frame = pd.DataFrame({"c": [f"v{i % 10}" for i in range(100)]})
        enc = TabularEncoder("onehot", max_levels=3).fit(frame)
        assert enc.has_other_["c"] and enc.transform(frame).shape == (100, 4)


class TestTargetEncoding:
    """A categorical column with more levels than the encoding keeps also gets its target encoding."""

    def data(self, n=400, levels=60, seed=0):
        rng = np.random.default_rng(seed)
        effect = rng.normal(size=levels)
        code = rng.integers(0, levels, n)
        X = pd.DataFrame({"x": rng.normal(size=n), "city": [f"c{i}" for i in code], "few": rng.choice(["a", "b"], n)})
        return X, pd.Series(effect[code] + rng.normal(scale=0.3, size=n)), effect, code

    @pytest.mark.parametrize("output, width", [("onehot", 1 + 1 + 33 + 2), ("ordinal", 1 + 1 + 2), ("native", 4)])
    def test_a_pooled_column_gets_one_target_column_in_every_output(self, output, width):
        X, y, effect, code = self.data()
        enc = TabularEncoder(output, max_levels=32, target_type="continuous")
        out = enc.fit_transform(X, y)
        assert list(enc.target_encoders_) == ["city"] and out.shape == (len(X), width)  # not "few": 2 levels
        new = enc.transform(X)
        column = new["num_1"].to_numpy() if output == "native" else new[:, 1]
        # on new rows, the encoder fitted on every training row: each level's shrunk mean target
        assert np.corrcoef(np.asarray(column, dtype=float), effect[code])[0, 1] > 0.95

    def test_training_rows_get_out_of_fold_encodings(self):
        """A level of one row says nothing of a new row; in-sample it would be that row's own target."""
        rng = np.random.default_rng(1)
        X = pd.DataFrame({"id_like": [f"r{i}" for i in range(300)], "x": rng.normal(size=300)})
        y = pd.Series(rng.normal(size=300))
        enc = TabularEncoder("ordinal", max_levels=10, target_type="continuous")
        oof = enc.fit_transform(X, y)[:, 1]
        in_sample = enc.transform(X)[:, 1]
        assert abs(np.corrcoef(oof, y)[0, 1]) < 0.2 < np.corrcoef(in_sample, y)[0, 1]

    def test_classes_none_and_old_encoders(self):
        X, y, _, _ = self.data()
        labels = pd.Series(np.array(["lo", "mid", "hi"])[np.digitize(y, [-0.5, 0.5])])
        enc = TabularEncoder("ordinal", max_levels=32, target_type="multiclass")
        assert enc.fit_transform(X, labels).shape == (len(X), 1 + 3 + 2)  # one column per class
        assert TabularEncoder("ordinal", max_levels=32, target_type=None).fit(X, y).transform(X).shape == (len(X), 3)
        assert TabularEncoder("ordinal", max_levels=32).fit(X).transform(X).shape == (len(X), 3)  # no target
        for output in OUTPUTS:  # fit_transform without a target, as a user's own pipeline may call it
            assert TabularEncoder(output).fit_transform(X).shape[0] == len(X)
        for name in ("target_encoders_", "target_means_", "target_scales_"):
            delattr(enc, name)  # a model saved before target encoding
        assert enc.transform(X).shape == (len(X), 3)

    def test_build_model_gives_the_encoder_the_task_s_target_type(self):
        """An integer regression target is not classes: the pipeline says "continuous", so one column."""
        X, y, _, _ = self.data()
        counts = pd.Series(np.round(y * 10).astype(int))
        pipe = build_model(Strategy("linear", {}), "regression").fit(X, counts)
        assert pipe.named_steps["encode"].target_type == "continuous"
        assert pipe.named_steps["encode"].target_encoders_["city"].target_type_ == "continuous"


class TestTorchMLP:
    def data(self, seed=0):
        rng = np.random.default_rng(seed)
        X = rng.normal(size=(200, 5))
        return X, (X[:, 0] + X[:, 1] > 0).astype(int), X[:, 0] * 3 - X[:, 2]

    def test_auto_device_is_cpu_without_cuda(self, monkeypatch):
        import torch

        monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
        assert resolve_device("auto") == "cpu"
        X, y, _ = self.data()
        assert TorchMLPClassifier(max_epochs=3).fit(X, y).device_ == "cpu"

    def test_auto_device_picks_cuda_when_present(self, monkeypatch):
        import torch

        from automl_meta.models import _device

        monkeypatch.setattr(_device, "nvidia_driver_present", lambda: True)
        monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
        assert resolve_device("auto") == "cuda"
        assert resolve_device("cpu") == "cpu"

    def test_cuda_without_a_gpu_is_an_error(self, monkeypatch):
        import torch

        monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
        with pytest.raises(ConfigError, match=r"device='cuda' but no CUDA device is available"):
            resolve_device("cuda")
        with pytest.raises(ConfigError, match=r"Unknown device 'tpu'"):
            resolve_device("tpu")

    def test_deterministic_on_cpu_and_learns(self):
        X, y, target = self.data()
        a = TorchMLPClassifier(random_state=1, device="cpu").fit(X, y).predict_proba(X)
        b = TorchMLPClassifier(random_state=1, device="cpu").fit(X, y).predict_proba(X)
        np.testing.assert_array_equal(a, b)
        c = TorchMLPClassifier(random_state=2, device="cpu").fit(X, y).predict_proba(X)
        assert not np.array_equal(a, c)
        assert TorchMLPClassifier(random_state=1, device="cpu").fit(X, y).score(X, y) > 0.9
        assert TorchMLPRegressor(random_state=1, device="cpu", learning_rate=1e-2).fit(X, target).score(X, target) > 0.9

    def test_early_stopping_stops(self):
        X, y, _ = self.data()
        model = TorchMLPClassifier(max_epochs=500, patience=3, learning_rate=3e-2, random_state=0, device="cpu").fit(X, y)
        assert model.n_epochs_ < 500

    def test_string_labels(self):
        X, y, _ = self.data()
        labels = np.array(["neg", "pos"])[y]
        model = TorchMLPClassifier(max_epochs=5, device="cpu").fit(X, labels)
        assert set(model.predict(X)) <= {"neg", "pos"} and list(model.classes_) == ["neg", "pos"]


def test_lightgbm_follows_a_cuda_device_only_where_its_build_can(monkeypatch):
    """On the CPU no device_type is set; on a CUDA fit the one the build supports (the PyPI wheel: none)."""
    pytest.importorskip("lightgbm")
    from automl_meta.models import _build, _device

    strategy = Strategy.default("lightgbm")
    assert build_model(strategy, "binary", device="cpu").get_params()["model"].get_params().get("device_type") is None
    monkeypatch.setattr(_build, "resolve_device", lambda device: "cuda")
    monkeypatch.setattr(_build, "lightgbm_gpu_device", lambda: "gpu")
    assert build_model(strategy, "binary", device="cuda").get_params()["model"].get_params()["device_type"] == "gpu"
    monkeypatch.setattr(_build, "lightgbm_gpu_device", _device.lightgbm_gpu_device)
    found = _device.lightgbm_gpu_device()  # the real probe: a CPU-only build says None, without raising
    assert found in (None, "cuda", "gpu")


def test_trials_share_a_gpu_as_its_free_memory_allows(monkeypatch):
    """gpu_trial_slots: free memory over what a trial may take, at least 1; None off the GPU."""
    import torch

    from automl_meta.models import gpu_trial_slots

    assert gpu_trial_slots("cpu") is None
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda index=0: (9 * 1024**3, 80 * 1024**3))
    assert gpu_trial_slots("cuda", per_trial=2 * 1024**3) == 4 and gpu_trial_slots("cuda:0", per_trial=1024**3) == 9
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda index=0: (100, 80 * 1024**3))
    assert gpu_trial_slots("cuda") == 1


def test_on_a_gpu_an_mlp_trains_with_a_gpu_batch(monkeypatch):
    """adapt_to_device: on a GPU, with enough rows for GPU_BATCH_MIN_STEPS steps an epoch, an MLP's batch
    rises to GPU_MIN_BATCH with the learning rate x sqrt(growth), held to the space; fewer rows, the CPU,
    other families and batches already that large are left; idempotent; the model built for a GPU and the
    evaluation that records it use the adapted strategy."""
    from automl_meta.data import Task
    from automl_meta.evaluate import cross_validate
    from automl_meta.models import _device, adapt_to_device
    from automl_meta.space import GPU_BATCH_MIN_STEPS, GPU_MIN_BATCH

    enough = GPU_BATCH_MIN_STEPS * GPU_MIN_BATCH
    asked = Strategy("mlp", {"batch_size": 128, "learning_rate": 1e-3})
    gpu = adapt_to_device(asked, "cuda", enough)
    assert gpu.params["batch_size"] == GPU_MIN_BATCH == 512
    assert gpu.params["learning_rate"] == pytest.approx(2e-3)  # sqrt(512 / 128) = 2
    assert {k: v for k, v in gpu.params.items() if k not in ("batch_size", "learning_rate")} == \
        {k: v for k, v in asked.params.items() if k not in ("batch_size", "learning_rate")}
    assert adapt_to_device(gpu, "cuda:1", enough) == gpu  # idempotent
    assert adapt_to_device(asked, "cuda") == gpu  # rows unknown: assumed enough
    assert adapt_to_device(asked, "cuda", enough - 1) is asked  # too few steps an epoch at 512
    assert adapt_to_device(asked, "cpu", enough) is asked
    high = FAMILIES["mlp"].params["learning_rate"].high
    fast = Strategy("mlp", {"batch_size": 32, "learning_rate": 0.02})
    assert adapt_to_device(fast, "cuda").params["learning_rate"] == high  # 0.02 x 4, held to the space
    big = Strategy("mlp", {"batch_size": 512})
    assert adapt_to_device(big, "cuda") is big
    forest = Strategy.default("random_forest")
    assert adapt_to_device(forest, "cuda") is forest
    monkeypatch.setattr(_device, "cuda_available", lambda: False)
    assert adapt_to_device(asked, "auto") is asked
    monkeypatch.setattr(_device, "cuda_available", lambda: True)
    assert adapt_to_device(asked, "auto") == gpu
    monkeypatch.setattr(_device, "cuda_available", lambda: False)
    model = build_model(asked, "binary", n_rows=enough, device="cuda").named_steps["model"]
    assert (model.batch_size, model.learning_rate) == (512, pytest.approx(2e-3))
    assert build_model(asked, "binary", n_rows=100, device="cuda").named_steps["model"].batch_size == 128
    assert build_model(asked, "binary", n_rows=enough, device="cpu").named_steps["model"].batch_size == 128
    # what an evaluation records is what it trained (here it cannot: no GPU, a recorded failure, not a crash)
    n = 2 * enough
    task = Task(pd.DataFrame({"a": np.arange(n, dtype=float)}), pd.Series(np.arange(n) % 2), cv=2)
    result = cross_validate(asked, task, cv=2, device="cuda")
    assert result.strategy == gpu and result.status == "error" and "CUDA" in result.error
    small = Task(pd.DataFrame({"a": np.arange(40.0)}), pd.Series(np.arange(40) % 2), cv=2)
    assert cross_validate(asked, small, cv=2, device="cuda").strategy == asked
