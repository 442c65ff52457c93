"""Relational reconstruction: key links inferred from values (or declared), child rows and
documents attached to their person, orphans counted — through real scans."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from breachscope.case import Case
from breachscope.detect.keys import is_key_header
from breachscope.pipeline import scan

CHINOOK = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "chinook"


def _scan(dump: Path, case_dir: Path) -> Case:
    case = Case(case_dir)
    scan([dump], case, workers=1)
    return case


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.mark.parametrize(("header", "key"), [
    ("IPP", True), ("num_sejour", True), ("N° séjour", True), ("CustomerId", True),
    ("id_patient", True), ("code_uf", True), ("SupportRepId", True), ("matricule", True),
    ("nom", False), ("date_entree", False), ("libelle_uf", False), ("code postal", False),
    ("valid", False), ("Total", False), ("telephone", False),
])
def test_key_headers(header, key):
    assert is_key_header(header) is key


@pytest.fixture()
def split_exports(tmp_path):
    """One hospital system exported as three files, keyed by IPP and NDA."""
    dump = tmp_path / "dump"
    patients = ["ipp;nom;prenom;date_naissance;telephone"]
    stays = ["nda;ipp;uf;date_entree;dp"]
    diagnoses = ["nda;code_cim10"]
    names = ["DUPONT", "MARTIN", "DURAND", "PETIT", "ROUX", "LEROY", "MOREAU", "SIMON"]
    for i, name in enumerate(names):
        ipp = 100200 + i
        patients.append(f"{ipp};{name};Marie;19{50 + i}-03-12;06123456{10 + i}")
        stays.append(f"{5000 + i};{ipp};CARDIO;2023-01-0{i + 1};I10")
        diagnoses.append(f"{5000 + i};E11.9")
    stays.append("5100;100201;PSY;2023-02-01;F20.0")   # MARTIN: schizophrenia stay
    diagnoses.append("5100;B20")                        # reached in two hops: HIV
    stays.append("5200;999999;CARDIO;2023-02-01;I10")   # an orphan: no such patient
    _write(dump / "export" / "patients.csv", "\n".join(patients) + "\n")
    _write(dump / "export" / "mouvements.csv", "\n".join(stays) + "\n")
    _write(dump / "export" / "diagnostics.csv", "\n".join(diagnoses) + "\n")
    return dump


@pytest.mark.slow
def test_split_exports_are_joined_by_their_keys(split_exports, tmp_path):
    with _scan(split_exports, tmp_path / "case") as case:
        links = case.db.execute(
            "SELECT c.path, l.child_column, p.path, l.parent_column, l.method, l.accepted "
            "FROM key_links l JOIN files c ON c.sha256 = l.child_sha256 "
            "JOIN files p ON p.sha256 = l.parent_sha256 WHERE l.accepted").fetchall()
        assert ("export/mouvements.csv", "ipp", "export/patients.csv", "ipp", "inferred",
                True) in links
        assert ("export/diagnostics.csv", "nda", "export/mouvements.csv", "nda", "inferred",
                True) in links
        # the reverse (every patient has a stay) is not a reference: stays are not unique
        assert not any(c == "export/patients.csv" for c, *_ in links)
        martin = case.db.execute(
            "SELECT f.entity, f.value, f.hops FROM facts f "
            "JOIN records r USING (record_id) WHERE r.last_name = 'MARTIN' "
            "ORDER BY f.hops, f.entity, f.value").fetchall()
        assert ("ICD10_CODE", "F20.0", 1) in martin
        assert ("ICD10_CODE", "B20", 2) in martin
        assert ("CARE_UNIT", "PSY", 1) in martin
        people = dict(case.db.execute(
            "SELECT last_name, sensitive FROM people").fetchall())
        assert people["MARTIN"] is True and people["DUPONT"] is False
        categories = dict(case.db.execute("SELECT last_name, categories FROM people").fetchall())
        assert all("HEALTH" in c for c in categories.values())
        reasons = {r for (r,) in case.db.execute(
            "SELECT e.reason FROM sensitive_evidence e JOIN people p USING (person_id) "
            "WHERE p.last_name = 'MARTIN' AND e.decided").fetchall()}
        assert {"ICD-10 code F20.0", "ICD-10 code B20"} <= reasons
        orphans = case.db.execute(
            "SELECT o.column_name, o.value FROM orphan_rows o").fetchall()
        assert orphans == [("ipp", "999999")]
        orphan_count = case.db.execute(
            "SELECT orphan_rows FROM key_links WHERE child_column = 'ipp' AND accepted"
        ).fetchone()[0]
        assert orphan_count == 1


@pytest.mark.slow
def test_a_row_naming_patient_and_physician_belongs_to_the_patient(tmp_path):
    dump = tmp_path / "dump"
    staff = ["id_medecin;nom;prenom;fonction;email"]
    patients = ["ipp;nom;prenom;date_naissance"]
    stays = ["nda;ipp;id_medecin;dp"]
    for i in range(4):
        staff.append(f"{i + 1};DOCTEUR{'ABCD'[i]};Paul;praticien;p{i}@chu-exemple.fr")
        patients.append(f"{200 + i};PATIENT{'ABCD'[i]};Anne;1980-01-0{i + 1}")
        stays.append(f"{900 + i};{200 + i};{i + 1};F10.2")
    _write(dump / "rh.csv", "\n".join(staff) + "\n")
    _write(dump / "patients.csv", "\n".join(patients) + "\n")
    _write(dump / "sejours.csv", "\n".join(stays) + "\n")
    with _scan(dump, tmp_path / "case") as case:
        flagged = dict(case.db.execute("SELECT last_name, sensitive FROM people").fetchall())
        assert flagged["PATIENTA"] is True
        assert flagged["DOCTEURA"] is False
        staff_facts = case.db.execute(
            "SELECT count(*) FROM facts JOIN records USING (record_id) "
            "WHERE records.last_name LIKE 'DOCTEUR%'").fetchone()[0]
        assert staff_facts == 0


@pytest.mark.slow
def test_a_letters_diagnoses_belong_to_its_patient_not_its_signatory(tmp_path):
    dump = tmp_path / "dump"
    _write(dump / "courrier.txt", (
        "Service d'Addictologie\n"
        "Compte rendu d'hospitalisation\n"
        "Patient : Mme LEFEBVRE Claire, née le 12/03/1961, IPP 4410021\n"
        "\n"
        "Motif : syndrome de dépendance à l'alcool (F10.2).\n"
        "Traitement de sortie : méthadone 40 mg par jour.\n"
        "\n"
        "Dr Jean MOREAU, RPPS 10003456784, tél 01 45 67 89 10\n"))
    with _scan(dump, tmp_path / "case") as case:
        facts = case.db.execute(
            "SELECT r.last_name, f.entity, f.value FROM facts f JOIN records r "
            "USING (record_id) WHERE f.via = 'document'").fetchall()
        assert facts and {name for name, _, _ in facts} == {"LEFEBVRE"}
        assert ("LEFEBVRE", "ICD10_CODE", "F10.2") in facts
        people = {row[0]: row[1:] for row in case.db.execute(
            "SELECT last_name, categories, sensitive FROM people").fetchall()}
        assert "HEALTH" in people["LEFEBVRE"][0] and people["LEFEBVRE"][1] is True
        if "MOREAU" in people:
            assert people["MOREAU"][1] is False and "HEALTH" not in people["MOREAU"][0]


def test_a_documents_facts_from_cells_are_those_of_the_findings_view(tmp_path):
    """Document facts read ``plain_findings`` and the cells of columns whose location is not a
    table row (tested per column): the same rows as reading every finding of the ``findings``
    view and testing each location. Cells here: one of a column located on a letter's lines
    (attached), one of a table column (not a document's), one without a row number."""
    import re

    from breachscope.relate.attach import _DOCUMENT_FACTS, DOCUMENT_FACTS

    dump = tmp_path / "dump"
    _write(dump / "courrier.txt", (
        "Compte rendu d'hospitalisation\n"
        "Patient : Mme LEFEBVRE Claire, née le 12/03/1961, IPP 4410021\n"
        "\n"
        "Motif : syndrome de dépendance à l'alcool (F10.2).\n"))
    with _scan(dump, tmp_path / "case") as case:
        db = case.db
        sha = db.execute("SELECT sha256 FROM files WHERE path = 'courrier.txt'").fetchone()[0]
        db.execute("INSERT INTO finding_columns VALUES (901, ?, 'line ', '', 'DIAGNOSIS', 'x'), "
                   "(902, ?, 'row ', ', column diag', 'DIAGNOSIS', 'x'), "
                   "(903, ?, 'row ', '', 'MEDICATION', 'x')", [sha, sha, sha])
        db.execute("INSERT INTO finding_cells VALUES (901, 5, 'asthme', 0.9), "
                   "(902, 2, 'diabète', 0.9), (903, NULL, 'méthadone', 0.9)")
        select = _DOCUMENT_FACTS.replace("INSERT INTO plain_facts", "")
        entities = ", ".join(f"'{e}'" for e in DOCUMENT_FACTS)
        reference = re.sub(
            r"doc_findings AS \(.*?\n\),\ndoc AS \(",
            f"doc_findings AS (SELECT sha256, location, entity, value FROM findings "
            f"WHERE entity IN ({entities})),\ndoc AS (", select, flags=re.DOTALL)
        assert reference != select
        got = sorted(db.execute(select).fetchall())
        assert got == sorted(db.execute(reference).fetchall())
        placed = {(location, value) for _r, _s, location, _e, value, _v, _h in got}
        # without a row number a cell of column 903 is no table row: the document's only
        # person's, as the view read it
        assert ("line 5", "asthme") in placed and ("row ", "méthadone") in placed
        assert not any(value == "diabète" for _, value in placed)


@pytest.mark.slow
@pytest.mark.skipif(not (CHINOOK / "Chinook_Sqlite.sqlite").exists(),
                    reason="the public Chinook database is not beside the project")
def test_chinook_every_invoice_and_line_reaches_its_customer(tmp_path):
    """Chinook (public, MIT): Invoice.CustomerId → Customer, InvoiceLine.InvoiceId →
    Invoice. Expected links are derived from the database's own keys."""
    source = CHINOOK / "Chinook_Sqlite.sqlite"
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "chinook.sqlite").write_bytes(source.read_bytes())
    with sqlite3.connect(source) as db:
        customers = {c: f"{last} {first}".casefold() for c, last, first in db.execute(
            "SELECT CustomerId, LastName, FirstName FROM Customer")}
        expected = {f"table Invoice, row {n}": customers[c] for n, c in db.execute(
            "SELECT rowid, CustomerId FROM Invoice")}
        expected |= {f"table InvoiceLine, row {n}": customers[c] for n, c in db.execute(
            "SELECT l.rowid, i.CustomerId FROM InvoiceLine l JOIN Invoice i USING (InvoiceId)")}
    with _scan(dump, tmp_path / "case") as case:
        found = dict(case.db.execute(
            "SELECT a.row_location, lower(r.last_name || ' ' || r.first_name) FROM attached_rows a "
            "JOIN records r USING (record_id)").fetchall())
    assert len(expected) == 412 + 2240
    assert {k: found.get(k) for k in expected} == expected


