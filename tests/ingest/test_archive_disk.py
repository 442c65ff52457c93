"""One disk budget for the whole case (issue 12): members stop with a clear reason when the
case's disk is nearly full or its work area holds too much, whichever worker wrote it."""

from __future__ import annotations

import io
import os
import shutil
import zipfile
from pathlib import Path

import pytest
from noise import noise

from breachscope.ingest.archives import ByteBudget, DiskGuard, LimitExceeded, iter_members

MiB = 1 << 20


def stored_zip(path: Path, n: int, size: int) -> Path:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for i in range(n):
            zf.writestr(f"m{i}.bin", noise(size, seed=sum(path.name.encode()) * 1000 + i))
    path.write_bytes(buf.getvalue())
    return path


def expand(archive: Path, work: Path, budget: ByteBudget, tag: str) -> dict[str, str]:
    """Write each member into ``work`` as the worker does; name -> "ok" or why it stopped,
    and "(listing)" -> why the listing stopped (an exhausted budget ends the archive)."""
    outcome = {}
    try:
        for member in iter_members(archive, "zip", budget=budget):
            if member.status != "ok":
                outcome[member.name] = member.reason
                continue
            target = work / f"{tag}-{member.name}"
            try:
                with target.open("wb") as out:
                    for chunk in member.chunks():
                        out.write(chunk)
                        out.flush()
                outcome[member.name] = "ok"
            except LimitExceeded as exc:
                target.unlink()
                outcome[member.name] = str(exc)
    except LimitExceeded as exc:
        outcome["(listing)"] = str(exc)
    return outcome


def test_work_area_bound_is_shared_by_every_budget(tmp_path: Path) -> None:
    """Two workers' budgets (two archives expanding into one work area): together they stay
    within the case's bound, counted on disk rather than per budget."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "other-worker.blob").write_bytes(noise(3 * MiB, seed=8))  # already there
    a = stored_zip(tmp_path / "a.zip", 4, 2 * MiB)
    b = stored_zip(tmp_path / "b.zip", 4, 2 * MiB)

    def budget() -> ByteBudget:
        return ByteBudget(1 << 40, disk=DiskGuard(work, reserve_bytes=0,
                                                  max_work_bytes=12 * MiB, recount_bytes=MiB))

    first = expand(a, work, budget(), "a")
    second = expand(b, work, budget(), "b")
    assert list(first.values()).count("ok") == 4  # 3 + 8 MiB
    assert second["m0.bin"].startswith("the case's work area holds")
    assert "beyond its 12 MiB limit (all workers together); not written" in second["m0.bin"]
    on_disk = sum(f.stat().st_size for f in work.iterdir())
    assert on_disk <= 12 * MiB


def test_nearly_full_disk_stops_the_member_with_its_reason(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    archive = stored_zip(tmp_path / "a.zip", 2, MiB)
    free = shutil.disk_usage(work).free
    guard = DiskGuard(work, reserve_bytes=free + (1 << 40))  # as if the disk were full
    outcome = expand(archive, work, ByteBudget(1 << 40, disk=guard), "a")
    assert list(outcome) == ["m0.bin", "m1.bin"]  # each keeps its row, none is written
    for reason in outcome.values():
        assert reason.startswith("not read: disk nearly full: ")
        assert reason.endswith("kept in reserve; not written")
    assert not any(work.iterdir())


def test_guard_from_the_scan_limits(tmp_path: Path) -> None:
    from breachscope.ingest.archives import ArchiveLimits

    guard = DiskGuard.for_limits(tmp_path, ArchiveLimits(disk_reserve_bytes=5, max_work_bytes=7))
    assert (guard.work_dir, guard.reserve_bytes, guard.max_work_bytes) == (tmp_path, 5, 7)
    assert ArchiveLimits().disk_reserve_bytes == 1 << 30


def test_no_guard_no_disk_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    monkeypatch.setattr(os, "statvfs", lambda p: calls.append(p))
    archive = stored_zip(tmp_path / "a.zip", 1, 1000)
    work = tmp_path / "work"
    work.mkdir()
    assert expand(archive, work, ByteBudget(1 << 40), "a") == {"m0.bin": "ok"}
    assert calls == []
