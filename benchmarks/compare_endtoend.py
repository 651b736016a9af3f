"""Two versions of the code, same end-to-end runs: is the difference more than the runs' own noise?

Each ``--run CODE:SEED:CSV`` is a ``bench_endtoend.py`` result (``endtoend.csv``) of one version of the code
(``CODE``, e.g. a commit) run with ``--seed SEED``; the runs must share tasks, method and budget. Per seed and
over the seeds (each task's mean over them), the second code against the first: on how many tasks it is above /
level (within ``bench_endtoend.TIE``) / below, and the mean difference of the test metric with a 95% bootstrap
interval over tasks.

Writes the runs side by side (``--out``: task, kind, budget_s, seed and one column per code) and prints the
table.

Usage: python benchmarks/compare_endtoend.py --run 68a3dd2:1:DIR_A/endtoend.csv --run HEAD:1:DIR_B/endtoend.csv ...
       --out benchmarks/results/endtoend_adaptive_seeds.csv
"""

from __future__ import annotations


import numpy as np
import pandas as pd


from harness.cli import REQUIRED, benchmark_parser
from harness.stats import above_level_below, mean_with_interval
from harness.endtoend import TIE


def side_by_side(runs: list[tuple[str, int, pd.DataFrame]]) -> pd.DataFrame:
    """One row per (task, budget, seed), one column per code."""
    parts = [frame.assign(code=code, seed=seed) for code, seed, frame in runs]
    long = pd.concat(parts, ignore_index=True)
    wide = long.pivot_table(index=["task", "kind", "budget_s", "seed"], columns="code", values="test_metric")
    codes = list(dict.fromkeys(code for code, _, _ in runs))
    return wide[codes].reset_index().rename_axis(columns=None)


def paired(first: np.ndarray, second: np.ndarray, seed: int = 0) -> dict:
    """second − first per task: above / level / below, and the mean with a 95% bootstrap interval."""
    diff = second - first
    return {"tasks": len(diff), "above / level / below": above_level_below(diff, TIE),
            "mean difference": mean_with_interval(diff, seed=seed)}


def compare(wide: pd.DataFrame, first: str, second: str) -> pd.DataFrame:
    rows = []
    for seed, sub in wide.dropna(subset=[first, second]).groupby("seed"):
        rows.append({"seeds": str(seed)} | paired(sub[first].to_numpy(), sub[second].to_numpy()))
    means = wide.dropna(subset=[first, second]).groupby("task")[[first, second]].mean()
    rows.append({"seeds": "mean over seeds"} | paired(means[first].to_numpy(), means[second].to_numpy()))
    return pd.DataFrame(rows)


def main() -> None:
    parser = benchmark_parser(__doc__, out=REQUIRED)
    parser.add_argument("--run", action="append", required=True, metavar="CODE:SEED:CSV")
    args = parser.parse_args()
    runs = []
    for spec in args.run:
        code, seed, path = spec.split(":", 2)
        runs.append((code, int(seed), pd.read_csv(path)))
    wide = side_by_side(runs)
    codes = [c for c in wide.columns if c not in ("task", "kind", "budget_s", "seed")]
    if len(codes) != 2:
        raise SystemExit(f"--run must name exactly two codes; got {codes}")
    wide.to_csv(args.out, index=False)
    print(f"{codes[1]} against {codes[0]}, test metric, per task")
    print(compare(wide, *codes).to_markdown(index=False))


if __name__ == "__main__":
    main()
