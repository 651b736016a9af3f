"""The benchmarks' harness (benchmarks/harness/) and the quick checks of the benchmark scripts; the scripts run
whole at their smoke sizes in tests/test_benchmarks_smoke.py (``make test-slow``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture
def harness(monkeypatch):
    """benchmarks/ on the path for this test only, as a script run by its path has it."""
    monkeypatch.syspath_prepend(str(BENCH))


def _run(script: str, *args: str, timeout: int = 600) -> str:
    proc = subprocess.run([sys.executable, str(BENCH / script), *args], capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_anytime_holdout_scores_each_incumbent_on_rows_the_search_never_saw(harness):
    """bench_anytime --holdout: the incumbent after n trials (the best inner-CV score so far) is refit on the 75%
    and scored on the 25%; a checkpoint before any success scores NaN; one past the trials run is left out."""
    from harness.incumbents import incumbent_tests, paired_test, split_task

    from automl_meta.data import Task
    from automl_meta.space import Strategy

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=240), "b": rng.choice(["u", "v"], size=240)})
    y = np.where(X["a"] + (X["b"] == "u") + rng.normal(scale=0.3, size=240) > 0.5, "yes", "no")
    train, test = split_task(Task(X, y, name="t", cv=3), cv=3)
    assert train.n_rows == 180 and len(test[0]) == 60 and train.cv == 3 and train.name == "t"
    strong, weak = Strategy.default("hist_gb").to_json(), Strategy.default("knn").to_json()
    rows = [{"score": np.nan, "strategy": weak}, {"score": 0.7, "strategy": weak}, {"score": 0.9, "strategy": strong},
            {"score": 0.8, "strategy": weak}]
    out = incumbent_tests(rows, [1, 3, 5], train, test)
    assert [(r["n_trials"], r["trial"]) for r in out] == [(1, -1), (3, 2)]  # 5 > 4 trials run: not reached
    assert np.isnan(out[0]["test_score"]) and 0.8 < out[1]["test_score"] <= 1.0 and out[1]["cv_score"] == 0.9
    # a class of 3 rows keeps 2 in the 75%: its search cross-validates with 2 folds, not a DataError
    y_rare = y.copy()
    y_rare[:3] = "rare"
    assert split_task(Task(X, y_rare, name="t", cv=3), cv=3)[0].cv == 2
    frame = pd.DataFrame([{"task": f"t{i}", "method": m, "n_trials": n, "test_score": s}
                          for i in range(3) for m, n, s in (("metamodel", 5, 0.8 + i / 10), ("tpe", 50, 0.85))])
    table = paired_test(frame, [(("metamodel", 5), ("tpe", 50))])
    assert table.loc[0, "better / level / worse"] == "2 / 0 / 1" and table.loc[0, "tasks"] == 3


def test_the_benchmarks_document_shows_the_committed_results():
    """docs/BENCHMARKS.md's generated blocks match benchmarks/results/*.md (python benchmarks/readme_results.py)."""
    proc = subprocess.run([sys.executable, str(BENCH / "readme_results.py"), "--check"], capture_output=True, text=True)
    assert proc.returncode == 0, "docs/BENCHMARKS.md is out of date: run python benchmarks/readme_results.py"


def test_autogluon_runs_in_its_own_environment(tmp_path, harness):
    """The AutoGluon peer, driven in its own interpreter (`make bench-endtoend-v2` makes .venv-autogluon):
    its classes, probabilities and own fit seconds in the benchmark's form."""
    from harness.peers import AutoGluon, autogluon_python, test_score

    if autogluon_python() is None:
        pytest.skip("no interpreter with AutoGluon (make bench-endtoend-v2 installs one)")
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=300), "b": rng.choice(["u", "v"], size=300)})
    y = np.where(X["a"] + (X["b"] == "u") > 0.5, "yes", "no")
    model = AutoGluon(10, "medium_quality", "roc_auc", tmp_path).fit(X[:200], y[:200])
    assert list(model.classes_) == ["no", "yes"] and model.fit_seconds_ > 0
    assert model.predict_proba(X[200:]).shape == (100, 2) and test_score("roc_auc", model, X[200:], y[200:]) > 0.8


