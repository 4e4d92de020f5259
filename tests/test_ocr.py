"""OCR: scanned PDF pages and image files read as text, cited by page, answers outlined on the page."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from makedocs import pdf_with_scan, png_scan, scan_image

pytest.importorskip("rapidocr", reason="the ocr extra is not installed")

SCAN = ["The pump station at Harlow Creek was rebuilt in 1987.",
        "Its three diesel engines deliver 4,200 litres",
        "per minute to the eastern reservoir."]
SCAN_TEXT = ("The pump station at Harlow Creek was rebuilt in 1987. Its three diesel engines deliver "
             "4,200 litres per minute to the eastern reservoir.")
TEXT = ["Annual report of the Harlow water board.", "The board met eleven times this year."]


@pytest.fixture(autouse=True)
def _cache(tmp_path_factory, monkeypatch):
    """OCR'd words are cached in a temporary folder, not the user's ~/.cache."""
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "qa-cache"))


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("scans")
    png_scan(d / "pump.png", SCAN)
    pdf_with_scan(d / "report.pdf", TEXT, SCAN)
    return d


@pytest.fixture(scope="module")
def png_doc(files, tmp_path_factory):
    from qa.ingest.loading import load_file

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("QA_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "qa-cache"))
        return load_file(files / "pump.png")


@pytest.fixture(scope="module")
def pdf_doc(files, tmp_path_factory):
    from qa.ingest.loading import load_file

    calls = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("QA_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "qa-cache"))
        doc = load_file(files / "report.pdf", on_page=lambda page, pages: calls.append((page, pages)))
    return doc, calls


def test_image_file_reads_as_one_page_of_text(png_doc):
    assert png_doc.text == SCAN_TEXT
    assert png_doc.pages == [(1, 0, len(SCAN_TEXT))]
    assert png_doc.ocr_pages == [1] and png_doc.notes == []
    first = png_doc.words[1][0]
    assert first[0] == "The"
    assert first[1] == pytest.approx(1 / 8.5, abs=0.01)  # an inch in from the left of an 8.5-inch page


def test_scanned_page_of_a_pdf_is_read_with_its_page_number(pdf_doc):
    doc, calls = pdf_doc
    assert doc.text == " ".join(TEXT) + "\n" + SCAN_TEXT
    (p1, s1, e1), (p2, s2, e2) = doc.pages
    assert (p1, p2) == (1, 2)
    assert doc.text[s1:e1] == " ".join(TEXT)
    assert doc.text[s2:e2] == SCAN_TEXT
    assert doc.ocr_pages == [2] and list(doc.words) == [2]
    assert calls == [(1, 2), (2, 2)]  # the progress hook, page by page


def test_answer_from_a_scanned_page_cites_it_and_is_outlined(files, pdf_doc, embedder, tmp_path):
    import numpy as np

    from qa.answer.reading import Reader
    from qa.ingest.loading.pdf import render_page
    from qa.pipeline import QA, build_index

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "report.pdf").write_bytes((files / "report.pdf").read_bytes())
    report = build_index(tmp_path / "index", [docs], embedder=embedder)
    assert report.ocr_pages == 1 and "1 page read by OCR" in report.summary()
    answer = QA(tmp_path / "index", Reader("fast"), embedder).ask(
        "How many litres per minute do the diesel engines deliver?").answers[0]
    assert "4,200" in answer.text and answer.page == 2

    image = np.asarray(render_page(docs / "report.pdf", 2, answer.text).convert("RGB")).astype(int)
    plain = np.asarray(render_page(docs / "report.pdf", 2).convert("RGB")).astype(int)
    changed = np.argwhere(np.abs(image - plain).sum(axis=2) > 30)
    assert len(changed) > 100  # the outline is drawn ...
    top, left = changed.min(axis=0) / image.shape[:2]
    assert 0.05 < top < 0.2 and 0.1 < left < 0.6  # ... around the second line of the scan, near the top


def test_image_file_page_is_drawn_with_the_answer_outlined(files, png_doc):
    import numpy as np

    from qa.ingest.loading.pdf import render_page

    marked = np.asarray(render_page(files / "pump.png", 1, "Harlow Creek")).astype(int)
    assert ((marked[..., 0] > 200) & (marked[..., 2] < 50)).sum() > 50  # orange outline pixels


def test_scanned_page_without_text_is_noted(tmp_path):
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    from qa.ingest.loading import load_file

    path = tmp_path / "blank-scan.pdf"
    c = canvas.Canvas(str(path))
    c.drawString(72, 760, "Only the first page has text.")
    c.showPage()
    c.drawImage(ImageReader(scan_image([], dpi=50, height_in=11.0)), 0, 0, width=612, height=792)
    c.showPage()
    c.save()
    doc = load_file(path)
    assert doc.text == "Only the first page has text."
    assert doc.ocr_pages == [2] and doc.notes == ["page 2: no text found by OCR"]


def test_unreadable_text_layer_is_read_by_ocr():
    from qa.ingest.loading.pdf import needs_ocr

    class Page:
        bbox = (0, 0, 612, 792)
        images, curves, rects, lines = [{"x0": 0, "x1": 612, "top": 0, "bottom": 792}], [], [], []

        def __init__(self, chars):
            self.chars = [{"text": t} for t in chars]

    assert needs_ocr(Page(["(cid:12)"] * 60 + list("abc")))  # glyphs without Unicode
    assert needs_ocr(Page(list("p. 3")))  # a scan with a page number stamped on it
    assert not needs_ocr(Page(list("A page of real text. " * 5)))
    assert not needs_ocr(type("Blank", (Page,), {"images": []})([]))  # nothing drawn: nothing to read


def test_without_the_ocr_extra_the_error_names_it(files, monkeypatch):
    from qa.ingest.loading import LoadError, load_file, ocr

    def missing():
        raise ocr.OcrMissing("scanned pages need OCR: install the ocr extra (pip install 'qa-docs[ocr]')")

    monkeypatch.setattr(ocr, "engine", missing)
    with pytest.raises(LoadError, match="ocr extra"):
        load_file(files / "pump.png")
    doc = load_file(files / "report.pdf")  # the text page is indexed, the scan named
    assert doc.text == " ".join(TEXT) and doc.ocr_pages == []
    assert doc.notes == ["page 2: scanned, not read (install the ocr extra: pip install 'qa-docs[ocr]')"]


def test_ocr_runs_within_a_2_gb_address_space(files):
    """Files are read in worker processes limited to 2 GB of address space (RLIMIT_AS)."""
    script = textwrap.dedent(f"""
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
        from qa.ingest.loading import load_file
        print(load_file({str(files / "pump.png")!r}).text)
    """)
    run = subprocess.run([sys.executable, "-c", script], check=False, capture_output=True, text=True, timeout=300,
                         cwd=Path(__file__).resolve().parent.parent)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == SCAN_TEXT


def test_page_scanned_upside_down_reads_in_order(tmp_path):
    from qa.ingest.loading import load_file

    scan_image(SCAN[:2], height_in=2.0).rotate(180).save(tmp_path / "turned.png", dpi=(200, 200))
    doc = load_file(tmp_path / "turned.png")
    assert doc.text == f"{SCAN[0]} {SCAN[1]}"
    first = doc.words[1][0]
    assert first[0] == "The" and first[1] > 0.5  # its box where it lies on the page: at the right
