"""Loading documents: text out of .txt, .md, .html/.htm, .pdf and .docx files.

A file that cannot be read (unsupported type, binary, empty, corrupt) is
reported as skipped with its reason; the others are loaded.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

SUPPORTED = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx")


class LoadError(Exception):
    """A file could not be turned into text; the message says why."""


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


def _decode(data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise LoadError("binary file (contains NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    matches = from_bytes(data)
    best = matches.best()
    if best is None:
        raise LoadError("binary file (no text encoding fits)")
    # short texts make the guess shaky: prefer the common Western encoding when it fits as well
    western = [m for m in matches if m.encoding in ("cp1252", "latin_1", "iso8859_15")
               and m.chaos <= best.chaos]
    return str(western[0] if western else best)


def _html_text(data: bytes) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_decode(data), "html.parser")
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    lines = (line.strip() for line in soup.get_text("\n").splitlines())
    return "\n".join(line for line in lines if line)


def _pdf_pages(path: Path) -> list[str]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # repairable damage: not the user's concern
    try:
        reader = PdfReader(path)
        return [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise LoadError(f"corrupt or unreadable PDF ({e})") from e


def _docx_text(path: Path) -> str:
    import zipfile

    from docx import Document as DocxDocument
    from docx.opc.exceptions import OpcError

    try:
        doc = DocxDocument(str(path))
    except (zipfile.BadZipFile, OpcError, KeyError, ValueError) as e:
        raise LoadError(f"corrupt or unreadable DOCX ({e})") from e
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(p for p in parts if p.strip())


def _join_pages(pages: list[str]) -> tuple[str, list[tuple[int | None, int, int]]]:
    text, ranges, pos = [], [], 0
    for i, page in enumerate(pages, start=1):
        page = page.strip()
        if not page:
            continue
        if text:
            text.append("\n\n")
            pos += 2
        ranges.append((i, pos, pos + len(page)))
        text.append(page)
        pos += len(page)
    return "".join(text), ranges


def load_file(path: str | Path) -> Document:
    """Read one file into a :class:`Document`.

    Raises:
        LoadError: unsupported extension, binary or empty content, corrupt
            PDF/DOCX, or an OS error reading it.
    """
    path = Path(path)
    ext = path.suffix.lower()
    if ext not in SUPPORTED:
        raise LoadError(f"unsupported file type '{ext or path.name}'")
    try:
        data = path.read_bytes()
    except OSError as e:
        raise LoadError(f"cannot read ({e.strerror})") from e
    sha = hashlib.sha256(data).hexdigest()
    if ext == ".pdf":
        if not data.startswith(b"%PDF"):
            raise LoadError("corrupt PDF (no %PDF header)")
        text, pages = _join_pages(_pdf_pages(path))
    else:
        if ext == ".docx":
            text = _docx_text(path)
        elif ext in (".html", ".htm"):
            text = _html_text(data)
        else:
            text = _decode(data)
        text = text.strip()
        pages = [(None, 0, len(text))]
    if not text.strip():
        raise LoadError("no text in file")
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
