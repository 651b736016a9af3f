"""The package's version (pyproject.toml says the same), where every layer may read it."""

__version__ = "0.1.0"
