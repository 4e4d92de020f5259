"""PDF to text as a person reads it, with pdfplumber (MIT; on pdfminer.six, MIT).

Per page: ruled tables come from pdfplumber's table finder, one row a line
with cells joined by `` | ``; the other text comes as lines, where a wide gap
between words (an unruled table's columns) also becomes `` | ``. A page set
in columns of prose (a newsletter, a paper) is read column by column: each
column from top to bottom, then the next (see :func:`column_gutters`); a
title or table across the columns splits the page into bands read in turn. Glyphs drawn
twice at one place count once. Lines that
repeat at the top or bottom of most pages (running headers, footers, page
numbers) are dropped. Lines are unwrapped into paragraphs: a line break inside
a paragraph becomes a space, and a word hyphenated across it is joined when
the joined word is a word (see :func:`join_hyphenated`). A paragraph that
runs on from one page to the next is joined the same way, so a sentence is
never cut by a page break; each page's character range is kept for citing.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import math
import re
import statistics
import unicodedata
from pathlib import Path

from qa.ingest.loading import limits
from qa.ingest.loading.errors import LoadError
from qa.ingest.loading.layout import Line, _bands, _centre, _label_unruled, _reading_order, column_gutters
from qa.ingest.loading.limits import LimitExceeded, bounded_pdf_streams
from qa.ingest.loading.ocr import MAX_SIDE, OCR_DPI, OcrMissing, OnPage, Scanned, cached_words, find_words
from qa.ingest.loading.ocr import page_lines as ocr_lines
from qa.ingest.loading.tables import header_names, labelled_rows, table_lines
from qa.ingest.loading.text import CELL_SEP, english_words, normalize

_EDGE_LINES = 3  # lines at the top and at the bottom of a page that may be a header or footer
_SENTENCE_END = re.compile(r"[.!?:;\"'”’)\]]$")
_HYPHEN_END = re.compile(r"(\w+)-$")
_WORD_START = re.compile(r"^(\w+)")
_BULLET = re.compile(r"^(?:[•◦▪‣\-–*]|\(?\d{1,3}[.)]|\(?[a-z][.)])\s")


def join_hyphenated(left: str, right: str, document_words: set[str]) -> str:
    """Join ``left`` ending in "word-" to ``right``: with the hyphen kept or dropped.

    The hyphen goes ("Ther-" + "mal" -> "Thermal") unless the two halves form a
    true compound: the right half starts with a capital ("Anglo-" + "Saxon"),
    the hyphenated compound occurs elsewhere in the document, or both halves
    are words while the joined form is neither in the document nor a word.
    """
    head = _HYPHEN_END.search(left).group(1)
    m = _WORD_START.match(right)
    tail = m.group(1) if m else ""
    joined = (head + tail).lower()
    keep = (
        not tail
        or tail[0].isupper()
        or f"{head}-{tail}".lower() in document_words
        or (joined not in document_words
            and head.lower() in english_words() and tail.lower() in english_words()
            and joined not in english_words())
    )
    return left + right if keep else left[:-1] + right


def _cells_by_gaps(chars: list[dict]) -> str:
    """A line's text, with `` | `` where the gap between characters is wider than 0.8 font sizes.

    Spaces between words are about 0.25 font sizes, and rarely over 0.6 in
    justified text; the columns of a table without rules sit further apart.
    """
    out: list[str] = []
    prev = None
    for ch in chars:
        if prev is not None and ch["x0"] == prev["x0"] and ch["text"] == prev["text"]:
            continue  # pdfplumber repeats a ligature glyph once per letter it expands to
        if prev is not None:
            gap = ch["x0"] - prev["x1"]
            size = max(prev.get("size", 10.0), 1.0)
            if gap > 0.8 * size:
                out.append(CELL_SEP)
            elif gap > 0.15 * size and not out[-1].endswith(" ") and ch["text"] != " ":
                out.append(" ")
        out.append(ch["text"])
        prev = ch
    return re.sub(r"\s+", " ", "".join(out)).strip()


def _table_lines(page, carried: list[str] | None = None) -> tuple[list[Line], list[tuple], list[str] | None]:
    """Ruled tables of a page as row lines, their bounding boxes, and the column names of a
    labelled table that reaches the page's foot (it may run on: see :func:`page_lines`)."""
    lines, boxes, names = [], [], None
    for k, table in enumerate(page.find_tables()):
        boxes.append(table.bbox)
        x0, top, x1, bottom = table.bbox
        rows = [[" ".join(normalize(c or "").split()) for c in row] for row in table.extract()]
        names = header_names(rows)
        if names is not None:
            texts = labelled_rows(names, rows[1:])
        elif k == 0 and carried is not None and top < 0.25 * page.height and rows and len(rows[0]) == len(carried):
            names, texts = carried, labelled_rows(carried, rows)  # runs on from the page before
        else:
            texts = table_lines(rows, header=False)
        for r, text in enumerate(texts):
            lines.append(Line(text, top + r * 1e-3, top + r * 1e-3, x0, x1, True))
        names = names if bottom > 0.75 * page.height else None
    return lines, boxes, names


