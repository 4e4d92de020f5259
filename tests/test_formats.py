"""Spreadsheets, slides, mail, RTF, ODT and EPUB: the text a person sees, cited by sheet, slide or
attachment. Every input is written here (openpyxl, python-pptx, the email package, zips by hand)."""

from __future__ import annotations

import datetime as dt
import zipfile
from email.message import EmailMessage
from pathlib import Path

import pytest
from makedocs import pdf_lines

from qa.ingest.loading import SUPPORTED, LoadError, load_documents, load_file, page_name

# ---- makers ------------------------------------------------------------------------------------


def make_xlsx(path: Path) -> Path:
    """A workbook: a price list under a title row (formats: currency text, percent, dates), a
    bold-headed staff sheet, and a hidden sheet."""
    import openpyxl
    from openpyxl.styles import Font

    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Prices"
    ws.append(["Garden price list 2024"])
    ws.append(["Part", "Size", "Price", "Discount", "Since"])
    ws.append(["Hose reel", "25 m", 34.5, 0.125, dt.date(2024, 3, 15)])
    ws.append(["Rain barrel", "200 l", 1234.5, 0.1, dt.datetime(2024, 3, 15, 14, 30)])
    for row in (3, 4):
        ws[f"C{row}"].number_format = '#,##0.00 "EUR"'
        ws[f"D{row}"].number_format = "0.0%"
    ws["F3"] = "=C3*2"  # no value computed yet: shown as nothing, never as the formula
    staff = book.create_sheet("Staff")
    staff.append(["Name", "Role"])
    staff.append(["Helga Vandermeer", "Head gardener"])
    for cell in staff[1]:
        cell.font = Font(bold=True)
    hidden = book.create_sheet("Lookup")
    hidden.append(["secret lookup value"])
    hidden.sheet_state = "hidden"
    book.save(path)
    return path


def make_pptx(path: Path) -> Path:
    """A deck: slide 1 a title; slide 2 a title, two boxes side by side (added right one first),
    a box under them, a table with a header row and speaker notes."""
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    first = deck.slides.add_slide(deck.slide_layouts[0])
    first.shapes.title.text = "Kestrel Robotics"
    first.placeholders[1].text = "Annual review"
    slide = deck.slides.add_slide(deck.slide_layouts[5])
    slide.shapes.title.text = "Roadmap"
    for left, top, text in ((5, 2, "Right column"), (1, 2, "Left column"), (1, 3.5, "Below both")):
        slide.shapes.add_textbox(Inches(left), Inches(top), Inches(3), Inches(1)).text_frame.text = text
    table = slide.shapes.add_table(3, 3, Inches(1), Inches(5), Inches(6), Inches(1)).table
    for i, row in enumerate([["Quarter", "Goal", "Budget"], ["Q1", "Launch the drone", "12,000 EUR"],
                             ["Q2", "Open a plant in Graz", "30,000 EUR"]]):
        for j, value in enumerate(row):
            table.cell(i, j).text = value
    slide.notes_slide.notes_text_frame.text = "The launch date is 3 June."
    deck.save(path)
    return path


def add_smartart(slide, nodes: list[str]) -> None:
    """A SmartArt diagram on ``slide`` whose nodes read ``nodes`` (its data part only, as python-pptx
    cannot draw one)."""
    from pptx.opc.package import Part
    from pptx.opc.packuri import PackURI
    from pptx.oxml import parse_xml
    from pptx.util import Inches

    data = ('<dgm:dataModel xmlns:dgm="http://schemas.openxmlformats.org/drawingml/2006/diagram" '
            'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><dgm:ptLst>'
            '<dgm:pt modelId="0" type="doc"><dgm:t><a:p><a:r><a:t>ignored</a:t></a:r></a:p></dgm:t></dgm:pt>'
            + "".join(f'<dgm:pt modelId="{i + 1}"><dgm:t><a:bodyPr/><a:p><a:r><a:t>{n}</a:t></a:r></a:p></dgm:t></dgm:pt>'
                      for i, n in enumerate(nodes))
            + "</dgm:ptLst></dgm:dataModel>").encode()
    part = Part(PackURI("/ppt/diagrams/data1.xml"),
                "application/vnd.openxmlformats-officedocument.drawingml.diagramData+xml", slide.part.package, data)
    rid = slide.part.relate_to(part, "http://schemas.openxmlformats.org/officeDocument/2006/relationships/diagramData")
    frame = parse_xml(
        '<p:graphicFrame xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" '
        'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<p:nvGraphicFramePr><p:cNvPr id="99" name="Diagram"/><p:cNvGraphicFramePr/><p:nvPr/></p:nvGraphicFramePr>'
        f'<p:xfrm><a:off x="{Inches(1)}" y="{Inches(6)}"/><a:ext cx="{Inches(5)}" cy="{Inches(1)}"/></p:xfrm>'
        '<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/diagram">'
        '<dgm:relIds xmlns:dgm="http://schemas.openxmlformats.org/drawingml/2006/diagram" '
        f'r:dm="{rid}" r:lo="" r:qs="" r:cs=""/></a:graphicData></a:graphic></p:graphicFrame>')
    slide.shapes._spTree.append(frame)


