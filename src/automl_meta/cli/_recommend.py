"""``automl-meta recommend DATA --target COL [--top K] [--json]``: the meta-model's recommended strategies for
a task, with predicted score, uncertainty and time, and the most similar known tasks as the reason."""

from __future__ import annotations

from automl_meta.cli._common import add_data_arguments, format_table, load_task, to_json


def register(sub) -> None:
    p = sub.add_parser("recommend", help="recommend strategies for a task without training anything", description=__doc__)
    add_data_arguments(p)
    p.add_argument("--top", type=int, default=5, metavar="K", help="number of strategies (default 5)")
    p.add_argument("--time-budget", type=float, metavar="S", help="only strategies predicted to fit in S seconds")
    p.add_argument("--metamodel", metavar="PATH", help="a saved meta-model (default: the user's, else the shipped one)")
    p.add_argument("--json", action="store_true", help="print JSON with a `recommendations` list")
    p.set_defaults(func=run)


def run(args) -> int:
    from automl_meta.errors import MetaModelError
    from automl_meta.metafeatures import compute
    from automl_meta.metamodel import prefetch_metamodel, resolve_metamodel

    prefetch_metamodel(args.metamodel)  # read while the table is read and described
    task = load_task(args)
    model = resolve_metamodel(args.metamodel)
    if model is None:
        raise MetaModelError("No meta-model is available: none is shipped in this installation and none was trained. "
                             "Train one with `automl-meta metamodel train`.")
    mf = compute(task)
    recs = model.recommend(mf, k=args.top, kind=task.kind, max_seconds=args.time_budget)
    similar = model.similar_tasks(mf, n=3)
    if args.json:
        print(to_json({
            "task": {"name": task.name, "kind": task.kind, "metric": task.metric, "rows": task.n_rows, "features": task.n_features},
            "recommendations": [dict(rank=i + 1, **r.to_dict()) for i, r in enumerate(recs)],
            "similar_tasks": [{"name": n, "distance": d} for n, d in similar],
        }))
        return 0
    print(f"{task!r}")
    rows = [{"rank": i + 1, "family": r.strategy.family, "predicted": r.predicted_score, "uncertainty": r.uncertainty,
             "seconds": r.predicted_seconds, "strategy": str(r.strategy)} for i, r in enumerate(recs)]
    print(format_table(rows, ["rank", "family", "predicted", "uncertainty", "seconds", "strategy"]))
    print("predicted: normalized score (1 = as good as the best strategy known for similar tasks); seconds: "
          "cross-validation time on tasks of the meta-dataset's size")
    print("most similar known tasks: " + ", ".join(f"{n} (distance {d:.3f})" for n, d in similar))
    if any(r.remembered for r in recs):
        print(f"seen before: {similar[0][0]} is this dataset (distance below {model.memory_radius}); its best "
              "recorded strategies come first")
    return 0
