"""estimator/_plateau.py: quality="best" stops exploring once more trials stop paying (the plateau), and the
fit ends there."""

import numpy as np
import pandas as pd

from automl_meta import AutoMetaClassifier
from automl_meta.estimator import _base, _plateau
from automl_meta.evaluate import Evaluation
from automl_meta.space import Strategy


def _evaluations(scores, spread=0.02):
    """Successful evaluations of these mean scores, 5 fold scores each, ``spread`` apart around the mean."""
    offsets = np.linspace(-spread, spread, 5)
    return [Evaluation(Strategy.default("linear"), "roc_auc", "ok", score=s, fold_scores=list(s + offsets))
            for s in scores]


def test_a_search_has_plateaued_when_its_latest_trials_gained_less_than_the_best_s_noise():
    # standard error of the best's fold scores: std(linspace(-.02, .02, 5), ddof=1) / sqrt(5) = 0.0071
    flat = [0.80] * 20 + [0.801] * 10  # the last third gained 0.001: noise
    assert _plateau.plateaued(_evaluations(flat))
    rising = [0.80] * 20 + [0.83] * 10  # the last third gained 0.03: more than the noise
    assert not _plateau.plateaued(_evaluations(rising))
    assert not _plateau.plateaued(_evaluations(flat, spread=0.0001))  # precise folds: 0.001 is a real gain
    assert not _plateau.plateaued(_evaluations([0.80] * 19))  # too few trials to judge
    failed = [Evaluation(Strategy.default("linear"), "roc_auc", "error", error="x") for _ in range(30)]
    assert not _plateau.plateaued(failed + _evaluations([0.8] * 5))  # failures do not count


def test_a_plateau_ends_the_search_only_after_its_share_of_the_budget_and_for_good(monkeypatch):
    from automl_meta.search import Budget

    monkeypatch.setattr(_plateau, "PLATEAU_MIN_SHARE", 0.5)
    flat = _evaluations([0.80] * 30)
    budget = Budget(1000)
    stop = _plateau.PlateauStop(budget)
    assert not stop(flat) and not stop.fired  # 0 of 1,000 s spent: a quiet spell, not yet a plateau
    budget.start -= 600  # (as if 600 s had passed)
    assert stop(flat) and stop.fired
    assert stop(_evaluations([0.80] * 20 + [0.9] * 10))  # once fired, the search stays ended


def test_quality_best_ends_its_fit_when_its_search_plateaus(monkeypatch, caplog):
    # a table the linear family fits at once: its trials hardly differ, so the search plateaus early
    monkeypatch.setattr(_plateau, "PLATEAU_MIN_TRIALS", 4)
    monkeypatch.setattr(_plateau, "PLATEAU_WINDOW", 2)
    monkeypatch.setattr(_plateau, "PLATEAU_MIN_SHARE", 0.2)
    stops = []  # the fit's stop conditions, to see that the plateau is what ended its search

    class RecordedStop(_plateau.PlateauStop):
        def __init__(self, budget):
            super().__init__(budget)
            stops.append(self)

    monkeypatch.setattr(_base, "PlateauStop", RecordedStop)
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"a": rng.randn(300), "b": rng.randn(300)})
    y = np.where(X["a"] + rng.randn(300) > 0, "pos", "neg")
    caplog.set_level("INFO", logger="automl_meta.estimator")
    model = AutoMetaClassifier(time_budget=15, cv=3, quality="best", families=["linear"], warm_start=False,
                               metadataset=False, random_state=0, n_jobs=1).fit(X, y)
    members = model.best_estimator_.models if len(model.ensemble_) > 1 else [model.best_estimator_]
    # the plateau ended the search; no top-up search after the refit, and one bag set: one model per fold of 3
    assert len(stops) == 1 and stops[0].fired
    assert not any("searching on" in r.getMessage() for r in caplog.records)
    assert all(len(m.models) == 3 for m in members)
    assert model.predict_proba(X).shape == (300, 2)
