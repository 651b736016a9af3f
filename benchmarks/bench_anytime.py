"""Anytime benchmark (protocol 2 of docs/BENCHMARKS.md): how fast does each search find a good strategy?

On held-out groups (see harness/heldout.py: the meta-model and the baselines are trained without them) every method
runs a real Optuna search of ``--trials`` trials on the task as the meta-dataset evaluated it (at most
``max_rows`` rows, 3-fold CV, the same per-trial time limit):

* ``metamodel``: the meta-model's 5 warm starts first, each after the first chosen knowing the scores of
  those before it (``AdaptiveWarmStarts``), then TPE (the estimators' ``warm_start="adaptive"``);
* ``fixed``: the meta-model's top-5 set chosen before any score (``recommend(k=5)``), then TPE (the
  estimators' default, ``warm_start=True``; not in the default set: ``--methods`` adds it);
* ``guided``: the adaptive warm starts, then TPE whose family the meta-model picks in half of the trials
  (``MetaGuidedSampler``; not in the default set: ``--methods`` adds it);
* ``portfolio``: the static portfolio's first 5 (auto-sklearn 2.0), then TPE;
* ``knn``: the best strategies of the 5 nearest training tasks (auto-sklearn 1.0), then TPE;
* ``tpe``: cold multivariate TPE (Optuna's default start: 10 random trials);
* ``random``: uniform random search.

The incumbent after n trials is the best inner-CV score among the first n (a failed trial adds nothing).
Normalized regret (HPO-B) = (best - incumbent) / (best - worst), best and worst over every trial of every
method on the task; 1 when nothing has succeeded yet. Average rank: the methods ranked by incumbent per task
(ties share the mean rank), averaged.

Writes (resumable: finished task/method pairs are kept):
  benchmarks/results/anytime_trials.csv   every trial: task, group, kind, method, trial, score, status, seconds
  benchmarks/results/anytime.csv          task, group, kind, method, n_trials, regret
  benchmarks/results/anytime.md           tables; anytime_regret.png, anytime_rank.png

Usage: python benchmarks/bench_anytime.py [--tasks 24] [--folds 4] [--trials 50] [--metadataset PATH]
       [--warm-trials 20]   (the warm-started methods stop after 20 trials: the question is their first few;
                             but the best of a task, the regret's reference, then comes from cold search's
                             trials 21-50 alone, which favours cold search at 50: the protocol runs
                             every method to 50, the default)
       [--methods metamodel,guided,portfolio,knn,tpe,random --tag guided]   (adds the guided sampler; its own summary files)
       [--seed 1 --out-dir DIR]   (another sample of held-out groups; its meta-models cached apart)
       [--holdout --out-dir DIR]   (search 75% of each task's rows; the incumbents also refit and scored on the
                                    other 25%: anytime_test.csv; see _anytime_holdout.py)
       [--smoke]   (1 task, 6 trials, small meta-model; what CI runs)
"""

from __future__ import annotations

import logging
import time

import numpy as np
import pandas as pd

from harness.anytime import ORDER, incumbent_curves, summarize
from harness.cli import RESULTS, benchmark_parser, command_line
from harness.heldout import MODEL_CACHE, kind_class, open_store, select
from harness.incumbents import TEST_COLUMNS, incumbent_tests, split_task, summarize_test
from harness.machine import machine_stamp

METHODS = ["metamodel", "portfolio", "knn", "tpe", "random"]
CHECKPOINTS = [1, 3, 5, 10, 20, 50]
COLD = ("tpe", "random")  # methods without a warm start
TRIAL_COLUMNS = ["task", "group", "kind", "method", "trial", "score", "status", "seconds", "strategy"]


