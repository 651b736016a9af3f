"""The learning loop (issue 6): does recording a group's runs and updating the meta-model help that group?

1. Train a meta-model on the meta-dataset without one task group (default: ecoli).
2. Zero-shot, before: on half of the group's tasks (the "held" half), the normalized score of the meta-model's
   top-1 among the task's common-set strategies (scores from the meta-dataset).
3. Fit ``AutoMetaClassifier`` (warm-started by that meta-model) on the other half; every trial is recorded into
   a copy of the meta-dataset that lacks the group.
4. Update: retrain the meta-model on that copy (the old tasks plus the recorded runs).
5. Zero-shot, after: the same measure on the held half.

6. Evaluated, before and after: each model's five recommendations from its whole candidate set (which, after
   the update, holds the strategies the search found on the fitted tasks) are cross-validated on each held
   task with the meta-dataset's own protocol, and scored against the task's stored evaluations
   ((score - worst) / (best - worst); above 1 means better than any stored strategy). This is what a user
   meets: the warm starts of a new task resembling ones already fitted.

Each group is half fitted, half held out. A control retrains the before-model with the "after" seed on the
same data without the recorded runs: the gap after - control is the effect of the recorded runs, and
control - before is what retraining alone moves (seed noise).

Usage: python benchmarks/bench_learning_loop.py [--groups ecoli,yeast] [--trials 20] [--metadataset PATH]
Writes benchmarks/results/learning_loop.csv.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _heldout import build_config  # noqa: E402
from _machine import machine_stamp  # noqa: E402


def zero_shot(model, data, tasks) -> dict:
    """Per held task: normalized score (over all its stored evaluations) of the model's top-1 and best of top-5
    among the task's common-set strategies."""
    from automl_meta.metamodel._baselines import common_matrix

    matrix, common = common_matrix(data)
    out = {}
    for t in tasks:
        mean, _, _ = model.predict(data.metafeatures[t], common)
        order = np.argsort(-mean, kind="stable")
        out[str(data.task_names[t])] = (float(matrix[t, order[0]]), float(matrix[t, order[:5]].max()))
    return out


class RecommendationScorer:
    """Cross-validates recommended strategies on held tasks (the meta-dataset's build protocol), each
    (task, strategy) once, and normalizes against the task's stored evaluations."""

    def __init__(self, data, tasks, config):
        from automl_meta.data import iter_corpus
        from automl_meta.evaluate import Evaluator

        self.data = data
        self.by_name = {t.name: t for t in iter_corpus(names=[str(data.task_names[i]) for i in tasks])}
        self.evaluator = Evaluator(cv=int(config["cv"]), time_limit=float(config["time_limit"]), n_jobs=1,
                                   random_state=int(config["random_state"]), max_rows=int(config["max_rows"]))
        self.cache = {}

    def __call__(self, model, tasks, k: int = 5) -> dict:
        out = {}
        for t in tasks:
            name = str(self.data.task_names[t])
            recs = model.recommend(self.data.metafeatures[t], k=k, kind=str(self.data.kinds[t]))
            stored = self.data.scores[self.data.eval_task == t]
            worst, best = np.nanmin(stored), np.nanmax(stored)
            norm = []
            for r in recs:
                key = (name, r.strategy.key)
                if key not in self.cache:
                    ev = self.evaluator(r.strategy, self.by_name[name])
                    self.cache[key] = ev.score if ev.ok else worst
                norm.append((self.cache[key] - worst) / (best - worst) if best > worst else 1.0)
            out[name] = (float(norm[0]), float(max(norm)))
        return out


