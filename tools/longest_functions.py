"""List the longest functions (and methods), longest first: ``python tools/longest_functions.py [N] [DIR ...]``
(under src/ by default; ``benchmarks`` for the benchmarks).

Two lengths per function: its code (from ``def`` to its last line, comments included, its docstring not: a
numpydoc docstring of a function with many documented parameters is not complexity) and its whole length.
tests/test_package.py keeps every function's code at or under ``LIMIT`` lines.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 60


def function_lengths(root: Path = ROOT / "src") -> list[tuple[int, int, str]]:
    """(code lines, all lines, "path:line name") for every function and method under ``root``, longest first."""
    out = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                start = min([node.lineno] + [d.lineno for d in node.decorator_list])
                total = node.end_lineno - start + 1
                first = node.body[0]
                is_doc = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str)
                docstring = first.end_lineno - first.lineno + 1 if is_doc else 0
                out.append((total - docstring, total, f"{path.relative_to(ROOT)}:{node.lineno} {node.name}"))
    return sorted(out, reverse=True)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    roots = [ROOT / d for d in sys.argv[2:]] or [ROOT / "src"]
    for root in roots:
        print(f" code  all  function (under {root.relative_to(ROOT)}/)")
        for code, total, where in function_lengths(root)[:n]:
            print(f"{code:5d} {total:4d}  {where}")


if __name__ == "__main__":
    main()
