"""`breachscope link` end to end: the demo leak scanned, an index export built from its truth
(some patients missing, some contact details changed, extra index patients not in the leak),
linked, and the people export checked."""

from __future__ import annotations

import csv
import json
import random

import pytest

from breachscope.demo.identifiers import fold_name
from breachscope.resolve.mpi import guess_field, read_mpi

HEADER = ["IPP", "Nom de naissance", "Nom d'usage", "Prénom", "Date de naissance", "Sexe",
          "Adresse", "Code postal", "Ville", "Téléphone", "E-mail", "NIR"]


def write_mpi(path, truth, seed=3):
    """The index: 90 % of the leak's patients (day/month written French style), a quarter with
    a new address and phone, plus 15 patients the leak does not hold. Returns (included,
    missing, changed) as truth ids, and the extra IPPs."""
    rng = random.Random(seed)
    patients = [p for p in truth["people"] if p["role"] == "PATIENT" and p["birth_date"]]
    included, missing, changed = [], [], {}
    rows = []
    for n, p in enumerate(patients):
        if rng.random() < 0.1:
            missing.append(p["truth_id"])
            continue
        included.append(p["truth_id"])
        phone = p["phones"][0] if p["phones"] else ""
        address, cp, city = f"{n + 1} rue de la Gare", p["postal_code"] or "", p["city"] or ""
        if rng.random() < 0.25:
            phone = f"+3361{n:07d}"[:12]
            address = f"{n + 1} avenue Nouvelle"
            changed[p["truth_id"]] = phone
        y, m, d = p["birth_date"].split("-")
        rows.append([f"IPP{n:06d}", p["last_name"].upper(), "", p["first_name"],
                     f"{d}/{m}/{y}", "", address, cp, city, phone,
                     p["emails"][0] if p["emails"] else "", p["nir"] or ""])
    extras = []
    for k in range(15):
        ipp = f"EXT{k:04d}"
        extras.append(ipp)
        rows.append([ipp, f"ABSENT{k}", "", "Personne", "01/02/1950", "F", "1 place X",
                     "75001", "Paris", "", "", ""])
    rng.shuffle(rows)
    with path.open("w", encoding="cp1252", errors="replace", newline="") as fh:
        writer = csv.writer(fh, delimiter=";")
        writer.writerow(HEADER)
        writer.writerows(rows)
    return included, missing, changed, extras


@pytest.fixture(scope="module")
def linked(demo_leak, tmp_path_factory):
    from typer.testing import CliRunner

    from breachscope.cli import app

    out, _truth = demo_leak
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    work = tmp_path_factory.mktemp("mpi")
    case = work / "case"
    runner = CliRunner()
    res = runner.invoke(app, ["scan", str(out / "leak"), "--case", str(case), "--workers", "2"])
    assert res.exit_code == 0, res.output
    mpi = work / "index.csv"
    included, missing, changed, extras = write_mpi(mpi, truth)
    res = runner.invoke(app, ["link", "--case", str(case), "--mpi", str(mpi)])
    assert res.exit_code == 0, res.output
    res_export = runner.invoke(app, ["export", "--case", str(case), "--what", "people",
                                     "--format", "csv", "-o", str(work / "people.csv")])
    assert res_export.exit_code == 0, res_export.output
    with (work / "people.csv").open(encoding="utf-8", newline="") as fh:
        people = list(csv.DictReader(fh))
    return {"truth": truth, "output": res.output, "people": people, "case": case,
            "included": included, "missing": missing, "changed": changed, "extras": extras}


def test_header_guess():
    assert [guess_field(h) for h in HEADER] == [
        "mpi_id", "birth_name", "last_name", "first_name", "birth_date", "sex", "address",
        "postal_code", "city", "phone", "email", "nir"]
    assert guess_field("NOM_USAGE") == "last_name"
    assert guess_field("DDN") == "birth_date"
    assert guess_field("INS") == "nir"


def test_map_overrides_and_detects_encoding(tmp_path):
    path = tmp_path / "idx.csv"
    path.write_bytes("N° dossier\tNom\tPrénom\tNé le\r\n42\tLÉON\tAndré\t1960-05-04\r\n"
                     .encode("cp1252"))
    rows, mapping = read_mpi(path, {"N° dossier": "mpi_id", "Né le": "birth_date"})
    assert mapping["Né le"] == "birth_date"
    assert rows[0].mpi_id == "42" and rows[0].last_name == "LÉON"
    assert rows[0].birth_date == "1960-05-04"


