"""ODS (OpenDocument spreadsheet) extraction through calamine."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from samples.office import NIR, make_ods

from breachscope.extract.ods import partition_ods
from breachscope.extract.units import ExtractionError, TableUnit, TextUnit
from breachscope.ingest.sniff import sniff_type


def test_sample_units_and_locations(tmp_path: Path) -> None:
    path = tmp_path / "export.ods"
    make_ods(path)
    assert sniff_type(path) == "ods"
    title, table = list(partition_ods(path))
    assert isinstance(title, TextUnit) and isinstance(table, TableUnit)
    assert (title.name, title.text) == ("sheet Patients", "Export du service de cardiologie")
    assert table.header == ["Nom", "Prénom", "Date de naissance", "NIR", "Téléphone", "E-mail"]
    assert table.row_numbers == [4, 5]
    assert table.rows[0] == ["DUPONT", "Jeanne", "1954-03-12", NIR, "06 12 34 56 78",
                             "jeanne.dupont@example.fr"]


def _sheet(doc, name: str, rows: list[list[object]]):  # type: ignore[no-untyped-def]
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    table = Table(name=name)
    for values in rows:
        row = TableRow()
        for value in values:
            if value is None:
                cell = TableCell()
            elif isinstance(value, float):
                cell = TableCell(valuetype="float", value=repr(value))
                cell.addElement(P(text=repr(value)))
            else:
                cell = TableCell(valuetype="string")
                cell.addElement(P(text=str(value)))
            row.addElement(cell)
        table.addElement(row)
    doc.spreadsheet.addElement(table)


def test_every_sheet_offset_rows_and_numbers(tmp_path: Path) -> None:
    from odf.opendocument import OpenDocumentSpreadsheet

    doc = OpenDocumentSpreadsheet()
    # The used range starts at row 3, column B: row numbers stay the sheet's.
    _sheet(doc, "Feuille1", [[], [], [None, "Nom", "Poids", "NIR"],
                             [None, "PETIT", 61.5, 254037512345655.0], [],
                             [None, "ROUX", 80.0, None]])
    _sheet(doc, "Feuille2", [["Code", "Libellé"], ["B20", "Infection VIH"]])
    path = tmp_path / "multi.ods"
    doc.save(str(path))
    first, second = list(partition_ods(path))
    assert first.name == "sheet Feuille1"
    assert first.header == ["col1", "Nom", "Poids", "NIR"]
    assert first.row_numbers == [4, 6]
    assert first.rows == [["", "PETIT", "61.5", NIR], ["", "ROUX", "80", ""]]
    assert (second.name, second.rows) == ("sheet Feuille2", [["B20", "Infection VIH"]])


def test_truncated_ods_fails_with_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "cut.ods"
    make_ods(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ExtractionError) as info:
        list(partition_ods(path))
    assert str(info.value).startswith("corrupt ods")


def test_malformed_content_fails_without_quoting_it(tmp_path: Path) -> None:
    path = tmp_path / "bad.ods"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("META-INF/manifest.xml", "<manifest/>")
        archive.writestr("content.xml", "<office:document-content DUPONT 254037512345655")
    with pytest.raises(ExtractionError) as info:
        list(partition_ods(path))
    assert str(info.value).startswith("corrupt ods")
    assert "DUPONT" not in str(info.value) and NIR not in str(info.value)


def test_entity_bomb_is_not_expanded(tmp_path: Path) -> None:
    lol = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10 if i else "lol"}">' for i in range(9))
    content = (f'<?xml version="1.0"?><!DOCTYPE d [{lol}]>'
               '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:'
               'office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body>'
               '<office:spreadsheet><table:table table:name="S"><table:table-row>'
               '<table:table-cell office:value-type="string"><text:p>&l8;</text:p>'
               '</table:table-cell></table:table-row></table:table></office:spreadsheet>'
               '</office:body></office:document-content>')
    path = tmp_path / "bomb.ods"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("META-INF/manifest.xml", "<manifest/>")
        archive.writestr("content.xml", content)
    try:
        units = list(partition_ods(path))
    except ExtractionError as exc:
        assert str(exc).startswith("corrupt ods")
    else:
        assert sum(len(c) for u in units for r in getattr(u, "rows", []) for c in r) < 10_000


def test_password_protected_ods_says_so(tmp_path: Path) -> None:
    path = tmp_path / "secret.ods"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("META-INF/manifest.xml",
                         '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:'
                         'xmlns:manifest:1.0"><manifest:file-entry manifest:full-path='
                         '"content.xml"><manifest:encryption-data manifest:checksum-type="SHA1"/>'
                         "</manifest:file-entry></manifest:manifest>")
        archive.writestr("content.xml", bytes(range(256)) * 4)
    with pytest.raises(ExtractionError, match=r"^ods encrypted \(password protected\)$"):
        list(partition_ods(path))
