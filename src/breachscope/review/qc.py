"""Quality control by sampling: how much did the scan miss, and how much of what it found is
wrong?

Three strata, each drawn at random and judged by a reviewer:

- ``nothing_found``: the contents read in full or in part (status ``scanned`` or
  ``partial``) in which the scan found nothing (no finding): the set a notification leaves
  out. A reviewer opens the file and marks it ``ok`` (nothing personal) or ``missed``.
- ``unattributed_rows``: the table rows the scan read (their key columns are in
  ``row_keys``) that are neither a person's record nor attached to one: the rows it found
  nobody in. ``ok`` or ``missed``.
- ``found``: the findings (a value of a kind at a location): ``ok`` or ``false_positive``.

The estimate per stratum is the share of ``missed`` (the miss rates on the excluded sets) or
of ``false_positive`` among the items marked, with a 95 % Wilson score interval, as
breach-review vendors report for their excluded sets. The interval is computed by SciPy
(``binomtest(...).proportion_ci(method="wilson")``), not by hand. The estimate is stored in
``meta`` as ``qc_estimate`` (JSON) for the report and the CNIL draft.

The draw is reproducible: items are ordered by DuckDB's ``hash`` of the seed and the item's
identity (a pseudo-random permutation of the stratum) and the first N not drawn before are
taken; the seed is stored with each item.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass

from breachscope import findings_store
from breachscope.case import Case
from breachscope.ingest.archives import ARCHIVE_TYPES

STRATA = ("nothing_found", "unattributed_rows", "found")
VERDICTS = {"nothing_found": ("ok", "missed"), "unattributed_rows": ("ok", "missed"),
            "found": ("ok", "false_positive")}
CONFIDENCE = 0.95
META_KEY = "qc_estimate"
# The contents a notification leaves out: read (fully or partly), nothing found; not the
# archives, whose members are items of their own.
_NOTHING_FOUND = f"""
SELECT c.sha256, (SELECT min_by(f.path, (length(f.path), f.path)) FROM files f
                  WHERE f.sha256 = c.sha256) AS path
FROM contents c
WHERE c.status IN ('scanned', 'partial')
    AND c.type NOT IN ({", ".join(f"'{t}'" for t in sorted(ARCHIVE_TYPES))})
    AND NOT EXISTS (SELECT 1 FROM {findings_store.COUNTS} x WHERE x.sha256 = c.sha256)
    AND EXISTS (SELECT 1 FROM files f WHERE f.sha256 = c.sha256)
"""
# The table rows read in which the scan found no one: no record there, none attached.
_UNATTRIBUTED_ROWS = """
SELECT DISTINCT k.sha256, k.row_location FROM row_keys k
WHERE NOT EXISTS (SELECT 1 FROM records r WHERE r.sha256 = k.sha256
                  AND r.location = k.row_location)
    AND NOT EXISTS (SELECT 1 FROM attached_rows a WHERE a.sha256 = k.sha256
                    AND a.row_location = k.row_location)
    AND EXISTS (SELECT 1 FROM files f WHERE f.sha256 = k.sha256)
"""


class QcError(ValueError):
    """A QC request that cannot be done (unknown item, wrong verdict...)."""


@dataclass
class QcItem:
    item_id: int
    draw_id: int
    stratum: str
    kind: str  # "file", "row" or "finding"
    sha256: str
    path: str | None
    location: str | None
    entity: str | None
    verdict: str | None
    reviewer: str | None


@dataclass
class Rate:
    k: int  # items marked missed / false positive
    n: int  # items marked
    estimate: float | None
    low: float | None
    high: float | None

    def as_dict(self) -> dict:
        return {"k": self.k, "n": self.n, "estimate": self.estimate, "low": self.low,
                "high": self.high}


def wilson_interval(k: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The Wilson score interval of ``k`` successes in ``n`` trials (SciPy's)."""
    from scipy.stats import binomtest

    ci = binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)


def rate(k: int, n: int) -> Rate:
    if n == 0:
        return Rate(k, n, None, None, None)
    low, high = wilson_interval(k, n)
    return Rate(k, n, k / n, low, high)