@pytest.mark.slow
def test_copies_of_exports_link_pairwise_and_rows_reach_their_patient_once(tmp_path):
    """Two copies of a patient export and two of a stay export: each stay column links to both
    patient copies (a group of parent columns, walked once per group); a stay reaches its
    patient through either copy, and a stay whose IPP the two copies give to two different
    people is ambiguous (attached to no one)."""
    dump = tmp_path / "dump"
    names = ["MARTIN", "BERNARD", "THOMAS", "PETIT", "ROBERT", "RICHARD"]
    for copy in ("a", "b"):
        rows = ["ipp;nom;prenom;date_naissance"]
        for i, name in enumerate(names):
            # copy b gives IPP 205 to someone else (a reused number)
            person = (f"DURAND;Paul;1950-05-0{i}" if (copy == "b" and i == 5)
                      else f"{name};Anne;1980-01-0{i + 1}")
            rows.append(f"{200 + i};{person}")
        _write(dump / f"site_{copy}" / "patients.csv", "\n".join(rows) + "\n")
        stays = ["nda;ipp;dp"]
        first = 900 if copy == "a" else 950  # each copy its own stay numbers
        stays += [f"{first + i};{200 + i};{'F20.0' if i == 0 else 'J18.9'}"
                  for i in range(len(names))]
        _write(dump / f"site_{copy}" / "sejours.csv", "\n".join(stays) + "\n")
    with _scan(dump, tmp_path / "case") as case:
        parents = case.db.execute(
            "SELECT count(DISTINCT (parent_sha256, parent_column)) FROM key_links "
            "WHERE accepted AND child_column = 'ipp' GROUP BY child_sha256").fetchall()
        assert parents and all(n >= 2 for (n,) in parents)
        reached = dict(case.db.execute(
            "SELECT r.last_name, count(DISTINCT f.sha256) FROM facts f "
            "JOIN records r USING (record_id) WHERE f.entity = 'ICD10_CODE' "
            "AND f.via = 'row_link' GROUP BY r.last_name").fetchall())
        # each of the two stay exports gives MARTIN his stay, once each
        assert reached["MARTIN"] == 2
        assert all(reached.get(name) == 2 for name in names[:5])
        # IPP 205: RICHARD in one copy, DURAND in the other: that stay is nobody's
        assert "RICHARD" not in reached and "DURAND" not in reached
        people = dict(case.db.execute("SELECT last_name, sensitive FROM people").fetchall())
        assert people["MARTIN"] is True and people["BERNARD"] is False


