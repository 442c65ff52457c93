"""Outlook PST files through pffexport: items as members, contacts as records, limits.

The sample PST is written by ``samples.pst`` (no free library writes PST files): a real file
that libpff reads, with a message and a contact."""

from __future__ import annotations

import csv
import os
import stat
from pathlib import Path

import pytest
from samples.mail import NIR, NIR2, PHONE
from samples.pst import CSV, sample_pst

from breachscope.detect.dispatch import detect_units
from breachscope.extract import pst
from breachscope.extract.dispatch import partition
from breachscope.extract.partial import PartialContent
from breachscope.extract.units import EmbeddedFile, ExtractionError, RecordUnit
from breachscope.ingest.sniff import sniff_type

needs_pffexport = pytest.mark.skipif(pst.pffexport_path() is None,
                                     reason="pffexport (Debian pff-tools) not installed")


def read_all(path: Path, file_type: str = "pst") -> tuple[list, dict[str, bytes]]:
    """Units and members' bytes, each member read before the next unit (as the worker
    does: the export is removed once the extractor ends)."""
    units, files = [], {}
    for unit in partition(path, file_type):
        units.append(unit)
        if isinstance(unit, EmbeddedFile):
            files[unit.name] = b"".join(unit.chunks())
    return units, files


@needs_pffexport
def test_pst_items_are_members_and_contacts_records(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path / "work"))
    (tmp_path / "work").mkdir()
    monkeypatch.setattr("tempfile.tempdir", None)
    path = tmp_path / "boite.pst"
    path.write_bytes(sample_pst())
    assert sniff_type(path) == "pst"
    units, files = read_all(path)
    assert set(files) >= {"Boîte de réception/Message00001/Message.txt",
                          "Boîte de réception/Message00001/OutlookHeaders.txt",
                          "Contacts/Contact00001/Contact.txt"}
    assert not any(name.endswith("ItemValues.txt") for name in files)
    attachment = "Boîte de réception/Message00001/Attachments/1_liste patients.csv"
    assert files[attachment] == CSV
    body = files["Boîte de réception/Message00001/Message.txt"].decode()
    assert "NIR 2 54 03 75 123 456 55" in body and "06 12 34 56 78" in body
    assert "marie.dupont@orange.fr" in files[
        "Boîte de réception/Message00001/OutlookHeaders.txt"].decode()
    records = [u for u in units if isinstance(u, RecordUnit)]
    assert [r.name for r in records] == ["Contacts/Contact00001, contact"]
    found = {(f.entity, f.value, f.location) for f in detect_units(records).findings}
    assert {("NIR", NIR2, "Contacts/Contact00001, contact, Government ID"),
            ("PHONE", "+33698765432", "Contacts/Contact00001, contact, Mobile phone"),
            ("BIRTH_DATE", "1985-12-04", "Contacts/Contact00001, contact, Birthday")} <= found
    # Nothing left behind in the temporary folder.
    assert list((tmp_path / "work").iterdir()) == []


@needs_pffexport
def test_damaged_pst_fails_with_a_reason(tmp_path):
    data = sample_pst()
    cut = tmp_path / "cut.pst"
    cut.write_bytes(data[:1024])
    with pytest.raises(ExtractionError, match=r"^pffexport cannot read the file"):
        read_all(cut)
    noise = tmp_path / "noise.pst"
    noise.write_bytes(b"!BDN" + bytes(range(256)) * 64)
    with pytest.raises(ExtractionError):
        read_all(noise)
    # The contact's heap header wiped: the message is read, the file is partial.
    hole = bytearray(data)
    at = hole.rfind(b"\xec\xbc", 0, hole.find("Jean MARTIN".encode("utf-16-le"))) - 2
    hole[at : at + 12] = bytes(12)
    holed = tmp_path / "hole.pst"
    holed.write_bytes(hole)
    files: dict[str, bytes] = {}
    with pytest.raises(PartialContent, match=r"^damaged PST: pffexport could not export "
                                             r"\d+ items$"):
        for unit in partition(holed, "pst"):
            if isinstance(unit, EmbeddedFile):
                files[unit.name] = b"".join(unit.chunks())
    assert b"06 12 34 56 78" in files["Boîte de réception/Message00001/Message.txt"]


