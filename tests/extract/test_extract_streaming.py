"""Streamed extraction: chunked tables, lazy reading, bounded memory, long lines and cells."""

from __future__ import annotations

import inspect
import json
import re
import tracemalloc
from pathlib import Path

import openpyxl
import pytest

from breachscope.detect.dispatch import StreamingDetector
from breachscope.extract import jsonfile
from breachscope.extract import text as text_module
from breachscope.extract.dispatch import CHUNK_ROWS, PARTITIONERS, partition
from breachscope.extract.units import ExtractionError, TableUnit, TextUnit


def make_nir(first13: str) -> str:
    return f"{first13}{97 - int(first13) % 97:02d}"


NIRS = [make_nir(f"1850275{i:06d}") for i in range(1, 30)]


def _csv(path: Path, rows: int) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("Export du 12/02/2024\n\nNOM;PRENOM;NIR;TEL\n")
        for i in range(rows):
            handle.write(f"NOM{i};Prénom{i};{NIRS[i % len(NIRS)]};06{i % 100_000_000:08d}\n")
    return path


def test_csv_50k_rows_in_three_chunks(tmp_path: Path) -> None:
    units = partition(_csv(tmp_path / "big.csv", 50_000), "csv")
    assert inspect.isgenerator(units)
    units = list(units)
    assert isinstance(units[0], TextUnit) and units[0].text.startswith("Export du")
    tables = [u for u in units if isinstance(u, TableUnit)]
    assert [len(t.rows) for t in tables] == [CHUNK_ROWS, CHUNK_ROWS, 50_000 - 2 * CHUNK_ROWS]
    assert {tuple(t.header) for t in tables} == {("NOM", "PRENOM", "NIR", "TEL")}
    assert {t.name for t in tables} == {""}
    numbers = [n for t in tables for n in t.row_numbers]
    assert numbers == list(range(4, 50_004))  # physical lines: 3 title/header lines first
    assert tables[1].rows[0][0] == f"NOM{CHUNK_ROWS}"
    assert tables[2].row_numbers[-1] == 50_003 and tables[2].rows[-1][0] == "NOM49999"


def test_csv_is_read_lazily(tmp_path: Path) -> None:
    """The first chunk comes out before the end of the file is read: the file's tail is
    rewritten after the first unit and the later chunks see the new tail."""
    path = _csv(tmp_path / "lazy.csv", 50_000)
    units = partition(path, "csv")
    first = next(units)
    assert isinstance(first, TextUnit)
    first_table = next(units)
    assert len(first_table.rows) == CHUNK_ROWS
    data = path.read_bytes()
    last = data.rindex(b"\nNOM49999;") + 1
    assert last > 2 * 1024 * 1024  # beyond the blocks read so far
    path.write_bytes(data[:last] + b"CORRUPT\xff\x00\x01;;\n")  # a corrupt tail
    rest = list(units)
    assert rest[-1].rows[-1][0].startswith("CORRUPT")
    assert sum(len(t.rows) for t in rest) == 50_000 - CHUNK_ROWS


