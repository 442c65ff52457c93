"""The case's figures, computed once and written both as ``summary.json`` and into the HTML
report, so the two can never disagree. No identifier appears here: counts and file paths only."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from breachscope import __version__
from breachscope.case import Case
from breachscope.report.queries import FILES_SQL

TOP_FILES = 15


def _pairs(case: Case, sql: str) -> dict[str, int]:
    return {str(k): int(v) for k, v in case.db.execute(sql).fetchall()}


def parse_claim(text: str) -> dict[str, Any]:
    """Pull the figures out of an attacker's claim (``"900 000 patients, 20 GB"``)."""
    claim: dict[str, Any] = {"text": text}
    compact = re.sub(r"(?<=\d)[\s\u00a0\u202f.,](?=\d{3}\b)", "", text)
    people = re.search(r"(\d+)\s*(?:k\b|000\b)?\s*(?:patients?|personnes?|people|records?|"
                       r"dossiers?|victimes?)", compact, re.IGNORECASE)
    if people:
        claim["people"] = int(people.group(1))
    size = re.search(r"(\d+(?:[.,]\d+)?)\s*(TB|GB|MB|To|Go|Mo)\b", text, re.IGNORECASE)
    if size:
        factor = {"t": 1e12, "g": 1e9, "m": 1e6}[size.group(2)[0].lower()]
        claim["bytes"] = int(float(size.group(1).replace(",", ".")) * factor)
    return claim


