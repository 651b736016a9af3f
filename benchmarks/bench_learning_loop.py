"""The learning loop: does recording a group's runs and updating the meta-model help that group?

1. Train a meta-model on the meta-dataset without one task group (default: ecoli).
2. Zero-shot, before: on half of the group's tasks (the "held" half), the normalized score of the meta-model's
   top-1 among the task's common-set strategies (scores from the meta-dataset).
3. Fit ``AutoMetaClassifier`` (warm-started by that meta-model) on the other half; every trial is recorded into
   a copy of the meta-dataset that lacks the group.
4. Update: retrain the meta-model on that copy (the old tasks plus the recorded runs).
5. Zero-shot, after: the same measure on the held half.
6. Evaluated, before and after: each model's top recommendation and its five, from its whole candidate set
   (which, after the update, holds the strategies the search found on the fitted tasks), cross-validated on
   each held task the way the fits were (``AutoMetaClassifier``'s protocol: 5 folds, every row), each
   (task, strategy) once. Reported as the raw metric (ROC AUC) and as (score - worst) / (best - worst) over
   every recommendation evaluated on the task. This is what a user meets: the warm starts of a new task
   resembling ones already fitted, scored as the fits score them. (The meta-dataset's own protocol, 3 folds
   on at most 1,000 rows, differs: scores of the two are not mixed.)
7. The same measures on the fitted half ("fitted" rows): a user coming back to a dataset already fitted (or
   to a new version of it) — what the recorded runs teach about those very tasks.

Each group is half fitted, half held out. A control retrains the before-model with the "after" seed on the
same data without the recorded runs: the gap after - control is the effect of the recorded runs, and
control - before is what retraining alone moves (seed noise).

Usage: python benchmarks/bench_learning_loop.py [--groups ecoli,yeast] [--trials 20] [--metadataset PATH]
Writes benchmarks/results/learning_loop.csv.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from harness.cli import RESULTS, benchmark_parser, command_line
from harness.machine import machine_stamp


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
    """Cross-validates recommended strategies on held tasks with the estimator's protocol, each (task,
    strategy) once."""

    def __init__(self, data, tasks):
        from automl_meta.data import iter_corpus
        from automl_meta.evaluate import Evaluator

        self.data = data
        self.by_name = {t.name: t for t in iter_corpus(names=[str(data.task_names[i]) for i in tasks])}
        self.evaluator = Evaluator(cv=5, time_limit=120.0, n_jobs=1, random_state=0)  # AutoMetaClassifier's defaults
        self.cache = {}

    def __call__(self, model, tasks, k: int = 5) -> dict:
        """Per held task: the raw scores of the top-1 and of the best of the top-k recommendations."""
        out = {}
        for t in tasks:
            name = str(self.data.task_names[t])
            recs = model.recommend(self.data.metafeatures[t], k=k, kind=str(self.data.kinds[t]))
            scores = []
            for r in recs:
                key = (name, r.strategy.key)
                if key not in self.cache:
                    ev = self.evaluator(r.strategy, self.by_name[name])
                    self.cache[key] = ev.score if ev.ok else np.nan
                scores.append(self.cache[key])
            out[name] = (float(scores[0]), float(np.nanmax(scores)) if np.isfinite(scores).any() else np.nan)
        return out

    def normalized(self, name: str, score: float) -> float:
        """(score - worst) / (best - worst) over every recommendation evaluated on the task."""
        pool = np.array([v for (n, _), v in self.cache.items() if n == name and np.isfinite(v)])
        if not np.isfinite(score) or len(pool) == 0:
            return 0.0
        return float((score - pool.min()) / (pool.max() - pool.min())) if pool.max() > pool.min() else 1.0


def store_without(source, group: str, tmp: Path):
    """A copy of the meta-dataset without the group's tasks (exported, filtered, imported)."""
    from automl_meta.metadataset import MetaDataset

    copy = MetaDataset(tmp / f"without_{group}.sqlite")
    export = tmp / "export.csv.gz"
    source.export(export)
    frame = pd.read_csv(export)
    frame[frame["task_group_name"] != group].to_csv(export, index=False)
    copy.import_file(export)
    return copy


def record_fits(names: list[str], store, metamodel_path, trials: int) -> None:
    """Fit each named corpus task with the estimator, its trials recorded into ``store`` (the learning loop)."""
    from automl_meta.data import iter_corpus
    from automl_meta.estimator import AutoMetaClassifier, AutoMetaRegressor

    for task in iter_corpus(names=names):
        cls = AutoMetaRegressor if task.kind == "regression" else AutoMetaClassifier
        cls(n_trials=trials, metadataset=store, metamodel=metamodel_path, random_state=0).fit(task.X, task.y)
        print(f"  fitted {task.name}: {store.count()[1]} evaluations in the store", flush=True)


