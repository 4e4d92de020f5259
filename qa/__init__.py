"""Extractive question answering over your documents.

Three lines::

    from qa import QA
    qa = QA("index")                      # an index built by `qa index`
    qa.ask("How many boat strikes since August?").answers[0].text   # '35'

The names below load on first use (PEP 562), so ``import qa.train.training`` or
``import qa.answer.reading`` does not pull in the index's dependencies (faiss, bm25s).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__all__ = ["QA", "Answer", "IndexReport", "QuestionError", "Result", "build_index"]

if TYPE_CHECKING:
    from qa.pipeline import QA, Answer, IndexReport, QuestionError, Result, build_index


def __getattr__(name: str):
    if name in __all__:
        from qa import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'qa' has no attribute {name!r}")
