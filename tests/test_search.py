"""The Optuna search: warm starts first, every trial recorded, failures recorded, resumable, budgets."""

import numpy as np
import optuna
import pytest

from automl_meta.errors import ConfigError
from automl_meta.evaluate import Evaluator
from automl_meta.metadataset import MetaDataset
from automl_meta.models import _build
from automl_meta.search import Budget, search
from automl_meta.space import Strategy

from helpers import NaNPredictor, Raises, Slow


def test_search_records_every_trial_with_its_origin(tasks_by_kind, tmp_path):
    task = tasks_by_kind["binary"]
    store = MetaDataset(tmp_path / "md.sqlite")
    warm = [Strategy.default("linear"), Strategy("extra_trees", {"n_estimators": 40})]
    result = search(task, n_trials=6, enqueue=warm, metadataset=store, families=["linear", "knn", "extra_trees"],
                    evaluator=Evaluator(cv=3, isolate=False))
    assert len(result.evaluations) == 6 and len(result.study.trials) == 6
    assert [e.strategy for e in result.evaluations[:2]] == warm
    assert result.origins[:2] == ["warm_start", "warm_start"] and set(result.origins[2:]) == {"sampler"}
    evals = store.evaluations()
    assert len(evals) == 6 and list(evals["origin"][:2]) == ["warm_start", "warm_start"]
    board = result.leaderboard
    assert board["score"].is_monotonic_decreasing and board.index[0] == 1
    assert result.best.score == board["score"].iloc[0]
    assert result.study.best_value == pytest.approx(result.best.score)


def test_adaptive_warm_starts_choose_each_after_the_scores_before_it(tasks_by_kind):
    """The first warm start is the meta-model's first; each later one is chosen with every earlier warm start
    and its measured score (none given twice), and the sampler takes over after k."""
    from helpers import synthetic_data

    from automl_meta.metamodel import MetaModel
    from automl_meta.search import AdaptiveWarmStarts

    task = tasks_by_kind["binary"]
    model = MetaModel(n_members=2, epochs=10).fit(synthetic_data())
    calls = []
    recommend = model.recommend
    model.recommend = lambda *a, **kw: calls.append(kw.get("observed")) or recommend(*a, **kw)
    warm = AdaptiveWarmStarts(model, np.zeros(len(synthetic_data().feature_names)), k=3, kind=task.kind,
                              families=["linear", "knn"])
    result = search(task, n_trials=5, enqueue=warm, metadataset=False, families=["linear", "knn"],
                    evaluator=Evaluator(cv=3, isolate=False))
    assert result.origins == ["warm_start"] * 3 + ["sampler"] * 2
    tried = [e.strategy for e in result.evaluations]
    assert tried[:3] == warm.given and tried[0] == warm.plan[0].strategy and len(set(tried[:3])) == 3
    assert calls[0] is None and len(calls) == 3  # the plan, then one call after each of the first two
    for n, observed in enumerate(calls[1:], 1):
        assert [(s, pytest.approx(v)) for s, v in observed] == [(e.strategy, e.score) for e in result.evaluations[:n]]


def test_warm_starts_of_a_family_whose_library_a_new_worker_imports_last_run_after_the_others(tasks_by_kind):
    """An MLP warm start waits for the worker's torch import: it goes behind the others, which run meanwhile;
    the rest keep the meta-model's order."""
    from automl_meta.evaluate import LATE_IMPORT_FAMILIES

    assert LATE_IMPORT_FAMILIES == {"mlp"}
    warm = [Strategy.default("mlp"), Strategy.default("linear"), Strategy.default("knn")]
    result = search(tasks_by_kind["binary"], n_trials=2, enqueue=warm, metadataset=False,
                    families=["mlp", "linear", "knn"], evaluator=Evaluator(cv=3, isolate=False))
    assert [e.strategy for e in result.evaluations] == warm[1:]
    assert [t.state.name for t in result.study.trials] == ["COMPLETE", "COMPLETE", "WAITING"]  # the MLP's turn next


