"""Warnings aimed at the user's code, however deep in the library they are raised."""

from __future__ import annotations

import os
import sys
import warnings

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def warn(message: str, category: type[Warning] = UserWarning) -> None:
    """``warnings.warn`` with the stack level of the first caller outside automl_meta: the user's line that
    called the public entry point (``fit``, ``Task(...)``, ``read_table``), whichever path led here. A
    hard-coded level points into the library when the same warning is reached at another depth."""
    frame, level = sys._getframe(1), 2  # level 2: the caller of this function
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)
