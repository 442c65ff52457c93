"""Member blobs of an encrypted case are sealed on disk and read from memory (issue 12:
archive members and attachments were streamed in clear into ``work/blobs``)."""

from __future__ import annotations

import csv
import io
import os
import zipfile
from pathlib import Path

import pytest
from samples.databases import make_sqlite
from samples.office import make_doc, make_docx

from breachscope import sealed_blobs
from breachscope.sealed_blobs import FRAME, SealedBlobError, SealedWriter, iter_plain, opened
from breachscope.settings import ScanSettings
from breachscope.worker import sandbox
from breachscope.worker import task as worker

NIR_CSV = "185037512345641"  # a valid NIR (key 41) of the CSV's patient
NIR_DOCS = "254037512345655"  # the NIR of the sample letters (Word, PDF)
NIR_SPACED = "2 54 03 75 123 456 55"
NEEDLES = [NIR_CSV.encode(), NIR_DOCS.encode(), NIR_SPACED.encode(), b"DUPONT",
           NIR_CSV.encode("utf-16-le")]
KEY_TEXT = "correct horse battery staple"


def _pdf(text: str) -> bytes:
    """A one-page PDF whose text is stored uncompressed: in clear in a plain blob."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_compression(False)
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(0, 10, text)
    return bytes(pdf.output())


def _dump(tmp_path: Path) -> Path:
    """dump/export.zip (members stored, not compressed: in clear in the archive): a CSV, a
    Word 2007 letter, a Word 97 report, an SQLite database and a nested zip with a PDF."""
    docx, doc, db = tmp_path / "letter.docx", tmp_path / "report.doc", tmp_path / "base.sqlite"
    make_docx(docx)
    make_doc(doc)
    make_sqlite(db)
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_STORED) as z:
        z.writestr("cr.pdf", _pdf(f"Patiente DUPONT Jeanne, NIR {NIR_SPACED}"))
    dump = tmp_path / "dump"
    dump.mkdir()
    with zipfile.ZipFile(dump / "export.zip", "w", zipfile.ZIP_STORED) as z:
        z.writestr("patients.csv", f"Nom;Prénom;N° Sécu\nDUPONT;Marie;{NIR_CSV}\n")
        z.write(docx, "letter.docx")
        z.write(doc, "report.doc")
        z.write(db, "base.sqlite")
        z.writestr("inner.zip", inner.getvalue())
    return dump


def _files_holding(directory: Path, needles: list[bytes]) -> list[str]:
    found = []
    for path in sorted(directory.rglob("*")):
        try:
            data = path.read_bytes() if path.is_file() else b""
        except OSError:  # removed meanwhile
            continue
        if any(needle in data for needle in needles):
            found.append(str(path.relative_to(directory)))
    return found


def test_a_sealed_blob_round_trips_and_refuses_changes(tmp_path):
    key = os.urandom(32)
    plain = os.urandom(2 * FRAME + 1234)
    for size in (0, 10, FRAME, FRAME + 1, len(plain)):
        path = tmp_path / f"b{size}.sblob"
        writer = SealedWriter(path, key)
        for start in range(0, size, 100_000):
            writer.write(plain[start:min(start + 100_000, size)])
        writer.close()
        assert b"".join(iter_plain(path, key)) == plain[:size]
        streamed = tmp_path / f"s{size}.sblob"
        with sealed_blobs.memory_file() as (handle, _):
            handle.write(plain[:size])
            handle.seek(0)
            sealed_blobs.seal_stream(handle, streamed, key)
        assert b"".join(iter_plain(streamed, key)) == plain[:size]
        with opened(path, key) as readable:
            assert str(readable).startswith("/proc/self/fd/")
            assert readable.read_bytes() == plain[:size]
            assert readable.stat().st_size == size
    sealed = (tmp_path / f"b{len(plain)}.sblob").read_bytes()
    assert plain[:64] not in sealed
    cut = tmp_path / "cut.sblob"
    cut.write_bytes(sealed[: 2 * (FRAME + 28)])  # the last frame dropped
    altered = tmp_path / "altered.sblob"
    altered.write_bytes(sealed[:100] + bytes([sealed[100] ^ 1]) + sealed[101:])
    for bad, with_key in ((cut, key), (altered, key), (tmp_path / "b10.sblob", os.urandom(32))):
        with pytest.raises(SealedBlobError):
            b"".join(iter_plain(bad, with_key))


def test_the_worker_seals_members_and_scans_them_from_memory(tmp_path, monkeypatch):
    """In a worker of an encrypted case: every member blob is sealed (no identifier in
    clear), the nested archive is expanded from memory (never written), and scanning a
    sealed blob finds what the plain one would."""
    dump = _dump(tmp_path)
    work = tmp_path / "work"
    monkeypatch.setattr(sandbox, "sealing_key", [os.urandom(32)])
    result = worker.process_content(str(dump / "export.zip"), None, str(work), ScanSettings())
    assert result.status == "scanned", result.reason
    blobs = {m.name: m.blob for m in result.members if m.blob}
    assert set(blobs) == {"patients.csv", "letter.docx", "report.doc", "base.sqlite",
                          "inner.zip!/cr.pdf"}
    assert all(b.endswith(sealed_blobs.SUFFIX) for b in blobs.values())
    assert sorted(p.name for p in (work / "blobs").iterdir()) == sorted(
        Path(b).name for b in blobs.values())  # the nested zip itself: never on disk
    assert _files_holding(work, NEEDLES) == []
    member = next(m for m in result.members if m.name == "patients.csv")
    import hashlib
    assert member.sha256 == hashlib.sha256(
        f"Nom;Prénom;N° Sécu\nDUPONT;Marie;{NIR_CSV}\n".encode()).hexdigest()
    for name, blob in blobs.items():
        m = next(m for m in result.members if m.name == name)
        scanned = worker.process_content(blob, m.file_type, str(work), ScanSettings())
        assert scanned.status == "scanned", (name, scanned.reason)
        assert scanned.n_findings > 0, name
    assert not list((work / "tmp").glob("*")) if (work / "tmp").exists() else True
    # A file of the dump that happens to end like a sealed blob is read as it is.
    odd = tmp_path / "odd.sblob"
    odd.write_text(f"Nom;Prénom;N° Sécu\nDUPONT;Marie;{NIR_CSV}\n", encoding="utf-8")
    assert worker.process_content(str(odd), None, str(work), ScanSettings()).n_findings > 0


def test_without_a_key_member_blobs_stay_plain(tmp_path, monkeypatch):
    dump = _dump(tmp_path)
    monkeypatch.setattr(sandbox, "sealing_key", [None])
    result = worker.process_content(str(dump / "export.zip"), None, str(tmp_path / "work"),
                                    ScanSettings())
    blobs = [m.blob for m in result.members if m.blob]
    assert len(blobs) == 5 and not any(b.endswith(sealed_blobs.SUFFIX) for b in blobs)
    assert "patients.csv" in {m.name for m in result.members}
    assert _files_holding(tmp_path / "work", [NIR_CSV.encode()])  # the test can fail


@pytest.mark.slow
def test_an_encrypted_scan_leaves_no_member_in_clear_during_and_after(tmp_path, cli,
                                                                      monkeypatch):
    import breachscope.pipeline as pipeline

    dump = _dump(tmp_path)
    key_file = tmp_path / "case.key"
    key_file.write_text(KEY_TEXT + "\n", encoding="utf-8")
    case_dir = tmp_path / "case"
    # PDF and SQLite members are still decrypted into a file of the work area for the time
    # of their own task (worker.NEEDS_NAMED_FILE: their extractors resolve the path they are
    # given): while another member's results are stored, that task may be running. What
    # they hold is left out of the check made during the scan until they are read from
    # memory (then the check is strict by itself).
    with zipfile.ZipFile(dump / "export.zip") as z:
        named = [z.read(n) for n, t in (("inner.zip", "pdf"), ("base.sqlite", "sqlite"))
                 if t in worker.NEEDS_NAMED_FILE]
    during = [n for n in NEEDLES if not any(n in data for data in named)]
    assert during  # the CSV's NIR at least
    seen_blobs: set[str] = set()
    in_clear: list[str] = []
    real = pipeline.store_result

    def checking_store(case, entry, result, run_id, **kwargs):
        # A member's results are about to be stored: other members' blobs wait on disk.
        blob_dir = case_dir / "work" / "blobs"
        seen_blobs.update(p.name for p in blob_dir.iterdir()) if blob_dir.exists() else None
        in_clear.extend(_files_holding(case_dir, during))
        return real(case, entry, result, run_id, **kwargs)

    monkeypatch.setattr(pipeline, "store_result", checking_store)
    res = cli("scan", dump, "--case", case_dir, "--key-file", key_file, "--workers", "1")
    assert res.exit_code == 0, res.output
    assert in_clear == []
    assert len(seen_blobs) >= 4 and all(n.endswith(".sblob") for n in seen_blobs)
    assert _files_holding(case_dir, NEEDLES) == []
    out = tmp_path / "findings.csv"
    res = cli("export", "--case", case_dir, "--what", "findings", "--format", "csv", "-o", out,
              "--key-file", key_file, "--plaintext-output")
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    nirs = {(r["file"], r["value"]) for r in rows if r["entity"] == "NIR"}
    assert ("export.zip!/patients.csv", NIR_CSV) in nirs
    for member in ("letter.docx", "report.doc", "inner.zip!/cr.pdf"):
        assert (f"export.zip!/{member}", NIR_DOCS) in nirs, member
    assert any(p == "export.zip!/base.sqlite" for p, _ in nirs)


@pytest.mark.slow
def test_a_kill_9_while_members_wait_leaves_nothing_readable(tmp_path):
    """The scan is killed (SIGKILL) while sealed member blobs wait in the work area: what it
    leaves holds no identifier in clear, and the key that sealed it was never written."""
    import signal
    import subprocess
    import sys
    import time

    rows = "".join(f"DUPONT{i};Marie;{NIR_CSV}\n" for i in range(20))
    dump = tmp_path / "dump"
    dump.mkdir()
    with zipfile.ZipFile(dump / "many.zip", "w", zipfile.ZIP_STORED) as z:
        for i in range(300):
            z.writestr(f"p{i:03d}.csv", f"Nom;Prénom;N° Sécu\n{rows}x{i}\n")
    case_dir = tmp_path / "case"
    env = {**os.environ, "BREACHSCOPE_CASE_KEY": KEY_TEXT}
    scan = subprocess.Popen(
        [sys.executable, "-c", "from breachscope.cli import app; app()", "scan", str(dump),
         "--case", str(case_dir), "--workers", "1"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    blob_dir = case_dir / "work" / "blobs"
    waiting: list[Path] = []
    try:
        for _ in range(1200):  # up to 120 s for the zip to be expanded
            waiting = list(blob_dir.iterdir()) if blob_dir.exists() else []
            if len(waiting) >= 20 or scan.poll() is not None:
                break
            time.sleep(0.1)
    finally:
        os.kill(scan.pid, signal.SIGKILL)
        scan.wait()
    time.sleep(1.0)  # the workers die with the scan (PR_SET_PDEATHSIG)
    assert len(waiting) >= 20, "the scan ended before members waited on disk"
    assert list(blob_dir.iterdir())  # left behind by the kill...
    assert _files_holding(case_dir, [NIR_CSV.encode(), b"DUPONT1",
                                     NIR_CSV.encode("utf-16-le")]) == []  # ...unreadable
