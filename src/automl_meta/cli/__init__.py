"""The ``automl-meta`` command. Argument parsing and printing only; the work is done by the library."""

from automl_meta.cli._main import build_parser, main

__all__ = ["main", "build_parser"]
