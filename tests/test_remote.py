"""Trials on a Dask cluster (evaluate/_remote.py): a LocalCluster of two single-threaded worker processes."""

import warnings

import pytest

from automl_meta.errors import ConfigError
from automl_meta.evaluate import Evaluator, evaluate
from automl_meta.evaluate._result import OK, TIMEOUT
from automl_meta.space import Strategy

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as c:
            yield c


@pytest.fixture(scope="module")
def client(cluster):
    with distributed.Client(cluster) as c:
        yield c


def test_an_evaluation_on_the_cluster_equals_the_local_one_and_is_ended_at_its_limit(client, tasks_by_kind):
    task = tasks_by_kind["binary"]
    slow = Strategy("random_forest", {"n_estimators": 512, "min_samples_leaf": 1, "max_features": 1.0})
    with Evaluator(cv=3, scheduler=client, workers=2, keep_predictions=True) as ev:
        remote = ev(Strategy.default("linear"), task)
        stopped = ev(slow, task, time_limit=0.05)
        after = ev(Strategy.default("knn"), task)
    local = evaluate(Strategy.default("linear"), task, cv=3, keep_predictions=True)
    assert remote.status == OK and remote.fold_scores == local.fold_scores
    assert remote.predictions.shape == local.predictions.shape and (remote.predictions == local.predictions).all()
    assert stopped.status == TIMEOUT and after.status == OK  # the worker's process was replaced


def test_a_fit_on_the_cluster_searches_there_and_returns_one_model(client, cluster, tasks_by_kind, tmp_path):
    from automl_meta.estimator import AutoMetaClassifier, load_model, save_model

    task = tasks_by_kind["multiclass"]
    model = AutoMetaClassifier(scheduler=client, n_trials=6, cv=3, families=["linear", "knn", "extra_trees"],
                               metadataset=False, random_state=0).fit(task.X, task.y)
    assert model.n_workers_ == 2 and len(model.study_.trials) == 6
    assert set(model.leaderboard_["status"]) == {"ok"} and model.predict_proba(task.X).shape == (len(task.X), 3)
    save_model(model, tmp_path / "m.joblib")  # saved without the client (a live connection)
    assert load_model(tmp_path / "m.joblib").get_params()["scheduler"] is None
    # the same search by address (the fit connects, and disconnects at its end), one trial at a time
    by_address = AutoMetaClassifier(scheduler=cluster.scheduler_address, n_jobs=1, n_trials=3, cv=3, warm_start=False,
                                    families=["linear"], metadataset=False).fit(task.X, task.y)
    assert by_address.n_workers_ == 1 and len(by_address.study_.trials) == 3


def test_an_unreachable_scheduler_is_a_clear_error(monkeypatch, tasks_by_kind):
    from automl_meta.estimator import AutoMetaRegressor
    from automl_meta.evaluate import _remote

    monkeypatch.setattr(_remote, "CONNECT_SECONDS", 1)
    task = tasks_by_kind["regression"]
    with pytest.raises(ConfigError, match="Cannot reach the Dask scheduler at 'tcp://127.0.0.1:9'"):
        AutoMetaRegressor(scheduler="tcp://127.0.0.1:9", n_trials=1, metadataset=False).fit(task.X, task.y)
    with pytest.raises(ConfigError, match="scheduler must be a dask.distributed.Client or a scheduler address"):
        AutoMetaRegressor(scheduler=42, n_trials=1, metadataset=False).fit(task.X, task.y)


def test_the_command_fits_on_a_cluster(cluster, tmp_path, capsys):
    from automl_meta.cli import main

    model = tmp_path / "m.amm"
    assert main(["fit", "example:penguins", "--trials", "2", "--cv", "3", "--out", str(model), "--metadataset",
                 str(tmp_path / "md.sqlite"), "--no-progress", "--scheduler", cluster.scheduler_address]) == 0
    assert model.exists() and "error" not in capsys.readouterr().err.lower()


def test_a_dask_worker_killed_in_a_trial_costs_that_trial_only(client, tasks_by_kind):
    """The Dask worker running an evaluation dies (its process exits): the scheduler runs the evaluation again
    on the other worker, and its result comes back as if nothing had happened; the cluster goes on."""
    import os
    import threading
    import time

    task = tasks_by_kind["regression"]
    slow = Strategy("random_forest", {"n_estimators": 400, "min_samples_leaf": 1, "max_features": 1.0})
    done = {}
    with Evaluator(cv=3, scheduler=client, workers=1) as ev:
        ev.prepare(task)
        thread = threading.Thread(target=lambda: done.update(result=ev(slow, task)))
        thread.start()
        deadline = time.monotonic() + 60
        while not any(client.processing().values()) and time.monotonic() < deadline:
            time.sleep(0.05)
        busy = [address for address, keys in client.processing().items() if keys]
        assert len(busy) == 1
        with pytest.raises(Exception):  # the worker process dies mid-trial, before it can answer
            client.run(os._exit, 1, workers=busy)
        thread.join(180)
        after = ev(Strategy.default("linear"), task)
    assert done["result"].status == OK, done["result"].error
    assert done["result"].score > 0.5 and after.status == OK


def test_a_dask_worker_killed_during_a_budgeted_fit_loses_and_repeats_no_trial(client, tasks_by_kind, tmp_path):
    """A whole fit under a time budget on the cluster, the Dask worker running a trial killed once two trials are
    recorded: the fit ends with a model; every trial of the study is in the meta-dataset once, and none is left
    running (the killed worker's trial ran again on the other worker, or was recorded as failed)."""
    import os
    import sqlite3
    import threading
    import time

    import optuna

    from automl_meta.estimator import AutoMetaRegressor

    task, db = tasks_by_kind["regression"], tmp_path / "md.sqlite"
    killed = []

    def recorded() -> int:
        try:
            with sqlite3.connect(db) as conn:
                return conn.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0]
        except sqlite3.OperationalError:  # not created yet
            return 0

    def kill_a_busy_worker():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not killed:
            busy = [address for address, keys in client.processing().items() if keys]
            if busy and recorded() >= 2:
                try:
                    client.run(os._exit, 1, workers=busy[:1])
                except Exception:  # the worker died before it could answer
                    pass
                killed.append(busy[0])
            time.sleep(0.05)

    killer = threading.Thread(target=kill_a_busy_worker)
    killer.start()
    model = AutoMetaRegressor(scheduler=client, time_budget=15, cv=3, warm_start=False, random_state=0,
                              families=["linear", "knn", "random_forest"], metadataset=str(db)).fit(task.X, task.y)
    killer.join()
    assert killed, "no trial was running on the cluster to kill"
    trials = [t for t in model.study_.trials if t.state != optuna.trial.TrialState.PRUNED]
    assert not [t for t in trials if t.state in (optuna.trial.TrialState.RUNNING, optuna.trial.TrialState.WAITING)]
    board = model.leaderboard_[model.leaderboard_["origin"] != "ensemble"]
    assert len(board) == len(trials) == recorded() and board["trial"].is_unique
    assert model.predict(task.X).shape == (len(task.X),)
