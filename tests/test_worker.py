"""The worker task: archive trees expanded into the work area, content scanned to Parquet."""

from __future__ import annotations

import duckdb
from tests_helpers import FILES_ONLY_ENV, files_or_inline_task, make_zip

from breachscope.settings import ScanSettings
from breachscope.worker import process_content

CSV = "Nom;Prénom;N° Sécu\nDUPONT;Marie;2 54 03 75 123 456 55\n".encode()


def test_archive_tree_is_expanded_inside_the_work_area(tmp_path):
    inner = make_zip({"deep/c.csv": CSV, "a_again.csv": CSV})
    outer = make_zip({
        "inner.zip": inner,
        "../../escape.txt": b"should never land outside",
        "/etc/abs.txt": b"absolute",
        "secret.csv": b"nom\nX\n",
    }, encrypted={"secret.csv"})
    archive = tmp_path / "backup.zip"
    archive.write_bytes(outer)
    work = tmp_path / "case" / "work"
    result = process_content(str(archive), None, str(work), ScanSettings())
    assert (result.status, result.file_type) == ("scanned", "zip")
    members = {m.name: m for m in result.members}
    assert set(members) == {"inner.zip", "inner.zip!/deep/c.csv", "inner.zip!/a_again.csv",
                            "../../escape.txt", "etc/abs.txt", "secret.csv"}
    assert members["inner.zip"].is_archive and members["inner.zip"].blob is None
    assert members["inner.zip!/deep/c.csv"].parent == "inner.zip"
    assert members["inner.zip!/deep/c.csv"].depth == 2
    assert members["secret.csv"].status == "encrypted"
    assert members["secret.csv"].sha256 is None
    for m in result.members:
        if m.blob:
            assert str(m.blob).startswith(str(work))
    assert not (tmp_path / "escape.txt").exists()
    assert not (tmp_path.parent / "escape.txt").exists()


def test_content_is_scanned_into_parquet(tmp_path):
    path = tmp_path / "list.csv"
    path.write_bytes(CSV)
    result = process_content(str(path), None, str(tmp_path / "work"), ScanSettings())
    assert (result.status, result.file_type, result.n_records) == ("scanned", "csv", 1)
    findings = result.table("findings")  # noqa: F841  (read by DuckDB's replacement scan)
    rows = duckdb.sql("SELECT entity, value FROM findings WHERE entity = 'NIR'").fetchall()
    assert rows == [("NIR", "254037512345655")]


