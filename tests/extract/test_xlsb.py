"""XLSB (Excel binary workbook) extraction through calamine, on workbooks built record by
record (no Python library writes xlsb; see :mod:`samples.office_more`)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from samples.office import EMAIL, NIR
from samples.office_more import make_xlsb

from breachscope.extract.dispatch import partition
from breachscope.extract.units import ExtractionError, TableUnit, TextUnit
from breachscope.ingest.sniff import sniff_type


def test_sheet_title_header_and_numbers(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsb"
    make_xlsb(path)
    assert sniff_type(path) == "xlsb"
    title, table = list(partition(path, "xlsb"))
    assert isinstance(title, TextUnit) and isinstance(table, TableUnit)
    assert (title.name, title.text) == ("sheet Patients", "Export des patients")
    assert table.name == "sheet Patients"
    assert table.header == ["Nom", "Prénom", "NIR", "Téléphone", "E-mail"]
    assert table.row_numbers == [4, 5]  # Excel rows: header in row 3
    # The NIR stored as a number comes out whole, without ".0".
    assert table.rows[0] == ["DUPONT", "Jeanne", NIR, "612345678", EMAIL]
    assert table.rows[1] == ["MARTIN", "Paul", "", "", "paul.martin@example.fr"]


def test_every_sheet(tmp_path: Path) -> None:
    path = tmp_path / "multi.xlsb"
    make_xlsb(path, {"Séjours": [["IPP", "Service"], [1234567.0, "Cardio"]],
                     "Personnel": [["Matricule", "Nom"], ["A12", "DURAND"]]})
    units = list(partition(path, "xlsb"))
    assert [(u.name, u.rows) for u in units] == [
        ("sheet Séjours", [["1234567", "Cardio"]]),
        ("sheet Personnel", [["A12", "DURAND"]]),
    ]


@pytest.mark.parametrize("damage", ["truncated-sheet", "no-workbook", "not-zip"])
def test_damaged_xlsb_fails_with_a_reason(tmp_path: Path, damage: str) -> None:
    source = tmp_path / "source.xlsb"
    make_xlsb(source)
    path = tmp_path / "abime.xlsb"
    if damage == "not-zip":
        path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    else:
        with zipfile.ZipFile(source) as src, zipfile.ZipFile(path, "w") as dst:
            for item in src.infolist():
                data = src.read(item)
                if damage == "no-workbook" and item.filename == "xl/workbook.bin":
                    continue
                if damage == "truncated-sheet" and item.filename.endswith("sheet1.bin"):
                    data = data[:40] + b"\x06\xff\xff\xff\x0f"  # a cell claiming 4 GiB
                dst.writestr(item, data)
    with pytest.raises(ExtractionError) as info:
        list(partition(path, "xlsb"))
    message = str(info.value)
    assert "xlsb" in message and "DUPONT" not in message and NIR not in message


def test_cell_comments(tmp_path: Path) -> None:
    path = tmp_path / "commente.xlsb"
    make_xlsb(path, {"Vide": [["Titre"]], "Patients": [["Nom", "NIR"], ["DUPONT", "x"]]},
              comments={"Patients": [(1, 1, f"NIR à vérifier : {NIR}"),
                                     (27, 28, "Rappeler\nau 06 12 34 56 78")]})
    units = [u for u in partition(path, "xlsb") if u.kind == "text"]
    comments = {u.name: u.text for u in units if u.name.startswith("comments")}
    assert comments == {"comments Patients": f"B2: NIR à vérifier : {NIR}\n"
                                             "AC28: Rappeler / au 06 12 34 56 78"}


def test_damaged_comments_keep_what_was_read(tmp_path: Path) -> None:
    source = tmp_path / "source.xlsb"
    make_xlsb(source, comments={"Patients": [(3, 2, f"NIR {NIR}"), (4, 2, "second")]})
    path = tmp_path / "abime.xlsb"
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/comments1.bin":
                data = data[: data.index("second".encode("utf-16-le")) - 2]
            dst.writestr(item, data)
    units = list(partition(path, "xlsb"))
    comments = [u for u in units if u.name.startswith("comments")]
    assert [u.text for u in comments] == [f"C4: NIR {NIR}"]
    assert any(isinstance(u, TableUnit) and u.rows for u in units)
