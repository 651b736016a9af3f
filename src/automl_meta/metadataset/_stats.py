"""Summaries and provenance of a meta-dataset."""

from __future__ import annotations

import datetime
import json



def record_provenance(store, config, manifest, command: str) -> None:
    """Record a build in the store's provenance: what it was built from, with which versions, and every build
    command run on it (a resumed build adds one)."""
    from dataclasses import asdict

    from automl_meta.metafeatures import VERSION
    from automl_meta.space import SPACE_VERSION

    existing = json.loads(store.get_info("provenance") or "{}")
    builds = existing.get("builds", [])
    builds.append({"date": datetime.date.today().isoformat(), "command": command, "config": asdict(config)})
    store.set_info("provenance", {
        "corpus": str(manifest or "shared corpus (../shared/datasets/manifest.csv)"),
        "metafeatures_version": VERSION,
        "space_version": SPACE_VERSION,
        "builds": builds,
    })


def stats(store) -> dict:
    """A summary of a meta-dataset (``automl-meta metadataset stats --json``): counts per kind, fidelity,
    collection and family, failures, and how much choosing matters (best minus median score per task)."""
    tasks, evals = store.tasks(), store.evaluations()
    ok = evals[evals["status"] == "ok"]
    per_task = evals.groupby("task_id").size().reindex(tasks["id"], fill_value=0)
    common = evals[evals["origin"] == "common"].groupby("task_id").size().reindex(tasks["id"], fill_value=0)
    spread = ok.groupby("task_id")["score"].agg(lambda s: s.max() - s.median())
    fidelity = tasks.set_index("id")["fidelity"].fillna("none")
    collection = tasks.set_index("id")["collection"].fillna("none")
    families = {}
    for fam, g in evals.groupby("family"):
        families[fam] = {
            "evaluations": int(len(g)), "failures": int((g["status"] != "ok").sum()),
            "tasks": int(g["task_id"].nunique()), "mean_seconds": float(g["fit_seconds"].mean()),
        }
    provenance = store.get_info("provenance")
    rejected = store.get_info("rejected_tasks")
    return {
        "url": store._safe_url(),
        "tasks": int(len(tasks)),
        "groups": int(tasks["group_name"].nunique()),
        "tasks_by_kind": _counts(tasks["kind"]),
        "evaluations": int(len(evals)),
        "fidelities": _counts(evals["task_id"].map(fidelity)),
        "tasks_by_fidelity": _counts(tasks["fidelity"].fillna("none")),
        "collections": _counts(tasks.loc[tasks["fidelity"].fillna("base") == "base", "collection"].fillna("none")),
        "failures": int((evals["status"] != "ok").sum()),
        "failures_by_status": _counts(evals.loc[evals["status"] != "ok", "status"]),
        "evaluations_per_task": _spread(per_task),
        "evaluations_per_task_by_fidelity": {f: _spread(per_task[fidelity.reindex(per_task.index) == f])
                                             for f in sorted(set(fidelity))},
        "common_per_task_min": int(common.min()) if len(common) else 0,
        "families": families,
        "best_minus_median": _summary(spread),
        "best_minus_median_by_collection": {c: _summary(spread[collection.reindex(spread.index) == c])
                                            for c in sorted(set(collection))},
        "rejected_tasks": json.loads(rejected) if rejected else {},
        "build_seconds": float(store.get_info("build_seconds", 0) or 0),
        "provenance": json.loads(provenance) if provenance else {},
    }


def _counts(values) -> dict:
    return {str(k): int(v) for k, v in values.value_counts().items()}


def _spread(per_task) -> dict:
    if not len(per_task):
        return {"min": 0, "median": 0.0, "max": 0}
    return {"min": int(per_task.min()), "median": float(per_task.median()), "max": int(per_task.max())}


def _summary(values) -> dict:
    if not len(values):
        return {"mean": float("nan"), "median": float("nan"), "quantiles": {}}
    return {"mean": float(values.mean()), "median": float(values.median()),
            "quantiles": {str(q): float(values.quantile(q)) for q in (0.1, 0.25, 0.75, 0.9)}}
