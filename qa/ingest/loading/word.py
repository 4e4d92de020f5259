"""DOCX to text with python-docx, in document order.

Paragraphs and tables come in the order they stand in the body, so a table
follows the paragraph that introduces it. A table row is one line with its
cells joined by `` | `` (a merged cell counted once); a table nested in a cell
follows its row, row by row, each of its rows led by the outer row's cells
before it. A table under a header row (marked to repeat on each page, or all bold, or judged
by :func:`qa.ingest.loading.tables.looks_like_header`) names the column in each cell
(:func:`qa.ingest.loading.tables.row_texts`). Header and footer text comes first, each distinct line once;
footnotes and endnotes come last.

Text is read from the document's XML as Word shows it with changes accepted: tracked insertions
in, deletions out, the values of content controls and fields (not their codes), text boxes as
lines after their paragraph (once, not again from their fallback drawing), and numbered list
paragraphs with their numbers ("3. Seal the box").
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from qa.ingest.loading.errors import LoadError
from qa.ingest.loading.limits import check_zip
from qa.ingest.loading.tables import row_texts, title_rows
from qa.ingest.loading.text import CELL_SEP, LIST_NUMBERS

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_NOT_SHOWN = {_W + "del", _W + "moveFrom", _W + "delText", _W + "instrText", _FALLBACK}  # deleted, field codes


def _inline(element, out: list[str], boxes: list) -> None:
    """Append the text of a paragraph's content to ``out`` as Word shows it; text boxes found
    go to ``boxes`` (read as blocks of their own)."""
    for child in element:
        tag = child.tag
        if tag == _W + "t":
            out.append(child.text or "")
        elif tag in (_W + "tab", _W + "ptab"):
            out.append("\t")
        elif tag in (_W + "br", _W + "cr"):
            out.append("" if child.get(_W + "type") in ("page", "column") else "\n")
        elif tag == _W + "noBreakHyphen":
            out.append("-")
        elif tag == _W + "txbxContent":
            boxes.append(child)
        elif tag == _W + "sdt" and _placeholder(child):
            continue
        elif tag not in _NOT_SHOWN and isinstance(tag, str):
            _inline(child, out, boxes)


def _placeholder(sdt) -> bool:
    """Whether a content control shows its placeholder ("Click or tap here to enter text.") or
    is a generated table of contents: neither is the document's text."""
    props = sdt.find(_W + "sdtPr")
    if props is None:
        return False
    gallery = props.find(f"{_W}docPartObj/{_W}docPartGallery")
    return props.find(_W + "showingPlcHdr") is not None or (
        gallery is not None and gallery.get(_W + "val") == "Table of Contents")


def _blocks(container, parent, numbers: _Numbers | None = None):
    """The paragraphs (text) and tables (python-docx ``Table``) of a body, cell, header, note or
    text box, in document order; block content controls are opened, text boxes follow their
    paragraph. ``parent``: the python-docx object tables hang from."""
    from docx.table import Table

    for child in container:
        tag = child.tag
        if tag == _W + "p":
            out: list[str] = []
            boxes: list = []
            _inline(child, out, boxes)
            text = "".join(out)
            yield (numbers.label(child, text) if numbers else "") + text
            for box in boxes:
                yield from _blocks(box, parent, numbers)
        elif tag == _W + "tbl":
            yield Table(child, parent)
        elif tag == _W + "sdt" and not _placeholder(child):
            content = child.find(_W + "sdtContent")
            yield from _blocks(content if content is not None else [], parent, numbers)
        elif tag in (_W + "customXml", _W + "ins", _W + "moveTo"):
            yield from _blocks(child, parent, numbers)


def _cell_text(cell, nested: list[str], row_so_far: list[str]) -> str:
    """The paragraphs of a cell on one line. Its nested tables' lines go to ``nested``, each led
    by the row's cells before it ("Chemistry | Room | B-214"), so a value keeps its row."""
    parts = []
    for item in _blocks(cell._tc, cell):
        if isinstance(item, str):
            parts.append(item)
        else:
            lead = [c for c in row_so_far if c] + ([" ".join(" ".join(parts).split())] if any(parts) else [])
            nested.extend(CELL_SEP.join([*lead, line]) for line in table_lines(item))
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
    titles = title_rows(rows)  # one cell across the table: its title
    for row, nested in zip(rows[:titles], nested_of, strict=False):
        lines.extend([row[0], *nested] if row[0] else nested)
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


def _lines(container, parent, numbers: _Numbers | None = None) -> list[str]:
    """The lines of a body, header or note: a paragraph a line, a table a line per row."""
    lines: list[str] = []
    for block in _blocks(container, parent, numbers):
        lines.extend([block] if isinstance(block, str) else table_lines(block))
    return lines


def _header_lines(doc) -> list[str]:
    """The text of the sections' headers and footers, each distinct line once, before the body
    (a header can hold facts: "Confidential memo prepared by Helga Vandermeer")."""
    lines: list[str] = []
    for section in doc.sections:
        for part in (section.header, section.footer):
            if part.is_linked_to_previous and lines:
                continue
            for line in _lines(part._element, part):
                if line.strip() and line not in lines:
                    lines.append(line)
    return lines