@pytest.mark.slow
def test_facts_are_the_same_whether_findings_are_cells_or_rows(split_exports, tmp_path,
                                                                 monkeypatch):
    """A big content's labelled columns are stored as cells (finding_cells), a small one's
    as findings one row each: relations and assessment give the same facts either way."""
    from tests_helpers import FILES_ONLY_ENV, files_or_inline_task

    outputs = {}
    for files_only in ("", "1"):
        monkeypatch.setenv(FILES_ONLY_ENV, files_only)
        with Case(tmp_path / f"case{files_only}") as case:
            scan([split_exports], case, workers=1, task=files_or_inline_task)
            cells = case.db.execute("SELECT count(*) FROM finding_cells").fetchone()[0]
            assert (cells > 0) is bool(files_only)
            outputs[files_only] = [case.db.execute(sql).fetchall() for sql in (
                "SELECT r.last_name, f.sha256, f.location, f.entity, f.value, f.via, f.hops "
                "FROM facts f JOIN records r USING (record_id) ORDER BY ALL",
                "SELECT sha256, row_location, hops FROM attached_rows ORDER BY ALL",
                "SELECT * FROM orphan_rows ORDER BY ALL",
                "SELECT p.last_name, e.* EXCLUDE (person_id) FROM sensitive_evidence e "
                "JOIN people p USING (person_id) ORDER BY ALL",
                "SELECT last_name, categories, sensitive, severity FROM people ORDER BY ALL")]
    assert outputs[""] == outputs["1"]
    assert len(outputs["1"][0]) > 20  # facts reached


