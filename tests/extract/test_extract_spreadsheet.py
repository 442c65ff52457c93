import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from breachscope.extract.spreadsheet import partition_xlsx
from breachscope.extract.units import ExtractionError, TableUnit, TextUnit


def _workbook(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Patients"
    ws["A1"] = "Liste des patients - Service de cardiologie"
    # row 2 and 3 blank, header in row 4
    ws.append([])
    ws.append([])
    ws.append(["NOM", "Prénom", "Date de\nnaissance", "NIR", "CP", "Poids"])
    ws.append(["LEFÈVRE", "Hélène", dt.datetime(1950, 3, 12), 250037512345678, 1000, 61.5])
    ws.append(["MARTIN", "Paul", dt.date(1960, 2, 1), 160020212345678.0, 75001, None])
    ws.append([])  # blank row 7: skipped
    ws.append(["PETIT", None, dt.datetime(1970, 1, 2, 14, 30), "1 70 01 75 123 456 78", 13001, 80])
    ws["E5"].number_format = "00000"  # postal code 01000 stored as the number 1000
    ws["G5"] = "=1+1"  # a formula: never evaluated, no cached value
    other = wb.create_sheet("Personnel")
    other.append(["Matricule", "Nom", "Actif"])
    other.append([42, "DURAND", True])
    wb.save(path)
    return path


def test_two_sheets_title_rows_dates_and_nir(tmp_path: Path) -> None:
    units = list(partition_xlsx(_workbook(tmp_path / "export.xlsx")))
    tables = {u.name: u for u in units if isinstance(u, TableUnit)}
    assert set(tables) == {"sheet Patients", "sheet Personnel"}

    patients = tables["sheet Patients"]
    assert patients.header[:6] == ["NOM", "Prénom", "Date de naissance", "NIR", "CP", "Poids"]
    assert patients.row_numbers == [5, 6, 8]  # Excel row numbers, blank row skipped
    first, second, third = patients.rows
    assert first[:6] == ["LEFÈVRE", "Hélène", "1950-03-12", "250037512345678", "01000", "61.5"]
    assert second[:6] == ["MARTIN", "Paul", "1960-02-01", "160020212345678", "75001", ""]
    assert third[:6] == ["PETIT", "", "1970-01-02 14:30:00", "1 70 01 75 123 456 78", "13001",
                         "80"]
    assert "=1+1" not in {cell for row in patients.rows for cell in row}

    titles = [u for u in units if isinstance(u, TextUnit)]
    assert len(titles) == 1
    assert titles[0].name == "sheet Patients"
    assert titles[0].first_line == 1
    assert titles[0].text.split("\n")[0] == "Liste des patients - Service de cardiologie"

    staff = tables["sheet Personnel"]
    assert staff.header == ["Matricule", "Nom", "Actif"]
    assert staff.rows == [["42", "DURAND", "TRUE"]]
    assert staff.row_numbers == [2]


def test_sheet_without_header(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Feuil1"
    ws.append(["DUPONT", dt.date(1985, 2, 1), 612345678])
    ws.append(["MARTIN", dt.date(1990, 12, 31), 698765432])
    path = tmp_path / "raw.xlsx"
    wb.save(path)
    (table,) = list(partition_xlsx(path))
    assert table.header == ["col1", "col2", "col3"]
    assert table.rows[0] == ["DUPONT", "1985-02-01", "612345678"]
    assert table.row_numbers == [1, 2]


def test_truncated_xlsx_fails_with_a_reason(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "cut.xlsx")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ExtractionError) as info:
        list(partition_xlsx(path))
    assert str(info.value) == "corrupt xlsx: File is not a zip file"


def test_zip_without_workbook_fails(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "fake.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("secret.txt", "DUPONT Jean 185027512345678")
    with pytest.raises(ExtractionError) as info:
        list(partition_xlsx(path))
    assert str(info.value).startswith("corrupt xlsx")
    assert "DUPONT" not in str(info.value)
