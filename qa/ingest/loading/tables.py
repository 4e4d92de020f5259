"""Tables as text: one line per row, cells joined by `` | ``, rows under a header naming their columns.

Every loader writes tables through here, so a table reads the same from PDF, DOCX, HTML or
Markdown: ``Item: Rain barrel | Size: 200 l | Price: 89.00 EUR`` where the first row names the
columns (by markup, or judged from the text by :func:`looks_like_header`), plain
``Rain barrel | 200 l | 89.00 EUR`` rows otherwise.
"""

from __future__ import annotations

import re

from qa.ingest.loading.text import CELL_SEP

MAX_HEADER_CHARS = 40
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_DIGIT = re.compile(r"\d")

# A table is a list of rows, a row a list of cells, one per grid column: a string, or None where
# the cell to its left spans this column too (a horizontal merge: its value is written once).
Row = list


def _names_a_column(cell: str) -> bool:
    """A header cell: a few short words, no sentence; digits only as a year ("2024", "Fee 2025")."""
    c = cell.strip()
    return (0 < len(c) <= MAX_HEADER_CHARS and len(c.split()) <= 5 and not c.endswith((".", "!", "?"))
            and not _DIGIT.search(_YEAR.sub("", c)))


def is_header_row(cells: Row) -> bool:
    """Whether a row can name the columns: every cell :func:`_names_a_column`, no two alike."""
    names = [c.strip() for c in cells if c is not None]
    return (bool(names) and all(_names_a_column(c) for c in names)
            and len({c.lower() for c in names}) == len(names))


def looks_like_header(rows: list[Row]) -> bool:
    """Whether a table's first row names its columns, judged from the text alone (for tables whose
    markup does not say): it :func:`is_header_row`, and some column's values are numbers or
    codes under a header without them, or under a year ("2024" over "17.8 million EUR"). A
    first row of names like the rows under it ("Anna Huber | Vienna | Cycling") is data."""
    if len(rows) < 2 or not is_header_row(rows[0]):
        return False
    for j, head in enumerate(rows[0]):
        values = [r[j] for r in rows[1:] if j < len(r) and r[j]]
        numeric = [v for v in values if _DIGIT.search(v)]
        if not head or not values or len(numeric) * 2 <= len(values):
            continue
        if not _DIGIT.search(head) or (_YEAR.search(head) and not any(_YEAR.fullmatch(v.strip()) for v in values)):
            return True
    return False


def table_lines(rows: list[Row], header: bool | None = None, min_columns: int = 3) -> list[str]:
    """One table's rows as text lines, cells joined by :data:`CELL_SEP` (see :func:`row_texts`)."""
    return [t for t in row_texts(rows, header, min_columns) if t]


def row_texts(rows: list[Row], header: bool | None = None, min_columns: int = 3) -> list[str | None]:
    """Each row of one table as a text line (None for the dropped header row or an empty row).

    When the first row names the columns (``header`` True: the markup says so; None:
    :func:`looks_like_header` decides; False: it does not) and the table has at least
    ``min_columns`` columns, or two under a header the markup marks (two columns judged from
    the text alone are mostly "name | value" lists), the header row is dropped
    and every other row puts each column's name before its value:
    ``Item: Rain barrel | Size: 200 l | Price: 89.00 EUR``. A reader then sees which value is
    the price and which the stock, and a header cell is never an answer; this is the key-value
    linearisation used for tables in text QA (e.g. Chen et al., 2020, "HybridQA"). Empty cells
    are left out of labelled rows; a merged cell is written once, named by all its columns; a
    row of one cell across all columns (a section name) is written plain.
    """
    names = header_names(rows, header, min_columns)
    if names is None:
        return [_plain(r) or None for r in rows]
    return [None] + [(_plain(r) if spans_all(r) else _labelled(names, r)) or None for r in rows[1:]]


def spans_all(row: Row) -> bool:
    """A row of one cell across every column: a table's title over its header, or a section name
    ("Europe") over the rows under it."""
    return len(row) > 1 and row[0] is not None and all(c is None for c in row[1:])


