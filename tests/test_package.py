import subprocess
import sys

import automl_meta


def test_lazy_public_api():
    assert automl_meta.Task is __import__("automl_meta.data", fromlist=["Task"]).Task
    assert callable(automl_meta.compute_metafeatures)


def test_import_is_light():
    code = "import sys, automl_meta; print([m for m in ('pandas', 'sklearn', 'torch') if m in sys.modules])"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "[]"


def test_no_function_is_longer_than_the_limit(monkeypatch):
    """Small functions with one job: every function's code (its docstring aside), in the library and in the
    benchmarks, fits in tools/longest_functions.LIMIT lines."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    monkeypatch.syspath_prepend(str(root / "tools"))
    import longest_functions

    lengths = longest_functions.function_lengths(root / "src") + longest_functions.function_lengths(root / "benchmarks")
    too_long = [(code, where) for code, _, where in lengths if code > longest_functions.LIMIT]
    assert not too_long, too_long


def test_no_module_imports_another_packages_private_modules():
    """Packages talk through each other's public API (their __init__), never through private modules;
    ``automl_meta._internal`` is the private package every layer shares."""
    import re
    from pathlib import Path

    src = Path(automl_meta.__file__).resolve().parent
    offenders = []
    for path in src.rglob("*.py"):
        package = path.relative_to(src).parts[0]
        for match in re.finditer(r"from automl_meta\.(\w+)\._\w+ import", path.read_text()):
            if match.group(1) not in (package, "_internal"):
                offenders.append(f"{path.relative_to(src)}: {match.group(0)}")
    assert not offenders, offenders


def _layers_of_the_contract() -> list[str]:
    import tomllib
    from pathlib import Path

    config = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())
    (contract,) = [c for c in config["tool"]["importlinter"]["contracts"] if c["id"] == "layers"]
    return contract["layers"]


def test_the_layers_hold():
    """import-linter's layers contract (pyproject.toml) is kept: no package imports one of a layer above its own
    or a sibling of its own layer, and every subpackage is placed in a layer (exhaustive)."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    lint = Path(sys.executable).parent / "lint-imports"
    run = subprocess.run([str(lint), "--no-cache"], cwd=root, capture_output=True, text=True)
    assert run.returncode == 0 and "1 kept, 0 broken" in run.stdout, run.stdout + run.stderr


def test_the_architecture_document_states_the_checked_layers():
    """docs/ARCHITECTURE.md's diagram lists the contract's layers, in its order: the rule written is the rule run."""
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "docs" / "ARCHITECTURE.md").read_text()
    diagram = text.split("## The layers, and the rule the tests check", 1)[1].split("```")[1]
    written = [line.split("  ")[0].strip() for line in diagram.strip().splitlines()]
    assert written == _layers_of_the_contract()


def test_no_doc_or_docstring_points_outside_the_repository_or_to_an_issue():
    """Docs and docstrings stand on their own: no "issue 12", no ../shared document (the corpus's default path,
    a setting, is allowed). The lab log (benchmarks/NOTES.md) is a dated record and is kept as written."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    files = [root / "README.md", *(root / "docs").glob("*.md"), *(root / "benchmarks").glob("*.md"),
             *(root / "src").rglob("*.py"), *(root / "benchmarks").rglob("*.py"), *(root / "tests").glob("*.py"),
             *(root / "tools").glob("*.py")]
    pattern = re.compile(r"\b[Ii]ssues? #?\d+|\.\./shared/(?!datasets)|DESIGN\.md")
    offenders = [f"{path.relative_to(root)}:{text.count(chr(10), 0, m.start()) + 1}: {m.group(0)}"
                 for path in files if path.name != "NOTES.md" and path != Path(__file__).resolve()
                 for text in [path.read_text()] for m in pattern.finditer(text)]
    assert not offenders, offenders
