"""What reading numbers written as text as numbers buys (automl_meta.data._numbers), on the corpus's tables.

Scans every corpus table that has text feature columns for those :func:`read_numeric_text` reads as numbers
(``?``/``.``/``<null>`` for missing, thousands separators, ``%``, currency signs), then cross-validates each
such task twice with the same folds: with those columns read as numbers (what a task does now) and with them
kept as categories (what it did before: the columns given the pandas ``category`` dtype, which the reader leaves
alone). Each time the default strategy of each of ``--families`` (scikit-learn's defaults where the family has
them), scored by the task's metric (ROC AUC, one-vs-rest for multiclass; R² for regression).

Usage: python benchmarks/bench_text_numbers.py [--manifest PATH] [--families hist_gb,random_forest,linear]
       [--cv 5] [--max-rows 10000] [--out benchmarks/results/text_numbers.csv]
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from harness.cli import RESULTS, benchmark_parser
from harness.machine import machine_stamp


def candidates(manifest: pd.DataFrame, root: Path) -> list[tuple[pd.Series, pd.DataFrame, list[str]]]:
    """The manifest rows whose table has feature columns of numbers written as text, with the table."""
    from automl_meta.data import read_table
    from automl_meta.data._numbers import read_numeric_text

    found = []
    for _, row in manifest[manifest["n_categorical"] > 0].iterrows():
        frame = read_table(root / row["path"])
        columns = list(read_numeric_text(frame.drop(columns=[row["target"]]))[1])
        if columns:
            found.append((row, frame, columns))
    return found


def task_of(row: pd.Series, frame: pd.DataFrame, as_categories: list[str]):
    from automl_meta.data import Task

    frame = frame.astype({c: "category" for c in as_categories})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Task.from_frame(frame, target=row["target"], kind=row["task"], name=row["name"], group=row["group"])


def main() -> None:
    from automl_meta.data import default_manifest_path
    from automl_meta.evaluate import cross_validate
    from automl_meta.space import Strategy, available_families

    parser = benchmark_parser(__doc__, max_rows=10_000, out=RESULTS / "text_numbers.csv")
    parser.add_argument("--manifest", type=Path, default=default_manifest_path())
    parser.add_argument("--families", default="hist_gb,random_forest,linear")
    parser.add_argument("--cv", type=int, default=5)
    args = parser.parse_args()
    if args.manifest is None or not Path(args.manifest).exists():
        sys.exit("No corpus manifest: pass --manifest or set AUTOML_META_CORPUS.")
    manifest = pd.read_csv(args.manifest)
    rows = []
    for row, frame, columns in candidates(manifest, Path(args.manifest).parent):
        print(f"{row['name']}: {len(columns)} column(s) of numbers in text: {', '.join(columns[:6])}", flush=True)
        tasks = {"numbers": task_of(row, frame, []), "categories": task_of(row, frame, columns)}
        for family in args.families.split(","):
            if family not in available_families(tasks["numbers"].kind):
                continue
            for reading, task in tasks.items():
                result = cross_validate(Strategy.default(family), task, cv=args.cv, max_rows=args.max_rows)
                rows.append({"task": row["name"], "kind": task.kind, "columns": len(columns), "family": family,
                             "reading": reading, "score": result.score, "seconds": result.fit_seconds})
                print(f"  {family:14s} {reading:10s} {result.score:.4f}", flush=True)
    table = pd.DataFrame(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False)
    wide = table.pivot_table(index=["task", "family"], columns="reading", values="score").reset_index()
    wide["numbers - categories"] = wide["numbers"] - wide["categories"]
    command = "python benchmarks/bench_text_numbers.py " + " ".join(sys.argv[1:])
    lines = [f"## Numbers written as text: read as numbers vs kept as categories ({machine_stamp()})", "",
             f"Command: `{command.strip()}`", "", wide.to_markdown(index=False, floatfmt=".4f"), "",
             f"numbers better / equal (|diff| <= 0.001) / worse: {int((wide['numbers - categories'] > 0.001).sum())} / "
             f"{int((wide['numbers - categories'].abs() <= 0.001).sum())} / "
             f"{int((wide['numbers - categories'] < -0.001).sum())}; mean difference "
             f"{np.nanmean(wide['numbers - categories']):+.4f}"]
    args.out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
