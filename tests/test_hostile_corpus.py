"""The hostile-files corpus (tests/hostile.py) makes what it claims, quickly and cheaply.

These test the generators only, never the loaders: each file is read here with
zipfile, zlib and pdfminer/pdfplumber structure checks, and no bomb is inflated
past its first few megabytes.
"""

from __future__ import annotations

import itertools
import random
import re
import shutil
import struct
import time
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import hostile as h
import pytest
from hostile import CORPUS, GB, KB, MB


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Iterator[dict[str, Path]]:
    """Every corpus file but the slow ones, made once for this module (and removed after it)."""
    folder = tmp_path_factory.mktemp("hostile")
    yield h.make_corpus(folder)
    shutil.rmtree(folder)


def _zip_info(path: Path, name: str) -> zipfile.ZipInfo:
    with zipfile.ZipFile(path) as archive:
        return archive.getinfo(name)


def _raw_member(path: Path, info: zipfile.ZipInfo, n: int) -> bytes:
    """The first ``n`` bytes of a member's data as stored, found through its local header
    (not zipfile's reader, which newer Pythons refuse for overlapping members)."""
    with open(path, "rb") as f:
        f.seek(info.header_offset)
        fixed = f.read(30)
        name_len, extra_len = struct.unpack("<HH", fixed[26:30])
        f.seek(info.header_offset + 30 + name_len + extra_len)
        return f.read(min(n, info.compress_size))


def _inflate_head(data: bytes, n: int, wbits: int = -15) -> bytes:
    """The first ``n`` bytes that ``data`` (a deflate stream or its start) inflates to."""
    return zlib.decompressobj(wbits).decompress(data, n)


def _tag_depth(xml: str, tag: str) -> int:
    """The deepest nesting of ``<tag>`` elements (start and end tags counted, not parsed)."""
    depth = deepest = 0
    for m in re.finditer(rf"<(/?){tag}[ >]", xml):
        depth += -1 if m.group(1) else 1
        deepest = max(deepest, depth)
    return deepest


def test_checksums_combine_like_zlib():
    rng = random.Random(5)
    for _ in range(200):
        a, b = rng.randbytes(rng.randrange(300)), rng.randbytes(rng.randrange(300))
        assert h.crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)
        assert h.adler32_combine(zlib.adler32(a), zlib.adler32(b), len(b)) == zlib.adler32(a + b)


def test_deflated_pieces_join_and_repeat():
    piece = h.deflated(b"<head>") + h.deflated(b"ab" * 5000).times(13) + h.deflated(b"</head>")
    content = b"<head>" + b"ab" * 5000 * 13 + b"</head>"
    assert zlib.decompress(piece.stream(), -15) == content
    assert zlib.decompress(piece.zlib_stream()) == content  # zlib checks the Adler-32 itself
    assert (piece.size, piece.crc) == (len(content), zlib.crc32(content))


def test_bomb_run_is_a_gigabyte_from_little():
    run = h.bomb_run()
    assert GB < run.size < GB + MB and len(run.data) < 2 * MB
    assert _inflate_head(run.data, 4 * MB) == (h.BOMB_PATTERN * MB)[: 4 * MB]


def test_catalogue_is_well_formed():
    names = [c.name for c in CORPUS]
    assert len(names) == len(set(names))
    for case in CORPUS:
        assert case.expect in ("skip", "indexed"), case.name
        assert (case.reason is None) == (case.expect == "indexed"), case.name
        if case.reason:
            re.compile(case.reason)
        if not h.supported(case.ext):
            assert (case.expect, case.reason) == ("skip", h.UNSUPPORTED), case.name
    for ext in h.ALL_FORMATS:
        assert {f"cut{ext}", f"random{ext}", f"empty{ext}"} <= set(names)
    assert next(c.name for c in CORPUS if c.expect == "indexed") == "good.txt"


def test_matches_searches_the_reason():
    case = next(c for c in CORPUS if c.name == "members_20k.docx")
    if h.supported(".docx"):
        assert h.matches(case, "holds more than 10,000 files (the archive_members limit)")
        assert not h.matches(case, "corrupt or unreadable DOCX")


@pytest.mark.parametrize("case", [c for c in CORPUS if not c.slow], ids=lambda c: c.name)
def test_each_maker_writes_its_file_quickly(case, tmp_path):
    h.bomb_run()  # made once per process, shared by every bomb
    start = time.perf_counter()
    path = case.maker(tmp_path)
    assert time.perf_counter() - start < 5
    assert path == tmp_path / case.name and path.is_file()
    assert path.stat().st_blocks * 512 < 10 * MB
    path.unlink()


