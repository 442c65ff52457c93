"""HL7 v2 with any MSH-1/MSH-2 encoding characters (issue 11): sniffed as HL7 and read with
the separators the message declares, including the ``˜`` (U+02DC) of the ANS samples."""

from __future__ import annotations

from pathlib import Path

import pytest

from breachscope.detect.dispatch import StreamingDetector
from breachscope.extract.hl7 import declared_separators, partition_hl7
from breachscope.extract.units import EmbeddedFile, RecordUnit
from breachscope.ingest.sniff import sniff_type

NIR = "254037512345655"
ANS = Path("/work/shared/datasets/ans-hl7v2")


def _read(path: Path):
    units = [u for u in partition_hl7(path) if not isinstance(u, EmbeddedFile)]
    detector = StreamingDetector()
    found, records = set(), []
    for unit in units:
        result = detector.detect(unit)
        found |= {(f.entity, f.value, f.location) for f in result.findings}
        records.extend(result.records)
    return found, records


def test_declared_separators() -> None:
    assert declared_separators("MSH|^~\\&|A") == "\r|~^&\\"
    assert declared_separators("MSH|^˜\\&|A") == "\r|˜^&\\"
    assert declared_separators("MSH!@#$%!A") == "\r!#@%$"
    assert declared_separators("MSH|^~\\&#|A") == "\r|~^&\\"  # v2.7 truncation ignored
    assert declared_separators("MSH|^~|A") == "\r|~^\x00\x00"  # no escape, no subcomponent
    assert declared_separators("MSH||A") == "\r|~^&\\"  # missing MSH-2: the standard ones
    assert declared_separators("MSH|^^\\&|A") is None  # not distinct
    assert declared_separators("MSH|ab|A") is None


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_hl7_with_tilde_u02dc(tmp_path: Path, encoding: str) -> None:
    text = ("MSH|^˜\\&|SIL|labo|PFI|ORG|202106060931||ORU^R01^ORU_R01|015|P|2.5|||||FRA|"
            "UNICODE UTF-8\r"
            f"PID|||{NIR}^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.8&ISO^INS˜8877^^^HOP^PI||"
            "NESSI^RUTH^^^^^L˜MARTIN^RUTH^^^^^D||19770714|F|||Av de Breteuil^^PARIS^^75007^FRA^H"
            "˜^^^^^^BDL^^63220\r"
            "PV1|1|I|UFNEPH\r")
    path = tmp_path / "oru.er7"
    path.write_text(text, encoding=encoding)
    assert sniff_type(path) == "hl7"
    found, records = _read(path)
    [patient] = [r for r in records if r.role_hint == "PATIENT"]
    assert (patient.last_name, patient.first_name, patient.birth_date) == (
        "NESSI", "RUTH", "1977-07-14")
    assert patient.nir == NIR
    assert ("PATIENT_ID", "8877", "message 1, segment PID-3") in found
    assert ("LAST_NAME", "MARTIN", "message 1, segment PID-5") in found  # 2nd repetition
    assert not any(v == "63220" for _, v, _ in found)  # the birth place repetition


@pytest.mark.parametrize("msh2", ["@#$%", "*=/+", "^~\\&#"])
def test_hl7_with_other_encoding_characters(tmp_path: Path, msh2: str) -> None:
    comp, rep = msh2[0], msh2[1]
    sub = msh2[3]
    text = (f"MSH!{msh2}!A!B!C!D!2024!!ADT{comp}A01!1!P!2.5\r"
            f"PID!1!!77{comp}{comp}{comp}HOP{comp}PI{rep}{NIR}{comp}{comp}{comp}"
            f"{sub}1.2.250.1.213.1.4.8{sub}ISO{comp}NH!!DUPONT{comp}Jean!!19800101!M\r")
    path = tmp_path / "odd.hl7"
    path.write_text(text, encoding="utf-8")
    assert sniff_type(path) == "hl7"
    found, records = _read(path)
    assert ("NIR", NIR, "message 1, segment PID-3") in found
    assert ("PATIENT_ID", "77", "message 1, segment PID-3") in found
    [patient] = [r for r in records if r.role_hint == "PATIENT"]
    assert (patient.last_name, patient.first_name) == ("DUPONT", "Jean")


def test_hl7_undeclared_characters_are_data(tmp_path: Path) -> None:
    # MSH-2 declares component and repetition only: '&' and '\\' are plain characters.
    path = tmp_path / "short.hl7"
    path.write_text("MSH|^~|A|B\rPID|1||42^^^HOP^PI||DURAND & FILS^Jean||19800101\r",
                    encoding="utf-8")
    assert sniff_type(path) == "hl7"
    found, _ = _read(path)
    assert ("LAST_NAME", "DURAND & FILS", "message 1, segment PID-5") in found


def test_hl7_escape_declared_elsewhere(tmp_path: Path) -> None:
    path = tmp_path / "esc.hl7"
    path.write_text("MSH|^~$&|A|B\rPID|1||42^^^HOP^PI||D$T$UPONT^Jean||19800101\r",
                    encoding="utf-8")
    found, _ = _read(path)
    assert ("LAST_NAME", "D&UPONT", "message 1, segment PID-5") in found


def _ans_messages() -> list[Path]:
    if not ANS.is_dir():
        return []
    return sorted(p for p in ANS.rglob("*") if p.is_file() and p.suffix.lower() in (
        ".hl7", ".er7"))


@pytest.mark.skipif(not ANS.is_dir(), reason="ANS HL7 v2 samples not available")
def test_ans_public_samples_read_in_place() -> None:
    """Every ANS HL7 v2 sample sniffs as HL7, and each holding a PID yields its patient
    (read where they are: they are never copied into the repository)."""
    paths = _ans_messages()
    assert paths
    with_pid = 0
    for path in paths:
        assert sniff_type(path) == "hl7", path
        raw = path.read_bytes()
        if b"\nPID|" not in raw and b"\rPID|" not in raw:
            continue  # an acknowledgement: no patient
        with_pid += 1
        patients = [u for u in partition_hl7(path)
                    if isinstance(u, RecordUnit) and u.role_hint == "PATIENT"]
        assert patients, path
        names = {f.entity for f in patients[0].fields}
        assert {"LAST_NAME", "BIRTH_DATE"} <= names, path
    assert with_pid >= 40
