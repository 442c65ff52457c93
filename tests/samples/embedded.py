"""Documents holding other files: a letter with a spreadsheet, a PDF or an Outlook message
embedded as an object, a letter with a picture of typed text, the same in OpenDocument and in
workbooks.

Writers: ``python-docx`` (DOCX, its pictures), ``openpyxl`` (XLSX), ``odfpy`` (ODT, ODS),
``fpdf2`` (PDF), Pillow (pictures: :func:`samples.scans.page_image`), and msgforge's
compound-file writer for OLE objects (``oleObject1.bin`` wrapping a file in an
``\\x01Ole10Native`` stream, as Word's packager writes it). Word and LibreOffice also write
the relationship and the content type of each object; they are added here too, although the
extractor reads the parts whatever references them.
"""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

from samples.scans import page_image

NIR = "254037512345655"
NIR_SPACED = "2 54 03 75 123 456 55"
#: A second person, in the picture.
PICTURE_LINES = ["Compte rendu - Mme DURAND Alice", f"NIR {NIR_SPACED}",
                 "tél 06 12 34 56 78"]
PHONE = "+33612345678"

_OLE_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/oleObject"
_PACKAGE_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/package"


def xlsx_bytes(rows: list[list[object]] | None = None) -> bytes:
    """A one-sheet workbook ``Patients`` (a NIR column by default)."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Patients"
    for row in rows or [["Nom", "Prénom", "NIR"], ["DUPONT", "Jeanne", NIR]]:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def pdf_bytes(text: str = f"Patiente DUPONT Jeanne, NIR {NIR_SPACED}") -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(0, 10, text)
    return bytes(pdf.output())


def png_bytes(lines: list[str] | None = None) -> bytes:
    out = io.BytesIO()
    page_image(lines or PICTURE_LINES, width=1400).save(out, "PNG")
    return out.getvalue()


def ole_package(file_name: str, data: bytes) -> bytes:
    """An OLE object as Word's packager writes it: a compound file whose
    ``\\x01Ole10Native`` stream holds the file with its label and paths."""
    from msgforge._builder import _OleWriter

    path = f"C:\\Users\\secretariat\\Documents\\{file_name}".encode("cp1252")
    temp = f"C:\\Users\\SECRET~1\\AppData\\Local\\Temp\\{file_name}".encode("cp1252") + b"\0"
    body = (struct.pack("<H", 2) + file_name.encode("cp1252") + b"\0" + path + b"\0"
            + struct.pack("<HH", 0, 3) + struct.pack("<I", len(temp)) + temp
            + struct.pack("<I", len(data)) + data)
    native = struct.pack("<I", len(body)) + body
    writer = _OleWriter()
    writer.add_stream(writer.root, "\x01Ole10Native", native)
    writer.add_stream(writer.root, "\x01CompObj", b"\x01\x00\xfe\xff" + b"\0" * 24)
    return writer.build()


def add_parts(path: Path, parts: dict[str, bytes], rels: dict[str, str] | None = None,
              main_rels: str = "word/_rels/document.xml.rels") -> None:
    """Add ``parts`` to the OOXML package at ``path``; ``rels`` (target → relationship type)
    are added to the main part's relationships, and a content type default for ``.bin``."""
    source = zipfile.ZipFile(path)
    entries = {info.filename: source.read(info) for info in source.infolist()}
    source.close()
    if rels:
        text = entries[main_rels].decode()
        extra = "".join(f'<Relationship Id="rIdEmb{i}" Type="{kind}" Target="{target}"/>'
                        for i, (target, kind) in enumerate(rels.items(), 1))
        entries[main_rels] = text.replace("</Relationships>", extra + "</Relationships>"
                                          ).encode()
    types = entries["[Content_Types].xml"].decode()
    if 'Extension="bin"' not in types:
        types = types.replace(
            "<Default ", '<Default Extension="bin" ContentType="application/'
            'vnd.openxmlformats-officedocument.oleObject"/><Default ', 1)
    entries["[Content_Types].xml"] = types.encode()
    entries.update(parts)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in entries.items():
            out.writestr(name, data)


def make_letter(path: Path, text: str = "Courrier de sortie, voir la pièce jointe.") -> None:
    import docx

    document = docx.Document()
    document.add_paragraph(text)
    document.save(str(path))


def make_letter_with_xlsx(path: Path) -> None:
    """A letter with a workbook embedded as a package part (Word's "Insert > Object > Excel
    worksheet"): ``word/embeddings/Microsoft_Excel_Worksheet.xlsx`` holding a NIR."""
    make_letter(path)
    add_parts(path, {"word/embeddings/Microsoft_Excel_Worksheet.xlsx": xlsx_bytes()},
              {"embeddings/Microsoft_Excel_Worksheet.xlsx": _PACKAGE_REL})


def make_letter_with_ole(path: Path, file_name: str, data: bytes) -> None:
    """A letter with ``data`` embedded as an OLE package (``oleObject1.bin``)."""
    make_letter(path)
    add_parts(path, {"word/embeddings/oleObject1.bin": ole_package(file_name, data)},
              {"embeddings/oleObject1.bin": _OLE_REL})


def make_letter_with_picture(path: Path) -> None:
    """A letter whose body is a picture of typed text (a scan pasted into Word):
    ``word/media/image1.png``, through python-docx's own picture support."""
    import docx

    document = docx.Document()
    document.add_paragraph("Ci-dessous le compte rendu numérisé.")
    document.add_picture(io.BytesIO(png_bytes()))
    document.save(str(path))


def make_odt_with_objects(path: Path) -> None:
    """An OpenDocument letter with a picture of typed text (``Pictures/…png``) and a
    spreadsheet object stored as a folder (``Object 1/content.xml``), as LibreOffice writes
    an inserted OLE spreadsheet; the object's table holds a NIR."""
    from odf.draw import Frame, Image, Object
    from odf.opendocument import OpenDocumentSpreadsheet, OpenDocumentText
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentText()
    doc.text.addElement(P(text="Courrier avec un tableau et une image."))
    sheet = OpenDocumentSpreadsheet()
    table = Table(name="Patients")
    for values in (["Nom", "NIR"], ["DUPONT", NIR]):
        row = TableRow()
        for value in values:
            cell = TableCell(valuetype="string")
            cell.addElement(P(text=value))
            row.addElement(cell)
        table.addElement(row)
    sheet.spreadsheet.addElement(table)
    frame = Frame(width="10cm", height="4cm", anchortype="paragraph")
    frame.addElement(Object(href=doc.addObject(sheet)))
    paragraph = P()
    paragraph.addElement(frame)
    doc.text.addElement(paragraph)
    picture = Frame(width="14cm", height="6cm", anchortype="paragraph")
    picture.addElement(Image(href=doc.addPictureFromString(png_bytes(), "image/png")))
    paragraph = P()
    paragraph.addElement(picture)
    doc.text.addElement(paragraph)
    doc.save(str(path))
