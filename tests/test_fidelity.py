"""Text as a person reads it, for each kind of document fault seen in document-QA tools.

Loader-level tests check the extracted text; the end-to-end tests at the
bottom index all the documents together and check the answer a user sees.
"""

from __future__ import annotations

import itertools
import re
import textwrap

import pytest
from makedocs import DEJAVU, docx_file, pdf_columns, pdf_lines, pdf_table, pdf_with_font

from qa.answer.reading import default_reader
from qa.ingest.loading import LoadError, load_file
from qa.ingest.loading.text import decode, normalize

PRICES = [["Item", "Size", "Price", "Stock"],
          ["Garden hose", "25 m", "34.50 EUR", "120"],
          ["Watering can", "10 l", "12.90 EUR", "45"],
          ["Rain barrel", "200 l", "89.00 EUR", "8"]]
HYPHEN_LINES = ["The heat exchangers for the new plant are supplied by Varden Ther-",
                "mal Systems. Delivery of the first units is planned for a well-",
                "known date in May.", "",
                "A second paragraph starts here and it goes", "on for two lines."]
PAGES = [["Annual plans were approved by the board in March.",
          "The new logistics centre will be built in"],
         ["Tilbury, close to the container port of the company.", "Work starts next year."],
         ["The budget is 40 million pounds."]]
LONG_SENTENCE = ("The regional freight network was reorganised last year; " + "; ".join(
    f"the {w} depot is run by the firm {n}" for w, n in [
        ("North Quay", "Ashdown Haulage"), ("Canal Road", "Brightwater Logistics"),
        ("Station Yard", "Corran Transport"), ("Mill Green", "Dunmore Carriers"),
        ("Old Market", "Elmstead Shipping"), ("Bridge End", "Fairholt Movers"),
        ("West Gate", "Glenrock Distribution"), ("Abbey Lane", "Hollins Cargo"),
        ("Kings Wharf", "Ivybridge Couriers"), ("Salt Marsh", "Juniper Road Services"),
        ("Harbour Street", "Kesslerbrook Freight"), ("Church Hill", "Larchmont Deliveries"),
        ("Ferry Point", "Moorcroft Haulage"), ("Long Acre", "Northfield Carriers"),
        ("Tannery Row", "Oakhurst Logistics")])
    + ", and each firm reports to the port authority every month.")


def _html_lines(tmp_path, html: str) -> list[str]:
    """The lines the loader reads from ``html`` saved as a page."""
    (tmp_path / "page.html").write_text(html, encoding="utf-8")
    return load_file(tmp_path / "page.html").text.split("\n")


def _html_page() -> str:
    return """<html><head><title>Bog report</title><style>p {}</style></head><body>
<header><a href="/">Home</a> <a href="/about">About us</a></header>
<nav><ul><li>Products</li><li>Contact</li></ul></nav>
<div id="cookie-banner">We use cookies to improve your experience. <button>Accept all</button></div>
<main><article><h1>Bog restoration</h1>
<p>Measurements show that the CO<sub>2</sub> concentration above the restored bog fell by 12 percent.</p>
<p>The field trial used un<b>treated</b> peat from   the northern <a href="#">site</a>.<br>It ran two years.</p>
</article></main>
<footer><p>&copy; 2025 Peat Institute. All rights reserved.</p><a href="/privacy">Privacy</a></footer>
</body></html>"""


# --- 1. PDF line ends ---------------------------------------------------------------------------

def test_pdf_hyphenated_line_ends_join_and_lines_unwrap(tmp_path):
    text = load_file(pdf_lines(tmp_path / "plant.pdf", [HYPHEN_LINES])).text
    assert "supplied by Varden Thermal Systems. Delivery" in text
    assert "a well-known date in May." in text  # a real compound keeps its hyphen
    assert text.split("\n") == [
        ("The heat exchangers for the new plant are supplied by Varden Thermal Systems. Delivery of the "
         "first units is planned for a well-known date in May."),
        "A second paragraph starts here and it goes on for two lines."]


# --- 2. Unicode compatibility characters --------------------------------------------------------

LIGATURED = "Dana Whitﬁeld is the chief ﬁnancial oﬃcer of the company."


@pytest.mark.skipif(not DEJAVU.exists(), reason="DejaVu Sans (a font with ligature glyphs) is not installed")
def test_pdf_ligatures_are_plain_letters(tmp_path):
    text = load_file(pdf_with_font(tmp_path / "cfo.pdf", [LIGATURED])).text
    assert text == "Dana Whitfield is the chief financial officer of the company."


@pytest.mark.parametrize("name,data", [
    ("a.txt", LIGATURED.encode()),
    ("a.md", f"# Officers\n\n{LIGATURED}".encode()),
    ("a.html", f"<p>{LIGATURED}</p>".encode()),
])
def test_every_format_is_normalised(tmp_path, name, data):
    (tmp_path / name).write_bytes(data)
    text = load_file(tmp_path / name).text
    assert "chief financial officer" in text
    assert not re.search("[\ufb00-\ufb06]", text)


def test_docx_is_normalised(tmp_path):
    text = load_file(docx_file(tmp_path / "a.docx", [LIGATURED, [["Oﬃce", "Leeds"]]])).text
    assert "chief financial officer" in text and "Office | Leeds" in text


def test_normalize_maps_compatibility_forms():
    assert normalize("ﬁ ﬂ ﬀ ﬃ ﬄ\u00a0ＡＢＣ１ soft\u00adhyphen zero\u200bwidth\r\nend") == \
        "fi fl ff ffi ffl ABC1 softhyphen zerowidth\nend"


# --- 3. Page breaks, running headers and footers ------------------------------------------------

def test_running_headers_footers_go_and_sentences_cross_pages(tmp_path):
    f = pdf_lines(tmp_path / "report.pdf", PAGES, header="ACME Holdings plc - Annual Report 2025",
                  footer="Page {page} of {pages}")
    doc = load_file(f)
    assert "ACME Holdings" not in doc.text and "Page 2" not in doc.text
    assert "will be built in Tilbury, close to the container port" in doc.text
    assert [p for p, _, _ in doc.pages] == [1, 2, 3]
    at = doc.text.index("Tilbury")
    assert [p for p, s, e in doc.pages if s <= at < e] == [2]


