"""The strategy space: model families, their hyperparameters, and strategies with their encodings.

>>> from automl_meta.space import Strategy, encode, decode
>>> s = Strategy("hist_gb", {"learning_rate": 0.05})
>>> decode(encode(s)).family
'hist_gb'
"""

from automl_meta.space._families import FAMILIES, SPACE_VERSION, SVM_MAX_ROWS, Family, available_families
from automl_meta.space._strategy import ENCODING_NAMES, GPU_BATCH_MIN_STEPS, GPU_MIN_BATCH, Strategy, decode, encode, encode_many, for_gpu, sample, suggest

__all__ = [
    "Strategy",
    "for_gpu",
    "GPU_MIN_BATCH",
    "GPU_BATCH_MIN_STEPS",
    "Family",
    "FAMILIES",
    "SPACE_VERSION",
    "SVM_MAX_ROWS",
    "available_families",
    "encode",
    "encode_many",
    "decode",
    "sample",
    "suggest",
    "ENCODING_NAMES",
]