def test_a_trial_whose_worker_would_first_import_its_library_counts_that_import(tasks_by_kind, monkeypatch):
    """Under a budget, an MLP trial whose worker has not imported torch is expected to take the import's seconds
    too: more than the time left, it is pruned unscored, and the other trials run."""
    from automl_meta.evaluate._worker import EvaluationWorker
    from automl_meta.search import TrialCosts

    monkeypatch.setattr(EvaluationWorker, "import_seconds", lambda self, family, guess: 1e6 if family == "mlp" else 0.0)
    budget = Budget(30).stop_when(lambda evaluations: len(evaluations) >= 2)
    result = search(tasks_by_kind["binary"], time_budget=budget, metadataset=False, families=["mlp", "linear"],
                    enqueue=[Strategy.default("mlp"), Strategy.default("linear")],
                    trial_seconds=TrialCosts(lambda strategy: 0.01), evaluator=Evaluator(cv=3, workers=1))
    assert {e.strategy.family for e in result.evaluations} == {"linear"}
    pruned = [t for t in result.study.trials if t.state == optuna.trial.TrialState.PRUNED]
    assert pruned and all(t.params["family"] == "mlp" for t in pruned)


def test_failures_are_recorded_and_the_search_goes_on(tasks_by_kind, tmp_path, monkeypatch):
    monkeypatch.setitem(_build._MAKERS, "knn", lambda *a: Raises())
    monkeypatch.setitem(_build._MAKERS, "linear", lambda *a: NaNPredictor())
    monkeypatch.setitem(_build._MAKERS, "svm_rbf", lambda *a: Slow())
    store = MetaDataset(tmp_path / "md.sqlite")
    failing = [Strategy.default("knn"), Strategy.default("linear"), Strategy.default("svm_rbf")]
    result = search(tasks_by_kind["regression"], n_trials=6, enqueue=failing, metadataset=store,
                    families=["knn", "linear", "svm_rbf", "extra_trees"],
                    evaluator=Evaluator(cv=3, isolate=False, time_limit=0.2))
    evals = store.evaluations()
    assert len(evals) == 6
    assert list(evals["status"][:3]) == ["error", "nan", "timeout"]
    assert "this model always fails" in evals["error"][0]
    states = [t.state for t in result.study.trials]
    assert states[:3] == [optuna.trial.TrialState.FAIL] * 3 and len(states) == 6


def test_study_resumes_from_storage(tasks_by_kind, tmp_path):
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    kwargs = dict(storage=storage, study_name="resume", metadataset=False, families=["linear", "knn"],
                  evaluator=Evaluator(cv=3, isolate=False))
    search(tasks_by_kind["binary"], n_trials=3, **kwargs)
    result = search(tasks_by_kind["binary"], n_trials=2, **kwargs)
    assert len(optuna.load_study(study_name="resume", storage=storage).trials) == 5
    assert len(result.evaluations) == 2


def test_time_budget_ends_a_trial_that_would_overrun_it():
    from automl_meta.data import Task

    rng = np.random.default_rng(0)
    X = rng.normal(size=(6000, 20))
    task = Task(X, X[:, 0] + rng.normal(size=6000), name="big")
    # 5 folds of 512 fully grown trees on 4,800 rows: far more than the budget on any machine
    slow = Strategy("random_forest", {"n_estimators": 512, "max_features": 1.0, "min_samples_leaf": 1})
    result = search(task, time_budget=8, enqueue=[slow], metadataset=False, families=["random_forest"],
                    evaluator=Evaluator(cv=5))
    assert result.evaluations[0].status == "timeout" and "time limit" in result.evaluations[0].error
    assert result.study.user_attrs["task"] == "big"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({}, "Give n_trials, time_budget or both"),
        ({"n_trials": 0}, "n_trials must be a positive integer; got 0"),
        ({"time_budget": -1}, "time_budget must be a positive number of seconds; got -1"),
        ({"time_budget": float("inf")}, "time_budget must be a positive number of seconds; got inf"),
        ({"n_trials": 2, "families": ["knn", "xgb"]}, "Unknown model family 'xgb'"),
        ({"n_trials": 2, "study": "STUDY", "storage": "sqlite:///x.db"}, "Give either study= .* or storage=, not both"),
        ({"n_trials": 2, "study": "STUDY", "sampler": "SAMPLER"}, "Give either study= .* or sampler=, not both"),
    ],
)
def test_bad_arguments(tasks_by_kind, kwargs, message):
    if kwargs.get("study") == "STUDY":
        kwargs["study"] = optuna.create_study(study_name="given", direction="maximize")
    if kwargs.get("sampler") == "SAMPLER":
        kwargs["sampler"] = optuna.samplers.RandomSampler(seed=0)
    with pytest.raises(ConfigError, match=message):
        search(tasks_by_kind["binary"], metadataset=False, **kwargs)