def _outside(boxes: list[tuple]):
    """A filter for objects whose centre lies in none of the boxes (edges included)."""
    def keep(obj) -> bool:
        cx, cy = _centre(obj)
        return not any(x0 <= cx <= x1 and top <= cy <= bottom for x0, top, x1, bottom in boxes)

    return keep


def _text_lines(page, band: int = 0, column: int = 0) -> list[Line]:
    """The text lines of a (filtered) pdfplumber page, as pdfplumber groups its characters."""
    lines = []
    for ln in page.extract_text_lines(return_chars=True):
        text = normalize(_cells_by_gaps(ln["chars"]))
        if text:
            lines.append(Line(text, ln["top"], ln["bottom"], ln["x0"], ln["x1"], CELL_SEP in text,
                              band, column))
    return lines


def _within(x0: float, top: float, x1: float, bottom: float):
    """A filter for objects whose centre lies in the box (left and top edges included)."""
    def keep(obj) -> bool:
        cx, cy = _centre(obj)
        return x0 <= cx < x1 and top <= cy < bottom

    return keep


def _column_lines(page, words: list[dict], gutters: list[tuple[float, float]], boxes: list[tuple],
                  rows: list[Line]) -> tuple[list[Line], list[Line]]:
    """The text lines of a page set in columns, each with its band and column, and the ruled
    table ``rows`` placed the same way."""
    cuts = [(a + b) / 2 for a, b in gutters]
    x0, top, x1, bottom = page.bbox
    edges = [x0 - 1.0, *cuts, x1 + 1.0]
    bands = _bands(words, boxes, gutters, top, bottom)
    lines = []
    for band, (b_top, b_bottom, across) in enumerate(bands):
        regions = [(edges[0], edges[-1])] if across else list(itertools.pairwise(edges))
        for column, (left, right) in enumerate(regions):
            part = page.filter(_within(left, b_top, right, b_bottom))
            lines += _text_lines(part, band, -1 if across else column)

    def place(row: Line) -> Line:
        band = next((k for k, (a, b, _) in enumerate(bands) if a <= row.top < b), len(bands) - 1)
        column = -1 if bands[band][2] else sum(c <= (row.x0 + row.x1) / 2 for c in cuts)
        return dataclasses.replace(row, band=band, column=column)

    return lines, [place(r) for r in rows]


def page_lines(page, carried: list[str] | None = None) -> tuple[list[Line], list[str] | None]:
    """The lines of one pdfplumber page, tables included, in reading order, and the column names
    of a labelled table at its foot. ``carried``: those of the page before; a table at the top of
    this page with as many columns and no header of its own runs on from there, and its rows
    are labelled with them. A page in columns is read column by column (see the module
    docstring)."""
    turned = _turned_lines(page)
    if turned is not None:
        return turned, None
    page = page.dedupe_chars()  # glyphs drawn twice (fake bold, some font subsets) count once
    rows, boxes, names = _table_lines(page, carried)
    text_page = page.filter(_outside(boxes)) if boxes else page
    words = text_page.extract_words()
    gutters = column_gutters(words)
    if gutters:
        lines, rows = _column_lines(text_page, words, gutters, boxes, rows)
    else:
        lines = _text_lines(text_page)
    lines = _with_form_values(_label_unruled(sorted(lines, key=_reading_order)), page)
    return sorted(lines + rows, key=_reading_order), names


