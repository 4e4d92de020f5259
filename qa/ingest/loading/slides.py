"""PPTX slides to text with python-pptx (MIT): one part per slide, cited by its number.

A slide reads: its title first, then its other shapes in reading order (top to bottom, left to
right; shapes whose tops lie within :data:`SAME_LINE` of each other are one line of the slide,
read left to right), a text box a line per paragraph, a table a line per row
(:func:`qa.ingest.loading.tables.row_texts`: labelled when the table's first row is marked as a header
or looks like one), a group's shapes in their own reading order, a chart by its title, a
SmartArt diagram a line per node. The speaker notes follow the slide, after a line
"Speaker notes:". Slide-number and date placeholders are left out.
"""

from __future__ import annotations

from pathlib import Path

from qa.ingest.loading.errors import reading
from qa.ingest.loading.limits import LimitExceeded, current
from qa.ingest.loading.office import open_package
from qa.ingest.loading.tables import row_texts

SAME_LINE = 228600  # EMU (0.25 inch): shapes whose tops differ by less stand side by side


def _reading_order(shapes) -> list:
    """Shapes sorted top to bottom, then left to right within a line (see :data:`SAME_LINE`)."""
    placed = sorted(shapes, key=lambda s: (s.top or 0, s.left or 0))
    lines: list[list] = []
    for shape in placed:
        if lines and (shape.top or 0) - (lines[-1][0].top or 0) < SAME_LINE:
            lines[-1].append(shape)
        else:
            lines.append([shape])
    return [s for line in lines for s in sorted(line, key=lambda s: s.left or 0)]


def _table_lines(table) -> list[str]:
    """A slide table's rows as lines; a cell covered by a merge counts once."""
    rows = [[None if cell.is_spanned else " ".join(cell.text.split()) for cell in row.cells]
            for row in table.rows]
    marked = True if getattr(table, "first_row", False) else None
    return [t for t in row_texts(rows, marked) if t]


def _shape_lines(shape) -> list[str]:
    """The lines one shape shows: paragraphs, table rows, a group's shapes, a chart's title."""
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
        return [line for s in _reading_order(shape.shapes) for line in _shape_lines(s)]
    if getattr(shape, "has_table", False) and shape.has_table:
        return _table_lines(shape.table)
    if getattr(shape, "has_chart", False) and shape.has_chart:
        chart = shape.chart
        if chart.has_title and chart.chart_title.has_text_frame:
            return [chart.chart_title.text_frame.text]
        return []
    if getattr(shape, "has_text_frame", False) and shape.has_text_frame:
        return [p.text.replace("\v", "\n") for p in shape.text_frame.paragraphs]
    return _smartart_lines(shape)


_DGM = "{http://schemas.openxmlformats.org/drawingml/2006/diagram}"
_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def _smartart_lines(shape) -> list[str]:
    """The text of a SmartArt diagram (its data part's nodes, in their order), a node a line;
    [] for any other shape."""
    from qa.ingest.loading.office import parse_xml

    ids = shape.element.find(f".//{_DGM}relIds")
    if ids is None or not ids.get(_R + "dm"):
        return []
    data = parse_xml(shape.part.related_part(ids.get(_R + "dm")).blob)
    lines = []
    for point in data.iter(_DGM + "pt"):
        if point.get("type", "node") != "node":
            continue
        text = point.find(_DGM + "t")
        if text is not None:
            lines += ["".join(t.text or "" for t in para.iter(_A + "t")) for para in text.iter(_A + "p")]
    return lines


def _furniture(shape) -> bool:
    """A slide-number or date placeholder: the same on every slide, never an answer."""
    from pptx.enum.shapes import PP_PLACEHOLDER

    if not shape.is_placeholder:
        return False
    try:
        kind = shape.placeholder_format.type
    except ValueError:
        return False
    return kind in (PP_PLACEHOLDER.SLIDE_NUMBER, PP_PLACEHOLDER.DATE)


def slide_text(slide) -> str:
    """One slide's text: title, the other shapes in reading order, then its speaker notes
    (slide-number and date placeholders left out)."""
    title = slide.shapes.title
    lines = _shape_lines(title) if title is not None else []
    others = [s for s in slide.shapes
              if (title is None or s.shape_id != title.shape_id) and not _furniture(s)]
    for shape in _reading_order(others):
        lines.extend(_shape_lines(shape))
    if slide.has_notes_slide:
        frame = slide.notes_slide.notes_text_frame
        notes = frame.text.strip() if frame is not None else ""
        if notes:
            lines += ["Speaker notes:", notes]
    return "\n".join(line for line in lines if line.strip())


def read_pptx(path: str | Path) -> list[tuple[int, str]]:
    """``(slide number from 1, text)`` of each slide of a PPTX deck.

    Raises:
        LoadError: encrypted, corrupt or not a presentation.
        LimitExceeded: past the zip or text limits.
    """
    open_package(path, "PPTX")
    from pptx import Presentation

    parts, total, limit = [], 0, current().text_chars
    with reading("PPTX"):
        deck = Presentation(str(path))
        for number, slide in enumerate(deck.slides, start=1):
            text = slide_text(slide)
            total += len(text)
            if total > limit:
                raise LimitExceeded(f"more than {limit:,} characters of text (the text_chars limit)")
            parts.append((number, text))
    return parts
