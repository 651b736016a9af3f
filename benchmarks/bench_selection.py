"""Selection that does not chase fold noise: which rule, applied to one search's trials, picks the model that does
best on unseen rows?

For held-out tasks (by default the 12 of bench_anytime's held-out sample that the end-to-end benchmark does *not*
run, so that a rule chosen here is checked there on other tasks): the end-to-end benchmark's outer 75/25 split;
on the 75%, one ``AutoMetaClassifier``/``AutoMetaRegressor(time_budget=--budget, quality="medium")`` fit
warm-started by the held-out meta-model; its trials (their cross-validated scores, fold scores, out-of-fold
predictions) are then chosen among by each rule, every candidate refitted on the 75% and scored on the 25%:

* single model — ``argmax``: the best cross-validated score (what the search reports as best);
  ``rescore top-K``: the K best re-scored by cross-validation on fresh folds (another seed), chosen by the mean of
  the two scores; ``1-SE cheapest``: of the trials within one standard error (of the best one's fold scores) of
  the best, the one that took the fewest seconds (the "simpler rule");
* ensemble (Caruana's selection, as the fit's) — ``caruana``: over the 10 best trials on the search's folds (what
  ``quality="medium"`` does); ``caruana top-K``: over the K best only; ``caruana top-K, 2 repeats``: over the K
  best with out-of-fold predictions averaged over the search's folds and the fresh ones (repeated
  cross-validation), scored on every row;
* ``fit``: the fitted estimator itself (its ensemble, refitted and topped up within the budget), for reference;
  ``oracle``: the best test metric among the 10 best trials (no rule can pick it; the room left).

Re-scoring costs the K cross-validations' seconds, stated beside the search's. Tasks whose trials ran on a
subsample of the rows are left out of the repeated-CV rule (their two subsamples differ); their other rules stand.

Writes benchmarks/results/selection.csv (a row per task and rule, resumable) and selection.md.

Usage: python benchmarks/bench_selection.py [--tasks 12] [--first 12] [--budget 60] [--top 5]
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd

from harness.cli import RESULTS, benchmark_parser, command_line
from harness.heldout import open_store, select
from harness.machine import machine_stamp
from harness.peers import outer_split, test_score
from harness.stats import above_level_below

TIE = 1e-4
POOL = 10  # the fit's ensemble pool (select_ensemble's default)


def recording(cls):
    """``cls`` (an estimator class) that keeps what its fit chose among: the fit's task, the scoring target of
    its trials' out-of-fold predictions and the search result (``recorded_``). A benchmark's window into one fit,
    through a private hook: not an API."""

    class Recording(cls):
        def _final_model(self, task, evaluator, result, plan, budget, target, *rest):
            self.recorded_ = (task, evaluator, result, target)
            return super()._final_model(task, evaluator, result, plan, budget, target, *rest)

    return Recording


class Candidates:
    """A fit's successful trials, best first (one per strategy), and their models refitted on the training rows
    and scored on the test rows (computed once each, on demand)."""

    def __init__(self, fitted, X_test, y_test, seed: int):
        from automl_meta.evaluate import best_per_strategy

        self.task, self.evaluator, result, self.target = fitted.recorded_
        self.trials = best_per_strategy(result.evaluations)
        self.X_test, self.y_test, self.seed = fitted._input(X_test), np.asarray(y_test), seed
        self.metric = fitted.metric_
        self._test = {}

    def test_predictions(self, evaluation) -> np.ndarray:
        from automl_meta.evaluate import predict_for_scoring
        from automl_meta.models import build_model, fit_model

        key = evaluation.strategy.key
        if key not in self._test:
            model = build_model(evaluation.strategy, self.task.kind, n_rows=self.task.n_rows,
                                random_state=self.seed, n_jobs=1)
            fit_model(model, self.task.X, self.task.y)
            self._test[key] = predict_for_scoring(model, self.X_test, self._classes())
        return self._test[key]

    def _classes(self):
        return None if self.task.classes is None else list(self.task.classes)

    def score(self, members, weights=None) -> float:
        """The test metric of the weighted average of ``members``' refitted models."""
        from automl_meta.evaluate import score_predictions

        weights = weights or [1.0] * len(members)
        average = sum(w * self.test_predictions(m).astype(np.float64) for m, w in zip(members, weights)) / sum(weights)
        known = np.isin(self.y_test, self._classes()) if self._classes() is not None else np.ones(len(self.y_test), bool)
        return float(score_predictions(self.metric, self.y_test[known], average[known], self._classes()))


def fresh_scores(candidates, top: int, seed: int):
    """The ``top`` best trials cross-validated again on folds of another seed (same rows, same fold count)."""
    from automl_meta.evaluate import evaluate

    fresh = []
    for e in candidates.trials[:top]:
        fresh.append(evaluate(e.strategy, candidates.task, cv=len(candidates.target[3]), random_state=seed + 1,
                              max_rows=candidates.evaluator.max_rows, keep_predictions=True, n_jobs=1))
    return fresh


def one_se_cheapest(trials):
    best = trials[0]
    se = np.std(best.fold_scores, ddof=1) / np.sqrt(len(best.fold_scores)) if len(best.fold_scores) > 1 else 0.0
    near = [e for e in trials if e.score >= best.score - se]
    return min(near, key=lambda e: e.fit_seconds)


