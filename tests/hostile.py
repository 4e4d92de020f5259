"""Hostile and broken files for the loaders, made by the tests (issue 23): none is committed.

Each ``make_*`` function writes one file into a folder and returns its path;
:data:`CORPUS` lists them with what reading them must give: ``"indexed"`` (its
text is read) or ``"skip"`` with a reason that matches a regular expression
naming *why* (a limit of :mod:`qa.ingest.loading.limits`, or a corrupt, binary, empty
or unsupported file).

The files are cheap: zip and PDF bombs are written from one small deflate
stream of a repeated pattern (:func:`bomb_run`, made once per process and
reused), whose checksums are combined arithmetically instead of over the
gigabyte it inflates to; the 1 GB and 600 MB text files are sparse. Making the
whole corpus (62 files, 1.7 GB apparent) takes about 2 s and 75 MB of real disk,
50 MB of it the one ``slow`` file (a 50 MB line of words); 25 MB without it.

:func:`make_corpus` writes them all into a folder; :func:`matches` checks a skip
reason against a case. A case whose format the loaders do not read yet
(:data:`qa.ingest.loading.SUPPORTED`) expects the skip "unsupported file type".
"""

from __future__ import annotations

import functools
import os
import random
import re
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

KB, MB, GB = 1024, 1024**2, 1024**3

GOOD_SENTENCE = "The harbour crane lifted 35 containers on Monday."
GOOD_TEXT = (f"Port report. {GOOD_SENTENCE} The night shift unloaded grain from two ships "
             "while the weather held, and the quay was swept before dawn.\n")

# Skip reasons (regular expressions, matched with re.search, case-insensitive)
ZIP_BOMB = r"expands|archive_ratio|archive_bytes"
MEMBERS = r"archive_members"
PAGES = r"pdf_pages"
PDF_STREAM = r"pdf_stream_bytes|pdf_bytes|expands"
FILE_SIZE = r"file_bytes"
MALFORMED = r"corrupt|unreadable|truncated|binary|empty|unsupported|no text|not a |missing|invalid"
UNSUPPORTED = r"unsupported file type"
TOO_DEEP = r"corrupt|unreadable|too deep|nest|recursion|depth"
ENTITIES = r"corrupt|unreadable|entit|amplification|DTD|doctype"
LYING = r"corrupt|unreadable|crc|declare|" + ZIP_BOMB


# --- deflate streams and their checksums ------------------------------------------------------

_CRC_POLY = 0xEDB88320  # CRC-32 (zip), reflected
_ADLER_BASE = 65521


def _mult_mod_p(a: int, b: int) -> int:
    """``a * b`` modulo the CRC-32 polynomial, both reflected 32-bit polynomials."""
    product, bit = 0, 1 << 31
    while a:
        if a & bit:
            product ^= b
            a ^= bit
        bit >>= 1
        b = (b >> 1) ^ _CRC_POLY if b & 1 else b >> 1
    return product


def _x_to_8n(n: int) -> int:
    """``x ** (8 * n)`` modulo the CRC-32 polynomial: the shift of a CRC by ``n`` zero bytes."""
    result, power = 1 << 31, 1 << 23  # x**0 and x**8
    while n:
        if n & 1:
            result = _mult_mod_p(power, result)
        power = _mult_mod_p(power, power)
        n >>= 1
    return result


def crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """The CRC-32 of ``A + B`` from ``crc32(A)``, ``crc32(B)`` and ``len(B)``, without reading B."""
    return _mult_mod_p(_x_to_8n(len2), crc1) ^ crc2


def adler32_combine(adler1: int, adler2: int, len2: int) -> int:
    """The Adler-32 of ``A + B`` from ``adler32(A)``, ``adler32(B)`` and ``len(B)``."""
    a1, b1 = adler1 & 0xFFFF, adler1 >> 16
    a2, b2 = adler2 & 0xFFFF, adler2 >> 16
    a = (a1 + a2 - 1) % _ADLER_BASE
    b = (b1 + b2 + len2 * (a1 - 1)) % _ADLER_BASE
    return b << 16 | a


@dataclass(frozen=True)
class Deflated:
    """A piece of a raw deflate stream (no zlib header) that ends on a byte boundary and leaves no
    back-reference open, so pieces can be joined; with the size, CRC-32 and Adler-32 of what
    it inflates to."""

    data: bytes
    size: int
    crc: int
    adler: int

    def __add__(self, other: Deflated) -> Deflated:
        return Deflated(self.data + other.data, self.size + other.size,
                        crc32_combine(self.crc, other.crc, other.size),
                        adler32_combine(self.adler, other.adler, other.size))

    def times(self, n: int) -> Deflated:
        """This piece ``n`` times over (n >= 1), checksums by doubling."""
        result, square = None, self
        while n:
            if n & 1:
                result = square if result is None else result + square
            square = square + square if n > 1 else square
            n >>= 1
        assert result is not None
        return result

    def stream(self) -> bytes:
        """The complete raw deflate stream: this piece and an empty final block."""
        return self.data + b"\x03\x00"

    def zlib_stream(self) -> bytes:
        """The complete zlib stream (as in a PDF ``/FlateDecode`` stream)."""
        return b"\x78\x9c" + self.stream() + struct.pack(">I", self.adler)


