"""Sample PDFs and scans: one small real file per format, and the findings a scan must give.

Every ``make_*`` writes a file at ``path`` and returns the ``(entity, normalized value)``
findings expected from it. The scanned ones (``make_pdf_scanned``, ``make_png``,
``make_jpeg``, ``make_tiff``) are images of typed text drawn with Pillow in DejaVu Sans
(Debian's ``fonts-dejavu-core``), large and clean so that Tesseract reads the identifiers
exactly. The text PDF is written with ``fpdf2`` (a test dependency).
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

# DejaVu Sans, from Debian's fonts-dejavu-core.
FONT_PATHS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
)

NIR = "254037512345655"
PHONE = "+33612345678"
BIRTH = "1954-03-12"
EXPECTED = [("NIR", NIR), ("PHONE", PHONE), ("BIRTH_DATE", BIRTH)]

#: The patient line of a report; it holds every expected finding.
PATIENT_LINE = ("Patient : DUPONT Marie, née le 12/03/1954, NIR 2 54 03 75 123 456 55, "
                "tél 06 12 34 56 78")
#: The same text laid out on short lines for a scanned page (same findings).
SCAN_LINES = [
    "Centre hospitalier - Compte rendu de consultation",
    "Patient : DUPONT Marie, née le 12/03/1954",
    "NIR 2 54 03 75 123 456 55",
    "tél 06 12 34 56 78",
    "Motif : suivi annuel, examen clinique sans particularité.",
    "Conclusion : pas de traitement nouveau, revoir dans un an.",
]


def font_path() -> Path:
    for candidate in FONT_PATHS:
        if candidate.exists():
            return candidate
    raise FileNotFoundError("DejaVu Sans not found: apt-get install fonts-dejavu-core")


def page_image(lines: list[str] | None = None, *, width: int = 1700, font_size: int = 40,
               rotate: int = 0, skew: float = 0.0):
    """A white page (PIL image, greyscale) with ``lines`` typed in black. ``rotate``
    (multiple of 90, counter-clockwise) turns the whole page as a scanner fed it sideways;
    ``skew`` (degrees) tilts it slightly as a page put askew on the glass."""
    from PIL import Image, ImageDraw, ImageFont

    lines = SCAN_LINES if lines is None else lines
    font = ImageFont.truetype(str(font_path()), font_size)
    line_height = int(font_size * 1.8)
    margin = 100
    height = 2 * margin + line_height * len(lines) + 200
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((margin, margin + i * line_height), line, fill=0, font=font)
    if skew:
        image = image.rotate(skew, resample=Image.Resampling.BICUBIC, expand=True,
                             fillcolor=255)
    if rotate:
        image = image.rotate(rotate, expand=True)
    return image


def make_pdf_text(path: Path) -> list[tuple[str, str]]:
    """A two-page PDF with a text layer; the patient line is on page 2, line 3."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_font("DejaVu", fname=str(font_path()))
    pdf.set_font("DejaVu", size=11)
    pdf.add_page()
    pdf.multi_cell(0, 8, "Centre hospitalier\nCompte rendu de consultation\nPage de garde")
    pdf.add_page()
    pdf.multi_cell(0, 8, "Consultation du 02/02/2024\nService de cardiologie\n" + PATIENT_LINE
                   + "\nConclusion : revoir dans un an.")
    pdf.output(str(path))
    return list(EXPECTED)


def make_pdf_scanned(path: Path) -> list[tuple[str, str]]:
    """A one-page PDF with no text layer: the page is an image of typed text (as a
    scanner makes it), written by Pillow's PDF writer."""
    page_image().convert("RGB").save(path, "PDF", resolution=200.0)
    return list(EXPECTED)


def make_png(path: Path) -> list[tuple[str, str]]:
    page_image().save(path, "PNG")
    return list(EXPECTED)


def make_jpeg(path: Path) -> list[tuple[str, str]]:
    page_image().convert("RGB").save(path, "JPEG", quality=90)
    return list(EXPECTED)


def make_tiff(path: Path) -> list[tuple[str, str]]:
    """A two-page TIFF (group 4 fax compression, as scanners write): a cover page, then
    the patient page."""
    cover = page_image(["Télécopie - page de garde", "Destinataire : secrétariat",
                        "Nombre de pages : 2"]).convert("1")
    page = page_image().convert("1")
    cover.save(path, "TIFF", compression="group4", save_all=True, append_images=[page],
               dpi=(200, 200))
    return list(EXPECTED)


def png_bomb(width: int, height: int) -> bytes:
    """A valid greyscale PNG whose header claims ``width`` × ``height`` pixels, with a tiny
    IDAT (four rows of zeros, deflated): a few hundred bytes on disk. Opening it must fail
    with the decompression-bomb reason before any pixel is decoded."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (width + 1) * 4, 9)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows)
            + chunk(b"IEND", b""))
