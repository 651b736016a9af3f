"""What a GPU's batch costs an MLP in accuracy, measured on the CPU.

On a GPU an MLP trains with a batch of at least 512 and its learning rate scaled by the square root of the
batch's growth (``automl_meta.space.for_gpu``): a step there costs about the same at batch 128 as at 512, so
the larger batch passes over the data about 4x faster. Whether the adapted strategy scores as well as the one
the search asked for is a question of optimisation, not of the device, so it is answered here on the CPU: both
are cross-validated (the meta-dataset's folds and seed) on ``--tasks`` corpus tasks (seeded, one per group), for
two MLP strategies each: the best one the meta-dataset measured on the task with a batch under 512, and the
family's default.

Default: the meta-dataset's tasks as it scored them (base fidelity, at most 1,000 rows). ``--min-rows N
--max-rows M``: corpus tables of at least N rows, subsampled (seeded) to M, where ``for_gpu`` applies (a fold's
training rows at least ``GPU_BATCH_MIN_STEPS`` x ``GPU_MIN_BATCH``).

Reported: per pair the two scores, their difference and the difference normalized by the task's score range in
the meta-dataset (best minus worst of its evaluations); the mean normalized difference with a paired bootstrap
95% interval; wins/ties/losses (|normalized difference| <= 0.01 is a tie); the CPU seconds of each.

Usage: python benchmarks/bench_gpu_batch.py --metadataset build/v2.sqlite [--tasks 16] [--seed 0]
       [--min-rows 38400 --max-rows 40000] [--out benchmarks/results/gpu_batch.csv]
       (resumable: pairs already in --out are kept)
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from harness.cli import REQUIRED, RESULTS, benchmark_parser, command_line
from harness.heldout import build_config, corpus_task
from harness.machine import machine_stamp
from harness.stats import bootstrap_interval

TIE = 0.01


def chosen_tasks(store, n: int, seed: int, manifest, min_rows: int = 0) -> pd.DataFrame:
    """``n`` tasks with a measured MLP of batch under 512, one per group, in a seeded order: the base fidelity,
    or with ``min_rows`` the tables of at least that many rows (their largest fidelity's evaluations)."""
    tasks = store.tasks()
    if min_rows:
        large = set(manifest.loc[manifest["n_rows"] >= min_rows, "name"].astype(str))
        tasks = tasks[tasks["name"].isin(large)].sort_values("n_rows").drop_duplicates("name", keep="last")
    else:
        tasks = tasks[tasks["fidelity"].fillna("base") == "base"]
    order = np.random.default_rng(seed).permutation(len(tasks))
    picked, groups = [], set()
    for i in order:
        row = tasks.iloc[i]
        if row["group_name"] in groups:
            continue
        if pair_strategies(store, int(row["id"])):
            picked.append(row)
            groups.add(row["group_name"])
        if len(picked) == n:
            break
    return pd.DataFrame(picked)


def pair_strategies(store, task_id: int) -> list:
    """The MLP strategies to compare on a task: its best measured one with a batch under 512, and the default."""
    from automl_meta.space import GPU_MIN_BATCH
    from automl_meta.space import Strategy

    ev = store.evaluations(task_id)
    ev = ev[(ev["family"] == "mlp") & (ev["status"] == "ok")]
    params = [json.loads(p) for p in ev["params"]]
    small = [i for i, p in enumerate(params) if int(p.get("batch_size", 128)) < GPU_MIN_BATCH]
    if not small:
        return []
    best = max(small, key=lambda i: ev["score"].iloc[i])
    out = [Strategy("mlp", params[best])]
    if Strategy.default("mlp") not in out:
        out.append(Strategy.default("mlp"))
    return out


def score_range(store, task_id: int) -> float:
    scores = store.evaluations(task_id).query("status == 'ok'")["score"].to_numpy(float)
    return float(np.nanmax(scores) - np.nanmin(scores)) if len(scores) else float("nan")


def summarize(frame: pd.DataFrame) -> str:
    d = frame["normalized_difference"].to_numpy(float)
    d = d[np.isfinite(d)]
    lo, hi = bootstrap_interval(d) if len(d) else (float("nan"), float("nan"))
    wins, ties = int((d > TIE).sum()), int((np.abs(d) <= TIE).sum())
    lines = [
        "| task | rows | strategy | batch | score asked | score GPU batch | difference | normalized | CPU s asked | CPU s GPU batch |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for _, r in frame.iterrows():
        lines.append(f"| {r['task']} | {r['rows']} | {r['which']} | {r['batch']} | {r['score_asked']:.4f} | {r['score_gpu_batch']:.4f} | "
                     f"{r['difference']:+.4f} | {r['normalized_difference']:+.3f} | {r['seconds_asked']:.1f} | "
                     f"{r['seconds_gpu_batch']:.1f} |")
    lines += [
        "",
        f"{len(d)} pairs on {frame['task'].nunique()} tasks: mean normalized difference (GPU batch - asked) "
        f"{d.mean():+.4f} [95% paired bootstrap {lo:+.4f}, {hi:+.4f}], median {np.median(d):+.4f}; "
        f"GPU batch better / tie (|d| <= {TIE}) / worse: {wins} / {ties} / {len(d) - wins - ties}. CPU seconds, "
        f"median: asked {frame['seconds_asked'].median():.1f}, GPU batch {frame['seconds_gpu_batch'].median():.1f}.",
    ]
    return "\n".join(lines)


def measure(task, name: str, row, which: str, strategy, cfg: dict, spread: float) -> dict:
    """``strategy`` cross-validated on the CPU with the batch asked and with the batch a GPU would run."""
    from automl_meta.evaluate import cross_validate
    from automl_meta.space import for_gpu

    gpu = for_gpu(strategy)  # rows not checked: --min-rows chooses where it applies
    asked = cross_validate(strategy, task, cv=int(cfg["cv"]), random_state=int(cfg["random_state"]), device="cpu")
    adapted = cross_validate(gpu, task, cv=int(cfg["cv"]), random_state=int(cfg["random_state"]), device="cpu")
    diff = adapted.score - asked.score
    return {"task": name, "kind": row["kind"], "metric": row["metric"], "which": which, "strategy": str(strategy),
            "batch": int(strategy.params["batch_size"]), "rows": task.n_rows, "score_asked": asked.score,
            "score_gpu_batch": adapted.score, "difference": diff,
            "normalized_difference": diff / spread if spread > 0 else float("nan"),
            "seconds_asked": asked.fit_seconds, "seconds_gpu_batch": adapted.fit_seconds,
            "status": f"{asked.status}/{adapted.status}"}


def main() -> None:
    parser = benchmark_parser(__doc__, metadataset=REQUIRED, tasks=16, seed=0,
                              max_rows=(None, "subsample those to this many rows"), out=RESULTS / "gpu_batch.csv")
    parser.add_argument("--min-rows", type=int, default=0, help="tables of at least this many rows (0: base fidelity)")
    args = parser.parse_args()

    from automl_meta.data import load_manifest
    from automl_meta.metadataset import MetaDataset

    store = MetaDataset(args.metadataset)
    cfg, manifest = build_config(store), load_manifest()
    done = pd.read_csv(args.out) if args.out.exists() else pd.DataFrame()
    print(f"machine: {machine_stamp()}", flush=True)
    for _, row in chosen_tasks(store, args.tasks, args.seed, manifest, args.min_rows).iterrows():
        name, task = str(row["name"]), None
        spread = score_range(store, int(row["id"]))
        for which, strategy in zip(("best measured", "default"), pair_strategies(store, int(row["id"]))):
            if len(done) and ((done["task"] == name) & (done["strategy"] == str(strategy))).any():
                continue
            task = task or corpus_task(name, cfg, manifest, args.max_rows or int(cfg["max_rows"]))
            record = measure(task, name, row, which, strategy, cfg, spread)
            print(record, flush=True)
            done = pd.concat([done, pd.DataFrame([record])], ignore_index=True)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            done.to_csv(args.out, index=False)
    text = summarize(done)
    args.out.with_suffix(".md").write_text(f"# An MLP's GPU batch against the batch asked (CPU)\n\nmachine: "
                                           f"{machine_stamp()}\n\n`{command_line(parser, args)}`\n\n{text}\n")
    print(text)


if __name__ == "__main__":
    main()
