"""The GPU paths: models and the meta-model trained on CUDA, and model files that move between a GPU machine and
a CPU-only one. The CUDA tests skip with the reason where no GPU is visible (CI has none; they were run on an
H100, see the README); the first two run everywhere."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from automl_meta.models._device import cuda_available

needs_cuda = pytest.mark.skipif(not cuda_available(), reason="no CUDA device visible (run on a GPU machine)")


def _separable(n=300, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4)).astype(np.float32)
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    return X, y


def _cpu_only_env():
    env = dict(os.environ)
    env["CUDA_VISIBLE_DEVICES"] = ""  # what a machine without a GPU sees
    return env


def test_a_network_fitted_on_a_gpu_loads_on_the_cpu_when_none_is_there():
    """The state a CUDA-fitted network pickles is on the CPU, and unpickling without CUDA lands on the CPU
    (simulated here by marking a CPU fit as a CUDA one: that is all __setstate__ sees)."""
    from automl_meta.models._torch_mlp import TorchMLPClassifier

    X, y = _separable()
    model = TorchMLPClassifier(max_epochs=5, device="cpu", random_state=0).fit(X, y)
    expected = model.predict_proba(X)
    model.device_ = "cuda"
    network = model.model_
    state = model.__getstate__()
    assert all(p.device.type == "cpu" for p in state["model_"].parameters())
    assert model.model_ is network, "pickling must not move the fitted object's own network"
    if not cuda_available():
        loaded = pickle.loads(pickle.dumps(model))
        assert loaded.device_ == "cpu"
        np.testing.assert_allclose(loaded.predict_proba(X), expected, rtol=1e-6)


def test_metamodel_device_is_a_run_time_choice_not_saved(tmp_path):
    from automl_meta.errors import ConfigError
    from automl_meta.metadataset import MetaDataset, shipped_path
    from automl_meta.metamodel import MetaModel

    store = MetaDataset(tmp_path / "md.sqlite")
    store.import_file(shipped_path())
    data = store.training_data().subset(range(0, len(store.tasks()), 10))  # a tenth of the tasks: 1 s, not 19
    with pytest.raises(ConfigError, match="Unknown device 'tpu'"):
        MetaModel(n_members=1, epochs=1, device="tpu").fit(data)
    model = MetaModel(n_members=1, epochs=1, device="cpu").fit(data)
    path = model.save(tmp_path / "mm.pt")
    assert "device" not in MetaModel.load(path)._config()


@needs_cuda
def test_mlp_trains_and_predicts_on_cuda():
    from automl_meta.models._torch_mlp import TorchMLPClassifier, TorchMLPRegressor

    X, y = _separable()
    clf = TorchMLPClassifier(max_epochs=50, device="cuda", random_state=0).fit(X, y)
    assert clf.device_.startswith("cuda")
    assert next(clf.model_.parameters()).is_cuda
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert (clf.predict(X) == y).mean() > 0.9
    reg = TorchMLPRegressor(max_epochs=50, device="cuda", random_state=0).fit(X, X[:, 0] * 3.0)
    assert reg.score(X, X[:, 0] * 3.0) > 0.8


@needs_cuda
def test_a_cuda_model_file_predicts_the_same_on_a_machine_without_a_gpu(tmp_path):
    """Fit the estimator on the GPU, save the signed model file, load and predict in a process that sees no
    GPU: the same probabilities."""
    from automl_meta import AutoMetaClassifier, save_model
    from automl_meta.examples import load_example

    task = load_example()
    clf = AutoMetaClassifier(n_trials=2, families=["mlp"], device="cuda", metadataset=False, random_state=0)
    clf.fit(task.X, task.y)
    assert clf.best_estimator_.named_steps["model"].device_.startswith("cuda")
    path = tmp_path / "model.amm"
    save_model(clf, path)
    expected = clf.predict_proba(task.X)
    script = textwrap.dedent(f"""
        import numpy as np, pandas as pd, torch
        from automl_meta import load_model
        from automl_meta.examples import load_example
        assert not torch.cuda.is_available()
        model = load_model({str(path)!r})
        np.save({str(tmp_path / 'proba.npy')!r}, model.predict_proba(load_example().X))
    """)
    subprocess.run([sys.executable, "-c", script], check=True, env=_cpu_only_env(), timeout=300)
    np.testing.assert_allclose(np.load(tmp_path / "proba.npy"), expected, rtol=1e-4, atol=1e-6)


@needs_cuda
def test_isolated_trials_run_on_cuda():
    from automl_meta.evaluate import Evaluator
    from automl_meta.examples import load_example
    from automl_meta.space import Strategy

    task = load_example()
    with Evaluator(cv=3, isolate=True, device="cuda") as evaluator:
        ev = evaluator(Strategy.default("mlp"), task)
    assert ev.ok, ev.error
    assert 0.5 < ev.score <= 1.0


@needs_cuda
def test_metamodel_trains_on_cuda_and_predicts_on_the_cpu(tmp_path):
    from automl_meta.metadataset import MetaDataset, shipped_path
    from automl_meta.metamodel import MetaModel

    store = MetaDataset(tmp_path / "md.sqlite")
    store.import_file(shipped_path())
    data = store.training_data()
    gpu = MetaModel(n_members=2, epochs=3, device="cuda").fit(data)
    cpu = MetaModel(n_members=2, epochs=3, device="cpu").fit(data)
    assert all(next(net.parameters()).device.type == "cpu" for net in gpu.members_)
    mf = data.metafeatures[0]
    recs = gpu.recommend(mf, k=5, kind=str(data.kinds[0]))
    assert len(recs) == 5
    # the same training on another device: not bit-identical, but the same ranking signal
    s_gpu, _, _ = gpu.predict(mf, cpu.candidates_[:200])
    s_cpu, _, _ = cpu.predict(mf, cpu.candidates_[:200])
    assert np.corrcoef(s_gpu, s_cpu)[0, 1] > 0.8
    loaded = MetaModel.load(gpu.save(tmp_path / "gpu.pt"))
    np.testing.assert_allclose(loaded.predict(mf, cpu.candidates_[:20])[0], gpu.predict(mf, cpu.candidates_[:20])[0], rtol=1e-5)


@needs_cuda
def test_the_gpu_has_room_for_at_least_one_trial():
    from automl_meta.models import gpu_trial_slots

    assert gpu_trial_slots("cuda") >= 1


@needs_cuda
def test_a_cuda_evaluation_trains_and_records_the_gpu_batch():
    """On a GPU an MLP strategy's cross-validation runs with the GPU's batch and records that strategy."""
    import pandas as pd

    from automl_meta.data import Task
    from automl_meta.evaluate import cross_validate
    from automl_meta.models import adapt_to_device
    from automl_meta.space import Strategy

    X, y = _separable(40_000)  # folds of 26,666 training rows: enough for the GPU's batch
    task = Task(pd.DataFrame(X), pd.Series(y), cv=3)
    asked = Strategy("mlp", {"batch_size": 64, "max_epochs": 5})
    result = cross_validate(asked, task, cv=3, device="cuda")
    assert result.ok and result.strategy == adapt_to_device(asked, "cuda") and result.score > 0.9
    assert result.strategy.params["batch_size"] == 512