def make_eml(path: Path, attachments: dict[str, bytes], html: bool = False) -> Path:
    """A mail from Anna to Ben with a body (plain, or HTML only) and the given attachments."""
    msg = EmailMessage()
    msg["From"] = "Anna Huber <anna@example.com>"
    msg["To"] = "Ben Ortiz <ben@example.com>"
    msg["Date"] = "Tue, 04 Mar 2025 10:15:00 +0100"
    msg["Subject"] = "Offer for the greenhouse"
    body = "Hello Ben,\n\nthe greenhouse costs 4,800 EUR and can be built in May.\n\nAnna"
    if html:
        msg.set_content("<html><body><nav>Menu</nav><p>Hello Ben,</p><p>the greenhouse costs "
                        "<b>4,800 EUR</b>.</p></body></html>", subtype="html")
    else:
        msg.set_content(body)
    for name, data in attachments.items():
        maintype, subtype = ("application", "pdf") if name.endswith(".pdf") else ("application", "octet-stream")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    path.write_bytes(bytes(msg))
    return path


def make_zip(path: Path, members: dict[str, str | bytes], stored_first: str | None = None) -> Path:
    """A zip of the given members (``stored_first`` written first, uncompressed: a mimetype)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        if stored_first:
            z.writestr(stored_first, members[stored_first], compress_type=zipfile.ZIP_STORED)
        for name, data in members.items():
            if name != stored_first:
                z.writestr(name, data)
    return path


_ODF_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
           'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
           'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
           'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
           'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" office:version="1.3"')


def make_odf(path: Path, body: str, kind: str = "text", styles: str = "") -> Path:
    """An ODT (``kind`` "text") or ODS ("spreadsheet") whose body is ``body`` (ODF XML), after
    ``styles`` (automatic styles)."""
    mime = f"application/vnd.oasis.opendocument.{kind}"
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODF_NS}>'
               f"{styles}<office:body><office:{kind}>{body}</office:{kind}></office:body></office:document-content>")
    return make_zip(path, {"mimetype": mime, "content.xml": content}, stored_first="mimetype")


def make_epub(path: Path, chapters: list[tuple[str, str]]) -> Path:
    """An EPUB whose spine lists ``chapters`` (file name, XHTML body) in the given order; the
    manifest lists them in reverse, so only the spine gives the reading order."""
    items = "".join(f'<item id="c{i}" href="text/{name}" media-type="application/xhtml+xml"/>'
                    for i, (name, _) in reversed(list(enumerate(chapters))))
    spine = "".join(f'<itemref idref="c{i}"/>' for i in range(len(chapters)))
    members: dict[str, str | bytes] = {
        "mimetype": "application/epub+zip",
        "META-INF/container.xml": '<?xml version="1.0"?><container version="1.0" '
        'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
        '<rootfile full-path="OEBPS/book.opf" media-type="application/oebps-package+xml"/></rootfiles></container>',
        "OEBPS/book.opf": '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0">'
        '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Lights of the North Sea</dc:title>'
        f"<dc:creator>Mara Quist</dc:creator></metadata><manifest>{items}</manifest><spine>{spine}</spine></package>",
    }
    for name, body in chapters:
        members[f"OEBPS/text/{name}"] = (f'<?xml version="1.0" encoding="utf-8"?><html '
                                         f'xmlns="http://www.w3.org/1999/xhtml"><body>{body}</body></html>')
    return make_zip(path, members, stored_first="mimetype")


RTF = (r"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0 Arial;}}"
       r"{\pard\b Maintenance\b0\par}"
       r"{\pard The pump is serviced every 6 months by Kl\'e4rwerk GmbH.\par}"
       r"\trowd\cellx2000\cellx4000 Part\cell Interval\cell\row"
       r"\trowd\cellx2000\cellx4000 Filter\cell 3 months\cell\row}")


# ---- what a person sees --------------------------------------------------------------------------


def test_new_kinds_are_supported():
    for ext in (".csv", ".tsv", ".xlsx", ".ods", ".pptx", ".eml", ".mbox", ".rtf", ".odt", ".epub"):
        assert ext in SUPPORTED


def test_page_names_by_kind():
    assert page_name("a/report.pdf", 4) == "page 4"
    assert page_name("deck.pptx", 3) == "slide 3"
    assert page_name("book.xlsx", "Prices") == "sheet Prices"
    assert page_name("mail.eml › list.ods", "2025") == "sheet 2025"
    assert page_name("notes.txt", None) == ""


def test_xlsx_rows_are_labelled_with_shown_values_and_sheet_pages(tmp_path):
    doc = load_file(make_xlsx(tmp_path / "garden.xlsx"))
    lines = doc.text.splitlines()
    assert lines[0] == "Garden price list 2024"
    assert lines[1] == "Part: Hose reel | Size: 25 m | Price: 34.50 EUR | Discount: 12.5% | Since: 2024-03-15"
    assert lines[2] == ("Part: Rain barrel | Size: 200 l | Price: 1,234.50 EUR | Discount: 10.0% | "
                        "Since: 2024-03-15 14:30")
    assert "Name: Helga Vandermeer | Role: Head gardener" in lines
    assert "=C3" not in doc.text and "secret" not in doc.text
    assert [p for p, _, _ in doc.pages] == ["Prices", "Staff"]
    start, end = doc.pages[1][1:]
    assert doc.text[start:end] == "Name: Helga Vandermeer | Role: Head gardener"


def test_number_formats():
    from qa.ingest.loading.sheets import cell_text

    assert cell_text(0.5, "0%") == "50%"
    assert cell_text(1234567.891, "#,##0.00") == "1,234,567.89"
    assert cell_text(-12.5, "#,##0.00;(#,##0.00)") == "(12.50)"
    assert cell_text(3.0, "General") == "3"
    assert cell_text(0.1 + 0.2, "General") == "0.3"
    assert cell_text(12.5, '[$€-407] #,##0.00') == "€ 12.50"
    accounting = '_("$"* #,##0.00_);_("$"* (#,##0.00);_("$"* "-"??_);_(@_)'
    assert [cell_text(v, accounting) for v in (1234.5, -1234.5, 0)] == ["$1,234.50", "$(1,234.50)", "$-"]
    assert cell_text(7.5, '0.0 "hours"') == "7.5 hours"
    assert cell_text(3.7, "0") == "4"
    assert cell_text(True) == "TRUE"
    assert cell_text(dt.time(9, 30)) == "09:30"


def test_csv_and_tsv(tmp_path):
    (tmp_path / "stock.csv").write_text("Item;Stock;Price\nRain barrel;12;89,00 EUR\n\nNote;ask Anna\n")
    doc = load_file(tmp_path / "stock.csv")
    assert doc.text.splitlines() == ["Item: Rain barrel | Stock: 12 | Price: 89,00 EUR", "", "Note | ask Anna"]
    assert doc.pages == [(None, 0, len(doc.text))]
    (tmp_path / "stock.tsv").write_text('Item\tStock\n"Hose, 25 m"\t4\n')
    assert load_file(tmp_path / "stock.tsv").text == "Item: Hose, 25 m | Stock: 4"


def test_a_large_sheet_streams(tmp_path):
    rows = "".join(f"R{i},{i},{i * 2}.50 EUR\n" for i in range(100_000))
    (tmp_path / "big.csv").write_text("Code,Count,Price\n" + rows)
    doc = load_file(tmp_path / "big.csv")
    assert doc.text.count("\n") == 99_999
    assert doc.text.splitlines()[-1] == "Code: R99999 | Count: 99999 | Price: 199998.50 EUR"


def test_ods_sheets(tmp_path):
    row = '<table:table-row>{}</table:table-row>'
    cell = '<table:table-cell office:value-type="string"><text:p>{}</text:p></table:table-cell>'
    body = ('<table:table table:name="Rooms">'
            + row.format("".join(cell.format(c) for c in ("Room", "Seats", "Rate")))
            + row.format("".join(cell.format(c) for c in ("Aula", "120", "12.5 %")))
            + '<table:table-row table:number-rows-repeated="1048570"><table:table-cell '
              'table:number-columns-repeated="1024"/></table:table-row>'
            + '</table:table><table:table table:name="Notes">'
            + row.format(cell.format("Keys at the <text:span>front desk</text:span>"))
            + '</table:table><table:table table:name="Old" table:style-name="ta2">'
            + row.format(cell.format("a hidden sheet"))
            + "</table:table>")
    styles = ('<office:automatic-styles><style:style style:name="ta2" style:family="table">'
              '<style:table-properties table:display="false"/></style:style></office:automatic-styles>')
    doc = load_file(make_odf(tmp_path / "rooms.ods", body, "spreadsheet", styles))
    assert doc.text == "Room: Aula | Seats: 120 | Rate: 12.5 %\n\nKeys at the front desk"
    assert [p for p, _, _ in doc.pages] == ["Rooms", "Notes"]


def test_pptx_reading_order_tables_and_notes(tmp_path):
    doc = load_file(make_pptx(tmp_path / "deck.pptx"))
    assert [p for p, _, _ in doc.pages] == [1, 2]
    s, e = doc.pages[1][1:]
    assert doc.text[s:e].splitlines() == [
        "Roadmap", "Left column", "Right column", "Below both",
        "Quarter: Q1 | Goal: Launch the drone | Budget: 12,000 EUR",
        "Quarter: Q2 | Goal: Open a plant in Graz | Budget: 30,000 EUR",
        "Speaker notes:", "The launch date is 3 June."]
    assert doc.text.startswith("Kestrel Robotics\nAnnual review")


def test_pptx_smartart_nodes(tmp_path):
    from pptx import Presentation

    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[5])
    slide.shapes.title.text = "Process"
    add_smartart(slide, ["Plan the route", "Book the ferry"])
    deck.save(tmp_path / "process.pptx")
    assert load_file(tmp_path / "process.pptx").text == "Process\nPlan the route\nBook the ferry"


def test_eml_headers_body_and_attachments(tmp_path):
    pdf = pdf_lines(tmp_path / "quote.pdf", [["Quote 17", "The glass panels are 6 mm thick."]]).read_bytes()
    path = make_eml(tmp_path / "offer.eml", {"quote.pdf": pdf, "photo.heic": b"\x00\x01binary"})
    doc = load_file(path)
    assert doc.text.splitlines()[:5] == [
        "From: Anna Huber <anna@example.com>", "To: Ben Ortiz <ben@example.com>",
        "Date: Tue, 04 Mar 2025 10:15:00 +0100", "Subject: Offer for the greenhouse", ""]
    assert "the greenhouse costs 4,800 EUR" in doc.text
    [quote] = doc.attachments
    assert quote.source == f"{path} › quote.pdf"
    assert "6 mm thick" in quote.text and quote.pages[0][0] == 1
    [skip] = doc.skipped
    assert skip.source == f"{path} › photo.heic" and "unsupported" in skip.reason
    docs, skipped = load_documents([tmp_path / "offer.eml"])
    assert [d.source for d in docs] == [str(path), f"{path} › quote.pdf"] and skipped == doc.skipped


def test_eml_html_body_and_nested_mail(tmp_path):
    inner = make_eml(tmp_path / "inner.eml", {}, html=True)
    outer = make_eml(tmp_path / "outer.eml", {"forwarded.eml": inner.read_bytes()})
    doc = load_file(inner)
    assert "Hello Ben,\nthe greenhouse costs 4,800 EUR." in doc.text and "Menu" not in doc.text
    [fwd] = load_file(outer).attachments
    assert fwd.source.endswith("outer.eml › forwarded.eml") and "4,800 EUR" in fwd.text


def test_mbox_messages_are_parts(tmp_path):
    one = make_eml(tmp_path / "a.eml", {}).read_bytes()
    two = one.replace(b"Offer for the greenhouse", b"Second offer").replace(b"4,800", b"5,100")
    (tmp_path / "box.mbox").write_bytes(b"From anna@example.com Tue Mar  4 10:15:00 2025\n" + one + b"\n"
                                        + b"From anna@example.com Wed Mar  5 10:15:00 2025\n" + two + b"\n")
    doc = load_file(tmp_path / "box.mbox")
    assert [p for p, _, _ in doc.pages] == [1, 2]
    s, e = doc.pages[1][1:]
    assert "Subject: Second offer" in doc.text[s:e] and "5,100 EUR" in doc.text[s:e]


def test_rtf(tmp_path):
    (tmp_path / "care.rtf").write_text(RTF)
    lines = load_file(tmp_path / "care.rtf").text.splitlines()
    assert lines[:2] == ["Maintenance", "The pump is serviced every 6 months by Klärwerk GmbH."]
    assert "Part | Interval" in lines and "Filter | 3 months" in lines


def test_odt(tmp_path):
    body = ('<text:h text:outline-level="1">Opening hours</text:h>'
            '<text:p>Open<text:s text:c="2"/>daily<text:note text:note-class="footnote"><text:note-citation>1'
            '</text:note-citation><text:note-body><text:p>Except 25 December.</text:p></text:note-body>'
            '</text:note>, 9 to 17.<office:annotation><text:p>check this</text:p></office:annotation></text:p>'
            '<text:list><text:list-item><text:p>Tickets at the door</text:p></text:list-item></text:list>'
            '<table:table><table:table-header-rows><table:table-row>'
            '<table:table-cell><text:p>Ticket</text:p></table:table-cell>'
            '<table:table-cell><text:p>Price</text:p></table:table-cell></table:table-row></table:table-header-rows>'
            '<table:table-row><table:table-cell><text:p>Adult</text:p></table:table-cell>'
            '<table:table-cell><text:p>14 EUR</text:p></table:table-cell></table:table-row></table:table>')
    path = make_odf(tmp_path / "museum.odt", body)
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("styles.xml", '<office:document-styles xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
                   ' xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:text="urn:oasis:names:'
                   'tc:opendocument:xmlns:text:1.0"><office:master-styles><style:master-page style:name="Standard">'
                   '<style:footer><text:p>Museum of Rail, Graz</text:p></style:footer></style:master-page>'
                   '</office:master-styles></office:document-styles>')
    doc = load_file(path)
    assert doc.text.splitlines() == ["Museum of Rail, Graz", "Opening hours", "Open  daily, 9 to 17.", "Tickets at the door",
                                     "Ticket: Adult | Price: 14 EUR", "Except 25 December."]


def test_epub_in_spine_order(tmp_path):
    path = make_epub(tmp_path / "guide.epub", [
        ("one.xhtml", "<h1>Chapter 1</h1><p>The lighthouse was built in 1874.</p>"),
        ("two.xhtml", "<h1>Chapter 2</h1><p>Its keeper was Jonas Pell.</p>")])
    doc = load_file(path)
    assert doc.text.splitlines() == ["Title: Lights of the North Sea", "Author: Mara Quist", "",
                                     "Chapter 1", "The lighthouse was built in 1874.", "",
                                     "Chapter 2", "Its keeper was Jonas Pell."]
    assert [p for p, _, _ in doc.pages] == [None, 1, 2]


@pytest.mark.parametrize("name", ["bad.xlsx", "bad.ods", "bad.pptx", "bad.odt", "bad.epub", "bad.rtf",
                                  "bad.eml", "bad.mbox", "bad.csv"])
def test_malformed_files_are_named_skips(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"PK\x03\x04 this is not really a zip \x00\x01\x02" * 3)
    with pytest.raises(LoadError) as e:
        load_file(path)
    assert e.value.args[0] and "\n" not in e.value.args[0]


@pytest.mark.parametrize("name", ["empty.xlsx", "empty.pptx", "empty.odt", "empty.epub", "empty.ods"])
def test_zips_without_their_parts_are_named_skips(tmp_path, name):
    path = make_zip(tmp_path / name, {"hello.txt": "hello"})
    with pytest.raises(LoadError, match="corrupt or unreadable|not an OpenDocument|no text"):
        load_file(path)


def test_encrypted_office_file_is_named(tmp_path):
    path = tmp_path / "locked.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    with pytest.raises(LoadError, match="encrypted"):
        load_file(path)


def test_zip_limits_apply_before_parsing(tmp_path):
    from qa.ingest.loading.limits import LimitExceeded, Limits, using

    path = make_xlsx(tmp_path / "garden.xlsx")
    with using(Limits(archive_members=3)), pytest.raises(LimitExceeded, match="archive_members"):
        load_file(path)
    with using(Limits(text_chars=50)), pytest.raises(LimitExceeded, match="text_chars"):
        load_file(path)


# ---- end to end: indexed, asked, cited ----------------------------------------------------------


@pytest.fixture(scope="module")
def library(tmp_path_factory, embedder):
    """An index over one file of each new kind (and a broken workbook), built once."""
    from qa.pipeline import build_index

    base = tmp_path_factory.mktemp("formats")
    docs = base / "docs"
    docs.mkdir()
    make_xlsx(docs / "garden.xlsx")
    make_pptx(docs / "deck.pptx")
    pdf = pdf_lines(base / "quote.pdf", [["Quote 17", "The glass panels are 6 mm thick."]]).read_bytes()
    make_eml(docs / "offer.eml", {"quote.pdf": pdf, "photo.heic": b"\x00\x01binary"})
    (docs / "care.rtf").write_text(RTF)
    test_odt(docs)  # writes museum.odt
    make_epub(docs / "guide.epub", [("one.xhtml", "<p>The lighthouse was built in 1874.</p>"),
                                    ("two.xhtml", "<p>Its keeper was Jonas Pell.</p>")])
    (docs / "broken.pptx").write_bytes(b"not a deck at all")
    report = build_index(base / "index", [docs], embedder=embedder)
    return base, report


@pytest.fixture(scope="module")
def fast_qa(library, embedder):
    from qa.answer.reading import Reader
    from qa.pipeline import QA

    return QA(library[0] / "index", Reader("fast"), embedder)


def test_library_report_names_attachments_and_skips(library):
    base, report = library
    docs = (base / "docs").resolve()
    assert f"{docs}/offer.eml › quote.pdf" in report.added and f"{docs}/offer.eml" in report.added
    skipped = {Path(s.source).name: s.reason for s in report.skipped}
    assert "corrupt or unreadable PPTX" in skipped["broken.pptx"]
    assert "unsupported file type" in skipped["offer.eml › photo.heic"]


@pytest.mark.parametrize("question, answer, cited", [
    ("Who is the head gardener?", "Helga Vandermeer", "garden.xlsx, sheet Staff"),
    ("What is the price of the rain barrel?", "1,234.50 EUR", "garden.xlsx, sheet Prices"),
    ("When is the launch date?", "3 June", "deck.pptx, slide 2"),
    ("How thick are the glass panels?", "6 mm", "offer.eml › quote.pdf, page 1"),
    ("How much does the greenhouse cost?", "4,800 EUR", "offer.eml"),
    ("Who services the pump?", "Klärwerk GmbH", "care.rtf"),
    ("How much is an adult ticket?", "14 EUR", "museum.odt"),
    ("Who was the keeper of the lighthouse?", "Jonas Pell", "guide.epub, section 2"),
])
def test_answers_are_cited_by_sheet_slide_and_attachment(fast_qa, question, answer, cited):
    from qa.pipeline import cite

    result = fast_qa.ask(question, max_answers=1)
    assert not result.abstained, question
    best = result.answers[0]
    assert best.text == answer
    assert cite(best.source, best.page, name_only=True) == cited


def test_ask_json_carries_the_part(fast_qa):
    from qa.apps.cli import result_json

    out = result_json(fast_qa.ask("When is the launch date?", max_answers=1))
    assert out["answers"][0]["page"] == 2 and out["answers"][0]["part"] == "slide 2"


def test_attachments_go_and_move_with_their_mail(library, embedder, tmp_path):
    import shutil

    from qa.pipeline import build_index
    from qa.store.index import PassageIndex

    base, _ = library
    index = tmp_path / "index"
    shutil.copytree(base / "index", index)
    mail = (base / "docs" / "offer.eml").resolve()
    moved = tmp_path / "renamed.eml"
    shutil.move(mail, moved)
    try:
        report = build_index(index, [moved], embedder=embedder)
    finally:
        shutil.copy(moved, mail)  # the module's library stays as it was
    assert (f"{mail} › quote.pdf", f"{moved.resolve()} › quote.pdf") in report.moved
    assert not report.added and not any(m.startswith(str(mail)) for m in report.missing)
    report = build_index(index, [], remove=[moved], embedder=embedder)
    assert sorted(report.removed) == [str(moved.resolve()), f"{moved.resolve()} › quote.pdf"]
    assert not any("quote.pdf" in s for s in PassageIndex.load(index).documents)



def test_chat_page_uploads_a_mail_and_lists_its_attachments(tmp_path, embedder, fast_qa):
    from qa.apps.webapp import ChatService
    from qa.pipeline import QA, build_index

    pdf = pdf_lines(tmp_path / "quote.pdf", [["The glass panels are 6 mm thick."]]).read_bytes()
    mail = make_eml(tmp_path / "offer.eml", {"quote.pdf": pdf, "photo.heic": b"\x00\x01binary"})
    build_index(tmp_path / "index", [], embedder=embedder)
    service = ChatService(tmp_path / "index", qa=QA(tmp_path / "index", fast_qa.reader, embedder))
    text, docs = service.upload([str(mail)])
    assert "`offer.eml`: indexed" in text and "`offer.eml › photo.heic`: skipped: unsupported" in text
    assert [Path(d).name for d in docs] == ["offer.eml", "offer.eml › quote.pdf"]
    history = service.ask("How thick are the glass panels?", [], 5, 1)[0]
    assert "6 mm" in history[-1]["content"] and "offer.eml › quote.pdf, page 1" in history[-1]["content"]
    text, docs = service.remove(next(d for d in docs if d.endswith("offer.eml")))
    assert docs == []


def test_a_sheets_first_row_of_names_is_its_header_from_three_columns():
    from qa.ingest.loading.sheets import sheet_lines

    people = [["Name", "City", "Hobby"], ["Anna Huber", "Vienna", "Cycling"], ["Ben Ortiz", "Graz", "Chess"]]
    assert list(sheet_lines(people))[:2] == ["Name: Anna Huber | City: Vienna | Hobby: Cycling",
                                         "Name: Ben Ortiz | City: Graz | Hobby: Chess"]
    pairs = [["Project", "Apollo"], ["Owner", "Anna Huber"]]  # name | value pairs, no header
    assert list(sheet_lines(pairs)) == ["Project | Apollo", "Owner | Anna Huber"]
    later = [["Total", "5", "6"], [], *people]  # below a blank row, a header needs more evidence
    assert list(sheet_lines(later))[2] == "Name | City | Hobby"
    titled = [["Members 2024"], [], *people]  # a title above the sheet's first table
    assert list(sheet_lines(titled))[2] == "Name: Anna Huber | City: Vienna | Hobby: Cycling"


def test_a_wrapped_plain_text_body_reads_a_paragraph_a_line():
    from qa.ingest.loading.mail import unwrap

    body = ("Hello Ben,\n\n"
            "the greenhouse we discussed on Monday can be delivered in the second week of\n"
            "May, and the glass panels are 6 mm thick. Assembly takes two days and costs\n"
            "900 EUR.\n\n"
            "- Base frame\n- Glass panels\n\n"
            "> On Monday you wrote: could the greenhouse be delivered before the end of\n"
            "> May?\n\n"
            "--\nAnna Huber, Sales\n")
    assert unwrap(body).split("\n") == [
        "Hello Ben,", "",
        ("the greenhouse we discussed on Monday can be delivered in the second week of May, and the glass panels "
        "are 6 mm thick. Assembly takes two days and costs 900 EUR."), "",
        "- Base frame", "- Glass panels", "",
        "> On Monday you wrote: could the greenhouse be delivered before the end of May?", "",
        "--", "Anna Huber, Sales", ""]
    assert unwrap("short\nlines\nstay\nas they are\n") == "short\nlines\nstay\nas they are\n"
    assert unwrap("It runs \non here.\nNew line.", flowed=True) == "It runs on here.\nNew line."
