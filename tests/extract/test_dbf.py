"""dBase tables (dbfread): fields, deleted records, encodings, damaged values and files."""

from __future__ import annotations

from pathlib import Path

import pytest
from samples.office import NIR, PHONE
from samples.office_more import make_dbf

from breachscope.extract.dbf import partition_dbf
from breachscope.extract.dispatch import partition
from breachscope.extract.units import ExtractionError, TableUnit
from breachscope.ingest.sniff import sniff_type


def test_records_deleted_ones_and_damaged_values(tmp_path: Path) -> None:
    path = tmp_path / "PATIENTS.DBF"
    make_dbf(path)
    assert sniff_type(path) == "dbf"
    (table,) = list(partition(path, "dbf"))
    assert isinstance(table, TableUnit)
    assert table.header == ["NOM", "PRENOM", "NAISSANCE", "NIR", "TEL", "ACTIF"]
    assert table.rows == [
        ["DUPONT", "Hélène", "1954-03-12", NIR, PHONE, "TRUE"],
        ["MARTIN", "Paul", "1960-02-01", "", "", "FALSE"],  # deleted: its data is still read
        ["DURAND", "Cécile", "2024XX01", "12A", "", ""],  # unparsable values kept as text
    ]
    assert table.row_numbers == [1, 2, 3]  # RECNO()


@pytest.mark.parametrize(("encoding", "driver"), [("cp850", 0), ("cp1252", 0),
                                                  ("cp1252", 0x57), ("cp850", 0x02)])
def test_encoding_from_driver_or_guessed(tmp_path: Path, encoding: str, driver: int) -> None:
    path = tmp_path / "t.dbf"
    make_dbf(path, encoding=encoding, language_driver=driver)
    (table,) = list(partition_dbf(path))
    assert [row[1] for row in table.rows] == ["Hélène", "Paul", "Cécile"]


def test_many_records_are_chunked(tmp_path: Path, monkeypatch) -> None:
    from breachscope.extract import _table

    monkeypatch.setattr(_table, "CHUNK_ROWS", 2)
    records = [([f"NOM{i}", "X", "19540312", NIR, PHONE, "T"], False) for i in range(5)]
    path = tmp_path / "long.dbf"
    make_dbf(path, records=records)
    units = list(partition_dbf(path))
    assert [len(u.rows) for u in units] == [2, 2, 1]
    assert [n for u in units for n in u.row_numbers] == [1, 2, 3, 4, 5]


def test_header_count_lies_and_truncation(tmp_path: Path) -> None:
    path = tmp_path / "cut.dbf"
    make_dbf(path)
    data = bytearray(path.read_bytes())
    data[4:8] = (10**9).to_bytes(4, "little")  # claims a billion records
    path.write_bytes(bytes(data[:-40]))  # and the last record is cut
    (table,) = list(partition_dbf(path))
    assert [row[0] for row in table.rows] == ["DUPONT", "MARTIN", "DURAND"]


def test_garbage_fails_with_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "abime.dbf"
    path.write_bytes(b"\x03\x7c\x05\x11" + b"\xff" * 10)
    with pytest.raises(ExtractionError) as info:
        list(partition(path, "dbf"))
    assert str(info.value).startswith("corrupt dbf")


def _memo_table(path: Path) -> None:
    fields = [("NOM", "C", 10, 0), ("NOTE", "M", 10, 0)]
    make_dbf(path, fields=fields, records=[(["DUPONT", "1"], False), (["MARTIN", ""], False)],
             version=0x83)


def test_memo_file_beside_the_table(tmp_path: Path) -> None:
    path = tmp_path / "notes.dbf"
    _memo_table(path)
    # A dBase III memo file: block 0 is the header, memo 1 starts at byte 512, ends at 0x1A.
    memo = f"Rappeler au {PHONE}".encode("cp850") + b"\x1a\x1a"
    path.with_suffix(".dbt").write_bytes(b"\x02" + bytes(511) + memo.ljust(512, b"\x00"))
    (table,) = list(partition_dbf(path))
    assert table.rows == [["DUPONT", f"Rappeler au {PHONE}"], ["MARTIN", ""]]


def test_missing_memo_file_leaves_memos_empty(tmp_path: Path) -> None:
    path = tmp_path / "seul.dbf"
    _memo_table(path)
    (table,) = list(partition_dbf(path))
    assert table.rows == [["DUPONT", ""], ["MARTIN", ""]]