def draw_sample(case: Case, n: int, *, seed: int | None = None,
                ) -> tuple[int, int, int, int]:
    """Draw up to ``n`` new items of each stratum; returns (draw id, files drawn, findings
    drawn, rows drawn). Items drawn before are not drawn again."""
    if n < 1:
        raise QcError("the sample size must be at least 1")
    seed = secrets.randbits(31) if seed is None else int(seed)
    db = case.db
    with case.transaction():
        draw_id = db.execute("SELECT coalesce(max(draw_id), 0) + 1 FROM qc_samples").fetchone()[0]
        first = db.execute("SELECT coalesce(max(item_id), 0) FROM qc_samples").fetchone()[0]
        db.execute(
            f"""
            INSERT INTO qc_samples (item_id, draw_id, stratum, kind, sha256, path, seed,
                                    drawn_at)
            SELECT ? + row_number() OVER (ORDER BY hash(?, sha256)), ?, 'nothing_found',
                'file', sha256, path, ?, ?
            FROM ({_NOTHING_FOUND}) nf
            WHERE sha256 NOT IN (SELECT sha256 FROM qc_samples WHERE stratum = 'nothing_found')
            ORDER BY hash(?, sha256) LIMIT ?
            """, [first, seed, draw_id, seed, _now(), seed, n])
        n_files = db.execute("SELECT count(*) FROM qc_samples WHERE draw_id = ?",
                             [draw_id]).fetchone()[0]
        db.execute(
            """
            INSERT INTO qc_samples (item_id, draw_id, stratum, kind, sha256, path, location,
                                    entity, value, seed, drawn_at)
            SELECT ? + row_number() OVER (ORDER BY h), ?, 'found', 'finding', sha256,
                (SELECT min_by(f.path, (length(f.path), f.path)) FROM files f
                 WHERE f.sha256 = x.sha256), location, entity, value, ?, ?
            FROM (
                SELECT sha256, location, entity, value,
                    hash(?, sha256, location, entity, value) AS h
                FROM findings x
                WHERE EXISTS (SELECT 1 FROM files f WHERE f.sha256 = x.sha256)
                    AND NOT EXISTS (
                        SELECT 1 FROM qc_samples q WHERE q.stratum = 'found'
                        AND q.sha256 = x.sha256 AND q.location = x.location
                        AND q.entity = x.entity AND q.value = x.value)
                ORDER BY h LIMIT ?
            ) x
            """, [first + n_files, draw_id, seed, _now(), seed, n])
        n_found = db.execute("SELECT count(*) FROM qc_samples WHERE draw_id = ?",
                             [draw_id]).fetchone()[0] - n_files
        db.execute(
            f"""
            INSERT INTO qc_samples (item_id, draw_id, stratum, kind, sha256, path, location,
                                    seed, drawn_at)
            SELECT ? + row_number() OVER (ORDER BY h), ?, 'unattributed_rows', 'row', sha256,
                (SELECT min_by(f.path, (length(f.path), f.path)) FROM files f
                 WHERE f.sha256 = x.sha256), row_location, ?, ?
            FROM (
                SELECT sha256, row_location, hash(?, sha256, row_location) AS h
                FROM ({_UNATTRIBUTED_ROWS}) u
                WHERE NOT EXISTS (
                    SELECT 1 FROM qc_samples q WHERE q.stratum = 'unattributed_rows'
                    AND q.sha256 = u.sha256 AND q.location = u.row_location)
                ORDER BY h LIMIT ?
            ) x
            """, [first + n_files + n_found, draw_id, seed, _now(), seed, n])
        n_rows = db.execute("SELECT count(*) FROM qc_samples WHERE draw_id = ?",
                            [draw_id]).fetchone()[0] - n_files - n_found
    return draw_id, n_files, n_found, n_rows


def list_items(case: Case, *, unmarked_only: bool = False) -> list[QcItem]:
    where = "WHERE verdict IS NULL" if unmarked_only else ""
    rows = case.db.execute(
        "SELECT item_id, draw_id, stratum, kind, sha256, path, location, entity, verdict, "
        f"reviewer FROM qc_samples {where} ORDER BY item_id").fetchall()
    return [QcItem(*r) for r in rows]


