"""Text out of page images: scanned PDF pages and .png/.jpg/.tiff files, by OCR.

The engine is RapidOCR (Apache-2.0) on ONNX Runtime (MIT) with the PP-OCRv6 small detection and
recognition models (Apache-2.0, PaddleOCR) that ship inside the ``rapidocr`` wheel: nothing is
downloaded when it runs. They come with the ``ocr`` extra (``pip install 'qa-docs[ocr]'``); without
it a page that needs OCR is a :class:`OcrMissing` error that names the extra.

A page image becomes :class:`qa.ingest.loading.layout.Line` objects, as a PDF page's text layer does, so that
paragraphs, running headers, tables (`` | `` between cells) and page ranges come out the same way:
the detector's text boxes are put upright (a scan turned by a degree or two is measured from the
boxes' top edges and turned back), boxes on one row are joined (a gap wider than the text's height
is a table's cell border), and a page set in columns is read column by column
(:func:`qa.ingest.loading.layout.column_gutters` on the recognised words). A page whose text reads poorly is
read again upside down, and kept that way when that reads better (a sheet scanned the wrong way up).

The recognised words' boxes (:data:`Word`, as fractions of the page's width and height, in reading
order) are kept for outlining an answer on the page (:func:`outline`): in the ``Document`` that
``load_file`` returns and in a cache under ``$QA_CACHE_DIR/ocr`` (else ``~/.cache/qa-docs/ocr``)
named by the file's SHA-256, from which :func:`cached_words` reads them again, recognising the page
anew when they are not there.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from qa.ingest.loading.errors import LoadError
from qa.ingest.loading.layout import Line, _bands, _label_unruled, _reading_order, column_gutters
from qa.ingest.loading.text import CELL_SEP, normalize

OCR_DPI = 200  # PDF pages are drawn this fine for OCR
MAX_SIDE = 4000  # ... and never wider or taller than this many pixels
MAX_PIXELS = 100_000_000  # an image file larger than this is refused (a decompression bomb?)
DET_SIDE = 1280  # text is found on the page scaled to this many pixels at most (2.5x quicker than 2000; bench/ocr.py)
THREADS = 2  # ONNX Runtime threads per process: files are read in several processes at once
_CACHE_VERSION = 1  # raised when the words kept in the cache change
_WEAK = 0.8  # a page whose mean recognition score is under this is also read upside down
IMAGE_TYPES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")

# A word and its box, as fractions of the page's width and height: (text, x0, top, x1, bottom).
Word = tuple[str, float, float, float, float]
OnPage = Callable[[int, int], None]  # called with (page, pages) as each page has been read

_engine = None


@dataclass
class Scanned:
    """What OCR did for one file: the pages it read, their words' boxes (:data:`Word`
    lists by page), the pages where it found no text, and the pages that needed it but were not
    read (the ``ocr`` extra is not installed)."""

    ocr_pages: list[int] = field(default_factory=list)
    words: dict[int, list[Word]] = field(default_factory=dict)
    empty: list[int] = field(default_factory=list)
    unread: list[int] = field(default_factory=list)


class OcrMissing(LoadError):
    """A page needs OCR but the ``ocr`` extra is not installed."""


def engine():
    """The OCR engine, made once per process (its models load on first use, about a second).

    Raises:
        OcrMissing: the ``ocr`` extra (rapidocr, onnxruntime) is not installed.
    """
    global _engine
    if _engine is None:
        try:
            from rapidocr import RapidOCR
        except ImportError as e:
            raise OcrMissing("scanned pages need OCR: install the ocr extra (pip install 'qa-docs[ocr]')") from e
        _few_malloc_arenas()
        _no_spinning()
        threads = max(1, min(THREADS, os.cpu_count() or 1))
        _engine = RapidOCR(params={
            "Global.log_level": "error",
            "Global.use_cls": False,  # the per-line 180-degree classifier turns good lines over; see _recognise
            "EngineConfig.onnxruntime.intra_op_num_threads": threads,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            "Det.limit_type": "max",
            "Det.limit_side_len": DET_SIDE,
            "EngineConfig.onnxruntime.enable_cpu_mem_arena": False,  # keeps a worker's address space small
        })
    return _engine


def _few_malloc_arenas() -> None:
    """Let glibc keep at most two malloc arenas in this process: each ONNX Runtime thread would
    otherwise reserve an arena of its own (64 MB of address space each), and files are read in
    processes whose address space is limited (``worker_memory``): an OCR'd page then takes about
    1.3 GB of address space with the pipeline's modules loaded, not 1.7 GB. Elsewhere than glibc,
    nothing is done."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(-8, 2)  # M_ARENA_MAX
    except (OSError, AttributeError):
        pass


