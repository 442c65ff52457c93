"""Reviewers' decisions: stored in the case, re-applied after every re-scan and re-resolution.

A decision names *stable* things, never a person id (a person id changes whenever
resolution regroups records):

- a finding: ``{"sha256", "location", "entity", "value"}`` (``false_positive``);
- a person: the ids of its records at decision time, ``{"records": [...]}``; the decision
  then applies to whichever person holds most of those records (``not_a_person``,
  ``set_role``, ``sensitive_confirm``, ``sensitive_clear``);
- a split (cannot-link): ``{"records": [ids that must leave], "from": [ids they leave]}``;
- a merge (must-link): ``{"records_a": [...], "records_b": [...]}``.

A record id is ``left(sha256, 20) || ':' || index`` of the record in its content: contents
are never scanned twice, so it is stable across re-scans; the decision also keeps each
record's (content, location), used when a content was scanned anew and its ids moved.

:func:`record_decision` validates, stores and applies at once; :func:`undo_decision` marks a
decision undone (kept in the audit log) and re-applies the others; :func:`apply_decisions`
re-applies every live decision from scratch (idempotent). The mechanics are in
:mod:`breachscope.review.apply`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from breachscope.case import Case
from breachscope.outputs import write_private_text

KINDS = ("false_positive", "not_a_person", "split", "merge", "set_role", "sensitive_confirm",
         "sensitive_clear")
ROLES = ("PATIENT", "STAFF", "UNKNOWN")
# Kinds whose target is one person, named by its records.
PERSON_KINDS = ("not_a_person", "set_role", "sensitive_confirm", "sensitive_clear")
# Kinds that regroup records into people (applied right after resolution).
STRUCTURE_KINDS = ("split", "merge", "not_a_person")
_FINDING_KEYS = ("sha256", "location", "entity", "value")
_MAX_RECORDS = 100_000  # records one decision may name (a person's records, a split side)
MAX_REVIEWER, MAX_REASON = 200, 2000
ANCHORS = "anchors"  # record id -> [sha256, location], added to record targets when stored
# "IN this list" as a hash semi-join: list_contains(?, col) compares every row with the
# whole list (19 s for 10 000 ids over a million records, against 0.2 s).
_IN = "IN (SELECT unnest(?::VARCHAR[]))"


class DecisionError(ValueError):
    """A decision that cannot be recorded (unknown kind, malformed or unknown target...).
    Messages never quote values or identifiers of the case."""


@dataclass
class Decision:
    decision_id: int
    kind: str
    target: dict
    value: str | None
    reviewer: str
    reason: str
    created_at: str
    undone_at: str | None
    undone_by: str | None

    @property
    def live(self) -> bool:
        return self.undone_at is None


def record_decision(case: Case, kind: str, target: dict, *, reviewer: str, reason: str = "",
                    value: str | None = None) -> Decision:
    """Validate, store and apply a decision; returns it. Raises :class:`DecisionError`."""
    reviewer = (reviewer or "").strip()
    if not reviewer:
        raise DecisionError("a decision needs a reviewer name")
    if len(reviewer) > MAX_REVIEWER or len(reason or "") > MAX_REASON:
        raise DecisionError(f"a reviewer name is at most {MAX_REVIEWER} characters, a reason "
                            f"at most {MAX_REASON}")
    if kind not in KINDS:
        raise DecisionError(f"unknown decision kind (expected one of {', '.join(KINDS)})")
    target, value = _validate(case, kind, target, value)
    with case.transaction() as db:
        decision_id = db.execute(
            "SELECT coalesce(max(decision_id), 0) + 1 FROM decisions").fetchone()[0]
        db.execute(
            "INSERT INTO decisions (decision_id, kind, target, value, reviewer, reason, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [decision_id, kind, json.dumps(target, ensure_ascii=False, sort_keys=True), value,
             reviewer, reason or "", _now()])
    from breachscope.review.apply import apply_new_decision

    decision = get_decision(case, decision_id)
    apply_new_decision(case, decision)
    return decision


def undo_decision(case: Case, decision_id: int, *, reviewer: str) -> None:
    """Mark a decision undone (it stays in the audit log) and re-apply the live ones."""
    reviewer = (reviewer or "").strip()
    if not reviewer:
        raise DecisionError("undoing a decision needs a reviewer name")
    decision = get_decision(case, decision_id)
    if not decision.live:
        raise DecisionError(f"decision {decision_id} is already undone")
    case.db.execute("UPDATE decisions SET undone_at = ?, undone_by = ? WHERE decision_id = ?",
                    [_now(), reviewer, decision_id])
    from breachscope.review.apply import apply_after_undo

    apply_after_undo(case, decision)


def get_decision(case: Case, decision_id: int) -> Decision:
    try:
        number = int(decision_id)
    except (TypeError, ValueError):
        raise DecisionError("a decision id is a number") from None
    rows = _select(case, "WHERE decision_id = ?", [number])
    if not rows:
        raise DecisionError(f"no decision {decision_id} in this case")
    return rows[0]


def list_decisions(case: Case, *, include_undone: bool = True) -> list[Decision]:
    """The audit log, oldest first."""
    return _select(case, "" if include_undone else "WHERE undone_at IS NULL", [])


def live_decisions(case: Case, kinds: tuple[str, ...] = KINDS) -> list[Decision]:
    """The decisions not undone, of ``kinds``, in the order they were made."""
    placeholders = ", ".join("?" for _ in kinds)
    return _select(case, f"WHERE undone_at IS NULL AND kind IN ({placeholders})", list(kinds))


def record_event(case: Case, kind: str, target: dict, *, reviewer: str) -> int:
    """Log what a reviewer did that is no correction (``reveal``: identifiers shown in
    clear); returns the event id. Events are part of the audit export."""
    if not re.fullmatch(r"[a-z_]{1,32}", kind or ""):
        raise DecisionError("an event kind is a short lower-case word")
    reviewer = (reviewer or "").strip()
    if not reviewer:
        raise DecisionError("an event needs a reviewer name")
    with case.transaction() as db:
        event_id = db.execute(
            "SELECT coalesce(max(event_id), 0) + 1 FROM review_events").fetchone()[0]
        db.execute("INSERT INTO review_events VALUES (?, ?, ?, ?, ?)",
                   [event_id, kind, json.dumps(target, ensure_ascii=False, sort_keys=True),
                    reviewer, _now()])
    return int(event_id)


def list_events(case: Case) -> list[dict]:
    """The events (reveals...), oldest first."""
    rows = case.db.execute("SELECT event_id, kind, target, reviewer, created_at "
                           "FROM review_events ORDER BY event_id").fetchall()
    return [{"event_id": r[0], "kind": r[1], "target": json.loads(r[2]), "reviewer": r[3],
             "created_at": _iso(r[4])} for r in rows]


def export_audit(case: Case, out: Path, fmt: str = "csv") -> int:
    """Write the audit log to ``out``, owner-only: every decision (undone ones included),
    then the events (reveals: ``decision_id`` empty, ``kind`` the event's); ``fmt``: ``csv``
    or ``jsonl``. Returns the number of rows. The targets name records and findings of the
    case: the export is as confidential as the case."""
    rows = []
    for d in list_decisions(case):
        row = asdict(d)
        row["target"] = {k: v for k, v in d.target.items() if k != ANCHORS}
        rows.append(row)
    for e in list_events(case):
        rows.append({"decision_id": None, "kind": e["kind"], "target": e["target"],
                     "value": None, "reviewer": e["reviewer"], "reason": "",
                     "created_at": e["created_at"], "undone_at": None, "undone_by": None})
    if fmt == "jsonl":
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    elif fmt == "csv":
        import csv
        import io

        buf = io.StringIO()
        fields = list(Decision.__dataclass_fields__)
        writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        for r in rows:
            writer.writerow({**r, "target": json.dumps(r["target"], ensure_ascii=False,
                                                       sort_keys=True)})
        text = buf.getvalue()
    else:
        raise DecisionError("unknown audit format (expected csv or jsonl)")
    write_private_text(Path(out), text)
    return len(rows)


def apply_decisions(case: Case) -> None:
    """Re-apply every live decision to findings, records, people, sensitive flags and
    severity, from scratch (idempotent): suppress the false positives, re-resolve people,
    split/merge/drop them, re-attach facts and re-assess (roles and sensitive flags set by
    decisions are applied inside the assessment)."""
    from breachscope.review.apply import resolve_and_assess

    resolve_and_assess(case)


def person_target(case: Case, person_id: str) -> dict:
    """The target naming a person as it is now: ``{"records": [its record ids]}`` (for
    ``not_a_person``, ``set_role``, ``sensitive_*``, or a side of a merge)."""
    ids = [r for (r,) in case.db.execute(
        "SELECT record_id FROM person_records WHERE person_id = ? ORDER BY record_id",
        [person_id]).fetchall()]
    if not ids:
        raise DecisionError("no such person in this case")
    return {"records": ids}


# -- validation ----------------------------------------------------------------------------

def _validate(case: Case, kind: str, target: dict, value: str | None,
              ) -> tuple[dict, str | None]:
    if not isinstance(target, dict):
        raise DecisionError("a decision's target must be an object")
    if kind == "false_positive":
        finding = {}
        for key in _FINDING_KEYS:
            if not isinstance(target.get(key), str):
                raise DecisionError(f"a false positive names a finding: {key} is missing")
            finding[key] = target[key]
        exists = case.db.execute(
            "SELECT count(*) FROM (SELECT sha256, location, entity, value FROM findings "
            "UNION ALL SELECT sha256, location, entity, value FROM suppressed_findings) "
            "WHERE sha256 = ? AND location = ? AND entity = ? AND value = ?",
            [finding[k] for k in _FINDING_KEYS]).fetchone()[0]
        if not exists:
            raise DecisionError("no such finding in this case")
        return finding, None
    if kind in PERSON_KINDS:
        clean = {"records": _record_list(case, target.get("records"), "records")}
    elif kind == "split":
        clean = {"records": _record_list(case, target.get("records"), "records"),
                 "from": _record_list(case, target.get("from"), "from")}
        if set(clean["records"]) & set(clean["from"]):
            raise DecisionError("a split's two sides must not share records")
    else:  # merge
        clean = {"records_a": _record_list(case, target.get("records_a"), "records_a"),
                 "records_b": _record_list(case, target.get("records_b"), "records_b")}
        if set(clean["records_a"]) & set(clean["records_b"]):
            raise DecisionError("a merge's two sides must not share records")
    if kind == "set_role":
        value = (value or "").strip().upper()
        if value not in ROLES:
            raise DecisionError(f"set_role needs a role: one of {', '.join(ROLES)}")
    elif kind == "sensitive_confirm":
        value = (value or "").strip() or None
    else:
        value = None
    ids = sorted({r for side in clean.values() for r in side})
    anchors = {rid: [sha, loc] for rid, sha, loc in case.db.execute(
        f"SELECT record_id, sha256, location FROM records WHERE record_id {_IN}",
        [ids]).fetchall()}
    clean[ANCHORS] = anchors
    return clean, value


def _record_list(case: Case, ids: object, name: str) -> list[str]:
    if not isinstance(ids, list | tuple) or not ids or not all(isinstance(i, str) for i in ids):
        raise DecisionError(f"{name}: a non-empty list of record ids is needed")
    if len(ids) > _MAX_RECORDS:
        raise DecisionError(f"{name}: too many records for one decision")
    unique = sorted(set(ids))
    known = case.db.execute(
        f"SELECT count(*) FROM records WHERE record_id {_IN}", [unique]).fetchone()[0]
    if known != len(unique):
        raise DecisionError(f"{name}: {len(unique) - known} record id(s) unknown in this case")
    return unique


# -- storage -------------------------------------------------------------------------------

def _select(case: Case, where: str, params: list[object]) -> list[Decision]:
    rows = case.db.execute(
        "SELECT decision_id, kind, target, value, reviewer, reason, created_at, undone_at, "
        f"undone_by FROM decisions {where} ORDER BY decision_id", params).fetchall()
    return [Decision(int(r[0]), r[1], json.loads(r[2]), r[3], r[4], r[5] or "",
                     _iso(r[6]), _iso(r[7]) if r[7] else None, r[8]) for r in rows]


def _iso(value: object) -> str:
    if isinstance(value, dt.datetime):
        return value.replace(microsecond=0).isoformat() + "Z"
    return str(value)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