def _turned_lines(page) -> list[Line] | None:
    """The lines of a page whose text runs up or down the sheet (a landscape page stored turned,
    ``/Rotate 90``, or a table printed sideways), read as a person turning the page would; None
    when most of the page's characters are upright (the usual reading applies).

    Characters running down (text matrix b < 0) form lines from the page's right edge leftwards,
    characters running up from its left edge rightwards; a wide gap in a line is a table's
    cell border (`` | ``). Lines running the page's main way come first (their coordinates
    those of the turned page, so that paragraphs are found as on any page), then those running
    the other way; upright lines (a running header, a page number) stay above or below them.
    Tables are not looked for."""
    chars = [c for c in page.chars if c["text"].strip() or c["text"] == " "]
    turned = [c for c in chars if not c.get("upright", True)]
    if not chars or 5 * len(turned) < 4 * len(chars):
        return None
    main = sum(c["matrix"][1] < 0 for c in turned) * 2 >= len(turned)
    lines = []
    for band, down in ((1, main), (2, not main)):
        for group in _columns_of_chars([c for c in turned if (c["matrix"][1] < 0) == down]):
            lines.extend(_turned_line(page, group, down, band))
    for ln in _text_lines(page.filter(lambda obj: obj.get("object_type") != "char" or obj.get("upright", True))):
        lines.append(dataclasses.replace(ln, band=0 if ln.top < page.height / 2 else 3))
    return sorted(lines, key=_reading_order)


def _turned_line(page, group: list[dict], down: bool, band: int) -> list[Line]:
    """One turned line as a :class:`Line` in the turned page's coordinates ([] when blank)."""
    text = normalize(_turned_text(group, down))
    if not text:
        return []
    x0, x1 = min(c["x0"] for c in group), max(c["x1"] for c in group)
    top, bottom = min(c["top"] for c in group), max(c["bottom"] for c in group)
    if down:  # the turned page's top is the sheet's right edge
        return [Line(text, page.width - x1, page.width - x0, top, bottom, CELL_SEP in text, band)]
    return [Line(text, x0, x1, page.height - bottom, page.height - top, CELL_SEP in text, band)]


def _columns_of_chars(chars: list[dict]) -> list[list[dict]]:
    """Turned characters grouped into lines: those whose horizontal centres lie within 30 % of a
    character's height (its x extent, turned) of each other."""
    groups: list[tuple[float, list[dict]]] = []
    for c in sorted(chars, key=lambda c: (c["x0"] + c["x1"]) / 2):
        centre = (c["x0"] + c["x1"]) / 2
        if groups and centre - groups[-1][0] <= 0.3 * (c["x1"] - c["x0"]):
            groups[-1][1].append(c)
        else:
            groups.append((centre, [c]))
    return [g for _, g in groups]


def _turned_text(group: list[dict], down: bool) -> str:
    """A turned line's text in reading order, read by :func:`_cells_by_gaps` (spaces and `` | ``
    from the gaps between glyphs) with each glyph's place along the line as its x and the
    line's height (the glyph's x extent) as its size; drawn spaces are left out."""
    along = [{"text": c["text"], "x0": c["top"] if down else -c["bottom"], "x1": c["bottom"] if down else -c["top"],
              "size": c["x1"] - c["x0"]} for c in group if c["text"].strip()]
    return _cells_by_gaps(sorted(along, key=lambda c: c["x0"]))


def _form_values(page) -> list[tuple[str, float, float, float, float]]:
    """The filled-in values of the page's form fields (text and choice fields; a field's kind
    and value may sit on its parent field): ``(value, top, bottom, x0, x1)``; a PDF form keeps
    them in widget annotations, not in the page's text."""
    from pdfminer.utils import decode_text

    values = []
    for annot in page.annots or []:
        kind, value = _field_entry(annot.get("data") or {})
        if kind not in ("Tx", "Ch") or not isinstance(value, (bytes, str)):
            continue
        text = normalize(decode_text(value) if isinstance(value, bytes) else value).strip()
        if text:
            values.append((" ".join(text.split()), annot["top"], annot["bottom"], annot["x0"], annot["x1"]))
    return values


def _field_entry(data: dict) -> tuple[str | None, object]:
    """A widget's field kind ("Tx", "Ch", ...) and value, looked up through its parent fields."""
    from pdfminer.pdftypes import resolve1
    from pdfminer.psparser import PSLiteral

    kind, value = data.get("FT"), data.get("V")
    for _ in range(8):
        if (kind is not None and value is not None) or not data.get("Parent"):
            break
        data = resolve1(data["Parent"]) or {}
        kind = kind if kind is not None else data.get("FT")
        value = value if value is not None else data.get("V")
    kind = resolve1(kind)
    return (kind.name if isinstance(kind, PSLiteral) else kind), resolve1(value)