def test_a_budget_reserve_keeps_part_of_the_time_budget_free(tasks_by_kind):
    seen = []

    def reserve(evaluations):
        seen.append(len(evaluations))
        return 0.0 if not evaluations else 1e6  # after the first trial, keep everything free

    budget = Budget(20).reserve(reserve)
    result = search(tasks_by_kind["binary"], time_budget=budget, metadataset=False, families=["linear"],
                    evaluator=Evaluator(cv=3, isolate=False))
    assert len(result.evaluations) == 1 and seen[0] == 0
    assert budget.left() > 10  # the caller's budget still has what the search kept free


def test_a_budget_s_stop_condition_ends_the_search_and_leaves_the_rest(tasks_by_kind):
    budget = Budget(20).stop_when(lambda evaluations: len(evaluations) >= 3)
    result = search(tasks_by_kind["binary"], time_budget=budget, metadataset=False, families=["linear"],
                    evaluator=Evaluator(cv=3, isolate=False))
    assert len(result.evaluations) == 3 and budget.free(result.evaluations) == 0.0
    assert budget.left() > 10 and budget.stop_when(None).free(result.evaluations) > 10  # what follows has it


def test_budget_counts_down_and_keeps_its_reserve():
    budget = Budget(30)
    assert 29 < budget.left() <= 30 and budget.elapsed() >= 0 and budget.reserved() == 0
    budget.reserve(5.0)
    assert budget.free() == pytest.approx(budget.left() - 5.0, abs=0.01)
    budget.reserve(lambda evaluations: 2.0 * len(evaluations))
    assert budget.reserved([1, 2, 3]) == 6.0
    for bad in (0, -1, float("nan"), True, "30"):
        with pytest.raises(ConfigError, match="time_budget must be a positive number"):
            Budget(bad)


def test_get_storage_resolves_once_and_explains_bad_urls(tmp_path):
    from automl_meta.errors import StorageError
    from automl_meta.search import get_storage

    url = f"sqlite:///{tmp_path / 'study.db'}"
    storage = get_storage(url)
    assert isinstance(storage, optuna.storages.BaseStorage) and get_storage(storage) is storage
    assert isinstance(get_storage(None), optuna.storages.InMemoryStorage)
    with pytest.raises(StorageError, match="Cannot open the Optuna storage .*absent"):
        get_storage(f"sqlite:///{tmp_path / 'absent' / 'study.db'}")


def test_a_search_goes_on_with_a_given_study(tasks_by_kind):
    task = tasks_by_kind["binary"]
    evaluator = Evaluator(cv=3, isolate=False)
    first = search(task, n_trials=3, enqueue=[Strategy.default("linear")], metadataset=False,
                   families=["linear", "knn"], evaluator=evaluator)
    more = search(task, n_trials=2, enqueue=[Strategy.default("knn")], study=first.study, metadataset=False,
                  families=["linear", "knn"], evaluator=evaluator)
    assert more.study is first.study
    assert [t.number for t in first.study.trials] == [0, 1, 2, 3, 4]
    assert len(more.evaluations) == 2
    # the study has trials and none waiting: it is being resumed, so it takes the new warm start first
    assert more.origins == ["warm_start", "sampler"]
    assert more.evaluations[0].strategy == Strategy.default("knn")