@pytest.mark.parametrize(("prefix", "suffix"), [
    ("row ", ", column nir"),
    ("table patient, row ", ", column nom"),
    ("sheet a, column b, row ", ", column c"),   # ", column " before the row number
    ("row ", ", col x"),                           # a suffix of another shape
    ("table t\nu, row ", ", column v"),            # a line break: the regular expression
    ("row ", ", column a\nb"),
    ("row ", ""),
])
def test_a_cells_row_part_is_the_row_part_of_its_location(prefix, suffix):
    import duckdb

    from breachscope.relate.attach import _cell_row_location_sql, row_location_sql

    db = duckdb.connect()
    db.execute("CREATE TABLE c AS SELECT ? AS loc_prefix, ? AS loc_suffix", [prefix, suffix])
    db.execute("CREATE TABLE f AS SELECT unnest([1, 12, 123456]::BIGINT[]) AS n")
    fast = db.execute(f"SELECT {_cell_row_location_sql()} FROM f, c ORDER BY n").fetchall()
    full = db.execute(
        f"SELECT {row_location_sql('concat(c.loc_prefix, f.n, c.loc_suffix)')} FROM f, c "
        "ORDER BY n").fetchall()
    assert fast == full


def test_a_record_number_gives_its_id_back_and_orders_by_content_then_index():
    """The walk numbers records by their content's rank and their index, and gives facts
    their record's id back from the number and the content's prefix alone."""
    import duckdb

    from breachscope.relate.attach import record_id_sql, record_number_sql

    ids = ["ffffffffffffffffffff:1099511627775", "00000000000000000001:0",
           "0ed3bd36d043ac1499b5:10", "0ed3bd36d043ac1499b5:2", "0ed3bd36d043ac1499b5:1000003"]
    db = duckdb.connect()
    db.execute("CREATE TABLE r AS SELECT unnest(?::VARCHAR[]) AS record_id", [ids])
    db.execute("CREATE TABLE c AS SELECT row_number() OVER (ORDER BY prefix) AS rank, prefix "
               "FROM (SELECT DISTINCT left(record_id, 20) AS prefix FROM r)")
    number = record_number_sql("c.rank", "r.record_id")
    rows = db.execute(
        f"SELECT r.record_id, {record_id_sql(number, 'c.prefix')} FROM r "
        f"JOIN c ON c.prefix = left(r.record_id, 20) ORDER BY {number}").fetchall()
    assert [back for _, back in rows] == [given for given, _ in rows]
    assert [given for given, _ in rows] == [
        "00000000000000000001:0", "0ed3bd36d043ac1499b5:2", "0ed3bd36d043ac1499b5:10",
        "0ed3bd36d043ac1499b5:1000003", "ffffffffffffffffffff:1099511627775"]
    # one past the 40 bits of an index: the statement stops, no number is shared
    db.execute("INSERT INTO r VALUES ('ffffffffffffffffffff:1099511627776')")
    with pytest.raises(duckdb.InvalidInputException, match="record index past"):
        db.execute(f"SELECT {number} FROM r JOIN c ON c.prefix = left(r.record_id, 20)")


