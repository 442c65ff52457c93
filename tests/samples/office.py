"""Office documents and spreadsheets: one small real file per format, each holding a
patient's name, NIR ``254037512345655`` and phone ``06 12 34 56 78``.

Writers: ``xlwt`` (XLS; dev-only), ``odfpy`` (ODS, ODT; dev-only), ``python-docx`` (DOCX;
dev-only), ``openpyxl`` (XLSM), hand-written RTF; the DOC is a committed file
(``tests/data/doc/consultation.doc``, see ``tests/data/README.md``)."""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from pathlib import Path

NIR = "254037512345655"
PHONE = "06 12 34 56 78"
PHONE_E164 = "+33612345678"
EMAIL = "jeanne.dupont@example.fr"
LAST, FIRST = "DUPONT", "Jeanne"
BIRTH = dt.date(1954, 3, 12)

DATA = Path(__file__).resolve().parent.parent / "data"
DOC_SAMPLE = DATA / "doc" / "consultation.doc"

HEADER = ["Nom", "Prénom", "Date de naissance", "NIR", "Téléphone", "E-mail"]
#: The patient row; the NIR and the phone as numbers, as a careless export stores them.
ROW = [LAST, FIRST, BIRTH, int(NIR), 612345678, EMAIL]
OTHER = ["MARTIN", "Paul", dt.date(1960, 2, 1), "", "", "paul.martin@example.fr"]

#: What a table holding :data:`ROW` (and :data:`OTHER`) yields.
TABLE_FINDINGS = [
    ("NIR", NIR),
    ("PHONE", PHONE_E164),
    ("EMAIL", EMAIL),
    ("EMAIL", "paul.martin@example.fr"),
    ("BIRTH_DATE", "1954-03-12"),
    ("BIRTH_DATE", "1960-02-01"),
    ("LAST_NAME", LAST),
    ("LAST_NAME", "MARTIN"),
    ("FIRST_NAME", FIRST),
    ("FIRST_NAME", "Paul"),
]
#: What a document's text holding NIR, phone, birth date (with a cue) and e-mail yields.
TEXT_FINDINGS = [
    ("NIR", NIR),
    ("PHONE", PHONE_E164),
    ("BIRTH_DATE", "1954-03-12"),
]
#: What the letters of :func:`make_docx` and :func:`make_odt` yield (header, body, table,
#: footer).
LETTER_FINDINGS = [
    ("NIR", NIR),
    ("PHONE", PHONE_E164),
    ("BIRTH_DATE", "1954-03-12"),
    ("EMAIL", "secretariat.cardio@example.fr"),
    ("LAST_NAME", LAST),
    ("LAST_NAME", "MARTIN"),
    ("FIRST_NAME", FIRST),
    ("FIRST_NAME", "Paul"),
]


def make_xls(path: Path) -> list[tuple[str, str]]:
    """An Excel 97 workbook: a title, a blank row, the header in row 3, then two rows."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Patients")
    sheet.write(0, 0, "Export du service de cardiologie")
    date_style = xlwt.easyxf(num_format_str="DD/MM/YYYY")
    phone_style = xlwt.easyxf(num_format_str="0000000000")
    for col, label in enumerate(HEADER):
        sheet.write(2, col, label)
    for rowx, row in ((3, ROW), (4, OTHER)):
        for col, value in enumerate(row):
            if isinstance(value, dt.date):
                sheet.write(rowx, col, dt.datetime.combine(value, dt.time()), date_style)
            elif isinstance(value, int):
                style = phone_style if col == 4 else xlwt.Style.default_style
                sheet.write(rowx, col, float(value), style)
            elif value:
                sheet.write(rowx, col, value)
    book.save(str(path))
    return list(TABLE_FINDINGS)


def make_ods(path: Path) -> list[tuple[str, str]]:
    """An OpenDocument spreadsheet: a title row, a blank row, the header in row 3."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="Patients")

    def add_row(values: list[object]) -> None:
        row = TableRow()
        for value in values:
            if value in (None, ""):
                cell = TableCell()
            elif isinstance(value, dt.date):
                cell = TableCell(valuetype="date", datevalue=value.isoformat())
                cell.addElement(P(text=value.strftime("%d/%m/%Y")))
            elif isinstance(value, int):
                cell = TableCell(valuetype="float", value=str(value))
                cell.addElement(P(text=str(value)))
            else:
                cell = TableCell(valuetype="string")
                cell.addElement(P(text=str(value)))
            row.addElement(cell)
        table.addElement(row)

    add_row(["Export du service de cardiologie"])
    add_row([])
    add_row(list(HEADER))
    # The phone as text here: ODS keeps no number format calamine reports.
    add_row([*ROW[:4], PHONE, ROW[5]])
    add_row(OTHER)
    doc.spreadsheet.addElement(table)
    doc.save(str(path))
    return list(TABLE_FINDINGS)


