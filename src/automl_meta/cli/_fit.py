"""``automl-meta fit DATA --target COL --out MODEL`` and ``automl-meta predict MODEL DATA --out PRED.csv``."""

from __future__ import annotations

import argparse
import sys
import time

from automl_meta.cli._common import add_data_arguments, format_table, load_task, reported_data_warnings, safe_text


#: Cells the importance ``fit`` prints unasked may predict: each column's shuffled copies of the scored rows are
#: predicted whole, so the work is columns x shuffles x rows x columns, the square of the columns. A 200-column
#: table of 400 rows took 12 s of predictions for 32,000,000 cells (and 7 s refitting the members per fold); a
#: 2,000-column one had not finished in 14 minutes. Past this, ``fit`` says so and skips it (``--importance`` asks).
AUTO_IMPORTANCE_CELLS = 50_000_000
#: Shuffles per column and rows of the importance ``fit`` prints.
IMPORTANCE_REPEATS, IMPORTANCE_ROWS = 3, 1000


def register(sub) -> None:
    _register_fit(sub)
    _register_model_commands(sub)


def _register_fit(sub) -> None:
    p = sub.add_parser("fit", help="search, warm-started by the meta-model, and save the best model", description=__doc__)
    add_data_arguments(p)
    p.add_argument("--out", required=True, metavar="MODEL", help="where to save the fitted model (signed joblib)")
    p.add_argument("--trials", type=int, default=None, help="number of trials (default 30 without --time-budget)")
    p.add_argument("--time-budget", type=float, metavar="S", help="seconds for the whole fit")
    p.add_argument("--time-limit", type=float, metavar="S", help="seconds per trial")
    p.add_argument("--storage", metavar="URL", help="Optuna storage URL to keep the study")
    p.add_argument("--metadataset", metavar="URL", help="where trials are recorded (default: the user's store)")
    p.add_argument("--metamodel", metavar="PATH", help="meta-model for the warm start (default: the user's, else the shipped one)")
    p.add_argument("--no-warm-start", action="store_true", help="search cold")
    p.add_argument("--adaptive-warm-starts", action="store_true",
                   help="choose each warm start after the first knowing how those before it scored")
    p.add_argument("--sampler", choices=["tpe", "guided"], default="tpe",
                   help="after the warm starts: Optuna's TPE (default), or TPE whose family the meta-model picks in half of the trials")
    p.add_argument("--cv", type=int, default=5)
    p.add_argument("--jobs", type=int, default=-1, metavar="N",
                   help="cores: trials at once, one per core, and the refit on all of them (default -1: every core)")
    p.add_argument("--no-ensemble", action="store_true", help="keep the single best strategy instead of an ensemble of the trials")
    p.add_argument("--refit-full", action="store_true", help="with --quality best: then fit each bagged member once "
                   "on every row (a model cv times smaller and faster to predict with)")
    p.add_argument("--quality", choices=["fast", "medium", "best"], default="medium",
                   help="fast: the single best strategy; medium (default): an ensemble refitted on every row; best: "
                   "the ensemble's members bagged over the folds (cv - 1 times the refit, cv times the model's size)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="run the trials on this Dask cluster (tcp://host:8786); "
                   "--jobs trials at once, -1: one per thread of its workers")
    p.add_argument("--seed", type=int, help="seed of the folds, models and sampler (default: 0, but a sampler seed "
                   "of its own in a study shared with --storage, so that processes do not repeat each other)")
    p.add_argument("--group-column", metavar="COLUMN", help="the rows' groups (a patient or customer ID): "
                   "cross-validation keeps a group's rows in one fold; the column is not a feature")
    p.add_argument("--weight-column", metavar="COLUMN", help="the rows' weights (numbers, 0 or more): in training, "
                   "the scores and the ensemble; the column is not a feature")
    p.add_argument("--class-weight", choices=["balanced"], help="predict the class of the largest probability times "
                   "its balanced weight, so that every class counts the same (classification; the models and their "
                   "probabilities are the unweighted fit's)")
    p.add_argument("--mlflow", metavar="URI", help="log the fit to MLflow at this tracking URI (sqlite:///mlflow.db, "
                   "http://host:5000): one run, a nested run per trial, the model; needs automl-meta[mlflow]")
    p.add_argument("--importance", action=argparse.BooleanOptionalAction, default=None,
                   help="print the 10 most important features (default, but for tables so wide that it would predict "
                   f"over {AUTO_IMPORTANCE_CELLS:,} cells: --importance asks for it there): permutation importance out "
                   "of fold on up to 1,000 of the rows, 3 shuffles each; it fits the model's members once per fold "
                   "after the search (with --quality best on up to 1,000 rows, a bagged member's fold models are reused)")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=run_fit)