@pytest.mark.slow
def test_xlsx_chunks_per_sheet(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Patients")
    sheet.append(["NOM", "NIR"])
    for i in range(CHUNK_ROWS + 5):
        sheet.append([f"NOM{i}", NIRS[i % len(NIRS)]])
    path = tmp_path / "big.xlsx"
    workbook.save(path)
    tables = [u for u in partition(path, "xlsx") if isinstance(u, TableUnit)]
    assert [len(t.rows) for t in tables] == [CHUNK_ROWS, 5]
    assert {(t.name, tuple(t.header)) for t in tables} == {("sheet Patients", ("NOM", "NIR"))}
    assert tables[1].row_numbers == list(range(CHUNK_ROWS + 2, CHUNK_ROWS + 7))


@pytest.mark.slow
def test_64mb_one_line_file_bounded_memory_nirs_at_cuts(tmp_path: Path) -> None:
    """A 64 MiB line without spaces is cut every MAX_CHARS characters, pieces overlapping by
    OVERLAP: piece k starts at k * (MAX_CHARS - OVERLAP). A NIR straddling each cut, and one
    lying in an overlap (so in two pieces), are each found exactly once."""
    size = 64 * 2**20
    step = text_module.MAX_CHARS - text_module.OVERLAP
    cuts = [k * step + text_module.MAX_CHARS for k in (0, 1, 2, 30, 60)]
    placed: dict[int, str] = {}
    for i, cut in enumerate(cuts):
        placed[cut - 7] = NIRS[2 * i]  # across the cut
        placed[cut - 100] = NIRS[2 * i + 1]  # inside the overlap: in both pieces
    path = tmp_path / "one-line.txt"
    filler = "abcdefghij" * 6553
    with path.open("w", encoding="ascii") as handle:
        position = 0
        for start in sorted(placed):
            while position < start - 1:
                piece = filler[: start - 1 - position]
                handle.write(piece)
                position += len(piece)
            handle.write(f";{placed[start]};")
            position += 17
        while position < size:
            piece = filler[: size - position]
            handle.write(piece)
            position += len(piece)
    assert path.stat().st_size == size

    detector = StreamingDetector()
    found = []
    pieces = 0
    tracemalloc.start()
    try:
        for unit in partition(path, "text"):
            pieces += 1
            assert isinstance(unit, TextUnit) and unit.first_line == 1
            assert len(unit.text) <= text_module.MAX_CHARS
            if re.search(r"\d", unit.text):
                found.extend(f for f in detector.detect(unit).findings if f.entity == "NIR")
            else:  # filler only: nothing to find (detection of 64 MB of letters is slow)
                detector.detect(TextUnit("", unit.name, unit.first_line))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 40 * 2**20, peak
    assert pieces == -(-(size - text_module.OVERLAP) // step)
    assert sorted(f.value for f in found) == sorted(placed.values())
    assert {f.location for f in found} == {"line 1"}


def test_csv_with_a_1mb_cell_holding_a_nir(tmp_path: Path) -> None:
    nir = NIRS[0]
    cell = "x" * 500_000 + f" {nir} " + "y" * 500_000
    path = tmp_path / "cell.csv"
    path.write_text(f'NOM;NOTE;TEL\nDUPONT;"{cell}";0612345678\nMARTIN;ok;0698765432\n',
                    encoding="utf-8")
    units = list(partition(path, "csv"))
    (table,) = [u for u in units if isinstance(u, TableUnit)]
    assert table.header == ["NOM", "NOTE", "TEL"]
    assert table.rows == [["MARTIN", "ok", "0698765432"]] and table.row_numbers == [3]
    detector = StreamingDetector()
    findings = [f for u in units for f in detector.detect(u).findings]
    assert [(f.value, f.location) for f in findings if f.entity == "NIR"] == [(nir, "line 2")]


def test_csv_gigantic_unquoted_line_read_as_text_table_goes_on(tmp_path: Path) -> None:
    nir = NIRS[1]
    line = ";".join(["abc"] * 400_000) + f";{nir}"
    path = tmp_path / "giant.csv"
    path.write_text(f"NOM;TEL\nA;0612345678\n{line}\nB;0698765432\n", encoding="utf-8")
    units = list(partition(path, "csv"))
    (table,) = [u for u in units if isinstance(u, TableUnit)]
    assert table.rows == [["A", "0612345678"], ["B", "0698765432"]]
    assert table.row_numbers == [2, 4]
    texts = [u for u in units if isinstance(u, TextUnit)]
    assert texts and {u.first_line for u in texts} == {3}
    assert nir in texts[-1].text


def test_json_too_large_is_refused_then_read_as_text(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(jsonfile, "MAX_JSON_BYTES", 1000)
    path = tmp_path / "big.json"
    path.write_text(json.dumps([{"nom": f"NOM{i}", "nir": NIRS[0]} for i in range(100)]))
    too_large = r"^JSON file too large to parse \(0 MB > 0 MB\)$"
    with pytest.raises(jsonfile.JSONTooLarge, match=too_large):
        list(jsonfile.partition_json(path))
    units = list(partition(path, "json"))
    assert units and all(isinstance(u, TextUnit) for u in units)
    assert NIRS[0] in units[0].text


def test_json_tables_are_chunked(tmp_path: Path) -> None:
    path = tmp_path / "many.json"
    path.write_text(json.dumps([{"nom": f"N{i}"} for i in range(CHUNK_ROWS + 3)]))
    tables = list(partition(path, "json"))
    assert [len(t.rows) for t in tables] == [CHUNK_ROWS, 3]
    assert tables[1].row_numbers == [CHUNK_ROWS + 1, CHUNK_ROWS + 2, CHUNK_ROWS + 3]


def test_error_in_the_middle_of_the_stream_is_an_extraction_error(tmp_path: Path,
                                                                  monkeypatch) -> None:
    def broken(path: Path):
        yield TextUnit("ok")
        raise ValueError("DUPONT 185027512345678")  # a message quoting content

    monkeypatch.setitem(PARTITIONERS, "csv", broken)
    units = partition(tmp_path / "x.csv", "csv")
    assert next(units).text == "ok"
    with pytest.raises(ExtractionError) as info:
        next(units)
    assert str(info.value) == "cannot parse csv: ValueError"


def test_text_encoding_guessed_past_an_ascii_head(tmp_path: Path) -> None:
    path = tmp_path / "late.txt"
    path.write_bytes(b"ligne ascii\n" * 20_000 + "Hélène Lefèvre\n".encode("cp1252"))
    units = list(partition(path, "text"))
    assert units[-1].text.rstrip().endswith("Hélène Lefèvre")


def test_stream_segments_line_breaks_across_chunks() -> None:
    from breachscope.extract.stream import segments

    chunks = ["a\r", "\nb\r", "c\n", "\r", "", "d"]
    assert [s for s, ended in segments(chunks) if ended] == ["a", "b", "c", "", "d"]