def test_bare_page_numbers_go(tmp_path):
    pages = [[f"Section {i} says the value is {i * 7}.", "More text follows here."] for i in (1, 2, 3)]
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(tmp_path / "n.pdf"))
    for i, lines in enumerate(pages, start=1):
        for k, line in enumerate(lines):
            c.drawString(72, 760 - 14 * k, line)
        c.drawString(300, 40, str(i))
        c.showPage()
    c.save()
    text = load_file(tmp_path / "n.pdf").text
    assert not re.search(r"(^|\n)\d+(\n|$)", text) and "value is 14." in text


# --- 4. Tables ----------------------------------------------------------------------------------

@pytest.mark.parametrize("grid", [True, False], ids=["ruled", "unruled"])
def test_pdf_table_rows_read_as_rows(tmp_path, grid):
    f = pdf_table(tmp_path / "prices.pdf", "Our price list for the spring season.", PRICES, grid)
    lines = load_file(f).text.split("\n")
    assert lines == ["Our price list for the spring season.",
                     "Item: Garden hose | Size: 25 m | Price: 34.50 EUR | Stock: 120",
                     "Item: Watering can | Size: 10 l | Price: 12.90 EUR | Stock: 45",
                     "Item: Rain barrel | Size: 200 l | Price: 89.00 EUR | Stock: 8"]


def test_rows_of_wide_tables_name_their_columns_in_every_format(tmp_path):
    staff = [["Name", "Role", "Office"], ["Ann Lee", "Manager", "B-214"], ["Tom Berg", "Driver", ""]]
    expected = ["Staff of the depot.", "Name: Ann Lee | Role: Manager | Office: B-214",
                "Name: Tom Berg | Role: Driver"]  # an empty cell is left out
    docx = docx_file(tmp_path / "staff.docx", ["Staff of the depot.", staff])
    cells = "".join(f"<tr>{''.join(f'<td>{c}</td>' for c in row)}</tr>" for row in staff)
    (tmp_path / "staff.html").write_text(f"<p>Staff of the depot.</p><table>{cells}</table>")
    for f in (docx, tmp_path / "staff.html"):
        assert load_file(f).text.split("\n") == expected, f.name


def test_tables_without_a_header_row_and_narrow_tables_stay_plain_rows():
    from qa.ingest.loading.tables import label_table_rows

    names = ["Anna Huber | Vienna | Cycling", "Ben Keller | Linz | Chess"]  # first row is data like the rest
    no_header = ["Ann Lee | Manager | B-214", "Tom Berg | Driver | C-101"]
    pairs = ["Day | Hours", "Saturday | 09:00 to 13:00"]  # two columns: mostly name | value
    sentence = ["The table lists staff. | Role | Office", "Ann Lee | Manager | B-214"]
    for lines in (names, no_header, pairs, sentence, ["Item | Size | Price"]):
        assert label_table_rows(lines) == lines
    mixed = ["Intro.", "Item | Size | Price", "Hose | 25 m | 34.50 EUR", "Outro | with | more | cells"]
    assert label_table_rows(mixed) == ["Intro.", "Item: Hose | Size: 25 m | Price: 34.50 EUR",
                                       "Outro | with | more | cells"]


def test_year_headers_name_their_columns():
    from qa.ingest.loading.tables import label_table_rows

    assert label_table_rows(["Figure | 2023 | 2024", "Revenue | 14.2 million EUR | 17.8 million EUR"]) == [
        "Figure: Revenue | 2023: 14.2 million EUR | 2024: 17.8 million EUR"]
    assert label_table_rows(["Service | Fee 2024 | Fee 2025", "Repair | 40 EUR | 45 EUR"]) == [
        "Service: Repair | Fee 2024: 40 EUR | Fee 2025: 45 EUR"]
    founded = ["Name | Founded | City", "Acme | 1998 | Leeds"]  # years under a name are values
    assert label_table_rows(founded) == ["Name: Acme | Founded: 1998 | City: Leeds"]


def test_tables_one_after_another_stay_apart(tmp_path):
    from qa.ingest.loading.tables import label_table_rows

    tools = [["Tool", "Brand", "Price"], ["Saw", "Bosch", "12 EUR"]]
    suppliers = [["Supplier", "City", "Contact"], ["Holzwerk", "Wels", "Eva Maier"]]
    docx = docx_file(tmp_path / "two.docx", [tools, suppliers])
    assert load_file(docx).text.split("\n") == [
        "Tool: Saw | Brand: Bosch | Price: 12 EUR", "Supplier | City | Contact", "Holzwerk | Wels | Eva Maier"]
    html = "".join("<table>" + "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in t)
                   + "</table>" for t in (tools, suppliers))
    (tmp_path / "two.html").write_text(html)
    assert load_file(tmp_path / "two.html").text.split("\n") == load_file(docx).text.split("\n")
    lines = [" | ".join(r) for r in [["Tool", "Brand", "Price", "Stock"], ["Saw", "Bosch", "12 EUR", "4"]]
             + suppliers]  # rows of a PDF without rules: a header of another width starts a table
    assert label_table_rows(lines)[1:] == ["Supplier | City | Contact", "Holzwerk | Wels | Eva Maier"]


def test_html_table_markup_decides_the_header_and_spans(tmp_path):
    page = (
        "<table><tr><th>Name</th><th>Role</th><th>Ward</th></tr>"  # <th> row: a header, digits or not
        "<tr><td>Nora Fischer</td><td>Nurse</td><td>East</td></tr></table>"
        "<table><tr><th>Name</th><td>Dr. Vera Lind</td><td>Dr. Omar Said</td></tr>"  # names down the side
        "<tr><th>Specialty</th><td>Cardiology</td><td>Surgery</td></tr></table>"
        "<table><tr><th>Event</th><th>Guests</th><th>Cost</th></tr>"
        "<tr><td rowspan='2'>Office</td><td>10</td><td>80 EUR</td></tr><tr><td>30</td><td>210 EUR</td></tr>"
        "<tr><td>Gala</td><td colspan='2'>on request</td></tr></table>"
        "<table><tr><th>Branch</th><td>Monday</td><td>Saturday</td></tr>"  # row names and a header row
        "<tr><th>Main Street</th><td>6:00-18:00</td><td>7:00-13:00</td></tr></table>")
    (tmp_path / "t.html").write_text(page)
    assert load_file(tmp_path / "t.html").text.split("\n") == [
        "Name: Nora Fischer | Role: Nurse | Ward: East",
        "Name | Dr. Vera Lind | Dr. Omar Said", "Specialty | Cardiology | Surgery",
        "Event: Office | Guests: 10 | Cost: 80 EUR", "Event: Office | Guests: 30 | Cost: 210 EUR",
        "Event: Gala | Guests, Cost: on request",
        "Branch: Main Street | Monday: 6:00-18:00 | Saturday: 7:00-13:00"]


