"""Print the MLflow runs of a tracking store as a tree: each fit's run (score, trials, artifacts) and its trials'
nested runs. Usage: python tools/mlflow_tree.py TRACKING_URI (e.g. sqlite:///mlflow.db)."""

import sys
import mlflow
uri = sys.argv[1]
client = mlflow.tracking.MlflowClient(tracking_uri=uri)
for exp in client.search_experiments():
    runs = client.search_runs([exp.experiment_id], order_by=["attributes.start_time ASC"])
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    for p in parents:
        m = p.data.metrics
        print(f"experiment {exp.name!r} / run {p.info.run_name!r} [{p.info.status}] best_score={m.get('best_score'):.4f} "
              f"trials={m.get('trials'):.0f} fit_seconds={m.get('fit_seconds'):.1f} params: n_trials={p.data.params.get('n_trials')} cv={p.data.params.get('cv')}")
        arts = [a.path for a in client.list_artifacts(p.info.run_id)] + [a.path for a in client.list_artifacts(p.info.run_id, "model")]
        print(f"  artifacts: {sorted(a for a in arts if a != 'model')}")
        for c in sorted((r for r in runs if r.data.tags.get("mlflow.parentRunId") == p.info.run_id), key=lambda r: r.info.run_name):
            params = {k: v for k, v in c.data.params.items() if k != "family"}
            score = c.data.metrics.get("score")
            print(f"  └─ {c.info.run_name} [{c.info.status}] origin={c.data.tags.get('origin')} status={c.data.tags.get('status')} "
                  f"score={'%.4f' % score if score is not None else '-'} fit_seconds={c.data.metrics.get('fit_seconds', float('nan')):.2f} {params}")
