"""Spreadsheets to text: CSV/TSV, XLSX (openpyxl, MIT) and ODS (its ``content.xml``, read here).

Each row is one line, read as tables are (:mod:`qa.ingest.loading.tables`): under a row that names the
columns (judged by :func:`qa.ingest.loading.tables.looks_like_header`) every row reads
``Part: Hose reel | Size: 25 m | Price: 34.50 EUR``; other rows are their non-empty cells joined
by `` | ``. A blank row ends a table; the rows after it start a new one (its own header, or the
one above when they look like more of its rows). A row with one cell above a wider table is its
title, written as it is.

Values are written as the spreadsheet shows them: the values formulas last computed (never the
formulas), dates as ISO dates (``2024-03-15``, with the time when it has one), and number
formats applied where cheap (``12.5%``, ``1,234.50``, ``34.50 EUR``); ODS files store the shown
text, which is taken as it is. Each sheet is one part of the document, cited by its name; hidden
sheets are left out. Rows are streamed: a sheet of 100,000 rows is never held as cells in
memory, only as its text lines.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from qa.ingest.loading.errors import LoadError, reading
from qa.ingest.loading.limits import LimitExceeded, current
from qa.ingest.loading.office import open_package
from qa.ingest.loading.tables import MAX_HEADER_CHARS, is_header_row, labelled_rows, looks_like_header
from qa.ingest.loading.text import CELL_SEP, decode

SAMPLE_ROWS = 20  # rows of a table looked at to judge its header; the rest are streamed
MAX_REPEAT = 1024  # an ODS row or cell repeated more often than this is written this often
_DELIMITERS = (",", ";", "\t", "|")


# ---- rows to lines -----------------------------------------------------------------------------

class MarkedRow(list):
    """A row the spreadsheet marks as a header (all its cells bold): it names the columns when it
    :func:`qa.ingest.loading.tables.is_header_row`, whatever the rows under it hold."""


def sheet_lines(rows: Iterable[list[str]]) -> Iterator[str]:
    """The text lines of one sheet's rows (cells as shown, "" for an empty cell; a
    :class:`MarkedRow` for a bold one), streamed: at most :data:`SAMPLE_ROWS` rows are held at a
    time. A blank row gives an empty line."""
    sample: list[list[str]] = []
    names: list[str] | None = None  # the column names of the table being read
    decided = False
    top = True  # the first table of the sheet
    for row in rows:
        cells = _trim(row)
        if not cells:  # a blank row ends a table: a blank line
            if sample:
                names, lines = _judge(sample, names, top)
                yield from lines
                top = top and all(sum(1 for c in r if c) <= 1 for r in sample)  # titles above the first table
            sample, decided = [], False
            yield ""
            continue
        if decided:
            yield _line(names, cells)
            continue
        sample.append(cells)
        if len(sample) >= SAMPLE_ROWS:
            names, lines = _judge(sample, names, top)
            yield from lines
            sample, decided, top = [], True, False
    if sample:
        yield from _judge(sample, names, top)[1]


def _trim(row: list[str]) -> list[str]:
    """A row's cells stripped, trailing empty cells dropped ([] for a blank row); a
    :class:`MarkedRow` stays one."""
    cells = [" ".join(c.split()) if c else "" for c in row]
    while cells and not cells[-1]:
        cells.pop()
    return MarkedRow(cells) if isinstance(row, MarkedRow) else cells


def _line(names: list[str] | None, cells: list[str]) -> str:
    """One row as a line: labelled with ``names`` when the table has a header, else plain."""
    if names is not None:
        return "".join(labelled_rows(names, [cells]))
    return CELL_SEP.join(c for c in cells if c)


def _judge(rows: list[list[str]], names: list[str] | None, top: bool = False
           ) -> tuple[list[str] | None, list[str]]:
    """The first rows of a table (after a blank row, or at the top of the sheet: ``top``): its
    column names (None: plain rows) and these rows' lines. Rows with one cell over a wider table
    are titles; ``names`` are the column names of the table above the blank row, kept when these
    rows have no header of their own and are no wider."""
    lines: list[str] = []
    width = max(len(r) for r in rows)
    start = 0
    while start + 1 < len(rows) and width > 1 and sum(1 for c in rows[start] if c) == 1:
        lines.append(_line(None, rows[start]))
        start += 1
    body = rows[start:]
    if len(body) >= 2 and _has_header(body, top and start == 0):
        names = body[0] + [""] * (width - len(body[0]))
        body = body[1:]
    elif names is not None and (width > len(names) or is_header_row([c for c in body[0] if c])):
        names = None
    lines.extend(line for line in (_line(names, r) for r in body) if line)
    return names, lines


def _has_header(rows: list[list[str]], first: bool = False) -> bool:
    """Whether the first row names the columns, judged over the columns it names (at least two,
    so that an empty first column does not hide a header): marked bold (short distinct names,
    digits allowed: "Q1 2024"); or the first row of the sheet naming three or more columns
    (:func:`qa.ingest.loading.tables.is_header_row`: a sheet's first row is its header by custom; two
    columns are mostly "name | value" pairs); or judged by :func:`looks_like_header`."""
    named = [j for j, c in enumerate(rows[0]) if c]
    if len(named) < 2:
        return False
    cut = [[r[j] if j < len(r) else "" for j in named] for r in rows]
    if isinstance(rows[0], MarkedRow):
        return all(len(c) <= MAX_HEADER_CHARS for c in cut[0]) and len({c.lower() for c in cut[0]}) == len(cut[0])
    return is_header_row(cut[0]) and ((first and len(named) >= 3) or looks_like_header(cut))


def parts_of(sheets: Iterable[tuple[str, Iterable[list[str]]]]) -> list[tuple[str, str]]:
    """``(sheet name, text)`` for each sheet of ``(name, rows)``, empty sheets left out.

    Raises:
        LimitExceeded: the sheets' text together is past the text_chars limit.
    """
    limit, total, parts = current().text_chars, 0, []
    for name, rows in sheets:
        lines: list[str] = []
        for line in sheet_lines(rows):
            if not line and (not lines or not lines[-1]):
                continue  # one blank line between tables
            total += len(line) + 1
            if total > limit:
                raise LimitExceeded(f"more than {limit:,} characters of text (the text_chars limit)")
            lines.append(line)
        while lines and not lines[-1]:
            lines.pop()
        if lines:
            parts.append((name, "\n".join(lines)))
    return parts


# ---- shown values ------------------------------------------------------------------------------

def cell_text(value, number_format: str | None = None) -> str:
    """A cell's value as a spreadsheet shows it: ``True`` -> "TRUE", a date -> "2024-03-15",
    a date and time -> "2024-03-15 14:30", 0.125 under "0.0%" -> "12.5%", 1234.5 under
    "#,##0.00" -> "1,234.50"; text as it is."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M" + (":%S" if value.second else ""))
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M" + (":%S" if value.second else ""))
    if isinstance(value, dt.timedelta):
        return str(value)
    if isinstance(value, (int, float)):
        return number_text(value, number_format or "General")
    return str(value)


