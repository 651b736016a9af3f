"""``python -m automl_meta.examples.demo`` (``make demo``): the whole loop on the bundled penguins, in under a
minute. The meta-model recommends strategies for predicting a penguin's body mass, a 20-second budgeted fit
searches from them, and the fitted model's R² on held-out penguins is printed beside scikit-learn's
``HistGradientBoostingRegressor`` with its defaults. Nothing is recorded in your meta-dataset.

Options: ``--budget S`` (default 20), ``--seed N`` (default 0).
"""

from __future__ import annotations

import argparse
import time
import warnings


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m automl_meta.examples.demo", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--budget", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.metrics import r2_score
    from sklearn.model_selection import train_test_split

    from automl_meta.estimator import AutoMetaRegressor
    from automl_meta.examples import load_example

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the two penguins without a body mass are dropped
        task = load_example("penguins", target="body_mass_g")
    X_train, X_test, y_train, y_test = train_test_split(task.X, task.y, test_size=0.25, random_state=args.seed)
    print(f"1. The task: {task.n_rows} penguins, predict body_mass_g from {', '.join(task.X.columns)}")
    print(f"   ({len(task.categorical_columns)} text columns, {int(task.X.isna().sum().sum())} missing cells); "
          f"{len(X_train)} rows to fit on, {len(X_test)} held out.\n")

    model = AutoMetaRegressor(time_budget=args.budget, metadataset=False, random_state=args.seed)
    began = time.perf_counter()
    model.fit(X_train, y_train, task_name="penguins-body-mass")
    print("2. The meta-model's recommendations, the search's first trials:")
    for i, r in enumerate(model.recommendations_[:3], 1):
        print(f"   {i}. {r.strategy}  predicted {r.predicted_score:.3f} ± {r.uncertainty:.3f}")
    trials = int((model.leaderboard_["origin"] != "ensemble").sum())
    fitted = (f"an ensemble of {len(model.ensemble_)} of them" if len(model.ensemble_) > 1 else f"the best, {model.best_strategy_}")
    searched = f"{trials} trials in {time.perf_counter() - began:.1f} s ({model.n_workers_} at a time)"
    if model.best_score_ == model.best_score_:  # not NaN: some trial finished
        print(f"\n3. A {args.budget:g} s fit: {searched}; kept {fitted} (R² {model.best_score_:.3f} in cross-validation), "
              "refitted on every row.\n")
    else:
        print(f"\n3. A {args.budget:g} s fit: {searched}; no trial finished within the budget, so it fitted "
              f"{model.best_strategy_} on every row without cross-validation.\n")

    began = time.perf_counter()
    baseline = HistGradientBoostingRegressor(random_state=args.seed, categorical_features="from_dtype")
    baseline.fit(_categories(X_train, task.categorical_columns), y_train)
    baseline_seconds = time.perf_counter() - began
    print("4. R² on the held-out penguins:")
    scores = {f"automl-meta, time_budget={args.budget:g}": r2_score(y_test, model.predict(X_test)),
              "HistGradientBoostingRegressor() defaults": r2_score(y_test, baseline.predict(_categories(X_test, task.categorical_columns)))}
    for name, score in scores.items():
        print(f"   {name:<42} {score:.4f}")
    print(f"   (the default model took {baseline_seconds:.1f} s)")
    return 0


def _categories(X, columns):
    """Text columns as pandas categories, which HistGradientBoosting takes as they are."""
    return X.astype({c: "category" for c in columns})


if __name__ == "__main__":
    raise SystemExit(main())
