"""What reading a large table costs before the search starts: ``Task(X, y)`` (validation, numbers written as
text read as numbers, dates expanded, useless columns dropped), at each of ``--sizes`` rows, on two seeded
tables: ``large_tables``, that of ``bench_large_tables.py`` (30 numeric columns, a region of 8 levels and a code
of 300, 5% missing), and ``mixed``, one with the text a real export has (a date, amounts written "5,012.37", a
yes/no flag, a city of 500 levels, a six-word note, a number).

Every second spent here comes out of a time-budgeted fit's search: on 500,000 rows, reading the large table's
two text columns row by row took 3.8 s (8307eac); each distinct value is now read once, and a column whose
sample shows it is no column of numbers (the note) is not parsed value by value.
Run it from a checkout of each version to compare them. Medians over ``--repeats``.

Usage: python benchmarks/bench_reading.py [--sizes 100000,500000] [--tables large_tables,mixed] [--repeats 3]
       [--out benchmarks/results/reading.csv]
"""

from __future__ import annotations

import statistics
import subprocess
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from bench_large_tables import make_table
from harness.cli import RESULTS, benchmark_parser
from harness.machine import machine_stamp


def mixed_table(n_rows: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """A seeded table of the text columns a real export has, and a binary target."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2015-01-01", periods=2000).strftime("%Y-%m-%d").to_numpy()
    words = np.array("the visit was short and the patient came back later for a second test".split())
    frame = pd.DataFrame({
        "date": rng.choice(days, n_rows),
        "amount": [f"{v:,.2f}" for v in rng.normal(5000, 3000, n_rows)],
        "flag": rng.choice(["yes", "no"], n_rows),
        "city": rng.choice([f"city{i}" for i in range(500)], n_rows),
        "note": [" ".join(w) for w in rng.choice(words, (n_rows, 6))],
        "x": rng.normal(size=n_rows),
    })
    return frame, rng.integers(0, 2, n_rows)


TABLES = {"large_tables": make_table, "mixed": mixed_table}


def time_task(table: str, n_rows: int, repeats: int) -> dict:
    """Median seconds of ``Task(X, y)`` and of reading its text columns (``read_numeric_text``) on the table."""
    from automl_meta.data import Task
    from automl_meta.data._numbers import read_numeric_text

    X, y = TABLES[table](n_rows)
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
    return {"table": table, "rows": n_rows, "task_s": round(statistics.median(task_s), 3),
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
    parser.add_argument("--tables", default="large_tables,mixed")
    args = parser.parse_args()
    rows = [{"commit": _commit(), **time_task(table, int(n), args.repeats)}
            for table in args.tables.split(",") for n in args.sizes.split(",")]
    frame = pd.DataFrame(rows)
    if args.out.exists():  # one file, a block of rows per version run
        frame = pd.concat([pd.read_csv(args.out), frame], ignore_index=True)
    frame.to_csv(args.out, index=False)
    print(machine_stamp())
    print(frame.to_markdown(index=False))


if __name__ == "__main__":
    main()
