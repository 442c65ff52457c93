"""People resolution over signatures (issue 15) gives what resolution over every record gave.

At 10 GB a dump holds 77 M records but 0.72 M signatures (the distinct rows of the fields
resolution reads, with the file of the records of files holding prose), so ``resolve.people``
resolves signatures, weighted by their records, and maps the records back at the end; a
signature whose copies are not one person (no key, not matched with itself by the linkage,
linked to nothing) gives a person per record. Here the same generated case, full of copies,
placeholders, bare surnames in letters and table rows, is resolved over signatures and over
one signature per record (the record id among the signature's columns: resolution as it was):
the people, their records and the counts kept in ``meta`` must be identical, and the linkage
pairs those of the signatures' first records.
"""

from __future__ import annotations

import random

import pytest
from people_reference import insert_records

from breachscope.case import Case
from breachscope.resolve import people

# ---------------------------------------------------------------------------------- the case

_LAST = ["Martin", "MARTIN", "Martín", "Le Gall", "Le-Gall", "Moreau", "MOREAU", "Petit", "",
         "Durand", "Dubois", "Lambert", "Bonnet", "Girard", "Roux", "Fournier", "Mercier",
         "Blanc", "Faure", "Chevalier", "Robin", "Gauthier", "Perrin", "Morel", "Renaud"]
_FIRST = ["Jean", "JEAN", "Zoé", "ZOE", "Julie", "Léa", "", None]
_FILES = [f"{i:064x}" for i in range(12)]


def _person(rng: random.Random, i: int) -> dict:
    last, first = rng.choice(_LAST), rng.choice(_FIRST)
    return {
        "last_name": last, "first_name": first,
        "full_name": f"{last} épouse Petit" if rng.random() < 0.1 else None,
        # 1900-01-01: a static placeholder; the others shared by a few people each.
        "birth_date": rng.choice(["1950-01-01", "1960-06-06", "1900-01-01", "1985-05-12", "",
                                  None]),
        "nir": rng.choice(["185057512345611", "260067512345622", "111111111111111",
                           "1850575123456", "", None]) if rng.random() < 0.3 else None,
        # +33100000009 is everyone's (a switchboard: a placeholder by its many names); a
        # phone twice in one list counts twice.
        "phones": rng.choice([[], [f"+3310000{i % 50:04d}"], ["+33100000009"],
                              [f"+3310000{i % 7:04d}", f"+3310000{i % 7:04d}"], None]),
        "emails": rng.choice([[], [f"p{i % 40}@x.fr"], ["INCONNU@x.fr"], [None], None]),
        "postal_code": rng.choice(["75001", "00000", "", None]),
        "city": rng.choice(["PARIS", "Lyon", None]),
        "address": rng.choice(["3 rue des Lilas", "", None]),
        "patient_id": rng.choice([f" {i % 90} ", "0", "", None]) if rng.random() < 0.3 else None,
        "sex": rng.choice(["F", "M", None]), "role_hint": rng.choice(["PATIENT", None]),
    }


def _records(seed: int) -> list[dict]:
    """People copied several times (the copies of an export), each copy at a row of a table
    export, or in a letter, or with no file; and bare surnames ("Mme Moreau") in the same
    files (mostly letters: a surname at a table row is a record of its own)."""
    rng = random.Random(seed)
    out: list[dict] = []
    tables, letters = _FILES[:6], _FILES[6:]
    for i in range(400):
        person = _person(rng, i)
        for _ in range(rng.choice([1, 1, 2, 5, 12])):
            where = rng.random()
            if where < 0.05:
                place = {"sha256": None, "location": rng.choice(["lettre.txt", None])}
            elif where < 0.8:
                place = {"sha256": rng.choice(tables),
                         "location": f"export.csv, row {rng.randrange(1, 9)}"}
            else:
                place = {"sha256": rng.choice(letters),
                         "location": rng.choice(["lettre.txt", "annexe, row 2", None])}
            out.append({**person, **place})
        if rng.random() < 0.3:
            # Mostly in the file of one of the person's records (the letter's patient block).
            file = out[-1]["sha256"] if rng.random() < 0.7 else rng.choice(letters)
            location = ("export.csv, row 9" if file in tables
                        else rng.choice(["lettre.txt", "annexe, row 9", None]))
            out.append({"last_name": person["last_name"], "sha256": file, "location": location,
                        "address": rng.choice(["", None, "1 place X"]),
                        "patient_id": rng.choice([None, "", "123"])})
    rng.shuffle(out)
    return [{**r, "record_id": f"r{n:05d}"} for n, r in enumerate(out)]


