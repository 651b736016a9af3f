"""Meta-features: a fixed, ordered, versioned vector describing a task (simple, statistical,
information-theoretic and landmarking groups).

>>> from automl_meta.metafeatures import compute, FEATURE_NAMES
>>> mf = compute(task)  # doctest: +SKIP
"""

from automl_meta.metafeatures._core import FEATURE_GROUPS, FEATURE_NAMES, VERSION, MetaFeatures, compute

__all__ = ["compute", "MetaFeatures", "FEATURE_NAMES", "FEATURE_GROUPS", "VERSION"]