def _with_form_values(lines: list[Line], page) -> list[Line]:
    """``lines`` with the page's form values in place: each after the label left of it on its
    row ("Owner name: Marek Dvorak", "Name: Marek Dvorak | Date: 2024-03-01"), a row a line of
    its own, or as lines of their own where no text stands on their row."""
    values = _form_values(page)
    if not values:
        return lines
    out = list(lines)
    by_row: dict[int, list[tuple]] = {}
    for value in values:
        row = next((k for k, ln in enumerate(out) if ln.top < value[2] and value[1] < ln.bottom), None)
        if row is None:
            out.append(Line(value[0], value[1], value[2], value[3], value[4], is_row=True))
        else:
            by_row.setdefault(row, []).append(value)
    words = page.extract_words() if by_row else []
    for row, row_values in by_row.items():
        out[row] = _row_with_values(out[row], row_values, words)
    return sorted(out, key=_reading_order)


def _row_with_values(line: Line, values: list[tuple], words: list[dict]) -> Line:
    """The row ``line`` rebuilt from its words and the form ``values`` on it, left to right, a
    value closing its cell (`` | `` after it when more follows)."""
    mid = (line.top + line.bottom) / 2
    pieces = [(w["x0"], w["text"], False) for w in words
              if w["top"] <= mid <= w["bottom"] and line.x0 - 1 <= w["x0"] <= line.x1 + 1]
    pieces += [(x0, text, True) for text, _, _, x0, _ in values]
    text, after_value = "", False
    for _, piece, is_value in sorted(pieces, key=lambda p: p[0]):
        text += (CELL_SEP if after_value else " " if text else "") + piece
        after_value = is_value
    return dataclasses.replace(line, text=normalize(text), x1=max(line.x1, *(v[4] for v in values)), is_row=True)


def _edge_key(text: str) -> str:
    """The line as compared across pages: digits masked in short lines ("Page 3 of 9")."""
    text = " ".join(text.lower().split())
    return re.sub(r"\d+", "#", text) if len(re.findall(r"[^\W\d]+", text)) <= 4 else text


def drop_running_lines(pages: list[list[Line]]) -> list[list[Line]]:
    """Remove headers, footers and page numbers: lines found at the top or bottom of most pages.

    A line (digits masked in short lines, so "Page 3 of 9" matches "Page 4 of
    9") counts when it is among the three highest or lowest lines on the page (one on a short
    page; by position, so the foot of a left column counts on a page in columns) of at least
    half the pages, and of two pages at least. A lone page number at a page's edge goes too,
    and so does, on a page set in columns, an edge line of two words or more that begins or
    ends a running line not found whole on that page (a footer "Confidential draft    Page 2 of
    3" split in two by the columns; a cover's title that begins the running header stays).
    """
    edges = [_edges(lines) for lines in pages]
    counts: dict[str, int] = {}
    for edge in edges:
        for key in {_edge_key(ln.text) for ln in edge}:
            counts[key] = counts.get(key, 0) + 1
    need = max(2, math.ceil(len(pages) / 2))
    running = {k for k, n in counts.items() if n >= need}
    out = []
    for lines, edge in zip(pages, edges, strict=True):
        in_columns = any(ln.column > 0 for ln in lines)  # only columns split a running line
        split = running - {_edge_key(ln.text) for ln in edge} if in_columns else set()
        dropped = {id(ln) for ln in edge if _is_running(ln.text, running, split)}
        out.append([ln for ln in lines if id(ln) not in dropped])
    return out


_PAGE_NUMBER = re.compile(r"^(?:page\s*)?[-–(]?\s*\d{1,4}\s*[-–)]?(?:\s*(?:/|of)\s*\d{1,4})?$", re.IGNORECASE)


def _edges(lines: list[Line]) -> list[Line]:
    """The page's highest and lowest lines: three each (one on a short page), by position."""
    k = _EDGE_LINES if len(lines) > 2 * _EDGE_LINES else 1
    by_height = sorted(lines, key=lambda ln: ln.top)
    return by_height[:k] + by_height[-k:]


