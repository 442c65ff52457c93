"""Roles from professional evidence: the hospital's e-mail domain and RPPS numbers."""

from __future__ import annotations

import csv


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
    case = tmp_path / "case"
    assert cli("scan", dump, "--case", case).exit_code == 0
    out = tmp_path / "people.csv"
    assert cli("export", "--case", case, "--what", "people", "--format", "csv",
               "-o", out).exit_code == 0
    roles = {p["last_name"]: p["role"] for p in csv.DictReader(out.open(encoding="utf-8"))}
    assert roles["MARTIN"] == roles["LEROY"] == roles["PETIT"] == "STAFF"
    assert roles["BERNARD"] == "STAFF"  # writes from the hospital's own domain
    assert roles["MOREAU"] == "UNKNOWN"  # a webmail says nothing
    assert roles["DUBOIS"] == "STAFF"  # an RPPS is a professional's
