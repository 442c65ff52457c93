"""XLS (Excel 97-2003) extraction: sheets, title rows, cell values, damaged files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from samples.office import NIR, make_xls

from breachscope.extract.units import ExtractionError, TableUnit, TextUnit
from breachscope.extract.xls import partition_xls
from breachscope.ingest.sniff import sniff_type


def test_sample_units_and_locations(tmp_path: Path) -> None:
    path = tmp_path / "export.xls"
    make_xls(path)
    assert sniff_type(path) == "xls"
    title, table = list(partition_xls(path))
    assert isinstance(title, TextUnit) and isinstance(table, TableUnit)
    assert (title.name, title.first_line, title.text) == (
        "sheet Patients", 1, "Export du service de cardiologie")
    assert table.name == "sheet Patients"
    assert table.header == ["Nom", "Prénom", "Date de naissance", "NIR", "Téléphone", "E-mail"]
    assert table.row_numbers == [4, 5]  # Excel rows: header in row 3
    # The NIR stored as a float comes out whole; the phone's 0000000000 format restores its 0.
    assert table.rows[0] == ["DUPONT", "Jeanne", "1954-03-12", NIR, "0612345678",
                             "jeanne.dupont@example.fr"]
    assert table.rows[1][:3] == ["MARTIN", "Paul", "1960-02-01"]


def test_every_sheet_types_and_blank_rows(tmp_path: Path) -> None:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    first = book.add_sheet("Séjours")
    for col, label in enumerate(["IPP", "Entrée", "Heure", "Sortie", "Montant", "Payé"]):
        first.write(0, col, label)
    first.write(1, 0, 1234567.0)
    first.write(1, 1, dt.datetime(2024, 2, 1, 14, 30), xlwt.easyxf(num_format_str="DD/MM/YY hh:mm"))
    first.write(1, 2, 0.5, xlwt.easyxf(num_format_str="hh:mm"))
    first.write(1, 4, 12.75)
    first.write(1, 5, True)
    first.write(4, 0, 42)  # rows 3 and 4 blank
    book.add_sheet("Vide")
    second = book.add_sheet("Personnel")
    second.write(0, 0, "Matricule")
    second.write(0, 1, "Nom")
    second.write(1, 0, "A12")
    second.write(1, 1, "DURAND")
    path = tmp_path / "multi.xls"
    book.save(str(path))

    units = list(partition_xls(path))
    assert [u.name for u in units] == ["sheet Séjours", "sheet Personnel"]
    stays = units[0]
    assert stays.row_numbers == [2, 5]
    assert stays.rows[0] == ["1234567", "2024-02-01 14:30:00", "12:00:00", "", "12.75", "TRUE"]
    assert stays.rows[1][0] == "42"
    assert units[1].rows == [["A12", "DURAND"]]


@pytest.mark.parametrize("damage", ["truncated", "random"])
def test_damaged_xls_fails_with_a_reason(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "cut.xls"
    make_xls(path)
    data = path.read_bytes()
    if damage == "truncated":
        data = data[: len(data) // 2]
    else:
        import random

        rng = random.Random(4)
        data = data[:8] + bytes(rng.randrange(256) for _ in range(4096))
    path.write_bytes(data)
    with pytest.raises(ExtractionError) as info:
        list(partition_xls(path))
    assert str(info.value).startswith("corrupt xls")
    assert "DUPONT" not in str(info.value)
