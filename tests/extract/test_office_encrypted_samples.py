"""Password-protected documents made by LibreOffice itself (tests/data/office_encrypted, see its
make_samples.py): Word 97 and Excel 97 (RC4 CryptoAPI), ODT and ODS (ODF 1.2 AES). Without
the password each is ``encrypted``; a scan with ``--passwords`` reads the document inside.
These are the files a hospital's staff really make, where the other tests encrypt documents
with our own test helpers."""

from __future__ import annotations

import csv
import shutil
import zipfile
from pathlib import Path

import msoffcrypto
import pytest

SAMPLES = Path(__file__).parents[1] / "data" / "office_encrypted"
PASSWORD = "Cardio2024!"
FILES = ("consultation_protegee.doc", "patients_proteges.xls",
         "consultation_protegee.odt", "patients_proteges.ods")
EXPECTED = {("NIR", "254037512345655"), ("EMAIL", "jeanne.dupont@example.fr"),
            ("PHONE", "+33612345678")}


@pytest.mark.parametrize("name", FILES)
def test_each_sample_is_really_encrypted(name: str) -> None:
    """A sample saved in clear (LibreOffice 7.4 does that to a .ppt) would prove nothing."""
    path = SAMPLES / name
    if path.suffix in (".doc", ".xls"):
        with path.open("rb") as fh:
            assert msoffcrypto.OfficeFile(fh).is_encrypted()
    else:
        with zipfile.ZipFile(path) as odf:
            manifest = odf.read("META-INF/manifest.xml")
        assert b"encryption-data" in manifest and b"aes256-cbc" in manifest


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory):
    from typer.testing import CliRunner

    from breachscope.cli import app

    root = tmp_path_factory.mktemp("office_encrypted")
    dump = root / "dump"
    dump.mkdir()
    for name in FILES:
        shutil.copy(SAMPLES / name, dump / name)
    (root / "passwords.txt").write_text(f"mauvais\n{PASSWORD}\n", encoding="utf-8")
    runner = CliRunner()
    out = {}
    for label, extra in (("without", []), ("with", ["--passwords", str(root / "passwords.txt")])):
        case = root / f"case_{label}"
        result = runner.invoke(app, ["scan", str(dump), "--case", str(case), "--workers", "1",
                                     *extra], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        for what in ("files", "findings"):
            target = root / f"{label}_{what}.csv"
            runner.invoke(app, ["export", "--case", str(case), "--what", what, "--format",
                                "csv", "-o", str(target)], catch_exceptions=False)
            out[label, what] = list(csv.DictReader(target.open(encoding="utf-8")))
    return out


@pytest.mark.slow
def test_without_the_password_every_sample_is_encrypted(scanned) -> None:
    rows = {r["file"]: (r["status"], r["reason"]) for r in scanned["without", "files"]}
    assert rows == {name: ("encrypted", f"{Path(name).suffix[1:]} encrypted (password "
                           "protected)") for name in FILES}
    assert scanned["without", "findings"] == []


@pytest.mark.slow
def test_with_the_password_every_sample_is_read(scanned) -> None:
    rows = {r["file"]: r["status"] for r in scanned["with", "files"]}
    assert rows == dict.fromkeys(FILES, "scanned")
    found: dict[str, set[tuple[str, str]]] = {}
    for r in scanned["with", "findings"]:
        found.setdefault(r["file"], set()).add((r["entity"], r["value"]))
    for name in FILES:
        assert found.get(name, set()) >= EXPECTED, name