def _is_running(text: str, running: set[str], split: set[str]) -> bool:
    """Whether an edge line is a running header or footer, a page number, or the start or end
    (two words at least) of a running line that is not whole on its page (``split``)."""
    key = _edge_key(text)
    if key in running or _PAGE_NUMBER.match(text):
        return True
    return len(key.split()) >= 2 and any(r.startswith(key + " ") or r.endswith(" " + key) for r in split)


def _starts_paragraph(prev: Line, line: Line, gap_limit: float,
                      bounds: dict[int, tuple[float, float]]) -> bool:
    if prev.is_row or line.is_row or _BULLET.match(line.text):
        return True
    if line.top - prev.bottom > gap_limit:
        return True
    left, right = bounds[prev.column]
    short = prev.x1 < right - 0.15 * (right - left)
    indented = line.x0 > bounds[line.column][0] + 12
    return bool(_SENTENCE_END.search(prev.text) and (short or indented))


def _column_bounds(lines: list[Line]) -> dict[int, tuple[float, float]]:
    """The left and right edges of each column's text (of all text where there is one column)."""
    bounds: dict[int, tuple[float, float]] = {}
    for ln in lines:
        left, right = bounds.get(ln.column, (ln.x0, ln.x1))
        bounds[ln.column] = (min(left, ln.x0), max(right, ln.x1))
    return bounds


def paragraphs(lines: list[Line], document_words: set[str]) -> list[str]:
    """Unwrap a page's lines into paragraphs (see the module docstring); a paragraph runs on from
    the foot of one column to the head of the next."""
    if not lines:
        return []
    heights = [ln.bottom - ln.top for ln in lines if not ln.is_row] or [10.0]
    gaps = [b.top - a.bottom for a, b in itertools.pairwise(lines)
            if not (a.is_row or b.is_row) and (a.band, a.column) == (b.band, b.column)]
    normal = statistics.median(gaps) if gaps else 0.0
    gap_limit = max(normal, 0.0) + 0.5 * statistics.median(heights)
    bounds = _column_bounds(lines)
    out = [lines[0].text]
    for prev, line in itertools.pairwise(lines):
        if _starts_paragraph(prev, line, gap_limit, bounds):
            out.append(line.text)
        else:
            out[-1] = join_lines(out[-1], line.text, document_words)
    return out


def join_lines(left: str, right: str, document_words: set[str]) -> str:
    """Join two lines of one paragraph: a space, or a hyphenated word put back together."""
    if _HYPHEN_END.search(left) and right[:1].isalpha():
        return join_hyphenated(left, right, document_words)
    return f"{left} {right}"


def _continues(prev_page: list[str], next_page: list[str]) -> bool:
    """True when the last paragraph of a page runs on into the first of the next."""
    if not prev_page or not next_page:
        return False
    last, first = prev_page[-1], next_page[0]
    if CELL_SEP in last or CELL_SEP in first or _BULLET.match(first):
        return False
    return not _SENTENCE_END.search(last)


def _pdf_error(err: Exception) -> str:
    """A one-line reason for a PDF that cannot be read."""
    causes = [err, *getattr(err, "args", ())]
    if any(type(c).__name__ == "PDFPasswordIncorrect" for c in causes):
        return "encrypted PDF (it needs a password to open)"
    if isinstance(err, RecursionError):
        return "corrupt or unreadable PDF (objects nested thousands of levels deep)"
    detail = str(err).strip() or type(err).__name__
    return f"corrupt or unreadable PDF ({detail[:80]})"