@pytest.mark.slow
def test_link_counts_and_people_export(linked):
    people, truth = linked["people"], linked["truth"]
    out = linked["output"]
    assert "matched" in out and "mpi_unmatched.csv" in out
    # Names never reach the terminal.
    for p in truth["people"][:50]:
        assert p["last_name"].upper() not in out.upper().replace("LAST_NAME", "")
    contract = ["person_id", "role", "last_name", "first_name", "birth_date", "nir", "phones",
                "emails", "postal_code", "city", "categories", "sensitive", "severity", "files"]
    mpi_columns = ["mpi_id", "mpi_address", "mpi_phone", "mpi_email"]
    assert list(people[0].keys()) == [*contract, *mpi_columns, "identified",
                                      "sensitive_reasons", "sensitive_undecided"]
    by_key = {}
    for t in truth["people"]:
        if t["role"] == "PATIENT" and t["birth_date"]:
            by_key[(fold_name(t["last_name"]), fold_name(t["first_name"]), t["birth_date"])] = t
    included, missing = set(linked["included"]), set(linked["missing"])
    matched_ok = matched_wrong = in_index = 0
    for row in people:
        t = by_key.get((fold_name(row["last_name"]), fold_name(row["first_name"]),
                        row["birth_date"]))
        if row["mpi_id"]:
            assert not row["mpi_id"].startswith("EXT")  # never an index patient not leaked
            if t is None or t["truth_id"] in missing:
                matched_wrong += 1
            else:
                matched_ok += 1
                assert row["mpi_address"]
                if t["truth_id"] in linked["changed"]:
                    assert row["mpi_phone"] == linked["changed"][t["truth_id"]]
        if t is not None and t["truth_id"] in included:
            in_index += 1
    assert in_index > 100
    recall = matched_ok / in_index
    print(f"MPI link: {matched_ok} right, {matched_wrong} wrong, of {in_index} "
          f"resolved people in the index (recall {recall:.3f})")
    assert recall >= 0.95
    assert matched_wrong <= 0.01 * matched_ok + 1


@pytest.mark.slow
def test_unmatched_list(linked):
    path = linked["case"] / "mpi_unmatched.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    n_linked = sum(1 for p in linked["people"] if p["mpi_id"])
    assert len(rows) + n_linked == len(linked["people"])
    roles = {r["role"] for r in rows}
    assert "STAFF" in roles  # staff are not in the patient index


@pytest.mark.slow
def test_link_bad_inputs(linked, cli, tmp_path):
    res = cli("link", "--case", linked["case"], "--mpi", tmp_path / "nope.csv")
    assert res.exit_code == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("a;b\n1;2\n", encoding="utf-8")
    res = cli("link", "--case", linked["case"], "--mpi", bad)
    assert res.exit_code == 2 and "--map" in res.output
    res = cli("link", "--case", linked["case"], "--mpi", bad, "--map", "a=shoe_size")
    assert res.exit_code == 2


def test_match_rules():
    from breachscope.resolve.mpi import MpiRow, _first_keys, _last_keys, _Person, match

    def person(pid, last, first, dob, nir=None, ipps=()):
        return _Person(pid, "PATIENT", last, first, dob, nir, _last_keys(last),
                       _first_keys(first), {dob} if dob else set(), {nir} if nir else set(),
                       set(ipps))

    mpi = [
        MpiRow("A1", last_name="MARTIN", birth_name="DUPONT", first_name="Marie",
               birth_date="1954-03-12"),
        MpiRow("A2", last_name="Lefèvre", first_name="Jean-Pierre", birth_date="1960-07-04"),
        MpiRow("A3", last_name="BERNARD", first_name="Luc", birth_date="1970-01-02",
               nir="170017512345612"),
        MpiRow("A4", last_name="PETIT", first_name="Anne", birth_date="1980-05-06"),
        MpiRow("A5", last_name="ROUX", first_name="Paul", birth_date="1990-01-01"),
        MpiRow("A6", last_name="ROUX", first_name="Paul", birth_date="1990-01-01"),
    ]
    people = [
        person("p1", "Dupont", "marie", "1954-03-12"),  # birth name
        person("p2", "LEFEVRE", "Jean", "1960-04-07"),  # day/month swapped, first part
        person("p3", "X", "Y", None, nir="170017512345612"),
        person("p4", "PETTIT", "Annie", "1980-05-06", ipps=["A4"]),  # IPP in the records
        person("p5", "Anne", "Petit", "1980-05-06"),  # first/last swapped
        person("p6", "ROUX", "Paul", "1990-01-01"),  # two index rows: ambiguous
        person("p7", "ABSENT", "Nobody", "1999-09-09"),
    ]
    links = match(people, mpi)
    assert links["p1"][:2] == ("A1", "name_birth_date")
    assert links["p2"][:2] == ("A2", "name_birth_date_swapped")
    assert links["p3"][:2] == ("A3", "nir")
    assert links["p4"][:2] == ("A4", "ipp")
    assert links["p5"][:2] == ("A4", "name_swapped")
    assert "p6" not in links and "p7" not in links