def test_docx_bold_header_and_merged_cells(tmp_path):
    import docx

    d = docx.Document()
    table = d.add_table(rows=3, cols=4)
    for c, name in enumerate(["Room", "Monday", "Tuesday", "Wednesday"]):
        table.cell(0, c).paragraphs[0].add_run(name).bold = True
    for r, row in enumerate([["Alpha", "Board meeting", "", "Training"], ["Beta", "Yoga", "Chess", "Choir"]], 1):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    table.cell(1, 1).merge(table.cell(1, 2))
    d.save(str(tmp_path / "rooms.docx"))
    assert load_file(tmp_path / "rooms.docx").text.split("\n") == [
        "Room: Alpha | Monday, Tuesday: Board meeting | Wednesday: Training",
        "Room: Beta | Monday: Yoga | Tuesday: Chess | Wednesday: Choir"]


def test_docx_keeps_document_order_and_nested_tables(tmp_path):
    f = docx_file(tmp_path / "hours.docx", [
        "The Harbour Street branch keeps the following hours.",
        [["Day", "Hours"], ["Saturday", "09:00 to 13:00"]],
        "The Mill Lane branch keeps these hours.",
        [["Day", "Hours"], ["Saturday", "11:00 to 14:00"]],
        "Depot contacts are listed below.",
        [["Depot", [["Code", "4417"], ["Manager", "Ann Lee"]]]],
    ])
    assert load_file(f).text.split("\n") == [
        "The Harbour Street branch keeps the following hours.", "Day | Hours", "Saturday | 09:00 to 13:00",
        "The Mill Lane branch keeps these hours.", "Day | Hours", "Saturday | 11:00 to 14:00",
        "Depot contacts are listed below.", "Depot", "Depot | Code | 4417", "Depot | Manager | Ann Lee"]


LEFT = ["Corvel Instruments makes pressure gauges", "for ships. It was founded in 1968 in Kiel",
        "by Anke Brandt, and its chief executive", "officer is Jonas Petersen. The company",
        "employs 310 people and has two facto-"]
RIGHT = ["ries, one in Kiel and one in Gdansk.", "Its largest customer is the shipyard",
         "Nordwerft, which has bought from it", "since 1992.", "The chief financial officer is Eva Lund."]
COLUMN_TEXT = ["Corvel Instruments: company profile",
               ("Corvel Instruments makes pressure gauges for ships. It was founded in 1968 in Kiel by Anke "
               "Brandt, and its chief executive officer is Jonas Petersen. The company employs 310 people "
               "and has two factories, one in Kiel and one in Gdansk. Its largest customer is the shipyard "
               "Nordwerft, which has bought from it since 1992."),
               "The chief financial officer is Eva Lund.",
               "Figures as of December 2024, from the annual report of the company."]


@pytest.mark.parametrize("drop", [0.0, 4.0], ids=["aligned", "offset-baselines"])
def test_pdf_in_two_columns_reads_column_by_column(tmp_path, drop):
    f = pdf_columns(tmp_path / "corvel.pdf", COLUMN_TEXT[0], [LEFT, RIGHT], COLUMN_TEXT[-1], drop=drop)
    assert load_file(f).text.split("\n") == COLUMN_TEXT


@pytest.mark.parametrize("title", ["Corvel Instruments: who we are and what we make",
                                   "A profile of Corvel Instruments, maker of pressure gauges",
                                   "Corvel Instruments in 2024: people, plants and customers"])
def test_pdf_title_across_two_columns_stays_whole(tmp_path, title):
    f = pdf_columns(tmp_path / "corvel.pdf", title, [LEFT, RIGHT], COLUMN_TEXT[-1])
    assert load_file(f).text.split("\n") == [title, *COLUMN_TEXT[1:]]


def test_pdf_table_without_rules_with_wordy_cells_stays_rows(tmp_path):
    rows = [["Risk", "Mitigation"], ["Flooding of the lower storage hall", "Raise the floor by half a metre"],
            ["Loss of the only crane operator", "Train two more staff on the crane"],
            ["Late delivery of the steel frames", "Order the frames from two suppliers"]]
    lines = load_file(pdf_table(tmp_path / "risks.pdf", "Risks of the project.", rows, grid=False)).text.split("\n")
    assert "Loss of the only crane operator | Train two more staff on the crane" in lines


