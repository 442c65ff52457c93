"""Zip attacks on the directory itself: overlapping entries (Fifield's "better zip bomb") and
local headers that disagree with the central directory."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from samples.hostile_archives import overlapping_zip, tampered_zip

from breachscope.ingest.archives import ByteBudget, Member, iter_members

CSV_A = b"nom;prenom;nir\nDUPONT;Marie;285027512345678\n" * 20
CSV_B = b"nom;prenom;nir\nMARTIN;Paul;185057512345612\n" * 20
CSV_C = b"nom;prenom\nBERNARD;Lea\n" * 20


def read_all(member: Member) -> bytes:
    return b"".join(member.chunks())


def test_fifield_overlapping_bomb_is_refused_entry_by_entry(tmp_path: Path) -> None:
    data = overlapping_zip(n_files=1200, kernel_bytes=1 << 20)
    assert len(data) < 110_000
    # The attack is real: a reader that does not look for overlaps gets 1.2 GiB of valid,
    # CRC-correct members out of 108 KB.
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert sum(i.file_size for i in zf.infolist()) > 1 << 30
        assert zf.read("0600").startswith(b"PK\x03\x04")
    path = tmp_path / "overlap.zip"
    path.write_bytes(data)
    budget = ByteBudget(1 << 40)
    found = list(iter_members(path, "zip", budget=budget))
    assert len(found) == 1200
    assert all(m.status == "failed" and m.reason.startswith("entry overlaps another entry")
               for m in found)
    assert budget.used == 0  # nothing inflated


def test_overlap_is_found_whatever_the_directory_order(tmp_path: Path) -> None:
    """Two honest members and one entry whose range covers the second one's local header,
    listed last: only the two overlapping entries are refused."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("a.csv", CSV_A)
        zf.writestr("b.csv", CSV_B)
        zf.writestr("c.csv", CSV_C)
    data = bytearray(buf.getvalue())
    # Grow a.csv's compressed size in both headers so that it runs into b.csv's local header.
    import struct

    cd = data.find(b"PK\x01\x02")
    struct.pack_into("<L", data, 18, len(CSV_A) + 40)  # local header of a.csv
    struct.pack_into("<L", data, cd + 20, len(CSV_A) + 40)  # its directory entry
    path = tmp_path / "partial_overlap.zip"
    path.write_bytes(bytes(data))
    found = {m.name: m for m in iter_members(path, "zip")}
    assert found["a.csv"].status == found["b.csv"].status == "failed"
    assert "overlaps" in found["a.csv"].reason and "overlaps" in found["b.csv"].reason
    assert found["c.csv"].status == "ok" and read_all(found["c.csv"]) == CSV_C


@pytest.mark.parametrize(("field", "value", "word"), [
    ("name", b"x.csv", "member name"),
    ("method", 0, "compression method"),
    ("crc", 0x12345678, "CRC or sizes"),
    ("usize", 10, "CRC or sizes"),
    ("csize", 10, "CRC or sizes"),
    ("flags", 1, "encryption"),
])
def test_local_header_disagreeing_with_the_directory_fails_alone(
        tmp_path: Path, field: str, value: object, word: str) -> None:
    members = {"a.csv": CSV_A, "b.csv": CSV_B, "c.csv": CSV_C}
    path = tmp_path / f"mismatch_{field}.zip"
    path.write_bytes(tampered_zip(members, "b.csv", field, value))
    found = {m.name: m for m in iter_members(path, "zip")}
    assert found["b.csv"].status == "failed"
    assert found["b.csv"].reason == f"local header and directory disagree on the {word}; not read"
    assert read_all(found["a.csv"]) == CSV_A and read_all(found["c.csv"]) == CSV_C


def test_data_descriptor_members_are_not_mismatches(tmp_path: Path) -> None:
    """Sizes and CRC in a data descriptor (zip written to a pipe): zeros in the local header
    are expected, not a disagreement."""

    class Pipe(io.RawIOBase):
        def __init__(self) -> None:
            self.data = bytearray()

        def writable(self) -> bool:
            return True

        def write(self, b) -> int:  # type: ignore[override]
            self.data += b
            return len(b)

    pipe = Pipe()
    with (zipfile.ZipFile(pipe, "w", zipfile.ZIP_DEFLATED) as zf,  # type: ignore[arg-type]
          zf.open("a.csv", "w") as fh):
        fh.write(CSV_A)
    assert pipe.data[6] & 0x08  # the sizes really are in a data descriptor
    path = tmp_path / "streamed.zip"
    path.write_bytes(bytes(pipe.data))
    [member] = iter_members(path, "zip")
    assert member.status == "ok" and read_all(member) == CSV_A
