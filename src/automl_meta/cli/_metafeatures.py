"""``automl-meta metafeatures DATA --target COL [--json]``: print a task's meta-feature vector."""

from __future__ import annotations

from automl_meta.cli._common import add_data_arguments, format_table, load_task, to_json


def register(sub) -> None:
    p = sub.add_parser("metafeatures", help="print a task's meta-features", description=__doc__)
    add_data_arguments(p)
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--seed", type=int, default=0, help="seed of the subsamples and landmarkers (default 0)")
    p.set_defaults(func=run)


def run(args) -> int:
    from automl_meta.metafeatures import compute

    task = load_task(args)
    mf = compute(task, random_state=args.seed)
    if args.json:
        print(
            to_json(
                {
                    "task": {"name": task.name, "kind": task.kind, "metric": task.metric, "rows": task.n_rows, "features": task.n_features},
                    "version": mf.version,
                    "seconds": mf.seconds,
                    "metafeatures": mf.to_dict(),
                }
            )
        )
        return 0
    print(f"{task!r}\nmeta-features v{mf.version}: {len(mf)} values in {mf.seconds:.3f} s")
    rows = [{"feature": n, "group": g, "value": mf[n]} for n, g in mf.groups.items()]
    print(format_table(rows, ["feature", "group", "value"]))
    return 0
