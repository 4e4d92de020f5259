import random

import pytest

from qa.ingest.loading import LoadError, load_documents, load_file


def test_txt_and_markdown(tmp_path):
    (tmp_path / "a.txt").write_text("Plain text here.\n", encoding="utf-8")
    (tmp_path / "b.md").write_text("# Title\n\nSome *markdown*.", encoding="utf-8")
    assert load_file(tmp_path / "a.txt").text == "Plain text here."
    assert load_file(tmp_path / "b.md").text == "Title\nSome markdown."


def test_markdown_marks_never_reach_the_text(tmp_path):
    (tmp_path / "co.md").write_text(
        "## Bluefin Coffee\n\nBluefin is headquartered in **Porto**, Portugal, and run by\n"
        "[Marta Sousa](https://example.com/marta) since 2019. Its best seller is the _Aria_ 7\n"
        "(see `menu_v2.pdf`; 5 * 3 * 2 = 30).\n\n- shops: __7__ in Lisbon\n* ~~closed~~ in Faro\n", encoding="utf-8")
    assert load_file(tmp_path / "co.md").text.split("\n") == [
        "Bluefin Coffee",
        ("Bluefin is headquartered in Porto, Portugal, and run by Marta Sousa since 2019. Its best seller "
         "is the Aria 7 (see menu_v2.pdf; 5 * 3 * 2 = 30)."),
        "shops: 7 in Lisbon",
        "closed in Faro"]


@pytest.mark.parametrize("source,text", [
    ("Put scripts in a <script> tag.\n\nThe warranty is 5 years.", "Put scripts in a <script> tag.\nThe warranty is 5 years."),
    ("<aside>\nAn unclosed aside.\n\nMore text.", "<aside> An unclosed aside.\nMore text."),
    ("**CEO:** Dana Reyes  \n**CFO:** Tom Li\\\n**CTO:** Al Brun", "CEO: Dana Reyes\nCFO: Tom Li\nCTO: Al Brun"),
    ("| x | y |\n| 1 | 2 |", "| x | y |\n| 1 | 2 |"),  # pipes without a rule line: not a table, two lines
    ("---\ntitle: My Doc\nauthor: Ann\n---\n# Heading\n\nBody text.", "Heading\nBody text."),
    ("> " * 25 + "A deep quote.", "A deep quote."),
    ("```\ndef f():\n    return 1\n```", "def f():\n    return 1"),  # code keeps its indentation
])
def test_markdown_keeps_every_word_and_its_lines(tmp_path, source, text):
    (tmp_path / "n.md").write_text(source, encoding="utf-8")
    assert load_file(tmp_path / "n.md").text == text


def test_html_declarations_are_not_text(tmp_path):
    (tmp_path / "p.html").write_text("<?xml version='1.0'?>\n<!DOCTYPE html>\n<html><body><!-- note -->"
                                     "<p>Hello world.</p></body></html>", encoding="utf-8")
    assert load_file(tmp_path / "p.html").text == "Hello world."


@pytest.mark.parametrize("text", [
    "Page one.\fPage two has a bell\x07 and an \x1b[1mANSI\x1b[0m escape; the depot opened in 1998.\n" * 3,
    "N\bNA\bAM\bME\bE\n     depot - the depot opened in 1998\n" * 5,  # a man page's overstrike
    "Slide 1\x0bRevenue up 12%\x0bthe depot opened in 1998\x0b\n" * 5,  # vertical tabs from slides
    "id\x1fname\x1eone\x1fthe depot opened in 1998\x1e" * 5,  # unit and record separators
])
def test_text_with_control_characters_text_files_hold_is_still_text(tmp_path, text):
    f = tmp_path / "log.txt"
    f.write_bytes(text.encode())
    assert "the depot opened in 1998" in load_file(f).text


def test_latin1_text_is_decoded(tmp_path):
    f = tmp_path / "latin.txt"
    f.write_bytes("Le café de la Société générale était fermé à Noël.".encode("latin-1"))
    g = tmp_path / "short.txt"
    g.write_bytes("Le café est situé à Montréal.".encode("latin-1"))
    assert load_file(g).text == "Le café est situé à Montréal."
    assert "café" in load_file(f).text and "Société" in load_file(f).text

