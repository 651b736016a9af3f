"""Attributes of a package imported on first use (PEP 562), so that importing the package stays cheap."""

from __future__ import annotations

import importlib


def lazy_attributes(package: str, where: dict):
    """A module ``__getattr__`` for ``package`` that imports each name of ``where`` on first use.

    ``where`` maps a name to the module that defines it (absolute, or relative to ``package`` when it starts
    with a dot), or to ``(module, attribute)`` when the attribute has another name there. The value is kept in
    the package's namespace, so the import happens once."""

    def __getattr__(name: str):
        target = where.get(name)
        if target is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, attribute = target if isinstance(target, tuple) else (target, name)
        value = getattr(importlib.import_module(module, package), attribute)
        setattr(importlib.import_module(package), name, value)
        return value

    return __getattr__
