"""What reading a large table costs before the search starts: ``Task(X, y)`` (validation, numbers written as
text read as numbers, useless columns dropped) on the synthetic tables of ``bench_large_tables.py`` (30 numeric
columns, a region of 8 levels and a code of 300, 5% missing), at each of ``--sizes`` rows.

Every second spent here comes out of a time-budgeted fit's search: on 500,000 rows, reading the two text
columns row by row took 3.8 s (8307eac); each distinct value is now read once.
Run it from a checkout of each version to compare them. Medians over ``--repeats``.

Usage: python benchmarks/bench_reading.py [--sizes 100000,500000] [--repeats 3] [--out benchmarks/results/reading.csv]
"""

from __future__ import annotations

import statistics
import subprocess
import time
import warnings
from pathlib import Path

import pandas as pd

from bench_large_tables import make_table
from harness.cli import RESULTS, benchmark_parser
from harness.machine import machine_stamp


def time_task(n_rows: int, repeats: int) -> dict:
    """Median seconds of ``Task(X, y)`` and of reading its text columns (``read_numeric_text``) on the table."""
    from automl_meta.data import Task
    from automl_meta.data._numbers import read_numeric_text

    X, y = make_table(n_rows)
    task_s, text_s = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(repeats):
            began = time.perf_counter()
            read_numeric_text(X)
            text_s.append(time.perf_counter() - began)
            began = time.perf_counter()
            Task(X, y)
            task_s.append(time.perf_counter() - began)
    return {"rows": n_rows, "task_s": round(statistics.median(task_s), 3),
            "numbers_in_text_s": round(statistics.median(text_s), 3)}


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=Path(__file__).parent, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> None:
    parser = benchmark_parser(__doc__, out=RESULTS / "reading.csv")
    parser.add_argument("--sizes", default="100000,500000")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rows = [{"commit": _commit(), **time_task(int(n), args.repeats)} for n in args.sizes.split(",")]
    frame = pd.DataFrame(rows)
    if args.out.exists():  # one file, a block of rows per version run
        frame = pd.concat([pd.read_csv(args.out), frame], ignore_index=True)
    frame.to_csv(args.out, index=False)
    print(machine_stamp())
    print(frame.to_markdown(index=False))


if __name__ == "__main__":
    main()
