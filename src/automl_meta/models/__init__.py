"""Models: a ready scikit-learn estimator (encoding + model) for any strategy; the PyTorch MLP family.

>>> from automl_meta.models import build_model
>>> from automl_meta.space import Strategy
>>> pipe = build_model(Strategy.default("hist_gb"), "binary")
"""

from automl_meta.models._build import build_model, fit_model, with_time_limit
from automl_meta.models._device import adapt_to_device, gpu_trial_slots, resolve_device
from automl_meta.models._encoding import TabularEncoder
from automl_meta.models._stopping import (HeldOutStopping, grown_seconds, scores_by_trees, stop_metric,
                                          stops_on_held_out, with_leaves, with_more_trees, with_trees)
from automl_meta.models._torch_mlp import TorchMLPClassifier, TorchMLPRegressor, fit_pipelines_stacked, is_stackable

__all__ = [
    "build_model",
    "fit_model",
    "with_time_limit",
    "with_more_trees",
    "stops_on_held_out",
    "grown_seconds",
    "with_trees",
    "with_leaves",
    "scores_by_trees",
    "stop_metric",
    "HeldOutStopping",
    "TabularEncoder",
    "TorchMLPClassifier",
    "TorchMLPRegressor",
    "resolve_device",
    "adapt_to_device",
    "gpu_trial_slots",
    "fit_pipelines_stacked",
    "is_stackable",
]
