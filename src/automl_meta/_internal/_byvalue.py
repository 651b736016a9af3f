"""Pickling a user's function by value: a metric defined in a script, a notebook or a lambda is not importable
where it is unpickled (an evaluation worker process, another session loading a model file), so it travels as
cloudpickle's bytes of its code instead of a reference to its name."""

from __future__ import annotations

import pickle


class ByValue:
    """An object pickled by value; ``unwrap`` gives it back. Functions of the user's own modules (not installed
    packages) go by value too: a module beside the user's script may not be importable in a worker."""

    def __init__(self, obj):
        import cloudpickle

        modules = _user_modules(obj)
        for module in modules:
            cloudpickle.register_pickle_by_value(module)
        try:
            self.payload = cloudpickle.dumps(obj)
        finally:
            for module in modules:
                cloudpickle.unregister_pickle_by_value(module)

    def unwrap(self):
        return pickle.loads(self.payload)


def by_value(obj):
    """``obj`` wrapped for pickling when it is a callable of the user's (None and names stay as they are)."""
    return ByValue(obj) if obj is not None and not isinstance(obj, (str, ByValue)) and callable(obj) else obj


def unwrapped(value):
    return value.unwrap() if isinstance(value, ByValue) else value


def _user_modules(obj) -> list:
    """The modules of ``obj`` (and of the function a scikit-learn scorer wraps) that are not installed
    packages or the standard library: files outside site-packages, dist-packages and the Python prefix."""
    import sys
    import sysconfig

    installed = {sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    found = []
    for function in (obj, getattr(obj, "_score_func", None)):
        module = sys.modules.get(getattr(function, "__module__", None) or "")
        path = getattr(module, "__file__", None)
        if module is None or path is None or module.__name__ == "__main__" or module in found:
            continue  # __main__ goes by value anyway
        if not any(path.startswith(root) for root in installed) and "site-packages" not in path:
            found.append(module)
    return found

