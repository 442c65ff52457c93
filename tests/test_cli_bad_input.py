"""Bad input never stops a scan: each unreadable file is recorded with a status and a reason."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from noise import noise


def make_xlsx_bytes() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Nom", "Prénom", "N° Sécu"])
    for i in range(200):
        ws.append([f"NOM{i}", f"Prenom{i}", "185037512345627"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.mark.slow
def test_bad_files_are_recorded_and_the_scan_goes_on(tmp_path, cli):
    dump = tmp_path / "dump"
    dump.mkdir()
    xlsx = make_xlsx_bytes()
    (dump / "truncated.xlsx").write_bytes(xlsx[: len(xlsx) // 2])
    (dump / "random.csv").write_bytes(noise(4096, seed=5001))
    (dump / "empty.csv").write_bytes(b"")
    (dump / "unknown.bin").write_bytes(bytes(range(256)) * 16)
    (dump / "good.csv").write_text("Nom;Prénom;N° Sécu\nDUPONT;Marie;2 54 03 75 123 456 55\n",
                                   encoding="utf-8")
    case = tmp_path / "case"
    res = cli("scan", dump, "--case", case)
    assert res.exit_code == 0, res.output
    assert len(res.output.strip().splitlines()) == 1  # not a terminal: one summary line
    assert "3 456" not in res.output  # no identifier in the output
    out = tmp_path / "files.csv"
    assert cli("export", "--case", case, "--what", "files", "--format", "csv",
               "-o", out).exit_code == 0
    rows = {r["file"]: r for r in csv.DictReader(out.open(encoding="utf-8"))}
    assert rows["truncated.xlsx"]["status"] == "failed"
    assert rows["truncated.xlsx"]["reason"]
    assert rows["random.csv"]["status"] == "skipped"
    assert "binary" in rows["random.csv"]["reason"]
    assert rows["empty.csv"]["status"] == "skipped"
    assert rows["empty.csv"]["reason"] == "empty file"
    assert rows["unknown.bin"]["status"] == "skipped"
    assert rows["good.csv"]["status"] == "scanned"
    assert int(rows["good.csv"]["n_people"]) == 1


def test_exit_codes(tmp_path, cli):
    assert cli("scan", tmp_path / "missing", "--case", tmp_path / "c").exit_code == 2
    res = cli("export", "--case", tmp_path / "no-case", "--what", "people", "--format", "csv",
              "-o", tmp_path / "p.csv")
    assert res.exit_code == 1
    assert cli("export", "--case", tmp_path, "--what", "nothing", "--format", "csv",
               "-o", tmp_path / "p.csv").exit_code == 2


@pytest.mark.slow
def test_exports_in_every_format(tmp_path, cli):
    import duckdb

    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "list.csv").write_text(
        "Nom;Prénom;Téléphone;Email\nDUPONT;Marie;06 12 34 56 78;Marie.Dupont@Orange.fr\n"
        "MARTIN;Paul;+33 7 81 23 45 67;paul.martin@free.fr\n", encoding="utf-8")
    case = tmp_path / "case"
    assert cli("scan", dump, "--case", case).exit_code == 0
    for fmt in ("csv", "jsonl", "parquet"):
        out = tmp_path / f"findings.{fmt}"
        res = cli("export", "--case", case, "--what", "findings", "--format", fmt, "-o", out)
        assert res.exit_code == 0, res.output
        reader = {"csv": "read_csv", "jsonl": "read_json", "parquet": "read_parquet"}[fmt]
        rows = duckdb.sql(
            f"SELECT entity, value FROM {reader}('{out}') WHERE entity IN ('PHONE', 'EMAIL') "
            "ORDER BY value").fetchall()
        assert sorted(rows) == [
            ("EMAIL", "marie.dupont@orange.fr"), ("EMAIL", "paul.martin@free.fr"),
            ("PHONE", "+33612345678"), ("PHONE", "+33781234567")]


@pytest.mark.slow
def test_a_sensitive_diagnosis_code_makes_the_person_sensitive(tmp_path, cli):
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "sejours.csv").write_text(
        "IPP;Nom;Prénom;Date de naissance;Service;CIM10\n"
        "1001;DUPONT;Marie;12/03/1954;Médecine polyvalente;F32.1\n"
        "1002;MARTIN;Paul;01/02/1960;Médecine polyvalente;I10\n", encoding="utf-8")
    case = tmp_path / "case"
    assert cli("scan", dump, "--case", case).exit_code == 0
    out = tmp_path / "people.csv"
    assert cli("export", "--case", case, "--what", "people", "--format", "csv",
               "-o", out).exit_code == 0
    people = {p["last_name"]: p for p in csv.DictReader(out.open(encoding="utf-8"))}
    assert people["DUPONT"]["sensitive"] == "true"
    assert people["MARTIN"]["sensitive"] == "false"
    assert "HEALTH" in people["MARTIN"]["categories"].split(";")
