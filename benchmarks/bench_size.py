"""Size-awareness of the meta-model: does its ranking of the model families move with the rows as
the measured ranking does?

Held out: ``--groups`` groups (seeded) among those whose tasks were scored at both fidelities (a base
subsample of at most 1,000 rows and a large one of at most 10,000 rows of the same data). One meta-model is
trained without them. For each held-out task at each fidelity, families are ranked by their best strategy
among the common strategies scored at both sizes: by the model's prediction from that fidelity's
meta-features, and by the measured normalized scores. Reported: a table for the first ``--show`` tasks, and
over every held-out task, how often the measured best family changes with the size, how often the model's
does, and the normalized score of the model's top family at each size.

Usage: python benchmarks/bench_size.py --metadataset build/v2.sqlite [--groups 30] [--show 6]
       [--out benchmarks/results/size.md]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _machine import machine_stamp  # noqa: E402


def paired_tasks(data, matrix) -> dict:
    """{task name: (base index, large index)} of the tasks scored at both fidelities."""
    by_name: dict = {}
    for t, (name, fidelity) in enumerate(zip(data.task_names, data.fidelities)):
        if (~np.isnan(matrix[t])).sum() >= 5:
            by_name.setdefault(str(name), {})[fidelity] = t
    return {n: (f["base"], f["large"]) for n, f in by_name.items() if "base" in f and "large" in f}


def family_order(values: np.ndarray, families: list[str]) -> list[str]:
    """Families by their best value, best first."""
    best = {}
    for v, f in zip(values, families):
        if np.isfinite(v):
            best[f] = max(best.get(f, -np.inf), v)
    return sorted(best, key=lambda f: -best[f])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--metadataset", required=True)
    parser.add_argument("--groups", type=int, default=30)
    parser.add_argument("--show", type=int, default=6)
    parser.add_argument("--members", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(HERE / "results" / "size.md"))
    args = parser.parse_args()

    from automl_meta.metadataset import MetaDataset
    from automl_meta.metamodel import MetaModel
    from automl_meta.metamodel._baselines import common_matrix
    from automl_meta.space import encode_many

    data = MetaDataset(args.metadataset).training_data()
    matrix, common = common_matrix(data)
    pairs = paired_tasks(data, matrix)
    if not pairs:
        sys.exit("No task of this meta-dataset was scored at both fidelities yet.")
    group_of = {n: str(data.groups[b]) for n, (b, _) in pairs.items()}
    groups = sorted(set(group_of.values()))
    held = set(np.random.default_rng(args.seed).permutation(groups)[: args.groups])
    train = np.flatnonzero(~np.isin(data.groups.astype(str), list(held)))
    model = MetaModel(n_members=args.members, epochs=args.epochs).fit(data.subset(train))
    rows, shown = [], []
    for name, (b, l) in sorted(pairs.items()):
        if group_of[name] not in held:
            continue
        both = ~np.isnan(matrix[b]) & ~np.isnan(matrix[l])  # the common strategies scored at both sizes
        strategies = [s for s, keep in zip(common, both) if keep]
        families = [s.family for s in strategies]
        encodings = encode_many(strategies)
        result = {"task": name}
        for label, t in (("base", b), ("large", l)):
            predicted = model.predict_encoded(data.metafeatures[t], encodings)[0]
            measured = matrix[t, both]
            result[f"rows_{label}"] = int(round(np.exp(data.metafeatures[t, list(data.feature_names).index("log_n_rows")])))
            result[f"model_{label}"] = family_order(predicted, families)
            result[f"measured_{label}"] = family_order(measured, families)
            pick = result[f"model_{label}"][0]
            result[f"score_{label}"] = float(np.nanmax(np.where(np.array(families) == pick, measured, np.nan)))
        rows.append(result)
    frame = pd.DataFrame(rows)
    changed_measured = frame["measured_base"].str[0] != frame["measured_large"].str[0]
    changed_model = frame["model_base"].str[0] != frame["model_large"].str[0]
    lines = [f"## Family ranking at 1,000 vs 10,000 rows of the same data ({machine_stamp()})", "",
             f"Command: `python benchmarks/bench_size.py --metadataset {args.metadataset} --groups {args.groups}`; "
             f"{len(frame)} held-out tasks scored at both sizes ({len(held)} groups, the meta-model trained without them).", ""]
    table = [{"task": r["task"], "rows": f"{r['rows_base']} / {r['rows_large']}",
              "model, base": " > ".join(r["model_base"][:3]), "measured, base": " > ".join(r["measured_base"][:3]),
              "model, large": " > ".join(r["model_large"][:3]), "measured, large": " > ".join(r["measured_large"][:3])}
             for r in rows[: args.show]]
    lines += [pd.DataFrame(table).to_markdown(index=False), ""]
    lines += [f"- the measured best family changes with the size on {int(changed_measured.sum())} of {len(frame)} tasks; "
              f"the model's top family changes on {int(changed_model.sum())}, on {int((changed_measured & changed_model).sum())} "
              f"of them where the measured one does",
              f"- normalized score of the model's top family (its best strategy): {frame['score_base'].mean():.3f} at the base "
              f"size, {frame['score_large'].mean():.3f} at the large one",
              "- fit seconds grow with the rows as rows^b, b per family as the model measured it on the training tasks' "
              "two sizes (`metamodel/_timing.py`): " + ", ".join(f"{f} {b:.2f}" for f, b in sorted(model.size_exponents_.items())), ""]
    report = "\n".join(lines)
    Path(args.out).write_text(report + "\n")
    print(report)


if __name__ == "__main__":
    main()
