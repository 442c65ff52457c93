"""The synthetic leak: files as the contract names them, and a truth that matches them."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import zipfile
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path

import phonenumbers
import pytest
from complexity import assert_scales
from openpyxl import load_workbook
from stdnum import iban as stdnum_iban
from stdnum.fr import nir as stdnum_nir

from breachscope.demo import Truth, fold_name, generate_leak
from breachscope.demo.generator import (
    ADMISSIONS,
    ANNUAIRE,
    ARCHIVE,
    ARCHIVE_ADMISSIONS,
    DPI_JSON,
    NOTES,
    PATIENTS_XLSX,
    PLANNING,
    TEMPLATE,
    URGENCES_TSV,
)
from breachscope.demo.identifiers import make_fr_iban, make_nir, nir_key, rib_key
from breachscope.demo.relational import (
    GAP_SQL,
    PHARMA_SQL,
    SPLIT_DIAGNOSES,
    SPLIT_MOVES,
    SPLIT_PATIENTS,
    UNIT_TABLE,
)

LEGACY_FILES = (ADMISSIONS, PATIENTS_XLSX, ANNUAIRE, DPI_JSON, ARCHIVE_ADMISSIONS, URGENCES_TSV,
                NOTES, TEMPLATE, PLANNING)
RELATIONAL_FILES = (GAP_SQL, UNIT_TABLE, PHARMA_SQL, SPLIT_PATIENTS, SPLIT_MOVES,
                    SPLIT_DIAGNOSES)
# Files whose rows or text show health data about the people they name.
HEALTH_FILES = {ADMISSIONS, ARCHIVE_ADMISSIONS, DPI_JSON, URGENCES_TSV, NOTES, GAP_SQL,
                PHARMA_SQL}


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, Truth]:
    out = tmp_path_factory.mktemp("demo")
    return out, generate_leak(out)


@pytest.fixture(scope="module")
def leak(generated) -> Path:
    return generated[0] / "leak"


@pytest.fixture(scope="module")
def truth(generated) -> Truth:
    return generated[1]


def letters(truth: Truth) -> list[str]:
    return sorted(f.file for f in truth.files if f.file.startswith("courriers/"))


def leaf_text(leak: Path, file: str) -> str:
    """The text of a leaf file, whatever its format (cells and paragraphs joined)."""
    raw = read_member(leak, file)
    if file == PATIENTS_XLSX:
        wb = load_workbook(io.BytesIO(raw))
        return "\n".join(" ".join(str(c) for c in row if c is not None)
                         for ws in wb.worksheets for row in ws.iter_rows(values_only=True))
    if file.endswith(".docx"):
        with zipfile.ZipFile(io.BytesIO(raw)) as docx:
            xml = docx.read("word/document.xml").decode("utf-8")
        xml = re.sub(r"</w:p>|<w:br/>", "\n", xml)
        return html.unescape(re.sub(r"<[^>]+>", "", xml))
    encoding = {ADMISSIONS: "cp1252", ARCHIVE_ADMISSIONS: "cp1252", URGENCES_TSV: "utf-16"}
    return raw.decode(encoding.get(file, "utf-8-sig"))


def read_member(leak: Path, contract_path: str) -> bytes:
    """Bytes of a file named by its contract path, opening nested archives."""
    outer, *members = contract_path.split("!/")
    data = (leak / outer).read_bytes()
    for member in members:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            data = archive.read(member)
    return data


def findings_of(truth: Truth, file: str, entity: str) -> set[str]:
    return {f.value for f in truth.findings if f.file == file and f.entity == entity}


def e164(text: str) -> str:
    return phonenumbers.format_number(
        phonenumbers.parse(text, "FR"), phonenumbers.PhoneNumberFormat.E164
    )


def admissions_rows(leak: Path) -> list[dict[str, str]]:
    text = (leak / ADMISSIONS).read_bytes().decode("cp1252")
    lines = text.split("\r\n")
    return list(csv.DictReader(lines[2:], delimiter=";"))


# ------------------------------------------------------------------------------ identifiers


def test_nir_key_matches_stdnum_including_corsica():
    assert make_nir("M", 1985, 3, "75123", 456) == "185037512345627"[:13] + nir_key("1850375123456")
    for place in ("2A004", "2B033", "99350", "97105", "59350"):
        nir = make_nir("F", 1990, 7, place, 12)
        assert stdnum_nir.is_valid(nir), nir
        assert stdnum_nir.calc_check_digits(nir) == nir[13:]


def test_iban_builder_is_valid_with_rib_key():
    iban = make_fr_iban("30006", "00001", "12345678901")
    assert stdnum_iban.is_valid(iban)
    assert iban[-2:] == rib_key("30006", "00001", "12345678901")
    assert len(iban) == 27


# ------------------------------------------------------------------------------ determinism


def test_same_seed_same_bytes_and_truth(tmp_path):
    a = generate_leak(tmp_path / "a", seed=11, n_patients=60, n_staff=8)
    b = generate_leak(tmp_path / "b", seed=11, n_patients=60, n_staff=8)
    assert a == b
    assert (tmp_path / "a/truth.json").read_bytes() == (tmp_path / "b/truth.json").read_bytes()
    for path in (tmp_path / "a/leak").rglob("*"):
        if path.is_file():
            twin = tmp_path / "b/leak" / path.relative_to(tmp_path / "a/leak")
            assert path.read_bytes() == twin.read_bytes(), path
    c = generate_leak(tmp_path / "c", seed=12, n_patients=60, n_staff=8)
    assert (tmp_path / "c/leak" / ADMISSIONS).read_bytes() != (
        tmp_path / "a/leak" / ADMISSIONS
    ).read_bytes()
    assert c != a


# ------------------------------------------------------------------------------ truth


def test_truth_counts_and_json(generated, truth):
    out, _ = generated
    assert truth.counts == {"PATIENT": 300, "STAFF": 40}
    assert truth.n_people == 340
    data = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    assert data["n_people"] == 340
    assert data["counts"] == {"PATIENT": 300, "STAFF": 40}
    assert data["n_orphan_rows"] == truth.n_orphan_rows == len(data["orphan_rows"]) >= 3
    assert Truth.load(out / "truth.json") == truth
    assert not (out / "leak" / "truth.json").exists()


def test_truth_without_the_new_fields_still_loads(generated, truth):
    """A truth file written before the relational shapes (no sensitive_reasons, linked_files,
    orphan_rows, key_links, units) loads with empty defaults."""
    out, _ = generated
    data = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    for key in ("orphan_rows", "key_links", "units", "n_orphan_rows"):
        del data[key]
    for person in data["people"]:
        del person["sensitive_reasons"], person["linked_files"]
    old = Truth.from_dict(data)
    assert old.n_people == truth.n_people and old.n_orphan_rows == 0
    assert old.key_links == [] and old.units == []
    assert all(p.sensitive_reasons == [] and p.linked_files == [] for p in old.people)
    assert [p.sensitive for p in old.people] == [p.sensitive for p in truth.people]


def test_people_unique_and_present(truth):
    keys = [(fold_name(p.last_name), fold_name(p.first_name), p.birth_date) for p in truth.people]
    assert len(keys) == len(set(keys))
    nirs = [p.nir for p in truth.people if p.nir]
    assert len(nirs) == len(set(nirs))
    known = {f.file for f in truth.files}
    for p in truth.people:
        assert p.files and set(p.files) <= known
        assert "IDENTITY" in p.categories
    staff = [p for p in truth.people if p.role == "STAFF"]
    assert all(p.birth_date is None and p.nir is None for p in staff)
    assert all(p.emails and p.emails[0].endswith("@ch-armentieres.fr") for p in staff)


def test_every_person_is_named_in_each_of_their_files(leak, truth):
    texts = {file: fold_name(leaf_text(leak, file))
             for file in (*LEGACY_FILES, *RELATIONAL_FILES, *letters(truth))}
    for p in truth.people:
        for file in p.files:
            assert fold_name(p.last_name) in texts[file], (p.truth_id, file)
            assert fold_name(p.first_name) in texts[file], (p.truth_id, file)
        for file in p.linked_files:  # child files name no one, they hold the IPP
            assert fold_name(p.last_name) not in texts[file], (p.truth_id, file)


def test_truth_nirs_valid_and_decoys_invalid(truth):
    nirs = {f.value for f in truth.findings if f.entity == "NIR"}
    assert nirs and all(stdnum_nir.is_valid(n) and len(n) == 15 for n in nirs)
    assert {p.nir for p in truth.people if p.nir} <= nirs
    places = {n[5:7] for n in nirs}
    assert {"2A", "2B", "99"} <= places
    decoys = [d for d in truth.decoys if d.entity == "NIR"]
    assert len(decoys) >= 3
    assert all(not stdnum_nir.is_valid(d.value) for d in decoys)
    assert not {d.value for d in decoys} & nirs


def test_truth_ibans_valid_and_decoy_invalid(truth):
    ibans = {f.value for f in truth.findings if f.entity == "IBAN"}
    assert ibans
    for value in ibans:
        assert stdnum_iban.is_valid(value) and value.startswith("FR") and len(value) == 27
        assert value[-2:] == rib_key(value[4:9], value[9:14], value[14:25])
    decoys = [d for d in truth.decoys if d.entity == "IBAN"]
    assert len(decoys) == 1 and not stdnum_iban.is_valid(decoys[0].value)
    for p in truth.people:
        assert ("FINANCIAL" in p.categories) == bool(p.ibans)


def test_truth_phones_emails_dates_normalized(truth):
    for f in truth.findings:
        if f.entity == "PHONE":
            parsed = phonenumbers.parse(f.value)
            assert phonenumbers.is_valid_number(parsed)
            assert phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == (
                f.value
            )
        elif f.entity == "EMAIL":
            assert f.value == f.value.lower() and "@" in f.value
        elif f.entity == "BIRTH_DATE":
            born = date.fromisoformat(f.value)
            assert date(1930, 1, 1) <= born <= date(2020, 12, 31)
    for p in truth.people:
        for phone in p.phones:
            assert phonenumbers.is_valid_number(phonenumbers.parse(phone))


def test_people_fields_match_findings(truth):
    by_file: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for f in truth.findings:
        by_file[f.file].add((f.entity, f.value))
    for p in truth.people:
        exposed = set().union(*(by_file[file] for file in p.files))
        for phone in p.phones:
            assert ("PHONE", phone) in exposed
        for email in p.emails:
            assert ("EMAIL", email) in exposed
        if p.nir:
            assert ("NIR", p.nir) in exposed
            assert "NATIONAL_ID" in p.categories
        else:
            assert "NATIONAL_ID" not in p.categories
        if p.birth_date:
            assert ("BIRTH_DATE", p.birth_date) in exposed
        health = (HEALTH_FILES & set(p.files) or p.linked_files
                  or any(f.startswith("courriers/") for f in p.files))
        assert ("HEALTH" in p.categories) == (p.role == "PATIENT" and bool(health))


def test_non_personal_files_have_nothing(truth):
    for file in (TEMPLATE, PLANNING):
        assert not [f for f in truth.findings if f.file == file]
        assert not [p for p in truth.people if file in p.files]


# ------------------------------------------------------------------------------ the files


def test_admissions_csv_layout(leak, truth):
    raw = (leak / ADMISSIONS).read_bytes()
    text = raw.decode("cp1252")
    lines = text.split("\r\n")
    assert lines[0] == "Extraction admissions CH Armentières du 11/02/2024"
    assert lines[1] == ""
    assert lines[2] == "IPP;NOM;PRENOM;DATE_NAISS;SEXE;ADRESSE;CP;VILLE;TEL;DATE_ENTREE;SERVICE"
    assert "\n" not in text.replace("\r\n", "")
    assert re.search(r"[éèëêïîôçÉ]", text)
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    rows = admissions_rows(leak)
    ipps = [r["IPP"] for r in rows]
    assert len(ipps) > len(set(ipps))  # some patients were admitted several times
    tels = [r["TEL"] for r in rows if r["TEL"]]
    assert any(re.fullmatch(r"0\d( \d\d){4}", t) for t in tels)
    assert any(re.fullmatch(r"0\d(\.\d\d){4}", t) for t in tels)
    assert any(re.fullmatch(r"0\d{9}", t) for t in tels)
    assert any(t.startswith("+33 ") for t in tels)
    assert {r["SERVICE"] for r in rows} >= {"Urgences", "Psychiatrie adulte"}
    assert {e164(t) for t in tels} == findings_of(truth, ADMISSIONS, "PHONE")
    births = {datetime.strptime(r["DATE_NAISS"], "%d/%m/%Y").date().isoformat() for r in rows}
    assert births == findings_of(truth, ADMISSIONS, "BIRTH_DATE")


def test_admissions_copy_in_archive_is_byte_identical(leak, truth):
    assert read_member(leak, ARCHIVE_ADMISSIONS) == (leak / ADMISSIONS).read_bytes()
    assert truth.duplicates == {ARCHIVE_ADMISSIONS: ADMISSIONS}
    original = {(f.entity, f.value) for f in truth.findings if f.file == ADMISSIONS}
    copy = {(f.entity, f.value) for f in truth.findings if f.file == ARCHIVE_ADMISSIONS}
    assert original == copy


def test_patients_workbook(leak, truth):
    wb = load_workbook(leak / PATIENTS_XLSX)
    ws = wb["Patients"]
    assert ws["A1"].value == "Centre Hospitalier — liste patients"
    assert ws["A2"].value is None
    header = [c.value for c in ws[4]]
    assert header == ["N° Sécu", "Nom", "Prénom", "Né(e) le", "Téléphone portable", "Email"]
    rows = list(ws.iter_rows(min_row=5, values_only=True))
    assert rows and all(isinstance(r[3], datetime) for r in rows)
    nir_cells = [r[0] for r in rows]
    assert all(isinstance(c, str) for c in nir_cells)
    assert any(" " in c for c in nir_cells) and any(" " not in c for c in nir_cells)
    valid = {stdnum_nir.compact(c) for c in nir_cells if stdnum_nir.is_valid(c)}
    assert valid == findings_of(truth, PATIENTS_XLSX, "NIR")
    invalid = {stdnum_nir.compact(c) for c in nir_cells if not stdnum_nir.is_valid(c)}
    assert invalid == {d.value for d in truth.decoys if d.entity == "NIR"}
    emails = {r[5].lower() for r in rows if r[5]}
    assert emails == findings_of(truth, PATIENTS_XLSX, "EMAIL")

    billing = wb["Facturation"]
    assert [c.value for c in billing[1]] == ["IPP", "Nom", "Prénom", "Date de naissance", "IBAN"]
    ibans = [r[4] for r in billing.iter_rows(min_row=2, values_only=True)]
    valid_ibans = {stdnum_iban.compact(i) for i in ibans if stdnum_iban.is_valid(i)}
    assert valid_ibans == findings_of(truth, PATIENTS_XLSX, "IBAN")
    assert sum(not stdnum_iban.is_valid(i) for i in ibans) == 1


def test_annuaire(leak, truth):
    raw = (leak / ANNUAIRE).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert list(rows[0]) == ["Matricule", "Nom", "Prénom", "Fonction", "Service", "UF", "Poste",
                             "Téléphone", "Email"]
    assert len(rows) == 40
    assert len({r["Matricule"] for r in rows}) == 40
    assert all(re.fullmatch(r"M\d{5}", r["Matricule"]) for r in rows)
    # Services of sensitive care, coded: the staff's workplace, never their care.
    assert {"Psychiatrie adulte", "Addictologie"} <= {r["Service"] for r in rows}
    assert {"3201", "U45"} <= {r["UF"] for r in rows}
    staff = [p for p in truth.people if p.role == "STAFF"]
    assert all(not p.sensitive and "HEALTH" not in p.categories for p in staff)
    assert all(re.fullmatch(r"\d{4}", r["Poste"]) for r in rows)
    assert len({r["Poste"] for r in rows}) == 40
    phones = findings_of(truth, ANNUAIRE, "PHONE")
    assert phones == {e164(r["Téléphone"]) for r in rows if r["Téléphone"]}
    # The 4-digit extensions are not phones: every PHONE finding is a full French number.
    assert all(re.fullmatch(r"\+33[1-9]\d{8}", phone) for phone in phones)
    assert not {r["Poste"] for r in rows} & {f.value for f in truth.findings}
    assert {r["Email"] for r in rows} == findings_of(truth, ANNUAIRE, "EMAIL")
    assert {r["Fonction"] for r in rows} & {"IDE", "AS", "Médecin"}


def test_dpi_json(leak, truth):
    data = json.loads((leak / DPI_JSON).read_text(encoding="utf-8"))
    assert set(data) == {"export", "patients"}
    patients = data["patients"]
    assert patients
    first = patients[0]
    assert set(first) == {"ipp", "nom", "prenom", "date_naissance", "nir", "contact", "sejours"}
    assert set(first["contact"]) == {"tel", "email"}
    assert set(first["sejours"][0]) == {"date_entree", "unite"}
    nirs = {p["nir"] for p in patients if p["nir"]}
    assert nirs == findings_of(truth, DPI_JSON, "NIR")
    tels = {e164(p["contact"]["tel"]) for p in patients if p["contact"]["tel"]}
    assert tels == findings_of(truth, DPI_JSON, "PHONE")
    births = {p["date_naissance"] for p in patients}
    assert births == findings_of(truth, DPI_JSON, "BIRTH_DATE")


def test_nested_archive(leak, truth):
    with zipfile.ZipFile(leak / ARCHIVE) as outer:
        names = set(outer.namelist())
    assert names == {"exports/admissions_2023.csv", "exports/urgences_2022.zip",
                     "notes/transmissions.txt"}
    raw = read_member(leak, URGENCES_TSV)
    assert raw.startswith((b"\xff\xfe", b"\xfe\xff"))
    lines = raw.decode("utf-16").split("\r\n")
    assert lines[0].split("\t") == ["Nom", "Prénom", "Date de naissance", "Téléphone",
                                    "Date passage", "Unité"]
    rows = [line.split("\t") for line in lines[1:] if line]
    births = {datetime.strptime(r[2], "%d/%m/%Y").date().isoformat() for r in rows}
    assert births == findings_of(truth, URGENCES_TSV, "BIRTH_DATE")
    assert {e164(r[3]) for r in rows if r[3]} == findings_of(truth, URGENCES_TSV, "PHONE")


def test_notes_birth_cues_only(leak, truth):
    text = read_member(leak, NOTES).decode("utf-8")
    notes_people = [p for p in truth.people if NOTES in p.files]
    assert 1 <= len(notes_people) <= 5
    births = findings_of(truth, NOTES, "BIRTH_DATE")
    assert births == {p.birth_date for p in notes_people}
    assert re.search(r"née? le (1er|\d{1,2}) [a-zéû]+ \d{4}", text)
    # Dates without a birth cue (visits, follow-ups) are in the text but not findings.
    bare = {datetime.strptime(d, "%d/%m/%Y").date().isoformat()
            for d in re.findall(r"\d{2}/\d{2}/\d{4}", text)}
    assert bare - births
    assert findings_of(truth, NOTES, "PHONE")


def test_findings_are_unique_per_file(truth):
    keys = [(f.file, f.entity, f.value) for f in truth.findings]
    assert len(keys) == len(set(keys))
    assert {f.entity for f in truth.findings} == {"NIR", "PHONE", "EMAIL", "IBAN", "BIRTH_DATE"}


def test_default_leak_is_small(leak):
    total = sum(p.stat().st_size for p in leak.rglob("*") if p.is_file())
    assert total < 600_000


@pytest.mark.slow
def test_scales(tmp_path):
    """1 000 and 4 000 patients: the counts asked for, in time linear in the patients (a
    complexity check, not a wall-clock limit: see tests/complexity.py)."""
    truths = {}

    def run(n_patients: int, n_staff: int) -> None:
        out = tmp_path / f"p{n_patients}-{len(truths)}"
        truths[n_patients] = generate_leak(out, n_patients=n_patients, n_staff=n_staff)

    assert_scales(lambda: run(1000, 50), lambda: run(4000, 200), what="generate_leak")
    assert truths[1000].counts == {"PATIENT": 1000, "STAFF": 50}
    assert truths[4000].counts == {"PATIENT": 4000, "STAFF": 200}
