"""scikit-learn's estimator checks, on a small configuration (two trials of the linear family, 3 folds):
the checks exercise the API contract, not the search. No check is expected to fail."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from automl_meta.estimator import AutoMetaClassifier, AutoMetaRegressor

SMALL = dict(n_trials=2, cv=3, families=["linear"], metadataset=False, warm_start=False, random_state=0, n_jobs=1)


@parametrize_with_checks([AutoMetaClassifier(**SMALL), AutoMetaRegressor(**SMALL)])
def test_sklearn_compatible(estimator, check):
    check(estimator)