def deflated(data: bytes) -> Deflated:
    """``data`` as a joinable raw deflate piece (compressed alone, then fully flushed)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15, 9)
    raw = packer.compress(data) + packer.flush(zlib.Z_FULL_FLUSH)
    return Deflated(raw, len(data), zlib.crc32(data), zlib.adler32(data))


BOMB_PATTERN = b"bomb "  # plain text: fits inside an XML text element and a PDF string alike
BOMB_BYTES = GB + 64 * KB  # just past 1 GB, so that archive_bytes (1 GB) trips on its own too


@functools.cache
def bomb_run() -> Deflated:
    """A deflate piece that inflates to ``BOMB_BYTES`` (just over 1 GB) of ``"bomb bomb ..."``,
    about 1.6 MB compressed; made once per process (about 0.1 s) and shared by every bomb."""
    chunk_count = 1024
    per_chunk = -(-BOMB_BYTES // chunk_count // len(BOMB_PATTERN))
    chunk = deflated(BOMB_PATTERN * per_chunk)
    return chunk.times(chunk_count)


def bomb_between(head: str, tail: str) -> Deflated:
    """``head`` + 1 GB of the bomb pattern + ``tail``, as one joinable piece."""
    return deflated(head.encode()) + bomb_run() + deflated(tail.encode())


# --- zip packages, written by hand --------------------------------------------------------------

_DOS_DATE = 1 << 5 | 1  # 1980-01-01, 00:00


@dataclass(frozen=True)
class Member:
    """One zip member as written: ``data`` (deflated when ``method`` is 8, else stored), the
    uncompressed ``size`` and ``crc``; ``declared`` is the uncompressed size the headers
    claim (a lie when it differs from ``size``)."""

    name: str
    data: bytes
    size: int
    crc: int
    method: int = 8
    declared: int | None = None

    def local_header(self) -> bytes:
        """Its local file header."""
        return _local_header(self.name, self.method, self.crc, len(self.data), self.declared or self.size)

    def central_entry(self, offset: int) -> bytes:
        """Its central directory entry, for a local header at ``offset``."""
        return _central_entry(self.name, self.method, self.crc, len(self.data), self.declared or self.size,
                              offset)


def member(name: str, content: str | bytes, stored: bool = False) -> Member:
    """A zip member holding ``content`` (deflated unless ``stored``)."""
    raw = content.encode() if isinstance(content, str) else content
    if stored:
        return Member(name, raw, len(raw), zlib.crc32(raw), method=0)
    return bomb_member(name, deflated(raw))


def bomb_member(name: str, piece: Deflated, declared: int | None = None) -> Member:
    """A deflated zip member from a joinable piece."""
    return Member(name, piece.stream(), piece.size, piece.crc, 8, declared)


def _local_header(name: str, method: int, crc: int, compressed: int, size: int) -> bytes:
    raw = name.encode()
    return struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, _DOS_DATE, crc,
                       compressed, size, len(raw), 0) + raw


def _central_entry(name: str, method: int, crc: int, compressed: int, size: int, offset: int) -> bytes:
    raw = name.encode()
    return struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, _DOS_DATE, crc,
                       compressed, size, len(raw), 0, 0, 0, 0, 0, offset) + raw


def _end_record(entries: int, directory_size: int, directory_offset: int) -> bytes:
    return struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, entries, entries, directory_size,
                       directory_offset, 0)


def write_zip(path: Path, members: list[Member]) -> Path:
    """A zip archive of ``members``, in order, streamed to ``path`` (no ZIP64: under 4 GB each)."""
    directory: list[bytes] = []
    with open(path, "wb") as f:
        for m in members:
            directory.append(m.central_entry(f.tell()))
            f.write(m.local_header())
            f.write(m.data)
        start = f.tell()
        f.writelines(directory)
        f.write(_end_record(len(members), f.tell() - start, start))
    return path


def _xml(body: str) -> str:
    return '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + body


_OPC_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
_OPC_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_OFFICE_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
_OFFICE_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_ML = "application/vnd.openxmlformats-officedocument."
_WORD = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_SHEET = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_SLIDE = "http://schemas.openxmlformats.org/presentationml/2006/main"
_DRAWING = "http://schemas.openxmlformats.org/drawingml/2006/main"
_ODF = "urn:oasis:names:tc:opendocument:xmlns:"


def _content_types(overrides: dict[str, str]) -> str:
    parts = "".join(f'<Override PartName="/{name}" ContentType="{kind}"/>' for name, kind in overrides.items())
    return _xml(f'<Types xmlns="{_OPC_TYPES}">'
                '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                f'<Default Extension="xml" ContentType="application/xml"/>{parts}</Types>')


def _rels(*targets: tuple[str, str]) -> str:
    rels = "".join(f'<Relationship Id="rId{i}" Type="{kind}" Target="{target}"/>'
                   for i, (kind, target) in enumerate(targets, start=1))
    return _xml(f'<Relationships xmlns="{_OPC_RELS}">{rels}</Relationships>')


@dataclass(frozen=True)
class Package:
    """The members of a minimal valid zip-based document; its text lies in member ``main``
    between ``head`` and ``tail``. Members in ``stored`` are written first and uncompressed
    (an ODT's or EPUB's ``mimetype``)."""

    ext: str
    parts: tuple[tuple[str, str], ...]
    main: str
    head: str
    tail: str
    stored: tuple[tuple[str, str], ...] = ()

    def members(self, main: Member) -> list[Member]:
        """All the members, with ``main`` for the main part."""
        return ([member(n, c, stored=True) for n, c in self.stored]
                + [member(n, c) for n, c in self.parts] + [main])

    def text_member(self, text: str) -> Member:
        """The main part holding ``text`` (XML-escaped)."""
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return member(self.main, self.head + escaped + self.tail)


DOCX = Package(
    ".docx",
    (("[Content_Types].xml", _content_types({"word/document.xml": _ML + "wordprocessingml.document.main+xml"})),
     ("_rels/.rels", _rels((_OFFICE_DOC, "word/document.xml")))),
    "word/document.xml",
    _xml(f'<w:document xmlns:w="{_WORD}"><w:body><w:p><w:r><w:t xml:space="preserve">'),
    "</w:t></w:r></w:p></w:body></w:document>")

XLSX = Package(
    ".xlsx",
    (("[Content_Types].xml", _content_types({"xl/workbook.xml": _ML + "spreadsheetml.sheet.main+xml",
                                             "xl/worksheets/sheet1.xml": _ML + "spreadsheetml.worksheet+xml"})),
     ("_rels/.rels", _rels((_OFFICE_DOC, "xl/workbook.xml"))),
     ("xl/workbook.xml", _xml(f'<workbook xmlns="{_SHEET}" xmlns:r="{_OFFICE_REL}"><sheets>'
                              '<sheet name="Report" sheetId="1" r:id="rId1"/></sheets></workbook>')),
     ("xl/_rels/workbook.xml.rels", _rels((_OFFICE_REL + "/worksheet", "worksheets/sheet1.xml")))),
    "xl/worksheets/sheet1.xml",
    _xml(f'<worksheet xmlns="{_SHEET}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>'),
    "</t></is></c></row></sheetData></worksheet>")

PPTX = Package(
    ".pptx",
    (("[Content_Types].xml", _content_types({"ppt/presentation.xml": _ML + "presentationml.presentation.main+xml",
                                             "ppt/slides/slide1.xml": _ML + "presentationml.slide+xml"})),
     ("_rels/.rels", _rels((_OFFICE_DOC, "ppt/presentation.xml"))),
     ("ppt/presentation.xml", _xml(f'<p:presentation xmlns:p="{_SLIDE}" xmlns:r="{_OFFICE_REL}">'
                                   '<p:sldIdLst><p:sldId id="256" r:id="rId1"/></p:sldIdLst>'
                                   '<p:sldSz cx="9144000" cy="6858000"/><p:notesSz cx="6858000" cy="9144000"/>'
                                   '</p:presentation>')),
     ("ppt/_rels/presentation.xml.rels", _rels((_OFFICE_REL + "/slide", "slides/slide1.xml")))),
    "ppt/slides/slide1.xml",
    _xml(f'<p:sld xmlns:p="{_SLIDE}" xmlns:a="{_DRAWING}"><p:cSld><p:spTree>'
         '<p:nvGrpSpPr><p:cNvPr id="1" name=""/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr><p:grpSpPr/>'
         '<p:sp><p:nvSpPr><p:cNvPr id="2" name="Text"/><p:cNvSpPr txBox="1"/><p:nvPr/></p:nvSpPr>'
         '<p:spPr/><p:txBody><a:bodyPr/><a:p><a:r><a:t>'),
    "</a:t></a:r></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:sld>")

ODT = Package(
    ".odt",
    (("META-INF/manifest.xml", _xml(
        f'<manifest:manifest xmlns:manifest="{_ODF}manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        '</manifest:manifest>')),),
    "content.xml",
    _xml(f'<office:document-content xmlns:office="{_ODF}office:1.0" xmlns:text="{_ODF}text:1.0" '
         'office:version="1.2"><office:body><office:text><text:p>'),
    "</text:p></office:text></office:body></office:document-content>",
    stored=(("mimetype", "application/vnd.oasis.opendocument.text"),))

EPUB = Package(
    ".epub",
    (("META-INF/container.xml", _xml(
        '<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
        '<rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
        '</rootfiles></container>')),
     ("OEBPS/content.opf", _xml(
         '<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id">'
         '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:identifier id="id">urn:uuid:'
         '00000000-0000-4000-8000-000000000023</dc:identifier><dc:title>Port report</dc:title>'
         '<dc:language>en</dc:language><meta property="dcterms:modified">2026-01-01T00:00:00Z</meta>'
         '</metadata><manifest><item id="c1" href="chapter1.xhtml" media-type="application/xhtml+xml"/>'
         '<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/></manifest>'
         '<spine><itemref idref="c1"/></spine></package>')),
     ("OEBPS/nav.xhtml", _xml(
         '<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops"><head>'
         '<title>Contents</title></head><body><nav epub:type="toc"><ol><li><a href="chapter1.xhtml">'
         'Port report</a></li></ol></nav></body></html>'))),
    "OEBPS/chapter1.xhtml",
    _xml('<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Port report</title></head><body><p>'),
    "</p></body></html>",
    stored=(("mimetype", "application/epub+zip"),))

PACKAGES = {p.ext: p for p in (DOCX, XLSX, PPTX, ODT, EPUB)}


def good_package(path: Path, text: str = GOOD_TEXT) -> Path:
    """A small valid zip-based document (by ``path``'s extension) holding ``text``; about 1 KB."""
    package = PACKAGES[path.suffix]
    return write_zip(path, package.members(package.text_member(text)))


def zip_bomb(folder: Path, ext: str) -> Path:
    """``bomb.EXT``: a valid-looking package whose main part inflates to just over 1 GB; 1.6 MB."""
    package = PACKAGES[ext]
    main = bomb_member(package.main, bomb_between(package.head, package.tail))
    return write_zip(folder / f"bomb{ext}", package.members(main))


def make_bomb_docx(folder: Path) -> Path:
    """``bomb.docx``: word/document.xml inflates to 1 GB (one text run); 1.6 MB on disk."""
    return zip_bomb(folder, ".docx")


def make_bomb_xlsx(folder: Path) -> Path:
    """``bomb.xlsx``: the one worksheet's inline string inflates to 1 GB; 1.6 MB on disk."""
    return zip_bomb(folder, ".xlsx")


def make_bomb_pptx(folder: Path) -> Path:
    """``bomb.pptx``: the one slide's text box inflates to 1 GB; 1.6 MB on disk."""
    return zip_bomb(folder, ".pptx")


def make_bomb_odt(folder: Path) -> Path:
    """``bomb.odt``: content.xml's one paragraph inflates to 1 GB; 1.6 MB on disk."""
    return zip_bomb(folder, ".odt")


def make_bomb_epub(folder: Path) -> Path:
    """``bomb.epub``: the one chapter's paragraph inflates to 1 GB; 1.6 MB on disk."""
    return zip_bomb(folder, ".epub")


def make_many_members(folder: Path) -> Path:
    """``members_20k.docx``: a valid DOCX plus 20,000 tiny stored members (word/media/N.txt); 2.3 MB."""
    extra = [member(f"word/media/{i}.txt", b"x", stored=True) for i in range(20_000)]
    return write_zip(folder / "members_20k.docx", DOCX.members(DOCX.text_member(GOOD_TEXT)) + extra)


def make_lying_sizes(folder: Path) -> Path:
    """``lying_sizes.docx``: word/document.xml's headers (local and central) declare 4 KB
    uncompressed, while its deflate data (1.6 MB, CRC of the real content) inflates to 1 GB:
    only a reader that trusts the stream over the directory inflates it all."""
    main = bomb_member(DOCX.main, bomb_between(DOCX.head, DOCX.tail), declared=4 * KB)
    return write_zip(folder / "lying_sizes.docx", DOCX.members(main))


OVERLAP_FILES = 200


def _stored_block_header(length: int) -> bytes:
    """A non-final deflate stored block of ``length`` bytes (the bytes that follow, quoted)."""
    return struct.pack("<BHH", 0, length, length ^ 0xFFFF)


def _overlapping_headers(kernel: Deflated, names: list[str]) -> list[tuple[bytes, str, int, int, int]]:
    """Fifield's overlapping files: member i's data is a stored block quoting member i+1's local
    header, then member i+1's data, down to the shared kernel, so each inflates to the headers
    after it and the kernel's content. Returns each member's (local header, name, CRC-32,
    compressed size, size), in file order."""
    out: list[tuple[bytes, str, int, int, int]] = []
    compressed, size, crc = len(kernel.stream()), kernel.size, kernel.crc
    for name in reversed(names):
        header = _local_header(name, 8, crc, compressed, size)
        out.append((header, name, crc, compressed, size))
        compressed += len(_stored_block_header(0)) + len(header)
        size, crc = size + len(header), crc32_combine(zlib.crc32(header), crc, size)
    return [(header, name, crc, compressed, size) for header, name, crc, compressed, size in out[::-1]]


def make_overlapping(folder: Path) -> Path:
    """``overlap.docx``: D. Fifield's "better zip bomb": 200 members whose data overlap, each a
    quoted copy of the next one's header followed by the next one's data, all ending in the
    one 1.6 MB kernel; the directory declares 200 GB in all (each CRC right); file 1.6 MB."""
    lead = [member(n, c) for n, c in DOCX.parts]
    names = [DOCX.main] + [f"word/part{i}.xml" for i in range(1, OVERLAP_FILES)]
    kernel = bomb_between(DOCX.head, DOCX.tail)
    chain = _overlapping_headers(kernel, names)
    path = folder / "overlap.docx"
    directory: list[bytes] = []
    with open(path, "wb") as f:
        for m in lead:
            directory.append(m.central_entry(f.tell()))
            f.write(m.local_header() + m.data)
        for i, (header, name, crc, compressed, size) in enumerate(chain):
            directory.append(_central_entry(name, 8, crc, compressed, size, f.tell()))
            f.write(header)
            f.write(_stored_block_header(len(chain[i + 1][0])) if i + 1 < len(chain) else kernel.stream())
        start = f.tell()
        f.writelines(directory)
        f.write(_end_record(len(directory), f.tell() - start, start))
    return path


# --- PDFs, written object by object -------------------------------------------------------------

_PDF_HEAD = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"


def _pdf_string(text: str) -> str:
    return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def _line_content(text: str) -> bytes:
    return f"BT /F1 11 Tf 72 720 Td {_pdf_string(text)} Tj ET\n".encode("latin-1")


def _page(parent: int, font: int, contents: int) -> bytes:
    """A letter-size page object: its parent node, Helvetica font and content stream objects."""
    return (b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 %d 0 R >> >>"
            b" /Contents %d 0 R >>" % (parent, font, contents))


def _stream(content: bytes, extra: str = "") -> bytes:
    return b"<< /Length %d%s >>\nstream\n" % (len(content), extra.encode()) + content + b"\nendstream"


def write_pdf(path: Path, objects: list[bytes], xref_offsets: Callable[[int, int], int] | None = None,
              cut: float | None = None) -> Path:
    """A PDF whose objects 1, 2, ... are ``objects`` (object 1 the catalog), with a correct xref
    table, or one whose offsets ``xref_offsets(number, true_offset)`` gives; ``cut`` keeps only that
    fraction of the bytes."""
    parts, offsets, at = [_PDF_HEAD], [], len(_PDF_HEAD)
    for number, body in enumerate(objects, start=1):
        offsets.append(at)
        piece = b"%d 0 obj\n%s\nendobj\n" % (number, body)
        parts.append(piece)
        at += len(piece)
    if xref_offsets:
        offsets = [xref_offsets(n, o) for n, o in enumerate(offsets, start=1)]
    rows = b"".join(b"%010d 00000 n \n" % o for o in offsets)
    parts.append(b"xref\n0 %d\n0000000000 65535 f \n%s" % (len(objects) + 1, rows))
    parts.append(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, at))
    data = b"".join(parts)
    path.write_bytes(data[: int(len(data) * cut)] if cut else data)
    return path