_QUOTED = re.compile(r'"([^"]*)"|\\(.)|\[\$([^\]-]*)[^\]]*\]|\[[^\]]*\]|_.|\*.')
_CORE = re.compile(r"[#0?][#0?,]*(?:\.[#0?]*)?|\.[#0?]+")


def _sections(fmt: str) -> list[str]:
    """A number format's sections (positive; negative; zero; text), split on ``;`` outside quotes."""
    out, cur, quoted = [], [], False
    for ch in fmt:
        if ch == '"':
            quoted = not quoted
        if ch == ";" and not quoted:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur))
    return out


def number_text(value: float, fmt: str) -> str:
    """A number under an Excel number format, for the cheap cases: fixed decimals, thousands
    separators, percentages, scientific notation, literal text and currency signs around the
    number, a negative section; anything else (and "General") as the shortest exact form."""
    sections = _sections(fmt)
    section = sections[0]
    negative = value < 0
    if negative and len(sections) > 1 and sections[1].strip():
        section, value = sections[1], -value
    elif value == 0 and len(sections) > 2 and sections[2].strip():
        section = sections[2]
    # the literal text of the section with the number's place marked
    plain = _QUOTED.sub(lambda m: m.group(1) or m.group(2) or m.group(3) or "", section)
    codes = _QUOTED.sub("", section).lower()  # the format's own codes, without its literal text
    core = _CORE.search(plain) if section.strip().lower() not in ("general", "@", "") else None
    if core is None or "/" in codes or any(c in codes for c in "ymdhs"):
        shown = _general(abs(value) if negative and section is not sections[0] else value)
        return plain.replace("General", shown) if "General" in plain else shown
    pattern = core.group()
    if not any(c in pattern for c in "0#"):  # "??": room for digits, none drawn (accounting's zero, "-")
        return (plain[:core.start()] + plain[core.end():]).strip()
    decimals = len(pattern.split(".", 1)[1]) if "." in pattern else 0
    scale = 100 if "%" in plain else 1
    exp = re.match(r"[eE][+-]([0#]+)", plain[core.end():])
    if exp:
        number = f"{value * scale:.{decimals}E}"
        suffix = plain[core.end() + exp.end():]
    else:
        number = f"{value * scale:{',' if ',' in pattern.split('.')[0] else ''}.{decimals}f}"
        suffix = plain[core.end():]
    return (plain[:core.start()] + number + suffix).strip()


