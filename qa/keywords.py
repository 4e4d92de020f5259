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
    """A ``bm25s.BM25`` index over ``texts`` (passage order = document ids)."""
    import bm25s

    bm25 = bm25s.BM25(method="lucene")
    bm25.index([bm25_tokens(t) for t in texts], show_progress=False)
    return bm25


def save_bm25(bm25, folder: Path) -> None:
    """Write the index's arrays and vocabulary into ``folder``."""
    bm25.save(str(folder), show_progress=False)


def load_bm25(folder: Path):
    """Read a saved index with its arrays memory-mapped (nothing is re-tokenised)."""
    import bm25s

    return bm25s.BM25.load(str(folder), mmap=True)


def bm25_scores(bm25, question: str) -> np.ndarray | None:
    """BM25 scores of every passage for ``question`` (float array, passage order); None when no
    word of the question is in the vocabulary."""
    tokens = [t for t in bm25_tokens(question) if t in bm25.vocab_dict]
    return bm25.get_scores(tokens) if tokens else None


def top_scores(scores: np.ndarray, k: int) -> list[tuple[int, float]]:
    """The ``k`` highest (position, score) pairs of a score array, best first (ties by position)."""
    if k <= 0 or not len(scores):
        return []
    top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    order = top[np.argsort(-scores[top], kind="stable")]
    return [(int(i), float(scores[i])) for i in order]