def test_compare_endtoend_pairs_two_codes_per_seed_and_over_seeds(tmp_path):
    paths = {}
    for code, shift in (("a", 0.0), ("b", 0.01)):
        for seed in (0, 1):
            frame = pd.DataFrame({"task": ["t1", "t2", "t3"], "kind": "binary", "method": "automl_meta",
                                  "budget_s": 120, "test_metric": np.array([0.7, 0.8, 0.9]) + shift + 0.001 * seed})
            paths[code, seed] = tmp_path / f"{code}{seed}.csv"
            frame.to_csv(paths[code, seed], index=False)
    runs = [arg for (code, seed), path in paths.items() for arg in ("--run", f"{code}:{seed}:{path}")]
    out = _run("compare_endtoend.py", *runs, "--out", str(tmp_path / "both.csv"))
    wide = pd.read_csv(tmp_path / "both.csv")
    assert list(wide.columns) == ["task", "kind", "budget_s", "seed", "a", "b"] and len(wide) == 6
    assert out.count("3 / 0 / 0") == 3 and "+0.0100 [+0.0100, +0.0100]" in out  # b ahead by 0.01 everywhere


def test_the_shared_options_are_defined_once_and_the_command_names_what_differs(harness, monkeypatch):
    from harness.cli import REQUIRED, RESULTS, benchmark_parser, command_line

    parser = benchmark_parser("doc", metadataset=REQUIRED, folds=(4, "folds here"), out_dir=RESULTS, smoke=False)
    parser.add_argument("--size", type=int, default=3000)
    with pytest.raises(SystemExit):
        parser.parse_args([])  # --metadataset is required
    args = parser.parse_args(["--metadataset", "md.sqlite", "--smoke", "--size", "10"])
    assert args.out_dir == RESULTS and args.folds == 4 and "folds here" in parser.format_help()
    monkeypatch.setattr(sys, "argv", ["benchmarks/bench_x.py"])
    assert command_line(parser, args) == "python benchmarks/bench_x.py --metadataset md.sqlite --smoke --size 10"


def test_every_benchmark_script_answers_help():
    """Each script parses its options without running anything (imports and the shared parser work)."""
    scripts = sorted(BENCH.glob("bench_*.py")) + [BENCH / "compare_endtoend.py"]
    for script in scripts:
        proc = subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0 and "usage:" in proc.stdout, (script.name, proc.stderr[-2000:])


def test_endtoend_summary_compares_each_preset_and_each_budget_on_the_same_tasks(harness):
    """Each quality preset gets its win/tie/loss against every other method and a rank verdict among the peers
    (the other presets left out); the by-budget table uses only tasks run at every budget, and says whether
    quality='best' rises strictly with the budget."""
    from harness.endtoend import summarize

    rows = []
    for task, base in (("a", 0.70), ("b", 0.80), ("c", 0.60)):
        for budget, gain in ((30.0, 0.00), (120.0, 0.01)):
            for method, offset in (("automl_meta", 0.0), ("automl_meta_best", 0.02), ("flaml_automl", 0.01)):
                if task == "c" and method == "automl_meta_best" and budget == 120.0:
                    continue  # not run yet: task c leaves best's by-budget row
                rows.append({"task": task, "kind": "binary", "method": method, "budget_s": budget,
                             "test_metric": base + offset + gain, "seconds": budget, "error": ""})
    out = summarize(pd.DataFrame(rows), "stamp", "cmd")
    assert "automl_meta_best win/tie/loss vs automl_meta 3/0/0, flaml_automl 3/0/0" in out
    assert "30 s, automl_meta 2.00 (best flaml_automl 1.00): MISSED" in out
    assert "30 s, automl_meta_best 1.00 (best automl_meta_best 1.00): MET" in out
    by_budget = out[out.index("### mean test metric by budget"):]
    assert "| automl_meta_best |" in by_budget and "|       2 |" in by_budget  # tasks a and b only
    assert "0.7700 -> 0.7800: MET" in by_budget  # best on a and b: (0.72 + 0.82) / 2, then + 0.01


