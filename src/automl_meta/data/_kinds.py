"""Task kinds and their metrics: inference from a target, defaults, and validation of scorer names."""

from __future__ import annotations

import difflib

import numpy as np
import pandas as pd

from automl_meta.errors import ConfigError

BINARY = "binary"
MULTICLASS = "multiclass"
REGRESSION = "regression"
KINDS = (BINARY, MULTICLASS, REGRESSION)

#: The metric each kind is scored by unless the user names another scikit-learn scorer.
#: ``roc_auc_ovr`` is scikit-learn's macro-averaged one-vs-rest ROC AUC.
DEFAULT_METRICS = {BINARY: "roc_auc", MULTICLASS: "roc_auc_ovr", REGRESSION: "r2"}

# A numeric target with at most this many distinct integer values is read as class labels; more are a
# regression target (counts such as bike rentals have hundreds of values).
MAX_CLASSES_FOR_INTEGER_TARGET = 20

# Parts of scikit-learn scorer names that only make sense for a continuous target.
_REGRESSION_SCORER_PARTS = ("r2", "mean_", "median_", "explained_variance", "max_error", "deviance", "d2_")


def is_categorical_dtype(dtype) -> bool:
    """Whether a column is treated as categorical: anything not numeric, and booleans."""
    return pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype)


def infer_kind(y: pd.Series) -> str:
    """Infer ``binary``, ``multiclass`` or ``regression`` from a target without missing values.

    Non-numeric and boolean targets are classification. A numeric target is classification when every value
    is an integer and there are at most ``MAX_CLASSES_FOR_INTEGER_TARGET`` distinct values; otherwise it is
    regression. Pass ``kind=`` to :class:`~automl_meta.data.Task` to override.
    """
    n_unique = y.nunique(dropna=True)
    if is_categorical_dtype(y.dtype):
        return BINARY if n_unique <= 2 else MULTICLASS
    values = y.to_numpy(dtype=float, na_value=np.nan)
    finite = values[np.isfinite(values)]
    integral = finite.size > 0 and bool(np.all(np.equal(np.mod(finite, 1), 0)))
    if integral and n_unique <= MAX_CLASSES_FOR_INTEGER_TARGET:
        return BINARY if n_unique <= 2 else MULTICLASS
    return REGRESSION


def normalize_kind(kind: str | None) -> str | None:
    """Validate a user-given kind; ``classification`` means binary or multiclass, decided by the classes."""
    if kind is None:
        return None
    k = str(kind).strip().lower()
    if k in KINDS or k == "classification":
        return k
    raise ConfigError(
        f"Unknown task kind {kind!r}. Use one of 'binary', 'multiclass', 'regression' or 'classification', "
        "or leave kind=None to infer it from the target."
    )


def is_regression_metric(metric: str) -> bool:
    return any(part in metric for part in _REGRESSION_SCORER_PARTS)


def resolve_scoring(metric, kind: str) -> tuple[str, object | None]:
    """(name, scorer) of a task's metric: a scorer name gives (it, None); a scikit-learn scorer
    (``make_scorer(...)``) or a callable ``(y_true, y_pred) -> float`` (greater is better; wrap it in
    ``make_scorer(f, greater_is_better=False)`` otherwise, or ``response_method="predict_proba"`` for
    probabilities) gives (``custom:<its name>``, the scorer). It travels to the evaluation workers and into
    model files by value (cloudpickle): a lambda or a function of a notebook works."""
    if metric is None or isinstance(metric, str):
        return resolve_metric(metric, kind), None
    if not callable(metric):
        raise ConfigError(f"metric must be a scorer name, a scikit-learn scorer or a callable (y_true, y_pred) -> "
                          f"float; got {metric!r}.")
    from sklearn.metrics import make_scorer
    from sklearn.metrics._scorer import _BaseScorer

    scorer = metric if isinstance(metric, _BaseScorer) else make_scorer(metric)
    function = getattr(scorer, "_score_func", metric)
    return f"custom:{getattr(function, '__name__', type(function).__name__)}", scorer


def resolve_metric(metric: str | None, kind: str) -> str:
    """Return the scorer name for a task: the kind's default, or a validated user choice."""
    if metric is None:
        return DEFAULT_METRICS[kind]
    from sklearn.metrics import get_scorer_names  # lazy: scikit-learn is heavy

    names = sorted(get_scorer_names())
    if metric not in names:
        close = difflib.get_close_matches(str(metric), names, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise ConfigError(
            f"Unknown metric {metric!r}.{hint} Use a scikit-learn scorer name "
            "(sklearn.metrics.get_scorer_names()), or leave metric=None for the default of the task kind."
        )
    if is_regression_metric(metric) != (kind == REGRESSION):
        raise ConfigError(
            f"Metric {metric!r} does not fit a {kind} task. Use a {'regression' if kind == REGRESSION else 'classification'} "
            f"scorer, for example {DEFAULT_METRICS[kind]!r} (the default)."
        )
    return metric
