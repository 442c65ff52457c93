"""File and member names that are not valid UTF-8 (issue 12): a Latin-1 name written on
Windows, raw bytes in a tar header. One bad name never stops a scan; the name is stored in a
readable form and the file's data is found."""

from __future__ import annotations

import io
import os
import tarfile

import pytest

from breachscope.case import Case
from breachscope.ingest.walk import readable_name
from breachscope.pipeline import scan

ROWS = "nom;prenom;nir\nDUPONT;Jean;185057512345673\n"


def test_readable_name_escapes_only_undecodable_bytes():
    assert readable_name("résumé.csv") == "résumé.csv"
    latin1 = os.fsdecode(b"r\xe9sum\xe9.csv")  # what os.walk gives for Latin-1 bytes
    assert readable_name(latin1) == "r\\xe9sum\\xe9.csv"


@pytest.mark.slow
def test_names_that_are_not_utf8_are_scanned(tmp_path):
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "ok.csv").write_text("nom;prenom\nMARTIN;Paul\n", encoding="utf-8")
    with open(os.fsencode(dump) + b"/patients_r\xe9sum\xe9.csv", "wb") as fh:
        fh.write(ROWS.encode())
    data = b"nom;prenom;nir\nBERNARD;Lea;285057512345623\n"
    with tarfile.open(dump / "leak.tar", "w", format=tarfile.GNU_FORMAT, encoding="utf-8",
                      errors="surrogateescape") as tar:
        member = tarfile.TarInfo(os.fsdecode(b"dossier_\xe9t\xe9/liste.csv"))
        member.size = len(data)
        tar.addfile(member, io.BytesIO(data))
    with Case(tmp_path / "case") as case:
        summary = scan([dump], case, workers=1)
        rows = dict(case.db.execute(
            "SELECT f.path, c.status FROM files f JOIN contents c USING (sha256)").fetchall())
        nirs = {r[0] for r in case.db.execute("SELECT value FROM findings WHERE entity = 'NIR'")
                .fetchall()}
    assert rows == {"ok.csv": "scanned", "patients_r\\xe9sum\\xe9.csv": "scanned",
                    "leak.tar": "scanned", "leak.tar!/dossier_\\xe9t\\xe9/liste.csv": "scanned"}
    assert nirs == {"185057512345673", "285057512345623"}
    assert summary.n_people == 3
