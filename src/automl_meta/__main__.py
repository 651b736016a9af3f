"""``python -m automl_meta``: the same as the ``automl-meta`` command."""

import sys

from automl_meta.cli import main

sys.exit(main())
