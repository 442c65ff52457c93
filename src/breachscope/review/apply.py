"""How decisions act on the case store, after every resolution.

Order (:func:`resolve_and_assess`, which the scan runs instead of resolve → relate → assess):

1. **False positives** (:func:`suppress_false_positives`): what earlier passes took out is put
   back first (only for contents not scanned anew since: a content stored again brought its
   own fresh rows), then each live ``false_positive`` decision moves its finding from
   ``findings`` to ``suppressed_findings`` and takes the value out of the record(s) holding
   it (the field, and the entity from the record's ``entities`` when nothing else of the
   record still shows it); the original record is kept in ``suppressed_records``.
2. **Resolution** (``rebuild_people``) on the corrected records: a false NIR no longer merges.
3. **Structure** (:func:`apply_structure`), in the order the decisions were made: a split
   moves the records that must leave into a person of their own (cannot-link), a merge unites
   the people holding either side (must-link), ``not_a_person`` removes the person holding
   most of its records from ``people`` and ``person_records`` (its records stay, unattached).
   Regrouped people get their fields recomputed by resolution's own SQL, and their id by its
   rule (``'P' || left(sha256(smallest record_id), 12)``).
4. **Facts** (``relate_case``) and **assessment** (``assess_case``), in which two hooks apply
   ``set_role`` (after the role evidence, before categories: a STAFF person's unit is a
   workplace, not care) and ``sensitive_confirm``/``sensitive_clear`` (on the sensitive
   evidence, before severity: the ENISA score is computed by the same SQL with the corrected
   flag).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter

import duckdb

from breachscope.case import Case
from breachscope.detect.model import entities_text, entity_list
from breachscope.findings_store import PLAIN, delete_findings
from breachscope.review.decisions import (
    ANCHORS,
    STRUCTURE_KINDS,
    Decision,
    live_decisions,
)

# A finding's entity → the record field holding its value.
ENTITY_FIELDS = {
    "LAST_NAME": "last_name", "FIRST_NAME": "first_name", "PERSON": "full_name",
    "BIRTH_DATE": "birth_date", "SEX": "sex", "NIR": "nir", "PHONE": "phones",
    "EMAIL": "emails", "ADDRESS": "address", "POSTAL_CODE": "postal_code", "CITY": "city",
    "IBAN": "ibans", "PATIENT_ID": "patient_id", "CARE_UNIT": "care_unit",
    "VISIT_DATE": "visit_date", "ICD10_CODE": "icd10_codes",
}
_LIST_FIELDS = ("phones", "emails", "ibans", "icd10_codes")
_RECORD_FIELDS = (*sorted(set(ENTITY_FIELDS.values())), "entities")
# Fields resolution reads: changing one of them needs people re-resolved.
_KEY_FIELDS = {"last_name", "first_name", "full_name", "birth_date", "nir", "phones",
               "emails", "postal_code", "patient_id", "address"}
_TABLE_ROW = re.compile(r"(^|, )row [^,]+$")
# "IN this list" as a hash semi-join: list_contains(?, col) compares every row with the
# whole list (19 s for 10 000 ids over a million records, against 0.2 s).
_IN = "IN (SELECT unnest(?::VARCHAR[]))"


# -- the whole pass ------------------------------------------------------------------------

def resolve_and_assess(case: Case) -> None:
    """Suppress false positives, resolve people, apply splits/merges/not-a-person, attach
    facts, assess (roles and sensitive flags from decisions applied inside)."""
    from breachscope.assess.categories import assess_case
    from breachscope.relate.attach import relate_case
    from breachscope.resolve.people import rebuild_people

    suppress_false_positives(case)
    rebuild_people(case)
    apply_structure(case)
    relate_case(case)
    assess_case(case)


def apply_new_decision(case: Case, decision: Decision) -> None:
    """Apply one decision just recorded, doing only the work it needs (a role or a flag: the
    assessment; a split, merge or not-a-person: regroup then facts and assessment; a false
    positive: re-resolution only when it changed a field resolution reads)."""
    from breachscope.assess.categories import assess_case
    from breachscope.relate.attach import relate_case

    if decision.kind in STRUCTURE_KINDS:
        apply_structure(case, [decision])
        relate_case(case)
    elif decision.kind == "false_positive":
        if _suppress(case, decision):
            resolve_and_assess(case)
            return
        relate_case(case)
    assess_case(case)


def apply_after_undo(case: Case, decision: Decision) -> None:
    """Re-apply after ``decision`` was undone: a sensitive flag needs the assessment only
    (it rebuilds the evidence); anything else — a role too, which only resolution computes —
    is undone by re-applying every live decision from scratch."""
    if decision.kind in ("sensitive_confirm", "sensitive_clear"):
        from breachscope.assess.categories import assess_case

        assess_case(case)
    else:
        resolve_and_assess(case)


# -- false positives -----------------------------------------------------------------------

def suppress_false_positives(case: Case) -> bool:
    """Put back what earlier passes suppressed, then suppress every live false positive;
    returns whether a record field that resolution reads differs from before."""
    db = case.db
    before = _key_snapshot(db)
    with case.transaction():
        # Rows of a content stored again since (a retried or re-read content) are stale: the
        # content's fresh rows are in the tables already.
        db.execute(f"""
            INSERT INTO {PLAIN} SELECT s.sha256, s.location, s.entity, s.value, s.confidence,
                s.detector
            FROM suppressed_findings s JOIN contents c USING (sha256)
            WHERE c.run_id IS NOT DISTINCT FROM s.content_run_id""")
        db.execute("DELETE FROM suppressed_findings")
        for record_id, original in db.execute("""
                SELECT s.record_id, s.original FROM suppressed_records s
                JOIN records r USING (record_id) JOIN contents c ON c.sha256 = r.sha256
                WHERE c.run_id IS NOT DISTINCT FROM s.content_run_id""").fetchall():
            _write_record(db, record_id, json.loads(original))
        db.execute("DELETE FROM suppressed_records")
    decisions = live_decisions(case, ("false_positive",))
    if decisions:
        _suppress_findings(case, decisions)
        for decision in decisions:
            _suppress(case, decision, findings_done=True)
    return _key_snapshot(db) != before


def _suppress_findings(case: Case, decisions: list[Decision]) -> None:
    """Move the findings of many false positives out of ``findings`` in one join (one
    scan of the table, however many decisions)."""
    db = case.db
    db.execute("CREATE OR REPLACE TEMP TABLE _bs_fp (decision_id INTEGER, sha256 VARCHAR, "
               "location VARCHAR, entity VARCHAR, value VARCHAR)")
    try:
        db.executemany("INSERT INTO _bs_fp VALUES (?, ?, ?, ?, ?)", [
            [d.decision_id, *(d.target[k] for k in ("sha256", "location", "entity", "value"))]
            for d in decisions])
        keys = "sha256, location, entity, value"
        with case.transaction():
            db.execute(f"""
                INSERT INTO suppressed_findings
                SELECT fp.decision_id, c.run_id, f.sha256, f.location, f.entity, f.value,
                    f.confidence, f.detector
                FROM findings f
                JOIN (SELECT {keys}, min(decision_id) AS decision_id FROM _bs_fp
                      GROUP BY ALL) fp USING ({keys})
                LEFT JOIN contents c ON c.sha256 = f.sha256""")
            delete_findings(db, f"({keys}) IN (SELECT ({keys}) FROM _bs_fp)")
    finally:
        db.execute("DROP TABLE IF EXISTS temp._bs_fp")


def _key_snapshot(db: duckdb.DuckDBPyConnection) -> list[tuple]:
    """The resolution fields of the records false positives touched (few rows)."""
    return db.execute(
        f"SELECT record_id, {', '.join(sorted(_KEY_FIELDS))} FROM records WHERE record_id IN "
        "(SELECT record_id FROM suppressed_records) ORDER BY record_id").fetchall()


def _suppress(case: Case, decision: Decision, *, findings_done: bool = False) -> bool:
    """Take one false positive out of ``findings`` (unless ``findings_done``) and out of its
    records; returns whether a field resolution reads changed."""
    db = case.db
    t = decision.target
    key_changed = False
    with case.transaction():
        if not findings_done:
            match = "sha256 = ? AND location = ? AND entity = ? AND value = ?"
            params = [t["sha256"], t["location"], t["entity"], t["value"]]
            db.execute(
                f"INSERT INTO suppressed_findings SELECT ?, c.run_id, f.sha256, f.location, "
                f"f.entity, f.value, f.confidence, f.detector FROM findings f LEFT JOIN "
                f"contents c USING (sha256) WHERE {match.replace('sha256', 'f.sha256')}",
                [decision.decision_id, *params])
            delete_findings(db, match, params)
        for record in _records_holding(db, t):
            changed = _strip_record(db, record, t)
            if changed:
                _keep_original(db, record)
                _write_record(db, record["record_id"], changed)
                key_changed |= any(record[f] != changed[f] for f in _KEY_FIELDS)
    return key_changed


def _records_holding(db: duckdb.DuckDBPyConnection, t: dict) -> list[dict]:
    """The records a finding belongs to: the table row it lies in, else the records of its
    content (not table rows) whose field holds its value."""
    cols = ", ".join(("record_id", "location", *_RECORD_FIELDS))
    rows = db.execute(
        f"SELECT {cols} FROM records WHERE sha256 = ? AND (location = ? "
        "OR starts_with(?, location || ', '))", [t["sha256"], t["location"], t["location"]]
    ).fetchall()
    names = ["record_id", "location", *_RECORD_FIELDS]
    records = [_as_read(dict(zip(names, r, strict=True))) for r in rows]
    if records:
        return records
    field = ENTITY_FIELDS.get(t["entity"])
    if field is None:
        return []
    rows = db.execute(f"SELECT {cols} FROM records WHERE sha256 = ?", [t["sha256"]]).fetchall()
    out = []
    for r in rows:
        record = _as_read(dict(zip(names, r, strict=True)))
        if not _TABLE_ROW.search(record["location"] or "") and _holds(
                record[field], t["value"], t["entity"]):
            out.append(record)
    return out


def _as_read(record: dict) -> dict:
    """A record row with its ``entities`` as a list of names (stored as one string)."""
    record["entities"] = entity_list(record["entities"])
    return record


def _norm(value: str) -> str:
    return re.sub(r"[\s.\-/]", "", value).casefold()


def _same(a: str | None, b: str, entity: str) -> bool:
    if not a:
        return False
    if entity == "NIR":  # with or without its two-digit key
        return _norm(a)[:13] == _norm(b)[:13]
    return _norm(a) == _norm(b)


def _holds(field_value: object, value: str, entity: str) -> bool:
    if isinstance(field_value, list):
        return any(_same(v, value, entity) for v in field_value)
    return _same(field_value, value, entity)  # type: ignore[arg-type]


def _strip_record(db: duckdb.DuckDBPyConnection, record: dict, t: dict) -> dict | None:
    """The record without the false positive's value (``None``: unchanged). The entity
    leaves ``entities`` when no remaining finding of the content still supports it for this
    record (one in its table row, at its location, or equal to a value it keeps)."""
    entity, value = t["entity"], t["value"]
    new = dict(record)
    field = ENTITY_FIELDS.get(entity)
    if field:
        current = new[field]
        if isinstance(current, list):
            new[field] = [v for v in current if not _same(v, value, entity)]
        elif _same(current, value, entity):
            new[field] = None
        if entity == "PERSON" and new["full_name"] is None:
            # the person's name was the false positive: so are its parts taken from it
            folded = _norm(value)
            for part in ("last_name", "first_name"):
                if new[part] and _norm(new[part]) in folded:
                    new[part] = None
    kept = new[field] if field else None
    kept = [v for v in (kept if isinstance(kept, list) else [kept]) if v]
    remaining = db.execute(
        "SELECT location, value FROM findings WHERE sha256 = ? AND entity = ? AND "
        f"(location = ? OR starts_with(location, ? || ', ') OR value {_IN}) "
        "LIMIT 1000",
        [t["sha256"], entity, record["location"], record["location"], kept]).fetchall()
    supported = any(
        loc == record["location"] or loc.startswith(record["location"] + ", ")
        or (field and _holds(new[field], v, entity)) for loc, v in remaining)
    entities = list(new["entities"] or [])
    drop = {entity} if not supported else set()
    if entity == "PERSON" and new["full_name"] is None:
        drop |= {e for e, f in (("LAST_NAME", "last_name"), ("FIRST_NAME", "first_name"))
                 if new[f] is None}
    new["entities"] = [e for e in entities if e not in drop]
    return None if new == record else new


def _keep_original(db: duckdb.DuckDBPyConnection, record: dict) -> None:
    """Keep the record as scanned (first suppression only), to put it back on undo."""
    db.execute(
        "INSERT OR IGNORE INTO suppressed_records SELECT ?, c.run_id, ? FROM records r "
        "LEFT JOIN contents c USING (sha256) WHERE r.record_id = ?",
        [record["record_id"], json.dumps({f: record[f] for f in _RECORD_FIELDS}),
         record["record_id"]])


def _write_record(db: duckdb.DuckDBPyConnection, record_id: str, fields: dict) -> None:
    """Set the record's ``fields`` (``entities`` a list of names, as :func:`_as_read` gives
    it and ``suppressed_records`` keeps it)."""
    if "entities" in fields:
        fields = {**fields, "entities": entities_text(fields["entities"])}
    cols = [f for f in _RECORD_FIELDS if f in fields]
    db.execute(f"UPDATE records SET {', '.join(f'{c} = ?' for c in cols)} WHERE record_id = ?",
               [*(fields[c] for c in cols), record_id])


# -- people: split, merge, not a person ----------------------------------------------------

def current_records(db: duckdb.DuckDBPyConnection, decision: Decision, side: str) -> list[str]:
    """The records a side of a decision names, as they are now: its ids still in the case,
    and for an id gone (its content was scanned anew) the records now at its
    (content, location)."""
    ids = decision.target.get(side) or []
    present = {r for (r,) in db.execute(
        f"SELECT record_id FROM records WHERE record_id {_IN}", [ids]).fetchall()}
    anchors = decision.target.get(ANCHORS) or {}
    missing = [anchors[r] for r in ids if r not in present and r in anchors]
    for sha, location in missing:
        present.update(r for (r,) in db.execute(
            "SELECT record_id FROM records WHERE sha256 = ? AND location = ?",
            [sha, location]).fetchall())
    return sorted(present)


def person_of(db: duckdb.DuckDBPyConnection, decision: Decision, side: str = "records",
              ) -> str | None:
    """The person now holding most of the records a decision names (ties: the smaller id)."""
    ids = current_records(db, decision, side)
    if not ids:
        return None
    row = db.execute(
        f"SELECT person_id FROM person_records WHERE record_id {_IN} "
        "GROUP BY person_id ORDER BY count(*) DESC, person_id LIMIT 1", [ids]).fetchone()
    return row[0] if row else None


def apply_structure(case: Case, decisions: list[Decision] | None = None) -> int:
    """Apply splits, merges and not-a-person decisions (all live ones by default, in order)
    to ``person_records`` and ``people``; returns the number of people regrouped or
    removed."""
    db = case.db
    if decisions is None:
        decisions = live_decisions(case, STRUCTURE_KINDS)
    sides = {"split": ("records", "from"), "merge": ("records_a", "records_b"),
             "not_a_person": ("records",)}
    named = [(d, {s: current_records(db, d, s) for s in sides[d.kind]}) for d in decisions]
    all_ids = sorted({r for _d, by_side in named for ids in by_side.values() for r in ids})
    if not all_ids:
        return 0
    rows = db.execute(
        "SELECT person_id, record_id FROM person_records WHERE person_id IN "
        f"(SELECT person_id FROM person_records WHERE record_id {_IN})",
        [all_ids]).fetchall()
    group: dict[str, int] = {}
    originals: dict[str, int] = {}
    for person_id, record_id in rows:
        group[record_id] = originals.setdefault(person_id, len(originals))
    next_group = len(originals)
    for d, by_side in named:
        if d.kind == "split":
            leaving = set(by_side["records"])
            staying = set(by_side["from"])
            for g in {group[r] for r in leaving if r in group}:
                members = {r for r, x in group.items() if x == g}
                if members & staying and members - leaving:
                    for r in members & leaving:
                        group[r] = next_group
                    next_group += 1
        elif d.kind == "merge":
            ga = {group[r] for r in by_side["records_a"] if r in group}
            gb = {group[r] for r in by_side["records_b"] if r in group}
            if ga and gb:
                target = min(ga | gb)
                for r, x in group.items():
                    if x in ga | gb:
                        group[r] = target
        else:  # not_a_person: the group holding most of its records goes
            counts = Counter(group[r] for r in by_side["records"] if r in group)
            if counts:
                gone = min(g for g, n in counts.items() if n == max(counts.values()))
                for r in [r for r, x in group.items() if x == gone]:
                    del group[r]
    new_rows = _with_person_ids(group)
    old = {(p, r) for p, r in rows}
    if set(new_rows) == old:
        return 0
    with case.transaction():
        db.execute(f"DELETE FROM person_records WHERE person_id {_IN}",
                   [list(originals)])
        db.execute(f"DELETE FROM people WHERE person_id {_IN}", [list(originals)])
        if new_rows:
            _insert_people(db, new_rows)
    return len(originals)


def _with_person_ids(group: dict[str, int]) -> list[tuple[str, str]]:
    """(person_id, record_id) rows, each group named by resolution's rule: ``'P'`` and the
    first 12 hex digits of the sha256 of its smallest record id."""
    members: dict[int, list[str]] = {}
    for record_id, g in group.items():
        members.setdefault(g, []).append(record_id)
    rows = []
    for ids in members.values():
        pid = "P" + hashlib.sha256(min(ids).encode()).hexdigest()[:12]
        rows.extend((pid, r) for r in ids)
    return rows


def _insert_people(db: duckdb.DuckDBPyConnection, rows: list[tuple[str, str]]) -> None:
    """Insert regrouped people: ``person_records`` rows, then their ``people`` rows computed
    by resolution's own SQL over a ``_bs_root`` of these records only."""
    from breachscope.resolve.people import _SELECT_PEOPLE

    db.execute("CREATE OR REPLACE TEMP TABLE _bs_review_rows (person_id VARCHAR, "
               "record_id VARCHAR)")
    try:
        db.executemany("INSERT INTO _bs_review_rows VALUES (?, ?)", rows)
        db.execute("INSERT INTO person_records SELECT person_id, record_id FROM _bs_review_rows")
        db.execute("""
            CREATE OR REPLACE TEMP TABLE _bs_root AS
            WITH numbered AS (
                SELECT person_id, record_id, row_number() OVER (ORDER BY record_id) AS rn
                FROM _bs_review_rows)
            SELECT rn, record_id, min(rn) OVER (PARTITION BY person_id) AS root,
                count(*) OVER (PARTITION BY person_id) > 1 AS shared, person_id
            FROM numbered""")
        db.execute(f"INSERT INTO people BY NAME {_SELECT_PEOPLE}")
    finally:
        db.execute("DROP TABLE IF EXISTS temp._bs_root")
        db.execute("DROP TABLE IF EXISTS temp._bs_review_rows")