def _no_spinning() -> None:
    """Make RapidOCR's ONNX Runtime sessions let their threads sleep between runs instead of
    spinning (busy-waiting): on a shared or loaded machine spinning took 20 % more CPU time a page
    and twice the wall time (docs/ocr.md). RapidOCR sets no such option itself; its session
    options are wrapped where its code is as expected, else left alone."""
    try:
        from rapidocr.inference_engine.onnxruntime.main import OrtInferSession
    except ImportError:
        return
    make = OrtInferSession.__dict__.get("_init_sess_opts")
    if not isinstance(make, staticmethod) or getattr(make.__func__, "_qa_no_spin", False):
        return

    def options(cfg):
        opts = make.__func__(cfg)
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return opts

    options._qa_no_spin = True
    OrtInferSession._init_sess_opts = staticmethod(options)


class _Box:
    """One detected text box: its text, score, words with their corners, in image pixels."""

    def __init__(self, text: str, score: float, corners, words: list[tuple[str, list]]):
        self.text, self.score, self.corners, self.words = text, score, corners, words


def _boxes(image) -> list[_Box]:
    """The text boxes of a PIL image, as the engine reads it the right way up."""
    import numpy as np

    result = engine()(np.asarray(image.convert("RGB")), return_word_box=True)
    if not len(result):
        return []
    out = []
    for k, (text, score, corners) in enumerate(zip(result.txts, result.scores, result.boxes, strict=True)):
        text = normalize(text).strip()
        if not text:
            continue
        words = [(normalize(w[0]).strip(), w[2]) for w in (result.word_results[k] or ())
                 if w[2] is not None and normalize(w[0]).strip()]
        out.append(_Box(text, float(score), [tuple(map(float, p)) for p in corners],
                        [(t, [tuple(map(float, p)) for p in c]) for t, c in words] or [(text, None)]))
    return out


def _quality(boxes: list[_Box]) -> float:
    """How well a page read: characters weighted by their boxes' scores."""
    return sum(b.score * len(b.text) for b in boxes)


def _recognise(image) -> tuple[list[_Box], bool]:
    """The text boxes of a page image, and whether they are those of the image turned over: a page
    that reads poorly (mean score under ``_WEAK``) is also read turned over, and the better reading
    kept (its boxes in the turned image's coordinates, so that its lines keep their order)."""
    boxes = _boxes(image)
    if boxes and statistics.fmean(b.score for b in boxes) >= _WEAK:
        return boxes, False
    turned = _boxes(image.rotate(180))
    return (turned, True) if _quality(turned) > _quality(boxes) else (boxes, False)


def _skew(boxes: list[_Box]) -> float:
    """The page's skew in radians: the median slope of the top edges of long boxes (0 when none)."""
    slopes = []
    for b in boxes:
        (x0, y0), (x1, y1) = b.corners[0], b.corners[1]
        height = math.dist(b.corners[0], b.corners[3])
        if x1 - x0 > 3 * max(height, 1.0):
            slopes.append(math.atan2(y1 - y0, x1 - x0))
    return statistics.median(slopes) if slopes else 0.0


def _upright(points, angle: float, scale: float) -> tuple[float, float, float, float]:
    """The box (x0, top, x1, bottom) around ``points`` turned by ``-angle``, times ``scale``."""
    c, s = math.cos(angle), math.sin(angle)
    xs = [(x * c + y * s) * scale for x, y in points]
    ys = [(-x * s + y * c) * scale for x, y in points]
    return min(xs), min(ys), max(xs), max(ys)


def _word_dicts(boxes: list[_Box], angle: float, scale: float) -> list[dict]:
    """The boxes' words as pdfplumber-like dicts (``text``, ``x0``, ``x1``, ``top``, ``bottom``),
    upright, in points; a box without word corners counts as one word."""
    out = []
    for b in boxes:
        for text, corners in b.words:
            x0, top, x1, bottom = _upright(corners or b.corners, angle, scale)
            out.append({"text": text, "x0": x0, "x1": x1, "top": top, "bottom": bottom})
    return out


