"""Meta-feature speed and agreement benchmark: automl-meta's `compute` beside pymfe.

* Speed on synthetic mixed data (90 numeric columns with skew, correlation and 5% missing values; 10 text
  categoricals of 3-50 levels) of 1k, 10k, 100k and 1M rows, on ONE core (BLAS/OpenMP threads limited to 1).
  automl-meta gets the Task as users give it (text, NaN); pymfe cannot take text or NaN, so it gets the same
  frame ordinal-encoded and median-imputed (that preparation is not timed), with the categorical columns
  flagged, groups general, statistical and info-theory, summaries mean and sd, its default transformations.
  Each pymfe run is a subprocess with a time limit.
* Every corpus task: both timings, and on the features both compute, the Pearson and Spearman correlation of
  the two libraries' values across the corpus' classification tasks.

Usage: python benchmarks/bench_metafeatures.py [--sizes 1000 10000 100000 1000000] [--no-corpus]
Writes benchmarks/results/metafeatures_{speed,corpus,agreement}.csv and metafeatures.md.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # one core, before numpy is imported

import argparse
import json
import subprocess
import sys
import time
import warnings

import numpy as np
import pandas as pd

from harness.cli import RESULTS, benchmark_parser
from harness.machine import machine_stamp
from harness.synthetic import mixed_frame


# (automl-meta feature, pymfe feature, transform of the pymfe value to the same scale)
MATCHED = [
    ("log_n_rows", "nr_inst", np.log),
    ("log_n_features", "nr_attr", np.log),
    ("n_classes", "nr_class", None),
    ("class_entropy", "class_ent", None),
    ("skew_mean", "skewness.mean", None),
    ("skew_sd", "skewness.sd", None),
    ("kurt_mean", "kurtosis.mean", None),
    ("kurt_sd", "kurtosis.sd", None),
    ("abs_corr_mean", "cor.mean", None),
    ("abs_corr_sd", "cor.sd", None),
    ("attr_entropy_mean", "attr_ent.mean", None),
    ("attr_entropy_sd", "attr_ent.sd", None),
    ("mutual_info_mean", "mut_inf.mean", None),
    ("mutual_info_sd", "mut_inf.sd", None),
    ("equivalent_n_attributes", "eq_num_attr", None),
    ("noise_signal_ratio", "ns_ratio", None),
]


def pymfe_input(X: pd.DataFrame, categorical: list[str]) -> tuple[np.ndarray, list[int]]:
    """What pymfe can take: numbers only, no NaN. Categoricals become ordinal codes; NaN the column median."""
    Xn = pd.DataFrame(index=X.index)
    for c in X.columns:
        if c in categorical:
            codes = pd.factorize(X[c])[0].astype(float)
            Xn[c] = np.where(codes < 0, np.nan, codes)
        else:
            Xn[c] = X[c].to_numpy(dtype=float, na_value=np.nan)
    Xn = Xn.fillna(Xn.median()).fillna(0.0)
    return Xn.to_numpy(), [i for i, c in enumerate(X.columns) if c in categorical]


def run_pymfe(X: np.ndarray, y, cat_idx: list[int]) -> tuple[float, dict]:
    from pymfe.mfe import MFE

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        mfe = MFE(groups=["general", "statistical", "info-theory"], summary=["mean", "sd"], random_state=0)
        mfe.fit(X, np.asarray(y), cat_cols=cat_idx, suppress_warnings=True)
        names, values = mfe.extract(suppress_warnings=True)
        seconds = time.perf_counter() - start
    return seconds, dict(zip(names, (float(v) if v is not None else np.nan for v in values)))


def _pymfe_worker(n_rows: int) -> None:
    X, y = mixed_frame(n_rows)
    Xn, cat_idx = pymfe_input(X, [c for c in X.columns if c.startswith("c")])
    seconds, _ = run_pymfe(Xn, y, cat_idx)
    print(json.dumps({"seconds": seconds}))


def time_ours(task, repeats: int) -> float:
    from automl_meta.metafeatures import compute

    compute(task)  # warm-up: imports and first-call costs are not what a user pays on each fit
    return min(compute(task).seconds for _ in range(repeats))


def bench_sizes(sizes, pymfe_timeout: float) -> pd.DataFrame:
    from automl_meta.data import Task

    rows = []
    for n in sizes:
        X, y = mixed_frame(n)
        t0 = time.perf_counter()
        task = Task(X, y)
        task_s = time.perf_counter() - t0
        ours = time_ours(task, repeats=3 if n <= 100_000 else 1)
        try:
            proc = subprocess.run(
                [sys.executable, __file__, "--pymfe-worker", str(n)],
                capture_output=True, text=True, timeout=pymfe_timeout,
            )
            pymfe_s = json.loads(proc.stdout.strip().splitlines()[-1])["seconds"] if proc.returncode == 0 else np.nan
            note = "" if proc.returncode == 0 else f"pymfe failed: {proc.stderr.strip().splitlines()[-1][:120]}"
        except subprocess.TimeoutExpired:
            pymfe_s, note = np.nan, f"pymfe exceeded {pymfe_timeout:.0f} s"
        rows.append({"n_rows": n, "n_cols": X.shape[1], "task_seconds": task_s, "automl_meta_seconds": ours,
                     "pymfe_seconds": pymfe_s, "speedup": pymfe_s / ours, "note": note})
        print(f"{n:>9} rows: automl-meta {ours:.3f} s (Task {task_s:.2f} s), pymfe {pymfe_s:.2f} s  {note}", flush=True)
    return pd.DataFrame(rows)


def bench_corpus() -> tuple[pd.DataFrame, pd.DataFrame]:
    from automl_meta.data import default_manifest_path, iter_corpus
    from automl_meta.metafeatures import compute

    if default_manifest_path() is None:
        print("corpus not found: skipping the corpus part")
        return pd.DataFrame(), pd.DataFrame()
    rows, ours_vals, theirs_vals = [], [], []
    for task in iter_corpus():
        compute(task)
        mf = compute(task)
        row = {"task": task.name, "kind": task.kind, "n_rows": task.n_rows, "n_features": task.n_features,
               "automl_meta_seconds": mf.seconds, "pymfe_seconds": np.nan}
        if task.is_classification:
            Xn, cat_idx = pymfe_input(task.X, task.categorical_columns)
            row["pymfe_seconds"], theirs = run_pymfe(Xn, task.y.astype(str).to_numpy(), cat_idx)
            ours_vals.append(mf.to_dict())
            theirs_vals.append(theirs)
        rows.append(row)
        print(f"{task.name:<45} ours {row['automl_meta_seconds']:.3f} s  pymfe {row['pymfe_seconds']:.3f} s", flush=True)
    ours_df, theirs_df = pd.DataFrame(ours_vals), pd.DataFrame(theirs_vals)
    agreement = []
    for ours_name, theirs_name, transform in MATCHED:
        a = ours_df[ours_name].to_numpy(dtype=float)
        b = theirs_df[theirs_name].to_numpy(dtype=float) if theirs_name in theirs_df else np.full(len(a), np.nan)
        if transform is not None:
            b = transform(b)
        ok = np.isfinite(a) & np.isfinite(b)
        pearson = np.corrcoef(a[ok], b[ok])[0, 1] if ok.sum() > 2 else np.nan
        spearman = pd.Series(a[ok]).corr(pd.Series(b[ok]), method="spearman") if ok.sum() > 2 else np.nan
        agreement.append({"automl_meta": ours_name, "pymfe": theirs_name, "n_tasks": int(ok.sum()),
                          "pearson": pearson, "spearman": spearman})
    return pd.DataFrame(rows), pd.DataFrame(agreement)


def main() -> None:
    parser = benchmark_parser(__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000, 1_000_000])
    parser.add_argument("--pymfe-timeout", type=float, default=1800)
    parser.add_argument("--no-corpus", action="store_true")
    parser.add_argument("--pymfe-worker", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pymfe_worker:
        _pymfe_worker(args.pymfe_worker)
        return
    RESULTS.mkdir(exist_ok=True)
    stamp = machine_stamp()
    print(f"machine: {stamp}")
    speed = bench_sizes(args.sizes, args.pymfe_timeout)
    speed.to_csv(RESULTS / "metafeatures_speed.csv", index=False)
    lines = [f"# Meta-feature benchmark\n\n{stamp}; one core. Command: `python benchmarks/bench_metafeatures.py`\n",
             "## Synthetic mixed data, 100 columns\n", speed.to_markdown(index=False, floatfmt=".3f"), ""]
    if not args.no_corpus:
        corpus, agreement = bench_corpus()
        if len(corpus):
            corpus.to_csv(RESULTS / "metafeatures_corpus.csv", index=False)
            agreement.to_csv(RESULTS / "metafeatures_agreement.csv", index=False)
            clf = corpus.dropna(subset=["pymfe_seconds"])
            summary = pd.DataFrame({
                "tasks": [len(corpus), len(clf)],
                "automl_meta_total_s": [corpus.automl_meta_seconds.sum(), clf.automl_meta_seconds.sum()],
                "automl_meta_median_s": [corpus.automl_meta_seconds.median(), clf.automl_meta_seconds.median()],
                "pymfe_total_s": [np.nan, clf.pymfe_seconds.sum()],
                "pymfe_median_s": [np.nan, clf.pymfe_seconds.median()],
            }, index=["all corpus tasks", "classification tasks (both)"])
            lines += ["## Corpus tasks\n", summary.to_markdown(floatfmt=".3f"), "",
                      "## Agreement with pymfe across the corpus' classification tasks\n",
                      agreement.to_markdown(index=False, floatfmt=".3f"), ""]
    report = "\n".join(lines)
    (RESULTS / "metafeatures.md").write_text(report + "\n")
    print(report)


if __name__ == "__main__":
    main()