def result_rows(group, scorer, roles, results) -> list[dict]:
    """A row per held-out or fitted task: each model's recommendations scored (before, control, after)."""
    rows = []
    for role in roles:
        for t in results["before"][role][0]:
            row = {"task": t, "group": group, "role": role}
            for who, result in results.items():
                common, evaluated = result[role][0][t], result[role][1][t]
                row.update({f"{who}_top1": common[0], f"{who}_top5": common[1], f"{who}_auc1": evaluated[0],
                            f"{who}_auc5": evaluated[1], f"{who}_rec1": scorer.normalized(t, evaluated[0]),
                            f"{who}_rec5": scorer.normalized(t, evaluated[1])})
            rows.append(row)
    return rows


def run_group(group, source, data, args, tmp, machine) -> list[dict]:
    from automl_meta.metamodel import MetaModel

    in_group = np.flatnonzero(data.groups == group)
    if len(in_group) < 2:
        raise SystemExit(f"group {group!r} has {len(in_group)} tasks in the meta-dataset; need at least 2")
    fit_tasks, held_tasks = in_group[::2], in_group[1::2]
    others = np.flatnonzero(data.groups != group)
    copy = store_without(source, group, tmp)
    factory = lambda seed: MetaModel(n_members=args.members, epochs=args.epochs, random_state=seed)  # noqa: E731
    scorer = RecommendationScorer(data, np.concatenate([held_tasks, fit_tasks]))
    roles = {"held": held_tasks, "fitted": fit_tasks}

    def measure(model) -> dict:
        return {role: (zero_shot(model, data, tasks), scorer(model, tasks)) for role, tasks in roles.items()}

    before_model = factory(0).fit(data.subset(others))
    # control: the same training data, another seed — how much retraining alone moves the numbers
    results = {"before": measure(before_model), "control": measure(factory(1).fit(data.subset(others)))}
    names = [str(data.task_names[t]) for t in fit_tasks]
    print(f"machine: {machine}\ngroup {group}: fitting {names}, holding out {list(results['before']['held'][0])}", flush=True)
    record_fits(names, copy, before_model.save(tmp / f"before_{group}.pt"), args.trials)
    results["after"] = measure(factory(1).fit(copy.training_data()))  # seed 1: compare with control
    scorer.evaluator.close()
    return result_rows(group, scorer, roles, results)


def summary(out: pd.DataFrame) -> list[str]:
    columns = [f"{who}_{m}" for m in ("top1", "top5", "auc1", "auc5", "rec1", "rec5") for who in ("before", "control", "after")]
    lines = []
    for role, part in out.groupby("role", sort=False):
        table = part.groupby("group")[columns].mean()
        table.loc["all"] = part[columns].mean()
        lines.append(f"\n{role} tasks ({len(part)})\n" + table.round(3).to_markdown())
        for m in ("top1", "top5", "auc1", "auc5"):
            d = part[f"after_{m}"] - part[f"control_{m}"]
            lines.append(f"after vs control (same seed, without the recorded runs), {m} win/tie/loss: "
                         f"{int((d > 1e-9).sum())}/{int((d.abs() <= 1e-9).sum())}/{int((d < -1e-9).sum())} over {len(part)} {role} tasks")
    return lines


def main() -> None:
    parser = benchmark_parser(__doc__, trials=20, metadataset=None, members=5, epochs=60,
                              out=RESULTS / "learning_loop.csv")
    parser.add_argument("--groups", default="ecoli,yeast")
    args = parser.parse_args()

    from automl_meta.metadataset import MetaDataset, shipped_path

    tmp = Path(tempfile.mkdtemp())
    source = MetaDataset(args.metadataset) if args.metadataset else MetaDataset(tmp / "full.sqlite")
    if not args.metadataset:
        source.import_file(shipped_path())
    data = source.training_data()
    rows = []
    for group in args.groups.split(","):
        rows += run_group(group, source, data, args, tmp, machine_stamp())
        pd.DataFrame(rows).to_csv(args.out, index=False)
    out = pd.DataFrame(rows)
    print(out.to_markdown(index=False, floatfmt=".3f"))
    print(f"\n## Learning loop ({machine_stamp()}); command: `{command_line(parser, args)}`\n")
    print("\n".join(summary(out)))


if __name__ == "__main__":
    main()