def rules(c: Candidates, fresh, top: int) -> dict:
    """Each rule's test metric on this task."""
    from automl_meta.estimator._ensemble import select_ensemble

    y, metric, classes, folds, weights = c.target
    out = {"argmax": c.score([c.trials[0]]), "1-SE cheapest": c.score([one_se_cheapest(c.trials)])}
    ok = [(e, f) for e, f in zip(c.trials[:top], fresh) if f.ok]
    mean = max(ok, key=lambda pair: (pair[0].score + pair[1].score) / 2)[0]
    out[f"rescore top-{top}"] = c.score([mean])
    for name, pool, size in (("caruana", c.trials, POOL), (f"caruana top-{top}", c.trials[:top], top)):
        chosen = select_ensemble(pool, y, metric, classes, folds, weights, pool_size=size)
        out[name] = c.score(chosen.members, chosen.weights)
    same_rows = len(y) == c.task.n_rows  # the trials ran on every row: the fresh folds' rows are the same
    if same_rows and ok:
        averaged = [_with_predictions(e, (e.predictions.astype(np.float64) + f.predictions) / 2) for e, f in ok]
        chosen = select_ensemble(averaged, y, metric, classes, None, weights, pool_size=top)
        by_key = {e.strategy.key: e for e, _ in ok}
        out[f"caruana top-{top}, 2 repeats"] = c.score([by_key[m.strategy.key] for m in chosen.members], chosen.weights)
    out["oracle"] = max(c.score([e]) for e in c.trials[:POOL])
    return out


def _with_predictions(evaluation, predictions):
    from dataclasses import replace

    return replace(evaluation, predictions=predictions)


def run_task(task, model_path, budget: float, top: int, seed: int) -> list[dict]:
    from automl_meta import AutoMetaClassifier, AutoMetaRegressor

    X_train, X_test, y_train, y_test = outer_split(task)
    cls = recording(AutoMetaClassifier if task.is_classification else AutoMetaRegressor)
    fitted = cls(time_budget=budget, metamodel=str(model_path), metric=task.metric, quality="medium",
                 metadataset=False, random_state=seed, n_jobs=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted.fit(X_train, y_train)
        c = Candidates(fitted, X_test, y_test, seed)
        began = time.perf_counter()
        fresh = fresh_scores(c, top, seed)
        rescore_seconds = time.perf_counter() - began
        scores = rules(c, fresh, top) | {"fit": test_score(task.metric, fitted, X_test, y_test)}
    common = {"task": task.name, "kind": task.kind, "rows": len(X_train), "trials": len(c.trials),
              "fit_seconds": round(fitted.fit_seconds_, 1), "rescore_seconds": round(rescore_seconds, 1)}
    return [common | {"rule": rule, "test_metric": score} for rule, score in scores.items()]


def summarize(rows: pd.DataFrame, stamp: str, command: str) -> str:
    wide = rows.pivot_table(index="task", columns="rule", values="test_metric")
    order = [r for r in rows["rule"].drop_duplicates() if r in wide]
    lines = [f"## Selection among one search's trials on held-out tasks ({stamp})", "", f"Command: `{command}`", ""]
    table = []
    for rule in order:
        d_single = (wide[rule] - wide["argmax"]).dropna()
        d_ens = (wide[rule] - wide["caruana"]).dropna()
        table.append({"rule": rule, "tasks": int(wide[rule].notna().sum()), "mean test metric": wide[rule].mean(),
                      "vs argmax (w/t/l)": _wtl(d_single), "mean vs argmax": d_single.mean(),
                      "vs caruana (w/t/l)": _wtl(d_ens), "mean vs caruana": d_ens.mean()})
    lines += [pd.DataFrame(table).round(4).to_markdown(index=False), ""]
    secs = rows.drop_duplicates("task")
    lines += [f"Seconds: the fits {secs['fit_seconds'].sum():.0f} s in all; re-scoring the leaders on fresh folds "
              f"{secs['rescore_seconds'].sum():.0f} s in all ({100 * secs['rescore_seconds'].sum() / secs['fit_seconds'].sum():.0f}% "
              "of the fits' time).", "", "Per task:", "", wide[order].round(4).to_markdown(), ""]
    return "\n".join(lines)


def _wtl(d: pd.Series) -> str:
    return above_level_below(d, TIE, sep="/")


def main() -> None:
    parser = benchmark_parser(__doc__, metadataset=None, tasks=12, folds=4, budget=60.0, seed=0, out_dir=RESULTS,
                              summarize_only=False)
    parser.add_argument("--first", type=int, default=12, help="skip this many tasks of the held-out sample (the "
                                                                "end-to-end benchmark runs the first 12)")
    parser.add_argument("--sample", type=int, default=24, help="held-out sample size (as bench_anytime --tasks)")
    parser.add_argument("--top", type=int, default=5, help="the leaders re-scored on fresh folds")
    args = parser.parse_args()
    out = args.out_dir / "selection.csv"
    done = pd.read_csv(out) if out.exists() else pd.DataFrame(columns=["task"])
    if not args.summarize_only:
        held = select(open_store(args.metadataset), args.sample, args.folds)
        for t in held.tasks[args.first: args.first + args.tasks]:
            task = held.corpus_task(t, capped=False)
            if task.name in set(done["task"]):
                continue
            _, _, _, path = held.methods(held.fold(t))
            rows = pd.DataFrame(run_task(task, path, args.budget, args.top, args.seed))
            print(rows[["task", "rule", "test_metric"]].to_string(index=False), flush=True)
            done = pd.concat([done, rows], ignore_index=True)
            done.to_csv(out, index=False)
    report = summarize(done, machine_stamp(), command_line(parser, args))
    (args.out_dir / "selection.md").write_text(report + "\n")
    print(report)


if __name__ == "__main__":
    main()