def _register_model_commands(sub) -> None:
    """The commands that use a saved model: importance and predict."""
    i = sub.add_parser("importance", help="permutation importance of a model saved by `fit` on a table with its target",
                       description=__doc__)
    i.add_argument("model", help="a model file written by `automl-meta fit`")
    i.add_argument("data", metavar="DATA", help="rows with the features and the target column the model was fitted on "
                   "(held-out rows tell what generalizes)")
    i.add_argument("--repeats", type=int, default=5, help="shuffles per column (default 5)")
    i.add_argument("--max-rows", type=int, default=5000, help="score on a seeded sample of at most this many rows")
    i.add_argument("--top", type=int, default=20, help="features to print (default 20)")
    i.add_argument("--trust", action="store_true", help="load a model file written by someone else (a pickle)")
    i.set_defaults(func=run_importance)

    q = sub.add_parser("predict", help="predict with a model saved by `fit`", description=__doc__)
    q.add_argument("model", metavar="MODEL", help="a model file written by your `automl-meta fit` (signed; see --trust)")
    q.add_argument("data", metavar="DATA", help="CSV, Parquet or Excel .xlsx with the training columns (the target may be absent)")
    q.add_argument("--out", required=True, metavar="PRED.csv", help="one row per input row")
    q.add_argument("--proba", action="store_true", help="also write class probabilities")
    q.add_argument("--trust", action="store_true",
                   help="load a model file another user wrote (loading runs code from it: only files you trust)")
    q.set_defaults(func=run_predict)


def run_fit(args) -> int:
    from automl_meta.errors import ConfigError
    from automl_meta.estimator import AutoMetaClassifier, AutoMetaRegressor, MLflowCallback, check_writable, save_model
    from automl_meta.metamodel import prefetch_metamodel

    check_writable(args.out)  # before the search, not after it
    warm_start = False if args.no_warm_start else ("adaptive" if args.adaptive_warm_starts else True)
    if warm_start or args.sampler == "guided":
        prefetch_metamodel(args.metamodel)  # read while the table is read
    with reported_data_warnings():  # one context: a warning of the table's and the estimator's checks prints once
        task = load_task(args, for_estimator=True)
        cls = AutoMetaRegressor if task.kind == "regression" else AutoMetaClassifier
        est = cls(n_trials=args.trials, time_budget=args.time_budget, time_limit=args.time_limit,
                  warm_start=warm_start, cv=args.cv, metric=task.metric, storage=args.storage,
                  metadataset=args.metadataset, metamodel=args.metamodel, random_state=args.seed,
                  progress=not args.no_progress, sampler=args.sampler, n_jobs=args.jobs,
                  ensemble=not args.no_ensemble, quality=args.quality, scheduler=args.scheduler,
                  callbacks=None if args.mlflow is None else [MLflowCallback(args.mlflow, run_name=task.name)])
        if args.class_weight:
            if task.kind == "regression":
                raise ConfigError("--class-weight is for classification; this target is numeric (regression).")
            est.set_params(class_weight=args.class_weight)
        est.fit(task.X, task.y, task_name=task.name, groups=task.groups, sample_weight=task.sample_weight)
        if args.refit_full:
            est.refit_full()
    est.target_name_ = task.target_name
    est.date_orders_ = task.date_orders  # the estimator saw the dates expanded already; predict gets them raw
    predicted = {r.strategy.key: f" (predicted {r.predicted_score:.3f} ± {r.uncertainty:.3f})" for r in est.recommendations_}
    for i, strategy in enumerate(est.warm_starts_):
        print(f"warm start {i + 1}: {strategy}{predicted.get(strategy.key, '')}", file=sys.stderr)
    board = est.leaderboard_.head(10).reset_index().to_dict(orient="records")
    ran = est.leaderboard_[est.leaderboard_["origin"] != "ensemble"]["ran_here"].astype(bool)
    trials = f"{int(ran.sum())} trials" + (f" (and {int((~ran).sum())} of other processes sharing the study)" if (~ran).any() else "")
    kept = (f"an ensemble of {len(est.ensemble_)} strategies" if len(est.ensemble_) > 1 else f"best {est.best_strategy_}")
    combined = est.leaderboard_.loc[est.leaderboard_["origin"] == "ensemble", "strategy"].astype(str)
    kept = kept.replace("an ensemble", "a stack") if combined.str.contains(" stacked on ").any() else kept
    members = est.best_estimator_.models if len(est.ensemble_) > 1 else [est.best_estimator_]
    bagged = any(hasattr(m, "models") for m in members)  # a member that is its fold models (quality="best")
    if est.best_score_ == est.best_score_:  # not NaN: some trial finished
        print(f"{task!r}\n{trials} in {est.fit_seconds_:.1f} s; {kept} ({task.metric} {est.best_score_:.4f} in cross-validation), "
              + (f"each bagged over {est.cv_} folds of the {task.n_rows} rows" if bagged else f"refitted on all {task.n_rows} rows"))
    else:
        print(f"{task!r}\n{trials} in {est.fit_seconds_:.1f} s; no trial finished within the time budget, so "
              f"{est.best_strategy_} was fitted on all {task.n_rows} rows without cross-validation. Give a larger "
              "--time-budget for a searched model.")
    print(format_table(board, ["rank", "trial", "family", "score", "status", "fit_seconds", "origin", "strategy"]
                       + (["ran_here"] if (~ran).any() else [])))
    _print_fit_importance(est, task, args.importance)
    save_model(est, args.out)
    print(f"saved the model to {safe_text(args.out)}")
    return 0