def test_the_corpus_is_quick_and_small(tmp_path):
    start = time.perf_counter()
    paths = h.make_corpus(tmp_path, slow=True)
    seconds = time.perf_counter() - start
    disk = sum(p.stat().st_blocks * 512 for p in paths.values())
    for path in paths.values():  # pytest keeps recent tmp folders: leave no 50 MB behind
        path.unlink()
    assert len(paths) == len(CORPUS)
    assert seconds < 20, f"{seconds:.1f} s"
    assert disk < 100 * MB, f"{disk / MB:.0f} MB"


def test_good_file_holds_the_fact(corpus):
    assert "The harbour crane lifted 35 containers on Monday." in corpus["good.txt"].read_text()


@pytest.mark.parametrize("ext", h.ZIP_FORMATS)
def test_zip_bombs_declare_and_inflate_a_gigabyte(corpus, ext):
    path, package = corpus[f"bomb{ext}"], h.PACKAGES[ext]
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        assert archive.namelist()[: len(package.stored)] == [n for n, _ in package.stored]
        with archive.open(package.main) as member:  # zipfile's own reader, first 4 MB
            head = member.read(4 * MB)
    main = next(i for i in infos if i.filename == package.main)
    assert main.file_size > GB and main.compress_size < 2 * MB
    assert sum(i.file_size for i in infos) > GB
    lead = package.head.encode()
    assert len(head) == 4 * MB and head.startswith(lead)
    assert head[len(lead):] == (h.BOMB_PATTERN * MB)[: 4 * MB - len(lead)]
    assert _inflate_head(_raw_member(path, main, 64 * KB), MB) == head[:MB]


def test_zip_with_20000_members(corpus):
    with zipfile.ZipFile(corpus["members_20k.docx"]) as archive:
        infos = archive.infolist()
    assert len(infos) == 20_000 + 3
    assert "word/document.xml" in {i.filename for i in infos}


def test_lying_sizes_declare_4kb_but_inflate_far_more(corpus):
    path = corpus["lying_sizes.docx"]
    info = _zip_info(path, "word/document.xml")
    assert info.file_size == 4 * KB and info.compress_size > MB
    assert len(_inflate_head(_raw_member(path, info, 64 * KB), 8 * MB)) == 8 * MB


def test_overlapping_members_share_one_kernel(corpus):
    path = corpus["overlap.docx"]
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()[2:]
    assert len(infos) == h.OVERLAP_FILES
    assert sum(i.file_size for i in infos) > 100 * GB
    assert infos[0].filename == "word/document.xml"
    for first, second in itertools.pairwise(infos):
        assert first.header_offset < second.header_offset < first.header_offset + 64 + first.compress_size
        assert first.file_size > second.file_size
        quoted = _inflate_head(_raw_member(path, first, 200), 4)
        assert quoted == b"PK\x03\x04"  # each member's data begins with the next one's header
    last = _inflate_head(_raw_member(path, infos[-1], 64 * KB), 200)
    assert last.startswith(h.DOCX.head.encode()[:100])


def _pdf_stream(data: bytes) -> bytes:
    start = data.index(b"stream\n") + len(b"stream\n")
    return data[start: data.index(b"\nendstream", start)]


def test_flate_bomb_pdf_inflates_past_a_gigabyte(corpus):
    data = corpus["flate_bomb.pdf"].read_bytes()
    assert len(data) < 2 * MB and b"/Filter /FlateDecode" in data
    stream = _pdf_stream(data)
    assert b"/Length %d " % len(stream) in data
    head = zlib.decompressobj().decompress(stream, 4 * MB)
    assert head.startswith(b"BT /F1 11 Tf 72 720 Td (bomb bomb")
    assert h.bomb_between("", "").size > GB


def test_many_page_pdfs(corpus):
    pdfplumber = pytest.importorskip("pdfplumber")
    from pdfminer.high_level import extract_text

    with pdfplumber.open(corpus["pages_10k.pdf"]) as pdf:
        assert len(pdf.pages) == 10_000
    path = corpus["pages_5k_text.pdf"]
    assert b"/Count 5000 " in path.read_bytes()
    assert path.read_bytes().count(b"/Type /Page /Parent 2 0 R") == 5_000
    assert extract_text(path, maxpages=1).strip() == h.GOOD_SENTENCE


def _pdf_document(path: Path):
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfparser import PDFParser

    f = open(path, "rb")  # noqa: SIM115 - pdfminer reads lazily; closed by the caller
    return f, PDFDocument(PDFParser(f))


