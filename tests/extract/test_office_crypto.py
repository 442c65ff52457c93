"""Password-protected OOXML documents: opened with a known password and read as the document
inside, else recorded encrypted; through the extractor and through the CLI."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest
from noise import noise
from samples.office import NIR, make_docx, make_xls
from samples.office_more import (
    OFFICE_PASSWORD,
    encrypt_ooxml,
    make_encrypted_docx,
    make_pptx,
    make_xlsb,
)

from breachscope.extract import office_crypto
from breachscope.extract.dispatch import partition
from breachscope.extract.docx import partition_docx
from breachscope.extract.passwords import using_passwords
from breachscope.extract.units import EncryptedContent, ExtractionError
from breachscope.ingest.sniff import sniff_type


@pytest.fixture()
def protected(tmp_path: Path) -> Path:
    path = tmp_path / "courrier.docx"
    make_encrypted_docx(path)
    return path


def _texts(units) -> str:
    return "\n".join(getattr(u, "text", "") + " ".join(" ".join(r) for r in
                                                         getattr(u, "rows", [])) for u in units)


def test_sniffed_as_encrypted_office(protected: Path) -> None:
    assert sniff_type(protected) == "office_encrypted"


def test_without_passwords_it_is_encrypted(protected: Path) -> None:
    with pytest.raises(EncryptedContent) as info:
        list(partition(protected, "office_encrypted"))
    assert str(info.value) == "Office document encrypted (password protected)"


def test_wrong_passwords_are_encrypted_and_never_quoted(protected: Path) -> None:
    with using_passwords([b"motdepasse", "été2024".encode("latin-1")]), \
            pytest.raises(EncryptedContent) as info:
        list(partition(protected, "office_encrypted"))
    assert "no known password opens it" in str(info.value)
    assert "motdepasse" not in str(info.value)


def test_known_password_reads_the_document(protected: Path, tmp_path: Path) -> None:
    plain = tmp_path / "plain.docx"
    make_docx(plain)
    expected = [(u.kind, u.name, getattr(u, "text", None), getattr(u, "rows", None))
                for u in partition_docx(plain)]
    with using_passwords([b"faux", OFFICE_PASSWORD.encode()]):
        units = list(partition(protected, "office_encrypted"))
    assert [(u.kind, u.name, getattr(u, "text", None), getattr(u, "rows", None))
            for u in units] == expected
    assert NIR in _texts(units)


@pytest.mark.parametrize("fmt", ["pptx", "xlsb"])
def test_other_ooxml_formats(tmp_path: Path, fmt: str) -> None:
    plain = tmp_path / f"plain.{fmt}"
    if fmt == "pptx":
        make_pptx(plain)
    else:  # rows of distinct numbers: a package over 4096 bytes (see encrypt_ooxml)
        rows = [["Nom", "NIR", "Séjour"], ["DUPONT", float(NIR), 1.0]]
        rows += [[f"X{i}", float(10**14 + i * 7919), i * 1.37] for i in range(300)]
        make_xlsb(plain, {"Patients": rows})
    path = tmp_path / f"secret.{fmt}"
    encrypt_ooxml(plain, path)
    assert sniff_type(path) == "office_encrypted"
    with using_passwords([OFFICE_PASSWORD.encode()]):
        units = list(partition(path, "office_encrypted"))
    assert NIR in _texts(units)


def test_plain_document_never_written_to_disk(protected: Path, tmp_path: Path,
                                              monkeypatch) -> None:
    """Decrypted into memory: nothing appears in TMPDIR while the document is read."""
    watched = tmp_path / "tmp"
    watched.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(watched))
    seen: set[str] = set()
    with using_passwords([OFFICE_PASSWORD.encode()]):
        for _unit in partition(protected, "office_encrypted"):
            seen.update(os.listdir(watched))
    assert seen == set()


def test_decrypted_content_that_is_not_a_document(tmp_path: Path) -> None:
    import zipfile

    plain = tmp_path / "plain.zip"
    with zipfile.ZipFile(plain, "w") as archive:
        archive.writestr("[Content_Types].xml", '<Types xmlns="http://schemas.openxmlformats'
                         '.org/package/2006/content-types"/>')  # OOXML to msoffcrypto
        archive.writestr("notes.txt", f"NIR {NIR}")
        archive.writestr("filler.bin", noise(5000, seed=4001))  # over 4096 bytes (encrypt_ooxml)
    path = tmp_path / "secret.docx"
    encrypt_ooxml(plain, path)
    with using_passwords([OFFICE_PASSWORD.encode()]), pytest.raises(ExtractionError) as info:
        list(partition(path, "office_encrypted"))
    assert "not a document" in str(info.value) and NIR not in str(info.value)


def test_oversized_package_is_refused(protected: Path, monkeypatch) -> None:
    monkeypatch.setattr(office_crypto, "MAX_PACKAGE", 1024)
    with using_passwords([OFFICE_PASSWORD.encode()]), \
            pytest.raises(ExtractionError, match="refused"):
        list(partition(protected, "office_encrypted"))


def test_damaged_package(protected: Path, tmp_path: Path) -> None:
    data = protected.read_bytes()
    path = tmp_path / "abime.docx"
    path.write_bytes(data[: len(data) // 3])
    with using_passwords([OFFICE_PASSWORD.encode()]), \
            pytest.raises(ExtractionError) as info:
        list(partition(path, "office_encrypted"))
    assert NIR not in str(info.value)


def test_a_plain_ole_file_is_not_decrypted(tmp_path: Path) -> None:
    path = tmp_path / "plain.xls"
    make_xls(path)
    with using_passwords([OFFICE_PASSWORD.encode()]), pytest.raises(ExtractionError):
        list(office_crypto.partition_decrypted(path, "xls"))


def _scan(tmp_path: Path, cli, *extra: str) -> dict[str, dict[str, str]]:
    dump = tmp_path / "dump"
    dump.mkdir(exist_ok=True)
    if not (dump / "courrier.docx").exists():
        make_encrypted_docx(dump / "courrier.docx")
    case = tmp_path / f"case{len(extra)}"
    result = cli("scan", dump, "--case", case, "--workers", "1", *extra)
    assert result.exit_code == 0, result.output
    out = tmp_path / f"files{len(extra)}.csv"
    result = cli("export", "--case", case, "--what", "files", "--format", "csv", "-o", out)
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8", newline="") as fh:
        return {row["file"]: row for row in csv.DictReader(fh)}


@pytest.mark.slow
def test_cli_without_passwords_records_encrypted(tmp_path: Path, cli) -> None:
    files = _scan(tmp_path, cli)
    assert files["courrier.docx"]["status"] == "encrypted"


@pytest.mark.slow
def test_cli_with_passwords_reads_the_document(tmp_path: Path, cli) -> None:
    passwords = tmp_path / "passwords.txt"
    passwords.write_text(f"faux\n{OFFICE_PASSWORD}\n", encoding="utf-8")
    files = _scan(tmp_path, cli, "--passwords", str(passwords))
    row = files["courrier.docx"]
    assert row["status"] == "scanned", row["reason"]
    assert int(row.get("findings") or row.get("n_findings") or 0) > 0


def test_public_protected_workbook_when_present() -> None:
    from samples.office_more import SHARED_DOCUMENTS

    path = SHARED_DOCUMENTS / "unstructured" / "example-docs" / "password_protected.xlsx"
    if not path.exists():
        pytest.skip("shared test documents not present")
    assert sniff_type(path) == "office_encrypted"
    with using_passwords([b"faux"]), pytest.raises(EncryptedContent, match="no known"):
        list(partition(path, "office_encrypted"))
