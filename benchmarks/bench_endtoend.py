"""End-to-end benchmark (protocol 3 of docs/BENCHMARKS.md): the product against its peers at equal budgets.

For held-out tasks (the same sample and folds as bench_anytime.py; the meta-model used on a task was trained
without its group): an outer 75/25 split (stratified for classification, seeded), each method fitted on the
75% within a wall-clock budget, scored on the 25% with the task's metric (ROC AUC, one-vs-rest for multiclass;
R² for regression). The whole task (not the meta-dataset's 1,000-row subsample) is used. Every method gets
one core (n_jobs=1).

* ``automl_meta``: ``AutoMetaClassifier``/``AutoMetaRegressor(time_budget=B)``, warm-started by the held-out
  meta-model, trials recorded into a scratch meta-dataset;
* ``flaml_automl``: ``flaml.AutoML().fit(time_budget=B, metric=<same>)``; ``flaml_automl_ensemble``: the same
  with ``ensemble=True`` (FLAML's stacked ensemble);
* ``autogluon_medium``, ``autogluon_best``: ``autogluon.tabular.TabularPredictor(eval_metric=...).fit(time_limit=B,
  presets="medium_quality" | "best_quality", num_cpus=1)`` (AutoGluon has no macro one-vs-rest ROC AUC: on
  multiclass tasks it optimizes log loss; best_quality runs only at budgets of 600 s or more). Not in the
  default run: AutoGluon is large and pins pandas, scikit-learn and torch to other versions than this
  project's, so `make bench-endtoend-v2` installs it into a virtual environment of its own (`.venv-autogluon`,
  LightGBM, XGBoost and CatBoost models; no torch networks) and it runs there (`harness/autogluon_runner.py`);
* ``flaml_zeroshot``: ``flaml.default.LGBMClassifier``/``LGBMRegressor`` (FLAML's zero-shot, data-dependent
  defaults; no search, budget not used);
* ``automl_meta_zeroshot``: the held-out meta-model's top recommendation among the strategies predicted to fit
  the training split within 60 s (``recommend(k=1, n_rows=<training rows>, folds=1, max_seconds=60)``),
  trained once on the training split; no search, budget not used. Its predicted and measured seconds are kept
  (``predicted_seconds``);
* ``hgb_default``, ``rf_default``, ``linear_default``: scikit-learn defaults (logistic regression / ridge)
  after the usual preprocessing (median / most-frequent imputation, one-hot categories — at most 32 columns a
  feature, categories of fewer than 5 rows pooled — scaling for linear).

A method that raises is recorded with its error and, for ranks, given the score of a constant predictor
(AUC 0.5, R² 0) — failures count against it, as in the AutoML Benchmark.

Writes benchmarks/results/endtoend.csv (task, kind, method, budget_s, test_metric, seconds, error; resumable)
and endtoend.md (mean rank, win/tie/loss of each automl_meta preset against each other method, seconds and the
searching methods' budget overshoot, per kind and budget; the mean test metric by budget; inference costs).

Usage: python benchmarks/bench_endtoend.py [--tasks 16] [--budgets 30,120] [--metadataset PATH] [--smoke]
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

from harness.cli import RESULTS, benchmark_parser, command_line
from harness.endtoend import plot, summarize
from harness.heldout import MODEL_CACHE, open_store, select
from harness.machine import machine_stamp
from harness.peers import DEFAULT_METHODS, METHODS, SEARCHING, available, outer_split, run_one

COLUMNS = ["task", "kind", "method", "budget_s", "test_metric", "seconds", "error", "predicted_seconds", "n_rows",
           "predict_s_per_1k_rows", "size_bytes"]


def large_tasks(min_rows: int) -> set:
    """The names of the corpus tasks of more than ``min_rows`` rows."""
    from automl_meta.data import load_manifest

    manifest = load_manifest()
    return set(manifest.loc[manifest["n_rows"] > min_rows, "name"].astype(str))


def _parser():
    parser = benchmark_parser(__doc__, metadataset=None, tasks=(16, "the first N of bench_anytime's held-out sample"),
                              folds=4, methods=(",".join(DEFAULT_METHODS), f"any of {', '.join(METHODS)}"),
                              out_dir=RESULTS, seed=(0, "the methods' random seed (search, models); the outer split "
                                                        "stays seeded 0, so runs with different seeds compare per task"),
                              smoke=(False, "1 task, a 10 s budget, a small meta-model"), summarize_only=False)
    parser.add_argument("--sample", type=int, default=24, help="held-out sample size (as bench_anytime --tasks)")
    parser.add_argument("--budgets", default="30,120")
    parser.add_argument("--min-rows", type=int, default=0,
                        help="sample only corpus tasks of more than this many rows (the size targets)")
    parser.add_argument("--also", default="", help="other result files (comma-separated CSVs) whose rows join the "
                                                  "summary where this run has none (earlier runs of the peers)")
    parser.add_argument("--only", help="run only these task names (comma-separated), e.g. one part of the tasks "
                                       "per process in its own --out-dir; concatenate the CSVs and --summarize-only")
    return parser


def _cell(done, task, method, budget) -> pd.DataFrame:
    return done[(done["task"] == task.name) & (done["method"] == method) & (done["budget_s"] == budget)]


def with_rows_of(done: pd.DataFrame, paths) -> pd.DataFrame:
    """``done`` and the rows of the result files ``paths`` for the (task, method, budget) cells it lacks."""
    key = ["task", "method", "budget_s"]
    for path in paths:
        other = pd.read_csv(path, keep_default_na=False, na_values=[""])
        have = set(map(tuple, done[key].astype(str).to_numpy()))
        new = other[[tuple(r) not in have for r in other[key].astype(str).to_numpy()]]
        done = pd.concat([done, new], ignore_index=True)
    return done


def _run_task(task, path, scratch, methods, budgets, done, out, seed) -> pd.DataFrame:
    """Every method at every budget on one task, each row written as it comes (resumable)."""
    split = outer_split(task)
    for budget in budgets:
        for method in methods:
            if len(_cell(done, task, method, budget)) or (method == "autogluon_best" and budget < 600):
                continue  # done already; AutoGluon's best_quality needs long budgets: the 600 s runs only
            if method not in SEARCHING and budget != budgets[0]:
                # no search: the budget does not change what they fit; the first budget's result stands
                row = _cell(done, task, method, budgets[0]).iloc[0].to_dict() | {"budget_s": budget}
            else:
                run = run_one(method, task, budget, path, scratch, split, seed)
                row = {"task": task.name, "kind": task.kind, "method": method, "budget_s": budget, "test_metric": run.score,
                       "seconds": run.seconds, "error": run.error, "predicted_seconds": run.predicted_seconds,
                       "n_rows": len(split[0]), "predict_s_per_1k_rows": run.predict_s_per_1k_rows,
                       "size_bytes": run.size_bytes}
                print(f"{task.name} {budget:g}s {method}: {run.score:.4f} in {run.seconds:.1f} s {run.error}", flush=True)
            done = pd.concat([done, pd.DataFrame([row])], ignore_index=True)
            done.to_csv(out, index=False)
    return done


def _run(args, methods, budgets, done, out) -> pd.DataFrame:
    members, epochs, cache = (1, 3, None) if args.smoke else (5, 60, MODEL_CACHE)
    held = select(open_store(args.metadataset), args.sample, args.folds, members=members, epochs=epochs, cache=cache,
                  among=large_tasks(args.min_rows) if args.min_rows else None)
    scratch = Path(tempfile.mkdtemp())
    print(f"machine: {machine_stamp()}", flush=True)
    for t in held.tasks[: args.tasks]:
        if args.only and str(held.data.task_names[t]) not in args.only.split(","):
            continue
        model, _, _, path = held.methods(held.fold(t))
        if path is None:  # not cached (smoke runs): the estimator takes the model from a file
            path = model.save(scratch / "m.pt")
        done = _run_task(held.corpus_task(t, capped=False), path, scratch, methods, budgets, done, out, args.seed)
    return done


def main() -> None:
    parser = _parser()
    args = parser.parse_args()
    command = command_line(parser, args)
    if args.smoke:
        args.tasks, args.sample, args.folds, args.budgets = 1, 1, 1, "10"
    args.out_dir.mkdir(parents=True, exist_ok=True)
    out = args.out_dir / "endtoend.csv"
    methods = [m for m in args.methods.split(",") if m]
    methods = methods if args.summarize_only else available(methods)  # a summary needs no package
    budgets = [float(b) for b in args.budgets.split(",")]
    done = pd.read_csv(out, keep_default_na=False, na_values=[""]) if out.exists() else pd.DataFrame(columns=COLUMNS)
    if not args.summarize_only:
        done = _run(args, methods, budgets, done, out)
    ran = with_rows_of(done, [Path(p) for p in args.also.split(",") if p])
    ran = ran[ran["method"].isin(methods)]
    report = summarize(ran, machine_stamp(), command)
    (args.out_dir / "endtoend.md").write_text(report + "\n")
    plot(ran, args.out_dir / "endtoend_rank.png")
    print(report)


if __name__ == "__main__":
    main()
