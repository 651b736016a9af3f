"""``automl-meta search DATA --target COL --trials N [--time-budget S] [--storage URL] [--metadataset URL]``."""

from __future__ import annotations

import sys

from automl_meta.cli._common import add_data_arguments, format_table, load_task, to_json


def register(sub) -> None:
    p = sub.add_parser("search", help="search the strategy space with Optuna and record every trial", description=__doc__)
    add_data_arguments(p)
    p.add_argument("--trials", type=int, help="number of trials")
    p.add_argument("--time-budget", type=float, metavar="S", help="seconds for the whole search")
    p.add_argument("--time-limit", type=float, metavar="S", help="seconds per evaluation (default: none)")
    p.add_argument("--storage", metavar="URL", help="Optuna storage URL (e.g. sqlite:///study.db) to keep and resume the study")
    p.add_argument("--study-name", help="Optuna study name (default: automl-meta-<task>)")
    p.add_argument("--metadataset", metavar="URL", help="meta-dataset path or URL (default: the user's store)")
    p.add_argument("--families", help="comma-separated model families to search (default: all available)")
    p.add_argument("--cv", type=int, help="cross-validation folds (default 5)")
    p.add_argument("--seed", type=int, help="seed of the folds, models and sampler (default: 0, but a sampler seed "
                   "of its own in a study shared with --storage, so that processes do not repeat each other)")
    p.add_argument("--top", type=int, default=10, help="leaderboard rows to print (default 10)")
    p.add_argument("--json", action="store_true", help="print the leaderboard as JSON")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args) -> int:
    from automl_meta.evaluate import Evaluator
    from automl_meta.metadataset import MetaDataset
    from automl_meta.search import search

    task = load_task(args)
    store = MetaDataset(args.metadataset)
    families = [f.strip() for f in args.families.split(",") if f.strip()] if args.families else None
    seed = 0 if args.seed is None else args.seed
    sampler = None
    if args.storage and args.seed is None:  # a shared study: this process's own sampler seed
        from automl_meta.search import default_sampler, own_sampler_seed

        sampler = default_sampler(own_sampler_seed())
    with Evaluator(cv=args.cv, time_limit=args.time_limit, random_state=seed) as evaluator:
        result = search(
            task, n_trials=args.trials, time_budget=args.time_budget, evaluator=evaluator, storage=args.storage,
            study_name=args.study_name, metadataset=store, families=families, random_state=seed, sampler=sampler,
            progress=not args.no_progress and not args.json,
        )
    board = result.leaderboard
    if args.json:
        print(to_json({"task": task.name, "metric": task.metric, "seconds": result.seconds,
                       "leaderboard": board.reset_index().to_dict(orient="records")}))
        return 0
    n_failed = int((board["status"] != "ok").sum())
    print(f"{task!r}\n{len(board)} trials in {result.seconds:.1f} s ({n_failed} failed); metric {task.metric}, higher is better")
    rows = board.head(args.top).reset_index().to_dict(orient="records")
    print(format_table(rows, ["rank", "trial", "family", "score", "status", "fit_seconds", "origin", "strategy"]))
    _, n_evals = store.count()
    print(f"recorded {len(board)} evaluations into {store!r} ({n_evals} in all)", file=sys.stderr)
    return 0