def test_length_chain_is_100000_references_deep(corpus):
    from pdfminer.pdftypes import PDFObjRef

    path = corpus["length_chain.pdf"]
    bodies = dict(re.findall(rb"^(\d+) 0 obj\n(.*?)\nendobj", path.read_bytes(), re.MULTILINE | re.DOTALL))
    ref, depth = re.search(rb"/Length (\d+) 0 R", bodies[b"5"]).group(1), 0
    while (hop := re.fullmatch(rb"(\d+) 0 R", bodies[ref])):
        ref, depth = hop.group(1), depth + 1
    assert depth + 1 == 100_000 and int(bodies[ref]) == len(h._line_content(h.GOOD_SENTENCE))
    f, doc = _pdf_document(path)
    with f:  # the xref table finds the chain's objects where they are
        for number in range(6, 100_005, 997):
            hop = doc.getobj(number)
            assert isinstance(hop, PDFObjRef) and hop.objid == number + 1


def test_page_tree_is_5000_nodes_deep(corpus):
    f, doc = _pdf_document(corpus["page_tree_deep.pdf"])
    with f:
        node, depth = doc.catalog["Pages"].resolve(), 0
        while node["Type"].name == "Pages":
            node, depth = node["Kids"][0].resolve(), depth + 1
        assert depth == 5_000 and node["Type"].name == "Page"


def test_xref_offsets_point_to_garbage(corpus):
    data = corpus["xref_garbage.pdf"].read_bytes()
    rows = re.findall(rb"^(\d{10}) 00000 n", data, re.MULTILINE)
    assert rows
    for row in rows:
        assert not re.match(rb"\d+ 0 obj", data[int(row):int(row) + 12])


def test_nested_divs_are_100000_deep(corpus):
    markup = corpus["divs_100k.html"].read_text()
    assert _tag_depth(markup, "div") == 100_000
    assert h.GOOD_SENTENCE in markup


def _document_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read("word/document.xml").decode()


def test_nested_docx_is_100000_elements_deep(corpus):
    xml = _document_xml(corpus["nested_100k.docx"])
    assert _tag_depth(xml, "w:sdt") + _tag_depth(xml, "w:sdtContent") == 100_000


def test_billion_laughs_expands_to_a_billion(corpus):
    xml = _document_xml(corpus["laughs.docx"])
    entities = dict(re.findall(r'<!ENTITY (\w+) "([^"]*)">', xml))
    assert len(entities) == 10 and "&lol9;" in xml.split("]>", 1)[1]
    sizes = {"lol0": 3}
    for i in range(1, 10):
        sizes[f"lol{i}"] = entities[f"lol{i}"].count("&") * sizes[f"lol{i - 1}"]
    assert sizes["lol9"] == 3 * 10**9


@pytest.mark.parametrize(("name", "size"), [("huge_1gb.txt", GB), ("big_600mb.txt", 600 * MB)])
def test_sparse_text_costs_no_disk(corpus, name, size):
    path = corpus[name]
    assert path.stat().st_size == size
    assert path.stat().st_blocks * 512 < MB
    with open(path, "rb") as f:
        assert f.read(49).decode() == h.GOOD_SENTENCE


def test_long_line_is_50mb_of_words(tmp_path):
    path = h.make_long_line(tmp_path)
    assert path.stat().st_size == 50 * MB
    with open(path, "rb") as f:
        head = f.read(MB)
        f.seek(30 * MB)
        middle = f.read(MB)
    path.unlink()
    assert b"\n" not in head + middle
    assert set(middle.split()[1:-1]) <= {w.encode() for w in h.WORDS}


@pytest.mark.parametrize("ext", h.ALL_FORMATS)
def test_malformed_files(corpus, ext, tmp_path):
    good = h.good_file(tmp_path / f"good{ext}").read_bytes()
    assert corpus[f"cut{ext}"].read_bytes() == good[: len(good) // 2]
    assert corpus[f"empty{ext}"].stat().st_size == 0
    noise = corpus[f"random{ext}"].read_bytes()
    assert len(noise) == 64 * KB and noise == h.make_random(tmp_path, ext).read_bytes()
    if ext in h.ZIP_FORMATS:
        with zipfile.ZipFile(tmp_path / f"good{ext}") as archive:
            assert archive.testzip() is None
        with zipfile.ZipFile(corpus[f"empty_zip{ext}"]) as archive:
            assert archive.infolist() == []
        with pytest.raises(zipfile.BadZipFile):
            zipfile.ZipFile(corpus[f"cut{ext}"])


@pytest.mark.parametrize("name", ["nested_100k.docx", "laughs.docx", "empty_zip.docx"])
def test_deeper_zip_cases_get_past_the_directory_checks(corpus, name):
    """These test what lies past the zip directory (an XML parser, zipfile's reader), so the
    directory checks must not stop them first."""
    from qa.ingest.loading.limits import check_zip

    check_zip(corpus[name])
