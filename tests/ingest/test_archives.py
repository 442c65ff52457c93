"""Archives read as streams, with the hostile-input limits checked while streaming.

Every archive is generated here; the bombs are crafted (a deflate block of 1 MiB of zeros,
repeated) so that building a "3 GB" member takes milliseconds.
"""

import bz2
import gzip
import io
import lzma
import struct
import subprocess
import tarfile
import zipfile
import zlib
from pathlib import Path

import pytest
import pyzipper
from noise import noise

from breachscope.ingest.archives import (
    ARCHIVE_TYPES,
    ArchiveError,
    ArchiveLimits,
    ByteBudget,
    LimitExceeded,
    Member,
    iter_members,
    load_passwords,
)
from breachscope.ingest.sniff import sniff_type

CSV = b"nom;prenom;nir\nDUPONT;Marie;285027512345678\n"
MiB = 1 << 20
GiB = 1 << 30


# -- helpers ---------------------------------------------------------------------------------


def make_zip(entries: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def read_all(member: Member) -> bytes:
    return b"".join(member.chunks())


def members(path: Path, file_type: str, **kwargs) -> dict[str, Member]:
    return {m.name: m for m in iter_members(path, file_type, **kwargs)}


def zeros_deflate(n_mib: int, *, wbits: int = -15, prefix: bytes = b"") -> bytes:
    """A deflate stream of ``prefix`` + ``n_mib`` MiB of zeros, built from one repeated block
    (a full flush resets the compressor, so every 1 MiB block compresses the same)."""
    c = zlib.compressobj(9, zlib.DEFLATED, wbits)
    head = c.compress(prefix) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(bytes(MiB)) + c.flush(zlib.Z_FULL_FLUSH)
    return head + block * n_mib + c.flush()


class RawZip:
    """Writes a zip with precompressed member data (zipfile cannot)."""

    def __init__(self) -> None:
        self.out = io.BytesIO()
        self.central: list[bytes] = []

    def add(self, name: str, data: bytes, *, method: int, crc: int, usize: int,
            flags: int = 0, mode: int = 0o100644) -> None:
        raw_name = name.encode()
        offset = self.out.tell()
        self.out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, flags, method, 0, 0x21,
                                   crc, len(data), usize, len(raw_name), 0))
        self.out.write(raw_name + data)
        self.central.append(struct.pack(
            "<4s6H3L5H2L", b"PK\x01\x02", (3 << 8) | 20, 20, flags, method, 0, 0x21, crc,
            len(data), usize, len(raw_name), 0, 0, 0, 0, mode << 16, offset) + raw_name)

    def bytes(self) -> bytes:
        cd_offset = self.out.tell()
        cd = b"".join(self.central)
        self.out.write(cd)
        self.out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(self.central),
                                   len(self.central), len(cd), cd_offset, 0))
        return self.out.getvalue()


def zipcrypto_encrypt(data: bytes, password: bytes, crc: int) -> bytes:
    """Traditional PKWARE encryption, written independently of the code under test."""
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0xEDB88320 if c & 1 else c >> 1
        table.append(c)
    keys = [0x12345678, 0x23456789, 0x34567890]

    def update(byte: int) -> None:
        keys[0] = (keys[0] >> 8) ^ table[(keys[0] ^ byte) & 0xFF]
        keys[1] = ((keys[1] + (keys[0] & 0xFF)) * 134775813 + 1) & 0xFFFFFFFF
        keys[2] = (keys[2] >> 8) ^ table[(keys[2] ^ (keys[1] >> 24)) & 0xFF]

    for byte in password:
        update(byte)
    out = bytearray()
    for plain in noise(11, seed=6001) + bytes([crc >> 24]) + data:
        k = keys[2] | 2
        out.append(plain ^ (((k * (k ^ 1)) >> 8) & 0xFF))
        update(plain)
    return bytes(out)


