"""A full disk is not a verdict on a file, and a password learned later is used (issue 12):
"No space left on device" in a worker or while writing the store never stops the scan, the
content is recorded ``failed`` with a retryable reason, and the next scan of the case redoes
it; a re-scan with ``--passwords`` retries the contents recorded ``encrypted``."""

from __future__ import annotations

import errno
import io
import os
from pathlib import Path

import duckdb
import pytest
import pyzipper

import breachscope.pipeline as pipeline
from breachscope.case import Case
from breachscope.pipeline import scan
from breachscope.settings import ScanSettings
from breachscope.worker import NO_SPACE_REASON, ContentResult, process_content, sink

NIR = "254037512345655"
LIST = f"Nom;Prénom;N° Sécu\nDUPONT;Marie;{NIR}\n".encode()
FULL_DISK_ENV = "BREACHSCOPE_TEST_FULL_DISK"


def _statuses(case: Case) -> dict[str, str]:
    return dict(case.db.execute(
        "SELECT f.path, c.status || ':' || coalesce(c.reason, '') "
        "FROM files f JOIN contents c USING (sha256)").fetchall())


def _nirs(case: Case) -> list[str]:
    return [v for (v,) in case.db.execute(
        "SELECT DISTINCT value FROM findings WHERE entity = 'NIR'").fetchall()]


def test_a_full_disk_while_writing_results_is_a_retryable_failure(tmp_path, monkeypatch):
    import pyarrow.parquet as pq

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(pq.ParquetWriter, "write_table", full)
    monkeypatch.setattr(sink, "INLINE_ROWS", 0)  # results to files, as for a large content
    path = tmp_path / "list.csv"
    path.write_bytes(LIST)
    result = process_content(str(path), None, str(tmp_path / "work"), ScanSettings())
    assert (result.status, result.reason) == ("failed", NO_SPACE_REASON)
    assert result.findings_file is None
    assert not list((tmp_path / "work" / "results").iterdir())


def full_disk_task(path: str, file_type: str | None, work_dir: str, settings: ScanSettings,
                   depth: int = 0) -> ContentResult:
    """The real task, in a worker whose disk is full while the environment says so: every
    archive member or result batch written fails with ENOSPC."""
    if os.environ.get(FULL_DISK_ENV):
        import pyarrow.parquet as pq

        import breachscope.worker.archive as archive

        def full(*args, **kwargs):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        pq.ParquetWriter.write_table = full  # type: ignore[method-assign]
        archive.stream_to = full  # type: ignore[assignment]
        sink.INLINE_ROWS = 0  # results to files (small ones travel inline, never written)
    return process_content(path, file_type, work_dir, settings, depth)


@pytest.mark.slow
def test_no_space_in_a_worker_never_stops_the_scan_and_the_next_scan_retries(
        tmp_path, monkeypatch):
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "list.csv").write_bytes(LIST)
    buf = io.BytesIO()
    with pyzipper.ZipFile(buf, "w") as zf:
        zf.writestr("inner/list2.csv", LIST.replace(b"Marie", b"Jeanne"))
    (dump / "export.zip").write_bytes(buf.getvalue())
    monkeypatch.setenv(FULL_DISK_ENV, "1")
    with Case(tmp_path / "case") as case:
        summary = scan([dump], case, workers=1, task=full_disk_task)
        first = _statuses(case)
        assert _nirs(case) == []
    assert summary.n_failed >= 2
    assert first["list.csv"] == f"failed:{NO_SPACE_REASON}"
    assert first["export.zip"] == f"failed:{NO_SPACE_REASON}"
    assert first["export.zip!/inner/list2.csv"] == f"failed:{NO_SPACE_REASON}"
    monkeypatch.delenv(FULL_DISK_ENV)  # space was freed
    with Case(tmp_path / "case") as case:
        summary = scan([dump], case, workers=1, task=full_disk_task)
        second = _statuses(case)
        assert _nirs(case) == [NIR]
        n, distinct = case.db.execute(  # records of the retried contents, once each
            "SELECT count(*), count(DISTINCT record_id) FROM records").fetchone()
        assert n == distinct >= 2
    assert second["list.csv"] == "scanned:"
    assert second["export.zip"] == "scanned:"
    assert second["export.zip!/inner/list2.csv"] == "scanned:"
    assert summary.n_failed == 0


@pytest.mark.slow
def test_no_space_while_writing_the_store_never_stops_the_scan(tmp_path, monkeypatch):
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "a.csv").write_bytes(LIST)
    (dump / "b.csv").write_text("Nom;Prénom\nMARTIN;Paul\n", encoding="utf-8")
    real = pipeline.store_result
    full = {"on": True}

    def store_on_a_full_disk(case, entry, result, run_id, **kwargs):
        if full["on"] and entry.path == "a.csv" and result.status == "scanned":
            raise duckdb.IOException(
                'Could not write file "case.duckdb.wal": No space left on device')
        return real(case, entry, result, run_id, **kwargs)

    monkeypatch.setattr(pipeline, "store_result", store_on_a_full_disk)
    with Case(tmp_path / "case") as case:
        scan([dump], case, workers=1)
        first = _statuses(case)
    assert first == {"a.csv": f"failed:{NO_SPACE_REASON}", "b.csv": "scanned:"}
    assert not list((tmp_path / "case").glob("work/results/*"))
    full["on"] = False
    with Case(tmp_path / "case") as case:
        summary = scan([dump], case, workers=1)
        assert _statuses(case) == {"a.csv": "scanned:", "b.csv": "scanned:"}
        assert _nirs(case) == [NIR]
    assert summary.n_scanned == 1  # only the content that failed is redone


@pytest.mark.slow
def test_a_rescan_with_passwords_retries_what_was_encrypted(tmp_path):
    dump = tmp_path / "dump"
    dump.mkdir()
    buf = io.BytesIO()
    with pyzipper.AESZipFile(buf, "w", compression=pyzipper.ZIP_DEFLATED,
                             encryption=pyzipper.WZ_AES) as zf:
        zf.setpassword(b"hopital2024")
        zf.writestr("patients.csv", LIST)
    (dump / "dossiers.zip").write_bytes(buf.getvalue())
    (dump / "other.csv").write_text("Nom;Prénom\nMARTIN;Paul\n", encoding="utf-8")
    with Case(tmp_path / "case") as case:
        scan([dump], case, workers=1)
        assert _statuses(case)["dossiers.zip!/patients.csv"].startswith("encrypted:")
        assert _nirs(case) == []
        again = scan([dump], case, workers=1)  # no new password: nothing is redone
        assert again.n_scanned == 0
    with Case(tmp_path / "case") as case:
        summary = scan([dump], case, workers=1,
                       settings=ScanSettings(passwords=(b"wrong", b"hopital2024")))
        statuses = _statuses(case)
        assert _nirs(case) == [NIR]
    assert statuses["dossiers.zip!/patients.csv"] == "scanned:"
    assert statuses["other.csv"] == "scanned:"
    assert summary.n_scanned == 2  # the archive and its member; other.csv is not redone
    assert Path(tmp_path / "case").exists()
