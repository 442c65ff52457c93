"""The former pure-Python people grouping (union-find), kept as the reference the SQL of
``breachscope.resolve.people`` is checked against, and a helper to load records into a case."""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable

import pyarrow as pa

from breachscope.case import entities_text_sql
from breachscope.detect.validators import fold

RECORD_FIELDS = {
    "record_id": pa.string(), "sha256": pa.string(), "location": pa.string(),
    "last_name": pa.string(), "first_name": pa.string(), "full_name": pa.string(),
    "birth_date": pa.string(), "nir": pa.string(), "phones": pa.list_(pa.string()),
    "emails": pa.list_(pa.string()), "address": pa.string(), "postal_code": pa.string(),
    "city": pa.string(), "care_unit": pa.string(), "role_hint": pa.string(),
    "sex": pa.string(), "patient_id": pa.string(),
    "entities": pa.list_(pa.string()),
}


def insert_records(db, records: list[dict]) -> None:
    """Insert record dicts (missing fields are NULL) into the case's ``records``."""
    table = pa.table({k: pa.array([r.get(k) for r in records], t)
                      for k, t in RECORD_FIELDS.items()})
    db.register("new_records", table)
    db.execute(f"INSERT INTO records ({', '.join(RECORD_FIELDS)}) "
               f"SELECT * REPLACE ({entities_text_sql('entities')} AS entities) "
               "FROM new_records")
    db.unregister("new_records")


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        parent = self.parent
        root = parent.setdefault(x, x)
        while root != parent[root]:
            root = parent[root]
        while x != root:
            parent[x], x = root, parent[x]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def record_keys(rec: dict) -> list[tuple]:
    keys: list[tuple] = []
    if rec.get("nir"):
        keys.append(("nir", rec["nir"]))
    last, first = _name_parts(rec)
    if last:
        name = (fold(last), fold(first or ""))
        if rec.get("birth_date"):
            keys.append(("name+birth", *name, rec["birth_date"]))
        keys.extend(("name+email", *name, e) for e in rec.get("emails") or ())
        keys.extend(("name+phone", *name, p) for p in rec.get("phones") or ())
        if not keys:
            keys.append(("name", *name))
    return keys


def _name_parts(rec: dict) -> tuple[str | None, str | None]:
    if rec.get("last_name"):
        return rec["last_name"], rec.get("first_name")
    if rec.get("full_name"):
        return rec["full_name"], None
    return None, None


def _year(rec: dict) -> int | None:
    try:
        return int((rec.get("birth_date") or "")[:4])
    except ValueError:
        return None


def group_records(records: Iterable[dict]) -> dict[str, list[dict]]:
    """{smallest record id: records of that person}, records in record_id order."""
    uf = _UnionFind()
    by_key: dict[tuple, str] = {}
    recs = sorted(records, key=lambda r: r["record_id"])
    # A name + contact key whose records' birth years lie 15 or more apart is no key.
    years: dict[tuple, list[int]] = defaultdict(list)
    for rec in recs:
        for key in record_keys(rec):
            if key[0] in ("name+email", "name+phone") and (y := _year(rec)) is not None:
                years[key].append(y)
    for rec in recs:
        rid = rec["record_id"]
        uf.find(rid)
        for key in record_keys(rec):
            if key in years and max(years[key]) - min(years[key]) >= 15:
                continue
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


def reference_people(records: list[dict]) -> dict[str, dict]:
    """{person_id: person fields and record ids}, as the Python implementation built them."""
    out = {}
    for root, recs in group_records(records).items():
        hints = {r.get("role_hint") for r in recs}
        role = "PATIENT" if "PATIENT" in hints else "STAFF" if "STAFF" in hints else "UNKNOWN"
        out["P" + hashlib.sha256(root.encode()).hexdigest()[:12]] = {
            "role": role,
            "last_name": _most_common(
                r.get("last_name") or (r.get("full_name") if not r.get("first_name") else None)
                for r in recs),
            "first_name": _most_common(r.get("first_name") for r in recs),
            "birth_date": _most_common(r.get("birth_date") for r in recs),
            "nir": _most_common(r.get("nir") for r in recs),
            "postal_code": _most_common(r.get("postal_code") for r in recs),
            "city": _most_common(r.get("city") for r in recs),
            "phones": sorted({p for r in recs for p in r.get("phones") or ()}),
            "emails": sorted({e for r in recs for e in r.get("emails") or ()}),
            "records": sorted(r["record_id"] for r in recs),
        }
    return out
