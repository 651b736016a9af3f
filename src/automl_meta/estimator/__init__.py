"""scikit-learn estimators over the warm-started search.

>>> from automl_meta.estimator import AutoMetaClassifier
>>> clf = AutoMetaClassifier(time_budget=120).fit(X, y)    # doctest: +SKIP
>>> clf.leaderboard_.head()                                # doctest: +SKIP
"""

from automl_meta.estimator._base import AutoMetaClassifier, AutoMetaRegressor
from automl_meta.estimator._mlflow import MLflowCallback
from automl_meta.estimator._persist import check_writable, load_model, save_model

__all__ = ["AutoMetaClassifier", "AutoMetaRegressor", "load_model", "save_model", "check_writable", "MLflowCallback"]
