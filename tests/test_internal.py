"""automl_meta/_internal: the private helpers every layer shares."""

import sys
import warnings

import numpy as np
import pandas as pd
import pytest

from automl_meta._internal._lazy import lazy_attributes
from automl_meta._internal._threads import quiet_fit, torch_threads
from automl_meta._internal._warnings import warn


def test_a_warning_points_at_the_users_line_whatever_the_depth_it_is_raised_at():
    """A DataWarning reached through Task(...) directly and through an estimator's fit, several calls deeper,
    names this file: the line the user wrote."""
    from automl_meta.data import DataWarning, Task
    from automl_meta.estimator import AutoMetaClassifier

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60), "empty": np.nan})
    y = pd.Series(["x"] * 30 + ["y"] * 27 + ["z"] * 3)
    with pytest.warns(DataWarning) as direct:
        Task(X, y, cv=3)  # the column of missing values is dropped
    with pytest.warns(DataWarning) as through_fit:
        AutoMetaClassifier(n_trials=1, cv=5, families=["linear"], warm_start=False, metadataset=False, n_jobs=1,
                           ensemble=False).fit(X, y)
    assert {w.filename for w in direct.list} == {__file__}
    assert {w.filename for w in through_fit.list if issubclass(w.category, DataWarning)} == {__file__}


def test_warn_called_from_outside_the_package_points_at_its_caller():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warn("said here", RuntimeWarning)
    assert caught[0].filename == __file__ and caught[0].category is RuntimeWarning


def test_lazy_attributes_import_on_first_use_and_once(monkeypatch):
    module = type(sys)("lazy_demo")
    monkeypatch.setitem(sys.modules, "lazy_demo", module)
    module.__getattr__ = lazy_attributes("lazy_demo", {"sqrt": "math", "join": ("os.path", "join")})
    assert module.sqrt(9.0) == 3.0 and module.join("a", "b").endswith("b")
    assert "sqrt" in vars(module)  # kept: the next access does not come back here
    with pytest.raises(AttributeError, match="has no attribute 'missing'"):
        module.missing  # noqa: B018


def test_thread_limits_are_restored():
    import torch
    from threadpoolctl import threadpool_info

    before = torch.get_num_threads()
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with quiet_fit(1):
        assert all(pool["num_threads"] == 1 for pool in threadpool_info())
        warnings.warn("silenced", UserWarning)  # no warning escapes a quiet fit
