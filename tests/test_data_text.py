"""Free-text columns (automl_meta.data._text, automl_meta.models._text): kept by the data checks, turned into
a few numbers by the encoder, fitted on the training rows only."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from automl_meta.data import DataWarning, Task, is_free_text
from automl_meta.models._encoding import TabularEncoder
from automl_meta.models._text import TEXT_COMPONENTS, TextColumn

GOOD = ["arrived on time and works well", "excellent quality, very happy with it", "would gladly buy again"]
BAD = ["broke after a single day", "terrible quality, do not buy", "a waste of money and time"]
NEUTRAL = ["the box was blue", "delivered by the usual courier", "bought it for my brother", "second order this year"]


def reviews(n=120, seed=0):
    """A review per row (distinct: each ends with its order number) whose words say the class, and words that
    do not."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    text = [f"{rng.choice(GOOD if label else BAD)}; {rng.choice(NEUTRAL)} (order {i})" for i, label in enumerate(y)]
    return pd.DataFrame({"review": text, "x": rng.normal(size=n)}), pd.Series(y, name="y")


def test_sentences_distinct_on_every_row_are_text():
    X, _ = reviews()
    assert is_free_text(X["review"])


@pytest.mark.parametrize("values", [
    [f"C{i:05d}" for i in range(60)],  # an identifier: no words
    [f"Jane Doe{i}" if i % 2 else f"John Roe {i}" for i in range(60)],  # names: two words at most
    ["very good indeed", "not good at all", "rather bad overall"] * 20,  # sentences that repeat: a category
    ["2021-03-04 and more words here"] * 5 + [None] * 55,  # too few values to judge
])
def test_identifiers_names_categories_and_few_values_are_not_text(values):
    assert not is_free_text(pd.Series(values, dtype=object))


def test_a_declared_category_is_never_text():
    X, _ = reviews()
    assert not is_free_text(X["review"].astype("category"))


def test_task_keeps_a_text_column_it_would_drop_as_an_identifier():
    X, y = reviews()
    X["customer"] = [f"C{i:05d}" for i in range(len(X))]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        task = Task(X, y)
    assert list(task.X.columns) == ["review", "x"]
    assert ["customer" in str(w.message) for w in caught if issubclass(w.category, DataWarning)] == [True]


@pytest.mark.parametrize("output", ["onehot", "ordinal", "native"])
def test_encoder_turns_text_into_numeric_columns_that_separate_the_classes(output):
    X, y = reviews()
    encoder = TabularEncoder(output=output).fit(X)
    assert encoder.text_columns_ == ["review"] and encoder.categorical_columns_ == []
    Z = np.asarray(encoder.transform(X), dtype=float)
    width = encoder.text_["review"].n_components_
    assert 1 <= width <= TEXT_COMPONENTS and Z.shape == (len(X), 1 + width)
    assert np.isfinite(Z).all()
    # the components carry the words: a linear model on them alone tells the reviews apart
    from sklearn.linear_model import LogisticRegression

    components = Z[:, 1:]
    assert LogisticRegression().fit(components[:80], y[:80]).score(components[80:], y[80:]) >= 0.9


def test_onehot_standardizes_the_text_components_with_what_the_fit_measured(monkeypatch):
    X, _ = reviews()
    encoder = TabularEncoder().fit(X)
    Z = encoder.transform(X)[:, 1:]  # the fit sample is every row here: the components' mean 0, std 1
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-6)
    std = Z.std(axis=0)
    # the text has fewer directions than 16 components: the rest are rounding noise, not blown up to std 1
    assert std.max() == pytest.approx(1) and np.all((np.abs(std - 1) < 1e-6) | (std < 1e-6)) and std.min() < 1e-6
    # on more rows than the fit sample, the mean and std come from the sample: close, not exact
    monkeypatch.setattr("automl_meta.models._text.TEXT_FIT_ROWS", 60)
    Z = TabularEncoder().fit(X).transform(X)[:, 1:]
    real = Z.std(axis=0) > 1e-6
    assert real.sum() >= 5 and np.abs(Z.mean(axis=0)).max() < 0.5 and np.abs(Z.std(axis=0)[real] - 1).max() < 0.5