def test_corrupt_zip_fails_with_a_reason(tmp_path):
    data = make_zip({"a.csv": CSV * 50})
    path = tmp_path / "broken.zip"
    path.write_bytes(data[: len(data) // 2])
    result = process_content(str(path), None, str(tmp_path / "work"), ScanSettings())
    assert result.status == "failed"
    assert "zip" in result.reason


def test_too_deep_nesting_is_skipped(tmp_path):
    data = CSV
    for _ in range(4):
        data = make_zip({"next.zip" if data is not CSV else "list.csv": data})
    path = tmp_path / "deep.zip"
    path.write_bytes(data)
    settings = ScanSettings()
    import dataclasses

    shallow = dataclasses.replace(settings, archive=dataclasses.replace(settings.archive,
                                                                        max_depth=2))
    result = process_content(str(path), None, str(tmp_path / "work"), shallow)
    reasons = {m.name: (m.status, m.reason) for m in result.members}
    assert reasons["next.zip!/next.zip"][0] == "skipped"
    assert "deeper than 2" in reasons["next.zip!/next.zip"][1]


def test_raw_utf8_mail_headers_are_stored_not_dropped(tmp_path):
    """Raw 8-bit header bytes come out of the e-mail parser as lone surrogates, which Arrow
    cannot store: they are decoded, and a storage failure would be a failure, never 'nothing
    found'."""
    path = tmp_path / "m.eml"
    path.write_bytes(
        "From: Chloé Léger <chloe.leger@orange.fr>\nTo: sec@ch-armentieres.fr\n"
        "Subject: Liste\nDate: Sat, 10 Feb 2024 10:00:00 +0100\nMIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=utf-8\n\nRappeler au 06 12 34 56 78.\n"
        .encode())
    result = process_content(str(path), None, str(tmp_path / "work"), ScanSettings())
    assert (result.status, result.file_type) == ("scanned", "eml")
    findings = result.table("findings")  # noqa: F841  (read by DuckDB's replacement scan)
    rows = duckdb.sql("SELECT entity, value FROM findings").fetchall()
    assert ("PERSON", "Chloé Léger") in rows
    assert ("PHONE", "+33612345678") in rows


def test_an_unsupported_type_is_skipped_with_its_reason(tmp_path):
    """The extractor table refuses the type before reading anything: a status, never an
    exception out of the task."""
    path = tmp_path / "sound.mp3"
    path.write_bytes(b"ID3\x03\x00\x00\x00" + bytes(range(256)) * 8)
    result = process_content(str(path), None, str(tmp_path / "work"), ScanSettings())
    assert result.status == "skipped"
    assert result.reason.startswith("unsupported type")


def test_archive_members_stop_when_the_case_disk_is_nearly_full(tmp_path):
    """The case-wide disk guard is on in the worker: with more free space required than the
    disk has, no member is written and each says why."""
    from breachscope.ingest.archives import ArchiveLimits

    archive = tmp_path / "a.zip"
    archive.write_bytes(make_zip({"a.csv": b"Nom;NIR\nDUPONT;254037512345655\n"}))
    settings = ScanSettings(archive=ArchiveLimits(disk_reserve_bytes=1 << 62))
    result = process_content(str(archive), None, str(tmp_path / "work"), settings)
    (member,) = result.members
    assert member.status == "skipped" and "disk nearly full" in member.reason
    assert not any((tmp_path / "work" / "blobs").iterdir())


def test_an_archive_with_a_member_stopped_by_a_limit_is_partial(tmp_path):
    """Honest statuses: a member stopped by the ratio limit has its own 'skipped' row, and the
    archives holding it (inner and outer) are 'partial', saying how many and why; an archive
    read whole stays 'scanned'."""
    csv = b"Nom;NIR\nDUPONT;254037512345655\n"
    inner = make_zip({"bomb.bin": bytes(8 << 20), "ok.csv": csv})
    archive = tmp_path / "outer.zip"
    archive.write_bytes(make_zip({"inner.zip": inner, "plain.csv": csv}))
    result = process_content(str(archive), None, str(tmp_path / "work"), ScanSettings())
    members = {m.name: m for m in result.members}
    assert members["inner.zip!/bomb.bin"].status == "skipped"
    assert "ratio" in members["inner.zip!/bomb.bin"].reason
    assert members["inner.zip!/ok.csv"].status == "ok"
    assert members["inner.zip"].status == "partial"
    assert members["inner.zip"].reason.startswith("1 of 2 members not read whole (limit)")
    assert result.status == "partial" and result.reason.startswith("1 of 2 members")
    whole = tmp_path / "whole.zip"
    whole.write_bytes(make_zip({"a.csv": csv}))
    assert process_content(str(whole), None, str(tmp_path / "w2"), ScanSettings()).status \
        == "scanned"


def test_a_document_whose_attachment_a_limit_stopped_is_partial(tmp_path):
    """The mail is read, its attachment is not (the case's disk 'nearly full'): the
    attachment's row says why and the mail is 'partial', not 'scanned'."""
    from email.message import EmailMessage

    from breachscope.ingest.archives import ArchiveLimits

    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "a@ch.fr", "b@ch.fr", "liste"
    msg.set_content("Ci-joint la liste.")
    msg.add_attachment(b"Nom;NIR\nDUPONT;254037512345655\n", maintype="text",
                       subtype="csv", filename="liste.csv")
    path = tmp_path / "m.eml"
    path.write_bytes(msg.as_bytes())
    full = ScanSettings(archive=ArchiveLimits(disk_reserve_bytes=1 << 62))
    result = process_content(str(path), None, str(tmp_path / "work"), full)
    (member,) = result.members
    assert member.status == "skipped" and "disk nearly full" in member.reason
    assert result.status == "partial" and "1 of 1 members" in result.reason
    ok = process_content(str(path), None, str(tmp_path / "work2"), ScanSettings())
    assert ok.status == "scanned"


def test_a_small_content_returns_its_rows_inline_and_writes_no_file(tmp_path, monkeypatch):
    from breachscope.worker import sink

    path = tmp_path / "list.csv"
    path.write_bytes(CSV)
    work = tmp_path / "work"
    result = process_content(str(path), None, str(work), ScanSettings())
    assert result.findings_file is None and result.records_file is None
    assert set(result.inline) >= {"findings", "records"}
    assert result.n_findings == len(result.inline["findings"]["value"]) > 0
    assert not list((work / "results").iterdir())  # three Parquet files per letter saved
    # Past the threshold (or for an encrypted case) the rows go to files, as before.
    monkeypatch.setattr(sink, "INLINE_ROWS", 0)
    big = process_content(str(path), None, str(work), ScanSettings())
    assert big.inline == {} and big.cells_file and big.records_file
    assert big.table("findings").to_pylist() == result.table("findings").to_pylist()


def test_inline_and_file_results_reach_the_store_alike(tmp_path, monkeypatch):
    from breachscope.case import Case
    from breachscope.pipeline import scan

    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "list.csv").write_bytes(CSV)
    (dump / "lettre.txt").write_text("Mme DUPONT Marie, née le 12/03/1954, tél. 06 12 34 56 78",
                                     encoding="utf-8")
    stored = {}
    for files_only in ("", "1"):
        monkeypatch.setenv(FILES_ONLY_ENV, files_only)
        with Case(tmp_path / f"case{files_only}") as case:
            scan([dump], case, workers=1, task=files_or_inline_task)
            stored[files_only] = (
                case.db.execute("SELECT entity, value, location FROM findings "
                                "ORDER BY ALL").fetchall(),
                case.db.execute("SELECT record_id, nir, last_name, phones FROM records "
                                "ORDER BY ALL").fetchall())
    assert stored[""] == stored["1"]
    assert ("NIR", "254037512345655") in {(e, v) for e, v, _ in stored[""][0]}
    assert len(stored[""][1]) >= 2


def test_workers_run_at_a_lower_priority_than_the_main_process(tmp_path):
    """The main process stores the results in one thread: served before the workers, it
    keeps up with them (``sandbox.WORKER_NICENESS``). Lowered once per worker process, not
    once per scan or task (a Ray worker process is set up again for a later scan)."""
    import os

    from tests_helpers import niceness_task

    from breachscope.case import Case
    from breachscope.pipeline import scan
    from breachscope.worker import sandbox

    dump = tmp_path / "dump"
    dump.mkdir()
    for i in range(6):
        (dump / f"note{i}.bin").write_bytes(b"x" * (70_000 + i))  # not batched: a task each
    with Case(tmp_path / "case") as case:
        scan([dump], case, workers=2, task=niceness_task)
        reasons = {r for (r,) in case.db.execute("SELECT reason FROM contents").fetchall()}
    assert reasons == {f"nice {os.nice(0) + sandbox.WORKER_NICENESS}"}
    assert sandbox.WORKER_NICENESS > 0


def test_a_worker_process_set_up_twice_is_lowered_once():
    import subprocess
    import sys

    code = ("import os\nfrom breachscope.worker import sandbox\nbefore = os.nice(0)\n"
            "sandbox._lower_priority()\nsandbox._lower_priority()\nprint(os.nice(0) - before)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert int(out) == 5
