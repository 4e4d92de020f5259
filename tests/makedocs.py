"""Small real documents for the loader tests: PDFs by reportlab, DOCX by python-docx, HTML by hand.

Each maker writes one file of a kind that other document-QA tools get wrong
(hyphenated PDF line ends, ligature fonts, running headers, tables, inline
HTML markup) and returns its path.
"""

from __future__ import annotations

from pathlib import Path

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def pdf_lines(path: Path, pages: list[list[str]], header: str | None = None,
              footer: str | None = None, font: str = "Helvetica", size: int = 11) -> Path:
    """A PDF whose pages hold the given lines, 14 pt apart, with optional running header/footer.

    ``footer`` may hold ``{page}`` and ``{pages}``. An empty string in a page's
    lines leaves a blank line (a paragraph break).
    """
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path))
    for number, lines in enumerate(pages, start=1):
        if header:
            c.setFont("Helvetica", 9)
            c.drawString(72, 800, header)
        if footer:
            c.setFont("Helvetica", 9)
            c.drawString(72, 40, footer.format(page=number, pages=len(pages)))
        c.setFont(font, size)
        y = 760
        for line in lines:
            if line:
                c.drawString(72, y, line)
            y -= 14 if line else 10
        c.showPage()
    c.save()
    return path


def pdf_with_font(path: Path, lines: list[str]) -> Path:
    """A one-page PDF in DejaVu Sans (a TrueType font with ligature glyphs such as U+FB01)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(TTFont("DejaVu", str(DEJAVU)))
    return pdf_lines(path, [lines], font="DejaVu")


def pdf_columns(path: Path, title: str, columns: list[list[str]], after: str = "",
                drop: float = 0.0, gap: float = 18.0, size: int = 10) -> Path:
    """A one-page PDF set in columns: a title across them, the columns' lines (each column's
    baselines ``drop`` points lower than the one to its left), then a line across them again
    under the longest column. The columns share the width between 72 and 523 pt, ``gap`` apart;
    ``size``: the font size of their text."""
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path))
    c.setFont("Helvetica-Bold", 14)
    c.drawString(72, 780, title)
    c.setFont("Helvetica", size)
    width = (451 - gap * (len(columns) - 1)) / len(columns)
    for k, lines in enumerate(columns):
        for i, line in enumerate(lines):
            c.drawString(72 + k * (width + gap), 750 - k * drop - 1.3 * size * i, line)
    if after:
        c.drawString(72, 750 - 13 * max(map(len, columns)) - 20, after)
    c.save()
    return path


def pdf_table(path: Path, intro: str, rows: list[list[str]], grid: bool = True) -> Path:
    """A PDF with a paragraph and a table under it, ruled (``grid``) or not."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    table = Table(rows)
    if grid:
        table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black)]))
    doc = SimpleDocTemplate(str(path), pagesize=A4)
    doc.build([Paragraph(intro, getSampleStyleSheet()["Normal"]), Spacer(1, 12), table])
    return path


def docx_file(path: Path, blocks: list) -> Path:
    """A DOCX from blocks: a string is a paragraph, a list of rows a table.

    A cell may itself be a list of rows: a table nested in that cell.
    """
    import docx

    d = docx.Document()

    def fill(table, rows):
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                cell = table.cell(r, c)
                if isinstance(value, list):
                    inner = cell.add_table(rows=len(value), cols=len(value[0]))
                    fill(inner, value)
                else:
                    cell.text = value

    for block in blocks:
        if isinstance(block, str):
            d.add_paragraph(block)
        else:
            fill(d.add_table(rows=len(block), cols=len(block[0])), block)
    d.save(str(path))
    return path


def scan_image(lines: list[str], dpi: int = 200, size: float = 12, height_in: float = 4.0):
    """A page image (PIL, grey) of ``lines`` printed in DejaVu Serif at ``size`` points, as a
    scanner at ``dpi`` would give it: 8.5 inches wide, ``height_in`` tall, an inch of margin."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(DEJAVU.with_name("DejaVuSerif.ttf")), round(size * dpi / 72))
    image = Image.new("L", (round(8.5 * dpi), round(height_in * dpi)), 255)
    draw = ImageDraw.Draw(image)
    for k, line in enumerate(lines):
        draw.text((dpi, dpi + k * 1.5 * size * dpi / 72), line, font=font, fill=0)
    return image


def png_scan(path: Path, lines: list[str], dpi: int = 200) -> Path:
    """A PNG of :func:`scan_image` that records its resolution."""
    scan_image(lines, dpi).save(path, dpi=(dpi, dpi))
    return path


def pdf_with_scan(path: Path, text_lines: list[str], scan_lines: list[str]) -> Path:
    """A two-page PDF: page 1 with a text layer, page 2 only an image of printed lines (a scan)."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path))
    c.setFont("Helvetica", 11)
    for k, line in enumerate(text_lines):
        c.drawString(72, 760 - 14 * k, line)
    c.showPage()
    image = scan_image(scan_lines, dpi=150, height_in=11.0)
    c.drawImage(ImageReader(image), 0, 842 - 11.0 * 72, width=8.5 * 72, height=11.0 * 72)
    c.showPage()
    c.save()
    return path