def _resolve(tmp_path, name: str, records: list[dict], linkage: str) -> dict:
    with Case(tmp_path / name) as case:
        insert_records(case.db, records)
        count = people.rebuild_people(case, linkage=linkage)
        db = case.db
        return {
            "count": count,
            "people": sorted(db.execute("SELECT * FROM people").fetchall(), key=repr),
            "records": sorted(db.execute("SELECT * FROM person_records").fetchall()),
            "pairs": sorted(db.execute("SELECT * FROM linkage_pairs").fetchall()),
            "meta": db.execute("SELECT key, value FROM meta WHERE key LIKE 'linkage%' "
                               "OR key LIKE 'unresolved%' ORDER BY key").fetchall(),
        }


@pytest.mark.parametrize(("seed", "method"), [(1, "exact"), (2, "exact"), (3, "splink"),
                                             (4, "splink")])
def test_signatures_resolve_as_every_record(tmp_path, monkeypatch, seed, method):
    records = _records(seed)
    new = _resolve(tmp_path, "new", records, method)
    signatures = _signature_count(tmp_path, records)
    monkeypatch.setattr(people, "_SIGNATURE_SQL",
                        people._signature_sql((*people._SIG_COLUMNS, "record_id")))
    old = _resolve(tmp_path, "old", records, method)
    # A case that exercises every part: copies merged, placeholders set aside, bare surnames
    # placed by their file or left unresolved, signatures of many records.
    meta = dict(new["meta"])
    assert len(records) > 1500 and 50 < new["count"] < len(records) / 2
    assert signatures < len(records) / 2
    assert "phone" in meta["linkage_placeholders"] and "birth" in meta["linkage_placeholders"]
    assert int(meta["unresolved_mentions"]) > 0
    assert meta["linkage_error"] == "" and (method == "exact") == (not new["pairs"])
    # The pairs between signatures, by their first records, are among the records' pairs.
    assert set(new.pop("pairs")) <= set(old.pop("pairs"))
    assert new == old


def _signature_count(tmp_path, records: list[dict]) -> int:
    with Case(tmp_path / "count") as case:
        insert_records(case.db, records)
        people.install_fold_macro(case.db)
        people.prepare_records(case.db)
        return case.db.execute("SELECT count(*) FROM _bs_sig").fetchone()[0]


def test_the_generated_case_places_bare_surnames_by_their_file(tmp_path):
    """The case above has mentions that _STEP_MENTIONS places (and so tests that step)."""
    with Case(tmp_path / "case") as case:
        insert_records(case.db, _records(1))
        people.install_fold_macro(case.db)
        people.prepare_records(case.db)
        case.db.execute(people._STEP_MENTIONS)
        assert case.db.execute("SELECT count(*) FROM _bs_context").fetchone()[0] >= 3


def test_records_reach_their_person_when_signature_hashes_collide(tmp_path, monkeypatch):
    """``person_records`` joins records to their signature on a 64-bit hash of its columns,
    and on every column for the signatures whose hash collides: with a hash of three values
    (every signature collides) the records' people are the same."""
    records = _records(1)
    new = _resolve(tmp_path, "new", records, "exact")
    monkeypatch.setattr(people, "_SIGNATURE_SQL",
                        people._signature_sql(sig_hash="hash({}) % 3"))
    collided = _resolve(tmp_path, "collided", records, "exact")
    assert len(new["records"]) == len(records)
    assert new == collided