def _pages_pdf(path: Path, pages: int, content: bytes | None, **options) -> Path:
    """A PDF of ``pages`` pages in one flat page tree, all showing the one ``content`` stream (in
    Helvetica) or blank when it is None."""
    first = 5  # 1 catalog, 2 page tree, 3 font, 4 content
    kids = b" ".join(b"%d 0 R" % (first + i) for i in range(pages))
    page = (_page(parent=2, font=3, contents=4) if content is not None
            else b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>")
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
               _FONT, _stream(content or b"")] + [page] * pages
    return write_pdf(path, objects, **options)


def good_pdf(path: Path, text: str = GOOD_TEXT, **options) -> Path:
    """A one-page PDF showing ``text`` in Helvetica, one line; under 1 KB."""
    return _pages_pdf(path, 1, _line_content(text.strip()), **options)


def make_flate_bomb_pdf(folder: Path) -> Path:
    """``flate_bomb.pdf``: one page whose FlateDecode content stream inflates to 1 GB (one text
    string of "bomb bomb ..."); 1.6 MB on disk."""
    piece = bomb_between("BT /F1 11 Tf 72 720 Td (", ") Tj ET\n")
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>", _FONT,
               _page(parent=2, font=3, contents=5),
               _stream(piece.zlib_stream(), " /Filter /FlateDecode")]
    return write_pdf(folder / "flate_bomb.pdf", objects)