def test_pdf_in_three_narrow_columns_reads_column_by_column(tmp_path):
    lines = textwrap.wrap(" ".join(LEFT + RIGHT).replace("facto- ries", "factories"), 30)
    third = -(-len(lines) // 3)
    f = pdf_columns(tmp_path / "three.pdf", "Profile", [lines[:third], lines[third:2 * third], lines[2 * third:]],
                    gap=12.0, size=8)
    text = load_file(f).text
    assert "two factories, one in Kiel" in text and "shipyard Nordwerft, which has bought from it since 1992" in text
    assert text.index("Jonas Petersen") < text.index("Gdansk") < text.index("Eva Lund")


def test_pdf_table_without_rules_is_not_taken_for_columns(tmp_path):
    rows = [["Drug", "Indication", "Launched"], ["Metaboral tablets", "Gaucher disease type one", "2015"],
            ["Lysozine infusion", "Fabry disease", "2019"], ["Enzavit", "Pompe disease", "2022"]]
    text = load_file(pdf_table(tmp_path / "drugs.pdf", "Our products.", rows, grid=False)).text
    assert "Drug: Metaboral tablets | Indication: Gaucher disease type one | Launched: 2015" in text.split("\n")


# --- 5. HTML ------------------------------------------------------------------------------------

def test_html_inline_markup_flows_and_boilerplate_goes(tmp_path):
    (tmp_path / "bog.html").write_text(_html_page(), encoding="utf-8")
    assert load_file(tmp_path / "bog.html").text.split("\n") == [
        "Bog restoration",
        "Measurements show that the CO2 concentration above the restored bog fell by 12 percent.",
        "The field trial used untreated peat from the northern site.", "It ran two years."]


def test_html_page_header_keeps_its_title_and_drops_its_links(tmp_path):
    (tmp_path / "report.html").write_text(
        '<body><header><a href="/">Home</a> <h1>Cobalt Analytics annual report</h1><nav>Menu</nav>'
        "</header><main><p>Cobalt was founded in 2014.</p></main></body>", encoding="utf-8")
    assert load_file(tmp_path / "report.html").text.split("\n") == [
        "Cobalt Analytics annual report", "Cobalt was founded in 2014."]


def test_html_tables_and_lists(tmp_path):
    (tmp_path / "t.html").write_text(
        "<table><tr><th>Item</th><th>Price</th></tr><tr><td><p>Rain <i>barrel</i></p></td>"
        "<td>89.00 EUR</td></tr></table><ul><li>One</li><li>Two</li></ul>", encoding="utf-8")
    assert load_file(tmp_path / "t.html").text.split("\n") == [
        "Item: Rain barrel | Price: 89.00 EUR", "One", "Two"]  # two columns under a <th> row: labelled


def test_two_columns_are_labelled_under_a_marked_header_only(tmp_path):
    import docx

    d = docx.Document()
    d.add_paragraph("Harbour masters:")
    table = d.add_table(rows=0, cols=2)
    for k, (a, b) in enumerate([("Harbour", "Harbour master"), ("Tarnwick", "Lena Vik"), ("Holm", "Per Aasen")]):
        cells = table.add_row().cells
        for cell, text in zip(cells, (a, b)):
            cell.paragraphs[0].add_run(text).bold = k == 0
    d.save(tmp_path / "harbours.docx")
    assert load_file(tmp_path / "harbours.docx").text.split("\n")[1:] == [
        "Harbour: Tarnwick | Harbour master: Lena Vik", "Harbour: Holm | Harbour master: Per Aasen"]
    # a name | value list (<th> down the first column, or no header at all) stays as it is
    assert _html_lines(tmp_path, "<table><tr><th>Office</th><td>Ghent</td></tr><tr><th>Opened</th>"
                                 "<td>2014</td></tr></table><table><tr><td>Phone</td><td>+32 9 555 0101</td>"
                                 "</tr><tr><td>Fax</td><td>none</td></tr></table>") == [
        "Office | Ghent", "Opened | 2014", "Phone | +32 9 555 0101", "Fax | none"]


def test_html_header_in_two_rows_names_each_column_once(tmp_path):
    assert _html_lines(tmp_path, (
        "<table><thead><tr><th rowspan=2>Room</th><th colspan=2>Price per night</th></tr>"
        "<tr><th>Low season</th><th>High season</th></tr></thead>"
        "<tr><td>Single</td><td>95 EUR</td><td>140 EUR</td></tr>"
        "<tr><td>Suite</td><td>240 EUR</td><td>380 EUR</td></tr></table>")) == [
        "Room: Single | Price per night, Low season: 95 EUR | Price per night, High season: 140 EUR",
        "Room: Suite | Price per night, Low season: 240 EUR | Price per night, High season: 380 EUR"]


def test_title_and_section_rows_across_a_table_stay_plain_lines(tmp_path):
    assert _html_lines(tmp_path, (
        "<table><tr><th colspan=2>Kestrel Robotics</th></tr><tr><th>Founded</th><td>2015</td></tr></table>"
        "<table><tr><th>Country</th><th>2023</th><th>2024</th></tr><tr><th colspan=3>Europe</th></tr>"
        "<tr><td>France</td><td>12</td><td>14</td></tr><tr><th colspan=3>Asia</th></tr>"
        "<tr><td>Japan</td><td>20</td><td>22</td></tr></table>")) == [
        "Kestrel Robotics", "Founded | 2015", "Europe", "Country: France | 2023: 12 | 2024: 14", "Asia",
        "Country: Japan | 2023: 20 | 2024: 22"]
    import docx

    d = docx.Document()
    table = d.add_table(rows=3, cols=2)
    table.cell(0, 0).merge(table.cell(0, 1)).paragraphs[0].add_run("Harbour masters").bold = True
    for i, (a, b) in enumerate([("Harbour", "Harbour master"), ("Tarnwick", "Lena Vik")], start=1):
        for j, text in enumerate((a, b)):
            table.cell(i, j).paragraphs[0].add_run(text).bold = i == 1
    d.save(tmp_path / "t.docx")
    assert load_file(tmp_path / "t.docx").text.split("\n") == [
        "Harbour masters", "Harbour: Tarnwick | Harbour master: Lena Vik"]


def test_a_cover_page_title_like_the_running_header_stays(tmp_path):
    from qa.ingest.loading.pdf import Line, drop_running_lines

    def page(texts):
        return [Line(t, 50 + 20 * i, 60 + 20 * i, 50, 500) for i, t in enumerate(texts)]

    body = [f"Line {n} of the body text, a sentence of prose." for n in range(7)]
    cover = page(["Kestrel Robotics", "Annual Report", *body])
    pages = [cover] + [page(["Kestrel Robotics Annual Report", *body]) for _ in range(4)]
    kept = drop_running_lines(pages)
    assert [ln.text for ln in kept[0][:2]] == ["Kestrel Robotics", "Annual Report"]
    assert all(ln.text != "Kestrel Robotics Annual Report" for p in kept[1:] for ln in p)


def test_html_definition_list_reads_term_and_definition_on_one_line(tmp_path):
    assert _html_lines(tmp_path, (
        "<p>The hotel.</p><dl><dt>Nearest airport</dt><dd>Milan Malpensa, 60 km</dd>"
        "<dt>Staff</dt><dd>about 40</dd><dd>plus 10 in summer</dd></dl><p>Parking is free.</p>")) == [
        "The hotel.", "Nearest airport: Milan Malpensa, 60 km", "Staff: about 40; plus 10 in summer",
        "Parking is free."]
    assert _html_lines(tmp_path, "<dl><dt>Phone:</dt><dd>+39 0322 911</dd></dl>") == ["Phone: +39 0322 911"]


# --- 6. Encodings -------------------------------------------------------------------------------

UNICODE_TEXT = "Die Größe des Depots: 4417 m². Привет — ελληνικά."


@pytest.mark.parametrize("encoding,bom", [
    ("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"), ("utf-32-le", b"\xff\xfe\x00\x00"),
    ("utf-32-be", b"\x00\x00\xfe\xff"), ("utf-8", b"\xef\xbb\xbf"), ("utf-16-le", b""),
    ("utf-16-be", b""),
])
@pytest.mark.parametrize("ext", [".txt", ".md", ".html"])
def test_unicode_files_with_and_without_bom(tmp_path, encoding, bom, ext):
    f = tmp_path / f"windows{ext}"
    f.write_bytes(bom + f"<p>{UNICODE_TEXT}</p>".encode(encoding))
    assert UNICODE_TEXT.replace("m²", "m2") in load_file(f).text  # NFKC turns ² into 2


@pytest.mark.parametrize("text,codepage", [
    ("Le café est situé à Montréal.", "cp1252"),
    ("Größe: 12 Straße, Übergabe im März.", "cp1252"),
    ("Spotkanie jest w środę o godzinie dziesiątej.", "cp1250"),
    ("Žluťoučký kůň úpěl ďábelské ódy.", "cp1250"),
    ("Встреча в среду.", "cp1251"),
    ("Склад на улице Гавани открыт до шести.", "cp1251"),
    ("Η συνάντηση είναι την Τετάρτη.", "cp1253"),
    ("Zoë’s café", "cp1252"),
])
def test_legacy_code_pages_decode_to_the_right_letters(text, codepage):
    assert decode(text.encode(codepage)) == text


def test_encrypted_and_truncated_pdfs_are_named_skips(tmp_path):
    from reportlab.lib import pdfencrypt
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(tmp_path / "locked.pdf"), encrypt=pdfencrypt.StandardEncryption("secret"))
    c.drawString(72, 720, "Secret text here.")
    c.showPage()
    c.save()
    with pytest.raises(LoadError, match="encrypted PDF"):
        load_file(tmp_path / "locked.pdf")
    whole = pdf_lines(tmp_path / "whole.pdf", PAGES)
    (tmp_path / "cut.pdf").write_bytes(whole.read_bytes()[:900])
    with pytest.raises(LoadError, match="corrupt or unreadable PDF"):
        load_file(tmp_path / "cut.pdf")


