"""Loading documents: text out of .txt, .md, .html/.htm, .pdf and .docx files, and by OCR out of
scanned PDF pages and .png, .jpg/.jpeg and .tif/.tiff images (:mod:`qa.loading.ocr`).

Every format gives the same thing: a :class:`Document` whose text reads as a
person reads the file (see ``text``, ``pdf``, ``markup`` and ``word`` in this
package), Unicode-normalised (:func:`qa.loading.text.normalize`), with page
ranges where the format has pages. A file that cannot be read (unsupported
type, binary, empty, corrupt) is reported as skipped with its reason.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from qa.loading.errors import LoadError
from qa.loading.limits import LimitExceeded, Limits, check_file_size, check_text, current, size_words, using
from qa.loading.text import decode, normalize

__all__ = ["EXTRACTION_VERSION", "SUPPORTED", "Document", "LimitExceeded", "Limits", "LoadError", "Skipped",
           "iter_files", "load_documents", "load_file"]

SUPPORTED = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx", ".png", ".jpg", ".jpeg", ".tif", ".tiff")


@dataclass
class Document:
    """The text of one file.

    ``pages`` lists ``(page, start, end)`` character ranges of ``text``: one per
    PDF page (page numbers from 1), or a single ``(None, 0, len(text))``.
    ``sha256`` is the hash of the file's bytes. An image file is one page a
    frame (a TIFF's pages). ``ocr_pages`` lists the pages read by OCR, and
    ``words`` their words with boxes (:data:`qa.loading.ocr.Word`: text and
    box as fractions of the page), by page, in reading order. ``notes`` says
    what a person should know about how the file was read (a scanned page
    where OCR found no text).
    """

    source: str
    text: str
    sha256: str
    pages: list[tuple[int | None, int, int]] = field(default_factory=list)
    ocr_pages: list[int] = field(default_factory=list)
    words: dict[int, list[tuple[str, float, float, float, float]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass
class Skipped:
    """A file that was not loaded, and why."""

    source: str
    reason: str


def _strip(text: str, pages: list[tuple[int | None, int, int]]
           ) -> tuple[str, list[tuple[int | None, int, int]]]:
    lead = len(text) - len(text.lstrip())
    text = text.strip()
    return text, [(p, max(0, s - lead), min(len(text), e - lead)) for p, s, e in pages]


# Raised whenever the loaders read files differently (2: tables as labelled rows; 3: Markdown
# rendered, HTML declarations dropped; 4: PDF pages in columns read column by column, the <h1> of
# an HTML page header kept; 5: two-column tables under a marked header labelled, an HTML header
# in two rows made one, a PDF footer split by a page's columns dropped; 6: DOCX read from its XML
# with changes accepted, content controls, fields, text boxes, notes and list numbers; <ol> numbers;
# PDF form values, PDF pages whose text runs up or down; 7: HTML comments and related stories
# left out, Markdown key: value lines and pipe rows kept apart, DOCX list numbers completed; 8: PDF
# pages without a text layer and image files read by OCR), so that `qa index` reads already indexed
# files again instead of keeping their old text.
EXTRACTION_VERSION = 8


def content_hash(data: bytes) -> str:
    """The hex SHA-256 of a file's bytes, as kept in :attr:`Document.sha256`."""
    return hashlib.sha256(data).hexdigest()


def _pages_named(pages: list[int]) -> str:
    """``[3]`` -> ``"page 3"``; ``[2, 5]`` -> ``"pages 2, 5"``."""
    return ("page " if len(pages) == 1 else "pages ") + ", ".join(map(str, pages))


def load_file(path: str | Path, limits: Limits | None = None,
              on_page: Callable[[int, int], None] | None = None) -> Document:
    """Read one file into a :class:`Document`, within ``limits`` (None: those in force, by default
    :class:`Limits`' defaults). Any failure of a loader, whatever its kind, comes out as a
    :class:`LoadError` with a one-line reason. Memory and time are bounded only when the file is read
    in a worker process (:mod:`qa.loading.workers`).

    ``on_page(page, pages)`` is called as each page of a PDF or an image file has been read
    (pages read by OCR take a second or more each: a progress display for long scans).

    Raises:
        LoadError: unsupported extension, binary or empty content, corrupt or truncated file, an OS
            error reading it, markup nested too deeply, or a loader's unexpected failure; a scanned
            PDF or an image when the ``ocr`` extra is not installed (the message names it).
        LimitExceeded: the file is past one of ``limits`` (a :class:`LoadError` too).
    """
    with using(limits):
        try:
            return _load(Path(path), on_page)
        except LoadError:
            raise
        except RecursionError as e:
            raise LoadError("nested too deeply to read (markup or objects thousands of levels deep)") from e
        except MemoryError as e:
            raise LimitExceeded(f"needs more than {size_words(current().worker_memory)} of memory to read "
                                "(the worker_memory limit)") from e
        except Exception as e:  # a loader's unforeseen failure is a named skip, never a crash
            detail = (str(e).strip().splitlines() or [""])[0][:100]
            raise LoadError(f"could not be read ({type(e).__name__}{': ' + detail if detail else ''})") from e


def _load(path: Path, on_page: Callable[[int, int], None] | None) -> Document:
    """The body of :func:`load_file`, under the limits in force."""
    from qa.loading.markup import html_to_text, markdown_to_text
    from qa.loading.ocr import IMAGE_TYPES, OcrMissing, read_image, store_words
    from qa.loading.pdf import Scanned, pages_text, read_pdf
    from qa.loading.word import read_docx

    ext = path.suffix.lower()
    if ext not in SUPPORTED:
        raise LoadError(f"unsupported file type '{ext or path.name}'")
    check_file_size(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise LoadError(f"cannot read ({e.strerror})") from e
    if not data or data.isspace():  # no stripped copy of a large file
        raise LoadError("empty file")
    sha = content_hash(data)
    scanned = Scanned()
    if ext == ".pdf":
        if not data.startswith(b"%PDF"):
            raise LoadError("corrupt PDF (no %PDF header)")
        del data  # the PDF reader reads the file itself
        text, pages = read_pdf(path, on_page, scanned)  # normalised line by line
    elif ext in IMAGE_TYPES:
        del data  # the image reader reads the file itself
        lines, scanned = read_image(path, on_page)
        text, pages = pages_text(lines)
    else:
        if ext == ".docx":
            text = read_docx(path)
        elif ext in (".html", ".htm"):
            text = html_to_text(decode(data))
        elif ext in (".md", ".markdown"):
            text = markdown_to_text(decode(data))
        else:
            text = decode(data)
        del data
        text = normalize(check_text(text))
        pages = [(None, 0, len(text))]
    text, pages = _strip(check_text(text), pages)
    if not text.strip():
        if scanned.unread:
            raise OcrMissing(f"{_pages_named(scanned.unread)} scanned: reading them needs OCR; install the "
                             "ocr extra (pip install 'qa-docs[ocr]')")
        if scanned.ocr_pages:
            raise LoadError("no text found by OCR" + ("" if ext in IMAGE_TYPES else " on its scanned pages"))
        raise LoadError("no text layer and nothing drawn" if ext == ".pdf" else "no text in file")
    if scanned.words:
        store_words(sha, scanned.words)
    notes = []
    if scanned.empty:
        notes.append(f"{_pages_named(scanned.empty)}: no text found by OCR")
    if scanned.unread:
        notes.append(f"{_pages_named(scanned.unread)}: scanned, not read (install the ocr extra: "
                     "pip install 'qa-docs[ocr]')")
    return Document(source=str(path), text=text, sha256=sha, pages=pages, ocr_pages=scanned.ocr_pages,
                    words=scanned.words, notes=notes)


def iter_files(paths: Iterable[str | Path]) -> list[Path]:
    """Expand files and folders (recursively, sorted, hidden entries skipped).

    Raises:
        FileNotFoundError: a given path does not exist.
    """
    files: list[Path] = []
    for p in map(Path, paths):
        if not p.exists():
            raise FileNotFoundError(f"no such file or folder: {p}")
        if p.is_dir():
            files.extend(
                f for f in sorted(p.rglob("*"))
                if f.is_file() and not any(part.startswith(".") for part in f.relative_to(p).parts)
            )
        else:
            files.append(p)
    return files


def load_documents(paths: Iterable[str | Path], limits: Limits | None = None
                   ) -> tuple[list[Document], list[Skipped]]:
    """Load every supported file under ``paths`` in worker processes (:mod:`qa.loading.workers`: a
    memory and time limit per file, several files at once); returns (loaded, skipped)."""
    from qa.loading.workers import load_in_workers

    docs: list[Document] = []
    skipped: list[Skipped] = []
    for _, out in load_in_workers(iter_files(paths), limits):
        (skipped if isinstance(out, Skipped) else docs).append(out)
    return docs, skipped
