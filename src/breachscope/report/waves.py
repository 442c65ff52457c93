"""What changed since the previous wave: the attackers publish a dump in parts, and each part is
scanned into the same case (a scan run).

A file's wave is the scan run that first read its content (``contents.run_id``):
``files.run_id`` is rewritten by every rescan for each file it walks past, so it tells when a
file was last seen, not when it came. A content read again by a later run (``retry_on_rescan``)
counts in that later wave. The last wave is the latest run that read any content.

- new files: files whose content the last wave read;
- new people: people all of whose records come from files of the last wave (a person already
  seen who reappears in the new part is not new);
- new findings: findings in contents of the last wave.
"""

from __future__ import annotations

from typing import Any

from breachscope import findings_store


def build_waves(case) -> dict[str, Any]:
    db = case.db
    per_run = db.execute(
        """
        SELECT c.run_id, r.started_at, count(*) AS files, coalesce(sum(f.size), 0) AS bytes
        FROM files f JOIN contents c USING (sha256) LEFT JOIN runs r ON r.run_id = c.run_id
        WHERE c.run_id IS NOT NULL GROUP BY 1, 2 ORDER BY 1
        """).fetchall()
    runs = [{"run_id": int(r), "started_at": str(s) if s else None, "files": int(n),
             "bytes": int(b)} for r, s, n, b in per_run]
    out: dict[str, Any] = {"count": len(runs), "runs": runs, "last_run_id": None}
    if not runs:
        return out
    last = runs[-1]["run_id"]
    out["last_run_id"] = last
    files_new, files_before = db.execute(
        "SELECT count(*) FILTER (WHERE c.run_id = $1), count(*) FILTER (WHERE c.run_id <> $1 "
        "OR c.run_id IS NULL) FROM files f LEFT JOIN contents c USING (sha256)", [last]
    ).fetchone()
    findings_new, findings_before = db.execute(
        "SELECT coalesce(sum(x.n) FILTER (WHERE c.run_id = $1), 0), "
        "coalesce(sum(x.n) FILTER (WHERE c.run_id <> $1 OR c.run_id IS NULL), 0) "
        f"FROM {findings_store.COUNTS} x JOIN files f USING (sha256) "
        "LEFT JOIN contents c ON c.sha256 = x.sha256", [last]
    ).fetchone()
    people_new, people_total = db.execute(
        """
        WITH per_person AS (
            SELECT pr.person_id, bool_and(c.run_id = $1) AS only_new
            FROM person_records pr JOIN records r USING (record_id)
            JOIN contents c ON c.sha256 = r.sha256
            GROUP BY 1)
        SELECT count(*) FILTER (WHERE only_new), (SELECT count(*) FROM people) FROM per_person
        """, [last]).fetchone()
    new_by_category = {
        str(k): int(v) for k, v in db.execute(
            """
            WITH new_people AS (
                SELECT pr.person_id FROM person_records pr JOIN records r USING (record_id)
                JOIN contents c ON c.sha256 = r.sha256
                GROUP BY 1 HAVING bool_and(c.run_id = $1))
            SELECT cat, count(*) FROM (
                SELECT unnest(p.categories) AS cat FROM people p JOIN new_people USING (person_id))
            GROUP BY 1 ORDER BY 2 DESC, 1
            """, [last]).fetchall()}
    out["last"] = {
        "files": int(files_new), "files_before": int(files_before),
        "people": int(people_new or 0), "people_before": int(people_total) - int(people_new or 0),
        "people_by_category": new_by_category,
        "findings": int(findings_new or 0), "findings_before": int(findings_before or 0),
    }
    return out


def new_file_paths(case, last_run_id: int, limit: int) -> list[tuple[str, int, int]]:
    """The files of the last wave with their people and findings (unmasked: the caller masks)."""
    from breachscope.report.queries import FILES_SQL

    return case.db.execute(
        f"SELECT q.file, q.n_people, q.n_findings FROM ({FILES_SQL}) q "
        f"JOIN files f ON f.path = q.file JOIN contents c ON c.sha256 = f.sha256 "
        f"WHERE c.run_id = ? ORDER BY q.n_people DESC, q.n_findings DESC, q.file LIMIT {limit}",
        [last_run_id]).fetchall()
