"""The anytime benchmark's summary (protocol 2 of docs/BENCHMARKS.md): the incumbent's normalized regret after n
trials, average ranks, paired comparisons, the target line, and the plots."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from harness.incumbents import reached
from harness.stats import above_level_below, mean_with_interval

#: The methods in the order tables and plots list them.
ORDER = ["metamodel", "fixed", "guided", "portfolio", "knn", "tpe", "random"]


def incumbent_curves(trials: pd.DataFrame, checkpoints) -> pd.DataFrame:
    """Per task, method and checkpoint n: the normalized regret of the best score among the first n trials."""
    rows = []
    for task, tsub in trials.groupby("task", sort=False):
        ok = tsub["score"].astype(float).dropna()
        best, worst = (ok.max(), ok.min()) if len(ok) else (np.nan, np.nan)
        span = best - worst if len(ok) and best > worst else 1.0
        for method, msub in tsub.groupby("method", sort=False):
            scores = msub.sort_values("trial")["score"].to_numpy(dtype=float)
            for n in reached(checkpoints, len(scores)):
                seen = scores[:n]
                inc = np.nanmax(seen) if np.isfinite(seen).any() else np.nan
                regret = 1.0 if np.isnan(inc) else float((best - inc) / span)
                rows.append({"task": task, "group": msub["group"].iloc[0], "kind": msub["kind"].iloc[0],
                             "method": method, "n_trials": n, "regret": regret})
    return pd.DataFrame(rows, columns=["task", "group", "kind", "method", "n_trials", "regret"])


def average_ranks(curves: pd.DataFrame) -> pd.DataFrame:
    """Mean rank (1 = lowest regret, ties averaged) of each method per checkpoint, over tasks."""
    ranks = curves.copy()
    ranks["rank"] = ranks.groupby(["task", "n_trials"])["regret"].rank(method="average")
    table = ranks.pivot_table(index="n_trials", columns="method", values="rank", aggfunc="mean")
    return table[table.notna().sum(axis=1) > 1]  # a checkpoint only the cold methods reach (--warm-trials) ranks nothing


def paired(curves: pd.DataFrame, method: str, other: str, seed: int = 0) -> pd.DataFrame:
    """Per checkpoint: on how many tasks ``method``'s regret is below / equal to / above ``other``'s, and the mean
    of ``other`` − ``method`` with a 95% bootstrap interval over tasks (positive: ``method`` is ahead)."""
    wide = curves.pivot_table(index=["task", "n_trials"], columns="method", values="regret").reset_index()
    rng = np.random.default_rng(seed)
    rows = []
    for n, sub in wide.dropna(subset=[method, other]).groupby("n_trials"):
        diff = (sub[other] - sub[method]).to_numpy()
        rows.append({"n_trials": n, "better / level / worse": above_level_below(diff, 1e-9),
                     f"mean regret {other} − {method}": mean_with_interval(diff, rng)})
    return pd.DataFrame(rows).set_index("n_trials")


def five_against_cold(curves: pd.DataFrame, method: str, last: int, cold: str = "tpe") -> str:
    """``method``'s regret after 5 trials against ``cold``'s after ``last``, per task: below / level / above and
    the mean of cold − method with a 95% bootstrap interval (positive: ``method`` after 5 is ahead)."""
    five = curves[(curves["method"] == method) & (curves["n_trials"] == 5)].set_index("task")["regret"]
    end = curves[(curves["method"] == cold) & (curves["n_trials"] == last)].set_index("task")["regret"]
    diff = (end - five).dropna().to_numpy()
    return f"{above_level_below(diff, 1e-9)}, mean {cold} − {method} {mean_with_interval(diff)}"


def summarize(curves: pd.DataFrame, out_dir: Path, stamp: str, command: str, tag: str = "") -> str:
    lines = [f"## Anytime performance on held-out groups ({stamp})", "", f"Command: `{command}`", ""]
    for label, mask in (("all", slice(None)), ("classification", curves["kind"] != "regression"),
                        ("regression", curves["kind"] == "regression")):
        sub = curves[mask] if not isinstance(mask, slice) else curves
        if sub.empty:
            continue
        n_tasks = sub["task"].nunique()
        med = sub.pivot_table(index="n_trials", columns="method", values="regret", aggfunc="median")
        mean = sub.pivot_table(index="n_trials", columns="method", values="regret", aggfunc="mean")
        order = [m for m in ORDER if m in med.columns]
        lines += [f"### {label} ({n_tasks} tasks)", "", "median normalized regret (mean in brackets)", ""]
        table = pd.DataFrame({m: [f"{med.loc[n, m]:.3f} ({mean.loc[n, m]:.3f})" for n in med.index] for m in order},
                             index=med.index)
        lines += [table.to_markdown(), "", "average rank (1 = best)", ""]
        lines += [average_ranks(sub)[order].round(2).to_markdown(), ""]
    if {"metamodel", "fixed"} <= set(curves["method"]):
        lines += [f"### all ({curves['task'].nunique()} tasks): metamodel (adaptive warm starts) against fixed, per task",
                  "", paired(curves, "metamodel", "fixed").to_markdown(), ""]
    med = curves.pivot_table(index="n_trials", columns="method", values="regret", aggfunc="median")
    last = int(med.index.max())
    for method in ("metamodel", "fixed"):
        if {method, "tpe"} <= set(med.columns) and 5 in med.index and not np.isnan(med.loc[5, method]):
            m5, tl = med.loc[5, method], med.loc[last, "tpe"]
            verdict = "MET" if m5 <= tl else "MISSED"
            lines += [f"Target ({method}'s median regret after 5 trials <= tpe's after {last}): {m5:.3f} vs "
                      f"{tl:.3f}: **{verdict}**; per task {five_against_cold(curves, method, last)}", ""]
    plot(curves, out_dir, tag)
    return "\n".join(lines)


def plot(curves: pd.DataFrame, out_dir: Path, tag: str = "") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    med = curves.pivot_table(index="n_trials", columns="method", values="regret", aggfunc="median")
    mean = curves.pivot_table(index="n_trials", columns="method", values="regret", aggfunc="mean")
    ranks = average_ranks(curves)
    for name, frame, ylabel in ((f"anytime{tag}_regret.png", (med, mean), "normalized regret"),
                                (f"anytime{tag}_rank.png", (ranks,), "average rank (1 = best)")):
        fig, ax = plt.subplots(figsize=(6, 4))
        for m in ORDER:
            if m not in frame[0].columns:
                continue
            line, = ax.plot(frame[0].index, frame[0][m], marker="o", label=m)
            if len(frame) > 1:
                ax.plot(frame[1].index, frame[1][m], linestyle=":", color=line.get_color())
        ax.set_xscale("log")
        ax.set_xticks(frame[0].index, [str(n) for n in frame[0].index])
        ax.set_xlabel("trials")
        ax.set_ylabel(ylabel + (" (median; dotted: mean)" if len(frame) > 1 else ""))
        ax.set_title(f"held-out tasks: {curves['task'].nunique()}")
        ax.legend()
        ax.grid(alpha=0.3)
        fig.tight_layout()
        fig.savefig(out_dir / name, dpi=120)
        plt.close(fig)
