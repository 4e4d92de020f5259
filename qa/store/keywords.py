"""The keyword (BM25) index: built with the passage index, saved beside it, loaded memory-mapped.

BM25 (Robertson & Zaragoza, 2009) as implemented by ``bm25s`` with Lucene's
IDF, ``log(1 + (N - df + 0.5) / (df + 0.5))``, which is never negative: a word
found in half of a small collection still counts.

Codes and numbers are written many ways: a model number ``AP-1012`` is typed
``AP1012``, ``ap 1012`` or ``ap-1012``; a standard ``ISO 9001`` as ``ISO-9001``;
a price ``1,200`` as ``1200``. Words are lower-cased ``\\w+`` runs as before,
and a code adds tokens so that every way of writing it gives the same ones
(:func:`bm25_tokens`): its joined form (``ap1012``) and its letter and digit
parts (``ap``, ``1012``). Words without digits are tokenised as they always were.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

TOKENS_VERSION = 2  # how texts become tokens: 1, lower-cased \w+ runs; 2, codes and numbers joined too
MAX_PREFIX = 4  # most letters of a code's prefix written apart from its number ("ISO 9001", "AP 1012")

_WORD = re.compile(r"\w+")
_PARTS = re.compile(r"[^\W\d_]+|\d+")  # runs of letters, runs of digits
_HYPHENS = frozenset("-\u2010\u2011\u2012\u2013")  # hyphen-minus, hyphens, figure and en dash
_SPACES = frozenset(" \u00a0")
# Lucene's English stop words (bm25s.stopwords.STOPWORDS_EN), here so that reading a question's codes
# (qa.answer.questions.codes_as_written) does not load bm25s: never the prefix of a code ("in 2019")
_NOT_PREFIXES = frozenset("""a an and are as at be but by for if in into is it no not of on or such that
the their then there these they this to was will with""".split())  # noqa: SIM905 - a word list reads best as text
_MEASURE = re.compile(r"\d+[^\W\d_]{1,3}")  # 10km, 21st, 1990s: a number with its unit, not a code


def bm25_tokens(text: str, query: bool = False) -> list[str]:
    """The tokens BM25 sees for ``text``: lower-cased ``\\w+`` runs, then what codes add.

    A word of letters and digits (``AP1012``) adds its letter and digit parts
    (``ap``, ``1012``); words linked into one code or number (:func:`linked_runs`)
    add their joined form (``ap1012``). ``AP-1012``, ``AP1012`` and ``AP 1012``
    thus give the same tokens, and words without digits give what they always did.
    ``query`` is True for a question: see :func:`linked_runs` for what changes.
    """
    words = list(_WORD.finditer(text))
    tokens = [m.group().lower() for m in words]
    for token in list(tokens):
        tokens += glued_parts(token)
    tokens += [joined(text[s:e]) for s, e in linked_runs(text, words, query)]
    return tokens


def joined(code: str) -> str:
    """A code's joined token: its letter and digit runs, lower-cased, run together
    (``X-2000-B`` -> ``x2000b``)."""
    return "".join(_PARTS.findall(code.lower()))


def code_spans(text: str, query: bool = False) -> list[tuple[int, int, str]]:
    """Where ``text`` writes letter-digit codes: (start, end, joined token), in order, each code
    whole (``X2000-B`` once, not also ``X2000``). ``query`` as for :func:`linked_runs`."""
    words = list(_WORD.finditer(text))
    runs = linked_runs(text, words, query)
    inside = {i for s, e in runs for i in range(s, e)}
    spans = runs + [(m.start(), m.end()) for m in words if m.start() not in inside and glued_parts(m.group())]
    found = [(s, e, joined(text[s:e])) for s, e in sorted(spans)]
    return [(s, e, j) for s, e, j in found if any(c.isalpha() for c in j) and any(c.isdigit() for c in j)]


def glued_parts(word: str) -> list[str]:
    """The letter and digit parts of a word that has both (``ap1012`` -> ``ap``, ``1012``), and its
    form without underscores when it has them; [] for any other word."""
    parts = _PARTS.findall(word)
    if len(parts) < 2 or not any(p.isdigit() for p in parts) or all(p.isdigit() for p in parts):
        return []
    joined = "".join(parts)
    return parts + ([joined] if joined != word else [])


def linked_runs(text: str, words: list[re.Match], query: bool = False) -> list[tuple[int, int]]:
    """The (start, end) character spans of ``text`` where consecutive ``words`` (matches of
    ``\\w+``) make one code or number: runs of two or more words holding a digit.

    Two words are linked by one hyphen or dash between them (``AP-1012``, ``X-2000-B``,
    ``555-1234``), by a comma before a group of three digits (``1,200``), or by one space
    between a prefix of at most :data:`MAX_PREFIX` letters that is not a stop word (nor the ``s``
    of a possessive) and a number (``ISO 9001``). In a document (``query`` False) such a prefix must be in capitals, as codes
    are printed (``in 2019`` is no code); in a question any case links, as people type codes
    in lower case, and a joined form the index lacks simply matches nothing.
    """
    links = [_link(text, words[i - 1], words[i], query) for i in range(1, len(words))] + [None]
    runs, first = [], 0
    for i in range(1, len(words) + 1):
        link = links[i - 1]
        if link == "-" or link == "," or (link == " " and links[i] != ","):  # "costs 1,200" is no code
            continue
        if i - first > 1:
            span = (words[first].start(), words[i - 1].end())
            if any(c.isdigit() for c in text[span[0]: span[1]]):
                runs.append(span)
        first = i
    return runs


def _link(text: str, left: re.Match, right: re.Match, query: bool) -> str | None:
    """How two consecutive words are linked into one code or number (see :func:`linked_runs`):
    "-" (a hyphen or dash), "," (a group of thousands), " " (a prefix and its number) or None."""
    gap, a, b = text[left.end(): right.start()], left.group(), right.group()
    if gap in _HYPHENS:
        return "-"
    if gap == "," and a.isdigit() and b.isdigit() and len(b) == 3:
        return ","
    if (gap in _SPACES and b.isdigit() and a.isalpha() and len(a) <= MAX_PREFIX
            and (query or a.isupper()) and a.lower() not in _NOT_PREFIXES
            and text[left.start() - 1: left.start()] not in ("'", "\u2019")):  # not ABC's 1998
        return " "
    return None


def code_terms(question: str) -> list[str]:
    """The codes a question names, as joined tokens (``ap1012``, ``iso9001``, ``x2000b``): its tokens
    with a letter and at least two digits that are not a number with a unit or suffix (``10km``,
    ``21st``), in order, once each. Passages holding them rank first (:mod:`qa.answer.retrieval`)."""
    tokens = bm25_tokens(question, query=True)
    return list(dict.fromkeys(t for t in tokens if _is_code(t)))


def _is_code(token: str) -> bool:
    return (token.isalnum() and any(c.isalpha() for c in token) and sum(c.isdigit() for c in token) >= 2
            and not _MEASURE.fullmatch(token))


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

    tokens = bm25_tokens(question, query=True)
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


def term_postings(bm25, term: str) -> np.ndarray:
    """The passages (int array of positions in the index's order) whose tokens include ``term``;
    empty when no passage has it."""
    t = bm25.vocab_dict.get(term)
    if t is None:
        return np.zeros(0, dtype=np.int64)
    indptr = bm25.scores["indptr"]
    return np.asarray(bm25.scores["indices"][int(indptr[t]): int(indptr[t + 1])], dtype=np.int64)


def top_scores(scores: np.ndarray, k: int) -> list[tuple[int, float]]:
    """The ``k`` highest (position, score) pairs of a score array, best first (ties by position)."""
    if k <= 0 or not len(scores):
        return []
    top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    order = top[np.argsort(-scores[top], kind="stable")]
    return [(int(i), float(scores[i])) for i in order]

