"""Per-member work stays linear: a 7z of 20 000 members is listed and read in one pass, and
the main process records the members of a container in a constant number of statements
(a statement per member cost milliseconds each, growing with the table: minutes for
100 000 members)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import py7zr
import pytest

from breachscope.case import Case
from breachscope.ingest.archives import iter_members
from breachscope.ingest.archives import sevenzip as sevenzip_module
from breachscope.ingest.walk import Entry, Walker
from breachscope.worker import ContentResult, ExpandedMember


@pytest.mark.slow
def test_7z_of_20000_members_is_read_in_one_pass(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    n = 20_000
    path = tmp_path / "many.7z"
    with py7zr.SevenZipFile(path, "w") as archive:
        for i in range(n):
            archive.writestr(b"nom;prenom\nX;Y%d\n" % i, f"d{i // 1000}/f{i}.csv")
    reads = 0
    original = sevenzip_module._7zBlock.read

    def counting(self, size: int) -> bytes:
        nonlocal reads
        reads += 1
        return original(self, size)

    monkeypatch.setattr(sevenzip_module._7zBlock, "read", counting)
    names, total = set(), 0
    for member in iter_members(path, "7z"):
        assert member.status == "ok"
        names.add(member.name)
        total += sum(len(chunk) for chunk in member.chunks())
    assert len(names) == n
    assert total == sum(len(b"nom;prenom\nX;Y%d\n" % i) for i in range(n))
    assert reads <= 2 * n  # one decoder step per member (a few more for the block's start)


class CountingDB:
    """The case's DuckDB connection, counting the statements sent to it."""

    def __init__(self, db: object) -> None:
        self._db = db
        self.statements = 0

    def execute(self, *args, **kwargs):
        self.statements += 1
        return self._db.execute(*args, **kwargs)

    def executemany(self, *args, **kwargs):
        self.statements += 1
        return self._db.executemany(*args, **kwargs)

    def __getattr__(self, name: str):
        return getattr(self._db, name)


def record(tmp_path: Path, n: int) -> tuple[int, int, int]:
    """(statements, files rows, entries yielded) for a container of ``n`` members, a tenth
    of them more that could not be read."""
    with Case(tmp_path / f"case{n}") as case:
        run_id = case.start_run("scan")
        walker = Walker(case, run_id)
        members = [ExpandedMember(f"d{i // 1000}/f{i}.csv", "", 1, "ok", None,
                                  hashlib.sha256(b"%d" % i).hexdigest(), 10, "csv",
                                  str(tmp_path / "nonexistent"))
                   for i in range(n)]
        members += [ExpandedMember(f"bomb{i}.bin", "", 1, "skipped", "limit")
                    for i in range(n // 10)]
        archive = Entry("big.7z", Path("/nonexistent"), "a" * 64, 1, "7z", False)
        counting = CountingDB(case.db)
        case.db = counting  # type: ignore[assignment]
        try:
            entries = list(walker.members(archive, ContentResult("scanned", None, "7z",
                                                                 members=members)))
        finally:
            case.db = counting._db  # type: ignore[assignment]
        assert not any(e.had_row for e in entries)  # nothing stored yet: nothing to delete
        rows = case.db.execute("SELECT count(*) FROM files").fetchone()[0]
        unread = case.db.execute(
            "SELECT count(*) FROM contents WHERE status = 'skipped'").fetchone()[0]
        assert unread == n // 10
        return counting.statements, rows, len(entries)


def test_recording_members_costs_a_constant_number_of_statements(tmp_path: Path) -> None:
    small = record(tmp_path, 2_000)  # fresh contents: handed out with had_row False
    large = record(tmp_path, 8_000)
    assert small[1:] == (2_200, 2_000) and large[1:] == (8_800, 8_000)
    assert small[0] == large[0] <= 6


def test_known_container_members_are_copied_once_known(tmp_path: Path) -> None:
    """A member whose content was already scanned as a container elsewhere (a message with
    attachments) gets the container's members under its new path; other known contents cost
    no lookup."""
    with Case(tmp_path / "case") as case:
        run_id = case.start_run("scan")
        sha_mail, sha_att, sha_txt = "m" * 64, "t" * 64, "x" * 64
        case.add_file("old.eml", sha_mail, 10, mtime=None, parent=None, depth=0, run_id=run_id)
        case.add_file("old.eml!/a.pdf", sha_att, 5, mtime=None, parent="old.eml", depth=1,
                      run_id=run_id)
        case.add_file("t.txt", sha_txt, 5, mtime=None, parent=None, depth=0, run_id=run_id)
        for sha in (sha_mail, sha_att, sha_txt):
            case.set_content(sha, size=1, file_type="x", status="scanned", reason=None,
                             run_id=run_id)
        walker = Walker(case, run_id)
        members = [ExpandedMember("copy.eml", "", 1, "ok", None, sha_mail, 10, "eml",
                                  str(tmp_path / "nonexistent")),
                   ExpandedMember("copy.txt", "", 1, "ok", None, sha_txt, 5, "text",
                                  str(tmp_path / "nonexistent"))]
        sha_pending = "p" * 64  # stored by a scan killed before it finished with it
        case.set_content(sha_pending, size=1, file_type="x", status="pending", reason=None,
                         run_id=run_id)
        members.append(ExpandedMember("again.csv", "", 1, "ok", None, sha_pending, 5, "csv",
                                      str(tmp_path / "nonexistent")))
        archive = Entry("z.zip", Path("/nonexistent"), "z" * 64, 1, "zip", False)
        [again] = walker.members(archive, ContentResult("scanned", None, "zip", members=members))
        assert again.path == "z.zip!/again.csv" and again.had_row  # its old rows go first
        paths = {r[0] for r in case.db.execute("SELECT path FROM files").fetchall()}
        assert "z.zip!/copy.eml!/a.pdf" in paths
        assert not any(p.startswith("z.zip!/copy.txt!/") for p in paths)

