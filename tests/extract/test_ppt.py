"""PowerPoint 97-2003 (.ppt) text: slides, notes, earlier versions, damaged and hostile
streams, on presentations built record by record (samples.office_more.ppt_streams)."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from samples.office import EMAIL, NIR, PHONE
from samples.office_more import (
    SHARED_DOCUMENTS,
    compound_file,
    make_ppt,
    ppt_streams,
)

from breachscope.extract.dispatch import partition
from breachscope.extract.passwords import using_passwords
from breachscope.extract.ppt import partition_ppt
from breachscope.extract.units import EncryptedContent, ExtractionError
from breachscope.ingest.sniff import sniff_type


def test_slides_notes_and_earlier_versions(tmp_path: Path) -> None:
    path = tmp_path / "staff.ppt"
    make_ppt(path)
    assert sniff_type(path) == "ppt"
    units = {u.name: u.text.split("\n") for u in partition(path, "ppt")}
    assert units == {
        "headers and footers": ["Service de cardiologie - 01 45 67 89 10"],
        "slide 1": ["Staff de cardiologie", "Patiente : DUPONT Jeanne, née le 12/03/1954",
                    f"NIR : {NIR}"],
        "slide 2": [f"Tél. : {PHONE}"],
        # The old slide 2 an incremental save left in the stream: its line that is gone.
        "slide 2 (earlier version)": ["Ancien numéro : 01 23 45 67 89"],
        "slide 1 notes": [f"Rappeler {EMAIL}"],
    }


def test_damaged_directory_falls_back_to_stream_order(tmp_path: Path) -> None:
    streams = ppt_streams()
    streams["Current User"] = b"\x00" * 40  # no pointer to the last edit
    path = tmp_path / "abime.ppt"
    path.write_bytes(compound_file(streams))
    units = [(u.name, u.text) for u in partition_ppt(path)]
    assert [name for name, _ in units] == ["slide 1", "slide 2", "notes 1", "slide 3"]
    text = "\n".join(t for _, t in units)
    assert NIR in text and PHONE in text and EMAIL in text


def test_encrypted_presentation(tmp_path: Path) -> None:
    path = tmp_path / "secret.ppt"
    make_ppt(path, encrypted=True)
    with pytest.raises(EncryptedContent, match=r"^ppt encrypted \(password protected\)$"):
        list(partition(path, "ppt"))
    with using_passwords([b"faux"]), pytest.raises(
            EncryptedContent, match=r"ppt encrypted .*; no known password opens it"):
        list(partition(path, "ppt"))


@pytest.mark.parametrize("attack", ["huge-length", "deep-nesting", "truncated", "edit-loop"])
def test_hostile_records_never_crash(tmp_path: Path, attack: str) -> None:
    streams = ppt_streams()
    stream = bytearray(streams["PowerPoint Document"])
    if attack == "huge-length":
        struct.pack_into("<I", stream, 4, 0xFFFFFFF0)  # the document claims 4 GiB
    elif attack == "deep-nesting":
        inner = b"\x00\x00\xa0\x0f\x04\x00\x00\x00" + "ok".encode("utf-16-le")
        for _ in range(5000):
            inner = struct.pack("<HHI", 0xF, 0xF00D, len(inner)) + inner
        stream += struct.pack("<HHI", 0xF, 0x03EE, len(inner)) + inner  # a slide, read in
        streams["Current User"] = bytes(40)  # stream order (no directory to follow)
    elif attack == "truncated":
        stream = stream[: len(stream) * 2 // 3]
    else:  # the last edit names itself as the previous one
        edit = len(stream) - 36  # the last record: the second user edit (8 + 28 bytes)
        struct.pack_into("<I", stream, edit + 16, edit)
    streams["PowerPoint Document"] = bytes(stream)
    path = tmp_path / f"{attack}.ppt"
    path.write_bytes(compound_file(streams))
    units = list(partition_ppt(path))  # no exception
    assert all(u.name for u in units)
    if attack == "deep-nesting":  # read to MAX_DEPTH, not beyond
        assert [u.name for u in units] == ["slide 1", "slide 2", "notes 1", "slide 3"]
    if attack == "edit-loop":
        assert any(NIR in u.text for u in units)


def test_not_a_presentation(tmp_path: Path) -> None:
    path = tmp_path / "faux.ppt"
    path.write_bytes(compound_file({"Autre": b"x" * 100}))
    with pytest.raises(ExtractionError, match="no PowerPoint Document stream"):
        list(partition_ppt(path))
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    with pytest.raises(ExtractionError, match="corrupt ppt"):
        list(partition_ppt(path))


def test_public_sample_when_present() -> None:
    path = SHARED_DOCUMENTS / "unstructured" / "example-docs" / "fake-power-point.ppt"
    if not path.exists():
        pytest.skip("shared test documents not present")
    units = {u.name: u.text for u in partition_ppt(path)}
    assert "Here is some text in a text box!" in units["slide 1"].split("\n")
