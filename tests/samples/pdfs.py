"""PDFs whose data is not in the page's text: attached files (``fpdf2``: the document's
embedded files and a file attachment annotation), a filled AcroForm (written by hand below:
``fpdf2`` writes no form fields), and a scanned page carrying a one-line text stamp (an image
and a text line placed with ``fpdf2``), as scanners and archiving software make them."""

from __future__ import annotations

import io
from pathlib import Path

from samples.scans import page_image

NIR = "254037512345655"
NIR_SPACED = "2 54 03 75 123 456 55"
PHONE = "+33612345678"
EMAIL = "jeanne.dupont@example.fr"
CSV = f"nom;prenom;nir\nDUPONT;Jeanne;{NIR}\n".encode()

#: A letter long enough to fill most of a page once scanned.
LETTER_LINES = [
    "Centre hospitalier - Service de cardiologie",
    "",
    "Compte rendu de consultation du 02/02/2024",
    "",
    "Patiente : DUPONT Jeanne, née le 12/03/1954",
    f"NIR {NIR_SPACED}",
    "tél 06 12 34 56 78",
    "",
    "Motif : suivi annuel.",
    "Examen clinique sans particularité.",
    "Conclusion : pas de traitement nouveau.",
    "Revoir dans un an.",
    "",
    "Dr Martin",
]
STAMP = "Document numérisé le 03/02/2024 par le service des archives"


def make_pdf_with_attachments(path: Path) -> None:
    """A one-page report with a CSV attached to the document (the ``EmbeddedFiles`` tree) and
    a second file pinned to the page as a file attachment annotation."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(0, 10, "Rapport mensuel, voir les pieces jointes.")
    pdf.embed_file(bytes=CSV, basename="liste.csv", desc="liste des patients")
    note = path.with_name("note.txt")
    note.write_text(f"Rappeler Mme DUPONT au 06 12 34 56 78, {EMAIL}\n", encoding="utf-8")
    pdf.file_attachment_annotation(note, x=20, y=40, w=10, h=10)
    pdf.output(str(path))
    note.unlink()


def make_portfolio(path: Path, files: dict[str, bytes]) -> None:
    """A PDF whose files live in its ``EmbeddedFiles`` tree only (what a portfolio holds)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(0, 10, "Portfolio")
    for name, data in files.items():
        pdf.embed_file(bytes=data, basename=name)
    pdf.output(str(path))


def _pdf_string(text: str) -> bytes:
    """A PDF text string: UTF-16BE with its BOM, as hex (any character, no escaping)."""
    return b"<" + ("\ufeff" + text).encode("utf-16-be").hex().upper().encode() + b">"


