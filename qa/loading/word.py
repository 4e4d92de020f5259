"""DOCX to text with python-docx, in document order.

Paragraphs and tables come in the order they stand in the body, so a table
follows the paragraph that introduces it. A table row is one line with its
cells joined by `` | `` (a merged cell counted once); a table nested in a cell
follows its row, row by row, each of its rows led by the outer row's cells
before it. A table under a header row (marked to repeat on each page, or all bold, or judged
by :func:`qa.loading.tables.looks_like_header`) names the column in each cell
(:func:`qa.loading.tables.row_texts`). Header and footer text comes first, each distinct line once.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from qa.loading.errors import LoadError
from qa.loading.tables import row_texts, spans_all
from qa.loading.text import CELL_SEP


def _cell_text(cell, nested: list[str], row_so_far: list[str]) -> str:
    """The paragraphs of a cell on one line. Its nested tables' lines go to ``nested``, each led
    by the row's cells before it ("Chemistry | Room | B-214"), so a value keeps its row."""
    from docx.table import Table

    parts = []
    for item in cell.iter_inner_content():
        if isinstance(item, Table):
            lead = [c for c in row_so_far if c] + ([" ".join(" ".join(parts).split())] if any(parts) else [])
            nested.extend(CELL_SEP.join([*lead, line]) for line in table_lines(item))
        else:
            parts.append(item.text)
    return " ".join(" ".join(parts).split())


def table_lines(table) -> list[str]:
    """The rows of a python-docx table as lines, nested tables after their row."""
    rows, nested_of = [], []
    for row in table.rows:
        seen: list = []
        cells: list[str | None] = []
        nested: list[str] = []
        for cell in row.cells:
            if any(cell._tc is tc for tc in seen):  # a merged cell repeats in row.cells
                cells.append(None)
                continue
            seen.append(cell._tc)
            cells.append(_cell_text(cell, nested, [c for c in cells if c]))
        rows.append(cells)
        nested_of.append(nested)
    lines: list[str] = []
    titles = 0
    while titles + 1 < len(rows) and spans_all(rows[titles]):  # one cell across the table: its title
        lines.extend([rows[titles][0], *nested_of[titles]] if rows[titles][0] else nested_of[titles])
        titles += 1
    texts = row_texts(rows[titles:], _marked_header(table, titles))
    for text, nested in zip(texts, nested_of[titles:], strict=True):
        lines.extend([text] if text else [])
        lines.extend(nested)
    return lines


def _marked_header(table, first: int = 0) -> bool | None:
    """True when row ``first`` (the first under any title rows) is marked as a header: set to
    repeat on every page, or all its text bold; None (let the text decide) otherwise."""
    from docx.oxml.ns import qn

    if len(table.rows) <= first:
        return None
    tr = table.rows[first]._tr
    if tr.trPr is not None and tr.trPr.find(qn("w:tblHeader")) is not None:
        return True
    runs = [r for c in table.rows[first].cells for para in c.paragraphs for r in para.runs if r.text.strip()]
    return True if runs and all(r.bold for r in runs) else None


def _header_lines(doc) -> list[str]:
    """The text of the sections' headers and footers, each distinct line once, before the body
    (a header can hold facts: "Confidential memo prepared by Helga Vandermeer")."""
    from docx.table import Table

    lines: list[str] = []
    for section in doc.sections:
        for part in (section.header, section.footer):
            if part.is_linked_to_previous and lines:
                continue
            for block in part.iter_inner_content():
                for line in (table_lines(block) if isinstance(block, Table) else [block.text]):
                    if line.strip() and line not in lines:
                        lines.append(line)
    return lines


def read_docx(path: Path) -> str:
    """The body text of a DOCX file, one paragraph or table row a line.

    Raises:
        LoadError: the file is not a readable DOCX.
    """
    from docx import Document as DocxDocument
    from docx.opc.exceptions import OpcError
    from docx.table import Table

    try:
        doc = DocxDocument(str(path))
        lines: list[str] = _header_lines(doc)
        for block in doc.iter_inner_content():
            if isinstance(block, Table):
                lines.extend(table_lines(block))
            else:
                lines.append(block.text)
    except (zipfile.BadZipFile, OpcError, KeyError, ValueError, AttributeError) as e:
        detail = "not a Word zip package" if type(e).__name__ == "PackageNotFoundError" else str(e)
        raise LoadError(f"corrupt or unreadable DOCX ({detail})") from e
    return "\n".join(line for line in lines if line.strip())
