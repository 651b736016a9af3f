"""Helpers shared by the sub-commands: loading the DATA argument, printing tables and JSON."""

from __future__ import annotations

import contextlib
import json
import math


def add_data_arguments(parser) -> None:
    parser.add_argument("data", metavar="DATA", help="a CSV (any of , ; tab |; optionally .gz), Parquet or Excel .xlsx file, or example:NAME for a bundled example")
    parser.add_argument("--target", "-t", help="the target column (optional for example:NAME)")
    parser.add_argument("--kind", choices=["binary", "multiclass", "regression", "classification"], help="override the inferred task kind")
    parser.add_argument("--metric", help="a scikit-learn scorer name (default: roc_auc, roc_auc_ovr or r2 by kind)")


def load_task(args, for_estimator: bool = False):
    """Build the Task named by the DATA, --target, --kind and --metric arguments. ``for_estimator``: a task
    whose data an estimator will fit, which chooses its own folds for rare classes (so only what no number of
    folds serves is refused here) and drops a class of one row."""
    from automl_meta.data import Task
    from automl_meta.errors import DataError
    from automl_meta.examples import PREFIX, default_target, example_path

    data = args.data
    target = args.target
    if data.startswith(PREFIX):
        name = data[len(PREFIX):]
        path = example_path(name)
        target = target or default_target(name)
    else:
        path = data
        if not target:
            raise DataError(f"No target column given for {data!r}. Pass --target COLUMN.")
    with reported_data_warnings():
        options = {"cv": 2, "single_row_classes": "drop"} if for_estimator else {}
        return Task.from_file(path, target=target, kind=args.kind, metric=args.metric,
                              group_column=getattr(args, "group_column", None),
                              weight_column=getattr(args, "weight_column", None), **options)


#: The data warnings printed by the outermost reported_data_warnings now running (None when none runs).
_printed: set[str] | None = None


@contextlib.contextmanager
def reported_data_warnings():
    """Print each data warning raised inside as one line on standard error, when it is raised (rather than
    Python's two-line form with a source location), and each message once: ``fit`` checks the table when it
    loads it and the estimator checks it again. Other warnings are shown as usual."""
    import sys
    import warnings

    from automl_meta.data import DataWarning

    global _printed
    outermost = _printed is None
    if outermost:
        _printed = set()
    with warnings.catch_warnings():
        warnings.simplefilter("always", DataWarning)
        shown_otherwise = warnings.showwarning

        def show(message, category, *args, **kwargs):
            if not issubclass(category, DataWarning):
                shown_otherwise(message, category, *args, **kwargs)
            elif str(message) not in _printed:
                _printed.add(str(message))
                print(f"automl-meta: warning: {safe_text(message)}", file=sys.stderr)

        warnings.showwarning = show
        try:
            yield
        finally:
            if outermost:
                _printed = None


def safe_text(value) -> str:
    """One line of printable text: data (column names, labels, file names) may hold escape sequences or
    line breaks that would rewrite the user's terminal or forge output lines."""
    return "".join(ch if ch.isprintable() else " " for ch in str(value))


def to_json(obj) -> str:
    """JSON with NaN and infinities as null (strict JSON has no NaN)."""

    def clean(o):
        if isinstance(o, float) and not math.isfinite(o):
            return None
        if isinstance(o, dict):
            return {k: clean(v) for k, v in o.items()}
        if isinstance(o, (list, tuple)):
            return [clean(v) for v in o]
        return o

    return json.dumps(clean(obj), indent=2, allow_nan=False)


def format_table(rows: list[dict], columns: list[str]) -> str:
    """A plain aligned text table."""

    def cell(v):
        if isinstance(v, float):
            return "nan" if math.isnan(v) else f"{v:.4g}"
        return safe_text(v)

    cells = [[cell(r.get(c, "")) for c in columns] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)), "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)) for row in cells]
    return "\n".join(lines)