def _note_lines(doc) -> list[str]:
    """The text of the footnotes and endnotes, in their order, after the body."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.oxml import parse_xml

    lines: list[str] = []
    for rel in doc.part.rels.values():
        if rel.is_external or rel.reltype not in (RT.FOOTNOTES, RT.ENDNOTES):
            continue
        root = parse_xml(rel.target_part.blob)
        for note in root:
            if note.tag in (_W + "footnote", _W + "endnote") and note.get(_W + "type") in (None, "normal"):
                lines.extend(_lines(note, doc._body))
    return lines


class _Numbers:
    """The numbers Word draws before numbered list paragraphs ("1.", "2.", "a)", "iv."), counted
    per list and level from ``numbering.xml`` (a list's start and start overrides kept); bullets
    and unnumbered paragraphs get none. Not drawn: heading numbering tied to a style by the
    level itself, and numbers counted inside table cells."""

    def __init__(self, doc):
        self.levels: dict[tuple[str, int], tuple[str, str, int]] = {}  # (numId, ilvl) -> (format, text, start)
        self.counts: dict[tuple[str, int], int] = {}
        self.styles = {st.style_id: st.element for st in doc.styles}
        try:
            numbering = doc.part.numbering_part.element
        except (KeyError, NotImplementedError):
            return
        abstract = {a.get(_W + "abstractNumId"): a for a in numbering.findall(_W + "abstractNum")}
        for num in numbering.findall(_W + "num"):
            ref = num.find(_W + "abstractNumId")
            for lvl in abstract.get(ref.get(_W + "val") if ref is not None else None, []):
                if lvl.tag == _W + "lvl":
                    self.levels[(num.get(_W + "numId"), int(lvl.get(_W + "ilvl", 0)))] = _level(lvl)
            for override in num.findall(_W + "lvlOverride"):
                key = (num.get(_W + "numId"), int(override.get(_W + "ilvl", 0)))
                start = override.find(_W + "startOverride")
                if override.find(_W + "lvl") is not None:
                    self.levels[key] = _level(override.find(_W + "lvl"))
                if start is not None and key in self.levels:
                    self.levels[key] = (*self.levels[key][:2], int(start.get(_W + "val", 1)))

    def label(self, p, text: str) -> str:
        """The number before paragraph ``p`` (whose text is ``text``) and a space ("3. "), or ""
        when it has none; an empty numbered paragraph is counted all the same, as Word does."""
        key = self._num_pr(p)
        fmt, pattern, start = self.levels.get(key, ("", "", 1)) if key else ("", "", 1)
        if key is None or fmt not in LIST_NUMBERS:
            return ""  # bullets, and numbering this reader does not draw
        self.counts[key] = self.counts.get(key, start - 1) + 1
        for deeper in [k for k in self.counts if k[0] == key[0] and k[1] > key[1]]:
            del self.counts[deeper]  # a sub-list starts again under each item
        out = pattern
        for level in range(key[1] + 1):
            f, _, s0 = self.levels.get((key[0], level), ("decimal", "", 1))
            value = self.counts.get((key[0], level), s0)
            out = out.replace(f"%{level + 1}", LIST_NUMBERS.get(f, str)(value))
        return out.strip() + " " if out.strip() and text.strip() else ""

    def _num_pr(self, p) -> tuple[str, int] | None:
        """(numId, level) of a paragraph's numbering, from its own properties and then its
        style's (and the styles that one is based on); None without."""
        ppr = p.find(_W + "pPr")
        num_id, ilvl = _num_parts(ppr.find(_W + "numPr") if ppr is not None else None)
        style = ppr.find(_W + "pStyle") if ppr is not None else None
        seen = 0
        while (num_id is None or ilvl is None) and style is not None and seen < 10:
            element = self.styles.get(style.get(_W + "val"))
            spr = element.find(_W + "pPr") if element is not None else None
            more_id, more_lvl = _num_parts(spr.find(_W + "numPr") if spr is not None else None)
            num_id, ilvl = num_id or more_id, ilvl if ilvl is not None else more_lvl
            style = element.find(_W + "basedOn") if element is not None else None
            seen += 1
        return None if num_id in (None, "0") else (num_id, ilvl or 0)


def _num_parts(num_pr) -> tuple[str | None, int | None]:
    """The numId and level a ``w:numPr`` sets (None for what it leaves to the style)."""
    if num_pr is None:
        return None, None
    num_id, ilvl = num_pr.find(_W + "numId"), num_pr.find(_W + "ilvl")
    return (num_id.get(_W + "val") if num_id is not None else None,
            int(ilvl.get(_W + "val")) if ilvl is not None else None)


def _level(lvl) -> tuple[str, str, int]:
    """A numbering level's (format, text pattern such as "%1.", start)."""
    fmt, text, start = (lvl.find(_W + k) for k in ("numFmt", "lvlText", "start"))
    return (fmt.get(_W + "val") if fmt is not None else "decimal", text.get(_W + "val") if text is not None else "",
            int(start.get(_W + "val")) if start is not None else 1)


def read_docx(path: Path) -> str:
    """The body text of a DOCX file, one paragraph or table row a line.

    Raises:
        LimitExceeded: the zip package is past the archive limits (:func:`qa.ingest.loading.limits.check_zip`).
        LoadError: the file is not a readable DOCX.
    """
    from docx import Document as DocxDocument
    from docx.opc.exceptions import OpcError
    from lxml.etree import XMLSyntaxError

    check_zip(path)
    try:
        doc = DocxDocument(str(path))
        lines = _header_lines(doc) + _lines(doc.element.body, doc._body, _Numbers(doc)) + _note_lines(doc)
    except (zipfile.BadZipFile, OpcError, KeyError, ValueError, AttributeError, XMLSyntaxError, EOFError) as e:
        detail = "not a Word zip package" if type(e).__name__ == "PackageNotFoundError" else str(e)
        raise LoadError(f"corrupt or unreadable DOCX ({detail})") from e
    return "\n".join(line for line in lines if line.strip())