# Short texts of a line or two, several per code page: charset-normalizer alone takes short
# cp1251 text for Mac Cyrillic ("√енеральный") and cp1250 Polish for cp1252 ("£ódŸ").
SHORT_LEGACY_TEXTS = [
    ('cp1250', 'Łódź: Spółka Żywiec zatrudnia 250 osób. Prezes Łukasz Wójcik.'),
    ('cp1250', 'Spotkanie zarządu odbędzie się w środę w Gdańsku, sala źródło.'),
    ('cp1250', 'Dodavatel: Škoda Transportation, Plzeň. Ředitel Jiří Čermák podepsal smlouvu.'),
    ('cp1250', 'Příští schůze výboru bude ve čtvrtek v Brně.'),
    ('cp1250', 'Az igazgató Kovács Ödön, a győri gyár vezetője, hétfőn érkezik.'),
    ('cp1250', 'Székhely: Budapest, Fő utca 12. Ügyvezető: Szűcs Gergő.'),
    ('cp1251', 'Завод «Северсталь». Генеральный директор Иван Петров.'),
    ('cp1251', 'Генеральный директор подписал договор в Москве 12 марта.'),
    ('cp1251', 'Заводът в Пловдив е построен през 1998 г. Управител: Георги Иванов.'),
    ('cp1251', 'Щастливи сме да обявим, че складът ще бъде отворен в събота.'),
    ('cp1251', 'Завод у Києві відкрито у 2001 році. Директор: Олег Ґонта, її заступник Євген.'),
    ('cp1251', 'Їхня компанія має офіс у Львові.'),
    ('cp1252', 'Le siège social est à Besançon. Directeur général : François Lefèvre.'),
    ('cp1252', 'Œuvre créée à Noël, façade rénovée en été.'),
    ('cp1252', 'Die Geschäftsführerin Jürgen Müller übernimmt die Größe der Straße.'),
    ('cp1252', 'El señor Muñoz llegó a Logroño el miércoles. ¿Dónde está la estación?'),
    ('cp1252', 'Año de fundación: 1987. Compañía española de energía.'),
    ('koi8-r', 'Завод "Северсталь". Генеральный директор Иван Петров.'),
    ('koi8-r', 'Склад на улице Гавани открыт до шести часов вечера.'),
    ('cp1252', 'It’s “quoted” — and costs €12 or £10.'),
    ('cp1252', 'Smörgåsbord på Östermalm, nära Göteborg.'),
    ('cp1252', 'Ærøskøbing færge afgår kl. 7.'),
    ('cp1252', 'Citroën et Nestlé à Genève.'),
    ('cp1252', 'Förderung für Übersetzungen: 5 000 €.'),
    ('cp1252', 'São Paulo, ação e informação.'),
    ('cp1250', 'Zażółć gęślą jaźń.'),
    ('cp1250', 'Ústí nad Labem, Ostrava, Přerov.'),
    ('cp1250', 'Árvíztűrő tükörfúrógép.'),
    ('cp1250', 'Ljubljana, Čakovec, Šibenik, Đakovo, Ćuprija.'),
    ('cp1250', 'Bratislava: Ľudovít Štúr, Dunajská Streda.'),
    ('cp1251', 'Ёлка, щука, эхо, юла, фильм.'),
    ('cp1251', 'Съешь же ещё этих мягких французских булок, да выпей чаю.'),
    ('cp1251', 'Србија, Београд, Ђорђе, Љубица, Њиш.'),
    ('cp1251', 'Выручка: 45,9 млн руб.'),
    ('cp1253', 'Αθήνα, Θεσσαλονίκη, Πάτρα.'),
    ('cp1254', 'İstanbul’da şirket ğ ı ş çalışıyor.'),
    ('koi8-r', 'Выручка компании выросла на 12%.'),
    ('cp1257', 'Vilniaus universitetas, Kaunas, Šiauliai, Klaipėda.'),
    ('cp1255', 'שלום עולם, תל אביב'),
    ('cp1256', 'مرحبا بالعالم، القاهرة'),
    # a second set: single accented letters that two languages share (Končar), Hebrew final forms,
    # a Turkish capital İ, Mac code pages
    ('cp1250', 'Wrocław, ul. Świdnicka 8. Kierownik: Małgorzata Zięba.'),
    ('cp1250', 'Faktura została wystawiona 3 czerwca.'),
    ('cp1250', 'Čistá mzda činí 32 000 Kč měsíčně.'),
    ('cp1250', 'Kérjük, a számlát nyolc napon belül fizesse ki.'),
    ('cp1250', 'Hrvatska tvrtka Končar d.d. iz Zagreba.'),
    ('cp1251', 'Счёт оплачен 5 июня. Бухгалтер: Жанна Фёдорова.'),
    ('cp1251', "Об'єднання громадян зареєстровано в Житомирі."),
    ('cp1251', 'Търговското дружество е със седалище в София.'),
    ('cp1251', 'Отчёт за третий квартал: прибыль выросла на 8%.'),
    ('cp1252', "Rapport annuel : le chiffre d'affaires a progressé de 4 % à Besançon."),
    ('cp1252', 'Die Übernahme der Müller GmbH wurde im Frühjahr abgeschlossen.'),
    ('cp1252', 'La reunión se celebró en Córdoba; asistió el 80 % de los socios.'),
    ('koi8-r', 'Договор подписан в Новосибирске.'),
    ('koi8-r', 'Поставка ожидается через две недели.'),
    ('cp1252', 'The café on Main Street serves a naïve crème brûlée.'),
    ('cp1252', 'Our résumé template costs £12 — or €14.'),
    ('cp1252', 'Straße und Gebäude wurden 1999 renoviert.'),
    ('cp1252', 'Il progetto è stato completato più tardi del previsto.'),
    ('cp1252', 'A reunião foi adiada para março.'),
    ('cp1250', 'Ďakujeme za vašu objednávku.'),
    ('cp1250', 'Gospodarka rośnie szybciej niż oczekiwano.'),
    ('cp1250', 'Öt év után új igazgatót választottak.'),
    ('cp1251', 'Цена: 1 200 руб. за штуку.'),
    ('cp1251', 'Львівська філія працює щодня.'),
    ('cp1253', 'Η εταιρεία ιδρύθηκε το 1985 στην Αθήνα.'),
    ('cp1254', "Şirketin merkezi İzmir'de bulunuyor."),
]


