"""``automl-meta metadataset build|stats|export|import``: build, inspect and move meta-datasets."""

from __future__ import annotations

import sys

from automl_meta.cli._common import format_table, to_json


def register(sub) -> None:
    p = sub.add_parser("metadataset", help="build, inspect, export and import meta-datasets", description=__doc__)
    msub = p.add_subparsers(dest="metadataset_command", metavar="ACTION", required=True)

    b = msub.add_parser("build", help="evaluate the common strategies and a short TPE run on every corpus task")
    b.add_argument("manifest", nargs="?", metavar="MANIFEST", help="corpus manifest CSV (default: the shared corpus)")
    b.add_argument("--metadataset", metavar="URL", help="where to store it (default: the user's store)")
    b.add_argument("--common", type=int, default=32, metavar="N", help="strategies of the common set (default 32)")
    b.add_argument("--strategies-per-task", type=int, default=32, metavar="N", help="task-specific TPE strategies per task (default 32)")
    b.add_argument("--max-rows", type=int, default=1500, help="rows per task, a seeded stratified subsample beyond (default 1500)")
    b.add_argument("--cv", type=int, default=3, help="cross-validation folds (default 3)")
    b.add_argument("--time-limit", type=float, default=60.0, metavar="S", help="seconds per evaluation (default 60)")
    b.add_argument("--jobs", type=int, default=2, help="parallel evaluation processes (default 2)")
    b.add_argument("--tasks", help="comma-separated task names to build (default: all)")
    b.add_argument("--seed", type=int, default=0)
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
    from automl_meta.collect import BuildConfig, build
    from automl_meta.metadataset import MetaDataset
    from automl_meta.metadataset import record_provenance

    store = MetaDataset(args.metadataset)
    config = BuildConfig(n_common=args.common, n_specific=args.strategies_per_task, max_rows=args.max_rows, cv=args.cv,
                         time_limit=args.time_limit, jobs=args.jobs, random_state=args.seed)
    names = [t.strip() for t in args.tasks.split(",")] if args.tasks else None
    record_provenance(store, config, args.manifest, " ".join(["automl-meta", *args.argv]))
    report = build(args.manifest, store=store, config=config, names=names)
    print(f"built {report.tasks_done} tasks, {report.evaluations_added} new evaluations in {report.seconds:.0f} s into {store!r}")
    for name, err in report.failed_tasks.items():
        print(f"  failed: {name}: {err}", file=sys.stderr)
    return 1 if report.failed_tasks else 0


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
    print(f"best - median score per task: mean {st['best_minus_median']['mean']:.4f}, median {st['best_minus_median']['median']:.4f}")
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
