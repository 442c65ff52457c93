"""Sniffing of the formats hospital leaks hold beyond tables: messages, mail, dumps, ODF."""

from __future__ import annotations

import sqlite3
import zipfile
from pathlib import Path

import pytest

from breachscope.ingest.sniff import sniff_type

SAMPLES = {
    "hl7": "MSH|^~\\&|SIH|CHA|DPI|CHA|20240211||ADT^A01|1|P|2.5\rPID|1||12345^^^CHA^PI\r",
    "hprim": "H|~^\\&|||LAB||ORU|||||H2.2^C|20240211\rP|1|01|02|02|DUPONT~MARIE||19500101|F\r",
    "mbox": "From jean@example.org Sat Feb 10 10:00:00 2024\nFrom: jean@example.org\n"
            "To: a@b.fr\nSubject: liste\n\nbody\n",
    "eml": "Received: from mx by mx\nFrom: Secretariat <sec@ch-armentieres.fr>\n"
           "To: dr.martin@ch-armentieres.fr\nSubject: Liste des patients\n"
           "Date: Sat, 10 Feb 2024 10:00:00 +0100\nMIME-Version: 1.0\n\nBonjour,\n",
    "sql": "-- MySQL dump 10.13  Distrib 8.0.36\n--\nCREATE TABLE `patient` (\n  `id` int\n);\n",
    "fhir": '{"resourceType": "Patient", "id": "p1", "name": [{"family": "DUPONT"}]}',
    "cda": '<?xml version="1.0"?>\n<ClinicalDocument xmlns="urn:hl7-org:v3"><id/>'
           "</ClinicalDocument>",
    "rtf": "{\\rtf1\\ansi Compte rendu\\par}",
}


@pytest.mark.parametrize("expected", sorted(SAMPLES))
def test_text_formats(tmp_path: Path, expected: str) -> None:
    path = tmp_path / "sample.bin"
    path.write_text(SAMPLES[expected], encoding="utf-8")
    assert sniff_type(path) == expected


def test_postgres_copy_dump(tmp_path: Path) -> None:
    path = tmp_path / "dump"
    path.write_text("SET statement_timeout = 0;\nCOPY public.patient (id, nom) FROM stdin;\n"
                    "1\tDUPONT\n\\.\n", encoding="utf-8")
    assert sniff_type(path) == "sql"


def test_binary_formats(tmp_path: Path) -> None:
    db = tmp_path / "base"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE patient (nom TEXT)")
    assert sniff_type(db) == "sqlite"
    tiff = tmp_path / "scan"
    tiff.write_bytes(b"II*\x00" + bytes(100))
    assert sniff_type(tiff) == "tiff"


@pytest.mark.parametrize(("mimetype", "expected"), [
    ("application/vnd.oasis.opendocument.spreadsheet", "ods"),
    ("application/vnd.oasis.opendocument.text", "odt"),
    ("application/epub+zip", "zip"),
])
def test_opendocument(tmp_path: Path, mimetype: str, expected: str) -> None:
    path = tmp_path / "doc"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", mimetype)
        zf.writestr("content.xml", "<office:document-content/>")
    assert sniff_type(path) == expected


def test_prose_and_csv_are_not_mail(tmp_path: Path) -> None:
    path = tmp_path / "note.txt"
    path.write_text("Note: patient vu ce matin.\nSuite: rien a signaler\n", encoding="utf-8")
    assert sniff_type(path) == "text"


def test_truncated_opendocument_keeps_its_type(tmp_path: Path) -> None:
    whole = tmp_path / "whole"
    with zipfile.ZipFile(whole, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", "<office:document-content/>" * 2000,
                    compress_type=zipfile.ZIP_DEFLATED)
    data = whole.read_bytes()
    cut = tmp_path / "cut.bin"
    cut.write_bytes(data[: len(data) // 2])
    assert sniff_type(cut) == "ods"


def test_damaged_compound_file_falls_back_on_its_extension(tmp_path: Path) -> None:
    path = tmp_path / "liste.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    assert sniff_type(path) == "xls"
    other = tmp_path / "blob.bin"
    other.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    assert sniff_type(other) == "ole"


def test_health_messages_in_their_real_world_wrappings(tmp_path: Path) -> None:
    mllp = tmp_path / "mllp"
    mllp.write_bytes(b"\x0b" + SAMPLES["hl7"].encode() + b"\x1c\r")
    assert sniff_type(mllp) == "hl7"
    late = tmp_path / "late.json"
    late.write_text('{"id": "' + "x" * 5000 + '", "resourceType": "Bundle"}', encoding="utf-8")
    assert sniff_type(late) == "fhir"
    prefixed = tmp_path / "cda.xml"
    prefixed.write_text('<?xml version="1.0"?>\n<!-- ' + "c" * 5000 + ' -->\n'
                        '<hl7:ClinicalDocument xmlns:hl7="urn:hl7-org:v3"/>',
                        encoding="utf-8")
    assert sniff_type(prefixed) == "cda"
