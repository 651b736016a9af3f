"""Latency of the meta-learning step: what a user waits for before the first trial, on one machine.

(a) ``automl-meta recommend`` wall time on a 300-row and a 50,000-row CSV (synthetic mixed tables, seeded),
    beside ``python -c "import pandas, sklearn"`` run alternately in the same loop: the machine's yardstick;
(b) ``MetaModel.recommend`` alone with the model loaded: the first call on a task and a repeated one;
(c) the estimator's overhead at budgets 10, 30 and 60 s on a 300-row table: from ``fit`` to the first trial
    started, and from the last trial's end to ``fit`` returning; the trials run and how many timed out;
(d) zero-shot fit seconds (the top recommendation fitted once; and the estimator with ``n_trials=1``, which
    cross-validates it and refits, no budget, one core) beside FLAML's zero-shot
    (``flaml.default.LGBM*``) on the end-to-end benchmark's held-out tasks (needs the corpus, ``../shared``, and
    the ``benchmarks`` extra; skipped with the reason otherwise). Seconds only: the shipped meta-model is used.

``--busy`` keeps one core busy with a CPU-bound process the whole run (the "slow machine" of the issue: a
2-core laptop with another job); ``--busy 2`` two such processes (both cores of a 2-core machine). Medians
over ``--repeats``. Writes a Markdown report and a CSV.

With ``--fit-budget S`` part (d) also fits every task with ``time_budget=S`` on one core: its seconds, and
whether it ended with a finished trial.

(e) a new user's first fits, each in a fresh process as a user runs them: the penguins (the shipped example,
    344 rows) with ``time_budget=10`` and the defaults (the user's meta-dataset, every core), in a data home of
    its own: the first fit (whose store is first copied from the shipped meta-dataset), then a second; seconds,
    trials finished, and whether the fit ended on the no-trial fallback; ``--e-budget S`` another budget than
    10 s. Not in the default parts.

Other parts than the default a,b,c,d write ``latency_<parts>`` (``latency_e.csv``), not the default run's files.

Usage: python benchmarks/bench_latency.py [--parts a,b,c,d,e] [--repeats 5] [--busy [N]] [--fit-budget S]
       [--e-budget S] [--out-dir DIR]
"""

from __future__ import annotations

import contextlib
import datetime
import multiprocessing
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
from harness.cli import RESULTS, benchmark_parser, command_line
from harness.machine import machine_stamp
from harness.synthetic import mixed_frame

ROOT = HERE.parent
CLI = [sys.executable, "-m", "automl_meta"]
YARDSTICK = [sys.executable, "-c", "import pandas, sklearn"]
ZERO_SHOT_TASKS = 12  # the end-to-end benchmark's held-out tasks (bench_endtoend --tasks 12)


def _spin(parent: int) -> None:  # pragma: no cover - runs in the busy process
    """Busy until the benchmark's process is gone (a killed benchmark must not leave its load behind)."""
    import os

    while os.getppid() == parent:
        for _ in range(1_000_000):
            pass


@contextlib.contextmanager
def busy_core(processes: int):
    """``processes`` CPU-bound processes for the duration (as many cores kept busy); none for 0."""
    import os

    context = multiprocessing.get_context("spawn")
    procs = [context.Process(target=_spin, args=(os.getpid(),), daemon=True) for _ in range(int(processes))]
    for proc in procs:
        proc.start()
    try:
        yield
    finally:
        for proc in procs:
            proc.terminate()
            proc.join()


def table_csv(folder: Path, n_rows: int) -> Path:
    """A seeded mixed table (20 columns, text categoricals, missing values) with its binary target ``y``."""
    frame, y = mixed_frame(n_rows, n_cols=20, seed=0)
    frame["y"] = np.where(y == 1, "yes", "no")
    path = folder / f"table_{n_rows}.csv"
    frame.to_csv(path, index=False)
    return path


def wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    return time.perf_counter() - start