def test_a_stay_belongs_to_its_patients_first_row(tmp_path):
    """A patient listed twice in an export (rows 4 and 12, same IPP, one person): their
    stay's facts are attached to the record of row 4 — the first by number, where record ids
    sorted as strings put ``:10`` before ``:2``."""
    dump = tmp_path / "dump"
    names = ["BERNARD", "THOMAS", "MARTIN", "PETIT", "ROBERT", "RICHARD", "DURAND", "DUBOIS",
             "MOREAU", "LAURENT"]
    rows = ["ipp;nom;prenom;date_naissance"]
    rows += [f"{200 + i};{name};Anne;19{50 + i}-0{1 + i % 9}-1{i}"
             for i, name in enumerate(names)]
    rows.append(rows[3])                                  # MARTIN again: row 12, record :10
    _write(dump / "patients.csv", "\n".join(rows) + "\n")
    stays = ["nda;ipp;dp"] + [f"{900 + i + 20 * k};{200 + i};{'F20.0' if i == 2 else 'J18.9'}"
                              for k in range(2) for i in range(len(names))]  # two stays each
    _write(dump / "sejours.csv", "\n".join(stays) + "\n")
    with _scan(dump, tmp_path / "case") as case:
        martin = case.db.execute(
            "SELECT r.record_id, r.location FROM records r WHERE r.last_name = 'MARTIN' "
            "ORDER BY r.location").fetchall()
        assert [location for _, location in martin] == ["row 12", "row 4"]
        assert martin[0][0].endswith(":10") and martin[1][0].endswith(":2")
        attached = case.db.execute(
            "SELECT DISTINCT r.location FROM facts f JOIN records r USING (record_id) "
            "WHERE f.entity = 'ICD10_CODE' AND f.value = 'F20.0'").fetchall()
        assert attached == [("row 4",)]


def test_relations_stop_on_more_contents_than_record_numbers_hold(split_exports, tmp_path,
                                                                   monkeypatch):
    """Past 2^24 contents with table rows a content's rank would overflow into its records'
    indexes: relations stop with a reason (checked here with the limit set to 2)."""
    from breachscope.relate import attach

    with _scan(split_exports, tmp_path / "case") as case:
        monkeypatch.setattr(attach, "_MAX_CONTENTS", 2)
        with pytest.raises(attach.RelateError, match=r"at most 2 contents .* has 3"):
            attach.relate_case(case)
        monkeypatch.setattr(attach, "_MAX_CONTENTS", 3)
        assert attach.relate_case(case)["row_link"] > 0


