"""The demo leak's relational shapes (GAP backup, pharmacy dump, split exports, unit table,
letters) and the truth that measures attribution: facts reach their person only through keys
or their document, orphans are counted, staff get no care."""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections import defaultdict
from importlib import resources

import pytest
from test_demo_generator import leaf_text, letters, read_member

from breachscope.assess.sensitive import is_sensitive_code, is_sensitive_unit
from breachscope.demo import Truth, fold_name, generate_leak
from breachscope.demo.care import (
    DRUGS,
    ICD10_LABELS,
    SENSITIVE_ICD10,
    SENSITIVE_WORDS,
    UNIT_BY_CODE,
    UNITS,
)
from breachscope.demo.generator import ANNUAIRE
from breachscope.demo.relational import (
    GAP_SQL,
    PHARMA_SQL,
    SPLIT_DIAGNOSES,
    SPLIT_MOVES,
    SPLIT_PATIENTS,
    UNIT_TABLE,
)
from breachscope.detect.validators import fold


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo-relational")
    return out / "leak", generate_leak(out)


@pytest.fixture(scope="module")
def leak(generated):
    return generated[0]


@pytest.fixture(scope="module")
def truth(generated) -> Truth:
    return generated[1]


def copy_blocks(sql: str) -> dict[str, list[dict[str, str]]]:
    """The rows of a pg_dump's ``COPY ... FROM stdin`` blocks, by table."""
    tables = {}
    for m in re.finditer(r"^COPY public\.(\w+) \(([^)]*)\) FROM stdin;\n(.*?)^\\\.$", sql,
                         re.M | re.S):
        columns = m[2].split(", ")
        tables[m[1]] = [dict(zip(columns, line.split("\t"), strict=True))
                        for line in m[3].splitlines()]
    return tables


def mysql_rows(sql: str, table: str) -> list[list[str]]:
    (values,) = re.findall(rf"^INSERT INTO `{table}` VALUES (.*);$", sql, re.M)
    return [re.findall(r"'((?:[^'\\]|\\.)*)'|(\d+)", row) for row in
            re.findall(r"\((.*?)\)(?:,|$)", values)]


def semicolon_csv(leak, file) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(leaf_text(leak, file)), delimiter=";"))


def only_in(truth: Truth, *files: str) -> list:
    return [p for p in truth.people if p.role == "PATIENT" and set(p.files) <= set(files)]


# ------------------------------------------------------------------------------ GAP backup


def test_gap_backup_is_a_normalized_pg_dump(leak, truth):
    sql = leaf_text(leak, GAP_SQL)
    assert sql.startswith("--\n-- PostgreSQL database dump")
    tables = copy_blocks(sql)
    assert set(tables) == {"patient", "sejour", "diagnostic"}
    patients = {r["ipp"]: r for r in tables["patient"]}
    stays = {r["num_sejour"]: r for r in tables["sejour"]}
    assert len(stays) == len(tables["sejour"])
    # Only diagnostic -> sejour is declared, after the data; sejour.ipp must be inferred.
    assert sql.index("FOREIGN KEY (num_sejour) REFERENCES public.sejour(num_sejour)") > \
        sql.index("COPY public.sejour")
    assert sql.count("FOREIGN KEY") == 1
    assert all(d["num_sejour"] in stays for d in tables["diagnostic"])
    assert {d["type_diag"] for d in tables["diagnostic"]} == {"DP", "DAS"}
    # Child rows name nobody.
    assert not {"nom", "prenom"} & (set(tables["sejour"][0]) | set(tables["diagnostic"][0]))
    # Orphans: stays whose IPP is no patient's, anywhere in the leak; no diagnoses.
    orphans = [(row, s["ipp"]) for row, s in enumerate(tables["sejour"], start=1)
               if s["ipp"] not in patients]
    expected = [(o.row, o.value) for o in truth.orphan_rows if o.file == GAP_SQL]
    assert orphans == expected and len(orphans) >= 2
    assert all(o.table == "sejour" and o.column == "ipp" for o in truth.orphan_rows
               if o.file == GAP_SQL)
    orphan_stays = {s["num_sejour"] for s in tables["sejour"] if s["ipp"] not in patients}
    assert not {d["num_sejour"] for d in tables["diagnostic"]} & orphan_stays
    everything = "\n".join(leaf_text(leak, f.file) for f in truth.files
                           if not f.container and f.file != GAP_SQL)
    assert not any(re.search(rf"\b{ipp}\b", everything) for _, ipp in orphans)
    # Patients' rows: identity, NIR for most, contact.
    assert sum(bool(r["nir"] != "\\N") for r in patients.values()) > len(patients) * 0.7
    gap_people = {p.truth_id for p in truth.people if GAP_SQL in p.files}
    assert len(gap_people) == len(patients)


