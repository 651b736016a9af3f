"""Where automl-meta keeps the user's files (meta-dataset, retrained meta-model, signing key)."""

from __future__ import annotations

import os
from pathlib import Path

#: Environment variable naming the folder of the user's files (default: the XDG data folder).
HOME_ENV = "AUTOML_META_HOME"


def data_home() -> Path:
    """``$AUTOML_META_HOME``, else ``$XDG_DATA_HOME/automl-meta``, else ``~/.local/share/automl-meta``
    (as :func:`sklearn.datasets.get_data_home` does for scikit-learn's data)."""
    if os.environ.get(HOME_ENV):
        return Path(os.environ[HOME_ENV]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "automl-meta"
