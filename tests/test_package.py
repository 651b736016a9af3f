import subprocess
import sys

import automl_meta


def test_lazy_public_api():
    assert automl_meta.Task is __import__("automl_meta.data", fromlist=["Task"]).Task
    assert callable(automl_meta.compute_metafeatures)


def test_import_is_light():
    code = "import sys, automl_meta; print([m for m in ('pandas', 'sklearn', 'torch') if m in sys.modules])"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "[]"


def test_no_function_is_longer_than_the_limit():
    """Small functions with one job: every function's code (its docstring aside) fits in tools/longest_functions.LIMIT lines."""
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
    try:
        import longest_functions
    finally:
        sys.path.pop(0)
    too_long = [(code, where) for code, _, where in longest_functions.function_lengths() if code > longest_functions.LIMIT]
    assert not too_long, too_long


def test_no_module_imports_another_packages_private_modules():
    """Packages talk through each other's public API (their __init__), never through private modules."""
    import re
    from pathlib import Path

    src = Path(automl_meta.__file__).resolve().parent
    offenders = []
    for path in src.rglob("*.py"):
        package = path.relative_to(src).parts[0]
        for match in re.finditer(r"from automl_meta\.(\w+)\._\w+ import", path.read_text()):
            if match.group(1) != package:
                offenders.append(f"{path.relative_to(src)}: {match.group(0)}")
    assert not offenders, offenders