def test_endtoend_summary_takes_earlier_runs_rows_only_for_the_cells_it_lacks(harness, tmp_path):
    from bench_endtoend import with_rows_of

    ours = pd.DataFrame({"task": ["a", "a"], "method": ["automl_meta", "flaml_automl"], "budget_s": [30.0, 30.0],
                         "test_metric": [0.9, 0.8]})
    earlier = ours.assign(test_metric=[0.1, 0.2])
    earlier.loc[2] = ["a", "autogluon_best", 600.0, 0.7]
    earlier.to_csv(tmp_path / "earlier.csv", index=False)
    both = with_rows_of(ours, [tmp_path / "earlier.csv"])
    assert sorted(both["test_metric"]) == [0.7, 0.8, 0.9]  # this run's cells kept; only the missing one added


def test_selection_rules_and_summary(harness):
    """bench_selection: the 1-SE rule takes the fastest trial within one standard error of the best; the summary
    compares every rule with the best single trial and with Caruana's selection, task by task."""
    from bench_selection import one_se_cheapest, summarize

    from automl_meta.evaluate import Evaluation
    from automl_meta.space import Strategy

    def trial(score, seconds):
        return Evaluation(Strategy.default("linear"), "roc_auc", "ok", score=score, fit_seconds=seconds,
                          fold_scores=[score - 0.02, score, score + 0.02])  # standard error 0.0115

    best, near_and_fast, far_and_faster = trial(0.80, 5.0), trial(0.79, 1.0), trial(0.70, 0.1)
    assert one_se_cheapest([best, near_and_fast, far_and_faster]) is near_and_fast
    rows = pd.DataFrame([{"task": t, "rule": r, "test_metric": v, "fit_seconds": 10.0, "rescore_seconds": 1.0}
                         for t, scores in (("a", (0.80, 0.82, 0.81)), ("b", (0.70, 0.70, 0.69)))
                         for r, v in zip(("argmax", "caruana", "rescore top-5"), scores)])
    out = summarize(rows, "stamp", "cmd")
    assert "| rescore top-5 |       2 |               0.75 | 1/0/1" in out  # vs argmax: +0.01 on a, -0.01 on b
    assert "re-scoring the leaders on fresh folds 2 s in all (10% of the fits' time)" in out


def test_final_members_scores_ensembles_refitted_and_bagged_and_splits_by_unit(harness):
    """bench_final_members: an ensemble is scored with its members refitted once or bagged over folds (a shared
    member fitted once for both ensembles); a unit split never puts one unit's rows on both sides."""
    from bench_final_members import ensemble_scores, unit_split

    from automl_meta.space import Strategy

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=400), "b": rng.normal(size=400)})
    y = pd.Series(2 * X["a"] - X["b"] + rng.normal(scale=0.5, size=400))
    train, test = unit_split(len(X), rows_per_unit=8)
    assert not set(np.arange(400)[train] // 8) & set(np.arange(400)[test] // 8) and len(test) % 8 == 0 and 0.2 < len(test) / 400 < 0.3
    linear, forest = Strategy.default("linear"), Strategy("random_forest", {"n_estimators": 32})
    rows = ensemble_scores("regression", "r2", X, y, train, test, {"one": [(linear, 1.0)], "two": [(linear, 3.0), (forest, 1.0)]}, folds=3)
    assert [(r["ensemble"], r["members"], r["fitted"]) for r in rows] == [
        ("one", 1, "refit"), ("one", 1, "bagged"), ("two", 2, "refit"), ("two", 2, "bagged")]
    # the linear model is nearly the truth: refitted or bagged alike, and ahead of a blend with a small forest
    assert rows[0]["test_metric"] > 0.9 and abs(rows[0]["test_metric"] - rows[1]["test_metric"]) < 0.01
    assert rows[0]["test_metric"] > rows[2]["test_metric"]
