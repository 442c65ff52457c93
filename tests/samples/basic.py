"""Samples of the formats read since the foundation: CSV, XLSX, JSON, NDJSON, text, log,
XML, HTML. Each writes one small real file and returns the findings a scan must yield."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl

NIR = "254037512345655"
NIR_SPACED = "2 54 03 75 123 456 55"
PHONE = "+33612345678"


def make_csv(path: Path) -> list[tuple[str, str]]:
    path.write_bytes(
        "Nom;Prénom;Date de naissance;N° Sécu;Téléphone\n"
        f"DUPONT;Marie;12/03/1954;{NIR_SPACED};06 12 34 56 78\n".encode("cp1252"))
    return [("NIR", NIR), ("PHONE", PHONE), ("BIRTH_DATE", "1954-03-12")]


def make_xlsx(path: Path) -> list[tuple[str, str]]:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Patients"
    ws.append(["Liste des patients"])
    ws.append([])
    ws.append(["Nom", "Prénom", "N° Sécu", "Email"])
    ws.append(["DUPONT", "Marie", NIR, "Marie.Dupont@Orange.fr"])
    wb.save(path)
    return [("NIR", NIR), ("EMAIL", "marie.dupont@orange.fr")]


def make_json(path: Path) -> list[tuple[str, str]]:
    path.write_text(json.dumps({"patients": [
        {"nom": "DUPONT", "prenom": "Marie", "nir": NIR, "contact": {"tel": "0612345678"}}]}),
        encoding="utf-8")
    return [("NIR", NIR), ("PHONE", PHONE)]


def make_ndjson(path: Path) -> list[tuple[str, str]]:
    path.write_text(
        json.dumps({"nom": "DUPONT", "prenom": "Marie", "email": "m.dupont@free.fr"}) + "\n"
        + json.dumps({"nom": "MARTIN", "prenom": "Paul", "email": "p.martin@free.fr"}) + "\n",
        encoding="utf-8")
    return [("EMAIL", "m.dupont@free.fr"), ("EMAIL", "p.martin@free.fr")]


def make_text(path: Path) -> list[tuple[str, str]]:
    path.write_text(
        "Transmissions du 11/02/2024\n"
        f"Mme DUPONT Marie, née le 12 mars 1954, NIR {NIR_SPACED}.\n"
        "Fille joignable au 06 12 34 56 78.\n", encoding="utf-8")
    return [("NIR", NIR), ("PHONE", PHONE), ("BIRTH_DATE", "1954-03-12")]


def make_log(path: Path) -> list[tuple[str, str]]:
    path.write_bytes(
        "2024-02-11 03:12:01 INFO login ok user=secretariat@ch-armentieres.fr\n"
        "2024-02-11 03:12:07 WARN export patient nir=254037512345655\n".encode("latin-1"))
    return [("EMAIL", "secretariat@ch-armentieres.fr"), ("NIR", NIR)]


def make_xml(path: Path) -> list[tuple[str, str]]:
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<patients>\n'
        f"  <patient><nom>DUPONT</nom><prenom>Marie</prenom><nir>{NIR}</nir>"
        "<telephone>06 12 34 56 78</telephone></patient>\n"
        "  <patient><nom>MARTIN</nom><prenom>Paul</prenom><nir></nir>"
        "<telephone></telephone></patient>\n</patients>\n", encoding="utf-8")
    return [("NIR", NIR), ("PHONE", PHONE)]


def make_html(path: Path) -> list[tuple[str, str]]:
    path.write_text(
        "<!DOCTYPE html><html><head><title>Fiche</title><style>p{}</style></head><body>"
        f"<p>Patient : DUPONT Marie, NIR {NIR_SPACED}</p>"
        "<p>Contact : marie.dupont@orange.fr</p></body></html>", encoding="utf-8")
    return [("NIR", NIR), ("EMAIL", "marie.dupont@orange.fr")]