def build_summary(case: Case, claim: str | None = None) -> dict[str, Any]:
    db = case.db
    files_total, files_bytes = db.execute(
        "SELECT count(*), coalesce(sum(size), 0) FROM files"
    ).fetchone()
    by_type = _pairs(case, f"SELECT coalesce(type, 'unknown'), count(*) FROM ({FILES_SQL}) "
                           "GROUP BY 1 ORDER BY 2 DESC, 1")
    by_status = _pairs(case, f"SELECT status, count(*) FROM ({FILES_SQL}) GROUP BY 1 ORDER BY 1")
    by_class = _pairs(case, f"SELECT coalesce(doc_class, 'unclassified'), count(*) "
                            f"FROM ({FILES_SQL}) GROUP BY 1 ORDER BY 2 DESC, 1")
    people_total = db.execute("SELECT count(*) FROM people").fetchone()[0]
    by_role = _pairs(case, "SELECT role, count(*) FROM people GROUP BY 1 ORDER BY 1")
    by_category = _pairs(
        case, "SELECT c, count(*) FROM (SELECT unnest(categories) AS c FROM people) "
              "GROUP BY 1 ORDER BY 2 DESC, 1")
    by_category_role = {
        f"{role}/{cat}": int(n) for role, cat, n in db.execute(
            "SELECT role, c, count(*) FROM (SELECT role, unnest(categories) AS c FROM people) "
            "GROUP BY 1, 2 ORDER BY 1, 2").fetchall()
    }
    by_severity = _pairs(case, "SELECT severity, count(*) FROM people GROUP BY 1 ORDER BY 1")
    sensitive = db.execute("SELECT count(*) FROM people WHERE sensitive").fetchone()[0]
    meta = dict(db.execute(
        "SELECT key, value FROM meta WHERE key IN "
        "('unresolved_mentions', 'unresolved_people', 'people_linkage', 'linkage_error')"
    ).fetchall())
    unresolved_people = int(meta.get("unresolved_people") or 0)
    findings_total = db.execute(
        "SELECT count(*) FROM findings x JOIN files f USING (sha256)").fetchone()[0]
    by_entity = {
        entity: {"findings": int(n), "distinct_values": int(d)}
        for entity, n, d in db.execute(
            "SELECT x.entity, count(*), count(DISTINCT x.value) FROM findings x "
            "JOIN files f USING (sha256) GROUP BY 1 ORDER BY 2 DESC, 1").fetchall()
    }
    top = db.execute(
        f"SELECT file, type, doc_class, n_people, n_findings FROM ({FILES_SQL}) "
        f"WHERE n_findings > 0 ORDER BY n_people DESC, n_findings DESC, file LIMIT {TOP_FILES}"
    ).fetchall()
    records_total = db.execute("SELECT count(*) FROM records").fetchone()[0]
    sensitive_by_category = _pairs(
        case, "SELECT e.category, count(DISTINCT e.person_id) FROM sensitive_evidence e "
              "WHERE e.decided GROUP BY 1 ORDER BY 2 DESC, 1")
    undecided = db.execute(
        "SELECT count(DISTINCT e.person_id) FROM sensitive_evidence e JOIN people p "
        "USING (person_id) WHERE NOT e.decided AND NOT p.sensitive").fetchone()[0]
    relations = _relations(case)
    runs = db.execute(
        "SELECT run_id, command, version, started_at, finished_at, status FROM runs "
        "ORDER BY run_id").fetchall()
    summary: dict[str, Any] = {
        "breachscope_version": __version__,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "schema_version": case.schema_version,
        "files": {
            "total": int(files_total), "bytes": int(files_bytes), "by_type": by_type,
            "by_status": by_status, "by_doc_class": by_class,
        },
        "people": {
            "total": int(people_total), "by_role": by_role, "by_category": by_category,
            "by_role_and_category": by_category_role, "by_severity": by_severity,
            "sensitive": int(sensitive),
            "sensitive_by_category": sensitive_by_category,
            # not flagged, but not cleared either: care in a unit whose code no table decodes
            "sensitive_undecided": int(undecided),
            # People known only by a surname ("M. Moreau" in a letter): counted in the total,
            # but not identified, so reported apart (docs/resolution.md).
            "identified": int(people_total) - unresolved_people,
            "unresolved_mentions": {"people": unresolved_people,
                                    "records": int(meta.get("unresolved_mentions") or 0)},
            "linkage": meta.get("people_linkage"),
            "linkage_error": meta.get("linkage_error") or None,
        },
        "records": {"total": int(records_total)},
        "relations": relations,
        "findings": {"total": int(findings_total), "by_entity": by_entity},
        "top_files": [
            {"file": f, "type": t, "doc_class": c, "n_people": int(p), "n_findings": int(n)}
            for f, t, c, p, n in top
        ],
        "runs": [
            {"run_id": r, "command": c, "version": v, "started_at": str(s),
             "finished_at": str(e) if e else None, "status": st}
            for r, c, v, s, e, st in runs
        ],
    }
    if claim:
        parsed = parse_claim(claim)
        if "people" in parsed:
            parsed["people_found"] = int(people_total)
        if "bytes" in parsed:
            parsed["bytes_found"] = int(files_bytes)
        summary["claim"] = parsed
    return summary


def _relations(case: Case) -> dict[str, Any]:
    """The leaked databases rebuilt: key links, rows and facts attached to people, orphan
    rows (a stay whose patient is not in the dump), care units decoded."""
    db = case.db
    links = _pairs(case, "SELECT method, count(*) FROM key_links WHERE accepted GROUP BY 1")
    facts = _pairs(case, "SELECT via, count(*) FROM facts GROUP BY 1 ORDER BY 1")
    units = _pairs(case, "SELECT status, count(*) FROM unit_values GROUP BY 1 ORDER BY 1")
    sources = [s for (s,) in db.execute(
        "SELECT DISTINCT source FROM care_units ORDER BY 1").fetchall()]
    return {
        "key_links": links,
        "attached_rows": int(db.execute("SELECT count(*) FROM attached_rows").fetchone()[0]),
        "orphan_rows": int(db.execute("SELECT count(*) FROM orphan_rows").fetchone()[0]),
        "facts": facts,
        "unit_values": units,
        "unit_tables": sources,
    }
