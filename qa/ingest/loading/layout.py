"""Lines on a page: where its columns are and in what order its lines are read.

Shared by the PDF reader (:mod:`qa.ingest.loading.pdf`, lines from a text layer) and OCR
(:mod:`qa.ingest.loading.ocr`, lines from a page image): a :class:`Line` knows its place on the page (PDF
points, top-down) and, on a page set in columns, its band and column; :func:`column_gutters` finds
the gaps between columns of prose, :func:`_bands` the strips that run across them, and
:func:`_reading_order` sorts lines band by band, column by column, top to bottom.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import statistics
from dataclasses import dataclass

from qa.ingest.loading.tables import label_table_rows

_GUTTER_EM = 0.6  # a gap between columns is at least this many font sizes wide ...
_PROSE_WORDS = 4  # ... with lines of at least this many words (median) on each side


@dataclass
class Line:
    """One line of a page: its text and where it sits (PDF points, top-down)."""

    text: str
    top: float
    bottom: float
    x0: float
    x1: float
    is_row: bool = False  # a table row: never merged with its neighbours
    band: int = 0  # on a page set in columns: the band (between things across the columns) ...
    column: int = 0  # ... and the column, counted from 0 at the left; -1 across the columns


def _label_unruled(lines: list[Line]) -> list[Line]:
    """Runs of text lines split into cells by gaps (a table without rules) as
    :func:`qa.ingest.loading.tables.label_table_rows` writes them; a dropped header line goes."""
    out: list[Line] = []
    run: list[Line] = []
    for line in [*lines, None]:
        if line is not None and line.is_row:
            run.append(line)
            continue
        texts = label_table_rows([ln.text for ln in run])
        dropped = len(run) - len(texts)  # header lines gone: the rows keep their order and places
        out.extend(dataclasses.replace(ln, text=t, is_row=True) for t, ln in zip(texts, run[dropped:]))
        run = []
        if line is not None:
            out.append(line)
    return out


def _centre(obj) -> tuple[float, float]:
    """The middle of a pdfplumber object (a character, a word), in PDF points."""
    return (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2


def _word_rows(words: list[dict]) -> list[list[dict]]:
    """Words grouped into rows: a word joins the row above when their tops are within half its height."""
    rows: list[list[dict]] = []
    for w in sorted(words, key=lambda w: (w["top"], w["x0"])):
        if rows and w["top"] - rows[-1][0]["top"] <= 0.5 * (w["bottom"] - w["top"]):
            rows[-1].append(w)
        else:
            rows.append([w])
    return rows


def _across(row: list[dict], gutter: tuple[float, float]) -> bool:
    """True when a row of words runs across a gutter: a word crosses its middle, or the words on
    either side of it are no further apart than a space between words (under half the font size:
    a title whose space falls there); columns stand at least ``_GUTTER_EM`` apart."""
    cut = sum(gutter) / 2
    if any(w["x0"] < cut < w["x1"] for w in row):
        return True
    left = [w for w in row if w["x1"] <= cut]
    right = [w for w in row if w["x0"] >= cut]
    if not left or not right:
        return False
    a, b = max(left, key=lambda w: w["x1"]), min(right, key=lambda w: w["x0"])
    size = max(a["bottom"] - a["top"], b["bottom"] - b["top"])
    return b["x0"] - a["x1"] < 0.5 * size


def _column_texts(rows: list[list[dict]], cuts: list[float]) -> list[list[str]]:
    """Each column's lines of text, top to bottom, from rows that stay within the columns."""
    bounds = [-math.inf, *cuts, math.inf]
    columns: list[list[str]] = [[] for _ in cuts] + [[]]
    for row in rows:
        for k, (lo, hi) in enumerate(itertools.pairwise(bounds)):
            words = sorted((w for w in row if lo <= _centre(w)[0] < hi), key=lambda w: w["x0"])
            if words:
                columns[k].append(" ".join(w["text"] for w in words))
    return columns


def _reads_as_prose(columns: list[list[str]]) -> bool:
    """True when every column holds lines of prose: at least two, with a median of at least
    ``_PROSE_WORDS`` words (the cells of a table hold fewer), and lines that run on into the next
    (a next line starting in lower case, a line ending in "-" or ",") in at least 30 % of the
    places where one line follows another; table cells, even wordy ones, start afresh."""
    pairs = runs_on = 0
    for lines in columns:
        if len(lines) < 2 or statistics.median(len(t.split()) for t in lines) < _PROSE_WORDS:
            return False
        for prev, line in itertools.pairwise(lines):
            pairs += 1
            runs_on += line[:1].islower() or prev.endswith(("-", ","))
    return runs_on >= 0.3 * pairs


def column_gutters(words: list[dict]) -> list[tuple[float, float]]:
    """The gaps between the columns of a page set in columns of prose, left to right; ``[]`` for
    a page of one column (or a table).

    ``words``: pdfplumber words (``x0``, ``x1``, ``top``, ``bottom`` in PDF points). A gutter is
    an x range at least ``_GUTTER_EM`` font sizes wide, away from the page's edges, that no word
    covers in at least 80 % of the rows (a title or a table may run across the columns), with
    prose on each side (:func:`_reads_as_prose`): the columns of a table without rules leave
    such gaps too, but their cells are short or start afresh. The idea is the whitespace-gap analysis of page
    layout (Baird, "Background structure in document images", 1994), kept to full-height gaps.
    """
    rows = _word_rows(words)
    if len(rows) < 4:
        return []
    left, right = min(w["x0"] for w in words), max(w["x1"] for w in words)
    width = right - left
    size = statistics.median(w["bottom"] - w["top"] for w in words)
    coverage = [0] * (math.ceil(width) + 1)
    for row in rows:
        for x in {x for w in row for x in range(int(w["x0"] - left), math.ceil(w["x1"] - left))}:
            coverage[x] += 1
    limit = max(2.0, 0.2 * len(rows))
    gutters, start = [], None
    for x, n in enumerate([*coverage, math.inf]):
        if n <= limit and start is None:
            start = x
        elif n > limit and start is not None:
            if x - start >= _GUTTER_EM * size and 0.15 * width < (start + x) / 2 < 0.85 * width:
                gutters.append((left + start, left + x))
            start = None
    if not gutters:
        return []
    inside = [row for row in rows if not any(_across(row, g) for g in gutters)]
    return gutters if _reads_as_prose(_column_texts(inside, [(a + b) / 2 for a, b in gutters])) else []


def _bands(words: list[dict], boxes: list[tuple], gutters: list[tuple[float, float]], top: float,
           bottom: float) -> list[tuple[float, float, bool]]:
    """The page from top to bottom as ``(top, bottom, across)`` bands: ``across`` for the strips
    of rows and tables that run across a column gap, the rest between them."""
    cuts = [(a + b) / 2 for a, b in gutters]
    rows = [row for row in _word_rows(words) if any(_across(row, g) for g in gutters)]
    strips = sorted([(min(w["top"] for w in row), max(w["bottom"] for w in row)) for row in rows]
                    + [(b[1], b[3]) for b in boxes if any(b[0] < c < b[2] for c in cuts)])
    merged: list[list[float]] = []
    for a, b in strips:
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    bands, y = [], top
    for a, b in merged:
        if a > y:
            bands.append((y, a, False))
        bands.append((max(a, y), b, True))
        y = b
    return [*bands, (y, max(bottom, y) + 1.0, False)]


def _reading_order(line: Line) -> tuple[int, int, float]:
    return line.band, line.column, line.top