def _rows(group: list[tuple[tuple, _Box]]) -> list[list[tuple[tuple, _Box]]]:
    """Boxes (with their upright places) grouped into rows: a box joins a row when its middle lies
    within the first box of the row, top to bottom; each row left to right."""
    rows: list[list[tuple[tuple, _Box]]] = []
    for item in sorted(group, key=lambda it: (it[0][1] + it[0][3]) / 2):
        (_, top, _, bottom), _ = item
        mid = (top + bottom) / 2
        if rows and rows[-1][0][0][1] <= mid <= rows[-1][0][0][3]:
            rows[-1].append(item)
        else:
            rows.append([item])
    return [sorted(row, key=lambda it: it[0][0]) for row in rows]


def page_lines(image, scale: float) -> tuple[list, list[Word]]:
    """The lines of a page image in reading order (:class:`qa.ingest.loading.layout.Line`, in points: pixels
    times ``scale``) and its words in the same order, each box a fraction of the page.

    Raises:
        OcrMissing: the ``ocr`` extra is not installed.
    """
    boxes, turned = _recognise(image)
    if not boxes:
        return [], []
    angle = _skew(boxes)
    placed = [(_upright(b.corners, angle, scale), b) for b in boxes]
    words = _word_dicts(boxes, angle, scale)
    gutters = column_gutters(words)
    groups: dict[tuple[int, int], list] = {}
    if gutters:
        cuts = [(a + b) / 2 for a, b in gutters]
        bands = _bands(words, [], gutters, min(w["top"] for w in words), max(w["bottom"] for w in words))
        for item in placed:
            x0, top, x1, bottom = item[0]
            band = next((k for k, (a, b, _) in enumerate(bands) if a <= (top + bottom) / 2 < b), len(bands) - 1)
            column = -1 if bands[band][2] else sum(c <= (x0 + x1) / 2 for c in cuts)
            groups.setdefault((band, column), []).append(item)
    else:
        groups[(0, 0)] = placed
    lines, ordered = [], []
    for (band, column), group in groups.items():
        for row in _rows(group):
            text = row[0][1].text
            for (prev, _), (place, box) in itertools.pairwise(row):
                height = min(prev[3] - prev[1], place[3] - place[1])
                text += (CELL_SEP if place[0] - prev[2] > 0.8 * height else " ") + box.text
            x0 = min(p[0] for p, _ in row)
            lines.append(Line(text, min(p[1] for p, _ in row), max(p[3] for p, _ in row), x0,
                              max(p[2] for p, _ in row), CELL_SEP in text, band, column))
            ordered.append((_reading_order(lines[-1]), x0, [b for _, b in row]))
    lines = _label_unruled(sorted(lines, key=_reading_order))
    w, h = image.size
    page_words = []
    for _, _, row in sorted(ordered, key=lambda o: (o[0], o[1])):
        for b in row:
            for text, corners in b.words:
                xs, ys = zip(*(corners or b.corners), strict=True)
                box = (max(0.0, min(xs) / w), max(0.0, min(ys) / h), min(1.0, max(xs) / w), min(1.0, max(ys) / h))
                if turned:  # the box on the page as it lies
                    box = (1 - box[2], 1 - box[3], 1 - box[0], 1 - box[1])
                page_words.append((text, *(round(v, 5) for v in box)))
    return lines, page_words


def _cache_file(sha256: str) -> Path:
    base = Path(os.environ.get("QA_CACHE_DIR") or Path.home() / ".cache" / "qa-docs")
    return base / "ocr" / f"{sha256}.json"


def store_words(sha256: str, words: dict[int, list[Word]]) -> None:
    """Keep the OCR'd pages' words of the file with this SHA-256 in the cache (added to those kept);
    a cache that cannot be written is passed over (the words are recognised again when needed)."""
    path = _cache_file(sha256)
    try:
        kept = _read_cache(path)
        kept.update(words)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"version": _CACHE_VERSION, "pages": {str(k): v for k, v in kept.items()}}))
        os.replace(tmp, path)
    except OSError:
        pass


def _read_cache(path: Path) -> dict[int, list[Word]]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != _CACHE_VERSION:
        return {}
    return {int(k): [tuple(w) for w in v] for k, v in data.get("pages", {}).items()}


def cached_words(sha256: str, page: int, image: Callable[[], object]) -> list[Word]:
    """The words of OCR'd ``page`` of the file with this SHA-256: from the cache, else recognised
    on ``image()`` (the page image) and kept.

    Raises:
        OcrMissing: they are not in the cache and the ``ocr`` extra is not installed.
    """
    kept = _read_cache(_cache_file(sha256))
    if page in kept:
        return kept[page]
    _, words = page_lines(image(), 1.0)
    store_words(sha256, {page: words})
    return words


