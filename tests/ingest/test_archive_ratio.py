"""The ratio check applies to members of every size, and to the whole tree of an archive:
tiny archives of many compressible members, or of sparse tar members, write little."""

from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import Path

import pytest
from noise import noise
from samples.hostile_archives import sparse_tar

from breachscope.ingest.archives import (
    ArchiveError,
    ArchiveLimits,
    ByteBudget,
    LimitExceeded,
    iter_members,
)

MiB = 1 << 20


def drain(path: Path, file_type: str, budget: ByteBudget) -> tuple[dict[str, str], int, str]:
    """Read every member as the worker does: (name -> "ok" or the reason it stopped, bytes
    handed out, why the listing stopped or "")."""
    outcome: dict[str, str] = {}
    given = 0
    stopped = ""
    try:
        for member in iter_members(path, file_type, budget=budget):
            if member.status != "ok":
                outcome[member.name] = member.reason
                continue
            try:
                for chunk in member.chunks():
                    given += len(chunk)
                outcome[member.name] = "ok"
            except LimitExceeded as exc:
                outcome[member.name] = str(exc)
    except ArchiveError as exc:
        stopped = str(exc)
    return outcome, given, stopped


def zip_of(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_short_compressible_text_passes(tmp_path: Path) -> None:
    text = b"DUPONT;Marie;285027512345678;Paris\n" * 300  # 10 KB, compresses far beyond 20x
    lines = b"".join(b"ligne %06d;MARTIN;Paul\n" % i for i in range(40_000))  # ~1 MB
    path = tmp_path / "short.zip"
    path.write_bytes(zip_of({"a.csv": text, "b.csv": lines}))
    outcome, given, stopped = drain(path, "zip", ByteBudget(1 << 40))
    assert outcome == {"a.csv": "ok", "b.csv": "ok"} and not stopped
    assert given == len(text) + len(lines)


def test_ratio_applies_below_the_old_8_mib_floor(tmp_path: Path) -> None:
    """A 6 MiB member of zeros (ratio ~1000) is stopped after about 1 MiB even though the
    archive around it is large enough for the tree bound to allow it."""
    padding = noise(512 * 1024, seed=9001)  # incompressible: keeps the tree ratio low
    path = tmp_path / "mid.zip"
    path.write_bytes(zip_of({"pad.bin": padding, "zeros.bin": bytes(6 * MiB), "z.csv": b"a;b\n"}))
    outcome, given, stopped = drain(path, "zip", ByteBudget(1 << 40))
    assert outcome["pad.bin"] == outcome["z.csv"] == "ok" and not stopped
    assert outcome["zeros.bin"].startswith("member expands beyond ratio 200 (2 MiB from ")
    assert given < len(padding) + 2 * MiB


def test_many_small_compressible_members_bounded_by_the_tree_ratio(tmp_path: Path) -> None:
    """200 members of 1 MiB of zeros (each under the per-member allowance): 200 MiB from a
    ~200 KB zip. What is expanded stays within 200 x the archive size + the allowance."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    kernel = c.compress(bytes(MiB)) + c.flush()
    path = tmp_path / "many.zip"
    path.write_bytes(zip_of({f"m{i:03}.bin": bytes(MiB) for i in range(200)}))
    size = path.stat().st_size
    assert size < 200 * (len(kernel) + 200)
    budget = ByteBudget(1 << 40)
    outcome, given, stopped = drain(path, "zip", budget)
    limits = ArchiveLimits()
    bound = limits.max_ratio * size + limits.tree_allowance_bytes
    assert not stopped and len(outcome) == 200  # every member keeps its row
    assert given <= bound and budget.used <= bound + MiB
    assert 0 < sum(v == "ok" for v in outcome.values()) < 60
    assert outcome["m199.bin"].startswith("not read: archive expands beyond ratio 200 of its")


def test_sparse_tar_writes_little(tmp_path: Path) -> None:
    """A 20 KB tar of 36 GNU sparse members, each declaring 1 GiB of holes."""
    data = sparse_tar(n_members=36, apparent=1 << 30)
    assert len(data) < 20_000
    path = tmp_path / "sparse.tar"
    path.write_bytes(data)
    budget = ByteBudget(1 << 40)
    outcome, given, stopped = drain(path, "tar", budget)
    assert given < 4 * MiB and budget.used < 8 * MiB
    assert len(outcome) == 36 and not stopped  # every member keeps its row
    assert all(v.startswith(("member expands beyond ratio", "archive expands beyond ratio",
                             "not read: archive expands beyond ratio"))
               for v in outcome.values())
    assert outcome["sparse035.bin"].startswith("not read: archive expands beyond ratio 200")


def test_sparse_member_with_data_is_read_when_small(tmp_path: Path) -> None:
    """A sparse member whose holes are small is an ordinary file: read, data at its end."""
    data = sparse_tar(n_members=1, apparent=64 * 1024, data=b"NIR 285027512345678\n")
    path = tmp_path / "small_sparse.tar"
    path.write_bytes(data)
    members = iter_members(path, "tar")
    content = b"".join(next(members).chunks())
    assert len(content) == 64 * 1024 and b"285027512345678" in content


def test_solid_7z_repeating_a_member_is_not_a_bomb(tmp_path: Path) -> None:
    """In a solid block a repeated member costs almost no compressed bytes: the ratio is the
    block's so far, so both copies are read."""
    from samples.archives import make_7z

    big = noise(3 * MiB, seed=9002)
    path = tmp_path / "dup.7z"
    make_7z(path, {"a.bin": big, "b.bin": big})
    outcome, given, stopped = drain(path, "7z", ByteBudget(1 << 40))
    assert outcome == {"a.bin": "ok", "b.bin": "ok"} and given == 6 * MiB and not stopped


@pytest.mark.parametrize("mode", ["w:gz", "w:xz"])
def test_compressed_tar_repeating_a_member_is_not_a_bomb(tmp_path: Path, mode: str) -> None:
    import tarfile

    big = noise(2 * MiB, seed=9003)
    path = tmp_path / f"dup.tar.{mode[2:]}"
    with tarfile.open(path, mode) as tar:
        for name in ("a.bin", "b.bin"):
            info = tarfile.TarInfo(name)
            info.size = len(big)
            tar.addfile(info, io.BytesIO(big))
    kind = {"gz": "gzip", "xz": "xz"}[mode[2:]]
    outcome, given, stopped = drain(path, kind, ByteBudget(1 << 40))
    assert outcome == {"a.bin": "ok", "b.bin": "ok"} and given == 4 * MiB and not stopped


def _bytes_written() -> int:
    """Bytes this process has written so far (``wchar`` of /proc/self/io)."""
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("wchar:"):
            return int(line.split()[1])
    raise AssertionError("no wchar in /proc/self/io")


@pytest.mark.skipif(not Path("/proc/self/io").exists(), reason="needs Linux /proc")
def test_tiny_bombs_write_little_into_the_work_area(tmp_path: Path) -> None:
    """Through the worker's expansion (as a scan runs it): a 19 KB tar of sparse members and
    a 108 KB overlapping-entry zip write at most a few MiB into the work area, and every
    member has its row."""
    from samples.hostile_archives import overlapping_zip

    from breachscope.settings import ScanSettings
    from breachscope.worker import process_content

    sparse = tmp_path / "sparse.tar"
    sparse.write_bytes(sparse_tar(n_members=36, apparent=1 << 30))
    overlap = tmp_path / "overlap.zip"
    overlap.write_bytes(overlapping_zip(n_files=1200, kernel_bytes=MiB))
    for path, members in ((sparse, 36), (overlap, 1200)):
        work = tmp_path / f"work-{path.stem}"
        before = _bytes_written()
        result = process_content(str(path), None, str(work), ScanSettings())
        written = _bytes_written() - before
        assert len(result.members) == members
        assert written < 5 * MiB, (path.name, written)
        assert all(m.status in ("skipped", "failed") for m in result.members)
