"""Entry point of ``automl-meta``: one parser, one sub-command per job, errors printed as one line.

Only the standard library is imported at start-up, so ``automl-meta --help`` is instant; each command
imports what it needs when it runs.
"""

from __future__ import annotations

import argparse
import sys

from automl_meta.cli import _fit, _metadataset, _metafeatures, _metamodel, _recommend, _search
from automl_meta.cli._common import safe_text

#: Sub-command modules: each has ``register(subparsers)`` which sets ``func`` on its parser.
COMMANDS = (_metafeatures, _recommend, _search, _fit, _metadataset, _metamodel)

EXIT_USAGE = 2  # bad input or configuration, as argparse uses for bad arguments


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="automl-meta",
        description="Meta-learning AutoML: describe a tabular task, recommend strategies, search and fit models.",
    )
    parser.add_argument("--debug", action="store_true", help="show the full traceback of an error")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.register(sub)
    return parser


def _version() -> str:
    from automl_meta._internal._version import __version__

    return __version__


def main(argv=None) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    args.argv = argv  # for provenance records
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    from automl_meta.errors import AutoMetaError

    try:
        return int(args.func(args) or 0)
    except AutoMetaError as exc:
        if args.debug:
            raise
        # one line of printable text: messages may quote data, which may contain anything
        print(f"automl-meta: error: {safe_text(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("automl-meta: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
