"""Plain CSV blocks read by Arrow's CSV reader (``extract/_arrow_table.py``, issue 15) give
exactly the units of the Python split: same rows, cells, line numbers, chunk boundaries and
text units, whatever the blocks hold (padded cells, non-ASCII blanks, ragged or blank lines,
all-empty rows, over-long lines, CRLF, no final newline); and detection reads an
:class:`ArrowTableUnit` as it reads a ``TableUnit`` of the same cells."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from breachscope.detect.dispatch import StreamingDetector
from breachscope.extract import _table, delimited, stream
from breachscope.extract._arrow_table import PY_WHITESPACE, ArrowTableUnit
from breachscope.extract.delimited import partition_delimited

_BLANKS = [" ", "\t", "\xa0", "\u3000", "\x1f", "\u2009"]


def _cell(rng: random.Random, padded: bool) -> str:
    cell = rng.choice(["Hélène", "DUPONT", "Zoé", "", "12/03/1950", "0612345678", "612345678",
                       "a b", "NULL", "x" * rng.randint(1, 30), "jean.dupont@exemple.fr",
                       "1 84 12 75 108 042 67", "Appelé le 06 12 34 56 78"])
    if padded and rng.random() < 0.2:
        cell = rng.choice(_BLANKS) + cell + rng.choice(["", *_BLANKS])
    return cell


def _csv(rng: random.Random) -> tuple[str, str]:
    delimiter = rng.choice([";", ",", "\t", "|"])
    newline = rng.choice(["\n", "\r\n"])
    width = rng.randint(2, 6)
    header = ["NOM", "PRENOM", "TEL", "COMMENTAIRE", "DATE_NAISS", "NIR"][:width]
    lines = ["Extraction du 11/02/2024", ""] if rng.random() < 0.5 else []
    lines.append(delimiter.join(header))
    padded = rng.random() < 0.5
    ragged = rng.random() < 0.3  # some rows one cell short or long
    for _ in range(rng.randint(300, 900)):
        n_cells = rng.choice([width - 1, width + 1]) if ragged and rng.random() < 0.05 \
            else width
        line = delimiter.join(_cell(rng, padded) for _ in range(n_cells))
        roll = rng.random()
        if roll < 0.01:
            line = delimiter.join(["y" * rng.randint(1100, 2500)] * 2)  # past the line limit
        elif roll < 0.03:
            line = delimiter * (width - 1)  # an all-empty row: no data row, still a line
        elif roll < 0.04:
            lines.append("")  # a blank line
        lines.append(line)
    text = newline.join(lines)
    return (text if rng.random() < 0.3 else text + newline), delimiter


def _read(path: Path, monkeypatch: pytest.MonkeyPatch, arrow: bool) -> list:
    with monkeypatch.context() as patch:
        if not arrow:
            patch.setattr(delimited, "_arrow_rows", lambda *args: None)
        return list(partition_delimited(path))


def _plain(units: list) -> list:
    """Units as plain values (an ArrowTableUnit as the TableUnit fields it reads as)."""
    return [("table", u.name, u.header, [list(r) for r in u.rows], list(u.row_numbers))
            if u.kind == "table" else (u.kind, u.name, u.text, u.first_line) for u in units]


def test_str_strip_whitespace_is_what_arrow_trims() -> None:
    assert set(PY_WHITESPACE) == {chr(i) for i in range(0x110000) if chr(i).isspace()}


@pytest.mark.parametrize("seed", range(30))
def test_arrow_blocks_read_what_the_python_split_reads(
        seed: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(seed)
    path = tmp_path / "export.csv"
    text, _delimiter = _csv(rng)
    path.write_text(text, encoding=rng.choice(["utf-8", "cp1252"]) if all(
        b not in text for b in ("\u3000", "\u2009", "\x1f")) else "utf-8", newline="")
    monkeypatch.setattr(stream, "BLOCK_BYTES", rng.choice([257, 4096, 1 << 20]))
    monkeypatch.setattr(stream, "SEGMENT_CHARS", 700)
    monkeypatch.setattr(delimited, "MAX_LINE_CHARS", 2000)
    monkeypatch.setattr(_table, "CHUNK_ROWS", rng.choice([50, 173, 20_000]))
    monkeypatch.setattr(_table, "CHUNK_CHARS", rng.choice([900, 5000, 16 << 20]))
    with_arrow = _read(path, monkeypatch, arrow=True)
    without = _read(path, monkeypatch, arrow=False)
    assert _plain(with_arrow) == _plain(without)
    assert not any(isinstance(u, ArrowTableUnit) for u in without)


def test_a_plain_export_is_read_by_arrow(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    rows = [f"DUPONT{i} ; Marie\xa0;0612345678;;" for i in range(3000)]
    path.write_text("NOM;PRENOM;TEL;A;B\r\n" + "\r\n".join(rows) + "\r\n;;;;\r\nX;Y;Z;;\r\n",
                    encoding="utf-8")
    units = list(partition_delimited(path))
    assert [type(u).__name__ for u in units] == ["ArrowTableUnit"]
    table = units[0]
    assert len(table.rows) == 3001
    assert table.rows[0] == ["DUPONT0", "Marie", "0612345678", "", ""]
    assert table.rows[-1] == ["X", "Y", "Z", "", ""]
    assert table.row_numbers[-2:] == [3001, 3003]  # the all-empty line 3002 is no row
    assert table.column(1)[:2] == ["Marie", "Marie"]


def _detected(path: Path, monkeypatch: pytest.MonkeyPatch, arrow: bool) -> tuple:
    detector = StreamingDetector()
    findings, records, row_keys = [], [], []
    for unit in _read(path, monkeypatch, arrow):
        result = detector.detect(unit)
        findings += [(f.location, f.entity, f.value, f.confidence, f.detector)
                     for f in result.findings]
        records += [repr(r) for r in result.records]
        row_keys += result.row_keys
    return sorted(findings), sorted(records), sorted(row_keys)


def test_detection_of_arrow_units_is_that_of_list_units(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Across chunks (the labels and their memo kept from the first), phones stored without
    their 0 (restored per chunk), a free-text column, a key column, placeholders."""
    rng = random.Random(7)
    names = ["DUPONT", "MARTIN", "Héloïse", "NULL", "", "  Zoé "]
    lines = ["IPP;NOM;PRENOM;TEL;COMMENTAIRE;DATE_NAISS"]
    for i in range(2500):
        phone = rng.choice(["612345678", "0612345678", "06 12 34 56 78", "NULL", ""])
        note = rng.choice(["", "rappeler au 0612345678", "RAS", "mail: jean.dupont@exemple.fr"])
        lines.append(f"{100000 + i % 700};{rng.choice(names)};Marie;{phone};{note};"
                     f"{rng.randint(1, 28):02d}/0{rng.randint(1, 9)}/19{rng.randint(30, 99)}")
    path = tmp_path / "patients.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr(stream, "BLOCK_BYTES", 4096)
    monkeypatch.setattr(_table, "CHUNK_ROWS", 700)
    assert any(isinstance(u, ArrowTableUnit) for u in _read(path, monkeypatch, arrow=True))
    with_arrow = _detected(path, monkeypatch, arrow=True)
    without = _detected(path, monkeypatch, arrow=False)
    assert with_arrow == without
    findings, records, row_keys = with_arrow
    assert len(findings) > 5000 and len(records) > 1000 and len(row_keys) == 2500


