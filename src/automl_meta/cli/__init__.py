"""The ``automl-meta`` command. Argument parsing and printing only; the work is done by the library."""

from automl_meta.cli._main import main

__all__ = ["main"]
