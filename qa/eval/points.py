"""Operating points: how coverage and accuracy move with the no-answer threshold.

A question's *candidates* are the spans the reader would offer at threshold 0: in open mode the
best span of each retrieved passage (what :meth:`qa.pipeline.QA.ask` ranks), in reader mode the
best span of the question's own context. Each carries the value the threshold applies to
(:meth:`qa.answer.reading.Span.confidence`), so the answer at any threshold is found without
reading again (:func:`answer_at`), and a sweep over thresholds (:func:`sweep`) gives the
coverage-accuracy curve that ``qa eval --html`` draws and from which the named points of
:data:`qa.answer.reading.OPERATING_POINTS` are chosen (:func:`choose_points`).

Measures at a threshold, over a file's questions (unanswerable ones included):

- ``coverage``: the share of questions answered;
- ``accuracy``: the share of given answers that are right (exact match; an answer to an
  unanswerable question is wrong);
- ``answered_f1``: the mean F1 of the given answers;
- ``f1``: the SQuAD 2.0 F1 over all questions (declining an unanswerable one scores 1),
  with ``no_answer_accuracy`` and ``has_answer_coverage`` (answerable questions answered).
"""

from __future__ import annotations

import copy
import math
from dataclasses import asdict, dataclass

import numpy as np

from qa.answer.reading import MIN_SPAN_SCORE, Reader
from qa.eval.evaluation import exact_match, f1_score


@dataclass
class Candidate:
    """A span the reader offers for a question, and what deciding on it needs.

    ``confidence``: what the threshold applies to; ``score``: the span probability (ranks
    answers); ``rank``: its passage's retrieval rank; ``supported``: the question's key names
    it (:func:`qa.answer.verify.keyed_value`), so it is accepted under any threshold up to 1.
    """

    text: str
    score: float
    confidence: float
    rank: int = 0
    supported: bool = False


def reader_at_zero(reader: Reader) -> Reader:
    """A copy of ``reader`` (sharing its model) that accepts every span: threshold 0."""
    twin = copy.copy(reader)
    twin.threshold = 0.0
    return twin


def open_candidates(qa, question: str, top_k: int = 5) -> list[Candidate]:
    """The best span of each of the ``top_k`` passages retrieved for ``question``, as
    :meth:`qa.pipeline.QA.ask` reads them (question words mended, contradicted spans passed over).

    Follow-ups and versions of one document are not modelled: each question stands alone.
    """
    from qa.answer.questions import mend_question_word
    from qa.pipeline import _span_checks, check_question

    read_as = mend_question_word(check_question(question))
    retrieved = qa.retriever.retrieve(read_as, top_k)
    check, keyed = _span_checks(read_as)
    texts = [r.passage.text for r in retrieved]
    spans = reader_at_zero(qa.reader).read(read_as, texts, top_n=len(texts), keep=check)
    return [Candidate(s.text, s.score, qa.reader.confidence(s), s.passage,
                      s.score >= MIN_SPAN_SCORE and keyed(texts[s.passage], s)) for s in spans]


def reader_candidates(reader: Reader, question: str, context: str) -> list[Candidate]:
    """The best span of ``context`` for ``question`` (reader mode), or none."""
    spans = reader.read_pairs([(question, context)])[0]
    return [Candidate(s.text, s.score, reader.confidence(s)) for s in spans[:1]]


def answer_at(candidates: list[Candidate], threshold: float, rank_decay: float = 0.5) -> Candidate | None:
    """The answer given at ``threshold``: of the accepted candidates (confidence at least the
    threshold, or supported under a threshold of at most 1), the one with the best
    ``score * exp(-rank_decay * rank)``, as :meth:`qa.pipeline.QA.ask` ranks them; None = declined."""
    accepted = [c for c in candidates if c.confidence >= threshold or (c.supported and threshold <= 1)]
    return max(accepted, key=lambda c: c.score * math.exp(-rank_decay * c.rank), default=None)