def test_family_weights_are_a_distribution_over_the_allowed_families(tasks_by_kind):
    from automl_meta.metafeatures import compute
    from automl_meta.metamodel import resolve_metamodel
    from automl_meta.search import family_weights

    task = tasks_by_kind["binary"]
    model, mf = resolve_metamodel(None), compute(task)
    weights = family_weights(model, mf, task.kind)
    assert sum(weights.values()) == pytest.approx(1.0) and min(weights.values()) > 0
    only = family_weights(model, mf, task.kind, families=["linear", "knn"])
    assert set(only) == {"linear", "knn"}
    # a lower temperature trusts the best family more
    sharp = family_weights(model, mf, task.kind, temperature=0.001)
    top = max(weights, key=weights.get)
    assert sharp[top] >= weights[top]
    with pytest.raises(ConfigError, match="temperature must be positive"):
        family_weights(model, mf, task.kind, temperature=0)


def test_guided_sampler_draws_the_family_from_the_weights(tasks_by_kind):
    from automl_meta.search import MetaGuidedSampler

    task = tasks_by_kind["binary"]
    families = ["linear", "knn", "extra_trees"]
    always = search(task, n_trials=6, sampler=MetaGuidedSampler({"knn": 1.0}, guidance=1.0, seed=0),
                    metadataset=False, families=families, evaluator=Evaluator(cv=3, isolate=False))
    assert [e.strategy.family for e in always.evaluations] == ["knn"] * 6
    never = search(task, n_trials=8, sampler=MetaGuidedSampler({"knn": 1.0}, guidance=0.0, seed=0),
                   metadataset=False, families=families, evaluator=Evaluator(cv=3, isolate=False))
    assert len({e.strategy.family for e in never.evaluations}) > 1  # left to TPE's random start
    # a family the weights name but the search does not allow is never forced
    other = search(task, n_trials=3, sampler=MetaGuidedSampler({"svm_rbf": 1.0}, guidance=1.0, seed=0),
                   metadataset=False, families=["linear"], evaluator=Evaluator(cv=3, isolate=False))
    assert {e.strategy.family for e in other.evaluations} == {"linear"}


@pytest.mark.parametrize("kwargs, message", [({"guidance": 1.5}, "guidance must be between 0 and 1"),
                                             ({"weights": {}}, "at least one family a positive probability")])
def test_guided_sampler_bad_arguments(kwargs, message):
    from automl_meta.search import MetaGuidedSampler

    with pytest.raises(ConfigError, match=message):
        MetaGuidedSampler(**{"weights": {"knn": 1.0}, **kwargs})


def test_a_search_with_no_time_left_does_not_wait_for_a_worker(tasks_by_kind, monkeypatch):
    """A top-up search after a refit may have under a second: it must not wait seconds for a worker to start."""
    from automl_meta.evaluate._worker import EvaluationWorker

    waited = []
    monkeypatch.setattr(EvaluationWorker, "_wait_ready", lambda self: waited.append(self))
    task = tasks_by_kind["binary"]
    with Evaluator(cv=3) as evaluator:  # isolated, not started yet
        budget = Budget(5).reserve(4.9)
        result = search(task, time_budget=budget, evaluator=evaluator, metadataset=False, families=["linear"])
        assert result.evaluations == [] and waited == []


def test_a_dead_processs_running_trial_is_failed_when_the_study_is_opened_again(tasks_by_kind, tmp_path, monkeypatch):
    """A process that died in a trial (a killed driver) stops sending heartbeats: once they are stale, the next
    process that opens the study fails that trial, and a resumed search takes its warm starts again."""
    import time
    import warnings

    from automl_meta.search import _storage

    monkeypatch.setattr(_storage, "HEARTBEAT_SECONDS", 1)
    monkeypatch.setattr(_storage, "STALE_SECONDS", 1)
    url = f"sqlite:///{tmp_path / 'study.db'}"
    study, created = _storage.open_study("shared", storage=url)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # Optuna: heartbeats are meant for optimize(), which the search uses
        trial = study.ask()  # what the dead process was running
    study._storage.record_heartbeat(trial._trial_id)
    assert created and not _storage.may_enqueue(study)  # RUNNING: another process may be working on it
    time.sleep(2.5)
    again, created = _storage.open_study("shared", storage=url)
    states = [t.state for t in again.get_trials(deepcopy=False)]
    assert not created and states == [optuna.trial.TrialState.FAIL] and _storage.may_enqueue(again)
    task = tasks_by_kind["binary"]
    warm = [Strategy.default("linear")]
    result = search(task, n_trials=1, enqueue=warm, storage=url, study_name="shared", metadataset=False,
                    evaluator=Evaluator(cv=3, isolate=False))
    assert [e.strategy for e in result.evaluations] == warm and result.origins == ["warm_start"]


