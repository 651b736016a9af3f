"""How well the v1 meta-model and the v1 static portfolio transfer to the tasks of meta-dataset v2 (the
"before" row for the v2 meta-model).

The v1 meta-model and the v1 meta-dataset are read from git (``--v1-ref``, the last commit that shipped them);
the v1 portfolio is the greedy static portfolio of the v1 meta-dataset (its 173 KEEL/UCI tasks). On every
base-fidelity task of the v2 meta-dataset whose common set is complete, each method picks from the v2 common
set (the portfolio from its own strategies, which are in it); reported is the normalized score (over every
evaluation of the task) of its top-1 and of the best of its top-5, per collection and kind, with 95% bootstrap
intervals; ``random`` is the exact expectation of a random pick. The KEEL/UCI rows are the tasks v1 was
trained on (in-sample for both methods); the new collections are what the v1 models never saw.

Usage: python benchmarks/bench_transfer.py --metadataset build/v2.sqlite [--v1-ref 11f8b38]
       [--out benchmarks/results/transfer_v1.csv]
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
from harness.cli import REQUIRED, RESULTS, benchmark_parser, command_line
from harness.machine import machine_stamp
from harness.metalevel import expected_random, method_table, win_tie_loss

V1_FILES = ("src/automl_meta/assets/metadataset.csv.gz", "src/automl_meta/assets/metamodel.pt",
            "src/automl_meta/assets/metamodel.pt.json")


def v1_artefacts(ref: str, folder: Path) -> dict:
    """The v1 shipped files as they were at git ``ref``, written under ``folder``."""
    out = {}
    for name in V1_FILES:
        data = subprocess.run(["git", "show", f"{ref}:{name}"], cwd=HERE.parent, capture_output=True, check=True).stdout
        path = folder / Path(name).name
        path.write_bytes(data)
        out[path.name] = path
    return out


def transfer_rows(data, model, portfolio) -> list[dict]:
    from automl_meta.collect._builder import BASE
    from automl_meta.metamodel import normalized_scores
    from automl_meta.space import encode_many

    y = normalized_scores(data.eval_task, data.scores, len(data.task_ids))
    common = [s for s in dict.fromkeys(s for s, o in zip(data.strategies, data.origin) if o == "common")]
    encodings = encode_many(common)
    picks_portfolio = portfolio.recommend(k=5)
    rows = []
    for t in range(len(data.task_ids)):
        if data.fidelities[t] != BASE:
            continue
        idx = np.flatnonzero((data.eval_task == t) & (data.origin == "common"))
        score = {data.strategies[i].key: y[i] for i in idx}
        if len(score) < len(common):  # its common set is not complete yet (a build in progress)
            continue
        mean = model.predict_encoded(data.metafeatures[t], encodings)[0]
        ranked = {"metamodel_v1": [common[j] for j in np.argsort(-mean, kind="stable")[:5]],
                  "portfolio_v1": picks_portfolio}
        base = {"task": data.task_names[t], "collection": data.collections[t], "kind": data.kinds[t]}
        for method, picks in ranked.items():
            values = [score[s.key] for s in picks]
            rows.append({**base, "method": method, "top1": values[0], "top5": max(values)})
        values = np.array(list(score.values()))
        rows.append({**base, "method": "random", "top1": float(values.mean()), "top5": expected_random(values, 5)})
    return rows


def summarize(frame: pd.DataFrame) -> str:
    lines = []
    frame = frame.assign(kind_class=np.where(frame["kind"] == "regression", "regression", "classification"))
    for (collection, kind), sub in frame.groupby(["collection", "kind_class"]):
        lines.append(f"\n### {collection}, {kind} ({sub['task'].nunique()} tasks)\n")
        lines.append(method_table(sub, ["metamodel_v1", "portfolio_v1", "random"]))
        pivot = sub.pivot_table(index="task", columns="method", values="top1")
        lines.append("\nmetamodel_v1 vs portfolio_v1, top-1 win/tie/loss: "
                     + win_tie_loss(pivot["metamodel_v1"], pivot["portfolio_v1"]))
    return "\n".join(lines)


def main() -> None:
    parser = benchmark_parser(__doc__, metadataset=(REQUIRED, "the v2 meta-dataset (path or URL)"),
                              out=RESULTS / "transfer_v1.csv")
    parser.add_argument("--v1-ref", default="11f8b38", help="git commit that shipped the v1 meta-dataset and meta-model")
    args = parser.parse_args()

    from automl_meta.metadataset import MetaDataset
    from automl_meta.metamodel import MetaModel, StaticPortfolio

    tmp = Path(tempfile.mkdtemp())
    v1 = v1_artefacts(args.v1_ref, tmp)
    v1_store = MetaDataset(tmp / "v1.sqlite")
    v1_store.import_file(v1["metadataset.csv.gz"])
    portfolio = StaticPortfolio().fit(v1_store.training_data())
    model = MetaModel.load(v1["metamodel.pt"])
    data = MetaDataset(args.metadataset).training_data()
    frame = pd.DataFrame(transfer_rows(data, model, portfolio))
    frame.to_csv(args.out, index=False)
    report = (f"## Transfer of the v1 meta-model and portfolio to meta-dataset v2 ({machine_stamp()})\n\n"
              f"Command: `{command_line(parser, args)}`; mean normalized "
              f"score [95% bootstrap CI] of the top-1 and the best of the top-5 among the v2 common set, base "
              f"fidelity.\n{summarize(frame)}")
    Path(args.out).with_suffix(".md").write_text(report + "\n")
    print(report)


if __name__ == "__main__":
    main()