def test_some_patients_are_only_in_the_backup_and_their_care_is_in_child_rows(truth):
    only = only_in(truth, GAP_SQL)
    assert len(only) >= 20
    assert all("HEALTH" in p.categories for p in only)
    sensitive = [p for p in only if p.sensitive]
    assert len(sensitive) >= 5
    reasons = {r.split(":")[0] for p in sensitive for r in p.sensitive_reasons}
    assert reasons == {"unit", "icd10"}


def test_unit_table_covers_every_numeric_code(leak, truth):
    rows = semicolon_csv(leak, UNIT_TABLE)
    assert list(rows[0]) == ["code_uf", "libelle_uf", "pole"]
    table = {r["code_uf"]: r["libelle_uf"] for r in rows}
    used: set[str] = set()
    tables = copy_blocks(leaf_text(leak, GAP_SQL))
    used |= {s["uf"] for s in tables["sejour"]}
    used |= {m["UF"] for m in semicolon_csv(leak, SPLIT_MOVES)}
    used |= {r[-1][0] for r in mysql_rows(leaf_text(leak, PHARMA_SQL), "dispensation")}
    annuaire = csv.DictReader(io.StringIO(leaf_text(leak, ANNUAIRE)))
    used |= {r["UF"] for r in annuaire}
    for file in letters(truth):
        used |= set(re.findall(r"(?:UF :?|Unité :) (\w+)", leaf_text(leak, file)))
    assert used <= set(UNIT_BY_CODE)
    readable = {u.code for u in truth.units if not u.in_table}
    assert used - readable <= set(table)
    assert {c for c in used if c.isdigit()} <= set(table)
    assert {"PSYA", "ADDICTO", "CEGIDD2"} <= used & readable
    assert not readable & set(table)
    assert all(u.table == UNIT_TABLE for u in truth.units if u.in_table)


# ------------------------------------------------------------------------------ split exports


def test_split_exports_join_by_ipp_and_stay_number(leak, truth):
    patients = semicolon_csv(leak, SPLIT_PATIENTS)
    moves = semicolon_csv(leak, SPLIT_MOVES)
    diagnoses = semicolon_csv(leak, SPLIT_DIAGNOSES)
    assert list(moves[0]) == ["NDA", "IPP", "UF", "DATE_ENTREE", "DATE_SORTIE"]
    assert list(diagnoses[0]) == ["NDA", "CODE_CIM10", "TYPE_DIAG"]
    ipps = {p["IPP"] for p in patients}
    orphans = [(line, m["IPP"]) for line, m in enumerate(moves, start=2) if m["IPP"] not in ipps]
    assert orphans == [(o.row, o.value) for o in truth.orphan_rows if o.file == SPLIT_MOVES]
    assert orphans
    assert {d["NDA"] for d in diagnoses} <= {m["NDA"] for m in moves if m["IPP"] in ipps}
    # Every patient of the export has a stay: their care is in files that never name them.
    by_ipp = defaultdict(list)
    for m in moves:
        by_ipp[m["IPP"]].append(m)
    assert all(by_ipp[ipp] for ipp in ipps)
    people = [p for p in truth.people if SPLIT_PATIENTS in p.files]
    assert len(people) == len(patients)
    assert all(SPLIT_MOVES in p.linked_files and "HEALTH" in p.categories for p in people)
    assert len(only_in(truth, SPLIT_PATIENTS)) >= 10


# ------------------------------------------------------------------------------ pharmacy


def test_pharmacy_dump_declares_its_key_inline(leak, truth):
    sql = leaf_text(leak, PHARMA_SQL)
    assert sql.startswith("-- MySQL dump")
    assert ("CONSTRAINT `fk_dispensation_patient` FOREIGN KEY (`id_patient`) REFERENCES "
            "`patient` (`id_patient`)") in sql
    patients = mysql_rows(sql, "patient")
    dispensations = mysql_rows(sql, "dispensation")
    ids = {int(r[0][1]) for r in patients}
    assert ids == set(range(1, len(patients) + 1))
    assert {int(r[1][1]) for r in dispensations} <= ids
    only = only_in(truth, PHARMA_SQL)
    assert only and all("HEALTH" in p.categories for p in only)
    assert any(p.sensitive for p in only) and not all(p.sensitive for p in only)
    for p in only:
        assert all(r.startswith(("drug:", "unit:")) for r in p.sensitive_reasons)


# ------------------------------------------------------------------------------ letters


def test_letters_name_their_patient_and_are_signed_by_staff(leak, truth):
    files = letters(truth)
    assert len(files) >= 15
    assert any(f.endswith(".docx") for f in files) and any(f.endswith(".txt") for f in files)
    people_of = defaultdict(list)
    for p in truth.people:
        for f in p.files:
            people_of[f].append(p)
    for file in files:
        text = leaf_text(leak, file)
        patients = [p for p in people_of[file] if p.role == "PATIENT"]
        signers = [p for p in people_of[file] if p.role == "STAFF"]
        assert len(patients) == 1 and len(signers) == 1, file
        (patient,), (signer,) = patients, signers
        assert re.search(rf"Patiente? : (M\.|Mme) {re.escape(patient.last_name.upper())} "
                         rf"{re.escape(patient.first_name)}, née? le "
                         rf"{patient.birth_date[8:]}/{patient.birth_date[5:7]}/"
                         rf"{patient.birth_date[:4]}", text), file
        assert f"Dr {signer.first_name} {signer.last_name.upper()}" in text
        assert signer.emails[0] in text
        assert "HEALTH" in patient.categories
        assert re.search(r"\(([A-Z]\d\d(?:\.\d)?)\)", text)
    letter_only = only_in(truth, *files)
    assert len(letter_only) >= 5 and all("HEALTH" in p.categories for p in letter_only)
    assert any(p.sensitive for p in letter_only)