def test_the_default_sampler_counts_running_trials_as_lies_and_storages_keep_heartbeats(tmp_path):
    from automl_meta.search import default_sampler, get_storage
    from automl_meta.search._storage import HEARTBEAT_SECONDS, STALE_SECONDS

    assert default_sampler(0)._constant_liar  # parallel trials spread out instead of repeating each other
    storage = get_storage(f"sqlite:///{tmp_path / 'study.db'}")
    assert (storage._backend.heartbeat_interval, storage._backend.grace_period) == (HEARTBEAT_SECONDS, STALE_SECONDS)


def test_processes_sharing_a_study_draw_their_own_sampler_seed_unless_one_is_given(tmp_path):
    from automl_meta.estimator import AutoMetaClassifier

    shared = AutoMetaClassifier(storage=f"sqlite:///{tmp_path / 'study.db'}")
    seeds = {shared._sampler_seed() for _ in range(3)}
    assert len(seeds) == 3 and 0 not in seeds  # each fit its own
    assert AutoMetaClassifier(storage=shared.storage, random_state=5)._sampler_seed() == 5  # the user's
    assert AutoMetaClassifier()._sampler_seed() == 0  # an unshared fit: reproducible, as before


def test_a_trial_enqueued_with_a_family_not_searched_is_a_clear_error(tasks_by_kind, tmp_path):
    """Another process's warm start, waiting in a shared study, of a family this search leaves out."""
    url = f"sqlite:///{tmp_path / 'study.db'}"
    task = tasks_by_kind["binary"]
    search(task, n_trials=1, enqueue=[Strategy.default("linear"), Strategy.default("knn")], storage=url,
           study_name="s", metadataset=False, evaluator=Evaluator(cv=3, isolate=False), families=["linear", "knn"])
    with pytest.raises(ConfigError, match="Processes sharing a study must search the same families"):
        search(task, n_trials=1, storage=url, study_name="s", metadataset=False,
               evaluator=Evaluator(cv=3, isolate=False), families=["linear"])


def test_a_strategy_expected_to_take_most_of_the_time_left_is_not_scored(tasks_by_kind):
    """Under a budget, a trial expected to take longer than its time limit (here, by its lower bound: a family
    never measured) is pruned unscored, even an enqueued one, and the search goes on with the others; without a
    budget every trial runs."""
    import optuna

    from automl_meta.search import TrialCosts

    slow = lambda strategy: 1e6 if strategy.family == "knn" else 0.01  # noqa: E731
    budget = Budget(30).stop_when(lambda evaluations: len(evaluations) >= 4)
    result = search(tasks_by_kind["binary"], time_budget=budget, metadataset=False, families=["linear", "knn"],
                    enqueue=[Strategy.default("knn"), Strategy.default("linear")], trial_seconds=TrialCosts(slow, slow),
                    evaluator=Evaluator(cv=3, isolate=False))
    assert len(result.evaluations) == 4 and {e.strategy.family for e in result.evaluations} == {"linear"}
    pruned = [t for t in result.study.trials if t.state == optuna.trial.TrialState.PRUNED]
    assert pruned and all(t.params["family"] == "knn" for t in pruned)
    unbudgeted = search(tasks_by_kind["binary"], n_trials=1, metadataset=False, families=["knn"], trial_seconds=slow,
                        evaluator=Evaluator(cv=3, isolate=False))
    assert [e.strategy.family for e in unbudgeted.evaluations] == ["knn"]