def run_group(group, source, data, args, tmp, machine) -> list[dict]:
    from automl_meta.data import iter_corpus
    from automl_meta.estimator import AutoMetaClassifier, AutoMetaRegressor
    from automl_meta.metadataset import MetaDataset
    from automl_meta.metamodel import MetaModel

    in_group = np.flatnonzero(data.groups == group)
    if len(in_group) < 2:
        raise SystemExit(f"group {group!r} has {len(in_group)} tasks in the meta-dataset; need at least 2")
    fit_tasks, held_tasks = in_group[::2], in_group[1::2]
    others = np.flatnonzero(data.groups != group)

    # a store without the group: export everything, import, then delete the group's tasks
    copy = MetaDataset(tmp / f"without_{group}.sqlite")
    export = tmp / "export.csv.gz"
    source.export(export)
    frame = pd.read_csv(export)
    frame[frame["task_group_name"] != group].to_csv(export, index=False)
    copy.import_file(export)

    factory = lambda seed: MetaModel(n_members=args.members, epochs=args.epochs, random_state=seed)  # noqa: E731
    scorer = RecommendationScorer(data, held_tasks, build_config(source))
    before_model = factory(0).fit(data.subset(others))
    before = zero_shot(before_model, data, held_tasks)
    before_eval = scorer(before_model, held_tasks)
    # control: the same training data, another seed — how much retraining alone moves the numbers
    control_model = factory(1).fit(data.subset(others))
    control = zero_shot(control_model, data, held_tasks)
    control_eval = scorer(control_model, held_tasks)
    path = before_model.save(tmp / f"before_{group}.pt")

    names = [str(data.task_names[t]) for t in fit_tasks]
    print(f"machine: {machine}\ngroup {group}: fitting {names}, holding out {list(before)}", flush=True)
    for task in iter_corpus(names=names):
        cls = AutoMetaRegressor if task.kind == "regression" else AutoMetaClassifier
        cls(n_trials=args.trials, metadataset=copy, metamodel=path, random_state=0).fit(task.X, task.y)
        print(f"  fitted {task.name}: {copy.count()[1]} evaluations in the store", flush=True)
    after_model = factory(1).fit(copy.training_data())  # seed 1: compare with control
    after = zero_shot(after_model, data, held_tasks)
    after_eval = scorer(after_model, held_tasks)
    scorer.evaluator.close()
    return [{"task": t, "group": group, "before_top1": before[t][0], "control_top1": control[t][0],
             "after_top1": after[t][0], "before_top5": before[t][1], "control_top5": control[t][1],
             "after_top5": after[t][1],
             "before_rec1": before_eval[t][0], "control_rec1": control_eval[t][0], "after_rec1": after_eval[t][0],
             "before_rec5": before_eval[t][1], "control_rec5": control_eval[t][1], "after_rec5": after_eval[t][1]}
            for t in before]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--groups", default="ecoli,yeast")
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--metadataset", help="default: the shipped meta-dataset")
    parser.add_argument("--members", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--out", default=str(HERE / "results" / "learning_loop.csv"))
    args = parser.parse_args()

    from automl_meta.metadataset import MetaDataset, shipped_path

    tmp = Path(tempfile.mkdtemp())
    source = MetaDataset(args.metadataset) if args.metadataset else MetaDataset(tmp / "full.sqlite")
    if not args.metadataset:
        source.import_file(shipped_path())
    data = source.training_data()
    out_path = Path(args.out)
    rows = []
    for group in args.groups.split(","):
        rows += run_group(group, source, data, args, tmp, machine_stamp())
        pd.DataFrame(rows).to_csv(out_path, index=False)
    out = pd.DataFrame(rows)
    print(out.to_markdown(index=False, floatfmt=".3f"))
    print(f"\n## Learning loop ({machine_stamp()}); command: `python benchmarks/bench_learning_loop.py --groups "
          f"{args.groups} --trials {args.trials}`\n")
    summary = out.groupby("group")[[c for c in out.columns if c.endswith(("top1", "top5", "rec1", "rec5"))]].mean()
    summary.loc["all"] = out[summary.columns].mean()
    print(summary.round(3).to_markdown())
    for measure in ("top1", "rec1", "rec5"):
        d = out[f"after_{measure}"] - out[f"control_{measure}"]
        print(f"\nafter vs control (same seed, without the recorded runs), {measure} win/tie/loss: "
              f"{int((d > 1e-9).sum())}/{int((d.abs() <= 1e-9).sum())}/{int((d < -1e-9).sum())} over {len(out)} held-out tasks")


if __name__ == "__main__":
    main()
