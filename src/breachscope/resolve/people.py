"""People v0: records grouped into people by exact normalized keys.

Two records are the same person when they share one key (connected components, union-find):
- the NIR;
- folded last name + folded first name + birth date;
- folded last name + folded first name + an e-mail, or + a phone (twins and households have
  different first names, so a shared name *and* contact is one person).
A record with a name and nothing else can only join other such records with the same name.
Folding removes accents and case and collapses hyphens, apostrophes and spaces.

This is deliberately exact: probabilistic linkage (typos, married names, swapped day/month)
replaces it in the resolution issue, behind the same tables (``people``, ``person_records``).
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable

import pyarrow as pa

from breachscope.case import Case
from breachscope.detect.validators import fold

RECORD_COLUMNS = (
    "record_id", "last_name", "first_name", "full_name", "birth_date", "nir", "phones",
    "emails", "postal_code", "city", "role_hint",
)


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        parent = self.parent
        root = parent.setdefault(x, x)
        while root != parent[root]:
            root = parent[root]
        while x != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def record_keys(rec: dict) -> list[tuple]:
    """The exact keys of one record (see module docstring)."""
    keys: list[tuple] = []
    if rec["nir"]:
        keys.append(("nir", rec["nir"]))
    last, first = _name_parts(rec)
    if last:
        name = (fold(last), fold(first or ""))
        if rec["birth_date"]:
            keys.append(("name+birth", *name, rec["birth_date"]))
        keys.extend(("name+email", *name, e) for e in rec["emails"] or ())
        keys.extend(("name+phone", *name, p) for p in rec["phones"] or ())
        if not keys:
            keys.append(("name", *name))
    return keys


def _name_parts(rec: dict) -> tuple[str | None, str | None]:
    if rec["last_name"]:
        return rec["last_name"], rec["first_name"]
    if rec["full_name"]:
        return rec["full_name"], None
    return None, None


def group_records(records: Iterable[dict]) -> dict[str, list[dict]]:
    """Group records into people; returns {root record id: records}."""
    uf = _UnionFind()
    by_key: dict[tuple, str] = {}
    recs = list(records)
    for rec in recs:
        rid = rec["record_id"]
        uf.find(rid)
        for key in record_keys(rec):
            first = by_key.setdefault(key, rid)
            if first != rid:
                uf.union(first, rid)
    groups: dict[str, list[dict]] = defaultdict(list)
    for rec in recs:
        groups[uf.find(rec["record_id"])].append(rec)
    return groups


def _most_common(values: Iterable[str | None]) -> str | None:
    counts = Counter(v for v in values if v)
    return counts.most_common(1)[0][0] if counts else None


def _role(recs: list[dict]) -> str:
    hints = {r["role_hint"] for r in recs}
    if "PATIENT" in hints:
        return "PATIENT"
    if "STAFF" in hints:
        return "STAFF"
    return "UNKNOWN"


def rebuild_people(case: Case) -> int:
    """Recompute ``people`` and ``person_records`` from all records; returns the count."""
    cols = ", ".join(RECORD_COLUMNS)
    cursor = case.db.execute(f"SELECT {cols} FROM records ORDER BY record_id")
    records = [dict(zip(RECORD_COLUMNS, row, strict=True)) for row in cursor.fetchall()]
    groups = group_records(records)
    people: dict[str, list] = defaultdict(list)
    links_person: list[str] = []
    links_record: list[str] = []
    for root, recs in groups.items():
        person_id = "P" + hashlib.sha256(root.encode()).hexdigest()[:12]
        last = _most_common(r["last_name"] or (r["full_name"] if not r["first_name"] else None)
                            for r in recs)
        people["person_id"].append(person_id)
        people["role"].append(_role(recs))
        people["last_name"].append(last)
        people["first_name"].append(_most_common(r["first_name"] for r in recs))
        people["birth_date"].append(_most_common(r["birth_date"] for r in recs))
        people["nir"].append(_most_common(r["nir"] for r in recs))
        people["phones"].append(sorted({p for r in recs for p in r["phones"] or ()}))
        people["emails"].append(sorted({e for r in recs for e in r["emails"] or ()}))
        people["postal_code"].append(_most_common(r["postal_code"] for r in recs))
        people["city"].append(_most_common(r["city"] for r in recs))
        for r in recs:
            links_person.append(person_id)
            links_record.append(r["record_id"])
    strings = pa.list_(pa.string())
    table = pa.table({
        **{k: pa.array(v, pa.string()) for k, v in people.items()
           if k not in ("phones", "emails")},
        "phones": pa.array(people["phones"], strings),
        "emails": pa.array(people["emails"], strings),
    }) if people else None
    links = pa.table({"person_id": pa.array(links_person, pa.string()),
                      "record_id": pa.array(links_record, pa.string())})
    with case.transaction() as db:
        db.execute("DELETE FROM people")
        db.execute("DELETE FROM person_records")
        if table is not None:
            db.register("new_people", table)
            db.execute(
                "INSERT INTO people (person_id, role, last_name, first_name, birth_date, nir, "
                "postal_code, city, phones, emails) SELECT person_id, role, last_name, "
                "first_name, birth_date, nir, postal_code, city, phones, emails FROM new_people"
            )
            db.unregister("new_people")
        db.register("new_links", links)
        db.execute("INSERT INTO person_records SELECT * FROM new_links")
        db.unregister("new_links")
    return len(groups)
