from pathlib import Path

from breachscope.extract import text as text_module
from breachscope.extract.text import partition_text


def test_big_text_split_keeps_line_numbers(tmp_path: Path) -> None:
    lines = [f"ligne {i}" for i in range(1, 4501)]
    path = tmp_path / "big.log"
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    units = list(partition_text(path))
    assert [u.first_line for u in units] == [1, 2001, 4001]
    assert all(u.name == "" for u in units)
    for unit in units:
        for offset, line in enumerate(unit.text.split("\n")):
            if line:
                assert line == f"ligne {unit.first_line + offset}"
    assert units[2].text.split("\n")[499] == "ligne 4500"


def test_cp1252_text(tmp_path: Path) -> None:
    path = tmp_path / "cr.txt"
    path.write_bytes("Compte rendu\rPatiente: Mme Lefèvre, née le 02/03/1950\r".encode("cp1252"))
    (unit,) = list(partition_text(path))
    assert unit.text.split("\n")[1] == "Patiente: Mme Lefèvre, née le 02/03/1950"


def test_long_line_cut_into_units_with_same_line(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(text_module, "MAX_CHARS", 1000)
    path = tmp_path / "minified.txt"
    line = "".join(f"mot{i:04d} " for i in range(1000))
    path.write_text("intro\n" + line + "\nfin\n", encoding="utf-8")
    units = list(partition_text(path))
    assert units[0].text == "intro" and units[0].first_line == 1
    middle = [u for u in units if u.first_line == 2]
    assert len(middle) >= 4
    # Consecutive pieces overlap (256 characters): each starts inside the previous one.
    position = 0
    for unit in middle:
        start = line.find(unit.text)
        assert start != -1 and start <= position
        position = start + len(unit.text)
    assert position == len(line)
    assert units[-1].text.strip() == "fin" and units[-1].first_line == 3


def test_whitespace_only(tmp_path: Path) -> None:
    path = tmp_path / "blank.txt"
    path.write_text("\n  \n\n")
    assert list(partition_text(path)) == []
