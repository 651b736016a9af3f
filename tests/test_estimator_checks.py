"""scikit-learn's estimator checks, on a small configuration (two trials of the linear family, 3 folds):
the checks exercise the API contract, not the search. One check is expected to fail, for the reason given."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from automl_meta.estimator import AutoMetaClassifier, AutoMetaRegressor

SMALL = dict(n_trials=2, cv=3, families=["linear"], metadataset=False, warm_start=False, random_state=0, n_jobs=1)


# A search is no weighted mean: a row of weight 2 and the same row twice give other folds, other trials and other
# refits (and the check hands cv a list of splits, where cv is the number of folds).
EXPECTED_FAILURES = {"check_sample_weight_equivalence_on_dense_data": "a search's folds and trials are not a "
                     "weighted mean: weight 2 is not the same as a duplicated row"}


@parametrize_with_checks([AutoMetaClassifier(**SMALL), AutoMetaRegressor(**SMALL)],
                         expected_failed_checks=lambda estimator: EXPECTED_FAILURES)
def test_sklearn_compatible(estimator, check):
    check(estimator)