def test_utf8_with_a_few_stray_bytes_stays_utf8():
    data = b"Pisa leans 3.97 degrees. " + b"\xff\xfe bad \xc3 bytes. " + "Café closes at 22:00.".encode()
    assert decode(data) == "Pisa leans 3.97 degrees. \ufffd\ufffd bad \ufffd bytes. Café closes at 22:00."


def test_binary_is_still_refused(tmp_path):
    (tmp_path / "x.txt").write_bytes(b"\x00\x01\x02\x03" * 200 + bytes(range(256)))
    with pytest.raises(LoadError, match="binary"):
        load_file(tmp_path / "x.txt")


# --- 7. Over-long sentences and lower-case text -------------------------------------------------

def test_long_sentence_is_cut_at_word_boundaries_with_overlap(tokenizer):
    from qa.ingest.loading import Document
    from qa.ingest.splitting import Splitter

    doc = Document("x.txt", LONG_SENTENCE, "h", [(None, 0, len(LONG_SENTENCE))])
    assert len(tokenizer(LONG_SENTENCE, add_special_tokens=False)["input_ids"]) > 200
    passages = Splitter(tokenizer).split(doc)
    assert len(passages) >= 2
    words = {w.strip(";,.") for w in LONG_SENTENCE.split()}
    for a, b in itertools.pairwise(passages):
        assert b.start < a.end  # overlap
    for p in passages:
        assert LONG_SENTENCE[p.start:p.end] == p.text
        assert p.text.split()[0].strip(";,.") in words and p.text.split()[-1].strip(";,.") in words
    assert any("Harbour Street depot is run by the firm Kesslerbrook Freight" in p.text for p in passages)


def test_lower_case_text_has_sentences():
    from qa.ingest.splitting import sentence_spans

    text = "ok so the meeting moved to friday. we meet at the depot. bring the keys e.g. the red ones."
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "ok so the meeting moved to friday.", "we meet at the depot.", "bring the keys e.g. the red ones."]


# --- 8. Keyword search on small collections -----------------------------------------------------

def test_bm25_on_two_and_four_documents(tmp_path, embedder):
    from qa.answer.retrieval import Retriever
    from qa.pipeline import build_index
    from qa.store.index import PassageIndex

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("The lighthouse keeper is Mara Quill.")
    (docs / "b.txt").write_text("The harbour master is Tom Reyes.")
    build_index(tmp_path / "two", [docs], embedder=embedder)
    hits = Retriever(PassageIndex.load(tmp_path / "two"), embedder, "bm25").retrieve("Who is the lighthouse keeper?", 1)
    assert [h.passage.source.endswith("a.txt") for h in hits] == [True]
    (docs / "c.txt").write_text("The lighthouse opened in 1901.")
    (docs / "d.txt").write_text("The harbour keeper's cottage is blue.")
    build_index(tmp_path / "four", [docs], embedder=embedder)
    hits = Retriever(PassageIndex.load(tmp_path / "four"), embedder, "bm25").retrieve(
        "Who is the harbour master?", 1)
    assert hits[0].passage.source.endswith("b.txt")


# --- End to end: the answers a user sees ----------------------------------------------------------

# The rows are extracted right (tests above); the small fast reader still picks the wrong cell, the
# base reader (trained with table questions, the default where its parts are installed) reads them.
TABLE_READING = pytest.mark.xfail(default_reader() == "fast", reason="the fast reader misreads table cells",
                                  strict=True)