def measure(rows: list[dict], threshold: float, rank_decay: float = 0.5) -> dict:
    """Coverage, accuracy, answered F1, F1, no-answer accuracy and answerable coverage (fractions in
    [0, 1]) of ``rows`` (``{"answers", "candidates": [Candidate]}``) at ``threshold``."""
    given, em, f1, overall, declined_right, answerable_given = 0, 0.0, 0.0, 0.0, 0, 0
    unanswerable = sum(not r["answers"] for r in rows)
    for r in rows:
        best = answer_at(r["candidates"], threshold, rank_decay)
        if best is None:
            overall += 0.0 if r["answers"] else 1.0
            declined_right += not r["answers"]
            continue
        given += 1
        answerable_given += bool(r["answers"])
        e, f = exact_match(best.text, r["answers"]), f1_score(best.text, r["answers"])
        em, f1, overall = em + e, f1 + f, overall + f
    n = max(len(rows), 1)
    return {"threshold": float(threshold), "coverage": given / n, "accuracy": em / given if given else 1.0,
            "answered_f1": f1 / given if given else 1.0, "f1": overall / n,
            "no_answer_accuracy": declined_right / unanswerable if unanswerable else None,
            "has_answer_coverage": answerable_given / max(len(rows) - unanswerable, 1)}


def question_f1s(rows: list[dict], threshold: float, rank_decay: float = 0.5) -> np.ndarray:
    """Each question's F1 at ``threshold`` (declining an unanswerable question scores 1)."""
    out = []
    for r in rows:
        best = answer_at(r["candidates"], threshold, rank_decay)
        out.append(f1_score(best.text if best else "", r["answers"]))
    return np.array(out)


def thresholds_of(rows: list[dict], steps: int = 400) -> list[float]:
    """Thresholds worth trying: 0, and the quantiles of the candidates' confidences."""
    conf = np.array([c.confidence for r in rows for c in r["candidates"]] or [0.0])
    return sorted({0.0} | {float(q) for q in np.quantile(conf, np.linspace(0, 1, steps + 1))})


def sweep(rows: list[dict], thresholds: list[float] | None = None, rank_decay: float = 0.5) -> list[dict]:
    """:func:`measure` at each threshold (default :func:`thresholds_of`), lowest threshold first."""
    return [measure(rows, t, rank_decay) for t in (thresholds or thresholds_of(rows))]


# How the named points are chosen on a curve (docs/readers.md, "Operating points"): "balanced" has
# the best F1; "answer-more" is the highest threshold under it that declines at most this share of the
# answerable questions balanced declines (of those threshold 0 answers); "careful" the lowest above it
# that gives at most this share of balanced's wrong answers (not an exact match).
ANSWER_MORE_MISSED = 0.5
CAREFUL_WRONG = 0.5


def wrong_share(point: dict) -> float:
    """The share of all questions that get a wrong answer (given, not an exact match) at ``point``."""
    return point["coverage"] * (1 - point["accuracy"])


def choose_points(curve: list[dict], balanced: dict | None = None) -> dict[str, float]:
    """The thresholds of "answer-more", "balanced" and "careful" on ``curve`` (:func:`sweep`'s output,
    lowest threshold first), in that order (answer-more <= balanced <= careful). ``balanced``: a
    :func:`measure` of the same questions to take as balanced instead of the curve's best F1 (the
    reader's calibrated threshold, say)."""
    best = balanced or max(curve, key=lambda p: (p["f1"], -p["threshold"]))
    ceiling = max(p["has_answer_coverage"] for p in curve)
    missed = ceiling - best["has_answer_coverage"]
    more = max((p["threshold"] for p in curve if p["threshold"] <= best["threshold"]
                and ceiling - p["has_answer_coverage"] <= ANSWER_MORE_MISSED * missed), default=0.0)
    careful = min((p["threshold"] for p in curve if p["threshold"] >= best["threshold"]
                   and wrong_share(p) <= CAREFUL_WRONG * wrong_share(best)), default=best["threshold"])
    return {"answer-more": more, "balanced": best["threshold"], "careful": careful}


def as_json(candidates: list[Candidate]) -> list[dict]:
    """Candidates as JSON-ready dicts (for a cache of per-question scores)."""
    return [asdict(c) for c in candidates]


def from_json(items: list[dict]) -> list[Candidate]:
    """Candidates back from :func:`as_json`."""
    return [Candidate(**c) for c in items]
