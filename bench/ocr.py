"""OCR accuracy and speed: generated scans read through the product's loader (``load_file``).

The scans are made here with Pillow, so that the reference text is known exactly: the seed
article (``seeds/``, about 2,200 characters) set in DejaVu Serif 11 pt on a Letter page with an
inch of margin, at 150, 200 and 300 dpi; at 200 dpi also turned by 1.5 degrees, and with noise
(Gaussian grain, sigma 25 grey levels, a slight blur and 0.2 % specks), and both; and a page
holding a ruled table (a price list of 7 rows and 4 columns). Each page is read twice: as a PNG
(which records its dpi) and as a PDF page that holds only the image (a scanned PDF, drawn again at
200 dpi for OCR).

Character error rate (CER): the Levenshtein distance (Levenshtein, 1966) between the text read and
the reference, over the reference's length: (substitutions + deletions + insertions) / reference
characters, as OCR evaluations define it (Neudecker et al., "A survey of OCR evaluation tools and
metrics", HIP 2021). Both texts have runs of white space made one space and curly quotes and
dashes made plain first. For the table page the reference is its cells row by row; the text read
has its `` | `` cell borders and the header labels the loader puts before cells ("Price: ")
taken out, and the rows read as rows with every cell in place are counted too.

Speed: pages per second of ``load_file`` after the model has loaded (one warm-up page), on the
machine's cores as ONNX Runtime uses them (``qa.ingest.loading.ocr.THREADS``), and the CPU seconds a page
takes (all threads; less disturbed than wall time where other work shares the machine). Run from the
repository root:

    python bench/ocr.py [--det-side 1280]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "maduro-us-talks-drug-trafficking.txt"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
TABLE = [["Item", "Size", "Price", "Stock"], ["Rain barrel", "200 l", "89.00 EUR", "8"],
         ["Watering can", "10 l", "12.90 EUR", "35"], ["Garden hose", "25 m", "34.50 EUR", "120"],
         ["Screwdriver set", "12 pieces", "19.99 EUR", "15"], ["Wheelbarrow", "90 l", "64.00 EUR", "4"],
         ["Pruning shears", "20 cm", "22.40 EUR", "57"], ["Compost bin", "300 l", "45.00 EUR", "11"]]


def _font(size_pt: float, dpi: int):
    return ImageFont.truetype(FONT, round(size_pt * dpi / 72))


def text_page(paragraphs: list[str], dpi: int, size_pt: float = 11) -> Image.Image:
    """A Letter page of ``paragraphs`` wrapped to 6.5 inches, a blank line between paragraphs."""
    page = Image.new("L", (round(8.5 * dpi), round(11 * dpi)), 255)
    draw, font = ImageDraw.Draw(page), _font(size_pt, dpi)
    step, y = 1.45 * size_pt * dpi / 72, dpi
    for para in paragraphs:
        line = ""
        for word in para.split():
            if line and draw.textlength(f"{line} {word}", font=font) > 6.5 * dpi:
                draw.text((dpi, y), line, font=font, fill=0)
                y, line = y + step, word
            else:
                line = f"{line} {word}".strip()
        draw.text((dpi, y), line, font=font, fill=0)
        y += 2 * step
    return page


def table_page(dpi: int, size_pt: float = 11) -> Image.Image:
    """A Letter page holding :data:`TABLE` in ruled cells."""
    page = Image.new("L", (round(8.5 * dpi), round(11 * dpi)), 255)
    draw, font = ImageDraw.Draw(page), _font(size_pt, dpi)
    widths = [2.2, 1.3, 1.5, 1.0]
    row_h, x0, y0 = 0.4 * dpi, dpi, dpi
    xs = [x0]
    for w in widths:
        xs.append(xs[-1] + w * dpi)
    for r, row in enumerate(TABLE):
        top = y0 + r * row_h
        for c, cell in enumerate(row):
            draw.text((xs[c] + 0.1 * dpi, top + 0.1 * dpi), cell, font=font, fill=0)
    for r in range(len(TABLE) + 1):
        draw.line([(xs[0], y0 + r * row_h), (xs[-1], y0 + r * row_h)], fill=0, width=max(1, dpi // 100))
    for x in xs:
        draw.line([(x, y0), (x, y0 + len(TABLE) * row_h)], fill=0, width=max(1, dpi // 100))
    return page


def skewed(page: Image.Image, degrees: float) -> Image.Image:
    return page.rotate(degrees, resample=Image.BICUBIC, fillcolor=255)


def noisy(page: Image.Image, seed: int = 7) -> Image.Image:
    """Grain (Gaussian, sigma 25), a slight blur and 0.2 % black or white specks."""
    rng = random.Random(seed)
    page = page.filter(ImageFilter.GaussianBlur(0.6))
    grain = Image.effect_noise(page.size, 25)
    page = Image.blend(page, grain, 0.25)
    px = page.load()
    for _ in range(page.width * page.height // 500):
        px[rng.randrange(page.width), rng.randrange(page.height)] = rng.choice((0, 255))
    return page


def plain(text: str) -> str:
    """Text as compared: curly quotes and dashes made plain, white space runs one space."""
    for a, b in (("’", "'"), ("‘", "'"), ("“", '"'), ("”", '"'), ("—", "-"), ("–", "-")):
        text = text.replace(a, b)
    return " ".join(text.split())


def levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def cer(read: str, reference: str) -> float:
    read, reference = plain(read), plain(reference)
    return levenshtein(read, reference) / max(1, len(reference))


def table_text(read: str) -> tuple[str, int]:
    """The cells of a read table as text (labels and borders out), and its rows read whole."""
    labels = "|".join(re.escape(h) for h in TABLE[0])
    rows_ok = sum(any(line.strip() == " | ".join(f"{h}: {c}" for h, c in zip(TABLE[0], row, strict=True))
                      or line.strip() == " | ".join(row) for line in read.splitlines()) for row in TABLE[1:])
    bare = re.sub(rf"\b(?:{labels}): ", "", read).replace(" | ", " ")
    return bare, rows_ok


def machine() -> str:
    with open("/proc/cpuinfo") as f:
        cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), platform.processor())
    load = os.getloadavg()[0]
    return (f"{cpu}, {os.cpu_count()} cores, no GPU, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}; load average {load:.1f} at start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--det-side", type=int, default=None, help="qa.ingest.loading.ocr.DET_SIDE to use")
    args = parser.parse_args()
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    from qa.ingest.loading import load_file, ocr

    if args.det_side:
        ocr.DET_SIDE = args.det_side
    print(machine(), file=sys.stderr)
    paragraphs = [p.strip() for p in SEED.read_text().split("\n\n") if p.strip()]
    reference = "\n".join(paragraphs)
    table_ref = " ".join(" ".join(row) for row in TABLE[1:])
    cases = [(f"text {dpi} dpi", text_page(paragraphs, dpi), dpi, reference) for dpi in (150, 200, 300)]
    base = text_page(paragraphs, 200)
    cases += [("text 200 dpi, skew 1.5 deg", skewed(base, 1.5), 200, reference),
              ("text 200 dpi, noise", noisy(base), 200, reference),
              ("text 200 dpi, skew -1 deg + noise", noisy(skewed(base, -1.0)), 200, reference),
              ("table 200 dpi", table_page(200), 200, None)]
    rows, total_time, total_cpu, total_pages = [], 0.0, 0.0, 0
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["QA_CACHE_DIR"] = tmp
        warm = Path(tmp) / "warm.png"
        table_page(100).save(warm, dpi=(100, 100))
        load_file(warm)  # the models load once per process
        for name, image, dpi, ref in cases:
            png, pdf = Path(tmp) / "page.png", Path(tmp) / "page.pdf"
            image.save(png, dpi=(dpi, dpi))
            c = canvas.Canvas(str(pdf), pagesize=(612, 792))
            c.drawImage(ImageReader(image), 0, 0, width=612, height=792)
            c.showPage()
            c.save()
            for kind, path in (("png", png), ("pdf", pdf)):
                start, cpu = time.perf_counter(), time.process_time()
                text = load_file(path).text
                seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
                total_time, total_cpu, total_pages = total_time + seconds, total_cpu + cpu, total_pages + 1
                if ref is None:
                    bare, rows_ok = table_text(text)
                    row = {"case": name, "file": kind, "cer": round(cer(bare, table_ref), 4),
                           "table_rows_whole": f"{rows_ok}/{len(TABLE) - 1}", "seconds": round(seconds, 2), "cpu_s": round(cpu, 2)}
                else:
                    row = {"case": name, "file": kind, "cer": round(cer(text, ref), 4), "seconds": round(seconds, 2),
                           "cpu_s": round(cpu, 2)}
                rows.append(row)
                print(json.dumps(row), flush=True)
    print(json.dumps({"pages": total_pages, "pages_per_s": round(total_pages / total_time, 3),
                      "cpu_s_per_page": round(total_cpu / total_pages, 2),
                      "det_side": ocr.DET_SIDE, "threads": ocr.THREADS, "machine": machine()}))


if __name__ == "__main__":
    main()