def make_pages_10k(folder: Path) -> Path:
    """``pages_10k.pdf``: 10,000 blank pages in one flat page tree; 1 MB."""
    return _pages_pdf(folder / "pages_10k.pdf", 10_000, None)


def make_pages_5k_text(folder: Path) -> Path:
    """``pages_5k_text.pdf``: 5,000 pages that each show the same line of Helvetica text (a real
    text layer); 0.8 MB."""
    return _pages_pdf(folder / "pages_5k_text.pdf", 5_000, _line_content(GOOD_SENTENCE))


def make_length_chain(folder: Path, depth: int = 100_000) -> Path:
    """``length_chain.pdf``: the page's content stream gives its /Length as a reference to an
    object that is a reference to the next, 100,000 deep, the last holding the number; 4.9 MB."""
    content = _line_content(GOOD_SENTENCE)
    first = 6  # 1 catalog, 2 pages, 3 font, 4 page, 5 content stream
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>", _FONT,
               _page(parent=2, font=3, contents=5),
               b"<< /Length %d 0 R >>\nstream\n%s\nendstream" % (first, content)]
    objects += [b"%d 0 R" % (first + i + 1) for i in range(depth - 1)] + [b"%d" % len(content)]
    return write_pdf(folder / "length_chain.pdf", objects)