@pytest.fixture(scope="module")
def faithful_qa(tmp_path_factory, embedder, reader):
    from qa.pipeline import QA, build_index

    base = tmp_path_factory.mktemp("faithful")
    docs = base / "docs"
    docs.mkdir()
    pdf_lines(docs / "plant.pdf", [HYPHEN_LINES])
    if DEJAVU.exists():
        pdf_with_font(docs / "cfo.pdf", [LIGATURED])
    else:
        (docs / "cfo.txt").write_text(LIGATURED)
    (docs / "cto.txt").write_text("Omar Haddad is the chief technology officer of Brightline Labs.")
    pdf_lines(docs / "report.pdf", PAGES, header="ACME Holdings plc - Annual Report 2025",
              footer="Page {page} of {pages}")
    pdf_table(docs / "prices.pdf", "Our price list for the spring season.", PRICES)
    docx_file(docs / "hours.docx", [
        "The Harbour Street branch keeps the following hours.",
        [["Day", "Hours"], ["Saturday", "09:00 to 13:00"]],
        "The Mill Lane branch keeps these hours.",
        [["Day", "Hours"], ["Saturday", "11:00 to 14:00"]],
        "Each depot has an access code.",
        [["Depot", [["Depot name", "Harbour Street"], ["Access code", "4417"]]]]])
    (docs / "bog.html").write_text(_html_page(), encoding="utf-8")
    (docs / "freight.txt").write_text(LONG_SENTENCE)
    (docs / "ferry.txt").write_bytes("\ufeffThe night ferry to Rosslare leaves at 21:40 from pier 3.".encode("utf-16-le"))
    build_index(base / "index", [docs], embedder=embedder)
    return QA(base / "index", reader, embedder)


@pytest.mark.parametrize("question,answer,page", [
    ("Who supplies the heat exchangers?", "Varden Thermal Systems", 1),
    ("Who is the chief financial officer?", "Dana Whitfield", None),
    ("Where will the new logistics centre be built?", "Tilbury", 2),
    pytest.param("How much does the watering can cost?", "12.90 EUR", 1, marks=TABLE_READING),
    ("What are the Saturday hours of the Harbour Street branch?", "09:00 to 13:00", None),
    pytest.param("What are the Saturday hours of the Mill Lane branch?", "11:00 to 14:00", None,
                 marks=TABLE_READING),
    ("What is the access code of the depot?", "4417", None),
    ("Which gas concentration fell above the restored bog?", "CO2", None),
    ("What did the field trial use?", "untreated peat", None),
    ("Who runs the Harbour Street depot?", "Kesslerbrook Freight", None),
    ("At what time does the night ferry to Rosslare leave?", "21:40", None),
])
def test_answers_read_as_a_person_reads_them(faithful_qa, question, answer, page):
    best = faithful_qa.ask(question, top_k=5).answers[0]
    assert best.text.removesuffix(".") == answer
    if page:
        assert best.page == page


def test_html_wrapper_named_like_a_menu_keeps_its_content(tmp_path):
    (tmp_path / "w.html").write_text(
        '<body class="has-sidebar menu-open"><div class="page-wrapper nav-open">'
        "<p>The depot opens at 07:30 on weekdays.</p><p>It closes at 18:00.</p></div>"
        '<div class="sidebar">Related: other depots</div></body>', encoding="utf-8")
    assert load_file(tmp_path / "w.html").text.split("\n") == [
        "The depot opens at 07:30 on weekdays.", "It closes at 18:00."]


def test_docx_header_text_is_read_once(tmp_path):
    from docx import Document as Docx

    doc = Docx()
    doc.sections[0].header.paragraphs[0].text = "Confidential memo prepared by Helga Vandermeer"
    doc.add_paragraph("The lab moves to building C in May.")
    doc.add_page_break()
    doc.add_paragraph("Keys are handed out on the first day.")
    doc.save(tmp_path / "memo.docx")
    lines = load_file(tmp_path / "memo.docx").text.split("\n")
    assert lines[0] == "Confidential memo prepared by Helga Vandermeer"
    assert lines.count(lines[0]) == 1 and "The lab moves to building C in May." in lines


def test_html_br_inside_a_sentence_is_a_wrap_not_a_line(tmp_path):
    (tmp_path / "m.html").write_text(
        "<html><body><p>The museum director is Eleanor<br>Whitcombe, who joined in 2015.</p>"
        "<p>Opening hours:<br>Monday to Friday<br></p></body></html>", encoding="utf-8")
    lines = load_file(tmp_path / "m.html").text.split("\n")
    assert "The museum director is Eleanor Whitcombe, who joined in 2015." in lines
    assert "Opening hours:" in lines  # after a colon it still ends the line


@pytest.mark.parametrize("repeat", [1, 0], ids=["header-repeated", "header-once"])
def test_pdf_table_running_over_pages_keeps_its_column_names(tmp_path, repeat):
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import SimpleDocTemplate, Table, TableStyle

    rows = [["Part", "Colour", "Price"]] + [[f"Bolt X{i}", ["red", "green", "blue"][i % 3], f"{10 + i}.50 EUR"]
                                             for i in range(70)]
    table = Table(rows, repeatRows=repeat)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black)]))
    SimpleDocTemplate(str(tmp_path / "parts.pdf"), pagesize=A4).build([table])
    doc = load_file(tmp_path / "parts.pdf")
    assert len(doc.pages) >= 2
    lines = doc.text.split("\n")
    assert lines == [f"Part: Bolt X{i} | Colour: {['red', 'green', 'blue'][i % 3]} | Price: {10 + i}.50 EUR"
                     for i in range(70)]


def test_markdown_pipe_tables_read_like_other_tables(tmp_path):
    (tmp_path / "food.md").write_text("# Shop\n\nOur prices:\n\n| Food | Pack | Price |\n|---|:---:|---:|\n"
                                      "| Oats | 1 kg | 2.40 EUR |\n| Rice | 500 g | 1.90 EUR |\n\n"
                                      "| Day | Hours |\n| --- | --- |\n| Monday | 9 to 5 |\n\nA | line | of prose.\n")
    assert load_file(tmp_path / "food.md").text.split("\n") == [
        "Shop", "Our prices:", "Food: Oats | Pack: 1 kg | Price: 2.40 EUR",
        "Food: Rice | Pack: 500 g | Price: 1.90 EUR", "Day: Monday | Hours: 9 to 5", "A | line | of prose."]


def test_html_hidden_or_banner_headers_give_no_title(tmp_path):
    body = "<main><p>" + "Cobalt was founded in 2014 and builds dashboards. " * 3 + "</p></main>"
    for header in ('<header style="display:none"><h1>Old site title</h1></header>',
                   '<header class="cookie-banner"><h1>We value your privacy</h1></header>',
                   '<header><div class="modal"><h1>Subscribe to our newsletter</h1></div></header>'):
        (tmp_path / "p.html").write_text(f"<body>{header}{body}</body>", encoding="utf-8")
        assert load_file(tmp_path / "p.html").text.startswith("Cobalt was founded"), header


