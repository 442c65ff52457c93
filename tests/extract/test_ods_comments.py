"""Cell comments of OpenDocument spreadsheets (calamine does not read them): one unit per
sheet with cell references counted through repeated rows and columns."""

from __future__ import annotations

from pathlib import Path

from breachscope.detect.dispatch import detect_units
from breachscope.extract.dispatch import partition
from breachscope.extract.units import EmbeddedFile, TableUnit

NIR = "254037512345655"


def make_commented_ods(path: Path) -> None:
    from odf.dc import Creator
    from odf.office import Annotation
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()

    def cell(text: str = "", note: list[str] | None = None, repeat: int = 1) -> TableCell:
        attributes: dict[str, object] = {"valuetype": "string"} if text else {}
        if repeat > 1:
            attributes["numbercolumnsrepeated"] = repeat
        element = TableCell(**attributes)
        if note:
            annotation = Annotation()
            annotation.addElement(Creator(text="secretariat"))
            for line in note:
                annotation.addElement(P(text=line))
            element.addElement(annotation)
        if text:
            element.addElement(P(text=text))
        return element

    sheet = Table(name="Patients")
    header = TableRow()
    for label in ("Nom", "Chambre"):
        header.addElement(cell(label))
    sheet.addElement(header)
    sheet.addElement(TableRow(numberrowsrepeated=3))  # rows 2-4 empty
    row = TableRow()
    row.addElement(cell("DUPONT", [f"NIR à vérifier : {NIR}"]))
    row.addElement(cell(repeat=26))  # columns B-AA empty
    row.addElement(cell("12", ["Rappeler la fille", "au 06 12 34 56 78"]))
    sheet.addElement(row)
    doc.spreadsheet.addElement(sheet)
    empty = Table(name="Vide")
    plain = TableRow()
    plain.addElement(cell("rien"))
    empty.addElement(plain)
    doc.spreadsheet.addElement(empty)
    doc.save(str(path))


def test_ods_cell_comments_with_their_cells(tmp_path):
    path = tmp_path / "lits.ods"
    make_commented_ods(path)
    units = [u for u in partition(path, "ods") if not isinstance(u, EmbeddedFile)]
    comments = [(u.name, u.text) for u in units if u.name.startswith("comments")]
    assert comments == [("comments Patients",
                         f"A5: NIR à vérifier : {NIR}\nAB5: Rappeler la fille / au 06 12 34 56 78")]
    # The comment's author is not in the cell's value either.
    tables = [u for u in units if isinstance(u, TableUnit)]
    assert all("secretariat" not in cell for t in tables for r in t.rows for cell in r)
    got = {(f.entity, f.value, f.location) for f in detect_units(units).findings}
    assert ("NIR", NIR, "comments Patients, line 1") in got
    assert ("PHONE", "+33612345678", "comments Patients, line 2") in got
