"""The case's figures, computed once and written both as ``summary.json`` and into the HTML
report, so the two can never disagree. No identifier appears here: counts and file paths only."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb

from breachscope import __version__, findings_store
from breachscope.case import Case
from breachscope.report.claims import check_claim, parse_claim
from breachscope.report.pathmask import KnownValues, known_values, mask_path, mask_text
from breachscope.report.queries import FILES_SQL
from breachscope.report.waves import build_waves, new_file_paths

__all__ = ["build_summary", "parse_claim"]

TOP_FILES = 15
MAX_PROBLEMS = 200
NEW_FILES_SHOWN = 30  # files of the last wave listed by name (all are counted)
# A date of care outside these bounds is a typo or a placeholder (0001-01-01, 2099-12-31).
FIRST_YEAR = 1900


def _pairs(case: Case, sql: str) -> dict[str, int]:
    return {str(k): int(v) for k, v in case.db.execute(sql).fetchall()}


def build_summary(case: Case, claim: str | None = None, *,
                  report_date: dt.date | None = None,
                  known: KnownValues | None = None) -> dict[str, Any]:
    """The figures of the case. Paths are masked with ``known`` (default: the case's own
    identifiers found in them, :func:`breachscope.report.pathmask.known_values`); minors on
    ``report_date`` (default: today, UTC)."""
    db = case.db
    today = report_date or dt.datetime.now(dt.UTC).date()
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
        f"SELECT coalesce(sum(x.n), 0) FROM {findings_store.COUNTS} x "
        "JOIN files f USING (sha256)").fetchone()[0]
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
    minors = _minors(case, today)
    top_bytes = db.execute(
        "SELECT coalesce(sum(size), 0) FROM files WHERE parent IS NULL").fetchone()[0]
    problems = db.execute(
        f"SELECT file, type, status, reason FROM ({FILES_SQL}) WHERE status <> 'scanned' "
        f"ORDER BY file LIMIT {MAX_PROBLEMS + 1}").fetchall()
    problems_total = db.execute(
        f"SELECT count(*) FROM ({FILES_SQL}) WHERE status <> 'scanned'").fetchone()[0]
    waves = build_waves(case)
    new_files = (new_file_paths(case, waves["last_run_id"], NEW_FILES_SHOWN)
                 if waves["count"] > 1 else [])
    if known is None:
        # only the identifiers that occur in what is printed: a big case is not held in memory
        texts = [row[0] for row in (*top, *problems, *new_files)]
        texts += [row[3] for row in problems if row[3]] + relations["unit_tables"]
        known = known_values(case, texts)
    relations["unit_tables"] = [mask_path(p, known) for p in relations["unit_tables"]]
    if new_files:
        waves["last"]["files_shown"] = [
            {"file": mask_path(f, known), "n_people": int(p), "n_findings": int(x)}
            for f, p, x in new_files]
    runs = db.execute(
        "SELECT run_id, command, version, started_at, finished_at, status FROM runs "
        "ORDER BY run_id").fetchall()
    summary: dict[str, Any] = {
        "breachscope_version": __version__,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "schema_version": case.schema_version,
        "report_date": today.isoformat(),
        "files": {
            "total": int(files_total), "bytes": int(files_bytes), "by_type": by_type,
            # the dump as walked: members of archives are counted in their archive's size
            "top_level_bytes": int(top_bytes),
            "by_status": by_status, "by_doc_class": by_class,
            "by_kind": _by_kind(by_type),
            "problems_total": int(problems_total),
            "problems": [
                {"file": mask_path(f, known), "type": t, "status": st,
                 "reason": mask_text(r, known) if r else None}
                for f, t, st, r in problems[:MAX_PROBLEMS]],
        },
        "period": _period(case, today),
        "people": {
            "total": int(people_total), "by_role": by_role, "by_category": by_category,
            "by_role_and_category": by_category_role, "by_severity": by_severity,
            "sensitive": int(sensitive),
            "minors": minors["total"],
            "minors_by_role": minors["by_role"],
            "minors_born_after": minors["born_after"],
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
        # The reviewers' sampled estimate of what the scan missed or got wrong (breachscope qc;
        # docs/review.md), or None before any review.
        "quality_control": _quality_control(case),
        "relations": relations,
        "findings": {"total": int(findings_total), "by_entity": by_entity},
        "top_files": [
            {"file": mask_path(f, known), "type": t, "doc_class": c, "n_people": int(p),
             "n_findings": int(n)}
            for f, t, c, p, n in top
        ],
        "runs": [
            {"run_id": r, "command": c, "version": v, "started_at": str(s),
             "finished_at": str(e) if e else None, "status": st}
            for r, c, v, s, e, st in runs
        ],
        "waves": waves,
    }
    if claim:
        parsed = parse_claim(claim)
        if "people" in parsed:
            parsed["people_found"] = int(people_total)
        if "records" in parsed:
            parsed["records_found"] = int(records_total)
        if "bytes" in parsed:
            # what the attacker took is the dump as walked, archives unexpanded
            parsed["bytes_found"] = int(top_bytes)
        parsed["points"] = check_claim(case, parsed, people=int(people_total),
                                       records=int(records_total), dump_bytes=int(top_bytes))
        summary["claim"] = parsed
    return summary


def _by_kind(by_type: dict[str, int]) -> dict[str, int]:
    """Files by kind in plain words (tables, documents, mail...: report.i18n.TYPE_GROUPS)."""
    from breachscope.report.i18n import type_group

    kinds: dict[str, int] = {}
    for file_type, n in by_type.items():
        kinds[type_group(file_type)] = kinds.get(type_group(file_type), 0) + n
    return dict(sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])))


def _minors(case: Case, today: dt.date) -> dict[str, Any]:
    """People born less than 18 years before ``today`` (a birth date that does not parse
    counts nowhere: an unknown age is not a minor)."""
    cutoff = dt.date(today.year - 18, today.month, min(today.day, 28)
                     if today.month == 2 else today.day)
    rows = case.db.execute(
        "SELECT role, count(*) FROM people WHERE try_strptime(birth_date, '%Y-%m-%d') > ? "
        "AND try_strptime(birth_date, '%Y-%m-%d') <= ? GROUP BY 1 ORDER BY 1",
        [dt.datetime.combine(cutoff, dt.time()), dt.datetime.combine(today, dt.time())],
    ).fetchall()
    by_role = {str(r): int(n) for r, n in rows}
    return {"total": sum(by_role.values()), "by_role": by_role, "born_after": cutoff.isoformat()}


def _period(case: Case, today: dt.date) -> dict[str, Any]:
    """The first and last date of care found: records' visit dates and VISIT_DATE facts
    (``2023-01-15``, ``20230115``, ``15/01/2023``; a date range's first date)."""
    row = case.db.execute(
        r"""
        WITH raw AS (
            SELECT visit_date AS v FROM records WHERE visit_date IS NOT NULL
            UNION ALL SELECT value FROM facts WHERE entity = 'VISIT_DATE'
        ), parsed AS (
            SELECT coalesce(
                try_strptime(regexp_extract(v, '\d{4}-\d{2}-\d{2}'), '%Y-%m-%d'),
                try_strptime(regexp_extract(v, '\d{2}/\d{2}/\d{4}'), '%d/%m/%Y'),
                try_strptime(regexp_extract(v, '^\d{8}'), '%Y%m%d'))::DATE AS d
            FROM raw)
        SELECT min(d), max(d), count(d) FROM parsed WHERE d BETWEEN ? AND ?
        """, [dt.date(FIRST_YEAR, 1, 1), dt.date(today.year + 1, 12, 31)]).fetchone()
    first, last, n = row
    return {"first": first.isoformat() if first else None,
            "last": last.isoformat() if last else None, "dates": int(n)}


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


def _quality_control(case: Case) -> dict[str, Any] | None:
    from breachscope.review.qc import stored_estimate

    try:
        return stored_estimate(case)
    except (ValueError, duckdb.Error):  # a damaged meta value is no estimate
        return None
