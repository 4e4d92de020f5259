"""RTF, OpenDocument text (ODT) and EPUB to text, and what the zip-based loaders share.

* RTF: striprtf (BSD) strips the control words; a table row is one line, cells joined by `` | ``.
* ODT: ``content.xml`` read here (no library): headings, paragraphs and list items a line each,
  tables as labelled rows (:func:`qa.ingest.loading.tables.row_texts`, the header rows the file marks),
  text boxes, footnotes and endnotes after the body, page headers and footers (``styles.xml``)
  before it, each line once; comments and tracked deletions left out.
* EPUB: ``META-INF/container.xml`` names the package (OPF) file, whose spine lists the book's
  XHTML documents in reading order; its title and author come first ("Title: ..."), then each
  document with text by the HTML rules, a part of its own cited by its number ("section 3")
  (:func:`qa.ingest.loading.markup.html_to_text`). A book with DRM is reported as encrypted.

Every zip-based format (XLSX, ODS, PPTX, ODT, EPUB) is checked by :func:`open_package` before
any parser opens it (:func:`qa.ingest.loading.limits.check_zip`: zip bombs), and XML is parsed without
entities, DTDs or network access (:func:`parse_xml`).
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from pathlib import Path

from qa.ingest.loading.errors import LoadError, reading
from qa.ingest.loading.limits import LimitExceeded, check_text, check_zip, current
from qa.ingest.loading.tables import row_texts
from qa.ingest.loading.text import CELL_SEP

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the container of encrypted OOXML and of .xls/.ppt/.doc

_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_DRAW = "{urn:oasis:names:tc:opendocument:xmlns:drawing:1.0}"
_STYLE = "{urn:oasis:names:tc:opendocument:xmlns:style:1.0}"
_OPF = "{http://www.idpf.org/2007/opf}"
_CONTAINER = "{urn:oasis:names:tc:opendocument:xmlns:container}"
_ENC = "{http://www.w3.org/2001/04/xmlenc#}"
# Font obfuscation (IDPF, Adobe) hides only fonts: the text is not encrypted.
_FONT_OBFUSCATION = {"http://www.idpf.org/2008/embedding", "http://ns.adobe.com/pdf/enc#RC"}


def open_package(path: str | Path, kind: str) -> None:
    """Check that ``path`` is a zip package a parser may open: not an OLE container (an
    encrypted Office file, or an old binary one renamed), within the zip limits.

    Raises:
        LoadError: encrypted or old binary Office file; corrupt zip.
        LimitExceeded: past a zip limit (a zip bomb).
    """
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError as e:
        raise LoadError(f"cannot read ({e.strerror})") from e
    if head == OLE_MAGIC:
        raise LoadError(f"encrypted (password-protected) or old binary Office file, not a {kind} package")
    try:
        check_zip(path)
    except LoadError as e:
        if type(e) is LoadError:  # not a limit: name the format
            raise LoadError(f"corrupt or unreadable {kind} (not a zip package)") from e
        raise


def parse_xml(data: bytes):
    """An lxml element tree of ``data`` with no entity expansion, DTD loading or network access.

    Raises:
        lxml.etree.XMLSyntaxError: not well-formed XML.
    """
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, recover=False)
    return etree.fromstring(data, parser)


def read_member(archive: zipfile.ZipFile, name: str, kind: str) -> bytes:
    """One member of a checked zip package.

    Raises:
        LoadError: the member is missing.
    """
    try:
        return archive.read(name)
    except KeyError as e:
        raise LoadError(f"corrupt or unreadable {kind} (no {name})") from e


# ---- RTF ---------------------------------------------------------------------------------------

_RTF_CELL = re.compile(r"\s*\|\s*")


def read_rtf(data: bytes) -> str:
    """The text of an RTF file's bytes: paragraphs a line each, table rows ``a | b | c``.

    Raises:
        LoadError: no ``{\\rtf`` header, or text striprtf cannot read.
        LimitExceeded: more text than the text_chars limit.
    """
    from striprtf.striprtf import rtf_to_text

    if not data.lstrip()[:5] == b"{\\rtf":
        raise LoadError("corrupt RTF (no {\\rtf header)")
    with reading("RTF"):
        text = rtf_to_text(data.decode("latin-1"), errors="replace")
    lines = []
    for line in text.splitlines():
        if "|" in line and line.rstrip().endswith("|"):  # a table row: striprtf ends each cell with "|"
            line = CELL_SEP.join(c for c in _RTF_CELL.split(line.strip().rstrip("|")))
        lines.append(line.rstrip())
    return check_text("\n".join(lines))


# ---- ODT ---------------------------------------------------------------------------------------

_SKIP_ODF = {_OFFICE + "annotation", _OFFICE + "annotation-end", _TEXT + "note", _TEXT + "tracked-changes",
             _TEXT + "sequence-decls", _TEXT + "variable-decls", _TEXT + "user-field-decls",
             _DRAW + "frame", _TEXT + "bookmark-ref"}


def odf_inline(element, boxes: list | None = None, notes: list | None = None) -> str:
    """The text of an ODF paragraph or heading as shown: ``text:s`` spaces, tabs, line breaks,
    spans and links flow in; comments and tracked-change marks are left out. Text boxes
    (``draw:frame``) go to ``boxes`` and footnote bodies to ``notes`` when given."""
    out: list[str] = [element.text or ""]
    for child in element:
        tag = child.tag
        if tag == _TEXT + "s":
            out.append(" " * min(int(child.get(_TEXT + "c", "1") or 1), 100))
        elif tag == _TEXT + "tab":
            out.append("\t")
        elif tag == _TEXT + "line-break":
            out.append("\n")
        elif tag == _TEXT + "note" and notes is not None:
            body = child.find(_TEXT + "note-body")
            if body is not None:
                notes.append(body)
        elif tag == _DRAW + "frame" and boxes is not None:
            boxes.append(child)
        elif tag not in _SKIP_ODF and isinstance(tag, str):
            out.append(odf_inline(child, boxes, notes))
        out.append(child.tail or "")
    return "".join(out)


def _odf_cell_rows(table) -> list[list[str | None]]:
    """The rows of an ODF table as cells (None for a cell covered by a merge), header rows first."""
    rows: list[list[str | None]] = []
    for row in table.iter(_TABLE + "table-row"):
        if row.getparent() is not None and row.getparent().tag not in (
                _TABLE + "table", _TABLE + "table-header-rows", _TABLE + "table-rows", _TABLE + "table-row-group"):
            continue
        if _owning_table(row) is not table:
            continue
        cells: list[str | None] = []
        for cell in row:
            repeat = min(int(cell.get(_TABLE + "number-columns-repeated", "1") or 1), 256)
            if cell.tag == _TABLE + "covered-table-cell":
                cells.extend([None] * repeat)
            elif cell.tag == _TABLE + "table-cell":
                text = " ".join(odf_inline(p) for p in cell if p.tag in (_TEXT + "p", _TEXT + "h"))
                cells.extend([" ".join(text.split())] * repeat)
        while cells and not cells[-1]:
            cells.pop()
        rows.append(cells)
    return rows


def _owning_table(element):
    parent = element.getparent()
    while parent is not None and parent.tag != _TABLE + "table":
        parent = parent.getparent()
    return parent


def _odt_blocks(container, lines: list[str], notes: list) -> None:
    """Append the lines of an ODT body (or note, cell, text box) to ``lines``, in document order."""
    for child in container:
        tag = child.tag
        if tag in (_TEXT + "p", _TEXT + "h"):
            boxes: list = []
            lines.append(odf_inline(child, boxes, notes))
            for frame in boxes:
                for box in frame.iter(_DRAW + "text-box"):
                    _odt_blocks(box, lines, notes)
        elif tag == _TABLE + "table":
            head = child.find(_TABLE + "table-header-rows") is not None
            lines.extend(t for t in row_texts(_odf_cell_rows(child), True if head else None) if t)
        elif tag in (_TEXT + "list", _TEXT + "list-item", _TEXT + "list-header", _TEXT + "section",
                     _TEXT + "index-body", _TEXT + "soft-page-break", _OFFICE + "text"):
            _odt_blocks(child, lines, notes)


def read_odt(path: str | Path) -> str:
    """The text of an ODT file: body, then footnotes and endnotes.

    Raises:
        LoadError: encrypted, corrupt, or not an OpenDocument text.
        LimitExceeded: past the zip or text limits.
    """
    open_package(path, "ODT")
    with reading("ODT"), zipfile.ZipFile(path) as archive:
        if "META-INF/manifest.xml" in archive.namelist() and b"encryption-data" in archive.read(
                "META-INF/manifest.xml"):
            raise LoadError("encrypted (password-protected) ODT")
        root = parse_xml(read_member(archive, "content.xml", "ODT"))
        body = root.find(f"{_OFFICE}body/{_OFFICE}text")
        if body is None:
            raise LoadError("not an OpenDocument text (no office:text body)")
        lines: list[str] = _odt_page_frame(archive)
        notes: list = []
        _odt_blocks(body, lines, notes)
        for note in notes:
            _odt_blocks(note, lines, [])
    return check_text("\n".join(line for line in lines if line.strip()))


def _odt_page_frame(archive: zipfile.ZipFile) -> list[str]:
    """The text of the page styles' headers and footers (``styles.xml``), each distinct line
    once, read before the body as for DOCX (a header can hold facts: "Prepared by Helga
    Vandermeer")."""
    if "styles.xml" not in archive.namelist():
        return []
    root = parse_xml(archive.read("styles.xml"))
    lines: list[str] = []
    for page in root.iter(_STYLE + "master-page"):
        for part in page:
            if part.tag in (_STYLE + "header", _STYLE + "footer", _STYLE + "header-first", _STYLE + "footer-first"):
                found: list[str] = []
                _odt_blocks(part, found, [])
                lines += [line for line in found if line.strip() and line not in lines]
    return lines


# ---- EPUB --------------------------------------------------------------------------------------

_DC = "{http://purl.org/dc/elements/1.1/}"


def _spine(archive: zipfile.ZipFile) -> tuple[list[str], list[str]]:
    """The zip names of an EPUB's XHTML documents in reading order (the OPF spine; items marked
    ``linear="no"`` after the rest), and the book's title and author lines from its metadata
    (``["Title: The Keeper", "Author: Jonas Pell"]``).

    Raises:
        LoadError: no container.xml or package file.
    """
    container = parse_xml(read_member(archive, "META-INF/container.xml", "EPUB"))
    rootfile = container.find(f".//{_CONTAINER}rootfile")
    if rootfile is None or not rootfile.get("full-path"):
        raise LoadError("corrupt or unreadable EPUB (container.xml names no package file)")
    opf_name = rootfile.get("full-path")
    opf = parse_xml(read_member(archive, opf_name, "EPUB"))
    base = posixpath.dirname(opf_name)
    items = {i.get("id"): i for i in opf.iter(_OPF + "item")}
    linear, later = [], []
    for ref in opf.iter(_OPF + "itemref"):
        item = items.get(ref.get("idref"))
        if item is None or "html" not in (item.get("media-type") or ""):
            continue
        name = posixpath.normpath(posixpath.join(base, _unquote(item.get("href") or "")))
        (later if ref.get("linear") == "no" else linear).append(name)
    about = [f"{label}: {' '.join(e.text.split())}" for label, tag in (("Title", "title"), ("Author", "creator"))
             for e in opf.iter(_DC + tag) if e.text and e.text.strip()]
    return linear + later, about


def _unquote(href: str) -> str:
    from urllib.parse import unquote

    return unquote(href.split("#", 1)[0])


def _drm(archive: zipfile.ZipFile) -> bool:
    """Whether an EPUB encrypts content (not only fonts, which font obfuscation hides)."""
    if "META-INF/encryption.xml" not in archive.namelist():
        return False
    root = parse_xml(archive.read("META-INF/encryption.xml"))
    methods = {m.get("Algorithm") for m in root.iter(_ENC + "EncryptionMethod")}
    return bool(methods - _FONT_OBFUSCATION) or "META-INF/rights.xml" in archive.namelist()


def read_epub(path: str | Path) -> list[tuple[int | None, str]]:
    """The parts of an EPUB book: its title and author lines (part None), then each XHTML document
    of the spine with text, by the HTML rules, numbered from 1 (cited as "section 3").

    Raises:
        LoadError: DRM-encrypted, corrupt, or no readable documents.
        LimitExceeded: past the zip or text limits.
    """
    from qa.ingest.loading.markup import html_to_text
    from qa.ingest.loading.text import decode

    open_package(path, "EPUB")
    parts: list[tuple[int | None, str]] = []
    with reading("EPUB"), zipfile.ZipFile(path) as archive:
        if _drm(archive):
            raise LoadError("encrypted EPUB (DRM)")
        names = set(archive.namelist())
        spine, about = _spine(archive)
        if about:
            parts.append((None, "\n".join(about)))
        total, limit, number = 0, current().text_chars, 0
        for name in spine:
            if name not in names:
                continue
            text = html_to_text(decode(archive.read(name))).strip()
            total += len(text)
            if total > limit:
                raise LimitExceeded(f"more than {limit:,} characters of text (the text_chars limit)")
            if text:
                number += 1
                parts.append((number, text))
    return parts
