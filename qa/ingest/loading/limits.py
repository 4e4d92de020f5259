"""Limits on what reading one file may cost: size, archive expansion, PDF pages and streams, text.

Every loader, present and future, works inside the :class:`Limits` in force
(:func:`current`, set for a file by :func:`using`). A file past a limit is a
:class:`LimitExceeded` (a :class:`LoadError`), whose message names the limit::

    bomb.docx: expands past 1 GB (the archive_bytes limit)

The defaults pass a real 1,000-page manual or a 50 MB spreadsheet and stop
zip bombs, PDF stream bombs and runaway text well before they exhaust a
machine. Worker memory and time (``worker_memory``, ``worker_seconds``) are
enforced by :mod:`qa.ingest.loading.workers`, which runs each file in a process of
its own.

Zip bombs and their checks (total size, member count, compression ratio)
follow the analysis in D. Fifield, "A better zip bomb", WOOT 2019.
"""

from __future__ import annotations

import contextlib
import zipfile
import zlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, fields, replace
from pathlib import Path

from qa.ingest.loading.errors import LoadError

KB, MB, GB = 1024, 1024**2, 1024**3


class LimitExceeded(LoadError):
    """A file would cost more to read than a :class:`Limits` allows; the message names the limit."""


@dataclass(frozen=True)
class Limits:
    """What reading one file may cost. Sizes in bytes, times in seconds.

    Attributes:
        file_bytes: a file's size on disk.
        text_chars: characters of text extracted from one file.
        archive_bytes: total uncompressed size of a zip-based file (DOCX, XLSX, PPTX, ODT, EPUB).
        archive_members: members of such a zip.
        archive_ratio: uncompressed / compressed size of any member over 1 MB uncompressed.
        pdf_pages: pages of a PDF.
        pdf_stream_bytes: decompressed bytes of one PDF stream.
        pdf_bytes: decompressed bytes of all the streams of one PDF.
        worker_memory: address space of the process that reads a file.
        worker_seconds: wall-clock time to read one file.
    """

    file_bytes: int = 512 * MB
    text_chars: int = 100_000_000
    archive_bytes: int = 1 * GB
    archive_members: int = 10_000
    archive_ratio: int = 100
    pdf_pages: int = 2_500
    pdf_stream_bytes: int = 256 * MB
    pdf_bytes: int = 1 * GB
    worker_memory: int = 2 * GB
    worker_seconds: int = 300

    @classmethod
    def parse(cls, settings: list[str] | str | None) -> Limits:
        """Limits from ``NAME=VALUE`` settings (a list, or one comma-separated string), defaults for the
        rest. Values are whole numbers with an optional K, M or G suffix (powers of 1024): ``pdf_pages=5000``,
        ``worker_memory=4G``.

        Raises:
            ValueError: an unknown name or a value that is not a positive whole number.
        """
        if isinstance(settings, str):
            settings = [s for s in settings.split(",") if s.strip()]
        names = {f.name for f in fields(cls)}
        values: dict[str, int] = {}
        for item in settings or []:
            name, eq, value = item.partition("=")
            name = name.strip().replace("-", "_")
            if name not in names or not eq:
                raise ValueError(f"unknown limit {item.strip()!r}; the limits are: {', '.join(sorted(names))}")
            values[name] = _amount(value, name)
        return replace(cls(), **values)


def _amount(text: str, name: str) -> int:
    """``"512M"`` -> 536870912; ``"2500"`` -> 2500."""
    text = text.strip().upper().removesuffix("B")
    scale = {"K": KB, "M": MB, "G": GB}.get(text[-1:], 1)
    digits = text[:-1] if scale > 1 else text
    if not digits.isdigit() or int(digits) <= 0:
        raise ValueError(f"limit {name} must be a positive whole number (K, M or G allowed), not {text!r}")
    return int(digits) * scale


def size_words(n: int) -> str:
    """A byte count in words: ``1073741824`` -> ``"1 GB"``, ``5242880`` -> ``"5 MB"``."""
    for unit, size in (("GB", GB), ("MB", MB), ("KB", KB)):
        if n >= size:
            value = n / size
            return f"{value:.0f} {unit}" if value >= 10 or value == int(value) else f"{value:.1f} {unit}"
    return f"{n} bytes"


_CURRENT: ContextVar[Limits | None] = ContextVar("qa_loading_limits", default=None)
_DEFAULTS = Limits()


def current() -> Limits:
    """The limits in force for the file being read (the defaults unless :func:`using` set others)."""
    return _CURRENT.get() or _DEFAULTS


@contextlib.contextmanager
def using(limits: Limits | None) -> Iterator[Limits]:
    """Put ``limits`` in force (None: keep those in force) while a file is read."""
    token = _CURRENT.set(limits or current())
    try:
        yield current()
    finally:
        _CURRENT.reset(token)


def check_file_size(path: Path) -> int:
    """The size of ``path`` in bytes, after checking it against ``file_bytes``.

    Raises:
        LimitExceeded: the file is larger than the limit.
        LoadError: the file cannot be read.
    """
    try:
        size = path.stat().st_size
    except OSError as e:
        raise LoadError(f"cannot read ({e.strerror})") from e
    if size > current().file_bytes:
        raise LimitExceeded(f"larger than {size_words(current().file_bytes)} (the file_bytes limit)")
    return size


