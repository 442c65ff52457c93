"""Marker files: one small real file per format (and per way of hiding content inside a
format), each holding a valid NIR, an e-mail or a phone, with the findings a scan must give.

The formats read since the first round reuse the test samples (``tests/samples``: every
``make_<format>(path)`` returns its expected ``(entity, value)`` pairs); the formats and
embeddings of issue 12 are made here with the libraries that can write them. Formats nobody
can write in Python (ppt, xlsb, OneNote, PST) are built record by record by the tests' own
writers (``tests/samples``); Access has no writer at all: its only sample is a public test
database (``tests/data/access``) holding no marker, scanned for its status.
"""

from __future__ import annotations

import io
import struct
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from samples import EXTENSIONS as SAMPLE_EXTENSIONS  # noqa: E402  (the tests' samples)
from samples import sample_makers  # noqa: E402
from samples.scans import EXPECTED, PATIENT_LINE, SCAN_LINES, page_image  # noqa: E402

NIR = "254037512345655"
EMAIL = "marie.dupont@orange.fr"
PHONE = "+33612345678"
TEXT = f"{PATIENT_LINE}, courriel Marie.Dupont@orange.fr"
TEXT_EXPECTED = [*EXPECTED, ("EMAIL", EMAIL)]

Expected = list[tuple[str, str]]
Maker = Callable[[Path], Expected]


@dataclass(frozen=True)
class Marker:
    name: str  # file name in the marker folder
    kind: str  # the format or the hiding place it stands for
    expected: Expected


# -- formats of issue 12 --------------------------------------------------------------------

def _image(fmt: str, mode: str = "L", **save: object) -> Maker:
    def make(path: Path) -> Expected:
        image = page_image(SCAN_LINES)
        if mode != "L":
            image = image.convert(mode)
        if fmt == "HEIF":
            import pillow_heif

            pillow_heif.register_heif_opener()
        image.save(path, fmt, **save)
        return EXPECTED

    return make


def make_pptx(path: Path) -> Expected:
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[5])
    slide.shapes.title.text = "Staff du service"
    box = slide.shapes.add_textbox(Inches(0.5), Inches(1.5), Inches(9), Inches(2))
    box.text_frame.text = TEXT
    deck.save(path)
    return TEXT_EXPECTED


def make_emf(path: Path) -> Expected:
    """An EMF with one EMR_EXTTEXTOUTW record ([MS-EMF] 2.3.5.8) holding the patient line."""
    text = TEXT.encode("utf-16-le")
    text += b"\0" * (-len(text) % 4)
    n_chars = len(TEXT)
    emrtext = struct.pack("<iiIIIiiiiI", 0, 0, n_chars, 76, 0, 0, 0, 0, 0, 0)
    body = struct.pack("<iiii", 0, 0, 1000, 100) + struct.pack("<Iff", 1, 1.0, 1.0) + emrtext
    text_record = struct.pack("<II", 84, 8 + len(body) + len(text)) + body + text
    eof = struct.pack("<IIIII", 14, 20, 0, 16, 20)
    header_size = 88
    total = header_size + len(text_record) + len(eof)
    header = struct.pack("<II", 1, header_size) + struct.pack("<iiii", 0, 0, 1000, 100)
    header += struct.pack("<iiii", 0, 0, 26000, 2600)
    header += struct.pack("<IIIIHHIIIiiii", 0x464D4520, 0x10000, total, 3, 1, 0, 0, 0, 0,
                          1920, 1080, 508, 286)
    path.write_bytes(header + text_record + eof)
    return TEXT_EXPECTED


