"""Loading documents: text out of text, Markdown, HTML, PDF, Word, spreadsheet, slide, mail, RTF,
OpenDocument and EPUB files, and by OCR out of scanned PDF pages and .png, .jpg/.jpeg and
.tif/.tiff images (:mod:`qa.ingest.loading.ocr`).

Every format gives the same thing: a :class:`Document` whose text reads as a
person reads the file (see ``text``, ``pdf``, ``markup``, ``word``, ``sheets``, ``slides``,
``mail`` and ``office`` in this package), Unicode-normalised (:func:`qa.ingest.loading.text.normalize`),
with page ranges where the format has pages (PDF pages, slides, sheets, the messages of a
mailbox). A mail's attachments are documents of their own (:attr:`Document.attachments`). A
file that cannot be read (unsupported type, binary, empty, corrupt) is reported as skipped with
its reason.
"""

from __future__ import annotations

import contextvars
import hashlib
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from qa.ingest.loading.errors import LoadError
from qa.ingest.loading.limits import (
    LimitExceeded,
    Limits,
    check_file_size,
    check_text,
    current,
    size_words,
    using,
)
from qa.ingest.loading.ocr import IMAGE_TYPES
from qa.ingest.loading.text import Page, decode, join_parts, normalize

__all__ = ["ATTACHMENT_SEP", "EXTRACTION_VERSION", "SUPPORTED", "Document", "LimitExceeded", "Limits", "LoadError",
           "Page", "Skipped", "container_of", "iter_files", "load_documents", "load_file", "page_name"]

SHEETS = (".csv", ".tsv", ".xlsx", ".xlsm", ".ods")
SUPPORTED = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx", *SHEETS, ".pptx", ".eml", ".mbox",
             ".rtf", ".odt", ".epub", *IMAGE_TYPES)
ATTACHMENT_SEP = " › "  # between a mail's path and an attachment's name: "mail.eml › offer.pdf"
MAX_NESTING = 3  # attachments of attachments read this deep (a mail forwarded in a mail ...)
# What a part of a document is called in a citation, by the file's extension ("page" otherwise).
PAGE_WORDS = {".pptx": "slide", ".xlsx": "sheet", ".xlsm": "sheet", ".ods": "sheet", ".mbox": "message",
              ".epub": "section"}


@dataclass
class Skipped:
    """A file that was not loaded, and why."""

    source: str
    reason: str


