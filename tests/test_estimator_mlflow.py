"""estimator/_mlflow.py: a fit logged to a real local MLflow store (SQLite: MLflow 3 keeps its file store in
maintenance only): one run, one nested run per trial, the model."""

import pytest

from automl_meta import AutoMetaClassifier, MLflowCallback, load_model

mlflow = pytest.importorskip("mlflow", reason="MLflow is not installed (pip install 'automl-meta[mlflow]')")


def test_a_fit_is_one_run_with_a_nested_run_per_trial_and_its_model(tasks_by_kind, tmp_path):
    task = tasks_by_kind["multiclass"]
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    callback = MLflowCallback(tracking_uri=uri, experiment_name="tests", artifact_location=(tmp_path / "art").as_uri(),
                              run_name="fit")
    model = AutoMetaClassifier(n_trials=3, cv=3, warm_start=False, families=["linear", "knn"], metadataset=False,
                               random_state=0, n_jobs=2, callbacks=[callback]).fit(task.X, task.y)
    client = mlflow.tracking.MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("tests")
    runs = client.search_runs([experiment.experiment_id])
    (parent,) = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id]
    assert parent.info.run_name == "fit" and parent.info.status == "FINISHED" and len(children) == 3
    assert parent.data.params["n_trials"] == "3" and parent.data.metrics["trials"] == 3
    assert parent.data.metrics["best_score"] == pytest.approx(model.best_score_)
    board = model.leaderboard_.set_index("trial")
    for child in children:
        number = int(child.info.run_name.split()[1].rstrip(":"))
        assert child.data.params["family"] == board.loc[number, "family"] and child.info.status == "FINISHED"
        assert child.data.metrics["score"] == pytest.approx(board.loc[number, "score"])
        assert child.data.tags["origin"] == "sampler"
    artifacts = {a.path for a in client.list_artifacts(parent.info.run_id)} | \
        {a.path for a in client.list_artifacts(parent.info.run_id, "model")}
    assert {"leaderboard.csv", "model/model.amm"} <= artifacts
    path = client.download_artifacts(parent.info.run_id, "model/model.amm", str(tmp_path))
    assert (load_model(path).predict(task.X) == model.predict(task.X)).all()


def test_a_failed_trial_is_a_failed_nested_run_with_its_error(tasks_by_kind, tmp_path, monkeypatch):
    from automl_meta.models import _build
    from helpers import Raises

    monkeypatch.setitem(_build._MAKERS, "knn", lambda *a: Raises())
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    task = tasks_by_kind["binary"]
    AutoMetaClassifier(n_trials=4, cv=3, warm_start=False, families=["linear", "knn"], metadataset=False, n_jobs=1,
                       random_state=0, callbacks=[MLflowCallback(uri, artifact_location=(tmp_path / "art").as_uri())]).fit(task.X, task.y)
    client = mlflow.tracking.MlflowClient(tracking_uri=uri)
    runs = client.search_runs([client.get_experiment_by_name("automl-meta").experiment_id])
    failed = [r for r in runs if r.data.tags.get("status") == "error"]
    assert failed and all(r.info.status == "FAILED" and r.data.tags["error"] for r in failed)