def part_a(folder: Path, repeats: int) -> list[dict]:
    rows = []
    for n_rows in (300, 50_000):
        csv = table_csv(folder, n_rows)
        wall(CLI + ["recommend", str(csv), "--target", "y"])  # the first run after a table is written: files cached
        cli, yard = [], []
        for _ in range(repeats):  # alternately, so that both see the same machine
            cli.append(wall(CLI + ["recommend", str(csv), "--target", "y"]))
            yard.append(wall(YARDSTICK))
        rows.append({"part": "a", "what": f"automl-meta recommend, {n_rows:,}-row CSV", "seconds": statistics.median(cli),
                     "yardstick_s": statistics.median(yard), "ratio": statistics.median(cli) / statistics.median(yard)})
    return rows


def part_b(repeats: int) -> list[dict]:
    from automl_meta.data import Task
    from automl_meta.examples import load_example
    from automl_meta.metafeatures import compute
    from automl_meta.metamodel import SHIPPED_MODEL, MetaModel

    start = time.perf_counter()
    model = MetaModel.load(SHIPPED_MODEL)
    load_s = time.perf_counter() - start
    queries = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for target in ("species", "body_mass_g", "sex", "island"):
            task = load_example("penguins", target=target)
            queries.append((compute(task), task.kind, task.n_rows))
        for n_rows, seed in ((300, 1), (5_000, 2), (50_000, 3)):
            frame, y = mixed_frame(n_rows, n_cols=20, seed=seed)
            task = Task(frame, y, kind="binary")
            queries.append((compute(task), task.kind, task.n_rows))
    first, again = [], []
    for mf, kind, n_rows in queries:
        params = dict(k=5, kind=kind, n_rows=n_rows, folds=5, max_seconds=7.5)
        start = time.perf_counter()
        model.recommend(mf, **params)
        first.append(time.perf_counter() - start)
        for _ in range(repeats):
            start = time.perf_counter()
            model.recommend(mf, **params)
            again.append(time.perf_counter() - start)
    return [{"part": "b", "what": "MetaModel.load (shipped model, candidate pool prepared)", "seconds": load_s},
            {"part": "b", "what": f"MetaModel.recommend, first call on a task ({len(first)} tasks; max {max(first):.3f} s)",
             "seconds": statistics.median(first)},
            {"part": "b", "what": "MetaModel.recommend, the same task again", "seconds": statistics.median(again)}]


def _overhead(budget: float, seed: int) -> dict:
    """One fit of a 300-row table at ``budget``: seconds to the first trial and after the last one."""
    from automl_meta import AutoMetaClassifier

    frame, y = mixed_frame(300, n_cols=20, seed=seed)
    model = AutoMetaClassifier(time_budget=budget, metadataset=False, random_state=seed)
    began = datetime.datetime.now()
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(frame, y)
    seconds = time.perf_counter() - start
    ended = began + datetime.timedelta(seconds=seconds)
    trials = [t for t in model.study_.trials if t.datetime_start is not None]
    first = min(t.datetime_start for t in trials) if trials else ended
    # when the first evaluation's work began: a trial is created, then waits for a worker that is still starting
    done = [t for t in trials if t.datetime_complete is not None and t.user_attrs.get("fit_seconds") is not None]
    working = min((t.datetime_complete - datetime.timedelta(seconds=float(t.user_attrs["fit_seconds"])) for t in done),
                  default=ended)
    last = max((t.datetime_complete for t in trials if t.datetime_complete is not None), default=first)
    board = model.leaderboard_
    return {"seconds": seconds, "to_first_trial_s": (first - began).total_seconds(),
            "to_first_work_s": (working - began).total_seconds(),
            "after_last_trial_s": (ended - last).total_seconds(), "trials": int((board["origin"] != "ensemble").sum()),
            "timeouts": int((board["status"] == "timeout").sum()) if "status" in board else 0}