def _general(value: float) -> str:
    """A number as Excel's General format shows it: integers whole, others to 15 significant digits."""
    if isinstance(value, int) or (value.is_integer() and abs(value) < 1e15):
        return str(int(value))
    return f"{value:.15g}"


# ---- CSV / TSV ---------------------------------------------------------------------------------

def _delimiter(text: str) -> str:
    """The delimiter of a CSV's first lines: the one of ``, ; \\t |`` found most evenly in
    every line (quoted fields are not counted), "," when none is."""
    lines = [line for line in text[:65536].splitlines()[:20] if line.strip()]
    if not lines:
        return ","
    best, best_key = ",", (0, 0)
    for d in _DELIMITERS:
        counts = [len(next(csv.reader([line], delimiter=d), [])) - 1 for line in lines]
        key = (min(counts), -(max(counts) - min(counts)))
        if min(counts) > 0 and key > best_key:
            best, best_key = d, key
    return best


def read_delimited(data: bytes, ext: str) -> str:
    """The text of a CSV (delimiter judged) or TSV file's bytes, row by row (:func:`sheet_lines`).

    Raises:
        LoadError: binary content, or a row the csv module cannot read.
        LimitExceeded: past the text_chars limit.
    """
    text = decode(data)
    delimiter = "\t" if ext == ".tsv" else _delimiter(text)
    csv.field_size_limit(max(csv.field_size_limit(), 64 * 1024 * 1024))  # a long cell is text, not an error
    try:
        rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        parts = parts_of([("", rows)])
    except csv.Error as e:
        raise LoadError(f"malformed {ext[1:].upper()} ({e})") from e
    return parts[0][1] if parts else ""


# ---- XLSX --------------------------------------------------------------------------------------

def _xlsx_rows(ws) -> Iterator[list[str]]:
    """A worksheet's rows as shown text; the first :data:`SAMPLE_ROWS` rows that are all bold
    come as :class:`MarkedRow`."""
    for n, row in enumerate(ws.iter_rows()):
        cells = [cell_text(c.value, getattr(c, "number_format", None)) for c in row]
        if n < SAMPLE_ROWS and _bold(row):
            cells = MarkedRow(cells)
        yield cells


def _bold(row) -> bool:
    """Whether every filled cell of a row is bold (and one is filled)."""
    filled = [c for c in row if c.value is not None and str(c.value).strip()]
    try:
        return bool(filled) and all(c.font is not None and c.font.b for c in filled)
    except (AttributeError, IndexError):
        return False