def _fake_pffexport(tmp_path: Path, body: str) -> str:
    """A stand-in for pffexport (a shell script) to test the limits; ``$8`` is the target."""
    script = tmp_path / "pffexport"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


def test_export_size_cap_keeps_what_was_exported(tmp_path, monkeypatch):
    fake = _fake_pffexport(tmp_path, 'mkdir -p "$8.export/Inbox/Message00001"\n'
                           'printf "NIR 2 54 03 75 123 456 55\\n" > '
                           '"$8.export/Inbox/Message00001/Message.txt"\n'
                           'head -c 3000000 /dev/zero > "$8.export/Inbox/big.bin"\n'
                           "exec sleep 60\n")
    monkeypatch.setattr(pst, "pffexport_path", lambda: fake)
    monkeypatch.setattr(pst, "MAX_EXPORT_BYTES", 1 << 20)
    path = tmp_path / "x.pst"
    path.write_bytes(b"!BDN")
    units, files = [], {}
    with pytest.raises(PartialContent, match=r"^export larger than 1 MiB$"):
        for unit in partition(path, "pst"):
            units.append(unit)
            files[unit.name] = b"".join(unit.chunks())
    assert files["Inbox/Message00001/Message.txt"] == b"NIR 2 54 03 75 123 456 55\n"


def test_export_time_limit(tmp_path, monkeypatch):
    fake = _fake_pffexport(tmp_path, "exec sleep 60\n")
    monkeypatch.setattr(pst, "pffexport_path", lambda: fake)
    monkeypatch.setattr(pst, "PST_TIMEOUT", 1.0)
    path = tmp_path / "x.pst"
    path.write_bytes(b"!BDN")
    with pytest.raises(ExtractionError, match=r"^pffexport time limit exceeded \(1 s\)$"):
        list(partition(path, "pst"))


def test_missing_pffexport_fails_with_a_reason(tmp_path, monkeypatch):
    monkeypatch.setattr(pst, "pffexport_path", lambda: None)
    path = tmp_path / "x.pst"
    path.write_bytes(b"!BDN")
    with pytest.raises(ExtractionError, match="pffexport is not installed"):
        list(partition(path, "pst"))


@needs_pffexport
def test_scan_reads_a_pst(tmp_path, cli):
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "boite.pst").write_bytes(sample_pst())
    case = tmp_path / "case"
    assert cli("scan", dump, "--case", case).exit_code == 0
    out = tmp_path / "findings.csv"
    assert cli("export", "--case", case, "--what", "findings", "--format", "csv",
               "-o", out).exit_code == 0
    got = {(r["file"], r["entity"], r["value"]) for r in csv.DictReader(out.open())}
    message = "boite.pst!/Boîte de réception/Message00001/Message.txt"
    attachment = "boite.pst!/Boîte de réception/Message00001/Attachments/1_liste patients.csv"
    assert {(message, "NIR", NIR), (message, "PHONE", PHONE), (attachment, "NIR", NIR),
            ("boite.pst", "NIR", NIR2)} <= got, sorted(got)
    assert os.path.exists(case)


def test_recovered_items_are_members_too(tmp_path, monkeypatch):
    fake = _fake_pffexport(tmp_path, 'if [ "$6" = items ]; then\n'
                           '  mkdir -p "$8.export/Inbox"\n'
                           'else\n'
                           '  mkdir -p "$8.recovered/Message00001" "$8.orphans/Contact00001"\n'
                           '  printf "tél 06 12 34 56 78\\n" > '
                           '"$8.recovered/Message00001/Message.txt"\n'
                           '  printf "x\\n" > "$8.orphans/Contact00001/Contact.txt"\n'
                           'fi\n')
    monkeypatch.setattr(pst, "pffexport_path", lambda: fake)
    path = tmp_path / "x.pst"
    path.write_bytes(b"!BDN")
    _, files = read_all(path)
    assert files == {"recovered/Message00001/Message.txt": "tél 06 12 34 56 78\n".encode(),
                     "orphans/Contact00001/Contact.txt": b"x\n"}