def test_answers_from_two_column_and_two_row_header_tables(tmp_path, embedder, reader):
    import docx

    from qa.pipeline import QA, build_index

    docs = tmp_path / "docs"
    docs.mkdir()
    d = docx.Document()
    d.add_paragraph("Harbour masters of the islands:")
    table = d.add_table(rows=0, cols=2)
    rows = [("Harbour", "Harbour master"), ("Tarnwick", "Lena Vik"), ("Holm", "Per Aasen"), ("Skerry", "Jon Berge")]
    for k, row in enumerate(rows):
        for cell, text in zip(table.add_row().cells, row):
            cell.paragraphs[0].add_run(text).bold = k == 0
    d.save(docs / "harbours.docx")
    (docs / "rooms.html").write_text(
        "<p>Room prices of the Brightwater Hotel.</p><table><thead><tr><th rowspan=2>Room</th>"
        "<th colspan=2>Price per night</th></tr><tr><th>Low season</th><th>High season</th></tr></thead>"
        "<tr><td>Single</td><td>95 EUR</td><td>140 EUR</td></tr>"
        "<tr><td>Suite</td><td>240 EUR</td><td>380 EUR</td></tr></table>", encoding="utf-8")
    build_index(tmp_path / "index", [docs], embedder=embedder)
    qa = QA(tmp_path / "index", reader, embedder)
    assert qa.ask("Who is the harbour master in Tarnwick?").answers[0].text == "Lena Vik"
    assert qa.ask("Who is the harbour master of Holm?").answers[0].text == "Per Aasen"
    assert qa.ask("What does a single room cost in high season?").answers[0].text == "140 EUR"


def test_a_footer_split_by_a_page_in_columns_is_still_a_footer(tmp_path):
    from reportlab.pdfgen import canvas

    path = tmp_path / "survey.pdf"
    c = canvas.Canvas(str(path))
    prose = [["The Kvalsund survey counted seabirds on the northern islands in 2023.",
              "Most nests were found on Store Fugloy, where the cliffs are steepest."],
             ["The kittiwake count was 2,870 pairs, made from photographs.",
              "Gulls were not counted this year because the boat broke down."]]
    for number in (1, 2, 3):
        c.setFont("Helvetica", 9)
        c.drawString(72, 40, "Confidential draft")
        c.drawRightString(523, 40, f"Page {number} of 3")
        c.setFont("Helvetica", 10)
        if number < 3:
            for i, line in enumerate(prose[number - 1]):
                c.drawString(72, 760 - 13 * i, line)
        else:
            for k, lines in enumerate([LEFT, RIGHT]):
                for i, line in enumerate(lines):
                    c.drawString(72 + k * 235, 760 - 13 * i, line)
        c.showPage()
    c.save()
    text = load_file(path).text
    assert "Confidential" not in text and "Page" not in text
    assert COLUMN_TEXT[1] in text  # the paragraph runs on from the left column's foot to the right column