@pytest.mark.parametrize("codepage,text", SHORT_LEGACY_TEXTS)
def test_short_legacy_texts_decode_to_their_language(codepage, text):
    from qa.ingest.loading.text import decode

    assert decode(text.encode(codepage)) == text


def test_html_through_parser_drops_scripts(tmp_path):
    f = tmp_path / "page.html"
    f.write_text("<html><head><style>p{}</style><script>var x=1;</script></head>"
                 "<body><h1>Report</h1><p>The bridge is 42 m long &amp; old.</p></body></html>")
    text = load_file(f).text
    assert "The bridge is 42 m long & old." in text
    assert "var x" not in text and "p{}" not in text


def test_pdf_keeps_pages(tmp_path):
    from reportlab.pdfgen import canvas

    f = tmp_path / "two.pdf"
    c = canvas.Canvas(str(f))
    c.drawString(72, 720, "The first page talks about apples.")
    c.showPage()
    c.drawString(72, 720, "The second page says the river is 300 km long.")
    c.showPage()
    c.save()
    doc = load_file(f)
    assert [p for p, _, _ in doc.pages] == [1, 2]
    _page, s, e = doc.pages[1]
    assert "300 km" in doc.text[s:e]


def test_docx(tmp_path):
    import docx

    f = tmp_path / "memo.docx"
    d = docx.Document()
    d.add_paragraph("The meeting is on Tuesday in room 12.")
    d.save(str(f))
    assert "room 12" in load_file(f).text


@pytest.mark.parametrize("name,data,reason", [
    ("broken.pdf", b"%PDF-1.4\n garbage garbage", "PDF"),
    ("fake.pdf", b"not a pdf at all", "PDF"),
    ("broken.docx", b"PK\x03\x04 nonsense", "DOCX"),
    ("noise.txt", bytes(range(256)) * 10, "binary"),
    ("noise_without_nul.txt", random.Random(7).randbytes(4096).replace(b"\x00", b"\x01"), "binary file .control bytes"),
    ("noise_without_nul.md", random.Random(8).randbytes(600).replace(b"\x00", b"A"), "binary file .control bytes"),
    ("empty.txt", b"   \n", "^empty file$"),
    ("empty.pdf", b"", "^empty file$"),
    ("empty.docx", b"", "^empty file$"),
    ("blank.html", b"<html><body> </body></html>", "no text"),
    ("image.png", b"\x89PNG....", "corrupt or unreadable image"),
    ("image.bmp", b"BM....", "unsupported"),
])
def test_bad_files_raise_with_reason(tmp_path, name, data, reason):
    f = tmp_path / name
    f.write_bytes(data)
    with pytest.raises(LoadError, match=reason):
        load_file(f)


def test_folder_loads_good_and_reports_bad(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "good.txt").write_text("Good text.")
    (tmp_path / "bad.pdf").write_bytes(b"%PDF-1.4 broken")
    (tmp_path / ".hidden.txt").write_text("Hidden.")
    docs, skipped = load_documents([tmp_path])
    assert [d.text for d in docs] == ["Good text."]
    assert len(skipped) == 1 and skipped[0].source.endswith("bad.pdf") and skipped[0].reason


def test_missing_path(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_documents([tmp_path / "nope"])


def test_a_pdf_without_text_even_by_ocr_says_so(tmp_path):
    from reportlab.pdfgen import canvas

    pytest.importorskip("rapidocr", reason="the ocr extra is not installed")
    c = canvas.Canvas(str(tmp_path / "scan.pdf"))
    c.rect(72, 500, 300, 200, fill=1)  # a page that is all picture, as a scan is, with no text on it
    c.save()
    with pytest.raises(LoadError, match=r"no text found by OCR on its scanned pages"):
        load_file(tmp_path / "scan.pdf")
