"""User-facing exceptions.

Every exception the library raises on purpose derives from :class:`AutoMetaError`, so a caller can catch the
whole family at once (as Optuna does with ``OptunaError``). Messages name the problem, the offending value and
the fix; the CLI prints them as one line without a traceback.
"""

from __future__ import annotations

__all__ = [
    "AutoMetaError",
    "DataError",
    "DataTypeError",
    "ConfigError",
    "StorageError",
    "MetaModelError",
    "UntrustedFileError",
]


class AutoMetaError(Exception):
    """Base class of every error raised by automl-meta on purpose."""


class DataError(AutoMetaError, ValueError):
    """The user's data cannot be used as given (missing target, bad file, too few rows, ...)."""


class DataTypeError(DataError, TypeError):
    """A cell of the user's data is of a type no model can use (a dict, a list, ...)."""


class ConfigError(AutoMetaError, ValueError):
    """A parameter or option has an invalid value (unknown metric, negative budget, unknown family, ...)."""


class StorageError(AutoMetaError, OSError):
    """A meta-dataset or study storage cannot be opened, read or written."""


class MetaModelError(AutoMetaError):
    """A meta-model file is missing, corrupted or of an incompatible version."""


class UntrustedFileError(AutoMetaError):
    """A file that would run code when loaded (a pickled model) was not written by this user's automl-meta."""