def warm_starts(method: str, held, t: int, mf, k: int = 5):
    """The method's warm starts for task ``t``, whose searched rows have the meta-features ``mf``."""
    model, portfolios, nearest, _ = held.methods(held.fold(t))
    kind = str(held.data.kinds[t])
    if method in ("metamodel", "guided"):
        from automl_meta.search import AdaptiveWarmStarts

        return AdaptiveWarmStarts(model, mf, k=k, kind=kind)
    if method == "fixed":
        return [r.strategy for r in model.recommend(mf, k=k, kind=kind)]
    if method == "portfolio":
        return portfolios[kind_class(kind)].recommend(k=k)
    if method == "knn":
        return nearest[kind_class(kind)].recommend(mf, k=k)
    return []


def make_sampler(method: str, held, t: int, mf, seed: int):
    """The method's Optuna sampler; None for search's default TPE."""
    import optuna

    if method == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if method == "guided":
        from automl_meta.search import MetaGuidedSampler, family_weights

        model = held.methods(held.fold(t))[0]
        weights = family_weights(model, mf, str(held.data.kinds[t]))
        return MetaGuidedSampler(weights, seed=seed)
    return None


def run_search(method: str, task, enqueue, n_trials: int, evaluator, seed: int, sampler=None) -> list[dict]:
    from automl_meta.search import search

    result = search(task, n_trials=n_trials, enqueue=enqueue, sampler=sampler, random_state=seed,
                    metadataset=False, evaluator=evaluator)
    return [{"trial": i, "score": ev.score if ev.ok else np.nan, "status": ev.status, "seconds": ev.fit_seconds,
             "strategy": ev.strategy.to_json()} for i, ev in enumerate(result.evaluations)]


def run_task(held, t: int, methods, args, checkpoints):
    """Run each of ``methods`` on held-out task ``t``; yield (method, trial rows, held-out rows' incumbent scores:
    an empty list without --holdout)."""
    from automl_meta.evaluate import Evaluator

    if not methods:
        return
    from automl_meta.metafeatures import compute

    cfg = held.build_config
    task, test, mf = held.corpus_task(t), None, held.data.metafeatures[t]
    if args.holdout:  # the warm starts see the meta-features of the searched 75% only, never the test rows'
        task, test = split_task(task, int(cfg["cv"]))
        mf = compute(task, random_state=int(cfg["random_state"])).values
    with Evaluator(cv=task.cv, time_limit=float(cfg["time_limit"]), n_jobs=1,
                   random_state=int(cfg["random_state"])) as evaluator:
        for method in methods:
            t0 = time.perf_counter()
            n_trials = args.trials if method in COLD or not args.warm_trials else args.warm_trials
            rows = run_search(method, task, warm_starts(method, held, t, mf), n_trials, evaluator, seed=0,
                              sampler=make_sampler(method, held, t, mf, seed=0))
            tested = incumbent_tests(rows, checkpoints, task, test) if test is not None else []
            best = np.nanmax(pd.DataFrame(rows)["score"]) if rows else np.nan
            print(f"{task.name} [{method}] {len(rows)} trials, best {best:.4f}, {time.perf_counter() - t0:.0f} s",
                  flush=True)
            yield method, rows, tested


def _parser():
    parser = benchmark_parser(__doc__, metadataset=None, tasks=24, seed=(0, "the sample of held-out groups"), folds=4,
                              trials=50, members=5, epochs=60, methods=",".join(METHODS), out_dir=RESULTS,
                              smoke=(False, "1 task, 6 trials, a small meta-model"), summarize_only=False)
    parser.add_argument("--warm-trials", type=int, default=None,
                        help="trials of the warm-started methods (default: --trials); the cold ones (tpe, random) "
                             "always run --trials, so that a warm start's first trials compare with cold search's 50. "
                             "With --summarize-only, a run of more trials is summarized as if they had stopped there")
    parser.add_argument("--only", help="run only these task names (comma-separated); for parallel runs")
    parser.add_argument("--holdout", action="store_true",
                        help="search 75%% of each task's rows and score the incumbents on the other 25%% (anytime_test.csv)")
    parser.add_argument("--set-shrinkage", type=float, default=None,
                        help="the meta-model's set_shrinkage for its warm starts (default: its own, 0.3)")
    parser.add_argument("--tag", default="", help="suffix of the summary files (anytime_TAG.md ...): e.g. for another --methods set")
    return parser


