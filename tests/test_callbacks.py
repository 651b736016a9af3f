"""Callbacks (_internal/_callbacks.py): told of the fit's start, each trial and its end; one that raises is a
warning and the fit goes on; bad callbacks are a clear error."""

import math

import pytest

from automl_meta import AutoMetaClassifier
from automl_meta.errors import ConfigError
from automl_meta.search import CallbackWarning, SearchCallback, TrialReport


class Recorder(SearchCallback):
    def __init__(self):
        self.events = []

    def on_fit_start(self, estimator):
        self.events.append(("start", hasattr(estimator, "best_estimator_")))

    def on_trial(self, report):
        self.events.append(("trial", report))

    def on_fit_end(self, estimator):
        self.events.append(("end", estimator.best_score_))


def test_a_fit_tells_its_callbacks_of_its_start_every_trial_and_its_end(tasks_by_kind):
    task = tasks_by_kind["binary"]
    recorder, plain = Recorder(), []
    model = AutoMetaClassifier(n_trials=4, cv=3, warm_start=False, families=["linear", "knn"], metadataset=False,
                               random_state=0, n_jobs=2, callbacks=[recorder, plain.append]).fit(task.X, task.y)
    kinds = [kind for kind, _ in recorder.events]
    assert kinds == ["start"] + ["trial"] * 4 + ["end"] and recorder.events[0][1] is False  # nothing fitted yet
    reports = [r for kind, r in recorder.events if kind == "trial"]
    assert plain == reports and all(isinstance(r, TrialReport) for r in reports)
    board = model.leaderboard_.set_index("trial")
    for r in reports:  # what a callback is told is what the leaderboard says
        assert r.strategy.family in ("linear", "knn") and r.origin == "sampler" and r.ok
        assert math.isclose(r.score, board.loc[r.number, "score"]) and r.fit_seconds == board.loc[r.number, "fit_seconds"]
    assert recorder.events[-1] == ("end", model.best_score_)


def test_a_callback_that_raises_is_a_warning_and_the_fit_goes_on(tasks_by_kind):
    task = tasks_by_kind["binary"]
    seen = []

    def broken(report):
        raise RuntimeError("tracking server down")

    with pytest.warns(CallbackWarning, match=r"raised in on_trial \(RuntimeError: tracking server down\); the fit goes on"):
        model = AutoMetaClassifier(n_trials=2, cv=3, warm_start=False, families=["linear"], metadataset=False,
                                   n_jobs=1, callbacks=[broken, seen.append]).fit(task.X, task.y)
    assert len(seen) == 2 and len(model.leaderboard_) >= 2  # the others were still told, every trial recorded


@pytest.mark.parametrize("callbacks", [[42], "print"])
def test_a_callback_that_is_neither_a_searchcallback_nor_callable_is_a_clear_error(tasks_by_kind, callbacks):
    task = tasks_by_kind["binary"]
    with pytest.raises(ConfigError, match="callbacks must be SearchCallback objects or callables"):
        AutoMetaClassifier(n_trials=1, metadataset=False, callbacks=callbacks).fit(task.X, task.y)
