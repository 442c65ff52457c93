"""The fast path of the delimited reader (plain blocks split with ``str.split``) reads exactly
what the generic CSV reader reads: same units, rows, cells and line numbers, whatever the file
holds after the head (quotes, lone ``\\r``, CRLF, blank lines, over-long lines, a missing final
line break) and wherever the blocks are cut."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from breachscope.extract import delimited, stream
from breachscope.extract.delimited import partition_delimited


def _cell(rng: random.Random, delimiter: str, plain: bool, padded: bool) -> str:
    kind = rng.random()
    if plain or kind < 0.7:
        return rng.choice([" Hélène " if padded else "Hélène", "DUPONT", "Zoé", "",
                           "12/03/1950", "0612345678", "a b", "x" * rng.randint(1, 30)])
    if kind < 0.8:
        return f'"a{delimiter}b ""q"" c"'
    if kind < 0.9:
        return '"line one\nline two"'
    return '="0612"'


def _csv(rng: random.Random) -> str:
    delimiter = rng.choice([";", ",", "\t", "|"])
    newline = rng.choice(["\n", "\r\n"])
    width = rng.randint(2, 6)
    lines = []
    if rng.random() < 0.5:
        lines += ["Extraction du 11/02/2024", ""]
    lines.append(delimiter.join(f"COL{i}" for i in range(width)))
    n_rows = rng.randint(150, 400)
    padded = rng.random() < 0.5  # cells to trim (else only inner blanks)
    dirty_from = rng.randint(0, n_rows * 2)  # quotes and oddities from this row on, maybe never
    for r in range(n_rows):
        plain = r < dirty_from
        n_cells = rng.choice([width, width, width - 1, width + 1])
        cells = [_cell(rng, delimiter, plain, padded) for _ in range(n_cells)]
        line = delimiter.join(cells)
        if not plain and rng.random() < 0.05:
            line += "\r" + delimiter.join(cells)  # a lone CR: two lines for the reader
        if rng.random() < 0.03:
            line = delimiter.join(["y" * rng.randint(1100, 2500)] * 2)  # past the line limit
        if rng.random() < 0.05:
            lines.append("")
        lines.append(line)
    text = newline.join(lines)
    return text if rng.random() < 0.3 else text + newline


@pytest.mark.parametrize("seed", range(40))
def test_the_fast_path_reads_what_the_generic_reader_reads(
        seed: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(seed)
    path = tmp_path / "export.csv"
    path.write_text(_csv(rng), encoding=rng.choice(["utf-8", "cp1252"]), newline="")
    monkeypatch.setattr(stream, "BLOCK_BYTES", rng.choice([61, 257, 4096, 1 << 20]))
    monkeypatch.setattr(stream, "SEGMENT_CHARS", 700)
    monkeypatch.setattr(delimited, "MAX_LINE_CHARS", 2000)
    fast = list(partition_delimited(path))
    monkeypatch.setattr(delimited, "_plain_rows", delimited._generic_after)
    generic = list(partition_delimited(path))
    assert fast == generic
    assert sum(len(u.rows) for u in fast if u.kind == "table") > 100


def test_a_plain_export_takes_the_fast_path(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "export.csv"
    rows = [f"DUPONT{i};Marie;0612345678" for i in range(1000)]
    path.write_text("NOM;PRENOM;TEL\r\n" + "\r\n".join(rows) + "\r\n", encoding="utf-8")
    generic_rows: list[int] = []
    records = delimited._records

    def counted(feed, delimiter):  # type: ignore[no-untyped-def]
        for item in records(feed, delimiter):
            generic_rows.append(1)
            yield item

    monkeypatch.setattr(delimited, "_records", counted)
    units = list(partition_delimited(path))
    assert sum(len(u.rows) for u in units) == 1000
    assert units[-1].rows[-1] == ["DUPONT999", "Marie", "0612345678"]
    assert units[-1].row_numbers[-1] == 1001
    assert len(generic_rows) < 100  # the head only; the rest split in bulk


def test_needs_trim_says_when_a_cell_has_blanks_at_an_end() -> None:
    rng = random.Random(1)
    alphabet = ["a", "é", " ", "\t", "\xa0", "\u3000", "\x1f", ";", ",", "\n", "b"]
    for _ in range(3000):
        delimiter = rng.choice([";", ",", "\t"])
        block = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))
        cells = [c for line in block.split("\n") for c in line.split(delimiter)]
        expected = any(c != c.strip() for c in cells)
        found = delimited._needs_trim(block, delimiter)
        # Never a cell left untrimmed; exact on ASCII (any non-ASCII blank: trimmed anyway).
        assert found if expected else (not found or not block.isascii()), (block, delimiter)