def part_c(repeats: int) -> list[dict]:
    rows = []
    for budget in (10.0, 30.0, 60.0):
        runs = [_overhead(budget, seed) for seed in range(max(1, repeats // 2))]
        rows.append({"part": "c", "what": f"fit, time_budget={budget:g} s, 300 rows",
                     "seconds": statistics.median(r["seconds"] for r in runs),
                     "to_first_trial_s": statistics.median(r["to_first_trial_s"] for r in runs),
                     "share_of_budget": statistics.median(r["to_first_trial_s"] for r in runs) / budget,
                     "to_first_work_s": statistics.median(r["to_first_work_s"] for r in runs),
                     "after_last_trial_s": statistics.median(r["after_last_trial_s"] for r in runs),
                     "trials": statistics.median(r["trials"] for r in runs),
                     "timeouts": sum(r["timeouts"] for r in runs), "runs": len(runs)})
    return rows


_FIRST_FIT = """
import json, sys, time, warnings
from automl_meta import AutoMetaClassifier
from automl_meta.examples import load_example
task = load_example()
start = time.perf_counter()
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    model = AutoMetaClassifier(time_budget=float(sys.argv[1]), random_state=0).fit(task.X, task.y)
board = model.leaderboard_
print(json.dumps({"seconds": time.perf_counter() - start, "finished": int((board["status"] == "ok").sum()),
                  "fallback": any("No trial finished" in str(w.message) for w in caught)}))
"""


def part_e(repeats: int, budget: float = 10.0) -> list[dict]:
    """A new user's first and second fit (each a fresh process, a fresh data home per repeat)."""
    import json
    import os

    runs = {"first": [], "second": []}
    for _ in range(max(1, repeats // 2)):
        with tempfile.TemporaryDirectory() as home:
            env = dict(os.environ, AUTOML_META_HOME=home)
            for which in runs:
                out = subprocess.run([sys.executable, "-c", _FIRST_FIT, str(budget)], env=env, capture_output=True,
                                     text=True, check=True).stdout
                runs[which].append(json.loads(out.strip().splitlines()[-1]))
    return [{"part": "e", "what": f"a new user's {which} fit, time_budget={budget:g} s, the penguins (344 rows)",
             "seconds": statistics.median(r["seconds"] for r in rs), "max_seconds": max(r["seconds"] for r in rs),
             "trials": statistics.median(r["finished"] for r in rs),
             "fallbacks": sum(r["fallback"] for r in rs), "runs": len(rs)} for which, rs in runs.items()]


def part_d(fit_budget: float | None = None, n_tasks: int = ZERO_SHOT_TASKS) -> list[dict]:
    from automl_meta.data import default_manifest_path

    manifest = default_manifest_path()
    if manifest is None or not Path(manifest).is_file():
        return [{"part": "d", "what": "zero-shot fits: skipped (no corpus: ../shared/datasets/manifest.csv)"}]
    try:
        import flaml.default  # noqa: F401
    except ImportError:
        return [{"part": "d", "what": "zero-shot fits: skipped (FLAML is not installed: pip install -e '.[benchmarks]')"}]
    from harness.peers import outer_split, test_score

    results = pd.read_csv(HERE / "results" / "endtoend.csv")
    names = list(dict.fromkeys(results["task"]))[:n_tasks]
    rows = []
    for name in names:
        task = _corpus_task(name)
        if task is None:
            continue
        X_train, X_test, y_train, y_test = outer_split(task)
        for method in ("automl_meta", "automl_meta_zeroshot", "flaml") + (("automl_meta_budget",) if fit_budget else ()):
            model = _zero_shot(method, task, fit_budget)
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model.fit(X_train, y_train)
            seconds = time.perf_counter() - start
            label = (f"{fit_budget:g} s fit" if method == "automl_meta_budget" else
                     "automl_meta n_trials=1" if method == "automl_meta" else f"zero-shot {method}")
            row = {"part": "d", "what": f"{label}, {name} ({len(X_train):,} rows)", "method": method, "task": name,
                   "seconds": seconds, "test_metric": test_score(task.metric, model, X_test, y_test)}
            if method == "automl_meta_budget":  # NaN: no trial finished within the budget
                row["finished_trial"] = bool(np.isfinite(model.best_score_))
            rows.append(row)
            print(f"{row['what']}: {seconds:.1f} s", flush=True)
    return rows


def _corpus_task(name: str):
    from automl_meta.data import iter_corpus

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for task in iter_corpus(names=[name]):
            return task
    return None


def _zero_shot(method: str, task, fit_budget: float | None = None):
    """FLAML's zero-shot; automl-meta's (the top recommendation fitted once, as bench_endtoend's
    ``automl_meta_zeroshot``); its estimator with one trial (cross-validated, then refitted) and no budget; or an
    automl-meta fit of ``fit_budget`` seconds; one core each."""
    if method == "automl_meta_zeroshot":
        from harness.peers import ZeroShot

        return ZeroShot(task, None)
    if method == "flaml":
        import flaml.default as fd

        return fd.LGBMClassifier(n_jobs=1) if task.is_classification else fd.LGBMRegressor(n_jobs=1)
    from automl_meta import AutoMetaClassifier, AutoMetaRegressor

    cls = AutoMetaClassifier if task.is_classification else AutoMetaRegressor
    if method == "automl_meta_budget":
        return cls(time_budget=fit_budget, metric=task.metric, metadataset=False, n_jobs=1, random_state=0)
    return cls(n_trials=1, metric=task.metric, metadataset=False, n_jobs=1, random_state=0)


def report(frame: pd.DataFrame, stamp: str, command: str, busy: int) -> str:
    kept = {0: "", 1: "; one core kept busy by a CPU-bound process"}.get(
        busy, f"; {busy} cores kept busy by CPU-bound processes")
    lines = [f"## Latency of the meta-learning step ({stamp}{kept})",
             "", f"Command: `{command}`", ""]
    for part, sub in frame.groupby("part", sort=True):
        shown = sub.dropna(axis=1, how="all").drop(columns=["part"] + (["method", "task"] if part == "d" else []),
                                                     errors="ignore")
        lines += [shown.to_markdown(index=False, floatfmt=".3f"), ""]
    zero = frame[frame["part"] == "d"].dropna(subset=["seconds"]) if "method" in frame else frame.iloc[:0]
    if len(zero):
        medians = zero.groupby("method")["seconds"].median()
        ours = zero[zero["method"] == "automl_meta"]
        largest = ours.loc[ours["what"].str.extract(r"\(([\d,]+) rows\)")[0].str.replace(",", "").astype(int).idxmax()]
        zero_shot = medians.get("automl_meta_zeroshot", float("nan"))
        lines.append(f"Median seconds: automl-meta's zero-shot {zero_shot:.2f}, FLAML's zero-shot "
                     f"{medians.get('flaml', float('nan')):.2f} (ratio {zero_shot / medians.get('flaml'):.1f}); "
                     f"automl-meta n_trials=1 (cross-validated and refitted) {medians.get('automl_meta'):.2f}; "
                     f"on the largest task ({largest['task']}) n_trials=1 took {largest['seconds']:.1f} s.")
        budgeted = zero[zero["method"] == "automl_meta_budget"]
        if len(budgeted):
            lines.append(f"Budgeted fits: {len(budgeted)}, longest {budgeted['seconds'].max():.1f} s, "
                         f"{int((~budgeted['finished_trial'].astype(bool)).sum())} ended without a finished trial.")
    return "\n".join(lines)


def main() -> None:
    parser = benchmark_parser(__doc__, tasks=(ZERO_SHOT_TASKS, "part d: the first N end-to-end tasks"), out_dir=RESULTS)
    parser.add_argument("--parts", default="a,b,c,d")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--busy", type=int, nargs="?", const=1, default=0,
                        help="keep one core (or N) busy with a CPU-bound process each")
    parser.add_argument("--e-budget", type=float, default=10.0, help="part e's time budget (s)")
    parser.add_argument("--fit-budget", type=float, help="part d also fits each task with this time budget (s)")
    args = parser.parse_args()
    parts = [p for p in args.parts.split(",") if p]
    out_dir = args.out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    # a run of other parts than the default ones writes files of its own: the committed latency.csv holds a-d
    name = ({0: "latency", 1: "latency_busy"}.get(args.busy, f"latency_busy{args.busy}")
            + ("" if args.parts == "a,b,c,d" else "_" + "".join(parts))
            + ("" if args.e_budget == 10 else f"_{args.e_budget:g}s"))
    rows = []
    with busy_core(args.busy), tempfile.TemporaryDirectory() as tmp:
        if "a" in parts:
            rows += part_a(Path(tmp), args.repeats)
        if "b" in parts:
            rows += part_b(args.repeats)
        if "c" in parts:
            rows += part_c(args.repeats)
        if "d" in parts:
            rows += part_d(args.fit_budget, args.tasks)
        if "e" in parts:
            rows += part_e(args.repeats, args.e_budget)
    frame = pd.DataFrame(rows)
    frame.to_csv(out_dir / f"{name}.csv", index=False)
    text = report(frame, machine_stamp(), command_line(parser, args), args.busy)
    (out_dir / f"{name}.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
