"""AutoGluon in its own interpreter, for the end-to-end benchmark.

AutoGluon pins pandas, scikit-learn and (for its networks) torch to versions other than the project's, so it
is installed into a virtual environment of its own (``.venv-autogluon``, made by ``make bench-endtoend-v2``)
and driven through this script, which imports nothing of automl-meta. Data travel as Parquet files.

    python autogluon_runner.py fit --data train.parquet --label y --path DIR --metric roc_auc
                                    --presets medium_quality --time-limit 30
    python autogluon_runner.py predict --data test.parquet --path DIR --out pred.parquet [--proba]

``fit`` prints one JSON line (the classes, the models AutoGluon trained, its fit seconds); ``predict`` writes the predictions
(``--proba``: one column per class, in ``class_labels`` order).
"""

from __future__ import annotations

import argparse
import json
import time


def fit(args) -> None:
    import pandas as pd
    from autogluon.tabular import TabularPredictor

    frame = pd.read_parquet(args.data)
    start = time.perf_counter()
    predictor = TabularPredictor(label=args.label, eval_metric=args.metric, verbosity=0, path=args.path).fit(
        frame, time_limit=args.time_limit, presets=args.presets, num_cpus=args.cpus, num_gpus=0)
    classes = predictor.class_labels if predictor.problem_type != "regression" else None
    print(json.dumps({"classes": None if classes is None else [c if isinstance(c, str) else c.item()
                                                                if hasattr(c, "item") else c for c in classes],
                      "models": predictor.model_names(), "fit_seconds": time.perf_counter() - start}))


def predict(args) -> None:
    import pandas as pd
    from autogluon.tabular import TabularPredictor

    predictor = TabularPredictor.load(args.path, verbosity=0)
    X = pd.read_parquet(args.data)
    if args.proba:
        out = predictor.predict_proba(X)[list(predictor.class_labels)]
        out.columns = [str(c) for c in out.columns]
    else:
        out = predictor.predict(X).to_frame("prediction")
    out.reset_index(drop=True).to_parquet(args.out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="action", required=True)
    f = sub.add_parser("fit")
    f.add_argument("--data", required=True)
    f.add_argument("--label", required=True)
    f.add_argument("--path", required=True)
    f.add_argument("--metric", required=True)
    f.add_argument("--presets", default="medium_quality")
    f.add_argument("--time-limit", type=float, required=True)
    f.add_argument("--cpus", type=int, default=1)
    p = sub.add_parser("predict")
    p.add_argument("--data", required=True)
    p.add_argument("--path", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--proba", action="store_true")
    args = parser.parse_args()
    fit(args) if args.action == "fit" else predict(args)


if __name__ == "__main__":
    main()