def test_text_is_fitted_on_training_rows_and_unseen_or_missing_text_transforms():
    X, _ = reviews()
    encoder = TabularEncoder().fit(X.iloc[:80])
    new = pd.DataFrame({"review": ["never seen words zzz qqq", None, ""], "x": [0.0, 1.0, 2.0]})
    Z = encoder.transform(new)
    assert Z.shape == (3, 1 + encoder.text_["review"].n_components_) and np.isfinite(Z).all()
    vocabulary = encoder.text_["review"].vectorizer_.vocabulary_
    assert "order" in vocabulary and "zzz" not in vocabulary


def test_a_text_column_whose_rows_share_no_word_gives_no_column():
    col = pd.Series([f"alpha{i} beta{i} gamma{i}" for i in range(30)])
    text = TextColumn().fit(col)
    assert text.n_components_ == 0 and text.transform(col).shape == (30, 0)


def test_a_refit_on_the_same_rows_is_recalled_and_a_changed_row_is_not(monkeypatch):
    """A search refits the encoder on the same fold in every trial: the text's fit and numbers are kept by content."""
    from automl_meta.models import _text

    monkeypatch.setattr(_text, "_cache", type(_text._cache)())
    fits = []
    real_fit = TextColumn._fit
    monkeypatch.setattr(TextColumn, "_fit", lambda self, docs: (fits.append(len(docs)), real_fit(self, docs)))
    X, _ = reviews()
    first = TextColumn().fit(X["review"])
    Z = first.transform(X["review"])
    again = TextColumn().fit(X["review"].copy())
    assert len(fits) == 1 and np.array_equal(again.transform(X["review"]), Z) and not Z.flags.writeable
    changed = X["review"].copy()
    changed.iloc[0] = "an entirely different review of the order"
    TextColumn().fit(changed)
    assert len(fits) == 2
    # the encoder's output is its own array, whatever the cache holds
    out = TabularEncoder().fit(X).transform(X)
    out[0, 0] = 1.0
    # and the cache stays within its bytes: the least recently used goes first
    monkeypatch.setattr(_text, "CACHE_BYTES", 1)
    for i in range(3):
        TextColumn(random_state=i).fit(X["review"])
    assert len(_text._cache) == 1


def test_an_encoder_pickled_before_text_columns_still_transforms():
    X, _ = reviews()
    encoder = TabularEncoder().fit(X[["x"]])
    for name in ("text_columns_", "text_"):
        delattr(encoder, name)
    assert encoder.transform(X[["x"]]).shape == (len(X), 1)


def test_an_encoder_pickled_while_it_kept_the_text_scales_itself_still_transforms():
    """Encoders of 2026-12-03 kept the components' mean and scale (text_means_, text_scales_), their columns
    did not (nor the cache's key): the same numbers come out."""
    X, _ = reviews()
    encoder = TabularEncoder().fit(X)
    expected = encoder.transform(X)
    text = encoder.text_["review"]
    encoder.text_means_, encoder.text_scales_ = text.mean_, text.scale_
    for name in ("mean_", "scale_", "fit_key_"):
        delattr(text, name)
    np.testing.assert_allclose(encoder.transform(X), expected)


def test_a_classifier_learns_from_a_text_column_and_predicts_raw_text():
    from automl_meta.estimator import AutoMetaClassifier

    X, y = reviews(n=160, seed=1)
    clf = AutoMetaClassifier(n_trials=2, cv=3, families=["linear"], metadataset=False, random_state=0,
                             ensemble=False, n_jobs=1, progress=False).fit(X.iloc[:120], y.iloc[:120])
    # dropped as an identifier, the text would leave only the noise column x: about half right
    assert (clf.predict(X.iloc[120:]) == y.iloc[120:].to_numpy()).mean() >= 0.9
