"""Copy the generated summaries of benchmark runs into docs/BENCHMARKS.md.

Each benchmark writes a markdown summary under benchmarks/results/ (machine, date and command included). This
script puts the overall part of each — its header lines, every section whose title covers all tasks, and its
target line — between the markers ``<!-- results:NAME -->`` and ``<!-- /results:NAME -->``, so that
the numbers there are the ones the command printed (the README's headline numbers cite those sections).

Usage: python benchmarks/readme_results.py [--check]   (--check: exit 1 if docs/BENCHMARKS.md is out of date)
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
README = HERE.parent / "docs" / "BENCHMARKS.md"
SUMMARIES = {"anytime": HERE / "results" / "anytime.md", "anytime_seed1": HERE / "results" / "anytime_seed1" / "anytime.md",
             "anytime_holdout": HERE / "results" / "anytime_holdout" / "anytime.md",
             "anytime_holdout_seed1": HERE / "results" / "anytime_holdout_seed1" / "anytime.md",
             "endtoend": HERE / "results" / "endtoend_600.md"}


def overall(markdown: str) -> str:
    """The header lines (before the first section), the sections over all tasks (the anytime benchmark's
    held-out rows included), and the target line."""
    parts = re.split(r"(?m)^(?=### )", markdown.strip())
    header, sections = parts[0], parts[1:]
    keep = [s for s in sections if re.match(r"### (all|budget [^,]+, all|held-out rows) \(", s)]
    target = [line for line in markdown.splitlines() if line.startswith("Target")]
    body = header.strip().splitlines()
    body = [line for line in body if not line.startswith("## ")]  # the document has its own heading
    lines = body + [""]
    for s in keep:
        section = "\n".join(line for line in s.strip().splitlines() if not line.startswith("Target"))
        lines += [section.strip(), ""]
    return "\n".join(lines + target).strip()


def updated(readme: str) -> str:
    for name, path in SUMMARIES.items():
        begin, end = f"<!-- results:{name} -->", f"<!-- /results:{name} -->"
        if begin not in readme or not path.exists():
            continue
        pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
        found = re.search(r"\((\d{4}-\d\d-\d\d.*)\)\s*$", path.read_text().splitlines()[0])
        stamp = f" ({found.group(1)})" if found else ""
        block = f"{begin}\n_Generated from `{path.relative_to(HERE.parent)}`{stamp}._\n\n{overall(path.read_text())}\n{end}"
        readme = pattern.sub(lambda _: block, readme)
    return readme


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    text = README.read_text()
    new = updated(text)
    if args.check:
        sys.exit(0 if new == text else 1)
    README.write_text(new)
    print(f"{README.name} updated" if new != text else f"{README.name} already up to date")


if __name__ == "__main__":
    main()
