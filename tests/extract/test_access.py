"""Access databases through mdbtools: tables, chunks, limits and damaged files, on a public
Jet 4 database (tests/data/access, see its README)."""

from __future__ import annotations

from pathlib import Path

import pytest

from breachscope.extract import access
from breachscope.extract.access import partition_access
from breachscope.extract.dispatch import partition
from breachscope.extract.partial import PartialContent
from breachscope.extract.units import ExtractionError, TableUnit
from breachscope.ingest.sniff import sniff_type

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "access" / "merchant_taylors.mdb"
HEADER = ["Id No", "Surname", "Forenames", "How Admitted", "Forenames_Master_or_Father",
          "Surname_Master_or_Father", "Notes", "Date of order of Court", "Freedom", "Livery",
          "Remarks", "Source Ref"]

# mdbtools comes from scripts/setup.sh (Debian): without it these tests must fail, not skip.


def test_every_table_with_its_header_and_rows() -> None:
    assert sniff_type(SAMPLE) == "access"
    (table,) = list(partition(SAMPLE, "access"))
    assert isinstance(table, TableUnit)
    assert table.name == "table merchant_taylors"
    assert table.header == HEADER
    assert len(table.rows) == 20 and table.row_numbers == list(range(1, 21))
    assert table.rows[0][:4] == ["1", "Aaron", "William", "Redn."]
    assert table.rows[0][11] == "MF 324"
    assert [row[1] for row in table.rows[:4]] == ["Aaron", "Abbey", "Abbis", "Abbis"]


def test_a_long_table_is_chunked(monkeypatch) -> None:
    from breachscope.extract import _table

    monkeypatch.setattr(_table, "CHUNK_ROWS", 8)
    units = list(partition_access(SAMPLE))
    assert [len(u.rows) for u in units] == [8, 8, 4]
    assert {u.name for u in units} == {"table merchant_taylors"}
    assert [n for u in units for n in u.row_numbers] == list(range(1, 21))


def test_output_cap_keeps_what_was_read(monkeypatch) -> None:
    monkeypatch.setattr(access, "MAX_OUTPUT", 600)
    units = []
    with pytest.raises(PartialContent) as info:
        for unit in partition_access(SAMPLE):
            units.append(unit)
    assert 0 < sum(len(u.rows) for u in units) < 20
    assert "1 of 1 tables not read or cut (output over 600 bytes)" in str(info.value)


def test_time_limit(tmp_path: Path, monkeypatch) -> None:
    slow = tmp_path / "mdb-slow"
    slow.write_text("#!/bin/sh\nexec sleep 60\n")
    slow.chmod(0o755)
    monkeypatch.setattr(access, "mdbtools", lambda: (str(slow), str(slow)))
    monkeypatch.setattr(access, "TIMEOUT", 1)
    with pytest.raises(ExtractionError, match="timed out after 1 s"):
        list(partition_access(SAMPLE))


@pytest.mark.parametrize("damage", ["truncated", "header-only", "random"])
def test_damaged_database_fails_with_a_reason(tmp_path: Path, damage: str) -> None:
    import random

    data = SAMPLE.read_bytes()
    if damage == "truncated":
        data = data[:8192]
    elif damage == "header-only":
        data = data[:3000]
    else:
        rng = random.Random(3)
        data = data[:4096] + bytes(rng.randrange(256) for _ in range(20000))
    path = tmp_path / "abime.mdb"
    path.write_bytes(data)
    with pytest.raises(ExtractionError) as info:
        list(partition(path, "access"))
    message = str(info.value)
    assert message.startswith(("corrupt access", "access not read")), message
    assert "Aaron" not in message and "abime" not in message


def test_missing_mdbtools_is_a_reason(monkeypatch) -> None:
    monkeypatch.setattr(access, "mdbtools", lambda: None)
    with pytest.raises(ExtractionError, match="mdbtools is not installed"):
        list(partition_access(SAMPLE))


def test_truncated_database_is_partial_with_what_was_read(tmp_path: Path) -> None:
    """mdbtools reads a truncated file to its end and exits 0, saying so on stderr: the rows
    it gave are kept, the database is partial, not scanned."""
    path = tmp_path / "coupe.mdb"
    path.write_bytes(SAMPLE.read_bytes()[:100_000])
    units = []
    with pytest.raises(PartialContent) as info:
        for unit in partition_access(path):
            units.append(unit)
    assert "corrupt access: truncated" in str(info.value)
    (table,) = units
    assert table.header == HEADER  # the blank lines mdbtools printed first are skipped
    assert table.rows[0][:3] == ["1", "Aaron", "William"]