def test_wider_and_narrower_blocks_after_the_first_chunk(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The width is fixed by the first chunk: a later Arrow block with more cells gives
    text units for its extra non-empty cells, one with fewer is padded, as list rows are."""
    lines = ["NOM;PRENOM;TEL"] + [f"DUPONT{i};Marie;0612345678" for i in range(400)]
    lines += [f"MARTIN{i};Paul;0612345679;{'extra' if i % 3 else ''};" for i in range(400)]
    lines += [f"DURAND{i};Zoé" for i in range(400)]
    path = tmp_path / "export.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr(stream, "BLOCK_BYTES", 2048)
    monkeypatch.setattr(_table, "CHUNK_ROWS", 300)
    with_arrow = _read(path, monkeypatch, arrow=True)
    without = _read(path, monkeypatch, arrow=False)
    assert _plain(with_arrow) == _plain(without)
    assert any(isinstance(u, ArrowTableUnit) for u in with_arrow)
    texts = [u for u in with_arrow if u.kind == "text"]
    assert len(texts) == 266 and texts[0].text == "extra"
    assert with_arrow[-1].rows[-1] == ["DURAND399", "Zoé", ""]


def test_an_arrow_unit_pickles_and_copies_as_itself() -> None:
    import copy
    import pickle

    import pyarrow as pa

    unit = ArrowTableUnit(["A", "B"], [pa.array(["x", "y"]), pa.array(["", "z"])], "t",
                          pa.array([2, 5], pa.int64()))
    for other in (pickle.loads(pickle.dumps(unit)), copy.copy(unit), copy.deepcopy(unit)):
        assert isinstance(other, ArrowTableUnit)
        assert other.rows == [["x", ""], ["y", "z"]] and other.row_numbers == [2, 5]
        assert other == unit and len(other.rows) == 2