def check_text(text: str) -> str:
    """``text``, after checking its length against ``text_chars``.

    Raises:
        LimitExceeded: more characters than the limit.
    """
    if len(text) > current().text_chars:
        raise LimitExceeded(f"more than {current().text_chars:,} characters of text (the text_chars limit)")
    return text


def check_zip(path: str | Path) -> None:
    """Check a zip-based document before a library reads it: from its directory, member count, total
    uncompressed size and each large member's compression ratio; then each member inflated once, a
    piece at a time, so that one inflating past its declared size (a crafted zip) fails with little
    memory. A file that passes cannot expand past the limits when read with :mod:`zipfile`.

    Raises:
        LimitExceeded: the archive is past ``archive_members``, ``archive_bytes`` or ``archive_ratio``.
        LoadError: the file is not a zip archive.
    """
    limits = current()
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as e:
        kind = Path(path).suffix.lstrip(".").upper() or "zip package"
        raise LoadError(f"corrupt or unreadable {kind} ({str(e) or type(e).__name__})") from e
    if len(members) > limits.archive_members:
        raise LimitExceeded(f"holds more than {limits.archive_members:,} files (the archive_members limit)")
    total = sum(m.file_size for m in members)
    if total > limits.archive_bytes:
        raise LimitExceeded(f"expands past {size_words(limits.archive_bytes)} (the archive_bytes limit)")
    for m in members:
        if m.file_size > MB and m.file_size > limits.archive_ratio * max(m.compress_size, 1):
            raise LimitExceeded(f"{m.filename[:60]} expands more than {limits.archive_ratio} times over "
                                "(the archive_ratio limit: a zip bomb?)")
    _inflate_piecewise(path)


def _inflate_piecewise(path: str | Path) -> None:
    """Inflate every member once, a piece at a time, so that a member whose data inflates past the
    size it declares fails here (zipfile stops at the declared size and the CRC check fails) with
    little memory, rather than in a library that reads the member whole.

    Raises:
        LoadError: a member's data does not match what the zip declares.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            for m in archive.infolist():
                with archive.open(m) as member:
                    while member.read(MB):
                        pass
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError,
            zlib.error) as e:
        kind = Path(path).suffix.lstrip(".").upper() or "zip package"
        raise LoadError(f"corrupt or unreadable {kind} (its data does not match its directory: "
                        f"{str(e)[:80] or type(e).__name__})") from e


class BoundedInflate:
    """A stand-in for :mod:`zlib` whose ``decompress`` stops past ``pdf_stream_bytes`` for one stream
    and ``pdf_bytes`` for all the streams of one file (the PDF reader's Flate streams).

    Installed in place of the PDF parser's ``zlib`` by :func:`bounded_pdf_streams`.
    """

    error = zlib.error

    def __init__(self, limits: Limits):
        self.limits = limits
        self.total = 0

    def decompressobj(self) -> _BoundedInflater:
        """An inflater for the parser's repair path (damaged streams, fed piece by piece), bounded
        like :meth:`decompress`."""
        return _BoundedInflater(self)

    def _count(self, n: int, stream: int) -> None:
        """Add ``n`` inflated bytes to the file's total; ``stream`` is the stream's size so far.

        Raises:
            LimitExceeded: past ``pdf_stream_bytes`` or ``pdf_bytes``.
        """
        if stream > self.limits.pdf_stream_bytes:
            raise LimitExceeded(f"a stream expands past {size_words(self.limits.pdf_stream_bytes)} "
                                "(the pdf_stream_bytes limit)")
        self.total += n
        if self.total > self.limits.pdf_bytes:
            raise LimitExceeded(f"its streams expand past {size_words(self.limits.pdf_bytes)} "
                                "(the pdf_bytes limit)")

    def decompress(self, data: bytes, *args) -> bytes:
        """Inflate one stream, at most ``pdf_stream_bytes``.

        Raises:
            LimitExceeded: the stream, or the file's streams together, inflate past their limit.
            zlib.error: the data is not a complete zlib stream.
        """
        inflater = zlib.decompressobj()
        out = inflater.decompress(data, self.limits.pdf_stream_bytes + 1)
        self._count(len(out), len(out))
        if not inflater.eof:
            raise zlib.error("incomplete or truncated stream")
        return out


class _BoundedInflater:
    """A :func:`zlib.decompressobj` whose output counts against a :class:`BoundedInflate`."""

    def __init__(self, owner: BoundedInflate):
        self.owner, self.inflater, self.size = owner, zlib.decompressobj(), 0

    def decompress(self, data: bytes) -> bytes:
        """Inflate the next piece of a stream.

        Raises:
            LimitExceeded: past ``pdf_stream_bytes`` or ``pdf_bytes``.
        """
        out = self.inflater.decompress(data, self.owner.limits.pdf_stream_bytes + 1 - self.size)
        self.size += len(out)
        self.owner._count(len(out), self.size)
        return out


@contextlib.contextmanager
def bounded_pdf_streams() -> Iterator[BoundedInflate]:
    """While a PDF is read, inflate its streams through a :class:`BoundedInflate` of the limits in
    force (pdfminer calls ``zlib.decompress`` on each Flate stream it decodes)."""
    from pdfminer import pdftypes

    bounded = BoundedInflate(current())
    saved, pdftypes.zlib = pdftypes.zlib, bounded
    try:
        yield bounded
    finally:
        pdftypes.zlib = saved
