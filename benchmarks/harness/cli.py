"""The benchmarks' shared command-line options, defined once, and the command line a result file quotes."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

#: Where the committed results live.
RESULTS = Path(__file__).resolve().parent.parent / "results"
#: The default of an option that must be given.
REQUIRED = object()

_OPTIONS = {
    "metadataset": dict(help="the meta-dataset, a path or URL (default: the shipped one)"),
    "tasks": dict(type=int, help="how many held-out tasks to run"),
    "folds": dict(type=int, help="folds of held-out groups (each fold's meta-model is trained without them)"),
    "seed": dict(type=int, help="the random seed"),
    "members": dict(type=int, help="networks in each held-out meta-model"),
    "epochs": dict(type=int, help="training epochs of each network"),
    "trials": dict(type=int, help="trials of each search"),
    "budget": dict(type=float, help="seconds of each fit"),
    "methods": dict(help="the methods to run, comma-separated"),
    "max_rows": dict(type=int, help="use at most this many rows of each task"),
    "out": dict(type=Path, help="the result file"),
    "out_dir": dict(type=Path, help="the folder of the result files"),
    "smoke": dict(action="store_true", help="the smallest run, in seconds (what `make test-slow` runs)"),
    "summarize_only": dict(action="store_true", help="summarize the results written already; run nothing"),
}


def benchmark_parser(doc: str, **defaults) -> argparse.ArgumentParser:
    """A parser whose help is ``doc`` (the script's docstring), with the shared options named in ``defaults``:
    ``name=default``, ``name=REQUIRED``, or ``name=(default, "help")`` to say more than the shared help. Add
    the script's own options to what it returns."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name, default in defaults.items():
        options = dict(_OPTIONS[name])
        if isinstance(default, tuple):
            default, options["help"] = default
        flag = "--" + name.replace("_", "-")
        if default is REQUIRED:
            parser.add_argument(flag, required=True, **options)
        elif options.get("action") == "store_true":
            parser.add_argument(flag, **options)
        else:
            parser.add_argument(flag, default=default, **options)
    return parser


def command_line(parser: argparse.ArgumentParser, args: argparse.Namespace) -> str:
    """``python benchmarks/<script> --option value ...``: the options that differ from their defaults, as a
    result file quotes the command that made it."""
    words = ["python", f"benchmarks/{Path(sys.argv[0]).name}"]
    for action in parser._actions:
        if not action.option_strings or action.dest == "help":
            continue
        value = getattr(args, action.dest, None)
        if value == action.default or value is None:
            continue
        flag = action.option_strings[-1]
        if isinstance(action, argparse._StoreTrueAction):
            words.append(flag)
        else:
            words += [flag, shlex.quote(str(value))]
    return " ".join(words)


def fits_in_processes(script: str, jobs, options, out: Path) -> list[dict]:
    """Each job (the ``--one`` arguments of one fit) run by ``script`` in a process of its own (a fit's memory and
    threads never reach the next), with ``options`` after them; each child prints its row as JSON on its last
    line. The rows, in order, written to ``out`` as they come (a failed child's stderr is printed, its row left
    out)."""
    import json
    import subprocess

    import pandas as pd

    rows = []
    for job in jobs:
        done = subprocess.run([sys.executable, script, "--one", *map(str, job), *map(str, options)],
                              capture_output=True, text=True, cwd=Path(script).parent)
        if done.returncode != 0:
            print(done.stderr[-3000:], file=sys.stderr)
            continue
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(rows[-1], flush=True)
        pd.DataFrame(rows).to_csv(out, index=False)
    return rows

