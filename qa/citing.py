"""How answers name their source for people (no heavy imports: the warm ``qa ask`` prints with it)."""

from __future__ import annotations

import os
from pathlib import Path

from qa.loading import Page, container_of, page_name


def cite(source: str, page: Page = None, name_only: bool = False) -> str:
    """Where an answer came from, for people: ``"docs/report.pdf, page 3"``,
    ``"deck.pptx, slide 3"``, ``"prices.xlsx, sheet Prices"``, ``"mail.eml › quote.pdf, page 1"``
    (:func:`qa.loading.page_name`).

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
