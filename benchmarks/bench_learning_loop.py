"""The learning loop (issue 6): does recording a group's runs and updating the meta-model help that group?

1. Train a meta-model on the meta-dataset without one task group (default: ecoli).
2. Zero-shot, before: on half of the group's tasks (the "held" half), the normalized score of the meta-model's
   top-1 among the task's common-set strategies (scores from the meta-dataset).
3. Fit ``AutoMetaClassifier`` (warm-started by that meta-model) on the other half; every trial is recorded into
   a copy of the meta-dataset that lacks the group.
4. Update: retrain the meta-model on that copy (the old tasks plus the recorded runs).
5. Zero-shot, after: the same measure on the held half.

Usage: python benchmarks/bench_learning_loop.py [--group ecoli] [--trials 20] [--metadataset PATH]
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
from _machine import machine_stamp  # noqa: E402


def zero_shot(model, data, tasks) -> dict:
    from automl_meta.metamodel._baselines import common_matrix

    matrix, common = common_matrix(data)
    out = {}
    for t in tasks:
        mean, _, _ = model.predict(data.metafeatures[t], common)
        out[str(data.task_names[t])] = float(matrix[t, int(np.argmax(mean))])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--group", default="ecoli")
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--metadataset", help="default: the shipped meta-dataset")
    parser.add_argument("--members", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=60)
    args = parser.parse_args()

    from automl_meta.data import iter_corpus
    from automl_meta.estimator import AutoMetaClassifier
    from automl_meta.metadataset import MetaDataset, shipped_path
    from automl_meta.metamodel import MetaModel

    tmp = Path(tempfile.mkdtemp())
    source = MetaDataset(args.metadataset) if args.metadataset else MetaDataset(tmp / "full.sqlite")
    if not args.metadataset:
        source.import_file(shipped_path())
    data = source.training_data()
    in_group = np.flatnonzero(data.groups == args.group)
    if len(in_group) < 2:
        raise SystemExit(f"group {args.group!r} has {len(in_group)} tasks in the meta-dataset; need at least 2")
    fit_tasks, held_tasks = in_group[::2], in_group[1::2]
    others = np.flatnonzero(data.groups != args.group)

    # a store without the group: export everything, import, then delete the group's tasks
    copy = MetaDataset(tmp / "without_group.sqlite")
    export = tmp / "export.csv.gz"
    source.export(export)
    frame = pd.read_csv(export)
    frame[frame["task_group_name"] != args.group].to_csv(export, index=False)
    copy.import_file(export)

    factory = lambda: MetaModel(n_members=args.members, epochs=args.epochs)  # noqa: E731
    before_model = factory().fit(data.subset(others))
    before = zero_shot(before_model, data, held_tasks)
    path = before_model.save(tmp / "before.pt")

    names = [str(data.task_names[t]) for t in fit_tasks]
    print(f"machine: {machine_stamp()}\ngroup {args.group}: fitting {names}, holding out {list(before)}")
    for task in iter_corpus(names=names):
        AutoMetaClassifier(n_trials=args.trials, metadataset=copy, metamodel=path, random_state=0).fit(task.X, task.y)
        print(f"  fitted {task.name}: {copy.count()[1]} evaluations in the store", flush=True)
    after_model = factory().fit(copy.training_data())
    after = zero_shot(after_model, data, held_tasks)
    rows = [{"task": t, "group": args.group, "before": before[t], "after": after[t]} for t in before]
    out = pd.DataFrame(rows)
    out.to_csv(HERE / "results" / "learning_loop.csv", index=False)
    print(out.to_markdown(index=False, floatfmt=".3f"))
    print(f"\nmean zero-shot normalized score on held-out {args.group} tasks: before {out.before.mean():.3f}, "
          f"after {out.after.mean():.3f} ({len(out)} tasks)")


if __name__ == "__main__":
    main()
