"""OneNote sections: paragraphs (UTF-16 and 8-bit), embedded files, damaged and looping
stores, on a section built node by node (samples.office_more.make_onenote)."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from samples.office import EMAIL, NIR, PHONE
from samples.office_more import _ONE_HEADER, make_onenote

from breachscope.extract import onenote
from breachscope.extract.dispatch import partition
from breachscope.extract.onenote import partition_onenote
from breachscope.extract.partial import PartialContent
from breachscope.extract.units import ExtractionError
from breachscope.ingest.sniff import sniff_type

_ROOT = struct.calcsize(_ONE_HEADER)  # offset of fcrFileNodeListRoot in the header


def test_paragraphs_and_embedded_files(tmp_path: Path) -> None:
    path = tmp_path / "Patients.one"
    make_onenote(path)
    assert sniff_type(path) == "onenote"
    units = list(partition(path, "onenote"))
    texts = [u for u in units if u.kind == "text"]
    files = [u for u in units if u.kind == "embedded"]
    assert [u.text.split("\n") for u in texts] == [[
        "Patiente : DUPONT Jeanne, née le 12/03/1954",
        f"Tél. : {PHONE}",
        f"NIR {NIR} - {EMAIL}",  # stored 8-bit (TextExtendedAscii)
    ]]
    assert [f.name for f in files] == ["file1.png"]
    assert b"".join(files[0].chunks()).startswith(b"\x89PNG")


def _recovered(path: Path) -> tuple[str, str]:
    units = []
    with pytest.raises(PartialContent) as info:
        for unit in partition_onenote(path):
            units.append(unit)
    return "\n".join(u.text for u in units), str(info.value)


def test_damaged_store_is_scanned_and_partial(tmp_path: Path) -> None:
    path = tmp_path / "abime.one"
    make_onenote(path)
    data = bytearray(path.read_bytes())
    struct.pack_into("<QI", data, _ROOT, len(data) + 4096, 512)  # the root list past the end
    path.write_bytes(bytes(data))
    text, reason = _recovered(path)
    assert "DUPONT Jeanne" in text and PHONE in text and NIR in text
    assert reason.startswith("onenote structure not read (") and NIR not in reason


def test_a_looping_store_ends(tmp_path: Path) -> None:
    """A fragment whose next fragment is itself: pyOneNote would loop for ever; the bounded
    reader stops it."""
    path = tmp_path / "boucle.one"
    make_onenote(path)
    data = bytearray(path.read_bytes())
    struct.pack_into("<QI", data, 1024 + 512 - 20, 1024, 512)
    path.write_bytes(bytes(data))
    text, reason = _recovered(path)
    assert "read limit reached" in reason
    assert NIR in text


def test_oversized_section_is_refused(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "gros.one"
    make_onenote(path)
    monkeypatch.setattr(onenote, "MAX_FILE", 1000)
    with pytest.raises(ExtractionError, match="onenote refused"):
        list(partition_onenote(path))
