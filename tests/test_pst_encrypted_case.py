"""A PST scanned into an encrypted case (issue 12: "nothing outside the case ... encrypted or
not written at all"): while it is read, no file of the case (its work area included) or of
the system's temporary folder holds its identifiers in clear (pffexport used to export every
item under the work area's temporary folder), and they are found."""

from __future__ import annotations

import tempfile
import threading
import time
import zipfile
from pathlib import Path

import pytest
from samples.pst import CONTACT_EMAIL, big_pst, sample_pst

from breachscope.case import Case
from breachscope.pipeline import scan

NEEDLES = ["2 54 03 75 123 456 55", "06 12 34 56 78", "marie.dupont@orange.fr",
           "1 85 12 75 108 016 08", "07 11 22 33 44", "secretariat@chu-exemple.fr"]


def _watch(folders: list[Path], needles: list[bytes], hits: set[str], names: set[str],
           stop: threading.Event, rounds: list[int]) -> None:
    """Every file under ``folders``, read again and again until ``stop``: the ones holding
    a needle in clear go to ``hits``, every name seen to ``names``."""
    while not stop.is_set():
        for folder in folders:
            try:
                paths = list(folder.rglob("*"))
            except OSError:  # a folder removed while listed (the work area is cleared)
                continue
            for path in paths:
                names.add(str(path.relative_to(folder)))
                try:
                    data = path.read_bytes() if path.is_file() else b""
                except OSError:  # removed meanwhile
                    continue
                if any(needle in data for needle in needles):
                    hits.add(str(path))
        rounds[0] += 1
        time.sleep(0.001)


@pytest.mark.slow
def test_a_pst_in_an_encrypted_case_leaves_nothing_readable(tmp_path, monkeypatch):
    system_tmp = tmp_path / "system_tmp"
    system_tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(system_tmp))
    monkeypatch.setattr(tempfile, "tempdir", None)
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "boite.pst").write_bytes(sample_pst())
    # A PST inside a zip: a member blob, sealed, read from an in-memory file.
    with zipfile.ZipFile(dump / "archive.zip", "w") as archive:
        archive.writestr("sauvegarde/archives.pst", big_pst(messages=3))
    case_dir = tmp_path / "case"
    case_dir.mkdir()
    needles = [n.encode(e) for n in NEEDLES for e in ("utf-8", "utf-16-le")]
    hits: set[str] = set()
    names: set[str] = set()
    rounds = [0]
    stop = threading.Event()
    watcher = threading.Thread(target=_watch, daemon=True,
                               args=([case_dir, system_tmp], needles, hits, names, stop, rounds))
    watcher.start()
    try:
        with Case(case_dir, key="correct horse battery staple") as case:
            scan([dump], case, workers=1)
            found = set(case.db.execute("SELECT entity, value FROM findings").fetchall())
            statuses = {path: status for path, status in case.db.execute(
                "SELECT f.path, c.status FROM files f JOIN contents c USING (sha256)"
            ).fetchall()}
    finally:
        stop.set()
        watcher.join()
    assert rounds[0] > 10  # the watcher looked during the scan
    assert hits == set()
    assert not any("pst" in name.lower() and "blobs" not in name for name in names), names
    assert list(system_tmp.iterdir()) == []
    assert statuses["boite.pst"] == "scanned"
    assert statuses["archive.zip!/sauvegarde/archives.pst"] == "scanned"
    assert statuses["archive.zip!/sauvegarde/archives.pst!/Archives 1/Message00003/"
                    "Message.txt"] == "scanned"
    assert {("NIR", "254037512345655"), ("NIR", "185127510801608"),
            ("PHONE", "+33612345678"), ("PHONE", "+33711223344"),
            ("EMAIL", "marie.dupont@orange.fr"), ("EMAIL", CONTACT_EMAIL),
            ("EMAIL", "secretariat@chu-exemple.fr")} <= found
