import json
from pathlib import Path

import openpyxl
import pytest
from noise import noise

from breachscope.extract.dispatch import UnsupportedType, partition
from breachscope.extract.units import ExtractionError, TableUnit, TextUnit


def test_dispatch_by_type(tmp_path: Path) -> None:
    csv_path = tmp_path / "a.csv"
    csv_path.write_text("nom;tel\nDUPONT;0612345678\n")
    (table,) = list(partition(csv_path, "csv"))
    assert isinstance(table, TableUnit) and table.rows == [["DUPONT", "0612345678"]]

    json_path = tmp_path / "a.json"
    json_path.write_text(json.dumps([{"nom": "DUPONT"}]))
    assert next(partition(json_path, "json")).name == "table $"

    text_path = tmp_path / "a.txt"
    text_path.write_text("bonjour\n")
    (unit,) = list(partition(text_path, "text"))
    assert isinstance(unit, TextUnit) and unit.text.startswith("bonjour")

    xlsx_path = tmp_path / "a.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["nom", "tel"])
    wb.active.append(["DUPONT", "0612345678"])
    wb.save(xlsx_path)
    (sheet,) = list(partition(xlsx_path, "xlsx"))
    assert sheet.rows == [["DUPONT", "0612345678"]]


@pytest.mark.parametrize("file_type", ["zip", "ole", "binary", "empty"])
def test_unsupported(tmp_path: Path, file_type: str) -> None:
    path = tmp_path / "x"
    path.write_bytes(b"whatever")
    with pytest.raises(UnsupportedType, match=f"^unsupported type: {file_type}$"):
        partition(path, file_type)


def test_parse_failures_become_extraction_errors(tmp_path: Path) -> None:
    bad_xlsx = tmp_path / "bad.xlsx"
    bad_xlsx.write_bytes(b"PK\x03\x04" + noise(200, seed=2001))
    with pytest.raises(ExtractionError, match=r"^corrupt xlsx: "):
        list(partition(bad_xlsx, "xlsx"))

    bad_json = tmp_path / "bad.json"
    bad_json.write_text('[{"nom": "DUPONT"},\n{"nom": }]')
    with pytest.raises(ExtractionError, match=r"^invalid JSON at line 2$"):
        list(partition(bad_json, "json"))

    with pytest.raises(ExtractionError, match=r"^cannot read file"):
        list(partition(tmp_path / "missing.csv", "csv"))


def test_truncated_json_is_read_as_text_and_still_fails(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text('{"patients": [{"nom": "DUPONT", "nir": "254037512345655"}, {"nom": "MA',
                    encoding="utf-8")
    units = []
    with pytest.raises(ExtractionError, match="invalid JSON"):
        for unit in partition(path, "json"):
            units.append(unit)
    assert any("254037512345655" in getattr(u, "text", "") for u in units)