def make_deep_page_tree(folder: Path, depth: int = 5_000) -> Path:
    """``page_tree_deep.pdf``: a page tree of 5,000 nested /Pages nodes, one kid each, above the
    one page (a line of Helvetica text); 0.5 MB."""
    first = 5  # 1 catalog, 2 font, 3 content, 4 the page; nodes from 5, the root first
    objects = [b"<< /Type /Catalog /Pages %d 0 R >>" % first, _FONT, _stream(_line_content(GOOD_SENTENCE)),
               _page(parent=first + depth - 1, font=2, contents=3)]
    for level in range(depth):
        parent = b" /Parent %d 0 R" % (first + level - 1) if level else b""
        kid = first + level + 1 if level < depth - 1 else 4
        objects.append(b"<< /Type /Pages%s /Kids [%d 0 R] /Count 1 >>" % (parent, kid))
    return write_pdf(folder / "page_tree_deep.pdf", objects)


def make_xref_garbage(folder: Path) -> Path:
    """``xref_garbage.pdf``: a one-page PDF with text whose xref table sends every object to a
    wrong offset (into the middle of other objects, or past the end); under 1 KB."""
    return good_pdf(folder / "xref_garbage.pdf", xref_offsets=lambda n, at: at * 7 + 13 * n)


# --- nested and expanding markup ----------------------------------------------------------------

