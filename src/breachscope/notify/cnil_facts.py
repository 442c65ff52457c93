"""The figures of the CNIL notification and the ARS declaration, read from the case: counts
only, never a value, a name or a file path (a path such as ``liste_VIH_DUPONT_Marie.csv``
names a person).

The report's summary (:func:`breachscope.report.summary.build_summary`) is the source of the
figures, so the drafts and the report never disagree; what it does not (yet) hold — minors,
the period the data covers, people per data category and role — is computed here with SQL on
the case tables."""

from __future__ import annotations

from typing import Any

from breachscope import findings_store
from breachscope.case import Case
from breachscope.report.summary import build_summary

#: File statuses that mean "not (fully) read": the limits of the counts.
UNREAD_STATUSES = ("failed", "encrypted", "partial", "skipped", "pending")
SEVERITY_LEVELS = ("low", "medium", "high", "very high")
HIGH_LEVELS = ("high", "very high")


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _minors(case: Case, people: dict[str, Any]) -> dict[str, int]:
    """People under 18 by role: the summary's ``people.minors_by_role`` (the report's count,
    on today's date), else the same rule computed here (a birth date less than 18 years
    before today)."""
    given = people.get("minors_by_role")
    if isinstance(given, dict) and all(isinstance(v, int) for v in given.values()):
        return {str(k): int(v) for k, v in given.items()}
    rows = case.db.execute(
        "SELECT role, count(*) FROM people "
        "WHERE TRY_CAST(birth_date AS DATE) > current_date - INTERVAL 18 YEAR "
        "AND TRY_CAST(birth_date AS DATE) <= current_date "
        "GROUP BY 1 ORDER BY 1").fetchall()
    return {str(r): int(n) for r, n in rows}


def _period(case: Case, summary: dict[str, Any]) -> dict[str, str] | None:
    """First and last care date the leaked data covers: the summary's ``period`` (records'
    visit dates and the documents' visit dates), else the records' visit dates that read as
    dates."""
    if "period" in summary:
        given = summary["period"] or {}
        if given.get("first") and given.get("last"):
            return {"first": str(given["first"])[:10], "last": str(given["last"])[:10]}
        return None
    first, last = case.db.execute(
        "SELECT min(d), max(d) FROM (SELECT TRY_CAST(visit_date AS DATE) AS d FROM records) "
        "WHERE d IS NOT NULL AND d <= current_date").fetchone()
    if first is None:
        return None
    return {"first": first.isoformat(), "last": last.isoformat()}


def _waves(summary: dict[str, Any]) -> dict[str, Any] | None:
    """How many publication waves were scanned into the case and what the last one added
    (the summary's ``waves``, breachscope.report.waves); None when the summary has none."""
    waves = summary.get("waves")
    if not isinstance(waves, dict) or not isinstance(waves.get("count"), int):
        return None
    last = waves.get("last") if isinstance(waves.get("last"), dict) else None
    return {
        "count": int(waves["count"]),
        "last": {k: _int(last.get(k)) for k in ("files", "files_before", "people",
                                                 "people_before", "findings")}
        if last and waves["count"] > 1 else None,
    }


def gather_facts(case: Case) -> dict[str, Any]:
    """Every figure the drafts show, as plain JSON-able values."""
    summary = build_summary(case)
    db = case.db
    people = summary["people"]
    files = summary["files"]
    by_status = {str(k): _int(v) for k, v in files.get("by_status", {}).items()}
    by_level = {level: _int(people.get("by_severity", {}).get(level)) for level in SEVERITY_LEVELS}
    high = sum(by_level[level] for level in HIGH_LEVELS)
    high_by_role = {str(r): int(n) for r, n in db.execute(
        "SELECT role, count(*) FROM people WHERE severity IN ('high', 'very high') "
        "GROUP BY 1 ORDER BY 1").fetchall()}
    unresolved = people.get("unresolved_mentions") or {}
    nir_people = db.execute("SELECT count(*) FROM people WHERE coalesce(nir, '') <> ''"
                            ).fetchone()[0]
    with_data = db.execute(
        "SELECT count(DISTINCT f.path) FROM files f "
        f"SEMI JOIN {findings_store.COUNTS} x USING (sha256)").fetchone()[0]
    by_role_cat: dict[str, dict[str, int]] = {}
    for key, n in people.get("by_role_and_category", {}).items():
        role, _, cat = str(key).partition("/")
        by_role_cat.setdefault(cat, {})[role] = _int(n)
    return {
        "quality_control": summary.get("quality_control"),
        "files": {
            "total": _int(files.get("total")),
            "bytes": _int(files.get("bytes")),
            "with_personal_data": int(with_data),
            "by_type": {str(k): _int(v) for k, v in files.get("by_type", {}).items()},
            "by_doc_class": {str(k): _int(v) for k, v in files.get("by_doc_class", {}).items()},
            "by_status": by_status,
            "not_read": {s: by_status[s] for s in UNREAD_STATUSES if by_status.get(s)},
        },
        "period": _period(case, summary),
        "waves": _waves(summary),
        "people": {
            "total": _int(people.get("total")),
            "identified": _int(people.get("identified")),
            "unresolved": _int(unresolved.get("people")),
            "unresolved_mentions": _int(unresolved.get("records")),
            "by_role": {str(k): _int(v) for k, v in people.get("by_role", {}).items()},
            "minors": _minors(case, people),
            "linkage": people.get("linkage"),
        },
        "records": _int(summary.get("records", {}).get("total")),
        "categories": {
            str(cat): {"people": _int(n), "by_role": by_role_cat.get(str(cat), {})}
            for cat, n in people.get("by_category", {}).items()
        },
        "nir_people": int(nir_people),
        "entities": {
            str(e): {"findings": _int(v.get("findings")),
                     "distinct_values": _int(v.get("distinct_values"))}
            for e, v in summary.get("findings", {}).get("by_entity", {}).items()
        },
        "findings": _int(summary.get("findings", {}).get("total")),
        "sensitive": {
            "health_people": _int(people.get("by_category", {}).get("HEALTH")),
            "people": _int(people.get("sensitive")),
            "by_category": {str(k): _int(v)
                            for k, v in people.get("sensitive_by_category", {}).items()},
            "undecided": _int(people.get("sensitive_undecided")),
        },
        "severity": {"by_level": by_level, "high_or_above": high,
                     "high_or_above_by_role": high_by_role},
        "runs": [{"command": r.get("command"), "status": r.get("status"),
                  "started_at": r.get("started_at")} for r in summary.get("runs", [])],
        "version": summary.get("breachscope_version"),
    }
