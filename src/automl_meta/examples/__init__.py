"""Small real datasets shipped with the package, so that the demo and the tests need no download.

``penguins``: the Palmer penguins (Gorman, Williams & Fraser 2014; CC0, via the palmerpenguins package):
344 penguins, species (the default target: 3 classes) from island and sex (text categoricals) and four body
measurements, with missing values. ``body_mass_g`` makes it a regression task.
"""

from __future__ import annotations

from pathlib import Path

from automl_meta.errors import DataError

__all__ = ["load_example", "example_path", "default_target", "EXAMPLES", "PREFIX"]

_HERE = Path(__file__).resolve().parent
#: name -> (file, default target)
EXAMPLES = {"penguins": ("penguins.csv.gz", "species")}
#: Prefix that lets the CLI take a bundled example wherever it takes a data file.
PREFIX = "example:"


def example_path(name: str) -> Path:
    """The path of a bundled example file."""
    if name not in EXAMPLES:
        raise DataError(f"No bundled example {name!r}. Available: {', '.join(sorted(EXAMPLES))}.")
    return _HERE / EXAMPLES[name][0]


def default_target(name: str) -> str:
    example_path(name)
    return EXAMPLES[name][1]


def load_example(name: str = "penguins", target: str | None = None, **kwargs):
    """Load a bundled example as a :class:`~automl_meta.data.Task`."""
    from automl_meta.data import Task

    return Task.from_file(example_path(name), target=target or default_target(name), name=name, **kwargs)