@pytest.mark.slow
def test_a_databases_orphan_stay_is_counted_in_its_table(tmp_path):
    """In a database the tables are units (``table sejour``): a stay whose patient is not in
    the patient table is an orphan of ``table sejour``, found because ``table patient`` holds
    records (named from the records' own locations)."""
    dump = tmp_path / "dump"
    dump.mkdir()
    with sqlite3.connect(dump / "dpi.sqlite") as db:
        db.execute("CREATE TABLE patient (ipp TEXT, nom TEXT, prenom TEXT, date_naissance TEXT)")
        db.execute("CREATE TABLE sejour (nda TEXT, ipp TEXT, dp TEXT)")
        names = ["DUPONT", "MARTIN", "DURAND", "PETIT", "ROUX", "LEROY"]
        for i, name in enumerate(names):
            db.execute("INSERT INTO patient VALUES (?, ?, 'Anne', ?)",
                       (f"{300 + i}", name, f"1960-02-0{i + 1}"))
            db.execute("INSERT INTO sejour VALUES (?, ?, 'J18.9')", (f"{700 + i}", f"{300 + i}"))
        db.execute("INSERT INTO sejour VALUES ('799', '399', 'F20.0')")  # no patient 399
    with _scan(dump, tmp_path / "case") as case:
        orphans = case.db.execute(
            "SELECT unit, row_location, column_name, value FROM orphan_rows").fetchall()
        assert orphans == [("table sejour", "table sejour, row 7", "ipp", "399")]
        reached = case.db.execute(
            "SELECT count(*) FROM attached_rows WHERE row_location LIKE 'table sejour, %'"
        ).fetchone()[0]
        assert reached == 6


@pytest.mark.slow
def test_relations_are_the_same_in_batches_of_contents(split_exports, tmp_path, monkeypatch):
    """At 10 GB the statements over every table row run on batches of contents (smaller hash
    tables); a batch of one content each gives the facts, rows reached, orphans and
    ambiguous rows of one batch for all: a row is joined with rows of its own content, a
    reached row names a record of another."""
    from tests_helpers import FILES_ONLY_ENV, files_or_inline_task

    from breachscope.relate import attach

    # a second system whose stays are reached through a copy that gives one IPP to two
    # people (an ambiguous row) next to the first one's two hops and orphan
    for copy in ("a", "b"):
        rows = ["ipp;nom;prenom;date_naissance"]
        rows += [f"{400 + i};{name};Anne;1980-01-0{i + 1}"
                 for i, name in enumerate(["BLANC", "GARNIER", "FAURE"])]
        if copy == "b":
            rows[-1] = "402;CHEVALIER;Paul;1950-05-02"
        _write(split_exports / f"site_{copy}" / "patients.csv", "\n".join(rows) + "\n")
    _write(split_exports / "site_a" / "sejours.csv",
           "nda;ipp;dp\n" + "".join(f"{800 + i};{400 + i};F20.0\n" for i in range(3)))
    monkeypatch.setenv(FILES_ONLY_ENV, "1")  # labelled columns as cells (fact_cells)
    with Case(tmp_path / "case") as case:
        scan([split_exports], case, workers=1, task=files_or_inline_task)

        def related() -> list[list[tuple]]:
            counts = attach.relate_case(case)
            return [sorted(counts.items())] + [case.db.execute(sql).fetchall() for sql in (
                "SELECT record_id, sha256, location, entity, value, via, hops FROM facts "
                "ORDER BY ALL",
                "SELECT * FROM attached_rows ORDER BY ALL",
                "SELECT * FROM orphan_rows ORDER BY ALL")]

        whole = related()
        monkeypatch.setattr(attach, "BATCH_ROW_KEYS", 1)
        batches: list[list[attach.Batch]] = []
        real_batches = attach._batches
        monkeypatch.setattr(attach, "_batches",
                            lambda db: batches.append(real_batches(db)) or batches[-1])
        assert related() == whole
        n_cell_facts = case.db.execute("SELECT count(*) FROM fact_cells").fetchone()[0]
    # six contents with table rows: three exports, two patient copies, a stay export
    assert [[(b.lo, b.hi) for b in run] for run in batches] == [
        [(rank, rank) for rank in range(1, 7)]]
    counts = dict(whole[0])
    assert counts["ambiguous_rows"] == 1 and counts["orphan_rows"] >= 1
    assert counts["row_link"] > 20 and len(whole[2]) > 10
    assert n_cell_facts > 20
