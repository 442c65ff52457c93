from pathlib import Path

import pytest
from tests_helpers import make_zip

from breachscope.case import Case
from breachscope.ingest.walk import Walker
from breachscope.worker import ContentResult, ExpandedMember

CSV = b"nom;prenom\nDUPONT;Marie\n"


def test_top_level_walk_hashes_and_dedups(tmp_path):
    dump = tmp_path / "dump"
    (dump / "exports").mkdir(parents=True)
    (dump / "exports" / "a.csv").write_bytes(CSV)
    (dump / "copy_of_a.csv").write_bytes(CSV)
    (dump / "other.csv").write_bytes(b"x;y\n1;2\n")
    with Case(tmp_path / "case") as case:
        entries = list(Walker(case, case.start_run("scan")).walk([dump]))
        paths = dict(case.db.execute("SELECT path, sha256 FROM files").fetchall())
    assert sorted(paths) == ["copy_of_a.csv", "exports/a.csv", "other.csv"]
    assert paths["copy_of_a.csv"] == paths["exports/a.csv"]
    assert sorted(e.path for e in entries) == ["copy_of_a.csv", "other.csv"]
    assert all(e.file_type is None and not e.temporary for e in entries)


def test_a_fresh_case_is_walked_without_a_query_per_file_and_a_resumed_walk_reads_the_store_once(
        tmp_path, monkeypatch):
    dump = tmp_path / "dump"
    dump.mkdir()
    for i in range(5):
        (dump / f"f{i}.csv").write_bytes(CSV + str(i).encode())
    (dump / "copy.csv").write_bytes(CSV + b"0")
    asked: list[str] = []
    known, status = Case.known_file, Case.content_status
    monkeypatch.setattr(Case, "known_file",
                        lambda self, p: asked.append("file") or known(self, p))
    monkeypatch.setattr(Case, "content_status",
                        lambda self, sha: asked.append("status") or status(self, sha))
    with Case(tmp_path / "case") as case:
        entries = list(Walker(case, case.start_run("scan")).walk([dump]))
        assert len(entries) == 5  # the copy is the same content as f0.csv
        assert asked == ["status"]  # only for the copy, whose content was handed out
        for entry in entries:
            case.set_content(entry.sha256, size=entry.size, file_type="csv",
                             status="scanned", reason=None, n_units=1, seconds=0.0,
                             run_id=1)
        asked.clear()
        again = list(Walker(case, case.start_run("scan")).walk([dump]))
        assert again == []  # nothing to redo, known from one read of the store
        assert asked == []  # no query per file
        # A changed file is hashed anew and scanned; a content left pending is redone, once
        # (copy.csv, not f0.csv, its copy); one this run retries is redone.
        (dump / "f1.csv").write_bytes(CSV + b"changed")
        pending = next(e.sha256 for e in entries if e.path == "copy.csv")
        case.db.execute("UPDATE contents SET status = 'pending' WHERE sha256 = ?", [pending])
        case.retry = {next(e.sha256 for e in entries if e.path == "f2.csv")}
        third = list(Walker(case, case.start_run("scan")).walk([dump]))
    assert sorted(e.path for e in third) == ["copy.csv", "f1.csv", "f2.csv"]
    assert asked == ["status"]  # f0.csv: its content was handed out in this run


