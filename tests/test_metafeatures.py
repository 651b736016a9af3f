"""The meta-feature vector: shape, determinism, never failing, and meaning what it says."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from automl_meta.data import Task
from automl_meta.metafeatures import FEATURE_GROUPS, FEATURE_NAMES, VERSION, MetaFeatures, compute
from automl_meta.metafeatures._prepare import STATS_ROWS, prepare


def test_vector_is_fixed_ordered_and_grouped():
    assert len(FEATURE_NAMES) >= 40
    assert len(set(FEATURE_NAMES)) == len(FEATURE_NAMES)
    counts = pd.Series(FEATURE_GROUPS).value_counts()
    assert set(counts.index) == {"simple", "statistical", "information", "landmarking"}
    assert counts.min() >= 5
    assert VERSION == "1"


@pytest.mark.parametrize("target", ["y_binary", "y_multi", "y_reg"])
def test_deterministic_for_a_seed_and_finite_or_nan(mixed_frame, target):
    task = Task.from_frame(mixed_frame.drop(columns=[c for c in ("y_binary", "y_multi", "y_reg") if c != target]), target=target)
    a, b = compute(task, random_state=3), compute(task, random_state=3)
    assert isinstance(a, MetaFeatures) and len(a) == len(FEATURE_NAMES)
    np.testing.assert_array_equal(a.values, b.values)
    assert not np.isinf(a.values).any()
    assert np.isfinite(a.values).sum() >= 40  # most features apply to a mixed task


def test_class_features_are_nan_for_regression_and_target_features_for_classification(mixed_frame, features):
    reg = compute(Task(features, mixed_frame["y_reg"]))
    clf = compute(Task(features, mixed_frame["y_binary"]))
    assert np.isnan(reg["n_classes"]) and np.isnan(reg["class_entropy"]) and reg["is_regression"] == 1
    assert np.isfinite(reg["target_skew"]) and np.isnan(clf["target_skew"])
    assert clf["n_classes"] == 2 and clf["class_entropy"] == pytest.approx(1.0)
    assert clf["is_binary"] == 1 and clf["is_regression"] == 0


def test_simple_features_count_what_they_say(features, mixed_frame):
    mf = compute(Task(features, mixed_frame["y_binary"]))
    assert mf["log_n_rows"] == pytest.approx(np.log(120))
    assert mf["log_n_features"] == pytest.approx(np.log(6))
    assert mf["frac_categorical"] == pytest.approx(3 / 6)
    assert mf["frac_missing_cells"] == pytest.approx(features.isna().to_numpy().mean())
    assert mf["log_max_cardinality"] == pytest.approx(np.log1p(3))
    assert mf["frac_binary_features"] == pytest.approx(1 / 6)  # the bool column


def test_landmarks_and_mutual_information_see_signal():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(600, 5)), columns=list("abcde"))
    informative = compute(Task(X, (X["a"] > 0).astype(int)))
    noise = compute(Task(X, rng.integers(0, 2, size=600)))
    assert informative["lm_stump"] > 0.9 and abs(noise["lm_stump"]) < 0.2
    assert informative["mutual_info_max"] > 0.5 > 0.05 > noise["mutual_info_max"]
    assert informative["lm_best"] > noise["lm_best"] + 0.5


def test_correlation_and_pca_features():
    rng = np.random.default_rng(0)
    base = rng.normal(size=500)
    X = pd.DataFrame({"a": base, "b": base * 2 + 1e-3 * rng.normal(size=500), "c": rng.normal(size=500)})
    mf = compute(Task(X, rng.normal(size=500)))
    assert mf["abs_corr_max"] == pytest.approx(1.0, abs=1e-3)
    assert mf["frac_high_corr_pairs"] == pytest.approx(1 / 3)
    assert mf["pca_frac_for_95"] == pytest.approx(2 / 3)


def test_large_tasks_are_subsampled_as_documented():
    rng = np.random.default_rng(0)
    n = 30_000
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.choice(list("xyz"), size=n)})
    y = np.where(np.arange(n) < 6, "rare", np.where(rng.random(n) < 0.5, "p", "q"))
    task = Task(X, y)
    prep = prepare(task)
    assert prep.numeric.shape == (STATS_ROWS, 1)
    rare_code = list(task.classes).index("rare")
    counts = np.bincount(np.asarray(task.y.factorize(sort=True)[0])[prep.landmark_idx])
    assert counts[rare_code] >= 3  # the rare class survives the landmarking sample
    mf = compute(task)
    assert mf["minority_class_frac"] == pytest.approx(6 / n)  # class counts use the whole task


EDGE_CASES = {
    "only_categorical": lambda rng: (pd.DataFrame({"c": rng.choice(list("ab"), 50), "d": rng.choice(list("xyz"), 50)}), rng.integers(0, 2, 50)),
    "one_numeric_column": lambda rng: (pd.DataFrame({"a": rng.normal(size=30)}), rng.normal(size=30)),
    "constant_columns": lambda rng: (pd.DataFrame({"a": np.ones(40), "b": np.zeros(40)}), np.tile([0, 1], 20)),
    "ten_rows": lambda rng: (pd.DataFrame({"a": rng.normal(size=10), "b": rng.normal(size=10)}), rng.normal(size=10)),
    "mostly_missing": lambda rng: (pd.DataFrame({"a": np.where(rng.random(60) < 0.95, np.nan, 1.0), "b": rng.normal(size=60)}), np.tile([0, 1, 2], 20)),
    "many_columns": lambda rng: (pd.DataFrame(rng.normal(size=(40, 300))).add_prefix("f"), np.tile([0, 1], 20)),
    "high_cardinality": lambda rng: (pd.DataFrame({"c": [f"v{i % 35}" for i in range(40)], "a": rng.normal(size=40)}), np.tile([0, 1], 20)),
    "huge_values": lambda rng: (pd.DataFrame({"a": rng.normal(size=40) * 1e300, "b": rng.normal(size=40) * 1e-300}), rng.normal(size=40)),
    "integer_regression": lambda rng: (pd.DataFrame({"a": rng.normal(size=80)}), rng.integers(0, 500, 80)),
}


@pytest.mark.parametrize("case", sorted(EDGE_CASES))
def test_edge_cases_give_finite_or_nan_without_warnings(case, recwarn):
    X, y = EDGE_CASES[case](np.random.default_rng(0))
    mf = compute(Task(X, y, cv=2))
    assert not np.isinf(mf.values).any()
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning) and "meta-feature group" in str(w.message)]
    assert np.isfinite(mf["log_n_rows"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(10, 60),
    n_num=st.integers(0, 3),
    n_cat=st.integers(0, 2),
    missing=st.floats(0, 0.5),
    regression=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_never_raises_on_random_valid_tasks(n, n_num, n_cat, missing, regression, seed):
    rng = np.random.default_rng(seed)
    cols = {f"n{i}": np.where(rng.random(n) < missing, np.nan, rng.normal(size=n) * rng.choice([1, 1e3])) for i in range(n_num)}
    cols.update({f"c{i}": rng.choice(["a", "b", "c", None], size=n) for i in range(n_cat)})
    cols["always"] = rng.normal(size=n)
    y = rng.normal(size=n) if regression else np.tile(["p", "q"], n)[:n]
    with _no_group_failure():
        mf = compute(Task(pd.DataFrame(cols), y, cv=2))
    assert not np.isinf(mf.values).any()


class _no_group_failure:
    """Context manager failing the test if a meta-feature group reported a failure."""

    def __enter__(self):
        import warnings

        self._cm = warnings.catch_warnings(record=True)
        self._log = self._cm.__enter__()
        warnings.simplefilter("always")

    def __exit__(self, *exc):
        self._cm.__exit__(*exc)
        failures = [w for w in self._log if "meta-feature group" in str(w.message)]
        assert not failures, failures[0].message
        return False


def test_nan_percentile_gives_numpy_s_numbers():
    """The percentiles of columns with and without missing values (and of an all-missing one) are numpy's own."""
    import warnings

    from automl_meta.metafeatures._prepare import nan_percentile

    rng = np.random.default_rng(0)
    x = np.round(rng.normal(size=(120, 6)), 1)
    x[rng.random(x.shape) < 0.2] = np.nan
    x[:, 1] = rng.normal(size=120)  # no gap
    x[:, 2] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the all-missing column, as numpy warns of it
        for q in ([25, 75], np.linspace(0, 100, 11)[1:-1], 50):
            np.testing.assert_array_equal(nan_percentile(x, q), np.nanpercentile(x, q, axis=0))