def title_rows(rows: list[Row]) -> int:
    """How many rows at the top of a table are titles (:func:`spans_all`), one row at least
    left under them."""
    count = 0
    while count + 1 < len(rows) and spans_all(rows[count]):
        count += 1
    return count


def header_names(rows: list[Row], header: bool | None = None, min_columns: int = 3) -> list[str] | None:
    """The column names :func:`row_texts` labels this table's rows with, or None when it does not."""
    filled = [r for r in rows if any(c and c.strip() for c in r)]
    width = max((len(r) for r in filled), default=0)
    least = 2 if header is True else min_columns  # a marked header names two columns too
    if header is None:
        header = looks_like_header(filled)
    if not header or width < least or len(filled) < 2 or filled[0] is not rows[0]:
        return None
    return _column_names(rows[0], width)


def merge_header_rows(rows: list[Row], count: int) -> list[Row]:
    """``rows`` with their first ``count`` rows (a header in several rows: a group name spanning
    columns over their own names) made one header row, each column named by its names top to
    bottom, each once: "Price per night" over "Low season" gives "Price per night, Low season"."""
    width = max((len(r) for r in rows[:count]), default=0)
    columns = zip(*(_column_names(r, width) for r in rows[:count]), strict=True)
    merged = [", ".join(dict.fromkeys(n for n in names if n)) for names in columns]
    return [merged, *rows[count:]]


def labelled_rows(names: list[str], rows: list[Row]) -> list[str]:
    """``rows`` labelled with the column ``names`` (from :func:`header_names`: the header row of
    this table, or of the one it runs on from, e.g. on the previous page); empty rows dropped."""
    return [line for r in rows if (line := _labelled(names, r))]


def _plain(row: Row) -> str:
    cells = [c.strip() for c in row if c is not None]
    while cells and not cells[-1]:
        cells.pop()
    return CELL_SEP.join(cells)


def _column_names(head: Row, width: int) -> list[str]:
    """The name of each grid column (a merged header cell names every column it spans)."""
    names, last = [], ""
    for j in range(width):
        cell = head[j] if j < len(head) else ""
        last = last if cell is None else (cell or "").strip()
        names.append(last)
    return names


def _labelled(names: list[str], row: Row) -> str:
    cells: list[tuple[list[str], str]] = []
    for j, cell in enumerate(row):
        if cell is None and cells:
            if j < len(names) and names[j] and names[j] not in cells[-1][0]:
                cells[-1][0].append(names[j])
        elif cell is not None:
            cells.append(([names[j]] if j < len(names) and names[j] else [], cell.strip()))
    return CELL_SEP.join(f"{', '.join(n)}: {v}" if n else v for n, v in cells if v)


def cells_of(line: str) -> Row:
    """A text line's cells (a trailing empty cell can leave a bare "|" at the line's end)."""
    return [c.strip() for c in line.removesuffix("|").split(CELL_SEP)]


def label_table_rows(lines: list[str], min_columns: int = 3) -> list[str]:
    """:func:`table_lines` for tables known only as text lines (a PDF table without rules): a run
    of lines with cells, led by a line of at least ``min_columns`` cells, is one table, judged by
    :func:`looks_like_header`; other lines are kept as they are."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        cells = cells_of(lines[i])
        j = i + 1
        if len(cells) >= min_columns:
            while j < len(lines) and _continues_table(cells_of(lines[j - 1]), cells_of(lines[j]), len(cells)):
                j += 1
        rows = [cells_of(line) for line in lines[i:j]]
        out.extend(table_lines(rows, True, min_columns) if looks_like_header(rows) else lines[i:j])
        i = j
    return out


def _continues_table(prev: Row, row: Row, width: int) -> bool:
    """Whether a line of cells is one more row of the table above: two cells up to ``width``
    (trailing empty cells are dropped), and not a new header of another width."""
    return 2 <= len(row) <= width and not (len(row) != len(prev) and is_header_row(row))