def read_xlsx(path: str | Path) -> list[tuple[str, str]]:
    """``(sheet name, text)`` of each visible sheet of an XLSX/XLSM workbook, in workbook order.

    Raises:
        LoadError: encrypted, corrupt or not a workbook.
        LimitExceeded: past the zip or text limits.
    """
    open_package(path, "XLSX")
    import openpyxl

    with reading("XLSX"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "extension not supported" and the like: nothing to act on
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            sheets = []
            for ws in book.worksheets:
                if getattr(ws, "sheet_state", "visible") != "visible" or not hasattr(ws, "iter_rows"):
                    continue
                ws.reset_dimensions()  # the stored size can be wrong; read every row there is
                sheets.append((ws.title, _xlsx_rows(ws)))
            return parts_of(sheets)
        finally:
            book.close()


# ---- ODS ---------------------------------------------------------------------------------------

_T = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_X = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"


def _ods_row(row) -> list[str]:
    """The shown text of an ODS row's cells (repeats expanded, up to :data:`MAX_REPEAT`)."""
    from qa.ingest.loading.office import odf_inline

    cells: list[str] = []
    for cell in row:
        if cell.tag not in (_T + "table-cell", _T + "covered-table-cell"):
            continue
        text = "\n".join(odf_inline(p) for p in cell if p.tag == _X + "p")
        repeat = int(cell.get(_T + "number-columns-repeated", "1") or 1)
        cells.extend([text] * (min(repeat, MAX_REPEAT) if text.strip() else min(repeat, 64)))
    return cells


_S = "{urn:oasis:names:tc:opendocument:xmlns:style:1.0}"


def _ods_sheets(stream) -> Iterator[tuple[str, Iterator[list[str]]]]:
    """Each visible sheet of an ODS ``content.xml`` stream as (name, rows), parsed as it is read
    (a hidden sheet's rows are passed over: its table style says ``table:display="false"``)."""
    from lxml import etree

    events = etree.iterparse(stream, events=("start", "end"), resolve_entities=False, no_network=True,
                             load_dtd=False)
    hidden: set[str] = set()  # the names of table styles that hide their sheet
    for event, element in events:
        if event == "end" and element.tag == _S + "table-properties" and element.get(_T + "display") == "false":
            style = element.getparent()
            hidden.add(style.get(_S + "name") if style is not None else "")
        elif event == "start" and element.tag == _T + "table":
            rows = _drain(events)
            if element.get(_T + "style-name") in hidden:
                for _ in rows:
                    pass
                continue
            yield element.get(_T + "name") or "Sheet", rows


def _drain(events) -> Iterator[list[str]]:
    """The rows of the sheet being parsed, up to its end tag."""
    for event, element in events:
        if event != "end":
            continue
        if element.tag == _T + "table-row":
            cells = _ods_row(element)
            repeat = int(element.get(_T + "number-rows-repeated", "1") or 1)
            element.clear()
            while element.getprevious() is not None:  # rows read: let them go
                del element.getparent()[0]
            if not any(c.strip() for c in cells):
                yield []
                continue
            for _ in range(min(repeat, MAX_REPEAT)):
                yield cells
        elif element.tag == _T + "table":
            element.clear()
            return


def read_ods(path: str | Path) -> list[tuple[str, str]]:
    """``(sheet name, text)`` of each sheet of an ODS workbook, as the cells show their values.

    Raises:
        LoadError: encrypted, corrupt or not a spreadsheet.
        LimitExceeded: past the zip or text limits.
    """
    open_package(path, "ODS")
    with reading("ODS"), zipfile.ZipFile(path) as archive:
        if "META-INF/manifest.xml" in archive.namelist() and b"encryption-data" in archive.read(
                "META-INF/manifest.xml"):
            raise LoadError("encrypted (password-protected) ODS")
        if "content.xml" not in archive.namelist():
            raise LoadError("corrupt or unreadable ODS (no content.xml)")
        with archive.open("content.xml") as stream:
            return parts_of(_ods_sheets(stream))