def make_nested_divs(folder: Path, depth: int = 100_000) -> Path:
    """``divs_100k.html``: 100,000 nested ``<div>`` elements around one sentence; 1.1 MB."""
    path = folder / "divs_100k.html"
    path.write_text("<!DOCTYPE html><html><head><title>Deep</title></head><body>" + "<div>" * depth
                    + f"<p>{GOOD_SENTENCE}</p>" + "</div>" * depth + "</body></html>\n")
    return path


def make_nested_docx(folder: Path, depth: int = 50_000) -> Path:
    """``nested_100k.docx``: word/document.xml nests 100,000 elements (50,000 content controls,
    ``w:sdt``/``w:sdtContent``, one inside the next) around one paragraph; stored uncompressed
    (2.3 MB), so that no compression-ratio check stops it before an XML parser sees it."""
    inner = f"<w:p><w:r><w:t>{GOOD_SENTENCE}</w:t></w:r></w:p>"
    xml = (_xml(f'<w:document xmlns:w="{_WORD}"><w:body>') + "<w:sdt><w:sdtContent>" * depth + inner
           + "</w:sdtContent></w:sdt>" * depth + "</w:body></w:document>")
    return write_zip(folder / "nested_100k.docx", DOCX.members(member(DOCX.main, xml, stored=True)))


def make_billion_laughs(folder: Path) -> Path:
    """``laughs.docx``: word/document.xml declares ten entities, each ten of the one before, and
    uses the last (1e9 copies of "lol" once expanded); 1 KB."""
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    xml = ('<?xml version="1.0" encoding="UTF-8"?>\n'
           f"<!DOCTYPE w:document [{entities}]>\n"
           f'<w:document xmlns:w="{_WORD}"><w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p>'
           "</w:body></w:document>")
    return write_zip(folder / "laughs.docx", DOCX.members(member(DOCX.main, xml)))


# --- truncated, random and empty files of every format ------------------------------------------

TEXT_FORMATS = (".txt", ".md", ".html", ".csv", ".rtf", ".eml")
ZIP_FORMATS = (".docx", ".xlsx", ".pptx", ".odt", ".epub")
ALL_FORMATS = (*TEXT_FORMATS[:3], ".pdf", *ZIP_FORMATS, *TEXT_FORMATS[3:])


