import subprocess
import sys

import automl_meta


def test_lazy_public_api():
    assert automl_meta.Task is __import__("automl_meta.data", fromlist=["Task"]).Task
    assert callable(automl_meta.compute_metafeatures)


def test_import_is_light():
    code = "import sys, automl_meta; print([m for m in ('pandas', 'sklearn', 'torch') if m in sys.modules])"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "[]"
