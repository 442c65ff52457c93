"""Roles from professional evidence: the hospital's e-mail domain and RPPS numbers."""

from __future__ import annotations

import csv

import pytest


def _scan_people(cli, dump, tmp_path) -> dict[str, dict[str, str]]:
    """Scan ``dump`` through the CLI and return the people export by last name."""
    case = tmp_path / "case"
    assert cli("scan", dump, "--case", case).exit_code == 0
    out = tmp_path / "people.csv"
    assert cli("export", "--case", case, "--what", "people", "--format", "csv",
               "-o", out).exit_code == 0
    return {p["last_name"]: p for p in csv.DictReader(out.open(encoding="utf-8"))}


@pytest.mark.slow
def test_correspondents_at_the_staff_domain_become_staff(tmp_path, cli):
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "annuaire.csv").write_text(
        "Nom,Prénom,Fonction,Service,Email\n"
        "MARTIN,Paul,IDE,Cardiologie,paul.martin@ch-test.fr\n"
        "LEROY,Anne,AS,Urgences,anne.leroy@ch-test.fr\n"
        "PETIT,Luc,Cadre de santé,Pneumologie,luc.petit@ch-test.fr\n", encoding="utf-8")
    (dump / "contacts.csv").write_text(
        "Nom;Prénom;Email\n"
        "BERNARD;Julie;julie.bernard@ch-test.fr\n"
        "MOREAU;Chloé;chloe.moreau@gmail.com\n", encoding="utf-8")
    (dump / "medecins.csv").write_text(
        "Nom;Prénom;RPPS\nDUBOIS;Marc;10109804632\n", encoding="utf-8")
    roles = {name: p["role"] for name, p in _scan_people(cli, dump, tmp_path).items()}
    assert roles["MARTIN"] == roles["LEROY"] == roles["PETIT"] == "STAFF"
    assert roles["BERNARD"] == "STAFF"  # writes from the hospital's own domain
    assert roles["MOREAU"] == "UNKNOWN"  # a webmail says nothing
    assert roles["DUBOIS"] == "STAFF"  # an RPPS is a professional's


@pytest.mark.slow
def test_a_directory_named_as_such_makes_staff_whose_service_is_their_workplace(tmp_path, cli):
    """No staff word in the headers, but the file is the HR directory: its people are staff,
    and "Addictologie" is where they work, not their care."""
    dump = tmp_path / "dump"
    (dump / "rh").mkdir(parents=True)
    (dump / "rh" / "annuaire_personnel.csv").write_text(
        "Nom;Prénom;Service;Téléphone\n"
        "GARNIER;Paul;Addictologie;01 45 67 89 10\n"
        "FAURE;Anne;Psychiatrie adulte;01 45 67 89 11\n"
        "ROCHE;Luc;Cardiologie;01 45 67 89 12\n", encoding="utf-8")
    (dump / "liste_patients.csv").write_text(
        "Nom;Prénom;Né le;Service\nBLANC;Julie;12/03/1961;Addictologie\n", encoding="utf-8")
    people = _scan_people(cli, dump, tmp_path)
    for name in ("GARNIER", "FAURE", "ROCHE"):
        assert people[name]["role"] == "STAFF"
        assert people[name]["sensitive"] in ("false", "False")
        assert "HEALTH" not in people[name]["categories"]
    assert people["BLANC"]["sensitive"] in ("true", "True")


@pytest.mark.slow
def test_a_planning_makes_staff_whose_unit_is_not_care(tmp_path, cli):
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "export_03.csv").write_text(
        "Nom;Prénom;Date;Horaire;Service\n"
        "GARNIER;Paul;12/03/2023;7h-19h;Addictologie\n"
        "FAURE;Anne;12/03/2023;19h-7h;Psychiatrie adulte\n", encoding="utf-8")
    people = _scan_people(cli, dump, tmp_path)
    assert {p["role"] for p in people.values()} == {"STAFF"}
    assert all(p["sensitive"] in ("false", "False") for p in people.values())
