"""Nothing outside the case (issue 12): the workers' temporary files (OCR page images and
text, antiword's output) live in the case's work area, not in the system's temporary folder.
A thread watches the folder TMPDIR points to for the whole scan."""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from pathlib import Path

import pytest
from samples import scans

from breachscope.case import Case
from breachscope.pipeline import scan

DOC = Path(__file__).parent / "data" / "doc" / "consultation.doc"


def _watch(folder: Path, seen: set[str], stop: threading.Event) -> None:
    while not stop.is_set():
        seen.update(p.name for p in folder.iterdir())
        time.sleep(0.002)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("tesseract") is None or shutil.which("antiword") is None,
                    reason="needs tesseract and antiword (installed by scripts/setup.sh)")
def test_workers_write_no_temporary_file_outside_the_case(tmp_path, monkeypatch):
    watched = tmp_path / "system_tmp"
    watched.mkdir()
    monkeypatch.setenv("TMPDIR", str(watched))
    monkeypatch.setattr(tempfile, "tempdir", None)  # the test process reads TMPDIR again
    dump = tmp_path / "dump"
    dump.mkdir()
    expected = scans.make_png(dump / "scan.png")
    shutil.copy(DOC, dump / "consultation.doc")
    seen: set[str] = set()
    stop = threading.Event()
    watcher = threading.Thread(target=_watch, args=(watched, seen, stop), daemon=True)
    watcher.start()
    try:
        with Case(tmp_path / "case") as case:
            scan([dump], case, workers=1)
            statuses = dict(case.db.execute(
                "SELECT f.path, c.status FROM files f JOIN contents c USING (sha256)").fetchall())
            found = {(e, v) for e, v in case.db.execute(
                "SELECT entity, value FROM findings").fetchall()}
    finally:
        stop.set()
        watcher.join()
    assert statuses == {"scan.png": "scanned", "consultation.doc": "scanned"}
    assert set(expected) <= found  # the OCR ran
    assert not seen, seen
