"""The keyword (BM25) index: built with the passage index, saved beside it, loaded memory-mapped.

BM25 (Robertson & Zaragoza, 2009) as implemented by ``bm25s`` with Lucene's
IDF, ``log(1 + (N - df + 0.5) / (df + 0.5))``, which is never negative: a word
found in half of a small collection still counts.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

_WORD = re.compile(r"\w+")


def bm25_tokens(text: str) -> list[str]:
    """Lower-cased word tokens, as BM25 sees them."""
    return _WORD.findall(text.lower())


def build_bm25(texts: list[str]):
    """A ``bm25s.BM25`` index over ``texts`` (passage order = document ids).

    Texts are turned into token ids as they are read, so a million passages
    never exist as lists of token strings.
    """
    import bm25s

    vocab: dict[str, int] = {}
    ids = [[vocab.setdefault(t, len(vocab)) for t in bm25_tokens(text)] for text in texts]
    bm25 = bm25s.BM25(method="lucene")
    bm25.index((ids, vocab), show_progress=False)
    return bm25


def save_bm25(bm25, folder: Path) -> None:
    """Write the index's arrays and vocabulary into ``folder``."""
    bm25.save(str(folder), show_progress=False)


def load_bm25(folder: Path):
    """Read a saved index with its arrays memory-mapped (nothing is re-tokenised)."""
    import bm25s

    return bm25s.BM25.load(str(folder), mmap=True)


def query_terms(question: str) -> list[str]:
    """The question's tokens without English stop words (Lucene's list, as shipped by bm25s),
    unless that leaves none. Stop words weigh little in BM25 but have the longest posting lists."""
    from bm25s.stopwords import STOPWORDS_EN

    tokens = bm25_tokens(question)
    content = [t for t in tokens if t not in STOPWORDS_EN]
    return content or tokens


def bm25_scores(bm25, question: str) -> np.ndarray | None:
    """BM25 scores of every passage for ``question`` (float32 array, passage order); None when no
    query term is in the vocabulary.

    Sums each query term's precomputed per-passage scores from the index's
    compressed-column arrays; within one term's postings every passage occurs
    once, so a plain indexed add is exact (and much faster than ``np.add.at``).
    """
    ids = [bm25.vocab_dict[t] for t in query_terms(question) if t in bm25.vocab_dict]
    if not ids:
        return None
    data, indices, indptr = bm25.scores["data"], bm25.scores["indices"], bm25.scores["indptr"]
    scores = np.zeros(bm25.scores["num_docs"], dtype=np.float32)
    for t in ids:
        lo, hi = int(indptr[t]), int(indptr[t + 1])
        scores[indices[lo:hi]] += data[lo:hi]
    return scores


def top_scores(scores: np.ndarray, k: int) -> list[tuple[int, float]]:
    """The ``k`` highest (position, score) pairs of a score array, best first (ties by position)."""
    if k <= 0 or not len(scores):
        return []
    top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    order = top[np.argsort(-scores[top], kind="stable")]
    return [(int(i), float(scores[i])) for i in order]

