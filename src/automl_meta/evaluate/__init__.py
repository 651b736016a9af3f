"""Scoring strategies on tasks: cross-validation with a time limit; a failing model is a recorded failure.

>>> from automl_meta.evaluate import Evaluator
>>> with Evaluator(time_limit=60) as ev:          # doctest: +SKIP
...     result = ev(Strategy.default("hist_gb"), task)
"""

from automl_meta.evaluate._cv import cross_validate, fold_models, row_subsample, splits, test_folds
from automl_meta.evaluate._evaluator import Evaluator, evaluate
from automl_meta.evaluate._remote import resolve_client
from automl_meta.evaluate._predictions import predict_for_scoring, score_predictions
from automl_meta.evaluate._result import Evaluation, best_per_strategy
from automl_meta.evaluate._worker import LATE_IMPORT_FAMILIES

__all__ = ["Evaluator", "evaluate", "cross_validate", "Evaluation", "best_per_strategy", "score_predictions", "predict_for_scoring",
           "row_subsample", "splits", "test_folds", "fold_models", "resolve_client", "LATE_IMPORT_FAMILIES"]
