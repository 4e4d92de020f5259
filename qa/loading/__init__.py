"""Loading documents: text out of .txt, .md, .html/.htm, .pdf and .docx files.

Every format gives the same thing: a :class:`Document` whose text reads as a
person reads the file (see ``text``, ``pdf``, ``markup`` and ``word`` in this
package), Unicode-normalised (:func:`qa.loading.text.normalize`), with page
ranges where the format has pages. A file that cannot be read (unsupported
type, binary, empty, corrupt) is reported as skipped with its reason.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from qa.loading.errors import LoadError
from qa.loading.text import decode, normalize

__all__ = ["EXTRACTION_VERSION", "SUPPORTED", "Document", "LoadError", "Skipped", "iter_files", "load_documents", "load_file"]

SUPPORTED = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx")


@dataclass
class Document:
    """The text of one file.

    ``pages`` lists ``(page, start, end)`` character ranges of ``text``: one per
    PDF page (page numbers from 1), or a single ``(None, 0, len(text))``.
    ``sha256`` is the hash of the file's bytes.
    """

    source: str
    text: str
    sha256: str
    pages: list[tuple[int | None, int, int]] = field(default_factory=list)


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
# left out, Markdown key: value lines and pipe rows kept apart, DOCX list numbers completed), so
# that `qa index` reads already indexed files again instead of keeping their old text.
EXTRACTION_VERSION = 7


def content_hash(data: bytes) -> str:
    """The hex SHA-256 of a file's bytes, as kept in :attr:`Document.sha256`."""
    return hashlib.sha256(data).hexdigest()


def load_file(path: str | Path) -> Document:
    """Read one file into a :class:`Document`.

    Raises:
        LoadError: unsupported extension, binary or empty content, corrupt
            PDF/DOCX, or an OS error reading it.
    """
    from qa.loading.markup import html_to_text, markdown_to_text
    from qa.loading.pdf import read_pdf
    from qa.loading.word import read_docx

    path = Path(path)
    ext = path.suffix.lower()
    if ext not in SUPPORTED:
        raise LoadError(f"unsupported file type '{ext or path.name}'")
    try:
        data = path.read_bytes()
    except OSError as e:
        raise LoadError(f"cannot read ({e.strerror})") from e
    if not data or data.isspace():  # no stripped copy of a large file
        raise LoadError("empty file")
    sha = content_hash(data)
    if ext == ".pdf":
        if not data.startswith(b"%PDF"):
            raise LoadError("corrupt PDF (no %PDF header)")
        text, pages = read_pdf(path)  # normalised line by line
    else:
        if ext == ".docx":
            text = read_docx(path)
        elif ext in (".html", ".htm"):
            text = html_to_text(decode(data))
        elif ext in (".md", ".markdown"):
            text = markdown_to_text(decode(data))
        else:
            text = decode(data)
        text = normalize(text)
        pages = [(None, 0, len(text))]
    text, pages = _strip(text, pages)
    if not text.strip():
        raise LoadError("no text layer (scanned pages? run OCR on it first)" if ext == ".pdf" else "no text in file")
    return Document(source=str(path), text=text, sha256=sha, pages=pages)


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


def load_documents(paths: Iterable[str | Path]) -> tuple[list[Document], list[Skipped]]:
    """Load every supported file under ``paths``; returns (loaded, skipped)."""
    docs: list[Document] = []
    skipped: list[Skipped] = []
    for f in iter_files(paths):
        try:
            docs.append(load_file(f))
        except LoadError as e:
            skipped.append(Skipped(str(f), str(e)))
    return docs, skipped