def make_wmf(path: Path) -> Expected:
    """A WMF with one META_TEXTOUT record ([MS-WMF] 2.3.3.20), text in cp1252."""
    text = TEXT.encode("cp1252")
    padded = text + b"\0" * (len(text) % 2)
    record = struct.pack("<H", len(text)) + padded + struct.pack("<hh", 100, 100)
    textout = struct.pack("<IH", (6 + len(record)) // 2, 0x0521) + record
    eof = struct.pack("<IH", 3, 0x0000)
    size_words = (18 + len(textout) + len(eof)) // 2
    header = struct.pack("<HHHIHIH", 1, 9, 0x0300, size_words, 0, len(textout) // 2, 0)
    path.write_bytes(header + textout + eof)
    return TEXT_EXPECTED


def _mail(body: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Secrétariat <secretariat@ch-exemple.fr>"
    msg["To"] = "Dr Martin <martin@ch-exemple.fr>"
    msg["Subject"] = "Dossier patient"
    msg["Date"] = "Mon, 02 Mar 2026 10:00:00 +0100"
    msg.set_content(body)
    return msg


def make_eml_utf16(path: Path) -> Expected:
    path.write_bytes(_mail(TEXT).as_string().encode("utf-16"))
    return TEXT_EXPECTED


def make_p7m(path: Path) -> Expected:
    """An opaque-signed CMS (what MSSanté clients save as ``smime.p7m``) holding a mail."""
    from asn1crypto import cms

    signed = cms.SignedData({
        "version": "v1", "digest_algorithms": [],
        "encap_content_info": {"content_type": "data", "content": _mail(TEXT).as_bytes()},
        "signer_infos": []})
    path.write_bytes(cms.ContentInfo({"content_type": "signed_data", "content": signed}).dump())
    return TEXT_EXPECTED


def make_dbf(path: Path) -> Expected:
    """A dBase III table (no library writes dbf well; the layout is 32-byte descriptors)."""
    fields = [("NOM", 20), ("PRENOM", 20), ("NIR", 15), ("TEL", 14), ("EMAIL", 40)]
    rows = [["DUPONT", "Marie", NIR, "0612345678", EMAIL]]
    record_len = 1 + sum(size for _, size in fields)
    header_len = 32 + 32 * len(fields) + 1
    out = bytearray(struct.pack("<BBBBIHH20x", 0x03, 126, 3, 2, len(rows), header_len,
                                record_len))
    for name, size in fields:
        out += struct.pack("<11sc4xB15x", name.encode("ascii"), b"C", size)
    out += b"\r"
    for row in rows:
        out += b" " + b"".join(v.encode("cp1252").ljust(s)[:s]
                               for v, (_, s) in zip(row, fields, strict=True))
    out += b"\x1a"
    path.write_bytes(bytes(out))
    return [("NIR", NIR), ("PHONE", PHONE), ("EMAIL", EMAIL)]


# -- content hidden inside a format ---------------------------------------------------------

def make_xlsx_numeric_phone(path: Path) -> Expected:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Nom", "Prénom", "Téléphone", "FINESS"])
    ws.append(["DUPONT", "Marie", 612345678, 750712184])
    wb.save(path)
    return [("PHONE", PHONE)]


def make_xlsx_comment(path: Path) -> Expected:
    import openpyxl
    from openpyxl.comments import Comment

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Chambre", "Remarque"])
    ws.append(["12", "voir commentaire"])
    ws["B2"].comment = Comment(f"Patiente NIR {NIR}, joindre {EMAIL}", "IDE")
    wb.save(path)
    return [("NIR", NIR), ("EMAIL", EMAIL)]


def _xlsx_bytes() -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Nom", "Prénom", "N° Sécu", "Email"])
    ws.append(["DUPONT", "Marie", NIR, EMAIL])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def make_docx_embedded_xlsx(path: Path) -> Expected:
    """A letter with a spreadsheet embedded as a package part (what Word does on paste)."""
    import docx

    document = docx.Document()
    document.add_paragraph("Veuillez trouver ci-dessous la liste.")
    document.save(path)
    _add_parts(path, {"word/embeddings/Microsoft_Excel_Worksheet1.xlsx": _xlsx_bytes()})
    return [("NIR", NIR), ("EMAIL", EMAIL)]


def make_docx_picture(path: Path) -> Expected:
    import docx
    from docx.shared import Inches

    buf = io.BytesIO()
    page_image(SCAN_LINES).save(buf, "PNG")
    buf.seek(0)
    document = docx.Document()
    document.add_paragraph("Copie du courrier :")
    document.add_picture(buf, width=Inches(6))
    document.save(path)
    return EXPECTED


def _add_parts(path: Path, parts: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)


def make_pdf_attachment(path: Path) -> Expected:
    from fpdf import FPDF

    attached = path.with_suffix(".attached.xlsx")
    attached.write_bytes(_xlsx_bytes())
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Bordereau d'envoi, liste en piece jointe.")
    pdf.embed_file(str(attached), desc="liste")
    pdf.output(str(path))
    attached.unlink()
    return [("NIR", NIR), ("EMAIL", EMAIL)]


def make_pdf_scan_with_stamp(path: Path) -> Expected:
    """A scanned page (an image) that also carries a one-line text stamp."""
    from fpdf import FPDF

    image = path.with_suffix(".page.png")
    page_image(SCAN_LINES).save(image)
    pdf = FPDF()
    pdf.add_page()
    pdf.image(str(image), x=0, y=15, w=210)
    pdf.set_font("helvetica", size=8)
    pdf.set_xy(10, 5)
    pdf.cell(text="Document numerise le 03/03/2026")
    pdf.output(str(path))
    image.unlink()
    return EXPECTED


def make_pdf_encrypted(path: Path) -> Expected:
    """Password protected (user password ``secret``: in the run's passwords file)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_encryption(owner_password="owner", user_password="secret")
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text=f"Patient NIR {NIR}, courriel {EMAIL}")
    pdf.output(str(path))
    return [("NIR", NIR), ("EMAIL", EMAIL)]


def make_zip_aes(path: Path) -> Expected:
    import pyzipper

    with pyzipper.AESZipFile(path, "w", compression=pyzipper.ZIP_DEFLATED,
                             encryption=pyzipper.WZ_AES) as zf:
        zf.setpassword(b"secret")
        zf.writestr("patients.xlsx", _xlsx_bytes())
    return [("NIR", NIR), ("EMAIL", EMAIL)]


def _office_more(make_name: str, expected: Expected) -> Maker:
    """Formats no Python library writes, built record by record by the tests' sample
    writers (``tests/samples/office_more.py``: BIFF12 xlsb, PowerPoint 97, OneNote)."""
    def make(path: Path) -> Expected:
        from samples import office_more

        getattr(office_more, make_name)(path)
        return expected

    return make


def make_pst(path: Path) -> Expected:
    """A PST written by the tests' writer: a message with a CSV attachment, and a contact."""
    from samples.pst import sample_pst

    path.write_bytes(sample_pst())
    return [("NIR", NIR)]


def make_access(path: Path) -> Expected:
    """The public Access test database (meza's, MIT): no marker inside, read for its status."""
    path.write_bytes((ROOT / "tests" / "data" / "access" / "merchant_taylors.mdb").read_bytes())
    return []


_OFFICE_PATIENT = [("NIR", NIR), ("PHONE", PHONE)]

PASSWORDS = ["secret"]

NEW_MAKERS: dict[str, tuple[str, Maker]] = {
    # name: (kind, maker)
    "scan.gif": ("gif", _image("GIF", "P")),
    "scan.bmp": ("bmp", _image("BMP")),
    "scan.webp": ("webp", _image("WEBP", lossless=True)),
    "scan.jp2": ("jp2", _image("JPEG2000")),
    "scan.heic": ("heic", _image("HEIF", "RGB", quality=95)),
    "scan_palette.png": ("png (palette)", _image("PNG", "P")),
    "slides.pptx": ("pptx", make_pptx),
    "drawing.emf": ("emf", make_emf),
    "drawing.wmf": ("wmf", make_wmf),
    "message_utf16.eml": ("eml (UTF-16)", make_eml_utf16),
    "smime.p7m": ("p7m", make_p7m),
    "patients.dbf": ("dbf", make_dbf),
    "slides.ppt": ("ppt", _office_more("make_ppt", _OFFICE_PATIENT)),
    "patients.xlsb": ("xlsb", _office_more(
        "make_xlsb", [*_OFFICE_PATIENT, ("EMAIL", "jeanne.dupont@example.fr")])),
    "notes.one": ("onenote", _office_more(
        "make_onenote", [*_OFFICE_PATIENT, ("EMAIL", "jeanne.dupont@example.fr")])),
    "mailbox.pst": ("pst", make_pst),
    "merchant_taylors.mdb": ("access", make_access),
    "phones_as_numbers.xlsx": ("xlsx numeric phone", make_xlsx_numeric_phone),
    "comments.xlsx": ("xlsx comment", make_xlsx_comment),
    "letter_embedded.docx": ("docx embedding", make_docx_embedded_xlsx),
    "letter_picture.docx": ("docx picture", make_docx_picture),
    "with_attachment.pdf": ("pdf attachment", make_pdf_attachment),
    "scan_with_stamp.pdf": ("pdf scan + text stamp", make_pdf_scan_with_stamp),
    "protected.pdf": ("pdf encrypted (password known)", make_pdf_encrypted),
    "protected_aes.zip": ("zip AES (password known)", make_zip_aes),
}

def write_markers(folder: Path, *, only: set[str] | None = None
                  ) -> tuple[list[Marker], list[str]]:
    """Write every marker file (or those of the kinds in ``only``) into ``folder``; returns
    the markers and the makers that failed (a library missing on this machine), by name.
    The passwords the protected markers need are :data:`PASSWORDS`."""
    folder.mkdir(parents=True, exist_ok=True)
    markers: list[Marker] = []
    failed: list[str] = []
    jobs: list[tuple[str, str, Maker]] = [
        (f"{fmt}_sample{SAMPLE_EXTENSIONS[fmt]}", fmt, make)
        for fmt, make in sorted(sample_makers().items())]
    jobs += [(name, kind, make) for name, (kind, make) in NEW_MAKERS.items()]
    for name, kind, make in jobs:
        if only and kind not in only:
            continue
        try:
            markers.append(Marker(name, kind, make(folder / name)))
        except Exception as exc:  # a writer missing here: say so, go on
            failed.append(f"{name}: {type(exc).__name__}: {exc}")
            (folder / name).unlink(missing_ok=True)
    return markers, failed
