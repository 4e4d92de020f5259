"""Second reads for spans the reader found but scored under its threshold.

:meth:`qa.answer.reading.Reader.read` calls :func:`reread` for a passage whose best span it would
decline. Two kinds of passage are read again, differently, and the span is accepted only when the
second read clears the reader's own threshold or a narrow evidence check:

- **a corrected fact** ("The meeting was not held in Paris; it moved to Lyon."): in a paragraph the
  negated alternative and the correction split the reader's mass and raise its no-answer score
  (Lyon 0.03 in a three-sentence paragraph, 0.57 in its sentence alone). The sentence holding the
  span is read alone (the reader trained on one-sentence passages, docs/training.md, stage 4), and
  its answer must lie in the clause after the negated one (:func:`correcting_clause`) and either
  clear the threshold or answer what the negated clause states (:func:`corrects_asked`);
- **Latin-script names in Arabic, Hebrew, Greek... text**: the English reader's tokenizer cuts those
  words into single letters, so a passage holds hundreds of meaningless pieces around the names
  (Erich Mendelsohn 0.004 in a Hebrew paragraph). The passage is read again with each such word
  shown as "…" (:func:`mask_foreign`), and a span is accepted when it is a run of Latin-script words
  of the form the question asks for, clearly ahead of the other candidates (:func:`latin_island`).

Neither fires on a passage in English without a negated clause, so the SQuAD 2.0 figures of the
odds rule are unchanged except where a kept-half sentence holds such a correction (measured in
docs/readers.md).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, Protocol

from qa.answer.followup import content_words
from qa.answer.verify import _sentence_bounds

Span = Any  # a qa.answer.reading.Span (not imported: reading imports this module)


class Reader(Protocol):
    """What a second read needs of :class:`qa.answer.reading.Reader`."""

    def read_pairs(self, pairs: list[tuple[str, str]], top_n: int = 1) -> list[list[Span]]: ...

    def accepts(self, span: Span) -> bool: ...

# A negated clause then a clause that corrects it: "was not held in Paris; it moved to Lyon",
# "did not go to Anna Berg, as the newsletter said; it was won by Tomas Lind", "isn't X but Y".
# "Not only X but Y" adds to X rather than correcting it.
_NEGATION = re.compile(r"\b(?:not(?!\s+(?:only|just|merely|simply)\b)|never|no longer)\b|n't\b(?!\s+(?:only|just)\b)",
                       re.IGNORECASE)
_CORRECTION = re.compile(r";\s*|,?\s+\b(?:but|instead|rather)\b\s*|\.\s+(?:Instead|Rather|It|They)\b",
                         re.IGNORECASE)

# Letters outside Latin script (Greek, Cyrillic, Hebrew, Arabic, Indic, CJK...).
_FOREIGN_WORD = re.compile(r"[^\W\d_A-Za-z\u00C0-\u024F\u1E00-\u1EFF]+(?:[\u0300-\u036F\u064B-\u065F]*)")
_LATIN_LETTER = re.compile(r"[A-Za-z\u00C0-\u024F]")
MASK = "…"
# Share of a passage's letters outside Latin script from which it is read with them masked.
FOREIGN_SHARE = 0.5
# A Latin-script span in a masked passage must score this many times the next candidate.
ISLAND_MARGIN = 3.0


def correcting_clause(sentence: str) -> tuple[int, int] | None:
    """The character range of ``sentence`` that corrects a negated clause before it, None when
    the sentence holds no negation followed by a clause boundary (``;``, ``but``, ``instead``...)."""
    neg = _NEGATION.search(sentence)
    if neg is None:
        return None
    cut = _CORRECTION.search(sentence, neg.end())
    if cut is None or _NEGATION.search(sentence, cut.end()):
        return None
    return cut.end(), len(sentence)


def reread_correction(reader: Reader, question: str, passage: str, span: Span, floor: float) -> Span | None:
    """``span``'s sentence read alone when it corrects a negated clause; the re-read answer, placed
    in ``passage``, when it lies in the correcting clause and the reader accepts it."""
    left, right = _sentence_bounds(passage, span.start, span.end)
    sentence = passage[left:right]
    clause = correcting_clause(sentence)
    if clause is None or sentence.strip() == passage.strip():
        return None
    found = reader.read_pairs([(question, sentence)], top_n=1)[0]
    if not found or found[0].start < clause[0]:
        return None  # the negated alternative is never the answer
    best = found[0]
    if not (reader.accepts(best) or (best.score >= floor and corrects_asked(question, sentence[:clause[0]]))):
        return None
    return replace(best, start=left + best.start, end=left + best.end, passage=span.passage)


def corrects_asked(question: str, negated: str) -> bool:
    """Whether a correction answers ``question``: the question is not negated itself and the negated
    clause holds at least two in three of its content words ("meeting", "held" in "The meeting was
    not held in Paris"): the text states what the question asks, then replaces the value, which
    readers trained on plain statements score low."""
    if _NEGATION.search(question):
        return False
    asked = {w.lower() for w in content_words(question)}
    said = {w.lower() for w in re.findall(r"\w+", negated)}
    return bool(asked) and 3 * len(asked - said) <= len(asked)


def foreign_share(text: str) -> float:
    """The share of ``text``'s letters written outside Latin script."""
    foreign = sum(len(m.group()) for m in _FOREIGN_WORD.finditer(text))
    latin = len(_LATIN_LETTER.findall(text))
    return foreign / max(1, foreign + latin)


def mask_foreign(text: str) -> tuple[str, list[int]]:
    """``text`` with each word outside Latin script written as :data:`MASK`, and for each character
    of the result its offset in ``text`` (one past the end for the end)."""
    out: list[str] = []
    where: list[int] = []
    at = 0
    for m in _FOREIGN_WORD.finditer(text):
        out.append(text[at:m.start()])
        where.extend(range(at, m.start()))
        out.append(MASK)
        where.append(m.start())
        at = m.end()
    out.append(text[at:])
    where.extend(range(at, len(text) + 1))
    return "".join(out), where


def _asks_for(question: str) -> str | None:
    """``"name"`` for a who-question, ``"number"`` for when / how many / what year, else None."""
    q = question.lower()
    if re.search(r"\bwho(?:m|se)?\b", q):
        return "name"
    if re.search(r"\b(?:when|what year|how (?:many|much|old|long))\b", q):
        return "number"
    return None


def latin_island(question: str, span_text: str) -> bool:
    """Whether ``span_text`` (read from a masked passage) is a run of Latin-script words of the form
    the question asks for: capitalised words for who, digits for when / how many."""
    if MASK in span_text or not span_text.strip():
        return False
    kind = _asks_for(question)
    words = span_text.split()
    if kind == "name":
        return all(_LATIN_LETTER.match(w) and w[0].isupper() for w in words)
    if kind == "number":
        return any(c.isdigit() for c in span_text)
    return False


def reread_foreign(reader: Reader, question: str, passage: str, span: Span, floor: float) -> Span | None:
    """``passage`` read again with its non-Latin words masked, when most of its letters are non-Latin
    and the question's are Latin; the best span, placed in ``passage``, when it is a
    :func:`latin_island` of at least ``floor`` (:data:`qa.answer.reading.MIN_SPAN_SCORE`) and
    :data:`ISLAND_MARGIN` times the next candidate."""
    if foreign_share(passage) < FOREIGN_SHARE or foreign_share(question) > 0.2:
        return None
    masked, where = mask_foreign(passage)
    found = reader.read_pairs([(question, masked)], top_n=2)[0]
    if not found:
        return None
    best, runner_up = found[0], (found[1].score if len(found) > 1 else 0.0)
    if best.score < floor or best.score < ISLAND_MARGIN * runner_up or not latin_island(question, best.text):
        return None
    start, end = where[best.start], where[best.end - 1] + 1
    return replace(best, text=passage[start:end], start=start, end=end, passage=span.passage)


def reread(reader: Reader, question: str, passage: str, span: Span, floor: float) -> Span | None:
    """The span to answer with where ``span``, the passage's best, was declined: a second read of a
    corrected fact (:func:`reread_correction`) or of a passage in another script
    (:func:`reread_foreign`); None when neither applies or the second read declines too. ``floor``: the
    least span probability a span accepted on evidence needs (:data:`qa.answer.reading.MIN_SPAN_SCORE`)."""
    return (reread_correction(reader, question, passage, span, floor)
            or reread_foreign(reader, question, passage, span, floor))
