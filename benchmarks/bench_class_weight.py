"""Balanced class weights on imbalanced held-out tasks: balanced accuracy and ROC AUC on unseen rows.

The tasks: the classification tasks of the end-to-end benchmark's results (``results/endtoend*.csv``), the
``--tasks`` most imbalanced (smallest share of the rarest class). Each split 75/25 as the end-to-end benchmark
splits (``harness.peers.outer_split``); on the 75%, ``AutoMetaClassifier(time_budget=--budget)`` (its default
metric, ROC AUC) without and with ``class_weight="balanced"``; on the 25%: balanced accuracy of ``predict``
and ROC AUC (one-vs-rest macro for several classes) of ``predict_proba``. ``class_weight="balanced"`` weighs the
decision (the models are the unweighted fit's); a third row, "balanced loss", gives scikit-learn's balanced
class weights as ``sample_weight`` instead (the loss and the scores weighted, as scikit-learn's ``class_weight``
and AutoGluon's ``balance_weight`` weigh the loss).

Usage: python benchmarks/bench_class_weight.py [--tasks 10] [--budget 30] [--out benchmarks/results/class_weight.md]
"""

from __future__ import annotations

import glob
import warnings

import numpy as np
import pandas as pd

from harness.cli import RESULTS, benchmark_parser, command_line
from harness.machine import machine_stamp
from harness.peers import outer_split


def imbalanced_tasks(n: int) -> list:
    """The ``n`` end-to-end classification tasks whose rarest class is smallest (share of rows)."""
    from automl_meta.data import Task, load_manifest

    names = set()
    for path in glob.glob(str(RESULTS / "endtoend*.csv")):
        results = pd.read_csv(path)
        if "kind" in results:
            names |= set(results.loc[results["kind"] != "regression", "task"])
    manifest = load_manifest().set_index("name")
    tasks = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in sorted(names):
            row = manifest.loc[name]
            task = Task.from_file(row["file"], target=row["target"], kind="classification", name=name,
                                  single_row_classes="drop")
            tasks.append((float(task.y.value_counts(normalize=True).min()), task))
    return [task for _, task in sorted(tasks, key=lambda pair: pair[0])[:n]]


def run_task(task, budget: float) -> list[dict]:
    from sklearn.metrics import balanced_accuracy_score, roc_auc_score
    from sklearn.utils.class_weight import compute_sample_weight

    from automl_meta import AutoMetaClassifier

    X_train, X_test, y_train, y_test = outer_split(task)
    rows = []
    for class_weight in (None, "balanced", "balanced loss"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # "balanced loss": scikit-learn's balanced class weights as sample weights (in training and scores)
            loss = class_weight == "balanced loss"
            model = AutoMetaClassifier(time_budget=budget, class_weight=None if loss else class_weight,
                                       metadataset=False, random_state=0)
            model.fit(X_train, y_train, task_name=task.name,
                      sample_weight=compute_sample_weight("balanced", y_train) if loss else None)
        proba = model.predict_proba(X_test)
        known = np.isin(y_test, model.classes_)  # a test class the training rows lack cannot be scored
        auc = (roc_auc_score(y_test[known] == model.classes_[1], proba[known, 1]) if len(model.classes_) == 2 else
               roc_auc_score(y_test[known], proba[known], multi_class="ovr", labels=model.classes_))
        rows.append({"task": task.name, "rows": task.n_rows, "rarest_class_share": round(float(task.y.value_counts(normalize=True).min()), 4),
                     "class_weight": class_weight or "none",
                     "balanced_accuracy": round(float(balanced_accuracy_score(y_test, model.predict(X_test))), 4),
                     "roc_auc": round(float(auc), 4), "fit_seconds": round(model.fit_seconds_, 1)})
        print(rows[-1], flush=True)
    return rows


def main() -> None:
    parser = benchmark_parser(__doc__, tasks=10, budget=30.0, out=RESULTS / "class_weight.md")
    args = parser.parse_args()
    rows = pd.DataFrame([r for task in imbalanced_tasks(args.tasks) for r in run_task(task, args.budget)])
    wide = rows.pivot(index="task", columns="class_weight", values=["balanced_accuracy", "roc_auc"])
    wins = int((wide[("balanced_accuracy", "balanced")] >= wide[("balanced_accuracy", "none")]).sum())
    loss_wins = int((wide[("balanced_accuracy", "balanced loss")] >= wide[("balanced_accuracy", "none")]).sum())
    loss_auc = float((wide[("roc_auc", "balanced loss")] - wide[("roc_auc", "none")]).mean())
    mean_ba = wide["balanced_accuracy"].mean()
    auc_change = float((wide[("roc_auc", "balanced")] - wide[("roc_auc", "none")]).mean())
    text = "\n".join([
        f"## Balanced class weights on the {args.tasks} most imbalanced end-to-end tasks ({machine_stamp()})", "",
        f"Command: `{command_line(parser, args)}`", "", rows.to_markdown(index=False), "",
        f"Balanced accuracy with class_weight='balanced' at least the unweighted fit's on {wins} of {len(wide)} tasks "
        f"(target >= 7: {'MET' if wins >= 7 else 'MISSED'}); ROC AUC change on average {auc_change:+.4f} (target not "
        f"lower: {'MET' if auc_change >= 0 else 'MISSED'}). Mean balanced accuracy: none {mean_ba['none']:.4f}, balanced "
        f"{mean_ba['balanced']:.4f}, balanced loss {mean_ba['balanced loss']:.4f}. The balanced weights in the loss "
        f"instead (sample weights): balanced accuracy at least the unweighted fit's on {loss_wins} of {len(wide)}, ROC "
        f"AUC change on average {loss_auc:+.4f}.", ""])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