def _key(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def find_words(words: list[Word], mark: str) -> list[tuple[float, float, float, float]]:
    """The boxes (fractions of the page) where ``mark`` stands among ``words``, ignoring case and
    punctuation: every run of words that spells it out; where there is none, its longest word."""
    want = [k for k in map(_key, mark.split()) if k]
    if not want:
        return []
    keys = [_key(w[0]) for w in words]
    found = []
    for i in range(len(words) - len(want) + 1):
        if keys[i:i + len(want)] == want:
            found += [w[1:] for w in words[i:i + len(want)]]
    if not found and len(want) > 1:
        longest = max(want, key=len)
        found = [w[1:] for w, k in zip(words, keys, strict=True) if k == longest]
    return found


def image_pages(path: Path):
    """The pages (frames) of an image file, one by one, as PIL images.

    Raises:
        LoadError: not a readable image, or larger than ``MAX_PIXELS``.
    """
    from PIL import Image, ImageSequence

    try:
        with Image.open(path) as im:
            if im.width * im.height > MAX_PIXELS:
                raise LoadError(f"image larger than {MAX_PIXELS // 1_000_000} million pixels")
            for frame in ImageSequence.Iterator(im):
                if frame.width * frame.height > MAX_PIXELS:
                    raise LoadError(f"image larger than {MAX_PIXELS // 1_000_000} million pixels")
                yield frame.convert("RGB"), frame.info.get("dpi")
    except LoadError:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as e:
        raise LoadError(f"corrupt or unreadable image ({str(e)[:80] or type(e).__name__})") from e


def _scale(dpi) -> float:
    """Points per pixel of an image: from its resolution when it records a plausible one, else as
    if it were 200 dpi."""
    try:
        d = float(dpi[0]) if dpi else 0.0
    except (TypeError, ValueError, IndexError):
        d = 0.0
    return 72 / d if 50 <= d <= 1200 else 72 / OCR_DPI


def _shrunk(image):
    """The image scaled down so that neither side is over ``MAX_SIDE`` pixels."""
    side = max(image.size)
    if side <= MAX_SIDE:
        return image
    f = MAX_SIDE / side
    return image.resize((max(1, round(image.width * f)), max(1, round(image.height * f))))


def read_image(path: Path, on_page: OnPage | None = None):
    """An image file's pages of lines by OCR, each frame (a TIFF's pages) a page, and a
    :class:`Scanned` saying what OCR found.

    Raises:
        LoadError: not a readable image; OcrMissing: the ``ocr`` extra is not installed.
    """
    scanned, pages = Scanned(), []
    frames = list(image_pages(path))
    for number, (frame, dpi) in enumerate(frames, start=1):
        small = _shrunk(frame)
        lines, words = page_lines(small, _scale(dpi) * frame.width / small.width)
        pages.append(lines)
        scanned.ocr_pages.append(number)
        if words:
            scanned.words[number] = words
        else:
            scanned.empty.append(number)
        if on_page:
            on_page(number, len(frames))
    return pages, scanned


def render_image(path: str | Path, page_number: int, mark: str = "", width: int = 800):
    """An image file's page (frame), ``width`` pixels wide at most, with ``mark`` outlined.

    Raises:
        LoadError: the file cannot be read or has no such page.
    """
    from PIL import ImageDraw

    from qa.ingest.loading import content_hash

    path = Path(path)
    try:
        frames = list(image_pages(path))
        if not 1 <= page_number <= len(frames):
            raise LoadError(f"{path} has no page {page_number}")
        frame = frames[page_number - 1][0]
        boxes = []
        if mark.strip():
            words = cached_words(content_hash(path.read_bytes()), page_number, lambda: _shrunk(frame))
            boxes = find_words(words, mark)
    except OSError as e:
        raise LoadError(f"cannot read ({e.strerror})") from e
    if frame.width > width:
        frame = frame.resize((width, max(1, round(frame.height * width / frame.width))))
    if boxes:
        overlay = frame.convert("RGBA")
        layer = overlay.copy()
        layer.putalpha(0)
        draw = ImageDraw.Draw(layer)
        for x0, top, x1, bottom in boxes:
            draw.rectangle([x0 * frame.width, top * frame.height, x1 * frame.width, bottom * frame.height],
                           fill=(255, 224, 102, 90), outline=(230, 120, 0, 255), width=2)
        frame = ImageDraw.Image.alpha_composite(overlay, layer).convert("RGB")
    return frame