def _run(args, methods, checkpoints, done, tests, trials_path, test_path):
    """Every method not run yet on every held-out task, its trials (and incumbents' tests) written as they come."""
    held = select(open_store(args.metadataset), args.tasks, args.folds, seed=args.seed, members=args.members,
                  epochs=args.epochs, cache=None if args.smoke else MODEL_CACHE, set_shrinkage=args.set_shrinkage)
    names = [str(held.data.task_names[t]) for t in held.tasks]
    print(f"machine: {machine_stamp()}\n{len(names)} held-out tasks in {args.folds} folds: {names}", flush=True)
    for t in sorted(held.tasks, key=held.fold):
        name = str(held.data.task_names[t])
        if args.only and name not in args.only.split(","):
            continue
        missing = [m for m in methods if m not in set(done.loc[done["task"] == name, "method"])]
        for method, rows, tested in run_task(held, t, missing, args, checkpoints):
            meta = {"task": name, "group": str(held.data.groups[t]), "kind": str(held.data.kinds[t]), "method": method}
            done = pd.concat([done, pd.DataFrame([{**meta, **r} for r in rows])], ignore_index=True)
            done.to_csv(trials_path, index=False)  # after every method: a stopped run loses little
            if args.holdout:
                tests = pd.concat([tests, pd.DataFrame([{**meta, **r} for r in tested])], ignore_index=True)
                tests.to_csv(test_path, index=False)
    return done, tests


def _comparable(done, methods, warm_trials) -> pd.DataFrame:
    """The trials of ``methods`` on the tasks every one of them ran (like with like); with ``warm_trials``, the
    warm-started methods' first ones only (a longer run summarized as if they had stopped there)."""
    trials = done[done["method"].isin(methods)]
    if warm_trials:
        trials = trials[trials["method"].isin(COLD) | (trials["trial"] < warm_trials)]
    complete = trials.groupby("task")["method"].nunique()
    return trials[trials["task"].isin(complete[complete == len(methods)].index)]


def main() -> None:
    parser = _parser()
    args = parser.parse_args()
    command = command_line(parser, args)
    if args.smoke:
        args.tasks, args.folds, args.trials, args.members, args.epochs = 1, 1, 6, 1, 3
    args.out_dir.mkdir(parents=True, exist_ok=True)
    trials_path, test_path = args.out_dir / "anytime_trials.csv", args.out_dir / "anytime_test.csv"
    methods = [m for m in args.methods.split(",") if m]
    checkpoints = [n for n in CHECKPOINTS if n <= args.trials] or [args.trials]
    logging.getLogger("automl_meta").setLevel(logging.WARNING)
    done = pd.read_csv(trials_path) if trials_path.exists() else pd.DataFrame(columns=TRIAL_COLUMNS)
    tests = pd.read_csv(test_path) if test_path.exists() else pd.DataFrame(columns=TEST_COLUMNS)
    if not args.summarize_only:
        done, tests = _run(args, methods, checkpoints, done, tests, trials_path, test_path)
    curves = incumbent_curves(_comparable(done, methods, args.warm_trials), checkpoints)
    tag = f"_{args.tag}" if args.tag else ""
    curves.to_csv(args.out_dir / f"anytime{tag}.csv", index=False)
    report = summarize(curves, args.out_dir, machine_stamp(), command, tag)
    if args.holdout and not tests.empty:
        report += "\n" + "\n".join(summarize_test(tests[tests["task"].isin(curves["task"])], ORDER))
    (args.out_dir / f"anytime{tag}.md").write_text(report + "\n")
    print(report)


if __name__ == "__main__":
    main()