def mark_item(case: Case, item_id: int, verdict: str, *, reviewer: str) -> QcItem:
    """Record a reviewer's verdict on a drawn item (a later mark replaces it)."""
    reviewer = (reviewer or "").strip()
    if not reviewer:
        raise QcError("a verdict needs a reviewer name")
    row = case.db.execute("SELECT stratum FROM qc_samples WHERE item_id = ?",
                          [int(item_id)]).fetchone()
    if row is None:
        raise QcError(f"no QC item {item_id} in this case")
    allowed = VERDICTS[row[0]]
    verdict = (verdict or "").strip().lower().replace("-", "_")
    if verdict not in allowed:
        raise QcError(f"item {item_id} is a '{row[0]}' item: mark it {' or '.join(allowed)}")
    case.db.execute("UPDATE qc_samples SET verdict = ?, reviewer = ?, marked_at = ? "
                    "WHERE item_id = ?", [verdict, reviewer, _now(), int(item_id)])
    return next(i for i in list_items(case) if i.item_id == int(item_id))


@dataclass
class QcEstimate:
    miss_rate: Rate  # contents where nothing was found
    false_positive_rate: Rate  # findings
    population: dict[str, int]  # stratum -> size now
    drawn: dict[str, int]  # stratum -> items drawn
    reviewed_at: str
    row_miss_rate: Rate = None  # type: ignore[assignment]  # table rows attributed to no one

    def as_dict(self) -> dict:
        return {"miss_rate": self.miss_rate.as_dict(),
                "false_positive_rate": self.false_positive_rate.as_dict(),
                "row_miss_rate": self.row_miss_rate.as_dict() if self.row_miss_rate else None,
                "population": self.population, "drawn": self.drawn,
                "confidence": CONFIDENCE, "method": "Wilson score interval",
                "reviewed_at": self.reviewed_at}


def estimate(case: Case, *, store: bool = True) -> QcEstimate:
    """The miss and false-positive rates from the verdicts so far; with ``store``, written
    to ``meta`` (``qc_estimate``) for the report and the CNIL draft."""
    db = case.db
    counts = dict.fromkeys(STRATA, (0, 0))
    drawn = dict.fromkeys(STRATA, 0)
    for stratum, n_drawn, n_marked, k in db.execute(
            "SELECT stratum, count(*), count(verdict), count(*) FILTER (WHERE verdict IN "
            "('missed', 'false_positive')) FROM qc_samples GROUP BY stratum").fetchall():
        counts[stratum] = (k, n_marked)
        drawn[stratum] = n_drawn
    population = {
        "nothing_found": db.execute(f"SELECT count(*) FROM ({_NOTHING_FOUND})").fetchone()[0],
        "unattributed_rows": db.execute(
            f"SELECT count(*) FROM ({_UNATTRIBUTED_ROWS})").fetchone()[0],
        "found": db.execute(
            f"SELECT coalesce(sum(n), 0) FROM {findings_store.COUNTS}").fetchone()[0],
    }
    last = db.execute("SELECT max(marked_at) FROM qc_samples").fetchone()[0]
    result = QcEstimate(rate(*counts["nothing_found"]), rate(*counts["found"]), population,
                        drawn, _iso(last) if last else "", rate(*counts["unattributed_rows"]))
    if store:
        db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                   [META_KEY, json.dumps(result.as_dict())])
    return result


def stored_estimate(case: Case) -> dict | None:
    """The ``qc_estimate`` of ``meta`` (for the report and the CNIL draft), or ``None``."""
    row = case.db.execute("SELECT value FROM meta WHERE key = ?", [META_KEY]).fetchone()
    return json.loads(row[0]) if row else None


def describe(r: Rate) -> str:
    if r.n == 0:
        return "no item marked yet"
    return (f"{r.k}/{r.n} = {100 * r.estimate:.1f} % "
            f"(95 % Wilson interval {100 * r.low:.1f}-{100 * r.high:.1f} %)")


def _iso(value: object) -> str:
    if isinstance(value, dt.datetime):
        return value.replace(microsecond=0).isoformat() + "Z"
    return str(value)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
