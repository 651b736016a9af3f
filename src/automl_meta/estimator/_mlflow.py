"""Logging a fit to MLflow: one run per fit, one nested run per trial, the final model as an artifact."""

from __future__ import annotations

import math
import tempfile
import time
from pathlib import Path

from automl_meta._internal._callbacks import SearchCallback, TrialReport
from automl_meta.errors import ConfigError


def _mlflow():
    try:
        import mlflow
    except ImportError as exc:
        raise ConfigError("MLflowCallback needs MLflow: pip install 'automl-meta[mlflow]'.") from exc
    return mlflow


class MLflowCallback(SearchCallback):
    """Log a fit to MLflow, as FLAML's ``mlflow_logging`` does.

    The fit is one run (the estimator's parameters; at its end the cross-validated score, the seconds, the
    number of trials, the leaderboard as ``leaderboard.csv`` and the model file as ``model/model.amm``, which
    ``automl-meta predict`` and ``automl_meta.load_model`` read); each trial is a run nested in it (its family
    and hyperparameters, ``score`` and ``fit_seconds``, its status and origin as tags; a failed trial is a
    FAILED run with its error). Runs are written with an ``MlflowClient`` by id, not through MLflow's active-run
    stack, which is per thread while trials are recorded from several.

    Parameters
    ----------
    tracking_uri : str, optional
        Where to log (``sqlite:///mlflow.db``, ``http://host:5000``, ...); MLflow's own default when None
        (``$MLFLOW_TRACKING_URI``, else its local default).
    experiment_name : str, default="automl-meta"
        Created when it does not exist.
    artifact_location : str, optional
        Where a new experiment keeps its artifacts (``file:///path/artifacts``, ``s3://...``); MLflow's default
        when None.
    run_name : str, optional
        The fit's run name; MLflow makes one up when None.
    log_model : bool, default=True
        Log the fitted model file.
    """

    def __init__(self, tracking_uri=None, experiment_name="automl-meta", artifact_location=None, run_name=None,
                 log_model=True):
        self.tracking_uri = tracking_uri
        self.experiment_name = experiment_name
        self.artifact_location = artifact_location
        self.run_name = run_name
        self.log_model = log_model

    def on_fit_start(self, estimator) -> None:
        self.run_id_ = None  # until the run exists: should MLflow fail here, the other events log nothing
        mlflow = _mlflow()
        self.client_ = mlflow.tracking.MlflowClient(tracking_uri=self.tracking_uri)
        experiment = self.client_.get_experiment_by_name(self.experiment_name)
        self.experiment_id_ = (experiment.experiment_id if experiment is not None
                               else self.client_.create_experiment(self.experiment_name, self.artifact_location))
        run = self.client_.create_run(self.experiment_id_, run_name=self.run_name,
                                      tags={"automl_meta.estimator": type(estimator).__name__})
        self.run_id_ = run.info.run_id
        params = {k: v for k, v in estimator.get_params().items() if k != "callbacks"}
        self._log(self.run_id_, params={k: v for k, v in params.items() if v is None or isinstance(v, (str, int, float, bool, list))})

    def on_trial(self, report: TrialReport) -> None:
        if getattr(self, "run_id_", None) is None:
            return
        run = self.client_.create_run(self.experiment_id_, run_name=f"trial {report.number}: {report.strategy.family}",
                                      tags={"mlflow.parentRunId": self.run_id_, "status": report.status,
                                            "origin": report.origin, **({"error": report.error[:5000]} if report.error else {})})
        self._log(run.info.run_id, params={"family": report.strategy.family, **report.strategy.params},
                  metrics={"score": report.score, "fit_seconds": report.fit_seconds})
        self.client_.set_terminated(run.info.run_id, status="FINISHED" if report.ok else "FAILED")

    def on_fit_end(self, estimator) -> None:
        if getattr(self, "run_id_", None) is None:
            return
        board = estimator.leaderboard_
        self._log(self.run_id_, metrics={"best_score": estimator.best_score_, "fit_seconds": estimator.fit_seconds_,
                                         "trials": int((board["origin"] != "ensemble").sum()),
                                         "ensemble_members": len(estimator.ensemble_)})
        self.client_.set_tag(self.run_id_, "best_strategy", str(estimator.best_strategy_)[:5000])
        with tempfile.TemporaryDirectory() as tmp:
            board.to_csv(Path(tmp) / "leaderboard.csv")
            self.client_.log_artifact(self.run_id_, str(Path(tmp) / "leaderboard.csv"))
            if self.log_model:
                from automl_meta.estimator._persist import save_model

                save_model(estimator, Path(tmp) / "model.amm")
                self.client_.log_artifact(self.run_id_, str(Path(tmp) / "model.amm"), artifact_path="model")
        self.client_.set_terminated(self.run_id_, status="FINISHED")

    def _log(self, run_id: str, params=None, metrics=None) -> None:
        from mlflow.entities import Metric, Param

        now = int(time.time() * 1000)
        self.client_.log_batch(
            run_id, params=[Param(str(k), str(v)[:500]) for k, v in (params or {}).items()],
            metrics=[Metric(k, float(v), now, 0) for k, v in (metrics or {}).items() if v is not None and math.isfinite(v)])