def _assemble(objects: list[bytes]) -> bytes:
    """A PDF file from its numbered objects (1-based, object 1 the catalog), with a correct
    cross-reference table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += (b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(objects) + 1, xref))
    return bytes(out)


def make_filled_form(path: Path) -> None:
    """A CERFA-like form: the page's text is only the form's title; the patient is in the
    fields' values: a text field with an XFA-style full name, a NIR field, a phone in UTF-16,
    an e-mail in a parent field whose widget is its kid, a checked box, an empty field and a
    push button."""
    def widget(extra: bytes, y: int) -> bytes:
        return (b"<< /Type /Annot /Subtype /Widget /Rect [100 %d 400 %d] /P 3 0 R "
                % (y, y + 20) + extra + b" >>")

    content = b"BT /F1 14 Tf 72 780 Td (CERFA 12345*01 - Demande) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R 5 0 R 6 0 R 7 0 R "
        b"9 0 R 10 0 R 11 0 R] /NeedAppearances true >> >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [4 0 R 5 0 R 6 0 R "
        b"8 0 R 9 0 R 10 0 R 11 0 R] /Contents 12 0 R /Resources << /Font << /F1 13 0 R >> >> >>",
        widget(b"/FT /Tx /T (topmostSubform[0].Page1[0].NomNaissance[0]) /V (DUPONT)", 700),
        widget(b"/FT /Tx /T (NIR) /V (" + NIR_SPACED.encode() + b")", 660),
        widget(b"/FT /Tx /T (Telephone) /V " + _pdf_string("06 12 34 56 78"), 620),
        b"<< /FT /Tx /T (Contact) /Kids [8 0 R] /V " + _pdf_string(EMAIL) + b" >>",
        b"<< /Type /Annot /Subtype /Widget /Rect [100 580 400 600] /P 3 0 R /Parent 7 0 R >>",
        widget(b"/FT /Btn /T (CMU) /V /Oui /AS /Oui /AP << /N << /Oui 14 0 R /Off 14 0 R >> >>",
               540),
        widget(b"/FT /Tx /T (Vide) /V ()", 500),
        widget(b"/FT /Btn /Ff 65536 /T (Envoyer) /V (Envoyer)", 460),
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /XObject /Subtype /Form /BBox [0 0 20 20] /Length 0 >>\nstream\n\nendstream",
    ]
    path.write_bytes(_assemble(objects))


def make_scan_with_stamp(path: Path, *, stamp: str = STAMP, lines: list[str] | None = None,
                         page_height: float | None = None) -> None:
    """A scanned letter (an image filling the page, or its top when ``page_height`` (mm) is
    larger) with a one-line text stamp under it: the page has a text layer, but not the
    letter's."""
    from fpdf import FPDF

    image = page_image(lines or LETTER_LINES, width=1700, font_size=40)
    width_mm = 210.0
    height_mm = width_mm * image.height / image.width
    pdf = FPDF(unit="mm", format=(width_mm, page_height or height_mm + 20))
    pdf.set_auto_page_break(False)
    pdf.add_page()
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    pdf.image(buffer, x=0, y=0, w=width_mm, h=height_mm)
    pdf.set_font("Helvetica", size=8)
    pdf.set_xy(10, height_mm + 8)
    pdf.cell(0, 5, stamp.encode("latin-1", "replace").decode("latin-1"))
    pdf.output(str(path))


def make_text_page_with_logo(path: Path) -> None:
    """A typed page with a small logo image and a few lines: its text layer is all there is."""
    from fpdf import FPDF
    from PIL import Image

    pdf = FPDF()
    pdf.add_page()
    logo = Image.new("L", (200, 100), 128)
    buffer = io.BytesIO()
    logo.save(buffer, "PNG")
    pdf.image(buffer, x=10, y=10, w=40, h=20)
    pdf.set_font("Helvetica", size=11)
    pdf.set_xy(10, 40)
    pdf.multi_cell(0, 6, "Centre hospitalier\nNote de service\nReunion le 12/02/2024.")
    pdf.output(str(path))


def make_ocr_layered_scan(path: Path) -> None:
    """A scan that already has a full text layer (what OCRmyPDF or a scanner's OCR writes):
    the image fills the page and the text layer holds the whole letter."""
    from fpdf import FPDF

    image = page_image(LETTER_LINES, width=1700, font_size=40)
    height_mm = 210.0 * image.height / image.width
    pdf = FPDF(unit="mm", format=(210.0, height_mm))
    pdf.set_auto_page_break(False)
    pdf.add_page()
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    pdf.image(buffer, x=0, y=0, w=210.0, h=height_mm)
    pdf.set_font("Helvetica", size=14)
    pdf.set_xy(12, 12)
    text = "\n".join(line.encode("latin-1", "replace").decode("latin-1")
                     for line in LETTER_LINES)
    pdf.multi_cell(0, 9, text)
    pdf.output(str(path))


def make_annotated(path: Path) -> None:
    """A typed page with notes a viewer added: a sticky note holding a phone, a text box
    typed over the page (as "Fill & Sign" does) holding a NIR, and a link (not a note)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(0, 10, "Demande d'entente prealable", link="https://example.org/")
    pdf.text_annotation(20, 40, "Rappeler la patiente\nau 06 12 34 56 78")
    pdf.set_font("Helvetica", size=10)
    pdf.free_text_annotation(f"NIR {NIR_SPACED}", x=20, y=80, w=80, h=10)
    pdf.output(str(path))