def test_members_are_recorded_under_contract_names(tmp_path):
    blob = tmp_path / "blob"
    blob.write_bytes(CSV)
    dup = tmp_path / "dup"
    dup.write_bytes(CSV)
    with Case(tmp_path / "case") as case:
        walker = Walker(case, case.start_run("scan"))
        [archive] = [e for e in walker.walk([_one_file(tmp_path)])]
        result = ContentResult("scanned", None, "zip", members=[
            ExpandedMember("inner.zip", "", 1, "scanned", None, "s-inner", 10, "zip",
                           is_archive=True),
            ExpandedMember("inner.zip!/a.csv", "inner.zip", 2, "ok", None, "s-a", 26, "csv",
                           blob=str(blob)),
            ExpandedMember("a_again.csv", "", 1, "ok", None, "s-a", 26, "csv", blob=str(dup)),
            ExpandedMember("secret.csv", "", 1, "encrypted", "password-protected member"),
            ExpandedMember("bomb.bin", "", 1, "skipped", "member expands beyond ratio 200"),
        ])
        entries = list(walker.members(archive, result))
        rows = dict(case.db.execute(
            "SELECT f.path, coalesce(c.status, 'to scan') || '|' || coalesce(f.parent, '') "
            "FROM files f LEFT JOIN contents c USING (sha256)").fetchall())
    assert [e.path for e in entries] == ["backup.zip!/inner.zip!/a.csv"]
    assert entries[0].temporary and entries[0].depth == 2
    assert not dup.exists()  # the duplicate's blob is dropped at once
    assert rows["backup.zip!/secret.csv"] == "encrypted|backup.zip"
    assert rows["backup.zip!/bomb.bin"] == "skipped|backup.zip"
    assert rows["backup.zip!/inner.zip!/a.csv"] == "to scan|backup.zip!/inner.zip"
    assert rows["backup.zip!/a_again.csv"] == "to scan|backup.zip"
    assert [a.sha256 for a in walker.stats.pending_archives] == [archive.sha256, "s-inner"]


def _one_file(tmp_path: Path) -> Path:
    path = tmp_path / "backup.zip"
    path.write_bytes(make_zip({"x": b"y"}))
    return path


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


@pytest.mark.slow
def test_two_sources_with_the_same_names_keep_both_files(tmp_path, cli):
    """``scan a b`` where both hold ``x.csv`` (and a folder literally named ``y.zip!``):
    every file keeps its own row and its own findings."""
    import csv

    for folder, nir in (("a", "254037512345655"), ("b", "185027512345625")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "x.csv").write_text(f"Nom;NIR\nDUPONT;{nir}\n")
    (tmp_path / "b" / "y.zip!").mkdir()
    (tmp_path / "b" / "y.zip!" / "z.csv").write_text("Nom;NIR\nMARTIN;297019912345681\n")
    case = tmp_path / "case"
    assert cli("scan", tmp_path / "a", tmp_path / "b", "--case", case).exit_code == 0
    out = tmp_path / "findings.csv"
    assert cli("export", "--case", case, "--what", "findings", "--format", "csv",
               "-o", out).exit_code == 0
    nirs = {(r["file"], r["value"]) for r in csv.DictReader(out.open(encoding="utf-8"))
            if r["entity"] == "NIR"}
    assert ("x.csv", "254037512345655") in nirs
    assert ("x (2).csv", "185027512345625") in nirs
    assert ("y.zip!\\/z.csv", "297019912345681") in nirs


def test_a_resumed_walk_copies_members_only_for_contents_that_have_some(tmp_path, monkeypatch):
    """A second scan of a dump grown with copies: the copy of an archive gets the archive's
    members under its own name; copies of plain files, and files already recorded, ask the
    store for no other path (a path lookup per file made resuming a 10 GB dump slow)."""
    from breachscope.pipeline import scan

    dump = tmp_path / "dump"
    dump.mkdir()
    archive = make_zip({"inner.csv": CSV + b"in the archive\n"})
    (dump / "a.zip").write_bytes(archive)
    for i in range(4):
        (dump / f"f{i}.csv").write_bytes(CSV + str(i).encode())
    with Case(tmp_path / "case") as case:
        scan([dump], case, workers=1)
    (dump / "b.zip").write_bytes(archive)  # the same content at a new path
    (dump / "copy_f0.csv").write_bytes(CSV + b"0")
    asked: list[str | None] = []
    lookup = Case.path_for_content
    monkeypatch.setattr(Case, "path_for_content",
                        lambda self, sha, exclude=None: asked.append(exclude)
                        or lookup(self, sha, exclude))
    with Case(tmp_path / "case") as case:
        summary = scan([dump], case, workers=1)
        rows = dict(case.db.execute("SELECT path, sha256 FROM files").fetchall())
    assert summary.n_scanned == 0  # nothing new to read
    assert rows["b.zip!/inner.csv"] == rows["a.zip!/inner.csv"]
    assert rows["copy_f0.csv"] == rows["f0.csv"]
    assert sorted(asked) == ["a.zip", "b.zip"]  # the two copies of the archive only