def read_pdf(path: Path, on_page: OnPage | None = None, scanned: Scanned | None = None
             ) -> tuple[str, list[tuple[int | None, int, int]]]:
    """The text of a PDF and its pages' ``(page, start, end)`` character ranges, within the limits in
    force (:mod:`qa.ingest.loading.limits`: ``pdf_pages``, and ``pdf_stream_bytes``/``pdf_bytes`` for the
    streams it inflates).

    A page without a text layer, or whose text layer is not text (see :func:`needs_ocr`), is read
    by OCR (:mod:`qa.ingest.loading.ocr`); what OCR found goes in ``scanned``: the pages it read, their
    words' boxes, the pages where it found no text, and the pages it could not read because the
    ``ocr`` extra is missing. ``on_page(page, pages)`` is called as each page has been read.

    Raises:
        LimitExceeded: more pages than ``pdf_pages``, or streams that inflate past their limits.
        LoadError: the file is not a readable PDF (corrupt, encrypted, truncated), or all its text is a
            line repeated on every page.
    """
    import pdfplumber

    scanned = scanned if scanned is not None else Scanned()
    logging.getLogger("pdfminer").setLevel(logging.ERROR)  # repairable damage: not the user's concern
    try:
        with bounded_pdf_streams(), pdfplumber.open(path) as pdf:
            _check_page_count(len(pdf.pages))
            pages, names = [], None
            for number, page in enumerate(pdf.pages, start=1):
                if needs_ocr(page):
                    lines, names = _scanned_lines(page, number, scanned), None
                else:
                    lines, names = page_lines(page, names)
                pages.append(lines)
                if on_page:
                    on_page(number, len(pdf.pages))
                page.close()  # its parsed objects are not needed again
    except (LoadError, MemoryError):  # MemoryError: load_file names the worker_memory limit
        raise
    except Exception as e:  # pdfminer raises many types for damaged files
        limit = _limit_behind(e)
        if limit:  # a limit reached inside the parser, which wrapped it in an error of its own
            raise limit from e
        raise LoadError(_pdf_error(e)) from e
    return pages_text(pages)


def pages_text(pages: list[list[Line]]) -> tuple[str, list[tuple[int | None, int, int]]]:
    """The text of a document's pages of lines, and each page's ``(page, start, end)`` range:
    running lines dropped, lines unwrapped into paragraphs, paragraphs joined across pages.

    Raises:
        LoadError: all the text is a line repeated on every page.
    """
    had_text = any(pages)
    pages = drop_running_lines(pages) if len(pages) > 1 else pages
    if had_text and not any(pages):
        raise LoadError("no body text: its only text is a line repeated at the edge of every page")
    words = {w.lower() for lines in pages for ln in lines for w in re.findall(r"\w+(?:-\w+)*", ln.text)}
    words |= {part for w in list(words) for part in w.split("-")}
    return join_pages([paragraphs(lines, words) for lines in pages], words)


def _limit_behind(err: BaseException) -> LimitExceeded | None:
    """The :class:`LimitExceeded` that caused ``err`` (through its causes, context or arguments), if any."""
    seen: set[int] = set()
    todo: list[object] = [err]
    while todo:
        e = todo.pop()
        if isinstance(e, LimitExceeded):
            return e
        if isinstance(e, BaseException) and id(e) not in seen:
            seen.add(id(e))
            todo += [e.__cause__, e.__context__, *e.args]
    return None


def _check_page_count(n: int) -> None:
    """Raises LimitExceeded when a PDF of ``n`` pages is past the ``pdf_pages`` limit."""
    cap = limits.current().pdf_pages
    if n > cap:
        raise LimitExceeded(f"has {n:,} pages, more than {cap:,} (the pdf_pages limit)")


_FEW_CHARS = 40  # a page this short in characters, mostly covered by an image, is a scan with a stamp on it


def _unreadable(text: str) -> bool:
    """Whether a character of a text layer stands for no letter: an unmapped glyph ("(cid:12)"), a
    private-use or unassigned code point, a control character or U+FFFD."""
    return "(cid:" in text or any(unicodedata.category(ch) in ("Co", "Cn", "Cc", "Cs") or ch == "\ufffd"
                                  for ch in text)


def _image_cover(page) -> float:
    """The share of the page that its images cover (overlaps counted twice, at most 1)."""
    x0, top, x1, bottom = page.bbox
    area = max((x1 - x0) * (bottom - top), 1.0)
    covered = sum(max(0.0, min(i["x1"], x1) - max(i["x0"], x0)) * max(0.0, min(i["bottom"], bottom) - max(i["top"], top))
                  for i in page.images)
    return min(1.0, covered / area)


def needs_ocr(page) -> bool:
    """Whether a pdfplumber page is read by OCR: it has no text layer but something drawn (an
    image, lines, shapes), or its text layer is not text (30 % or more of its characters
    unreadable, see :func:`_unreadable`), or it holds under ``_FEW_CHARS`` characters on a page
    that an image covers by half or more (a scan with a page number or a stamp put on it)."""
    chars = [c["text"] for c in page.chars if c["text"].strip()]
    if not chars:
        return bool(page.images or page.curves or page.rects or page.lines)
    if sum(map(_unreadable, chars)) >= 0.3 * len(chars):
        return True
    return len(chars) < _FEW_CHARS and _image_cover(page) >= 0.5


