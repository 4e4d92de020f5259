"""Retrieval: the passages most likely to answer a question.

Dense retrieval (FAISS inner product of unit embeddings) and sparse BM25
(:mod:`qa.store.keywords`, saved with the index) are fused by
reciprocal rank fusion (Cormack, Clarke & Büttcher, 2009):
``score(p) = sum over rankings r of 1 / (k + rank_r(p))`` with k = 60.

A question that names a code (``AP-1012``, ``ap1012``, ``ISO 9001``:
:func:`qa.store.keywords.code_terms`) wants the passages that hold it: in hybrid and
BM25 modes, passages holding more of the question's codes rank above those holding
fewer, each group in its fused order. Among 50 near-identical product sheets the dense
ranking barely tells them apart, and fusion alone let it outvote the one exact match.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qa.ingest.splitting import Passage
from qa.store.embedding import Embedder
from qa.store.index import PassageIndex
from qa.store.keywords import code_terms

MODES = ("hybrid", "dense", "bm25")
RRF_K = 60
# Keyword hits scoring under this share of the best one matched only words found almost everywhere;
# their order is noise, and in fusion it would outvote a rare, exact match (a name or a code).
KEYWORD_FLOOR = 0.1


@dataclass
class RetrievedPassage:
    """A retrieved passage and its scores.

    ``score`` ranks the results (the RRF score in hybrid mode, else the
    mode's own score); ``dense`` is the cosine similarity in [-1, 1] and
    ``bm25`` the BM25 score (>= 0), each None when that retriever did not
    return the passage.
    """

    passage: Passage
    score: float
    dense: float | None = None
    bm25: float | None = None


class Retriever:
    """Finds the top-k passages of an index for a question.

    Args:
        index: the passage index.
        embedder: embeds questions; its ``name`` must match the index's model.
        mode: "hybrid" (dense + BM25, fused; default), "dense" or "bm25".
        candidates: how many passages each retriever proposes before fusion.

    Raises:
        ValueError: unknown mode, or an embedder other than the index's.
    """

    def __init__(self, index: PassageIndex, embedder: Embedder, mode: str = "hybrid",
                 candidates: int = 50):
        if mode not in MODES:
            raise ValueError(f"retrieval mode must be one of {MODES}, not {mode!r}")
        if embedder.name != index.embedding_model:
            raise ValueError(
                f"index was built with embedding model {index.embedding_model!r}, "
                f"not {embedder.name!r}")
        self.index, self.embedder, self.mode, self.candidates = index, embedder, mode, candidates

    def retrieve(self, question: str, top_k: int = 5) -> list[RetrievedPassage]:
        """The ``top_k`` best passages for ``question``, best first."""
        if not len(self.index) or top_k <= 0:
            return []
        n = max(top_k, self.candidates)
        dense = bm25 = []
        if self.mode in ("hybrid", "dense"):
            query = _encode_question(self.embedder, question)
            dense = self.index.search(query, n)
        if self.mode in ("hybrid", "bm25"):
            bm25 = self.index.keyword_search(question, n)
        if self.mode == "hybrid":
            bm25 = [(i, s) for i, s in bm25 if s >= KEYWORD_FLOOR * bm25[0][1]]
            dense = self._with_dense_scores(dense, bm25, query)
        dense_score, bm25_score = dict(dense), dict(bm25)
        if self.mode == "dense":
            fused = dense
        elif self.mode == "bm25":
            fused = bm25
        else:
            fused = sorted(rrf([dense, bm25]).items(), key=lambda kv: -kv[1])
        if self.mode != "dense":
            fused = self._codes_first(question, fused)
        return [
            RetrievedPassage(self.index.passage(i), s, dense_score.get(i), bm25_score.get(i))
            for i, s in fused[:top_k]
        ]

    def _codes_first(self, question: str, ranked: list[tuple[int, float]]) -> list[tuple[int, float]]:
        """``ranked`` (position, score) pairs reordered so that passages holding more of the codes
        ``question`` names come first, in their order otherwise (unchanged when it names none)."""
        codes = code_terms(question)
        if not codes:
            return ranked
        held = self.index.term_counts(codes, [i for i, _ in ranked])
        order = sorted(range(len(ranked)), key=lambda j: -held[j])
        return [ranked[j] for j in order]

    def _with_dense_scores(self, dense: list[tuple[int, float]], bm25: list[tuple[int, float]],
                           query) -> list[tuple[int, float]]:
        """The dense ranking over the union of both candidate lists: keyword hits that the
        approximate or cut-off dense search missed get their own cosine, so fusion ranks them
        by both retrievers rather than by one alone."""
        seen = {i for i, _ in dense}
        extra = [(i, float(self.index.vector(i) @ query)) for i, _ in bm25 if i not in seen]
        return sorted(dense + extra, key=lambda h: -h[1])


def rrf(rankings: list[list[tuple[int, float]]], k: int = RRF_K) -> dict[int, float]:
    """Reciprocal rank fusion of ranked (id, score) lists; returns id -> fused score."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, (i, _) in enumerate(ranking, start=1):
            fused[i] = fused.get(i, 0.0) + 1.0 / (k + rank)
    return fused


def _encode_question(embedder, question: str) -> np.ndarray:
    """The question's vector: ``encode_queries`` where the embedder has it (passages may be
    embedded another way, e.g. int8), else ``encode``."""
    encode = getattr(embedder, "encode_queries", None) or embedder.encode
    return encode([question])[0]
