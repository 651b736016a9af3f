"""Values shown in messages as the user wrote them."""

from __future__ import annotations

import numpy as np


def value_repr(value) -> str:
    """repr of a value as the user wrote it: numpy scalars shown as plain Python numbers."""
    return repr(value.item() if isinstance(value, np.generic) else value)
