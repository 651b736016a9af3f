"""Summaries and provenance of a meta-dataset."""

from __future__ import annotations

import datetime
import json

import numpy as np


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
    tasks, evals = store.tasks(), store.evaluations()
    ok = evals[evals["status"] == "ok"]
    per_task = evals.groupby("task_id").size().reindex(tasks["id"], fill_value=0)
    common = evals[evals["origin"] == "common"].groupby("task_id").size().reindex(tasks["id"], fill_value=0)
    spread = ok.groupby("task_id")["score"].agg(lambda s: s.max() - s.median())
    families = {}
    for fam, g in evals.groupby("family"):
        families[fam] = {
            "evaluations": int(len(g)), "failures": int((g["status"] != "ok").sum()),
            "tasks": int(g["task_id"].nunique()), "mean_seconds": float(g["fit_seconds"].mean()),
        }
    provenance = store.get_info("provenance")
    return {
        "url": store._safe_url(),
        "tasks": int(len(tasks)),
        "groups": int(tasks["group_name"].nunique()),
        "tasks_by_kind": {k: int(v) for k, v in tasks["kind"].value_counts().items()},
        "evaluations": int(len(evals)),
        "failures": int((evals["status"] != "ok").sum()),
        "failures_by_status": {k: int(v) for k, v in evals.loc[evals["status"] != "ok", "status"].value_counts().items()},
        "evaluations_per_task": {"min": int(per_task.min()) if len(per_task) else 0,
                                 "median": float(per_task.median()) if len(per_task) else 0.0,
                                 "max": int(per_task.max()) if len(per_task) else 0},
        "common_per_task_min": int(common.min()) if len(common) else 0,
        "families": families,
        "best_minus_median": {"mean": float(spread.mean()) if len(spread) else float("nan"),
                              "median": float(spread.median()) if len(spread) else float("nan"),
                              "quantiles": {str(q): float(spread.quantile(q)) for q in (0.1, 0.25, 0.75, 0.9)} if len(spread) else {}},
        "build_seconds": float(store.get_info("build_seconds", 0) or 0),
        "provenance": json.loads(provenance) if provenance else {},
    }
