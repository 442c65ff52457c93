"""Outlook items of every class in ``.msg`` files: contacts (a record of their identities),
appointments, tasks, posts and sticky notes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from samples.mail import NIR, PHONE
from samples.outlook import PSETID_ADDRESS, PSETID_APPOINTMENT, PSETID_TASK, outlook_item

from breachscope.detect.dispatch import detect_units
from breachscope.extract.dispatch import partition
from breachscope.extract.outlook_items import birthday
from breachscope.extract.units import RecordUnit, TextUnit
from breachscope.ingest.sniff import sniff_type

EMAIL = "marie.dupont@orange.fr"


def contact_bytes() -> bytes:
    return outlook_item(
        "IPM.Contact", subject="Marie DUPONT", body="Patiente suivie en cardiologie.\n",
        props={0x3001: "Marie DUPONT", 0x3A06: "Marie", 0x3A11: "DUPONT",
               0x3A42: dt.datetime(1954, 3, 11, 23, 0),  # local midnight in Paris, as UTC
               0x3A1C: "06 12 34 56 78", 0x3A09: "01 45 67 89 12",
               0x3A07: "2 54 03 75 123 456 55", 0x3A5D: "12 rue des Lilas",
               0x3A59: "Paris", 0x3A5B: "75012", 0x3A16: "CH Exemple", 0x3A48: "Paul Dupont"},
        named={(PSETID_ADDRESS, 0x8083): EMAIL, (PSETID_ADDRESS, 0x8093): "m.dupont@free.fr",
               (PSETID_ADDRESS, 0x8045): "3 avenue Victoria",
               (PSETID_ADDRESS, 0x8046): "Paris", (PSETID_ADDRESS, 0x8048): "75004"})


def units_of(path: Path) -> list:
    return list(partition(path, sniff_type(path)))


def findings(units: list) -> set[tuple[str, str, str]]:
    return {(f.entity, f.value, f.location) for f in detect_units(units).findings}


def test_contact_is_a_record_of_its_identities(tmp_path):
    path = tmp_path / "contact.msg"
    path.write_bytes(contact_bytes())
    assert sniff_type(path) == "msg"
    units = units_of(path)
    got = findings(units)
    assert {("NIR", NIR, "contact, Government ID"),
            ("PHONE", PHONE, "contact, Mobile phone"),
            ("PHONE", "+33145678912", "contact, Home phone"),
            ("EMAIL", EMAIL, "contact, E-mail"),
            ("EMAIL", "m.dupont@free.fr", "contact, E-mail 2"),
            ("BIRTH_DATE", "1954-03-12", "contact, Birthday"),
            ("LAST_NAME", "DUPONT", "contact, Last name"),
            ("FIRST_NAME", "Marie", "contact, First name"),
            ("ADDRESS", "12 rue des Lilas", "contact, Home address"),
            ("POSTAL_CODE", "75012", "contact, Home address, postal code")} <= got, got
    records = [r for r in detect_units(units).records if r.location == "contact"]
    assert len(records) == 1
    person = records[0]
    assert (person.nir, person.birth_date, person.last_name) == (NIR, "1954-03-12", "DUPONT")
    assert person.phones == [PHONE, "+33145678912"]
    assert person.emails == [EMAIL, "m.dupont@free.fr"]
    details = next(u for u in units if isinstance(u, TextUnit) and u.name == "contact details")
    assert "Business address: 3 avenue Victoria, 75004 Paris" in details.text
    assert "Spouse: Paul Dupont" in details.text
    assert ("POSTAL_CODE", "75004", "contact details, line 1") in got
    assert any(u.name == "body" for u in units if isinstance(u, TextUnit))


def test_birthday_is_the_nearest_midnight():
    assert birthday(dt.datetime(1954, 3, 11, 23, 0)).isoformat() == "1954-03-12"
    assert birthday(dt.datetime(1954, 3, 12, 4, 0)).isoformat() == "1954-03-12"  # UTC-4
    assert birthday(dt.datetime(1954, 3, 12, 0, 0)).isoformat() == "1954-03-12"


def test_a_government_id_that_is_no_nir_stays_text(tmp_path):
    path = tmp_path / "c.msg"
    path.write_bytes(outlook_item("IPM.Contact", props={
        0x3001: "Jean Martin", 0x3A07: "X12345678", 0x3A1C: "06 12 34 56 78"}))
    units = units_of(path)
    record = next(u for u in units if isinstance(u, RecordUnit))
    assert {f.entity for f in record.fields} == {"PERSON", "PHONE"}
    details = next(u for u in units if isinstance(u, TextUnit) and u.name == "contact details")
    assert details.text == "Government ID: X12345678"


def test_appointment_task_post_and_sticky_note(tmp_path):
    items = {
        "rdv.msg": outlook_item(
            "IPM.Appointment", subject="Consultation DUPONT Marie",
            body="Rappeler la patiente au 06 12 34 56 78.\n",
            named={(PSETID_APPOINTMENT, 0x8208): "Cabinet 3, 12 rue des Lilas 75012 Paris",
                   (PSETID_APPOINTMENT, 0x820D): dt.datetime(2024, 5, 2, 8, 30)}),
        "tache.msg": outlook_item(
            "IPM.Task", subject="Dossier à compléter",
            body="NIR du patient : 2 54 03 75 123 456 55\n",
            named={(PSETID_TASK, 0x811F): "Jean Martin",
                   (PSETID_TASK, 0x8105): dt.datetime(2024, 5, 3, 0, 0)}),
        "post.msg": outlook_item("IPM.Post", subject="Note de service",
                                 body="Contact : marie.dupont@orange.fr\n",
                                 sender=("secretariat@ch-exemple.fr", "Secrétariat")),
        "note.msg": outlook_item("IPM.StickyNote", subject="post-it",
                                 body="post-it\nMme DUPONT 06 12 34 56 78\n"),
    }
    got: dict[str, set] = {}
    units_by_name: dict[str, list] = {}
    for name, data in items.items():
        path = tmp_path / name
        path.write_bytes(data)
        units_by_name[name] = units_of(path)
        got[name] = findings(units_by_name[name])
    appointment = next(u for u in units_by_name["rdv.msg"] if u.name == "appointment")
    assert appointment.text.splitlines() == [
        "Location: Cabinet 3, 12 rue des Lilas 75012 Paris", "Start: 02/05/2024 08:30"]
    assert ("PHONE", PHONE, "body, line 1") in got["rdv.msg"]
    assert ("POSTAL_CODE", "75012", "appointment, line 1") in got["rdv.msg"]
    task = next(u for u in units_by_name["tache.msg"] if u.name == "task")
    assert task.text.splitlines() == ["Owner: Jean Martin", "Due: 03/05/2024 00:00"]
    assert ("NIR", NIR, "body, line 1") in got["tache.msg"]
    assert ("EMAIL", EMAIL, "body, line 1") in got["post.msg"]
    assert ("EMAIL", "secretariat@ch-exemple.fr", "header From, address 1") in got["post.msg"]
    assert ("PHONE", PHONE, "body, line 2") in got["note.msg"]


def test_damaged_name_map_keeps_the_rest(tmp_path):
    import olefile

    path = tmp_path / "c.msg"
    path.write_bytes(outlook_item("IPM.Contact", props={0x3A1C: "06 12 34 56 78"},
                                  named={(PSETID_ADDRESS, 0x8083): EMAIL}))
    assert ("EMAIL", EMAIL, "contact, E-mail") in findings(units_of(path))
    # Point the named entry at a GUID index that does not exist.
    with olefile.OleFileIO(str(path), write_mode=True) as ole:
        entries = ole.openstream("__nameid_version1.0/__substg1.0_00030102").read()
        ole.write_stream("__nameid_version1.0/__substg1.0_00030102",
                         entries[:4] + b"\xfe\x7f" + entries[6:])
    got = findings(units_of(path))
    assert ("PHONE", PHONE, "contact, Mobile phone") in got
    assert not any(e == "EMAIL" for e, _, _ in got)


@pytest.mark.slow
def test_scan_reads_a_contact(tmp_path, cli):
    import csv

    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "Marie DUPONT.msg").write_bytes(contact_bytes())
    case = tmp_path / "case"
    assert cli("scan", dump, "--case", case).exit_code == 0
    out = tmp_path / "findings.csv"
    assert cli("export", "--case", case, "--what", "findings", "--format", "csv",
               "-o", out).exit_code == 0
    got = {(r["file"], r["entity"], r["value"], r["location"])
           for r in csv.DictReader(out.open(encoding="utf-8"))}
    assert {("Marie DUPONT.msg", "NIR", NIR, "contact, Government ID"),
            ("Marie DUPONT.msg", "EMAIL", EMAIL, "contact, E-mail"),
            ("Marie DUPONT.msg", "PHONE", PHONE, "contact, Mobile phone")} <= got
