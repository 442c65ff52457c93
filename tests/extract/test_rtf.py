"""RTF extraction through striprtf."""

from __future__ import annotations

from pathlib import Path

import pytest
from samples.office import NIR, make_rtf

from breachscope.extract import rtf
from breachscope.extract.rtf import partition_rtf
from breachscope.extract.units import ExtractionError
from breachscope.ingest.sniff import sniff_type


def test_sample_lines(tmp_path: Path) -> None:
    path = tmp_path / "lettre.rtf"
    make_rtf(path)
    assert sniff_type(path) == "rtf"
    (unit,) = list(partition_rtf(path))
    assert (unit.name, unit.first_line) == ("", 1)
    lines = unit.text.split("\n")
    assert lines[2] == "Patiente : DUPONT Jeanne, née le 12/03/1954"  # line 3
    assert lines[3] == f"NIR : {NIR}"  # \line starts a new line
    assert lines[4] == "Tél. : 06 12 34 56 78"  # \u233 decoded
    assert "Secrétariat" not in unit.text and "Test;" not in unit.text  # \info, \*\generator


def test_pictures_and_objects_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "image.rtf"
    path.write_bytes(b"{\\rtf1\\ansi Avant\\par{\\pict\\pngblip " + b"89504e47" * 1000
                     + b"}{\\object\\objemb{\\*\\objdata 01050000}}Apr\\'e8s\\par}")
    (unit,) = list(partition_rtf(path))
    assert unit.text.split("\n")[:2] == ["Avant", "Après"]


def test_large_file_is_streamed_as_text(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(rtf, "MAX_RTF_BYTES", 100)
    path = tmp_path / "grand.rtf"
    path.write_bytes(b"{\\rtf1\\ansi\n" + b"x\\par\n" * 50 + b"NIR " + NIR.encode() + b"\\par\n}")
    units = list(partition_rtf(path))
    assert any(NIR in u.text for u in units)


def test_not_rtf_fails_and_truncated_keeps_what_was_read(tmp_path: Path) -> None:
    path = tmp_path / "faux.rtf"
    path.write_bytes(b"\x00\x01 pas du RTF")
    with pytest.raises(ExtractionError, match="corrupt rtf"):
        list(partition_rtf(path))
    cut = tmp_path / "coupe.rtf"
    make_rtf(cut)
    cut.write_bytes(cut.read_bytes()[:200])
    units = list(partition_rtf(cut))
    assert "DUPONT" in units[0].text
