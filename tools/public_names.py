"""Count the public names of each subpackage (its ``__all__``): ``python tools/public_names.py [-v]``.

``-v`` lists the names too. The count is what users and the other layers may import; what is not in it is
private to its subpackage.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import automl_meta


def public_names() -> dict[str, list[str]]:
    """Subpackage (and the top level) -> its ``__all__``, sorted."""
    out = {"automl_meta": sorted(getattr(automl_meta, "__all__", []))}
    for info in pkgutil.iter_modules(automl_meta.__path__):
        if info.ispkg and not info.name.startswith("_"):
            module = importlib.import_module(f"automl_meta.{info.name}")
            out[info.name] = sorted(getattr(module, "__all__", []))
    return out


def main() -> None:
    names = public_names()
    for package, listed in names.items():
        print(f"{len(listed):4d}  {package}" + (f": {', '.join(listed)}" if "-v" in sys.argv else ""))
    print(f"{sum(len(v) for k, v in names.items() if k != 'automl_meta'):4d}  in all the subpackages")


if __name__ == "__main__":
    main()