def _good_text_file(ext: str) -> str:
    """A small valid file of a text-based format holding :data:`GOOD_TEXT`."""
    body = GOOD_TEXT.strip()
    return {
        ".txt": GOOD_TEXT,
        ".md": f"# Port report\n\n{body}\n\n- grain\n- containers\n",
        ".html": f"<!DOCTYPE html><html><head><title>Port report</title></head><body><h1>Port report</h1>"
                 f"<p>{body}</p></body></html>\n",
        ".csv": 'day,crane,containers,note\nMonday,harbour,35,"lifted on the day shift"\n'
                'Tuesday,harbour,28,"wind stopped work at noon"\n',
        ".rtf": r"{\rtf1\ansi\deff0{\fonttbl{\f0 Helvetica;}}\f0\fs22 Port report.\par " + body + r"\par }" + "\n",
        ".eml": "From: port@example.com\nTo: office@example.com\nSubject: Port report\n"
                "Date: Mon, 5 Jan 2026 08:00:00 +0000\nMIME-Version: 1.0\n"
                f"Content-Type: text/plain; charset=utf-8\n\n{GOOD_TEXT}",
    }[ext]


def good_file(path: Path) -> Path:
    """A small valid file of ``path``'s format (by extension) holding :data:`GOOD_TEXT`."""
    if path.suffix in PACKAGES:
        return good_package(path)
    if path.suffix == ".pdf":
        return good_pdf(path)
    path.write_text(_good_text_file(path.suffix))
    return path


def make_good(folder: Path) -> Path:
    """``good.txt``: a short text with one fact to ask about (35 containers on Monday); 180 bytes."""
    return good_file(folder / "good.txt")


def make_cut(folder: Path, ext: str) -> Path:
    """``cut.EXT``: a small valid file of that format cut to its first half (a zip loses its
    directory, a PDF its xref and page content)."""
    path = good_file(folder / f"cut{ext}")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def make_random(folder: Path, ext: str) -> Path:
    """``random.EXT``: 64 KB of random bytes (seeded) under that extension."""
    path = folder / f"random{ext}"
    path.write_bytes(random.Random(f"hostile{ext}").randbytes(64 * KB))
    return path


def make_empty(folder: Path, ext: str) -> Path:
    """``empty.EXT``: a file of 0 bytes."""
    path = folder / f"empty{ext}"
    path.write_bytes(b"")
    return path


def make_empty_zip(folder: Path, ext: str) -> Path:
    """``empty_zip.EXT``: a valid zip archive with no members (its end record only, 22 bytes)."""
    return write_zip(folder / f"empty_zip{ext}", [])


# --- huge text ----------------------------------------------------------------------------------

def sparse_text(path: Path, size: int) -> Path:
    """A text file of ``size`` bytes that takes next to no disk: a line of text, then a hole
    (reads as NUL bytes) to the end."""
    path.write_text(f"{GOOD_SENTENCE} " * 20)
    os.truncate(path, size)
    return path


def make_sparse_1gb(folder: Path) -> Path:
    """``huge_1gb.txt``: 1 GB, one line, sparse (4 KB of real disk)."""
    return sparse_text(folder / "huge_1gb.txt", GB)


def make_sparse_600mb(folder: Path) -> Path:
    """``big_600mb.txt``: 600 MB, one line, sparse (4 KB of real disk)."""
    return sparse_text(folder / "big_600mb.txt", 600 * MB)


WORDS = ("harbour", "crane", "ship", "grain", "quay", "tide", "night", "shift", "pilot", "berth", "cargo",
         "rope", "anchor", "gull", "dock", "freight", "ledger", "morning", "weather", "storm", "lamp",
         "signal", "engine", "deck", "captain")


def _word_block(rng: random.Random, size: int) -> bytes:
    """Random words from :data:`WORDS`, each followed by a space, about ``size`` bytes."""
    words: list[str] = []
    length = 0
    while length < size:
        words.append(rng.choice(WORDS) + " ")
        length += len(words[-1])
    return "".join(words).encode()


def make_long_line(folder: Path, size: int = 50 * MB) -> Path:
    """``long_line_50mb.txt``: 50 MB of real words in one line, no line break (50 MB of disk),
    written 1 MB at a time, each block the first one turned at another word."""
    block = _word_block(random.Random(23), MB)
    starts = [m.end() for m in re.finditer(b" ", block)]
    path = folder / "long_line_50mb.txt"
    with open(path, "wb") as f:
        written = f.write(f"{GOOD_SENTENCE} ".encode())
        for turn in starts[::97]:
            if written >= size:
                break
            written += f.write((block[turn:] + block[:turn])[: size - written])
    return path


# --- the catalogue ------------------------------------------------------------------------------