def _page_image(page):
    """A pdfplumber page drawn for OCR (PIL): ``OCR_DPI``, or less for a page over ``MAX_SIDE``
    pixels at that; with the points per pixel."""
    resolution = min(OCR_DPI, MAX_SIDE * 72 / max(page.width, page.height, 1.0))
    return page.to_image(resolution=resolution).original, 72 / resolution


def _scanned_lines(page, number: int, scanned: Scanned) -> list[Line]:
    """The lines of a page read by OCR, with its words and outcome put in ``scanned``."""
    try:
        image, scale = _page_image(page)
        lines, words = ocr_lines(image, scale)
    except OcrMissing:
        scanned.unread.append(number)
        return []
    scanned.ocr_pages.append(number)
    if words:
        scanned.words[number] = words
    else:
        scanned.empty.append(number)
    return lines


def join_pages(pages: list[list[str]], document_words: set[str]
               ) -> tuple[str, list[tuple[int | None, int, int]]]:
    """Join pages of paragraphs into one text with each page's character range.

    Paragraphs are separated by a line break; a paragraph that runs on across a
    page break is joined like two lines (the later page's range starts at its
    first character).
    """
    text, ranges = "", []
    prev: list[str] = []
    for number, paras in enumerate(pages, start=1):
        if not paras:
            continue
        if text:
            if _continues(prev, paras):
                joined = join_lines(text, paras[0], document_words)
                start = len(joined) - len(paras[0])
                text = joined
            else:
                text += "\n"
                start = len(text)
                text += paras[0]
        else:
            start = 0
            text = paras[0]
        for para in paras[1:]:
            text += "\n" + para
        ranges.append((number, start, len(text)))
        prev = paras
    return text, ranges


def render_page(path: str | Path, page_number: int, mark: str = "", resolution: int = 90):
    """An image of one PDF page (PIL), with the places where ``mark`` occurs outlined.

    The text is searched on the page as drawn, ignoring case; when the whole
    of ``mark`` is not found (it was joined across lines, say), its longest
    word is outlined instead. Rendering is pdfplumber's (pypdfium2 underneath).
    A page read by OCR (see :func:`needs_ocr`) is searched among the words OCR
    found on it (:func:`qa.ingest.loading.ocr.cached_words`: kept when the file was
    read, else recognised again). An image file (.png, .jpg, .tiff) is drawn
    by :func:`qa.ingest.loading.ocr.render_image`.

    Raises:
        LoadError: the file cannot be read or has no such page.
    """
    import pdfplumber

    from qa.ingest.loading import content_hash
    from qa.ingest.loading.ocr import IMAGE_TYPES, render_image

    if Path(path).suffix.lower() in IMAGE_TYPES:
        return render_image(path, page_number, mark, width=round(8.5 * resolution))
    try:
        with pdfplumber.open(path) as pdf:
            if not 1 <= page_number <= len(pdf.pages):
                raise LoadError(f"{path} has no page {page_number}")
            page = pdf.pages[page_number - 1]
            image = page.to_image(resolution=resolution)
            if mark.strip() and needs_ocr(page):
                try:
                    words = cached_words(content_hash(Path(path).read_bytes()), page_number,
                                         lambda: _page_image(page)[0])
                except OcrMissing:
                    words = []  # the page is shown without the answer outlined
                x0, top, x1, bottom = page.bbox
                w, h = x1 - x0, bottom - top
                found = [(x0 + a * w, top + b * h, x0 + c * w, top + d * h) for a, b, c, d in find_words(words, mark)]
            else:
                found = page.search(mark, regex=False, case=False) if mark.strip() else []
                if not found and mark.split():
                    found = page.search(max(mark.split(), key=len), regex=False, case=False)
            if found:
                image.draw_rects(found, stroke=(230, 120, 0), fill=(255, 224, 102, 90), stroke_width=2)
            return image.annotated
    except LoadError:
        raise
    except Exception as e:  # pdfminer and pypdfium2 raise many types for damaged files
        raise LoadError(f"cannot render page {page_number} of {path} ({type(e).__name__})") from e