def test_letter_reasons_are_in_the_letter(leak, truth):
    seen = set()
    for file in letters(truth):
        text = leaf_text(leak, file)
        (patient,) = [p for p in truth.people if file in p.files and p.role == "PATIENT"]
        for reason in patient.sensitive_reasons:
            kind, value = reason.split(":", 1)
            if kind == "word":
                assert value in SENSITIVE_WORDS
                if value in text:
                    seen.add(reason)
            elif kind == "icd10" and f"({value})" in text:
                seen.add(reason)
    kinds = {r.split(":")[0] for r in seen}
    assert kinds == {"word", "icd10"}


# ------------------------------------------------------------------------------ the truth


def test_sensitive_flags_have_reasons_and_staff_have_none(truth):
    for p in truth.people:
        assert p.sensitive == bool(p.sensitive_reasons), p.truth_id
        assert p.sensitive_reasons == sorted(set(p.sensitive_reasons))
        assert all(r.split(":")[0] in {"unit", "icd10", "drug", "word"}
                   for r in p.sensitive_reasons)
        if p.role == "STAFF":
            assert not p.sensitive and "HEALTH" not in p.categories
            assert set(p.categories) <= {"IDENTITY", "CONTACT"}
    kinds = {r.split(":")[0] for p in truth.people for r in p.sensitive_reasons}
    assert kinds == {"unit", "icd10", "drug", "word"}
    reasons = {r for p in truth.people for r in p.sensitive_reasons}
    assert {"unit:PSYA", "unit:ADDICTO", "unit:CEGIDD2"} & reasons
    patients = [p for p in truth.people if p.role == "PATIENT"]
    assert 0.15 < sum(p.sensitive for p in patients) / len(patients) < 0.6


def test_truth_codes_agree_with_the_shipped_definitions():
    """The truth's own lists (care.py) agree with breachscope's sensitive-care rules and its
    shipped drug list, so a disagreement is a bug of the scan, not of the data."""
    for code in ICD10_LABELS:
        assert (is_sensitive_code(code) is not None) == (code in SENSITIVE_ICD10), code
    for unit in UNITS:
        if unit.in_table:
            assert is_sensitive_unit(fold(unit.label)) == bool(unit.sensitive), unit
    data = resources.files("breachscope.data.health").joinpath("drugs.tsv.gz").read_bytes()
    atc = {}
    for line in gzip.decompress(data).decode("utf-8").splitlines():
        name, _, code = line.partition("\t")
        atc.setdefault(fold(name), code)
    sensitive_classes = ("N05A", "N07BC", "N07BB", "J05A", "G03XB")
    for key, drug in DRUGS.items():
        brand = fold(drug.text.split()[0])
        assert atc.get(brand) == drug.atc or atc.get(fold(drug.name)) == drug.atc, key
        assert bool(drug.sensitive) == drug.atc.startswith(sensitive_classes), key


def test_key_links_name_real_columns(leak, truth):
    assert len(truth.key_links) == 5
    assert sum(k.declared for k in truth.key_links) == 2
    for k in truth.key_links:
        for file, table, column in ((k.child_file, k.child_table, k.child_column),
                                    (k.parent_file, k.parent_table, k.parent_column)):
            text = leaf_text(leak, file)
            if table:
                assert re.search(rf"(public\.|`){table}`? \(", text), (file, table)
            header = text.splitlines()[0] if not table else text
            assert column in header, (file, column)


def test_people_names_unique_across_shapes(truth):
    keys = [(fold_name(p.last_name), fold_name(p.first_name), p.birth_date)
            for p in truth.people]
    assert len(keys) == len(set(keys))


def test_small_leaks_still_have_every_shape(tmp_path):
    truth = generate_leak(tmp_path, seed=3, n_patients=40, n_staff=3)
    assert truth.counts == {"PATIENT": 40, "STAFF": 3}
    files = {f.file for f in truth.files}
    assert {GAP_SQL, PHARMA_SQL, SPLIT_MOVES, UNIT_TABLE} <= files
    assert any(f.startswith("courriers/") for f in files)
    assert truth.n_orphan_rows >= 3
    signers = [p for p in truth.people if p.role == "STAFF"
               and any(f.startswith("courriers/") for f in p.files)]
    assert signers
    assert read_member(tmp_path / "leak", GAP_SQL)