def zipcrypto_zip(entries: dict[str, bytes], password: bytes) -> bytes:
    raw = RawZip()
    for name, data in entries.items():
        c = zlib.compressobj(6, zlib.DEFLATED, -15)
        packed = c.compress(data) + c.flush()
        crc = zlib.crc32(data)
        raw.add(name, zipcrypto_encrypt(packed, password, crc), method=8, crc=crc,
                usize=len(data), flags=0x1)
    return raw.bytes()


def tar_bytes(entries: list[tuple[tarfile.TarInfo, bytes | None]], mode: str = "w") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tf:
        for info, data in entries:
            if data is not None:
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
            else:
                tf.addfile(info)
    return buf.getvalue()


def tar_info(name: str, kind: bytes = tarfile.REGTYPE, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    return info


def hostile_tar() -> list[tuple[tarfile.TarInfo, bytes | None]]:
    return [
        (tar_info("data", tarfile.DIRTYPE), None),
        (tar_info("data/export.csv"), CSV),
        (tar_info("../../escape.txt"), b"dot dot"),
        (tar_info("/etc/cron.d/evil"), b"absolute"),
        (tar_info("passwd_link", tarfile.SYMTYPE, "/etc/passwd"), None),
        (tar_info("hard_link", tarfile.LNKTYPE, "/etc/passwd"), None),
        (tar_info("fifo", tarfile.FIFOTYPE), None),
    ]


# -- zip -------------------------------------------------------------------------------------


def test_archive_types() -> None:
    assert {"zip", "tar", "gzip", "bzip2", "xz", "7z", "rar"} == ARCHIVE_TYPES


def test_nested_zip_members_are_named_and_readable(tmp_path: Path) -> None:
    inner = make_zip({"deep/c.csv": CSV, "empty/": b""})
    outer = write(tmp_path / "outer.zip", make_zip({"2019/inner.zip": inner, "a.csv": CSV}))
    found = members(outer, "zip")
    assert set(found) == {"2019/inner.zip", "a.csv"}
    assert all(m.status == "ok" and m.reason == "" for m in found.values())
    blob = write(tmp_path / "blob", read_all(found["2019/inner.zip"]))
    assert sniff_type(blob) == "zip"
    [member] = iter_members(blob, "zip")
    assert (member.name, member.size, read_all(member)) == ("deep/c.csv", len(CSV), CSV)


def test_stored_bzip2_lzma_and_zip64_members(tmp_path: Path) -> None:
    for method in (zipfile.ZIP_STORED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA):
        path = write(tmp_path / f"m{method}.zip", make_zip({"a.csv": CSV * 1000}, method))
        assert read_all(members(path, "zip")["a.csv"]) == CSV * 1000
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf, \
            zf.open("big.csv", "w", force_zip64=True) as out:
        out.write(CSV)
    path = write(tmp_path / "z64.zip", buf.getvalue())
    assert read_all(members(path, "zip")["big.csv"]) == CSV


def test_zip_slip_names_are_labels(tmp_path: Path) -> None:
    path = write(tmp_path / "slip.zip", make_zip({
        "../../x": b"dot dot", "/etc/passwd": b"absolute", "dir\\win.txt": b"backslash"}))
    found = members(path, "zip")
    assert {name: read_all(m) for name, m in found.items()} == {
        "../../x": b"dot dot", "etc/passwd": b"absolute", "dir/win.txt": b"backslash"}
    assert not (tmp_path.parent / "x").exists()


def test_symlink_member_is_skipped(tmp_path: Path) -> None:
    raw = RawZip()
    raw.add("link", b"/etc/passwd", method=0, crc=zlib.crc32(b"/etc/passwd"), usize=11,
            mode=0o120777)
    raw.add("a.csv", CSV, method=0, crc=zlib.crc32(CSV), usize=len(CSV))
    found = members(write(tmp_path / "l.zip", raw.bytes()), "zip")
    assert (found["link"].status, found["link"].reason) == (
        "skipped", "symbolic link in archive not followed")
    assert read_all(found["a.csv"]) == CSV


def test_zip_bomb_member_stopped_by_ratio_quickly(tmp_path: Path) -> None:
    stream = zeros_deflate(3 * 1024)  # 3 GiB of zeros in about 3 MB
    assert len(stream) < 4 * MiB
    raw = RawZip()
    raw.add("honest.csv", stream, method=8, crc=0, usize=3 * GiB)
    raw.add("liar.csv", stream, method=8, crc=0, usize=3_000_000)  # the size is a lie
    path = write(tmp_path / "bomb.zip", raw.bytes())
    budget = ByteBudget(1 << 40)
    honest, liar = iter_members(path, "zip", budget=budget)
    assert (honest.status, honest.reason) == (
        "skipped", "member declares 3 GiB, beyond the 2 GiB per-member limit")
    assert liar.status == "ok" and liar.size == 3_000_000
    with pytest.raises(LimitExceeded, match=r"member expands beyond ratio 200 \("):
        read_all(liar)
    assert budget.used <= 2 * MiB  # stopped after two chunks of output, not 3 GiB


def test_twelve_gigabyte_members_stopped_and_small_ones_read(tmp_path: Path) -> None:
    stream = zeros_deflate(1024)
    raw = RawZip()
    raw.add("first.csv", CSV, method=0, crc=zlib.crc32(CSV), usize=len(CSV))
    for i in range(12):
        raw.add(f"bomb{i:02}.bin", stream, method=8, crc=0, usize=GiB)
    raw.add("last.csv", CSV, method=0, crc=zlib.crc32(CSV), usize=len(CSV))
    path = write(tmp_path / "bombs.zip", raw.bytes())
    budget = ByteBudget(1 << 40)
    read, stopped = {}, []
    for member in iter_members(path, "zip", budget=budget):
        assert member.status == "ok"
        try:
            read[member.name] = read_all(member)
        except LimitExceeded as exc:
            stopped.append(str(exc))
    assert read == {"first.csv": CSV, "last.csv": CSV}
    assert len(stopped) == 12 and all("ratio" in reason for reason in stopped)
    assert budget.used <= 12 * 2 * MiB + 2 * len(CSV)  # two chunks per bomb, not 12 GiB


def test_member_size_limit_while_streaming_and_declared(tmp_path: Path) -> None:
    limits = ArchiveLimits(max_member_bytes=3 * MiB, max_ratio=1e9)
    raw = RawZip()
    data = zeros_deflate(5)
    raw.add("liar.bin", data, method=8, crc=0, usize=10)  # declares 10 bytes, gives 5 MiB
    raw.add("honest.bin", data, method=8, crc=0, usize=5 * MiB)
    found = members(write(tmp_path / "s.zip", raw.bytes()), "zip", limits=limits)
    with pytest.raises(LimitExceeded, match="member expands beyond the 3 MiB per-member limit"):
        read_all(found["liar.bin"])
    assert found["honest.bin"].status == "skipped"
    assert found["honest.bin"].reason == "member declares 5 MiB, beyond the 3 MiB per-member limit"


def test_budget_is_shared_by_nested_archives(tmp_path: Path) -> None:
    payload = noise(300_000, seed=6002)  # incompressible: only the budget can stop it
    inner = make_zip({"a.bin": payload, "b.bin": payload}, zipfile.ZIP_STORED)
    outer = write(tmp_path / "outer.zip", make_zip({"inner.zip": inner}))
    budget = ByteBudget(1_000_000)
    [member] = iter_members(outer, "zip", budget=budget)
    blob = write(tmp_path / "inner.blob", read_all(member))  # about 600 kB charged
    assert 600_000 < budget.used < 700_000
    inner_members = iter_members(blob, "zip", budget=budget)
    assert read_all(next(inner_members)) == payload  # 900 kB: still within
    with pytest.raises(LimitExceeded, match=r"archive expands beyond the 976\.6 KiB total limit"):
        read_all(next(inner_members))


def test_entries_sharing_one_local_header_are_refused(tmp_path: Path) -> None:
    """Many entries pointing at one compressed kernel (the "better zip bomb" without
    quoting): every one overlaps the others, so none is inflated."""
    kernel = zeros_deflate(64)
    raw = RawZip()
    raw.add("k0", kernel, method=8, crc=0, usize=1000)
    cd = raw.central[0]
    for i in range(1, 10_000):  # every entry points at the same local header and data
        raw.central.append(cd[:-2] + b"%02d" % (i % 100))
    path = write(tmp_path / "overlap.zip", raw.bytes())
    budget = ByteBudget(64 * MiB)
    found = list(iter_members(path, "zip", budget=budget))
    assert len(found) == 10_000
    assert {(m.status, m.reason.split(" (")[0]) for m in found} == {
        ("failed", "entry overlaps another entry of the archive")}
    assert budget.used == 0


def test_max_members(tmp_path: Path) -> None:
    path = write(tmp_path / "many.zip", make_zip({f"f{i}.csv": CSV for i in range(5)}))
    found = list(iter_members(path, "zip", limits=ArchiveLimits(max_members=3)))
    assert [m.status for m in found] == ["ok", "ok", "ok", "skipped"]
    assert found[-1].reason == "archive has more than 3 members; the rest were not read"


def test_corrupt_zip_raises(tmp_path: Path) -> None:
    data = make_zip({"a.csv": CSV * 50})
    with pytest.raises(ArchiveError, match="zip"):
        list(iter_members(write(tmp_path / "cut.zip", data[: len(data) // 2]), "zip"))
    with pytest.raises(ArchiveError, match="zip"):
        list(iter_members(write(tmp_path / "noise.zip", noise(5000, seed=6003)), "zip"))
    cd = data.find(b"PK\x01\x02")
    broken = data[:cd] + b"XXXX" + data[cd + 4 :]
    with pytest.raises(ArchiveError, match="central directory"):
        list(iter_members(write(tmp_path / "cd.zip", broken), "zip"))


def test_corrupt_member_fails_alone(tmp_path: Path) -> None:
    good = noise(1000, seed=6004).hex().encode()
    data = bytearray(make_zip({"bad.csv": CSV * 200, "good.csv": good}))
    local = data.find(b"bad.csv") + len(b"bad.csv")
    data[local + 5 : local + 25] = bytes(20)  # damage the deflate data of bad.csv
    found = members(write(tmp_path / "damaged.zip", bytes(data)), "zip")
    with pytest.raises(ArchiveError):
        read_all(found["bad.csv"])
    assert read_all(found["good.csv"]) == good
    # A wrong CRC alone is caught too.
    raw = RawZip()
    raw.add("crc.csv", CSV, method=0, crc=zlib.crc32(CSV) ^ 1, usize=len(CSV))
    [member] = iter_members(write(tmp_path / "crc.zip", raw.bytes()), "zip")
    with pytest.raises(ArchiveError, match="CRC"):
        read_all(member)


def test_unsupported_method_is_failed(tmp_path: Path) -> None:
    raw = RawZip()
    raw.add("d64.csv", b"\x00" * 10, method=9, crc=0, usize=100)
    [member] = iter_members(write(tmp_path / "d64.zip", raw.bytes()), "zip")
    assert (member.status, member.reason) == (
        "failed", "unsupported zip compression method 9 (deflate64)")


def test_self_extracting_prefix_is_tolerated(tmp_path: Path) -> None:
    path = write(tmp_path / "sfx.exe", b"MZ" + bytes(5000) + make_zip({"a.csv": CSV}))
    assert read_all(members(path, "zip")["a.csv"]) == CSV


# -- passwords -------------------------------------------------------------------------------


def test_zipcrypto_passwords(tmp_path: Path) -> None:
    path = write(tmp_path / "zc.zip", zipcrypto_zip({"secret.csv": CSV * 100}, b"hopital2024"))
    [member] = iter_members(path, "zip")
    assert (member.status, member.reason) == ("encrypted", "password-protected member")
    [member] = iter_members(path, "zip", passwords=[b"wrong", b"also wrong"])
    assert (member.status, member.reason) == (
        "encrypted", "password-protected member; no known password opened it")
    [member] = iter_members(path, "zip", passwords=[b"wrong", b"hopital2024"])
    assert member.status == "ok"
    assert member.reason == "opened with password #2 of the list"
    assert b"hopital2024" not in member.reason.encode()
    assert read_all(member) == CSV * 100


def test_zipcrypto_accented_password_from_a_windows_tool(tmp_path: Path) -> None:
    password = "Hôpital-Sécurité"
    path = write(tmp_path / "win.zip", zipcrypto_zip({"a.csv": CSV}, password.encode("cp1252")))
    [member] = iter_members(path, "zip", passwords=[password.encode("utf-8")])
    assert (member.status, read_all(member)) == ("ok", CSV)


def test_zipcrypto_from_info_zip(tmp_path: Path) -> None:
    (tmp_path / "liste.csv").write_bytes(CSV * 100)
    subprocess.run(["zip", "-q", "-P", "s3cret", "enc.zip", "liste.csv"], cwd=tmp_path,
                   check=True)
    [member] = iter_members(tmp_path / "enc.zip", "zip", passwords=[b"s3cret"])
    assert member.status == "ok"
    assert read_all(member) == CSV * 100


def test_winzip_aes_passwords(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with pyzipper.AESZipFile(buf, "w", compression=pyzipper.ZIP_DEFLATED,
                             encryption=pyzipper.WZ_AES) as zf:
        zf.setpassword("mot de passe é".encode())
        zf.writestr("patients.csv", CSV * 100)
        zf.writestr("notes.txt", b"compte rendu")
    path = write(tmp_path / "aes.zip", buf.getvalue())
    assert {m.status for m in iter_members(path, "zip", passwords=[b"nope"])} == {"encrypted"}
    found = members(path, "zip", passwords=[b"nope", "mot de passe é".encode()])
    assert found["patients.csv"].status == "ok"
    assert read_all(found["patients.csv"]) == CSV * 100
    assert read_all(found["notes.txt"]) == b"compte rendu"


def test_load_passwords(tmp_path: Path) -> None:
    path = write(tmp_path / "pw.txt", "\ufeffpremier\r\n\n  \nmot de passe é\n".encode())
    assert load_passwords(path) == [b"premier", "mot de passe é".encode()]


# -- tar and compressed streams ----------------------------------------------------------------


@pytest.mark.parametrize(("mode", "suffix", "file_type"), [
    ("w", ".tar", "tar"), ("w:gz", ".tar.gz", "gzip"), ("w:gz", ".tgz", "gzip"),
    ("w:bz2", ".tar.bz2", "bzip2"), ("w:xz", ".tar.xz", "xz"),
])
def test_tar_in_every_compression(tmp_path: Path, mode: str, suffix: str, file_type: str):
    path = write(tmp_path / f"dump{suffix}", tar_bytes(hostile_tar(), mode))
    assert sniff_type(path) == file_type
    found = {}
    for member in iter_members(path, file_type):
        found[member.name] = (member.status, member.reason,
                              read_all(member) if member.status == "ok" else None)
    assert found == {
        "data/export.csv": ("ok", "", CSV),
        "../../escape.txt": ("ok", "", b"dot dot"),
        "etc/cron.d/evil": ("ok", "", b"absolute"),
        "passwd_link": ("skipped", "link in archive not followed", None),
        "hard_link": ("skipped", "link in archive not followed", None),
        "fifo": ("skipped", "device or pipe in archive not read", None),
    }


def test_tar_members_need_not_be_read(tmp_path: Path) -> None:
    entries = [(tar_info(f"f{i}.csv"), CSV * (i + 1)) for i in range(4)]
    path = write(tmp_path / "t.tar.gz", tar_bytes(entries, "w:gz"))
    found = list(iter_members(path, "gzip"))
    assert [m.name for m in found] == ["f0.csv", "f1.csv", "f2.csv", "f3.csv"]
    assert [m.size for m in found] == [len(CSV) * (i + 1) for i in range(4)]


@pytest.mark.parametrize(("kind", "compress", "suffix"), [
    ("gzip", gzip.compress, ".gz"), ("bzip2", bz2.compress, ".bz2"),
    ("xz", lzma.compress, ".xz"),
])
def test_single_compressed_file(tmp_path: Path, kind: str, compress, suffix: str) -> None:
    path = write(tmp_path / f"liste.csv{suffix}", compress(CSV * 10))
    assert sniff_type(path) == kind
    [member] = iter_members(path, kind)
    assert (member.name, member.status, read_all(member)) == ("liste.csv", "ok", CSV * 10)
    blob = write(tmp_path / "0af3c2", compress(CSV))  # a blob named by its hash
    [member] = iter_members(blob, kind)
    assert (member.name, read_all(member)) == ("content", CSV)


def test_gzip_original_name_and_concatenated_streams(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with gzip.GzipFile(filename="patients.csv", mode="wb", fileobj=buf, mtime=0) as gz:
        gz.write(CSV)
    path = write(tmp_path / "9b1e77", buf.getvalue() + gzip.compress(b"second;stream\n"))
    [member] = iter_members(path, "gzip")
    assert member.name == "patients.csv"
    assert read_all(member) == CSV + b"second;stream\n"


def test_truncated_gzip_fails_in_chunks(tmp_path: Path) -> None:
    data = gzip.compress(noise(50_000, seed=6005))
    [member] = iter_members(write(tmp_path / "cut.csv.gz", data[:20_000]), "gzip")
    with pytest.raises(ArchiveError, match="truncated"):
        read_all(member)


def test_gzip_bomb_stopped_quickly(tmp_path: Path) -> None:
    path = write(tmp_path / "zeros.csv.gz", zeros_deflate(3 * 1024, wbits=31))
    budget = ByteBudget(1 << 40)
    [member] = iter_members(path, "gzip", budget=budget)
    with pytest.raises(LimitExceeded, match="ratio"):
        read_all(member)
    assert budget.used <= 2 * MiB  # not 3 GiB


def test_tar_gz_bomb_stopped_read_or_not(tmp_path: Path) -> None:
    header = tarfile.TarInfo("zeros.csv")
    header.size = GiB
    stream = zeros_deflate(1024, wbits=31, prefix=header.tobuf())
    path = write(tmp_path / "bomb.tar.gz", stream)
    budget = ByteBudget(1 << 40)
    listing = iter_members(path, "gzip", budget=budget)  # read while its listing is open
    member = next(listing)
    with pytest.raises(LimitExceeded, match="member expands beyond ratio"):
        read_all(member)
    # Not reading the member: tarfile skips its data, and the stream is checked as a whole
    # (skipping a compressed member means decompressing it: the rest of the tar is lost).
    assert budget.used <= 3 * MiB  # not 1 GiB
    budget = ByteBudget(1 << 40)
    with pytest.raises(LimitExceeded, match="expands beyond ratio"):
        list(iter_members(path, "gzip", budget=budget))
    assert budget.used <= 8 * MiB


def test_corrupt_tar_raises(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="tar"):
        list(iter_members(write(tmp_path / "x.tar", noise(2048, seed=6006)), "tar"))
    data = tar_bytes([(tar_info("a.csv"), CSV * 100), (tar_info("b.csv"), CSV)])
    cut = write(tmp_path / "cut.tar", data[:5000])  # inside a.csv: tarfile sees it at once
    with pytest.raises(ArchiveError, match="corrupt tar: unexpected end of data"):
        for member in iter_members(cut, "tar"):
            read_all(member)