def make_xlsm(path: Path) -> list[tuple[str, str]]:
    """A macro-enabled workbook: the values of :func:`make_xls` and a VBA project part
    (``xl/vbaProject.bin``) that must never be run, only skipped."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Patients"
    sheet.append(list(HEADER))
    sheet.append(ROW)
    sheet.append(OTHER)
    sheet["E2"].number_format = "0000000000"
    plain = path.with_suffix(".tmp.xlsx")
    book.save(plain)
    _add_vba_project(plain, path)
    plain.unlink()
    return list(TABLE_FINDINGS)


def _add_vba_project(source: Path, target: Path) -> None:
    """Copy the workbook at ``source`` to ``target`` as an ``.xlsm``: macro-enabled content
    type, a ``vbaProject.bin`` part and its relationship (an auto-open macro's source in it:
    the bytes are never interpreted)."""
    vba = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 24
           + b'Attribute VB_Name = "ThisWorkbook"\r\nSub Workbook_Open()\r\n'
           + b'Shell "cmd /c echo pwned"\r\nEnd Sub\r\n')
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w",
                                                         zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = data.replace(
                    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
                ).replace(
                    b"</Types>",
                    b'<Default Extension="bin" '
                    b'ContentType="application/vnd.ms-office.vbaProject"/></Types>',
                )
            elif item.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/office/'
                    b'2006/relationships/vbaProject" Target="vbaProject.bin"/></Relationships>',
                )
            out.writestr(item, data)
        out.writestr("xl/vbaProject.bin", vba)


def make_docx(path: Path) -> list[tuple[str, str]]:
    """A letter: the patient's name and NIR in the page header, the phone and birth date in
    the body, a table of contacts (first row = header) and an e-mail in the footer."""
    import docx

    document = docx.Document()
    section = document.sections[0]
    section.header.paragraphs[0].text = f"Patiente : {LAST} {FIRST} - NIR {NIR}"
    section.footer.paragraphs[0].text = "Secrétariat : secretariat.cardio@example.fr"
    document.add_paragraph("Compte rendu de consultation")
    document.add_paragraph("")
    document.add_paragraph(f"Mme {FIRST} {LAST}, née le 12/03/1954, est joignable au {PHONE}.")
    table = document.add_table(rows=3, cols=3)
    for row, values in zip(table.rows, (["Nom", "Prénom", "Téléphone"],
                                        [LAST, FIRST, PHONE],
                                        ["MARTIN", "Paul", ""]), strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    document.add_paragraph("Dr Martin")
    document.save(str(path))
    return list(LETTER_FINDINGS)


def make_odt(path: Path) -> list[tuple[str, str]]:
    """The same letter as :func:`make_docx` in OpenDocument text."""
    from odf.opendocument import OpenDocumentText
    from odf.style import Footer, Header, MasterPage, PageLayout
    from odf.table import Table, TableCell, TableColumn, TableRow
    from odf.text import P

    doc = OpenDocumentText()
    layout = PageLayout(name="pm1")
    doc.automaticstyles.addElement(layout)
    master = MasterPage(name="Standard", pagelayoutname=layout)
    header = Header()
    header.addElement(P(text=f"Patiente : {LAST} {FIRST} - NIR {NIR}"))
    master.addElement(header)
    footer = Footer()
    footer.addElement(P(text="Secrétariat : secretariat.cardio@example.fr"))
    master.addElement(footer)
    doc.masterstyles.addElement(master)

    doc.text.addElement(P(text="Compte rendu de consultation"))
    doc.text.addElement(P(text=""))
    doc.text.addElement(P(text=f"Mme {FIRST} {LAST}, née le 12/03/1954, est joignable au "
                               f"{PHONE}."))
    table = Table(name="Contacts")
    table.addElement(TableColumn(numbercolumnsrepeated=3))
    for values in (["Nom", "Prénom", "Téléphone"], [LAST, FIRST, PHONE], ["MARTIN", "Paul", ""]):
        row = TableRow()
        for value in values:
            cell = TableCell(valuetype="string")
            cell.addElement(P(text=value))
            row.addElement(cell)
        table.addElement(row)
    doc.text.addElement(table)
    doc.text.addElement(P(text="Dr Martin"))
    doc.save(str(path))
    return list(LETTER_FINDINGS)


def make_rtf(path: Path) -> list[tuple[str, str]]:
    """An RTF letter (accents as ``\\'xx`` escapes in cp1252, one as ``\\u``)."""
    path.write_bytes(
        b"{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0 Times New Roman;}}\n"
        b"{\\info{\\author Secr\\'e9tariat}}\n"
        b"\\pard Compte rendu de consultation\\par\n"
        b"\\par\n"
        b"Patiente : " + LAST.encode() + b" " + FIRST.encode()
        + b", n\\'e9e le 12/03/1954\\par\n"
        b"NIR : " + NIR.encode() + b"\\line T\\u233?l. : " + PHONE.encode() + b"\\par\n"
        b"{\\*\\generator Test;}Dr Martin\\par\n}"
    )
    return list(TEXT_FINDINGS)


def make_doc(path: Path) -> list[tuple[str, str]]:
    """A Word 97-2003 consultation report (a committed sample, see ``tests/data``)."""
    shutil.copyfile(DOC_SAMPLE, path)
    return list(TEXT_FINDINGS)
