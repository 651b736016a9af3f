"""``automl-meta metadataset build|stats|export|import``: build, inspect and move meta-datasets."""

from __future__ import annotations

import sys

from automl_meta.cli._common import format_table, safe_text, to_json
from automl_meta.collect import BuildConfig


def register(sub) -> None:
    p = sub.add_parser("metadataset", help="build, inspect, export and import meta-datasets", description=__doc__)
    msub = p.add_subparsers(dest="metadataset_command", metavar="ACTION", required=True)

    b = msub.add_parser("build", help="evaluate the common set and task-specific strategies on every corpus task, "
                        "at two fidelities (resumable; local processes or Dask)")
    b.add_argument("manifest", nargs="?", metavar="MANIFEST", help="corpus manifest CSV (default: the shared corpus)")
    b.add_argument("--metadataset", metavar="URL", help="where to store it (default: the user's store)")
    d = BuildConfig()
    b.add_argument("--common", type=int, default=d.n_common, metavar="N", help=f"strategies of the common set per task (default {d.n_common})")
    b.add_argument("--strategies-per-task", type=int, default=d.n_specific, metavar="N",
                   help=f"task-specific TPE strategies per task (default {d.n_specific})")
    b.add_argument("--rounds", type=int, default=d.rounds, help=f"rounds the task-specific strategies are proposed in (default {d.rounds})")
    b.add_argument("--max-rows", type=int, default=d.max_rows, help=f"rows per task at the base fidelity, a seeded stratified subsample beyond (default {d.max_rows})")
    b.add_argument("--large-rows", type=int, default=d.large_rows, help=f"rows per task at the large fidelity (default {d.large_rows})")
    b.add_argument("--large-min-rows", type=int, default=d.large_min_rows,
                   help=f"tasks of more rows get the large fidelity too (default {d.large_min_rows})")
    b.add_argument("--large-common", type=int, default=d.n_common_large, metavar="N",
                   help=f"strategies of the common set at the large fidelity; 0 for none (default {d.n_common_large})")
    b.add_argument("--cv", type=int, default=d.cv, help=f"cross-validation folds (default {d.cv})")
    b.add_argument("--time-limit", type=float, default=d.time_limit, metavar="S", help=f"seconds per evaluation, base fidelity (default {d.time_limit:g})")
    b.add_argument("--large-time-limit", type=float, default=d.large_time_limit, metavar="S",
                   help=f"seconds per evaluation, large fidelity (default {d.large_time_limit:g})")
    b.add_argument("--families", help="comma-separated model families (default: every available one)")
    b.add_argument("--jobs", type=int, default=d.jobs, help=f"parallel worker processes (default {d.jobs})")
    b.add_argument("--scheduler", metavar="ADDRESS", help="a Dask scheduler (tcp://HOST:8786) whose workers run the evaluations")
    b.add_argument("--dask", action="store_true", help="run the evaluations on a local Dask cluster of --jobs workers")
    b.add_argument("--shard", metavar="I/N", help="build only the I-th of N disjoint parts of the manifest (by group)")
    b.add_argument("--tasks", help="comma-separated task names to build (default: all)")
    b.add_argument("--seed", type=int, default=d.random_state)
    b.add_argument("--no-progress", action="store_true")
    b.set_defaults(func=run_build)

    s = msub.add_parser("stats", help="tasks, groups, evaluations per family, failures, score spread, build time")
    s.add_argument("--metadataset", metavar="URL", help="meta-dataset path or URL (default: the user's store)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=run_stats)

    e = msub.add_parser("export", help="write the meta-dataset to a .csv.gz or .parquet file")
    e.add_argument("path")
    e.add_argument("--metadataset", metavar="URL")
    e.set_defaults(func=run_export)

    i = msub.add_parser("import", help="merge an exported .csv.gz or .parquet file into the meta-dataset")
    i.add_argument("path")
    i.add_argument("--metadataset", metavar="URL")
    i.set_defaults(func=run_import)


def run_build(args) -> int:
    from automl_meta.collect import build
    from automl_meta.metadataset import MetaDataset, record_provenance

    store = MetaDataset(args.metadataset)
    config = BuildConfig(n_common=args.common, n_specific=args.strategies_per_task, rounds=args.rounds,
                         max_rows=args.max_rows, large_rows=args.large_rows, large_min_rows=args.large_min_rows,
                         n_common_large=args.large_common, cv=args.cv, time_limit=args.time_limit,
                         large_time_limit=args.large_time_limit, jobs=args.jobs, random_state=args.seed,
                         families=_names(args.families))
    record_provenance(store, config, args.manifest, " ".join(["automl-meta", *args.argv]))
    report = build(args.manifest, store=store, config=config, names=_names(args.tasks), progress=not args.no_progress,
                   scheduler=args.scheduler, dask=args.dask, shard=_shard(args.shard))
    print(f"built {report.tasks_done} tasks, {report.evaluations_added} new evaluations in {report.seconds:.0f} s "
          f"({report.evaluations_per_second:.2f} evaluations/s) into {store!r}")
    for name, err in report.failed_tasks.items():
        print(f"  refused: {safe_text(name)}: {safe_text(err)}", file=sys.stderr)
    return 0


def _names(text):
    return [t.strip() for t in text.split(",") if t.strip()] if text else None


def _shard(text):
    from automl_meta.errors import ConfigError

    if text is None:
        return None
    try:
        i, n = (int(v) for v in text.split("/"))
    except ValueError:
        i = n = 0
    if not 1 <= i <= n:
        raise ConfigError(f"--shard must be I/N with 1 <= I <= N (e.g. 2/4); got {text!r}.")
    return i, n


def run_stats(args) -> int:
    from automl_meta.metadataset import MetaDataset
    from automl_meta.metadataset import stats

    st = stats(MetaDataset(args.metadataset))
    if args.json:
        print(to_json(st))
        return 0
    print(f"meta-dataset {st['url']}")
    print(f"tasks {st['tasks']} ({st['groups']} groups; {st['tasks_by_kind']}), evaluations {st['evaluations']} "
          f"({st['failures']} failed: {st['failures_by_status']}), build time {st['build_seconds']} s")
    per_task = st["evaluations_per_task"]
    print(f"evaluations per task: min {per_task['min']}, median {per_task['median']}, max {per_task['max']}; "
          f"common per task: min {st['common_per_task_min']}")
    print(f"evaluations by fidelity: {st['fidelities']}; tasks by collection (base fidelity): {st['collections']}")
    print(f"best - median score per task: mean {st['best_minus_median']['mean']:.4f}, median {st['best_minus_median']['median']:.4f}; "
          "by collection: " + ", ".join(f"{c} {v['median']:.4f}" for c, v in st["best_minus_median_by_collection"].items()))
    if st["rejected_tasks"]:
        print(f"tasks refused by Task: {len(st['rejected_tasks'])} ({', '.join(map(safe_text, st['rejected_tasks']))})")
    rows = [{"family": f, **v} for f, v in st["families"].items()]
    print(format_table(rows, ["family", "evaluations", "failures", "tasks", "mean_seconds"]))
    prov = st.get("provenance", {})
    for key in ("corpus", "metafeatures_version", "space_version"):
        if key in prov:
            print(f"{key}: {prov[key]}")
    for build in prov.get("builds", []):
        print(f"build {build['date']}: {build['command']}")
    return 0


def run_export(args) -> int:
    from automl_meta.metadataset import MetaDataset

    n = MetaDataset(args.metadataset).export(args.path)
    print(f"wrote {n} rows to {args.path}")
    return 0


def run_import(args) -> int:
    from automl_meta.metadataset import MetaDataset

    tasks, evals = MetaDataset(args.metadataset).import_file(args.path)
    print(f"imported {tasks} new tasks and {evals} new evaluations")
    return 0
