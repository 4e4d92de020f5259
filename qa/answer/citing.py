"""How answers are told: their sources for people, and results as JSON (no heavy imports: the warm
``qa ask`` prints with it, the server replies with it)."""

from __future__ import annotations

import os
from pathlib import Path

from qa.ingest.loading import Page, container_of, page_name


def cite(source: str, page: Page = None, name_only: bool = False) -> str:
    """Where an answer came from, for people: ``"docs/report.pdf, page 3"``,
    ``"deck.pptx, slide 3"``, ``"prices.xlsx, sheet Prices"``, ``"mail.eml › quote.pdf, page 1"``
    (:func:`qa.ingest.loading.page_name`).

    The path is shown relative to the working folder when it lies inside it,
    or as the bare file name with ``name_only`` (the chat page; an attachment keeps its mail's
    name: ``"mail.eml › quote.pdf"``).
    """
    if name_only:
        where = Path(container_of(source)).name + source[len(container_of(source)):]
    else:
        try:
            inside = Path(source).resolve().is_relative_to(Path.cwd())
            where = os.path.relpath(source) if inside else source
        except ValueError:
            where = source
    part = page_name(source, page)
    return where + (f", {part}" if part else "")


def otherwise(kind: str, source: str, page: Page, date: str | None, name_only: bool = False) -> tuple[str, str]:
    """How another version's or document's differing answer is told to people, as (lead, where):
    ("Another version says otherwise", "report-draft.docx, 2024-01-10"); the answer's text goes
    between them. ``kind`` is "version" (a document of the answer's family) or "document"."""
    lead = "Another version says otherwise" if kind == "version" else "Another document says otherwise"
    return lead, cite(source, page, name_only) + (f", {date}" if date else "")


def full_json(result) -> dict:
    """:func:`result_json` plus what printing needs: ``understood_as``, ``abstained`` and each
    answer's ``passage_start`` (the ``/local/ask`` reply of a running server)."""
    data = result_json(result)
    for answer, out in zip(result.answers, data["answers"]):
        out["passage_start"] = answer.passage_start
    return data | {"understood_as": result.understood_as, "abstained": result.abstained}


def result_json(result) -> dict:
    """The ``qa ask --json`` object of a pipeline Result."""
    return {
        "question": result.question,
        "answers": [
            {"text": a.text, "score": round(a.score, 4), "source": a.source, "page": a.page,
             "part": page_name(a.source, a.page), "start": a.start, "end": a.end, "passage": a.passage,
             "modified": a.date,
             "others": [{"text": o.text, "score": round(o.score, 4), "source": o.source, "page": o.page,
                         "modified": o.date, "kind": o.kind} for o in a.others]}
            for a in result.answers
        ],
        "passages": [
            {"text": r.passage.text, "score": round(r.score, 6), "source": r.passage.source,
             "page": r.passage.page, "part": page_name(r.passage.source, r.passage.page),
             "start": r.passage.start, "end": r.passage.end}
            for r in result.passages
        ],
    }
