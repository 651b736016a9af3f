"""A free-text column as a few numbers: latent semantic analysis of its words.

Each text column (``automl_meta.data.is_free_text``) becomes at most ``TEXT_COMPONENTS`` numbers: the TF-IDF
of its words (sublinear term frequency, accents stripped, words in at least 2 training rows, the
``MAX_WORDS`` most frequent) projected on its main directions by a truncated SVD. Dense and few, so every
family (trees, linear models, the MLP) takes them as numeric columns; the encoder fits them on the training rows
of each fit, so nothing of the validation or test rows reaches them.

The vocabulary and the directions are fitted on at most ``TEXT_FIT_ROWS`` training rows (a seeded random
sample): the frequent words and the first 16 directions of thousands of documents are already well estimated,
and a search refits the encoder on every fold of every trial. Every row is transformed. The components' mean and
standard deviation (what the one-hot output standardizes with) are taken on that sample too, from the SVD's own
fit, so fitting never transforms the text a second time.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

import numpy as np
import pandas as pd

#: Numbers per text column (fewer when the vocabulary is smaller).
TEXT_COMPONENTS = 16
#: Largest vocabulary kept (the most frequent words).
MAX_WORDS = 20_000
#: The vocabulary and the SVD are fitted on a random sample of at most this many rows.
TEXT_FIT_ROWS = 5_000


#: A search refits the encoder on the same fold's training rows in every trial, and a text column's numbers do
#: not depend on the strategy: each process keeps what it fitted and transformed lately (by the text's content,
#: so a changed row is a new entry), the least recently used dropped first beyond this many bytes.
CACHE_BYTES = 256 * 2**20
_cache: OrderedDict = OrderedDict()
_cache_lock = threading.Lock()


def _digest(docs: list[str]) -> bytes:
    """A digest of the documents in order; each one's length goes first, so no two lists share a byte stream."""
    h = hashlib.blake2b(digest_size=16)
    for d in docs:
        data = d.encode("utf-8", "surrogatepass")
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.digest()


def _recall(key):
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key][0]
    return None


def _remember(key, value, nbytes: int):
    with _cache_lock:
        _cache[key] = (value, nbytes)
        total = sum(n for _, n in _cache.values())
        while total > CACHE_BYTES and len(_cache) > 1:
            total -= _cache.popitem(last=False)[1][1]
    return value


def _documents(col: pd.Series) -> list[str]:
    """The column's values as strings, a missing value as an empty document."""
    values = col.astype(object).to_numpy()
    return ["" if pd.isna(v) else str(v) for v in values]


class TextColumn:
    """The fitted TF-IDF and SVD of one text column; ``n_components_`` 0 when its training rows share no word.

    ``mean_`` and ``scale_`` (length ``n_components_``): the components' mean and standard deviation on the rows
    the SVD was fitted on; the scale is 1 for a direction that is only rounding noise.
    """

    def __init__(self, random_state: int = 0):
        self.random_state = random_state

    def fit(self, col: pd.Series) -> "TextColumn":
        docs = _documents(col)
        if len(docs) > TEXT_FIT_ROWS:
            rows = np.random.default_rng(self.random_state).choice(len(docs), TEXT_FIT_ROWS, replace=False)
            docs = [docs[i] for i in np.sort(rows)]
        self.fit_key_ = ("fit", _digest(docs), self.random_state)
        fitted = _recall(self.fit_key_)
        if fitted is None:
            self._fit(docs)
            fitted = _remember(self.fit_key_, {k: v for k, v in vars(self).items() if k.endswith("_")},
                               nbytes=4 * 2**20 + (0 if self.svd_ is None else self.svd_.components_.nbytes))
        vars(self).update(fitted)
        return self

    def _fit(self, docs: list[str]) -> None:
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.vectorizer_ = TfidfVectorizer(min_df=2, max_features=MAX_WORDS, sublinear_tf=True,
                                           strip_accents="unicode", dtype=np.float32)
        try:
            tfidf = self.vectorizer_.fit_transform(docs)
        except ValueError:  # "empty vocabulary": no word in two rows; the column gives nothing
            tfidf = None
        # TruncatedSVD needs fewer components than words and rows
        self.n_components_ = 0 if tfidf is None else max(0, min(TEXT_COMPONENTS, tfidf.shape[1] - 1, tfidf.shape[0] - 1))
        self.svd_, components = None, np.zeros((1, 0))
        if self.n_components_:
            self.svd_ = TruncatedSVD(self.n_components_, random_state=self.random_state).fit(tfidf)
            # transform, not fit_transform's U * Sigma: the randomized SVD's U is approximate, and these are
            # the numbers transform gives every row
            components = self.svd_.transform(tfidf).astype(float)
        else:
            self.vectorizer_ = None
        std = components.std(axis=0)
        # a direction beyond the text's rank has a spread of float32 rounding (1e-8 where the others have 0.1):
        # scaled to unit variance it would be noise, so it is left unscaled (about 0 on every row)
        real = std > 1e-6 * std.max() if std.size else std > 0
        self.mean_, self.scale_ = components.mean(axis=0), np.where(real, std, 1.0)

    def transform(self, col: pd.Series) -> np.ndarray:
        """(rows x ``n_components_``) float array (read-only: it may be shared with the process's cache)."""
        if not self.n_components_:
            return np.zeros((len(col), 0))
        docs = _documents(col)
        fit_key = getattr(self, "fit_key_", None)  # getattr: a column pickled before the cache
        key = None if fit_key is None else ("transform", fit_key, _digest(docs))
        out = None if key is None else _recall(key)
        if out is None:
            out = self.svd_.transform(self.vectorizer_.transform(docs)).astype(float)
            out.flags.writeable = False
            if key is not None:
                _remember(key, out, out.nbytes)
        return out