def _with_footnote(path, text):
    """Add a footnotes part holding one footnote ``text`` to the DOCX at ``path``."""
    import zipfile

    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    notes = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:footnotes {w}>'
             '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
             f'<w:footnote w:id="1"><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:footnote></w:footnotes>')
    parts = {i.filename: zipfile.ZipFile(path).read(i.filename) for i in zipfile.ZipFile(path).infolist()}
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(b"</Types>", (
        b'<Override PartName="/word/footnotes.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"/></Types>'))
    parts["word/_rels/document.xml.rels"] = parts["word/_rels/document.xml.rels"].replace(b"</Relationships>", (
        b'<Relationship Id="rIdFn1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        b'footnotes" Target="footnotes.xml"/></Relationships>'))
    parts["word/footnotes.xml"] = notes.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


def test_docx_reads_as_word_shows_it_changes_accepted(tmp_path):
    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    d = docx.Document()
    d.add_paragraph("To ship a parcel:")
    for step in ["Weigh the parcel.", "Print the label.", "Seal the box with red tape."]:
        d.add_paragraph(step, style="List Number")
    d.add_paragraph("a FRAGILE sticker", style="List Bullet")
    p = d.add_paragraph("The courier pickup is at ")
    p._p.append(parse_xml(f'<w:del {nsdecls("w")} w:id="2" w:author="A"><w:r><w:delText>3:00 pm</w:delText></w:r></w:del>'))
    p._p.append(parse_xml(f'<w:ins {nsdecls("w")} w:id="1" w:author="A"><w:r><w:t>4:30 pm</w:t></w:r></w:ins>'))
    p.add_run(" every weekday.")
    p = d.add_paragraph("The warehouse manager is ")
    p._p.append(parse_xml(f'<w:fldSimple {nsdecls("w")} w:instr="DOCPROPERTY Manager"><w:r><w:t>Tomasz Wilk'
                          '</w:t></w:r></w:fldSimple>'))
    p.add_run(", the safety officer ")
    p._p.append(parse_xml(f'<w:sdt {nsdecls("w")}><w:sdtPr/><w:sdtContent><w:r><w:t>Lena Okafor</w:t></w:r>'
                          '</w:sdtContent></w:sdt>'))
    p.add_run(".")
    body = d.element.body
    body.insert(len(body) - 1, parse_xml(
        f'<w:sdt {nsdecls("w")}><w:sdtPr/><w:sdtContent><w:p><w:r><w:t>The dock closes at 22:00.</w:t></w:r>'
        '</w:p></w:sdtContent></w:sdt>'))
    box = "<w:txbxContent><w:p><w:r><w:t>Emergency: call extension 5150.</w:t></w:r></w:p></w:txbxContent>"
    body.insert(len(body) - 1, parse_xml(
        f'<w:p {nsdecls("w")} xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
        'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
        'xmlns:v="urn:schemas-microsoft-com:vml"><w:r><mc:AlternateContent><mc:Choice Requires="wps">'
        f'<wps:txbx>{box}</wps:txbx></mc:Choice><mc:Fallback><v:textbox>{box}</v:textbox></mc:Fallback>'
        '</mc:AlternateContent></w:r></w:p>'))
    d.add_paragraph("Its first director later moved to Lisbon.")
    d.save(tmp_path / "handbook.docx")
    _with_footnote(tmp_path / "handbook.docx", "The first director was Ana Quental.")
    assert load_file(tmp_path / "handbook.docx").text.split("\n") == [
        "To ship a parcel:", "1. Weigh the parcel.", "2. Print the label.", "3. Seal the box with red tape.",
        "a FRAGILE sticker", "The courier pickup is at 4:30 pm every weekday.",
        "The warehouse manager is Tomasz Wilk, the safety officer Lena Okafor.", "The dock closes at 22:00.",
        "Emergency: call extension 5150.", "Its first director later moved to Lisbon.",
        "The first director was Ana Quental."]


def test_numbered_lists_keep_their_numbers_in_html_and_markdown(tmp_path):
    assert _html_lines(tmp_path, (
        "<p>To descale:</p><ol><li>Empty the tank.</li><li>Add <b>descaler</b>.</li><li>Run a cycle.</li></ol>"
        "<ol start=4><li>Rinse.</li></ol><ul><li>Wear gloves.</li></ul><ol type=a><li>Either</li><li>Or</li></ol>")) == [
        "To descale:", "1. Empty the tank.", "2. Add descaler.", "3. Run a cycle.", "4. Rinse.", "Wear gloves.",
        "a. Either", "b. Or"]
    assert _html_lines(tmp_path, "<ol><li><table><tr><td>Rinse</td><td>2 min</td></tr></table></li></ol>") == [
        "1. Rinse | 2 min"]
    (tmp_path / "steps.md").write_text("To descale:\n\n1. Empty the tank.\n2. Add descaler.\n   - gloves on\n"
                                       "3. Run a cycle.\n")
    assert load_file(tmp_path / "steps.md").text.split("\n") == [
        "To descale:", "1. Empty the tank.", "2. Add descaler.", "gloves on", "3. Run a cycle."]


def test_pdf_form_values_are_read_after_their_labels(tmp_path):
    from reportlab.pdfgen import canvas

    path = tmp_path / "form.pdf"
    c = canvas.Canvas(str(path))
    c.setFont("Helvetica", 12)
    c.drawString(72, 760, "Vehicle registration form")
    for y, label, name, value in [(720, "Owner name:", "owner", "Marek Dvorak"), (690, "Licence plate:", "plate", "BRN-4471"),
                                  (660, "Second owner:", "second", "")]:
        c.drawString(72, y, label)
        c.acroForm.textfield(name=name, value=value, x=170, y=y - 5, width=200, height=20, borderWidth=0)
    c.drawString(72, 630, "Town:")
    c.acroForm.textfield(name="town", value="Brno", x=120, y=625, width=120, height=20, borderWidth=0)
    c.drawString(300, 630, "Date:")
    c.acroForm.textfield(name="date", value="2024-03-01", x=350, y=625, width=120, height=20, borderWidth=0)
    c.save()
    assert load_file(path).text.split("\n") == [
        "Vehicle registration form", "Owner name: Marek Dvorak", "Licence plate: BRN-4471", "Second owner:",
        "Town: Brno | Date: 2024-03-01"]


@pytest.mark.parametrize("how", ["page-rotated", "text-rotated"])
def test_pdf_text_running_up_or_down_the_page_reads_as_lines(tmp_path, how):
    from reportlab.pdfgen import canvas

    path = tmp_path / "turned.pdf"
    c = canvas.Canvas(str(path))
    lines = ["The harbour crane lifts loads of up to 64 tonnes.",
             "It was commissioned by port director Jana Kowalczyk in 2019."]
    if how == "page-rotated":
        c.setPageRotation(90)
    else:
        c.translate(300, 100)
        c.rotate(90)
    c.setFont("Helvetica", 12)
    for i, line in enumerate(lines):
        c.drawString(56 if how == "page-rotated" else 0, (560 if how == "page-rotated" else 0) - 23 * i, line)
    c.showPage()
    c.save()
    assert load_file(path).text.split("\n") == lines


def test_a_sideways_table_keeps_its_rows_and_the_page_its_upright_header(tmp_path):
    from reportlab.pdfgen import canvas

    path = tmp_path / "appendix.pdf"
    c = canvas.Canvas(str(path))
    c.setFont("Helvetica", 10)
    c.drawString(72, 810, "ACME Corp annual report 2023 - Appendix B")
    c.saveState()
    c.translate(500, 80)
    c.rotate(90)
    for i in range(12):
        c.drawString(0, -18 * i, f"Supplier {i}      Invoice INV-{1000 + i}      Amount EUR {i * 1234}")
    c.restoreState()
    c.save()
    lines = load_file(path).text.split("\n")
    assert lines[0] == "ACME Corp annual report 2023 - Appendix B"
    assert lines[1:4] == ["Supplier 0 | Invoice INV-1000 | Amount EUR 0", "Supplier 1 | Invoice INV-1001 | Amount EUR 1234",
                          "Supplier 2 | Invoice INV-1002 | Amount EUR 2468"]


def test_html_comments_and_related_stories_are_not_the_article(tmp_path):
    assert _html_lines(tmp_path, (
        "<html><body><div id='mw-navigation'>Main page Random article</div><article><h1>Bridge reopens</h1>"
        "<p>The repairs cost 46 million euros.</p></article>"
        "<section id='comments' class='comments'><p>harborfan77: the repairs actually cost 52 million euros</p></section>"
        "<div id='disqus_thread'><p>It reopened for buses on Monday.</p></div>"
        "<ol class='commentlist'><li>Great news!</li></ol>"
        "<div class='jp-relatedposts'><p>Pool repairs will cost 2.1 million euros.</p></div>"
        "<section class='related-stories'><p>Clara Benz directs the museum.</p></section>"
        "</body></html>")) == ["Bridge reopens", "The repairs cost 46 million euros."]


def test_markdown_notes_keep_key_value_lines_and_pipe_rows_apart(tmp_path):
    (tmp_path / "notes.md").write_text(
        "# Server\nHostname: atlas-01\nOwner: Platform team\nOS: Debian 12\n\n"
        "| Name | Role | Phone\n| Jan Novak | Network admin | 555-0142\n| Eva Lind | DBA | 555-0177\n\n"
        "The memo says\nNote: a wrapped sentence that\nruns on.\n")
    assert load_file(tmp_path / "notes.md").text.split("\n") == [
        "Server", "Hostname: atlas-01", "Owner: Platform team", "OS: Debian 12", "| Name | Role | Phone",
        "| Jan Novak | Network admin | 555-0142", "| Eva Lind | DBA | 555-0177",
        "The memo says Note: a wrapped sentence that runs on."]