@dataclass(frozen=True)
class HostileCase:
    """One corpus file: ``name`` (its file name), ``maker`` (writes it into a folder, returns its
    path), ``expect`` ("skip" or "indexed"), ``reason`` (a regular expression the skip reason
    must match, searched case-insensitively; None for indexed files) and ``slow`` (making it takes
    over about 5 s or over 10 MB of real disk)."""

    name: str
    maker: Callable[[Path], Path]
    expect: str
    reason: str | None
    slow: bool = False

    @property
    def ext(self) -> str:
        """The file's extension, lower case."""
        return Path(self.name).suffix.lower()


def supported(ext: str) -> bool:
    """Whether the loaders read files with this extension (else they skip them as unsupported)."""
    from qa.ingest import loading

    return ext in getattr(loading, "SUPPORTED", ())


def _case(name: str, maker: Callable[[Path], Path], expect: str, reason: str | None,
          slow: bool = False) -> HostileCase:
    """A case, or a skip as "unsupported file type" where the loaders do not read its format yet."""
    if not supported(Path(name).suffix.lower()):
        expect, reason = "skip", UNSUPPORTED
    return HostileCase(name, maker, expect, reason, slow)


def _per_format(make: Callable[[Path, str], Path], ext: str) -> Callable[[Path], Path]:
    """``make`` with its format fixed, named for the catalogue."""
    def maker(folder: Path) -> Path:
        return make(folder, ext)
    maker.__name__ = f"{make.__name__}[{ext}]"
    maker.__doc__ = make.__doc__
    return maker


# Cut in half, a text-based file still holds text (its first half), a zip or PDF does not.
_CUT_STILL_READS = set(TEXT_FORMATS)


def _malformed_cases() -> list[HostileCase]:
    cases = []
    for ext in ALL_FORMATS:
        cut = ("indexed", None) if ext in _CUT_STILL_READS else ("skip", MALFORMED)
        cases.append(_case(f"cut{ext}", _per_format(make_cut, ext), *cut))
        cases.append(_case(f"random{ext}", _per_format(make_random, ext), "skip", MALFORMED))
        cases.append(_case(f"empty{ext}", _per_format(make_empty, ext), "skip", r"empty"))
    for ext in ZIP_FORMATS:
        cases.append(_case(f"empty_zip{ext}", _per_format(make_empty_zip, ext), "skip", MALFORMED))
    return cases


def _catalogue() -> list[HostileCase]:
    return [
        _case("good.txt", make_good, "indexed", None),
        _case("bomb.docx", make_bomb_docx, "skip", ZIP_BOMB),
        _case("bomb.xlsx", make_bomb_xlsx, "skip", ZIP_BOMB),
        _case("bomb.pptx", make_bomb_pptx, "skip", ZIP_BOMB),
        _case("bomb.odt", make_bomb_odt, "skip", ZIP_BOMB),
        _case("bomb.epub", make_bomb_epub, "skip", ZIP_BOMB),
        _case("members_20k.docx", make_many_members, "skip", MEMBERS),
        _case("lying_sizes.docx", make_lying_sizes, "skip", LYING),
        _case("overlap.docx", make_overlapping, "skip", ZIP_BOMB + r"|overlap"),
        _case("flate_bomb.pdf", make_flate_bomb_pdf, "skip", PDF_STREAM),
        _case("pages_10k.pdf", make_pages_10k, "skip", PAGES),
        _case("pages_5k_text.pdf", make_pages_5k_text, "skip", PAGES),
        _case("length_chain.pdf", make_length_chain, "indexed", None),
        _case("page_tree_deep.pdf", make_deep_page_tree, "skip", TOO_DEEP),
        _case("xref_garbage.pdf", make_xref_garbage, "skip", MALFORMED),
        _case("divs_100k.html", make_nested_divs, "skip", TOO_DEEP),
        _case("nested_100k.docx", make_nested_docx, "skip", TOO_DEEP),
        _case("laughs.docx", make_billion_laughs, "skip", ENTITIES),
        _case("huge_1gb.txt", make_sparse_1gb, "skip", FILE_SIZE),
        _case("big_600mb.txt", make_sparse_600mb, "skip", FILE_SIZE),
        _case("long_line_50mb.txt", make_long_line, "indexed", None, slow=True),
        *_malformed_cases(),
    ]


CORPUS: list[HostileCase] = _catalogue()


def make_corpus(folder: Path, slow: bool = False) -> dict[str, Path]:
    """Write every corpus file (the slow ones too when ``slow``) into ``folder``; name -> path."""
    return {c.name: c.maker(folder) for c in CORPUS if slow or not c.slow}


def matches(case: HostileCase, reason: str) -> bool:
    """Whether a skip ``reason`` is the one ``case`` expects."""
    return case.reason is not None and re.search(case.reason, reason, re.IGNORECASE) is not None
