"""The command line: output, one-line errors with exit code 2, --debug tracebacks, and a light start-up."""

import json
import re
import subprocess
import sys

import pandas as pd
import pytest

from automl_meta.cli import main
from automl_meta.metafeatures import FEATURE_NAMES
from helpers import stored


def test_metafeatures_json(capsys):
    assert main(["metafeatures", "example:penguins", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["task"]["kind"] == "multiclass"
    assert list(out["metafeatures"]) == list(FEATURE_NAMES)
    assert len(out["metafeatures"]) >= 40


def test_metafeatures_table(tmp_path, capsys, mixed_frame):
    path = tmp_path / "d.csv"
    mixed_frame.to_csv(path, index=False)
    assert main(["metafeatures", str(path), "--target", "y_reg"]) == 0
    out = capsys.readouterr().out
    assert "kind='regression'" in out and "lm_tree" in out and "landmarking" in out


def test_error_is_one_line_without_traceback(tmp_path, capsys):
    assert main(["metafeatures", str(tmp_path / "missing.csv"), "--target", "y"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("automl-meta: error: File ") and "does not exist" in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_missing_target_argument(capsys):
    assert main(["metafeatures", "data.csv"]) == 2
    assert "Pass --target COLUMN" in capsys.readouterr().err


def test_debug_shows_the_traceback(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "automl_meta.cli._main", "--debug", "metafeatures", str(tmp_path), "--target", "y"],
        capture_output=True, text=True,
    )
    assert proc.returncode != 0
    assert "Traceback" in proc.stderr and "DataError" in proc.stderr and "is a folder" in proc.stderr


def test_warnings_are_printed(tmp_path, capsys, mixed_frame):
    path = tmp_path / "d.csv"
    mixed_frame.assign(empty=None).to_csv(path, index=False)
    assert main(["metafeatures", str(path), "--target", "y_reg"]) == 0
    assert "warning: Dropped all-missing column(s): 'empty'" in capsys.readouterr().err


def test_fit_prints_a_warning_of_the_table_once(tmp_path, capsys):
    """fit checks the table when it loads it and the estimator checks it again: each warning printed once."""
    import numpy as np

    rng = np.random.default_rng(0)
    labels = rng.choice(["Yes", "yes", "No"], 60)
    path = tmp_path / "d.csv"
    pd.DataFrame({"x": rng.normal(size=60), "y": labels}).to_csv(path, index=False)
    argv = ["fit", str(path), "--target", "y", "--trials", "1", "--jobs", "1", "--cv", "3", "--no-warm-start",
            "--no-ensemble", "--no-progress", "--metadataset", str(tmp_path / "md.sqlite"), "--out", str(tmp_path / "m.joblib")]
    assert main(argv) == 0
    assert capsys.readouterr().err.count("differ only in case") == 1
    assert main(argv) == 0  # a second command in the same process prints its warnings again
    assert capsys.readouterr().err.count("differ only in case") == 1


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "metafeatures" in capsys.readouterr().out


def test_help_imports_nothing_heavy():
    code = "import sys; from automl_meta.cli._main import build_parser; build_parser().format_help(); " \
           "heavy = [m for m in ('pandas', 'numpy', 'sklearn', 'torch', 'optuna') if m in sys.modules]; print(heavy)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("argv", [["--help"], ["metafeatures", "--help"]])
def test_help_exits_zero(argv):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 0


def test_search_prints_a_leaderboard_and_records_trials(tmp_path, capsys):
    store = tmp_path / "md.sqlite"
    argv = ["search", "example:penguins", "--trials", "3", "--families", "linear,knn", "--cv", "3",
            "--metadataset", str(store), "--no-progress"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "3 trials in" in captured.out and "rank" in captured.out and "roc_auc_ovr" in captured.out
    assert "recorded 3 evaluations" in captured.err
    from automl_meta.metadataset import MetaDataset

    assert MetaDataset(store).count() == (1, 3)
    assert main(argv[:-1] + ["--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["leaderboard"]) == 3 and out["leaderboard"][0]["rank"] == 1


@pytest.mark.parametrize(
    "extra, message",
    [(["--trials", "0"], "n_trials must be a positive integer; got 0"),
     ([], "Give n_trials, time_budget or both"),
     (["--trials", "2", "--time-budget", "-5"], "time_budget must be a positive number of seconds; got -5.0"),
     (["--trials", "2", "--families", "lgbm"], "Did you mean 'lightgbm'")],
)
def test_search_bad_arguments(extra, message, capsys, tmp_path):
    assert main(["search", "example:penguins", "--metadataset", str(tmp_path / "m.sqlite"), *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_metamodel_train(tmp_path, capsys):
    from automl_meta.evaluate import Evaluation
    from automl_meta.metadataset import MetaDataset
    from automl_meta.metamodel import MetaModel
    from automl_meta.space import Strategy

    from helpers import make_mixed_frame
    from automl_meta.data import Task

    store = MetaDataset(tmp_path / "md.sqlite")
    for seed in range(3):
        frame = make_mixed_frame(n=60, seed=seed)
        tid = stored(store, Task(frame.drop(columns=["y_binary", "y_multi", "y_reg"]), frame["y_binary"], name=f"t{seed}"))
        evs = [Evaluation(Strategy("knn", {"n_neighbors": k}), "roc_auc", "ok", score=0.5 + k / 100, fit_seconds=0.1) for k in (1, 5, 20)]
        store.add_evaluations(tid, evs, origin="common")
    out = tmp_path / "model" / "mm.pt"
    assert main(["metamodel", "train", "--metadataset", str(tmp_path / "md.sqlite"), "--out", str(out),
                 "--members", "2", "--epochs", "5"]) == 0
    assert "trained on 3 tasks and 9 evaluations" in capsys.readouterr().out
    assert MetaModel.load(out).n_members == 2


@pytest.fixture
def saved_metamodel(tmp_path):
    from helpers import synthetic_data

    from automl_meta.metamodel import MetaModel

    return MetaModel(n_members=2, epochs=5).fit(synthetic_data()).save(tmp_path / "mm.pt")


def test_recommend(saved_metamodel, capsys):
    assert main(["recommend", "example:penguins", "--metamodel", str(saved_metamodel), "--top", "3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["recommendations"]) == 3 and out["recommendations"][0]["rank"] == 1
    assert {"strategy", "predicted_score", "uncertainty", "predicted_seconds"} <= set(out["recommendations"][0])
    assert len(out["similar_tasks"]) == 3
    assert main(["recommend", "example:penguins", "--metamodel", str(saved_metamodel)]) == 0
    assert "most similar known tasks: t" in capsys.readouterr().out


def test_recommend_without_a_metamodel(capsys, monkeypatch):
    import automl_meta.metamodel._default as default

    monkeypatch.setattr(default, "SHIPPED_MODEL", default.SHIPPED_MODEL.with_name("absent.pt"))
    assert main(["recommend", "example:penguins"]) == 2
    assert "No meta-model is available" in capsys.readouterr().err


def test_fit_then_predict(tmp_path, capsys, mixed_frame):
    data = tmp_path / "train.csv"
    mixed_frame.drop(columns=["y_multi", "y_reg"]).to_csv(data, index=False)
    model = tmp_path / "model.joblib"
    assert main(["fit", str(data), "--target", "y_binary", "--trials", "2", "--cv", "3", "--out", str(model),
                 "--no-warm-start", "--no-progress", "--metadataset", str(tmp_path / "md.sqlite")]) == 0
    assert "2 trials in" in capsys.readouterr().out
    new = tmp_path / "new.csv"
    mixed_frame.drop(columns=["y_binary", "y_multi", "y_reg"]).iloc[:25].to_csv(new, index=False)
    pred = tmp_path / "pred.csv"
    assert main(["predict", str(model), str(new), "--out", str(pred), "--proba"]) == 0
    out = pd.read_csv(pred)
    assert len(out) == 25 and set(out["prediction"]) <= {"yes", "no"} and {"proba_no", "proba_yes"} <= set(out.columns)
    assert main(["predict", str(new), str(new), "--out", str(pred)]) == 2  # a CSV is not a model
    assert "is not a model saved by automl-meta" in capsys.readouterr().err


def test_fit_drops_a_class_of_one_row_and_folds_for_a_rare_one(tmp_path, capsys, mixed_frame):
    """A real table's rare classes: one row dropped with a warning, two rows fitted with fewer folds."""
    frame = mixed_frame.drop(columns=["y_multi", "y_reg"]).reset_index(drop=True)
    frame.loc[0, "y_binary"] = "once"
    frame.loc[[1, 2], "y_binary"] = "twice"
    data = tmp_path / "rare.csv"
    frame.to_csv(data, index=False)
    assert main(["fit", str(data), "--target", "y_binary", "--trials", "2", "--cv", "3", "--out", str(tmp_path / "m.amm"),
                 "--no-warm-start", "--no-progress", "--metadataset", str(tmp_path / "md.sqlite")]) == 0
    err = capsys.readouterr().err
    assert "warning: Dropped the single row of class(es) 'once'" in err
    assert "Class 'twice' has only 2 rows, fewer than cv=3: cross-validating with 2 folds" in err


def test_metamodel_update_writes_the_users_model():
    from automl_meta.data import data_home
    from automl_meta.metadataset import MetaDataset
    from automl_meta.evaluate import Evaluation
    from automl_meta.space import Strategy
    from automl_meta.data import Task
    from helpers import make_mixed_frame

    store = MetaDataset()
    for seed in range(2):
        frame = make_mixed_frame(n=60, seed=seed)
        tid = stored(store, Task(frame.drop(columns=["y_binary", "y_multi", "y_reg"]), frame["y_reg"], name=f"r{seed}"))
        store.add_evaluations(tid, [Evaluation(Strategy("linear", {"reg_strength": r}), "r2", "ok", score=r / 10, fit_seconds=0.1)
                                    for r in (0.1, 1.0, 10.0)], origin="search")
    assert main(["metamodel", "update", "--members", "1", "--epochs", "2"]) == 0
    assert (data_home() / "metamodel.npz").is_file() and (data_home() / "metamodel.npz.json").is_file()


def test_the_learning_loop_remembers_a_dataset_fitted_before(tmp_path, capsys, mixed_frame):
    """fit records the trials into the user's store, metamodel update retrains, and recommend on the same data
    then leads with what the fit found best."""
    from automl_meta.metadataset import MetaDataset

    data = tmp_path / "train.csv"
    mixed_frame.drop(columns=["y_multi", "y_reg"]).to_csv(data, index=False)
    store = MetaDataset()  # the user's store: a copy of the shipped meta-dataset on first use
    assert main(["fit", str(data), "--target", "y_binary", "--trials", "4", "--cv", "3", "--out", str(tmp_path / "m.amm"),
                 "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["metamodel", "update", "--members", "1", "--epochs", "2"]) == 0
    capsys.readouterr()
    assert main(["recommend", str(data), "--target", "y_binary", "--top", "3", "--json"]) == 0
    recs = json.loads(capsys.readouterr().out)["recommendations"]
    assert recs[0]["remembered"]
    evals = store.evaluations()
    recorded = evals[evals["task_id"] == evals["task_id"].max()]  # the task fitted last
    best = recorded.sort_values("score").iloc[-1]
    assert recs[0]["strategy"]["family"] == best["family"]
    assert recs[0]["strategy"]["params"] == json.loads(best["params"])
    assert main(["recommend", str(data), "--target", "y_binary", "--top", "3"]) == 0
    assert "seen before: train is this dataset" in capsys.readouterr().out  # recorded under the file's name


@pytest.mark.parametrize("flags, expected", [([], True), (["--adaptive-warm-starts"], "adaptive"),
                                             (["--no-warm-start"], False)])
def test_fit_warm_start_flags_reach_the_estimator(tmp_path, capsys, mixed_frame, monkeypatch, flags, expected):
    from automl_meta.errors import ConfigError
    from automl_meta.estimator import AutoMetaClassifier

    seen = {}

    def stop(self, X, y, task_name=None, **kwargs):
        seen["warm_start"] = self.warm_start
        raise ConfigError("stopped before the search")

    monkeypatch.setattr(AutoMetaClassifier, "fit", stop)
    data = tmp_path / "train.csv"
    mixed_frame.drop(columns=["y_multi", "y_reg"]).to_csv(data, index=False)
    assert main(["fit", str(data), "--target", "y_binary", "--out", str(tmp_path / "m.joblib"), *flags]) == 2
    assert seen["warm_start"] == expected and "stopped before the search" in capsys.readouterr().err


@pytest.mark.parametrize("out, message", [("missing/m.amm", "the folder .* does not exist"), (".", "it is a folder")])
def test_fit_checks_that_it_can_write_the_model_before_searching(tmp_path, capsys, mixed_frame, monkeypatch, out, message):
    from automl_meta.estimator import AutoMetaClassifier

    def never(self, X, y, task_name=None):
        raise AssertionError("the search started")

    monkeypatch.setattr(AutoMetaClassifier, "fit", never)
    data = tmp_path / "train.csv"
    mixed_frame.drop(columns=["y_multi", "y_reg"]).to_csv(data, index=False)
    assert main(["fit", str(data), "--target", "y_binary", "--out", str(tmp_path / out)]) == 2
    err = capsys.readouterr().err
    assert re.search(f"Cannot write the model to .*{message}", err) and "Traceback" not in err
