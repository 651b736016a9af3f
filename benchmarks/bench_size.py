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

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from harness.cli import REQUIRED, RESULTS, benchmark_parser, command_line
from harness.machine import machine_stamp


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


def task_row(model, data, matrix, common, name: str, base: int, large: int) -> dict:
    """One held-out task: the families in the model's order and in the measured order at each size, and the
    measured normalized score of the model's top family."""
    from automl_meta.space import encode_many

    both = ~np.isnan(matrix[base]) & ~np.isnan(matrix[large])  # the common strategies scored at both sizes
    strategies = [s for s, keep in zip(common, both) if keep]
    families = [s.family for s in strategies]
    encodings = encode_many(strategies)
    row = {"task": name}
    for label, t in (("base", base), ("large", large)):
        measured = matrix[t, both]
        row[f"rows_{label}"] = int(round(np.exp(data.metafeatures[t, list(data.feature_names).index("log_n_rows")])))
        row[f"model_{label}"] = family_order(model.predict_encoded(data.metafeatures[t], encodings)[0], families)
        row[f"measured_{label}"] = family_order(measured, families)
        row[f"score_{label}"] = float(np.nanmax(np.where(np.array(families) == row[f"model_{label}"][0], measured, np.nan)))
    return row


def report(frame: pd.DataFrame, show: int, model, command: str, n_groups: int) -> str:
    changed_measured = frame["measured_base"].str[0] != frame["measured_large"].str[0]
    changed_model = frame["model_base"].str[0] != frame["model_large"].str[0]
    table = [{"task": r["task"], "rows": f"{r['rows_base']} / {r['rows_large']}",
              "model, base": " > ".join(r["model_base"][:3]), "measured, base": " > ".join(r["measured_base"][:3]),
              "model, large": " > ".join(r["model_large"][:3]), "measured, large": " > ".join(r["measured_large"][:3])}
             for r in frame.head(show).to_dict("records")]
    return "\n".join([
        f"## Family ranking at 1,000 vs 10,000 rows of the same data ({machine_stamp()})", "",
        f"Command: `{command}`; {len(frame)} held-out tasks scored at both sizes ({n_groups} groups, the meta-model "
        "trained without them).", "", pd.DataFrame(table).to_markdown(index=False), "",
        f"- the measured best family changes with the size on {int(changed_measured.sum())} of {len(frame)} tasks; "
        f"the model's top family changes on {int(changed_model.sum())}, on {int((changed_measured & changed_model).sum())} "
        "of them where the measured one does",
        f"- normalized score of the model's top family (its best strategy): {frame['score_base'].mean():.3f} at the base "
        f"size, {frame['score_large'].mean():.3f} at the large one",
        "- fit seconds grow with the rows as rows^b, b per family as the model measured it on the training tasks' "
        "two sizes (`metamodel/_timing.py`): " + ", ".join(f"{f} {b:.2f}" for f, b in sorted(model.size_exponents_.items())), ""])


def main() -> None:
    parser = benchmark_parser(__doc__, metadataset=REQUIRED, members=5, epochs=60, seed=0, out=RESULTS / "size.md")
    parser.add_argument("--groups", type=int, default=30)
    parser.add_argument("--show", type=int, default=6)
    args = parser.parse_args()

    from automl_meta.metadataset import MetaDataset
    from automl_meta.metamodel import MetaModel
    from automl_meta.metamodel._baselines import common_matrix

    data = MetaDataset(args.metadataset).training_data()
    matrix, common = common_matrix(data)
    pairs = paired_tasks(data, matrix)
    if not pairs:
        sys.exit("No task of this meta-dataset was scored at both fidelities yet.")
    group_of = {n: str(data.groups[b]) for n, (b, _) in pairs.items()}
    held = set(np.random.default_rng(args.seed).permutation(sorted(set(group_of.values())))[: args.groups])
    train = np.flatnonzero(~np.isin(data.groups.astype(str), list(held)))
    model = MetaModel(n_members=args.members, epochs=args.epochs).fit(data.subset(train))
    frame = pd.DataFrame([task_row(model, data, matrix, common, name, b, l) for name, (b, l) in sorted(pairs.items())
                          if group_of[name] in held])
    text = report(frame, args.show, model, command_line(parser, args), len(held))
    Path(args.out).write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
