"""End to end through the CLI: a consultation report and a CSV with a CIM10 column."""

from __future__ import annotations

import csv

import pytest

REPORT = """CENTRE HOSPITALIER DE TEST - Service de psychiatrie adulte
Compte rendu de consultation du 12/03/2024

Patient : Monsieur LEROY Marc, 14 bis rue des Lilas 59000 Lille
Diagnostic principal (CIM-10) : F20.0
Antécédents : diabète de type 2, infarctus du myocarde.
Traitement de sortie : Risperdal 2 mg le soir, Doliprane 1000 mg si douleur.
Appuyez sur F10 pour imprimer. Salle B20.
"""


def _findings(cli, tmp_path, dump):
    case = tmp_path / "case"
    assert cli("scan", dump, "--case", case).exit_code == 0
    out = tmp_path / "findings.csv"
    assert cli("export", "--case", case, "--what", "findings", "--format", "csv",
               "-o", out).exit_code == 0
    with out.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh)), case


@pytest.mark.slow
def test_report_and_cim10_table(cli, tmp_path):
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "cr_consultation.txt").write_text(REPORT, encoding="utf-8")
    with (dump / "sejours.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(["IPP", "NOM", "PRENOM", "DATE_ENTREE", "CIM10", "SERVICE"])
        w.writerow(["100001", "DUPONT", "Marie", "01/02/2024", "F20.0", "MEDECINE INTERNE"])
        w.writerow(["100002", "MARTIN", "Paul", "02/02/2024", "I251", "CARDIOLOGIE"])
        w.writerow(["100003", "DURAND", "Anne", "03/02/2024", "E11.9;B20", "MEDECINE INTERNE"])
    rows, case = _findings(cli, tmp_path, dump)
    report = {(r["entity"], r["value"]) for r in rows if r["file"].endswith(".txt")}
    assert ("ICD10_CODE", "F20.0") in report
    assert ("DIAGNOSIS", "diabète de type 2") in report
    assert ("MEDICATION", "Risperdal") in report
    assert ("MEDICATION", "Doliprane") in report
    assert ("ADDRESS", "14 bis rue des Lilas") in report
    assert ("POSTAL_CODE", "59000") in report
    assert ("CITY", "Lille") in report
    assert ("CARE_UNIT", "Service de psychiatrie adulte") in report
    assert not any(e == "ICD10_CODE" and v in ("F10", "B20") for e, v in report)
    table = [(r["entity"], r["value"]) for r in rows if r["file"].endswith(".csv")]
    assert [v for e, v in table if e == "ICD10_CODE"] == ["F20.0", "I25.1", "E11.9", "B20"]

    people_out = tmp_path / "people.csv"
    assert cli("export", "--case", case, "--what", "people", "--format", "csv",
               "-o", people_out).exit_code == 0
    with people_out.open(encoding="utf-8") as fh:
        people = {p["last_name"]: p for p in csv.DictReader(fh)}
    # Sensitive from the codes of their own row: schizophrenia, HIV; not a cardiac patient.
    assert people["DUPONT"]["sensitive"] == "true"
    assert people["DURAND"]["sensitive"] == "true"
    assert people["MARTIN"]["sensitive"] == "false"
    assert "HEALTH" in people["MARTIN"]["categories"].split(";")
