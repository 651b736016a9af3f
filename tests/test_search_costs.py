"""Expected trial seconds: the time head's prediction corrected by the search's own trials of the family, and
before any, a lower bound only."""

import pytest

from automl_meta.evaluate import Evaluation
from automl_meta.search import TrialCosts
from automl_meta.search._costs import RATIO_BOUNDS
from automl_meta.space import Strategy

LINEAR, KNN, FOREST = Strategy.default("linear"), Strategy.default("knn"), Strategy.default("random_forest")


def _done(strategy, seconds, status="ok"):
    return Evaluation(strategy=strategy, metric="roc_auc", status=status, score=0.8 if status == "ok" else float("nan"),
                      fit_seconds=seconds)


def test_a_family_s_prediction_counts_once_measured_corrected_by_its_own_trials():
    costs = TrialCosts(lambda strategy: 10.0, least=lambda strategy: 7.0 if strategy.family == "random_forest" else 0.0)
    assert costs.seconds(LINEAR) == 0.0 and costs.seconds(FOREST) == 7.0  # nothing measured: the lower bound
    costs.observe(LINEAR, 10.0, _done(LINEAR, 1.0))
    costs.observe(LINEAR, 10.0, _done(LINEAR, 3.0))
    costs.observe(LINEAR, 10.0, _done(LINEAR, 2.0))
    assert costs.seconds(LINEAR) == pytest.approx(2.0)  # the median ratio, 0.2
    costs.observe(KNN, 10.0, _done(KNN, 20.0))
    assert costs.seconds(KNN) == pytest.approx(20.0)  # its own family's ratio
    assert costs.seconds(FOREST) == 7.0  # not the other families'
    assert TrialCosts(lambda strategy: 10.0).seconds(FOREST) == 0.0  # no lower bound given


def test_a_timed_out_trial_counts_as_its_seconds_a_failed_one_not_at_all_and_ratios_are_bounded():
    costs = TrialCosts(lambda strategy: 10.0)
    costs.observe(KNN, 10.0, _done(KNN, 3.0, status="error"))
    assert costs.seconds(KNN) == 0.0
    costs.observe(KNN, 10.0, _done(KNN, 5.0, status="timeout"))
    assert costs.seconds(KNN) == pytest.approx(5.0)
    costs = TrialCosts(lambda strategy: 10.0)
    costs.observe(LINEAR, 10.0, _done(LINEAR, 1e-6))
    assert costs.seconds(LINEAR) == pytest.approx(10.0 * RATIO_BOUNDS[0])
    costs.observe(KNN, 1e-3, _done(KNN, 5.0))
    assert costs.seconds(KNN, raw=1.0) == pytest.approx(RATIO_BOUNDS[1])


def test_ratio_is_a_family_s_median_and_worst_ratio_the_largest_family_s():
    costs = TrialCosts(lambda strategy: 10.0)
    assert costs.ratio("knn") is None and costs.worst_ratio() is None  # nothing measured
    costs.observe(LINEAR, 10.0, _done(LINEAR, 1.0))
    costs.observe(LINEAR, 10.0, _done(LINEAR, 3.0))
    costs.observe(KNN, 10.0, _done(KNN, 25.0, status="timeout"))
    assert costs.ratio("linear") == pytest.approx(0.2) and costs.ratio("knn") == pytest.approx(2.5)
    assert costs.ratio("random_forest") is None
    assert costs.worst_ratio() == pytest.approx(2.5)