def run_predict(args) -> int:
    import pandas as pd

    from automl_meta.errors import DataError

    with reported_data_warnings():
        est, frame, target = _model_and_table(args)
        X = frame.drop(columns=[target]) if target in frame.columns else frame
        pred = est.predict(X)
        out = pd.DataFrame({"prediction": pred})
        if args.proba:
            if not hasattr(est, "predict_proba"):
                raise DataError("--proba needs a classification model; this one is a regressor. Drop --proba.")
            proba = est.predict_proba(X)
            for j, c in enumerate(est.classes_):
                out[f"proba_{c}"] = proba[:, j]
    out = out.rename(columns=_spreadsheet_safe)
    if not pd.api.types.is_numeric_dtype(out["prediction"]):
        out["prediction"] = out["prediction"].map(_spreadsheet_safe)
    out.to_csv(args.out, index=False)
    print(f"wrote {len(out)} predictions to {safe_text(args.out)}")
    return 0


def run_importance(args) -> int:
    from automl_meta.errors import DataError

    with reported_data_warnings():
        est, frame, target = _model_and_table(args)
        if target not in frame.columns:
            raise DataError(f"{safe_text(args.data)!r} has no column {target!r}, the target the model was fitted on. "
                            "Give rows with their target.")
        table = est.feature_importances(frame.drop(columns=[target]), frame[target], n_repeats=args.repeats,
                                        max_rows=args.max_rows)
    _print_importance(table.head(args.top), f"permutation importance on {min(len(frame), args.max_rows)} rows of "
                      f"{safe_text(args.data)} (drop of {est.metric_} when a column is shuffled, {args.repeats} shuffles)")
    return 0


def _model_and_table(args):
    """The model file ``args.model`` loaded, the table ``args.data`` read, and the model's target column's name."""
    from automl_meta.data import columns_before_expansion, read_table
    from automl_meta.estimator import load_model

    est = load_model(args.model, trust=args.trust)
    # the columns the model reads choose a workbook's sheet (not the target: rows to predict need not have it);
    # not the parts a date column was expanded into ("<date>__year", ...), which the user's table does not have
    columns = columns_before_expansion(getattr(est, "feature_names_in_", ()))
    return est, read_table(args.data, columns=columns), getattr(est, "target_name_", None)


def _print_fit_importance(est, task, asked: bool | None) -> None:
    """The importance out of fold that ``fit`` prints: unless ``--no-importance``, or, unasked, on a table so wide
    that it would predict more than :data:`AUTO_IMPORTANCE_CELLS` cells (then a line says so)."""
    if asked is False:
        return
    columns = task.X.shape[1]  # as the models see them (dates expanded)
    cells = columns * IMPORTANCE_REPEATS * min(task.n_rows, IMPORTANCE_ROWS) * columns
    if asked is None and cells > AUTO_IMPORTANCE_CELLS:
        print(f"feature importance not computed: shuffling each of the {columns:,} columns {IMPORTANCE_REPEATS} "
              f"times predicts {cells:,} cells (the work grows with the square of the columns); pass --importance "
              "to compute it anyway")
        return
    began = time.perf_counter()
    table = est.feature_importances(n_repeats=IMPORTANCE_REPEATS, max_rows=IMPORTANCE_ROWS)
    _print_importance(table.head(10), f"most important features out of fold ({time.perf_counter() - began:.1f} s): the "
                      f"drop of {task.metric} when a column of a fold's test rows is shuffled ({IMPORTANCE_REPEATS} "
                      f"shuffles, up to {IMPORTANCE_ROWS:,} rows, the members fitted on the fold's other rows; "
                      "--no-importance skips it)")


def _print_importance(table, heading: str) -> None:
    print(heading + "; low/high: the 95% interval")
    print(format_table(table.reset_index().round(5).to_dict(orient="records"), ["feature", "importance", "std", "low", "high"]))


def _spreadsheet_safe(value):
    """Text that a spreadsheet would run as a formula (=, +, -, @, tab, CR first) gets a leading apostrophe
    (OWASP's advice for CSV injection); numbers and other text are written as they are."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        try:
            float(value)
            return value  # a signed number, not a formula
        except ValueError:
            return "'" + value
    return value
