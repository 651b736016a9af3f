"""Anytime benchmark (protocol 2 of docs/BENCHMARKS.md): how fast does each search find a good strategy?

On held-out groups (see _heldout.py: the meta-model and the baselines are trained without them) every method
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

import argparse
import logging
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _heldout import MODEL_CACHE, kind_class, open_store, select  # noqa: E402
from _machine import machine_stamp  # noqa: E402
from _stats import above_level_below, mean_with_interval  # noqa: E402
from _anytime_holdout import TEST_COLUMNS, incumbent_tests, reached, split_task, summarize_test  # noqa: E402

METHODS = ["metamodel", "portfolio", "knn", "tpe", "random"]
ORDER = METHODS[:1] + ["fixed", "guided"] + METHODS[1:]  # how tables and plots list the methods run
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


def incumbent_curves(trials: pd.DataFrame, checkpoints) -> pd.DataFrame:
    """Per task, method and checkpoint n: the normalized regret of the best score among the first n trials."""
    rows = []
    for task, tsub in trials.groupby("task", sort=False):
        ok = tsub["score"].astype(float).dropna()
        best, worst = (ok.max(), ok.min()) if len(ok) else (np.nan, np.nan)
        span = best - worst if len(ok) and best > worst else 1.0
        for method, msub in tsub.groupby("method", sort=False):
            scores = msub.sort_values("trial")["score"].to_numpy(dtype=float)
            for n in reached(checkpoints, len(scores)):
                seen = scores[:n]
                inc = np.nanmax(seen) if np.isfinite(seen).any() else np.nan
                regret = 1.0 if np.isnan(inc) else float((best - inc) / span)
                rows.append({"task": task, "group": msub["group"].iloc[0], "kind": msub["kind"].iloc[0],
                             "method": method, "n_trials": n, "regret": regret})
    return pd.DataFrame(rows, columns=["task", "group", "kind", "method", "n_trials", "regret"])


def average_ranks(curves: pd.DataFrame) -> pd.DataFrame:
    """Mean rank (1 = lowest regret, ties averaged) of each method per checkpoint, over tasks."""
    ranks = curves.copy()
    ranks["rank"] = ranks.groupby(["task", "n_trials"])["regret"].rank(method="average")
    table = ranks.pivot_table(index="n_trials", columns="method", values="rank", aggfunc="mean")
    return table[table.notna().sum(axis=1) > 1]  # a checkpoint only the cold methods reach (--warm-trials) ranks nothing


def paired(curves: pd.DataFrame, method: str, other: str, seed: int = 0) -> pd.DataFrame:
    """Per checkpoint: on how many tasks ``method``'s regret is below / equal to / above ``other``'s, and the mean
    of ``other`` − ``method`` with a 95% bootstrap interval over tasks (positive: ``method`` is ahead)."""
    wide = curves.pivot_table(index=["task", "n_trials"], columns="method", values="regret").reset_index()
    rng = np.random.default_rng(seed)
    rows = []
    for n, sub in wide.dropna(subset=[method, other]).groupby("n_trials"):
        diff = (sub[other] - sub[method]).to_numpy()
        rows.append({"n_trials": n, "better / level / worse": above_level_below(diff, 1e-9),
                     f"mean regret {other} − {method}": mean_with_interval(diff, rng)})
    return pd.DataFrame(rows).set_index("n_trials")


def five_against_cold(curves: pd.DataFrame, method: str, last: int, cold: str = "tpe") -> str:
    """``method``'s regret after 5 trials against ``cold``'s after ``last``, per task: below / level / above and
    the mean of cold − method with a 95% bootstrap interval (positive: ``method`` after 5 is ahead)."""
    five = curves[(curves["method"] == method) & (curves["n_trials"] == 5)].set_index("task")["regret"]
    end = curves[(curves["method"] == cold) & (curves["n_trials"] == last)].set_index("task")["regret"]
    diff = (end - five).dropna().to_numpy()
    return f"{above_level_below(diff, 1e-9)}, mean {cold} − {method} {mean_with_interval(diff)}"


def summarize(curves: pd.DataFrame, out_dir: Path, stamp: str, command: str, tag: str = "") -> str:
    lines = [f"## Anytime performance on held-out groups ({stamp})", "", f"Command: `{command}`", ""]
    for label, mask in (("all", slice(None)), ("classification", curves["kind"] != "regression"),
                        ("regression", curves["kind"] == "regression")):
        sub = curves[mask] if not isinstance(mask, slice) else curves
        if sub.empty:
            continue
        n_tasks = sub["task"].nunique()
        med = sub.pivot_table(index="n_trials", columns="method", values="regret", aggfunc="median")
        mean = sub.pivot_table(index="n_trials", columns="method", values="regret", aggfunc="mean")
        order = [m for m in ORDER if m in med.columns]
        lines += [f"### {label} ({n_tasks} tasks)", "", "median normalized regret (mean in brackets)", ""]
        table = pd.DataFrame({m: [f"{med.loc[n, m]:.3f} ({mean.loc[n, m]:.3f})" for n in med.index] for m in order},
                             index=med.index)
        lines += [table.to_markdown(), "", "average rank (1 = best)", ""]
        lines += [average_ranks(sub)[order].round(2).to_markdown(), ""]
    if {"metamodel", "fixed"} <= set(curves["method"]):
        lines += [f"### all ({curves['task'].nunique()} tasks): metamodel (adaptive warm starts) against fixed, per task",
                  "", paired(curves, "metamodel", "fixed").to_markdown(), ""]
    med = curves.pivot_table(index="n_trials", columns="method", values="regret", aggfunc="median")
    last = int(med.index.max())
    for method in ("metamodel", "fixed"):
        if {method, "tpe"} <= set(med.columns) and 5 in med.index and not np.isnan(med.loc[5, method]):
            m5, tl = med.loc[5, method], med.loc[last, "tpe"]
            verdict = "MET" if m5 <= tl else "MISSED"
            lines += [f"Target ({method}'s median regret after 5 trials <= tpe's after {last}): {m5:.3f} vs "
                      f"{tl:.3f}: **{verdict}**; per task {five_against_cold(curves, method, last)}", ""]
    plot(curves, out_dir, tag)
    return "\n".join(lines)


def plot(curves: pd.DataFrame, out_dir: Path, tag: str = "") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    med = curves.pivot_table(index="n_trials", columns="method", values="regret", aggfunc="median")
    mean = curves.pivot_table(index="n_trials", columns="method", values="regret", aggfunc="mean")
    ranks = average_ranks(curves)
    for name, frame, ylabel in ((f"anytime{tag}_regret.png", (med, mean), "normalized regret"),
                                (f"anytime{tag}_rank.png", (ranks,), "average rank (1 = best)")):
        fig, ax = plt.subplots(figsize=(6, 4))
        for m in ORDER:
            if m not in frame[0].columns:
                continue
            line, = ax.plot(frame[0].index, frame[0][m], marker="o", label=m)
            if len(frame) > 1:
                ax.plot(frame[1].index, frame[1][m], linestyle=":", color=line.get_color())
        ax.set_xscale("log")
        ax.set_xticks(frame[0].index, [str(n) for n in frame[0].index])
        ax.set_xlabel("trials")
        ax.set_ylabel(ylabel + (" (median; dotted: mean)" if len(frame) > 1 else ""))
        ax.set_title(f"held-out tasks: {curves['task'].nunique()}")
        ax.legend()
        ax.grid(alpha=0.3)
        fig.tight_layout()
        fig.savefig(out_dir / name, dpi=120)
        plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--metadataset", help="meta-dataset path/URL (default: the shipped one)")
    parser.add_argument("--tasks", type=int, default=24)
    parser.add_argument("--seed", type=int, default=0, help="the sample of held-out groups (default 0)")
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--warm-trials", type=int, default=None,
                        help="trials of the warm-started methods (default: --trials); the cold ones (tpe, random) "
                             "always run --trials, so that a warm start's first trials compare with cold search's 50. "
                             "With --summarize-only, a run of more trials is summarized as if they had stopped there")
    parser.add_argument("--members", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--only", help="run only these task names (comma-separated); for parallel runs")
    parser.add_argument("--out-dir", default=str(HERE / "results"))
    parser.add_argument("--holdout", action="store_true",
                        help="search 75%% of each task's rows and score the incumbents on the other 25%% (anytime_test.csv)")
    parser.add_argument("--smoke", action="store_true", help="1 task, 6 trials, a small meta-model")
    parser.add_argument("--summarize-only", action="store_true")
    parser.add_argument("--set-shrinkage", type=float, default=None,
                        help="the meta-model's set_shrinkage for its warm starts (default: its own, 0.3)")
    parser.add_argument("--tag", default="", help="suffix of the summary files (anytime_TAG.md ...): e.g. for another --methods set")
    args = parser.parse_args()
    if args.smoke:
        args.tasks, args.folds, args.trials, args.members, args.epochs = 1, 1, 6, 1, 3
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    trials_path, test_path = out_dir / "anytime_trials.csv", out_dir / "anytime_test.csv"
    methods = [m for m in args.methods.split(",") if m]
    checkpoints = [n for n in CHECKPOINTS if n <= args.trials] or [args.trials]

    logging.getLogger("automl_meta").setLevel(logging.WARNING)
    done = pd.read_csv(trials_path) if trials_path.exists() else pd.DataFrame(columns=TRIAL_COLUMNS)
    tests = pd.read_csv(test_path) if test_path.exists() else pd.DataFrame(columns=TEST_COLUMNS)
    if not args.summarize_only:
        store = open_store(args.metadataset)
        held = select(store, args.tasks, args.folds, seed=args.seed, members=args.members, epochs=args.epochs,
                      cache=None if args.smoke else MODEL_CACHE, set_shrinkage=args.set_shrinkage)
        names = [str(held.data.task_names[t]) for t in held.tasks]
        print(f"machine: {machine_stamp()}\n{len(names)} held-out tasks in {args.folds} folds: {names}", flush=True)
        todo = [t for t in sorted(held.tasks, key=held.fold)
                if not args.only or str(held.data.task_names[t]) in args.only.split(",")]
        for t in todo:
            name = str(held.data.task_names[t])
            missing = [m for m in methods if m not in set(done.loc[done["task"] == name, "method"])]
            for method, rows, tested in run_task(held, t, missing, args, checkpoints):
                meta = {"task": name, "group": str(held.data.groups[t]), "kind": str(held.data.kinds[t]), "method": method}
                done = pd.concat([done, pd.DataFrame([{**meta, **r} for r in rows])], ignore_index=True)
                done.to_csv(trials_path, index=False)  # after every method: a stopped run loses little
                if args.holdout:
                    tests = pd.concat([tests, pd.DataFrame([{**meta, **r} for r in tested])], ignore_index=True)
                    tests.to_csv(test_path, index=False)
    trials = done[done["method"].isin(methods)]
    if args.warm_trials:  # a run of more trials summarized as if the warm-started methods had stopped earlier
        trials = trials[trials["method"].isin(COLD) | (trials["trial"] < args.warm_trials)]
    complete = trials.groupby("task")["method"].nunique()
    trials = trials[trials["task"].isin(complete[complete == len(methods)].index)]  # compare like with like
    curves = incumbent_curves(trials, checkpoints)
    tag = f"_{args.tag}" if args.tag else ""
    curves.to_csv(out_dir / f"anytime{tag}.csv", index=False)
    command = "python benchmarks/bench_anytime.py" + (" --smoke" if args.smoke else
                                                      f" --tasks {args.tasks} --folds {args.folds} --trials {args.trials}")
    if args.seed:
        command += f" --seed {args.seed}"
    if args.warm_trials and not args.smoke:
        command += f" --warm-trials {args.warm_trials}"
    if args.methods != ",".join(METHODS):
        command += f" --methods {args.methods}"
    if args.set_shrinkage is not None:
        command += f" --set-shrinkage {args.set_shrinkage:g}"
    if args.tag:
        command += f" --tag {args.tag}"
    if args.holdout:
        command += " --holdout"
    report = summarize(curves, out_dir, machine_stamp(), command, tag)
    if args.holdout and not tests.empty:
        report += "\n" + "\n".join(summarize_test(tests[tests["task"].isin(curves["task"])], ORDER))
    (out_dir / f"anytime{tag}.md").write_text(report + "\n")
    print(report)


if __name__ == "__main__":
    main()