# -- hooks called by the assessment --------------------------------------------------------

def apply_role_decisions(case: Case) -> int:
    """``set_role``: the person holding most of the decision's records gets its role
    (called by ``assess_case`` after the role evidence, before categories); returns how
    many people it set."""
    n = 0
    for d in live_decisions(case, ("set_role",)):
        pid = person_of(case.db, d)
        if pid is not None:
            case.db.execute("UPDATE people SET role = ? WHERE person_id = ?", [d.value, pid])
            n += 1
    return n


def apply_sensitive_decisions(case: Case) -> int:
    """``sensitive_clear`` removes the person's sensitive evidence, ``sensitive_confirm``
    adds a reviewer's evidence row (category: the decision's value, else ``reviewer``);
    called by ``assess_people`` once the evidence is built, before the flag and the severity
    are computed from it. Returns how many decisions found their person."""
    n = 0
    for d in live_decisions(case, ("sensitive_confirm", "sensitive_clear")):
        pid = person_of(case.db, d)
        if pid is None:
            continue
        n += 1
        if d.kind == "sensitive_clear":
            case.db.execute("DELETE FROM sensitive_evidence WHERE person_id = ?", [pid])
        else:
            case.db.execute(
                "INSERT INTO sensitive_evidence VALUES (?, NULL, NULL, NULL, ?, ?, TRUE)",
                [pid, d.value or "reviewer",
                 f"confirmed by a reviewer (decision {d.decision_id})"])
    return n