@dataclass
class Document:
    """The text of one file.

    ``pages`` lists ``(page, start, end)`` character ranges of ``text``: one per
    PDF page or slide (numbers from 1), sheet (its name), message of a mailbox or document of an
    EPUB book (its number), or a single ``(None, 0, len(text))``. ``sha256`` is the hash of the file's bytes.
    ``attachments`` are a mail's attachments read as documents of their own, each with the
    source ``"{mail's source} › {name}"`` (attachments of attachments included, flattened);
    ``skipped`` the attachments that could not be read, with the same kind of source. An image
    file is one page a frame (a TIFF's pages). ``ocr_pages`` lists the pages read by OCR, and
    ``words`` their words with boxes (:data:`qa.ingest.loading.ocr.Word`: text and box as fractions of
    the page), by page, in reading order. ``notes`` says what a person should know about how the
    file was read (a scanned page where OCR found no text).
    """

    source: str
    text: str
    sha256: str
    pages: list[tuple[Page, int, int]] = field(default_factory=list)
    attachments: list[Document] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    ocr_pages: list[int] = field(default_factory=list)
    words: dict[int, list[tuple[str, float, float, float, float]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def container_of(source: str) -> str:
    """The file a document's text comes from: the mail for an attachment
    (``"a/mail.eml › offer.pdf"`` -> ``"a/mail.eml"``), else the source itself."""
    return source.split(ATTACHMENT_SEP, 1)[0]


def page_name(source: str, page: Page) -> str:
    """A part of a document in words, by its file's kind: ``"page 4"``, ``"slide 3"``,
    ``"sheet Prices"``, ``"message 2"``; "" for None (a document without pages)."""
    if page is None or page == "":
        return ""
    return f"{PAGE_WORDS.get(Path(source).suffix.lower(), 'page')} {page}"


def _strip(text: str, pages: list[tuple[Page, int, int]]
           ) -> tuple[str, list[tuple[Page, int, int]]]:
    lead = len(text) - len(text.lstrip())
    text = text.strip()
    return text, [(p, max(0, s - lead), min(len(text), e - lead)) for p, s, e in pages]


# Raised whenever the loaders read files differently (2: tables as labelled rows; 3: Markdown
# rendered, HTML declarations dropped; 4: PDF pages in columns read column by column, the <h1> of
# an HTML page header kept; 5: two-column tables under a marked header labelled, an HTML header
# in two rows made one, a PDF footer split by a page's columns dropped; 6: DOCX read from its XML
# with changes accepted, content controls, fields, text boxes, notes and list numbers; <ol> numbers;
# PDF form values, PDF pages whose text runs up or down; 7: HTML comments and related stories
# left out, Markdown key: value lines and pipe rows kept apart, DOCX list numbers completed), so
# that `qa index` reads already indexed files again instead of keeping their old text.
# 8: spreadsheets, slides, mail, RTF, ODT and EPUB read; PDF pages without a text layer and image
# files read by OCR; short legacy code-page texts judged by letter frequency, consent managers left
# out, code kept with its indentation.
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
    in a worker process (:mod:`qa.ingest.loading.workers`).

    ``on_page(page, pages)`` is called as each page of a PDF or an image file has been read
    (pages read by OCR take a second or more each: a progress display for long scans).

    Raises:
        LoadError: unsupported extension, binary or empty content, corrupt, encrypted or truncated
            file, an OS error reading it, markup nested too deeply, or a loader's unexpected failure;
            a scanned PDF or an image when the ``ocr`` extra is not installed (the message names it).
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
    from qa.ingest.loading.ocr import OcrMissing, store_words
    from qa.ingest.loading.pdf import Scanned

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
    found: list[tuple[str, bytes]] = []  # a mail's attachments: (name, bytes)
    box = [data] if ext in _FROM_BYTES else []  # other kinds' readers read the file themselves
    del data
    scanned = Scanned()
    text, pages = _read(path, ext, box, found, on_page, scanned)
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
    doc = Document(source=str(path), text=text, sha256=sha, pages=pages, ocr_pages=scanned.ocr_pages,
                   words=scanned.words, notes=_scan_notes(scanned))
    if found:
        _attach(doc, found)
    return doc


def _scan_notes(scanned) -> list[str]:
    """What a person should know of a file's scanned pages: those where OCR found nothing, those
    not read for want of the ``ocr`` extra."""
    notes = []
    if scanned.empty:
        notes.append(f"{_pages_named(scanned.empty)}: no text found by OCR")
    if scanned.unread:
        notes.append(f"{_pages_named(scanned.unread)}: scanned, not read (install the ocr extra: "
                     "pip install 'qa-docs[ocr]')")
    return notes


_FROM_BYTES = (".txt", ".md", ".markdown", ".html", ".htm", ".csv", ".tsv", ".eml", ".rtf")  # read from bytes


def _read(path: Path, ext: str, box: list[bytes], found: list[tuple[str, bytes]],
          on_page: Callable[[int, int], None] | None, scanned) -> tuple[str, list[tuple[Page, int, int]]]:
    """The normalised text of a file of kind ``ext`` and its pages; ``box`` holds the file's bytes
    for the kinds in :data:`_FROM_BYTES` (taken out, so that they are freed once decoded); a mail's
    attachments are appended to ``found``; what OCR did to a PDF's or an image's pages is kept in
    ``scanned`` (:class:`qa.ingest.loading.pdf.Scanned`), ``on_page`` told of each page read.

    Raises:
        LoadError: the file cannot be read as its kind.
    """
    from qa.ingest.loading import mail, office, sheets, slides
    from qa.ingest.loading.markup import html_to_text, markdown_to_text
    from qa.ingest.loading.ocr import read_image
    from qa.ingest.loading.pdf import pages_text, read_pdf
    from qa.ingest.loading.word import read_docx

    if ext == ".pdf":
        with open(path, "rb") as f:
            if not f.read(4) == b"%PDF":
                raise LoadError("corrupt PDF (no %PDF header)")
        return read_pdf(path, on_page, scanned)  # normalised line by line
    if ext in IMAGE_TYPES:
        lines, found_scan = read_image(path, on_page)
        vars(scanned).update(vars(found_scan))
        return pages_text(lines)
    parted: list[tuple[Page, str]] | None = None
    if ext in (".xlsx", ".xlsm"):
        parted = list(sheets.read_xlsx(path))
    elif ext == ".ods":
        parted = list(sheets.read_ods(path))
    elif ext == ".pptx":
        parted = list(slides.read_pptx(path))
    elif ext == ".epub":
        parted = list(office.read_epub(path))
    elif ext == ".mbox":
        messages, more = mail.read_mbox(path)
        parted = list(messages)
        found.extend(more)
    if parted is not None:
        return join_parts(parted)
    data = box.pop() if box else b""
    if ext == ".docx":
        text = read_docx(path)
    elif ext in (".html", ".htm"):
        text = html_to_text(decode(data))
    elif ext in (".md", ".markdown"):
        text = markdown_to_text(decode(data))
    elif ext in (".csv", ".tsv"):
        text = sheets.read_delimited(data, ext)
    elif ext == ".eml":
        text, more = mail.read_eml(data)
        found.extend(more)
    elif ext == ".rtf":
        text = office.read_rtf(data)
    elif ext == ".odt":
        text = office.read_odt(path)
    else:
        text = decode(data)
    del data
    text = normalize(check_text(text))
    return text, [(None, 0, len(text))]


_NESTING: contextvars.ContextVar[int] = contextvars.ContextVar("qa_attachment_nesting", default=0)


def _attach(doc: Document, found: list[tuple[str, bytes]]) -> None:
    """Read a mail's attachments (``(name, bytes)``; a name may lead with "message 3 › ") by the
    loader of each one's kind, into ``doc.attachments`` (theirs flattened after them) or, when
    one cannot be read (unsupported kind, corrupt, too deep), ``doc.skipped``."""
    depth = _NESTING.get()
    with tempfile.TemporaryDirectory(prefix="qa-attachment-") as tmp:
        for n, (name, data) in enumerate(found):
            source = doc.source + ATTACHMENT_SEP + name
            file = Path(tmp) / str(n) / name.rsplit(ATTACHMENT_SEP, 1)[-1]
            token = _NESTING.set(depth + 1)
            try:
                if depth + 1 > MAX_NESTING:
                    raise LoadError(f"attached more than {MAX_NESTING} levels deep")
                file.parent.mkdir()
                file.write_bytes(data)
                inner = load_file(file)
            except LoadError as e:
                doc.skipped.append(Skipped(source, str(e)))
                continue
            except OSError as e:
                doc.skipped.append(Skipped(source, f"cannot read ({e.strerror})"))
                continue
            finally:
                _NESTING.reset(token)
            prefix = str(file)
            for d in [inner, *inner.attachments]:
                d.source = source + d.source[len(prefix):]
            for k in inner.skipped:
                k.source = source + k.source[len(prefix):]
            doc.attachments += [inner, *inner.attachments]
            doc.skipped += inner.skipped
            inner.attachments, inner.skipped = [], []


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
    """Load every supported file under ``paths`` in worker processes (:mod:`qa.ingest.loading.workers`: a
    memory and time limit per file, several files at once); returns (loaded, skipped)."""
    from qa.ingest.loading.workers import load_in_workers

    docs: list[Document] = []
    skipped: list[Skipped] = []
    for _, out in load_in_workers(iter_files(paths), limits):
        if isinstance(out, Skipped):
            skipped.append(out)
        else:
            docs += [out, *out.attachments]
            skipped += out.skipped
    return docs, skipped
