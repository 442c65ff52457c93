import io
import zipfile
from pathlib import Path

from breachscope.case import Case
from breachscope.ingest.walk import Walker

CSV = b"nom;prenom\nDUPONT;Marie\n"


def make_zip(entries: dict[str, bytes], *, encrypted: set[str] = frozenset()) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    data = bytearray(buf.getvalue())
    for name in encrypted:  # set the "encrypted" flag bit, as a password zip has it
        _set_encrypted_flag(data, name)
    return bytes(data)


def _set_encrypted_flag(data: bytearray, name: str) -> None:
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        local = zf.getinfo(name).header_offset
    data[local + 6] |= 1
    pos = data.find(b"PK\x01\x02")
    while pos != -1:
        n = int.from_bytes(data[pos + 28 : pos + 30], "little")
        if data[pos + 46 : pos + 46 + n] == name.encode():
            data[pos + 8] |= 1
        pos = data.find(b"PK\x01\x02", pos + 4)


def build_dump(root: Path) -> None:
    (root / "exports").mkdir(parents=True)
    (root / "exports" / "a.csv").write_bytes(CSV)
    (root / "copy_of_a.csv").write_bytes(CSV)
    inner = make_zip({"deep/c.csv": b"x;y\n1;2\n", "a_again.csv": CSV})
    outer = make_zip({
        "inner.zip": inner,
        "../../escape.txt": b"should never land outside",
        "/etc/abs.txt": b"absolute",
        "secret.csv": b"nom\nX\n",
    }, encrypted={"secret.csv"})
    (root / "archives").mkdir()
    (root / "archives" / "backup.zip").write_bytes(outer)


def test_walk_names_members_dedups_and_stays_in_work_area(tmp_path):
    dump = tmp_path / "dump"
    build_dump(dump)
    with Case(tmp_path / "case") as case:
        walker = Walker(case, case.start_run("scan"))
        entries = list(walker.walk([dump]))
        paths = dict(case.db.execute("SELECT path, sha256 FROM files").fetchall())
        statuses = dict(case.db.execute(
            "SELECT f.path, c.status FROM files f JOIN contents c USING (sha256)").fetchall())
        work = case.work_dir
    assert set(paths) == {
        "exports/a.csv", "copy_of_a.csv", "archives/backup.zip",
        "archives/backup.zip!/inner.zip", "archives/backup.zip!/inner.zip!/deep/c.csv",
        "archives/backup.zip!/inner.zip!/a_again.csv", "archives/backup.zip!/../../escape.txt",
        "archives/backup.zip!/etc/abs.txt", "archives/backup.zip!/secret.csv",
    }
    # identical content: one entry to scan, three paths pointing at it
    assert paths["exports/a.csv"] == paths["copy_of_a.csv"] == paths[
        "archives/backup.zip!/inner.zip!/a_again.csv"]
    scanned = sorted(e.path for e in entries)
    assert scanned == sorted([
        "copy_of_a.csv", "archives/backup.zip!/inner.zip!/deep/c.csv",
        "archives/backup.zip!/../../escape.txt", "archives/backup.zip!/etc/abs.txt",
    ])
    assert statuses["archives/backup.zip!/secret.csv"] == "encrypted"
    # nothing escaped: every member blob is inside the work area
    assert not (tmp_path / "escape.txt").exists()
    assert not (dump / "escape.txt").exists()
    for e in entries:
        if e.temporary:
            assert e.real.resolve().is_relative_to(work.resolve())
    assert [a.status for a in walker.stats.pending_archives] == ["scanned", "scanned"]


def test_corrupt_zip_is_recorded_failed(tmp_path):
    dump = tmp_path / "dump"
    dump.mkdir()
    data = make_zip({"a.csv": CSV * 50})
    (dump / "broken.zip").write_bytes(data[: len(data) // 2])
    with Case(tmp_path / "case") as case:
        walker = Walker(case, case.start_run("scan"))
        assert list(walker.walk([dump])) == []
        [archive] = walker.stats.pending_archives
    assert archive.status == "failed"
    assert "zip" in archive.reason


def test_symlink_leaving_the_dump_is_not_followed(tmp_path):
    outside = tmp_path / "outside.csv"
    outside.write_bytes(CSV)
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "link.csv").symlink_to(outside)
    (dump / "inside.csv").write_bytes(b"a;b\n1;2\n")
    (dump / "link_in.csv").symlink_to(dump / "inside.csv")
    with Case(tmp_path / "case") as case:
        entries = list(Walker(case, case.start_run("scan")).walk([dump]))
        status = case.db.execute(
            "SELECT c.status, c.reason FROM files f JOIN contents c USING (sha256) "
            "WHERE f.path = 'link.csv'").fetchone()
    assert [e.path for e in entries] == ["inside.csv"]
    assert status == ("skipped", "symbolic link leaving the dump")
