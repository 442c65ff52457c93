"""Attribution benchmark: is every fact attached to its person?

    .venv/bin/python bench/attribution/run.py [--patients 300] [--staff 40] [--seed 7]
        [--workers 2] [--out results.json] [--keep DIR] [--no-chinook] [--chinook-only]

**Demo leak.** Generates the demo leak (``breachscope.demo.generate_leak``: legacy exports,
the GAP backup, the pharmacy dump, split CSV exports, letters, the HR directory), runs
``breachscope scan`` and ``breachscope export --what people`` through the CLI (the code of
``bench/accuracy/run.py``), and matches each true person to a found person: by NIR, else by
folded name + birth date (``breachscope.demo.fold_name``, the truth's own folding), else (staff,
who have no birth date) by folded name + professional e-mail. Scores over all true people:

- per category (HEALTH, NATIONAL_ID, CONTACT, FINANCIAL): precision and recall of "the person
  has the category" (a true person not found counts as a miss);
- the sensitive-care flag: precision and recall (and the people the scan left undecided,
  when the export has ``sensitive_undecided``);
- staff: recall of role STAFF, and the number of true staff flagged sensitive;
- true people not found, found people matching no true person;
- HEALTH and sensitive recall per shape (people known only from the GAP backup, the split
  exports, the pharmacy dump, a letter, or from the legacy files);
- orphan child rows: the case's ``orphan_rows`` against the truth's;
- key links: the case's accepted ``key_links`` against the truth's (information).

**Chinook.** Scans each dialect of the public Chinook database (``--chinook DIR``, default
``/work/shared/datasets/chinook``: MySQL, PostgreSQL, SQL Server and SQLite scripts, and the
``.sqlite`` file; read in place, never copied) and checks that every ``Invoice`` and
``InvoiceLine`` row is attached to the record of its ``Customer``. The expected links come from
Chinook's own keys, read from the ``.sqlite`` file with ``sqlite3``
(InvoiceLine → Invoice → Customer). A row is identified by its location (``table Invoice, row
K``): the K-th row of the table, in the dumps' order, which is the key order (in SQLite, K is
the rowid, which is the key). Attachment is read from the case's ``attached_rows`` (row →
record) when the case has it, else from ``facts`` (the rows some fact came from); a customer
record is the record at ``table Customer, row K``. Tables still empty give 0 attached.

Targets (PASS/FAIL each): HEALTH recall >= 0.99, sensitive recall >= 0.97 and precision >=
0.97, staff recall >= 0.98, 0 staff flagged sensitive, orphan rows reported = truth, and every
Chinook child row attached. Exit status 0 when all pass.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import duckdb

from breachscope.demo import Truth, fold_name, generate_leak

HERE = Path(__file__).resolve().parent
ACCURACY = HERE.parent / "accuracy"


def _load(name: str, path: Path):
    """A bench module under its own name (several benches have a ``run.py``)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


# bench/accuracy: the CLI runner (scan + exports) and the precision/recall counter.
accuracy_run = _load("accuracy_bench_run", ACCURACY / "run.py")
Counts = accuracy_run.Counts

CATEGORIES = ("HEALTH", "NATIONAL_ID", "CONTACT", "FINANCIAL")
CHINOOK = Path("/work/shared/datasets/chinook")
CHINOOK_FILES = ("Chinook_MySql.sql", "Chinook_PostgreSql.sql", "Chinook_SqlServer.sql",
                 "Chinook_Sqlite.sql", "Chinook_Sqlite.sqlite")
TARGETS = {"health_recall": 0.99, "sensitive_recall": 0.97, "sensitive_precision": 0.97,
           "staff_recall": 0.98}


# ------------------------------------------------------------------------------ matching


def _split(cell: str | None) -> list[str]:
    return [v for v in (cell or "").split(";") if v]


def match_people(truth: Truth, found: list[dict]) -> dict[str, dict | None]:
    """``truth_id -> found person row`` (None when not found): by NIR, else folded name +
    birth date, else folded name + e-mail (staff have no birth date)."""
    by_nir: dict[str, dict] = {}
    by_name_birth: dict[tuple, dict] = {}
    by_name_email: dict[tuple, dict] = {}
    for row in found:
        name = (fold_name(row.get("last_name") or ""), fold_name(row.get("first_name") or ""))
        if row.get("nir"):
            by_nir.setdefault(row["nir"], row)
        by_name_birth.setdefault((*name, row.get("birth_date") or ""), row)
        for email in _split(row.get("emails")):
            by_name_email.setdefault((*name, email.lower()), row)
    matches: dict[str, dict | None] = {}
    for t in truth.people:
        name = (fold_name(t.last_name), fold_name(t.first_name))
        row = by_nir.get(t.nir) if t.nir else None
        row = row or by_name_birth.get((*name, t.birth_date or ""))
        for email in t.emails:
            row = row or by_name_email.get((*name, email))
        matches[t.truth_id] = row
    return matches


_SHAPE_OF_FILE = (
    ("archives/gap_sauvegarde", "gap"), ("exports/extraction_dpi", "split"),
    ("pharmacie/", "pharmacy"), ("courriers/", "letter"),
)


def shape(files: list[str]) -> str:
    """Where a true person is known from: one relational shape only, or ``legacy`` (the
    legacy exports, possibly with other shapes too)."""
    kinds = {next((k for prefix, k in _SHAPE_OF_FILE if file.startswith(prefix)), "legacy")
             for file in files}
    if "legacy" in kinds:
        return "legacy"
    return f"{kinds.pop()}_only" if len(kinds) == 1 else "several"


def _ratio(c: Counts) -> dict:
    return {"tp": c.tp, "fp": c.fp, "fn": c.fn, "precision": c.precision, "recall": c.recall}


def score_people(truth: Truth, found: list[dict]) -> dict:
    """The people scores of the module docstring, as a JSON-able dict."""
    matches = match_people(truth, found)
    categories = {c: Counts() for c in CATEGORIES}
    sensitive = Counts()
    staff_true = staff_found = staff_sensitive = staff_health = 0
    undecided: Counter = Counter()
    shapes: dict[str, Counter] = defaultdict(Counter)
    errors: dict[str, list] = defaultdict(list)
    for t in truth.people:
        row = matches[t.truth_id]
        got = set(_split(row["categories"])) if row else set()
        for c in CATEGORIES:
            has, says = c in t.categories, c in got
            categories[c].tp += has and says
            categories[c].fp += says and not has
            categories[c].fn += has and not says
            if has != says and len(errors[c]) < 20:
                errors[c].append(t.truth_id)
        flagged = bool(row) and row["sensitive"] == "true"
        sensitive.tp += t.sensitive and flagged
        sensitive.fp += flagged and not t.sensitive
        sensitive.fn += t.sensitive and not flagged
        if row and row.get("sensitive_undecided") == "true":  # a coded unit no table decodes
            undecided["sensitive" if t.sensitive else "not_sensitive"] += 1
        if t.sensitive != flagged and len(errors["sensitive"]) < 20:
            errors["sensitive"].append((t.truth_id, t.sensitive_reasons))
        if t.role == "STAFF":
            staff_true += 1
            staff_found += bool(row) and row["role"] == "STAFF"
            staff_sensitive += flagged
            staff_health += "HEALTH" in got
        else:
            s = shapes[shape(t.files)]
            s["people"] += 1
            s["found"] += row is not None
            s["health_true"] += "HEALTH" in t.categories
            s["health_found"] += "HEALTH" in t.categories and "HEALTH" in got
            s["sensitive_true"] += t.sensitive
            s["sensitive_found"] += t.sensitive and flagged
            s["sensitive_false_flags"] += flagged and not t.sensitive
        if row is None and len(errors["not_found"]) < 20:
            errors["not_found"].append(t.truth_id)
    matched_ids = {id(r) for r in matches.values() if r is not None}
    return {
        "people_true": truth.n_people,
        "people_found": len(found),
        "not_found": sum(r is None for r in matches.values()),
        "found_matching_no_true_person": sum(id(r) not in matched_ids for r in found),
        "categories": {c: _ratio(v) for c, v in categories.items()},
        "sensitive": _ratio(sensitive),
        "sensitive_undecided": {"sensitive": undecided["sensitive"],
                                "not_sensitive": undecided["not_sensitive"]},
        "staff": {"true": staff_true, "found_as_staff": staff_found,
                  "recall": staff_found / staff_true if staff_true else None,
                  "flagged_sensitive": staff_sensitive, "with_health": staff_health},
        "by_shape": {k: dict(v) for k, v in sorted(shapes.items())},
        "errors": dict(errors),
    }


# ------------------------------------------------------------------------------ the case


def _tables(db) -> set[str]:
    return {r[0] for r in db.execute(
        "SELECT table_name FROM information_schema.tables").fetchall()}


def _paths(db) -> dict[str, list[str]]:
    paths: dict[str, list[str]] = defaultdict(list)
    for path, sha in db.execute("SELECT path, sha256 FROM files ORDER BY path").fetchall():
        paths[sha].append(path)
    return paths


def score_case(case: Path, truth: Truth) -> dict:
    """Orphan rows and key links of the case against the truth."""
    db = duckdb.connect(str(case / "case.duckdb"), read_only=True)
    try:
        tables = _tables(db)
        paths = _paths(db)
        out: dict = {"orphans": {"expected": truth.n_orphan_rows, "reported": 0, "matched": 0},
                     "key_links": {"expected": len(truth.key_links), "found": 0,
                                   "accepted": 0, "missing": []}}
        if "orphan_rows" in tables:
            rows = db.execute("SELECT DISTINCT sha256, unit, row_location, value "
                              "FROM orphan_rows").fetchall()
            out["orphans"]["reported"] = len(rows)
            reported = {(p, value) for sha, _u, _loc, value in rows for p in paths[sha]}
            out["orphans"]["matched"] = sum((o.file, o.value) in reported
                                            for o in truth.orphan_rows)
        if "key_links" in tables:
            links = db.execute(
                "SELECT child_sha256, child_unit, child_column, parent_sha256, parent_unit, "
                "parent_column FROM key_links WHERE accepted").fetchall()
            out["key_links"]["accepted"] = len(links)
            found = set()
            for cs, cu, cc, ps, pu, pc in links:
                for cp in paths[cs]:
                    for pp in paths[ps]:
                        found.add((cp, _table(cu), cc.lower(), pp, _table(pu), pc.lower()))
            for k in truth.key_links:
                key = (k.child_file, k.child_table.lower(), k.child_column.lower(),
                       k.parent_file, k.parent_table.lower(), k.parent_column.lower())
                if key in found:
                    out["key_links"]["found"] += 1
                else:
                    out["key_links"]["missing"].append(
                        f"{k.child_table or k.child_file}.{k.child_column} -> "
                        f"{k.parent_table or k.parent_file}.{k.parent_column}")
        return out
    finally:
        db.close()


def _table(unit: str | None) -> str:
    """``table sejour`` -> ``sejour``; a CSV's unit (``""``) -> ``""``."""
    unit = (unit or "").strip()
    return (unit[6:] if unit.lower().startswith("table ") else unit).lower()


# ------------------------------------------------------------------------------ Chinook

_ROW = re.compile(r"(?:^|, )?table ([^,]+), row (\d+)")


def _norm(table: str) -> str:
    return table.split(".")[-1].strip('[]"`').replace("_", "").lower()


def chinook_expected(sqlite_file: Path) -> dict:
    """From the ``.sqlite`` file: each table's key per row number, and the customer of every
    invoice and invoice line."""
    conn = sqlite3.connect(f"file:{sqlite_file}?mode=ro", uri=True)
    try:
        invoices = dict(conn.execute("SELECT InvoiceId, CustomerId FROM Invoice"))
        lines = dict(conn.execute("SELECT InvoiceLineId, InvoiceId FROM InvoiceLine"))
        customers = [r[0] for r in conn.execute("SELECT CustomerId FROM Customer "
                                                "ORDER BY CustomerId")]
    finally:
        conn.close()
    return {
        "invoice": {k: invoices[i] for k, i in enumerate(sorted(invoices), start=1)},
        "invoiceline": {k: invoices[lines[i]] for k, i in enumerate(sorted(lines), start=1)},
        "customer_by_row": dict(enumerate(customers, start=1)),
    }


def chinook_attached(case: Path, expected: dict) -> dict:
    """Invoice and InvoiceLine rows attached to their customer's record in ``case``."""
    db = duckdb.connect(str(case / "case.duckdb"), read_only=True)
    try:
        tables = _tables(db)
        customer_of_record = {}
        for record_id, location in db.execute(
                "SELECT record_id, location FROM records").fetchall():
            m = _ROW.match(location or "")
            if m and _norm(m[1]) == "customer":
                customer_of_record[record_id] = expected["customer_by_row"].get(int(m[2]))
        if "attached_rows" in tables:
            source = "attached_rows"
            pairs = db.execute("SELECT DISTINCT row_location, record_id "
                               "FROM attached_rows").fetchall()
        elif "facts" in tables:
            source = "facts"
            pairs = db.execute("SELECT DISTINCT location, record_id FROM facts").fetchall()
        else:
            source, pairs = "none", []
        attached: dict[str, set[int]] = {"invoice": set(), "invoiceline": set()}
        wrong: Counter = Counter()
        for location, record_id in pairs:
            m = _ROW.match(location or "")
            if not m or _norm(m[1]) not in attached:
                continue
            table, row = _norm(m[1]), int(m[2])
            if customer_of_record.get(record_id) == expected[table].get(row):
                attached[table].add(row)
            else:
                wrong[table] += 1
        links = []
        if "key_links" in tables:
            links = [f"{cu}.{cc} -> {pu}.{pc} ({method}, {incl:.2f})" for cu, cc, pu, pc,
                     method, incl in db.execute(
                         "SELECT child_unit, child_column, parent_unit, parent_column, method, "
                         "coalesce(inclusion, 0) FROM key_links WHERE accepted "
                         "ORDER BY ALL").fetchall()]
        return {
            "source": source,
            "invoice": [len(attached["invoice"]), len(expected["invoice"])],
            "invoice_line": [len(attached["invoiceline"]), len(expected["invoiceline"])],
            "wrong_record": dict(wrong),
            "accepted_links": links,
        }
    finally:
        db.close()


def run_chinook(directory: Path, work: Path, workers: int) -> dict:
    sqlite_file = directory / "Chinook_Sqlite.sqlite"
    if not sqlite_file.exists():
        return {"skipped": f"no {sqlite_file}"}
    expected = chinook_expected(sqlite_file)
    results = {}
    for name in CHINOOK_FILES:
        source = directory / name
        if not source.exists():
            continue
        case = work / f"chinook_{source.stem}_{source.suffix[1:]}"
        t0 = time.perf_counter()
        subprocess.run([accuracy_run.breachscope_bin(), "scan", str(source), "--case", str(case),
                        "--workers", str(workers)], check=True, stdout=subprocess.DEVNULL)
        results[name] = chinook_attached(case, expected)
        results[name]["scan_s"] = round(time.perf_counter() - t0, 1)
    return results


# ------------------------------------------------------------------------------ report


def targets(people: dict, case: dict) -> list[dict]:
    """The demo leak's targets, PASS or FAIL."""
    health = people["categories"]["HEALTH"]
    out = [
        ("HEALTH recall", health["recall"], ">= 0.99", TARGETS["health_recall"]),
        ("sensitive recall", people["sensitive"]["recall"], ">= 0.97",
         TARGETS["sensitive_recall"]),
        ("sensitive precision", people["sensitive"]["precision"], ">= 0.97",
         TARGETS["sensitive_precision"]),
        ("staff recall", people["staff"]["recall"], ">= 0.98", TARGETS["staff_recall"]),
    ]
    rows = [{"target": name, "value": value, "goal": goal,
             "pass": value is not None and value >= floor} for name, value, goal, floor in out]
    rows.append({"target": "staff flagged sensitive", "value": people["staff"][
        "flagged_sensitive"], "goal": "= 0", "pass": people["staff"]["flagged_sensitive"] == 0})
    orphans = case["orphans"]
    rows.append({"target": "orphan rows reported", "value": orphans["reported"],
                 "goal": f"= {orphans['expected']}",
                 "pass": orphans["reported"] == orphans["expected"]
                 and orphans["matched"] == orphans["expected"]})
    return rows


def chinook_targets(chinook: dict | None) -> list[dict]:
    """Every Invoice and InvoiceLine row of each dialect attached to its customer."""
    rows = []
    for name, r in (chinook or {}).items():
        if "invoice" not in r:
            continue
        got = r["invoice"][0] + r["invoice_line"][0]
        want = r["invoice"][1] + r["invoice_line"][1]
        rows.append({"target": f"Chinook {name} child rows attached", "value": got,
                     "goal": f"= {want}", "pass": got == want})
    return rows


def _f(x: float | None) -> str:
    return "  —  " if x is None else f"{x:.3f}"


def table(result: dict) -> list[str]:
    """The printed report: the demo's scores (when run), Chinook's, the targets."""
    lines = _demo_table(result) if "people" in result else []
    for name, r in (result.get("chinook") or {}).items():
        if "invoice" in r:
            lines.append(f"Chinook {name:<24} invoices {r['invoice'][0]:>4}/{r['invoice'][1]:<4}"
                         f" lines {r['invoice_line'][0]:>4}/{r['invoice_line'][1]:<4} "
                         f"(from {r['source']}, {len(r['accepted_links'])} accepted links, "
                         f"scan {r['scan_s']} s)")
        else:
            lines.append(f"Chinook: {r}")
    lines += ["", "targets:"]
    lines += [f"  {'PASS' if t['pass'] else 'FAIL'}  {t['target']:<44} "
              f"{t['value'] if not isinstance(t['value'], float) else round(t['value'], 4)} "
              f"(target {t['goal']})" for t in result["targets"]]
    return lines


def _demo_table(result: dict) -> list[str]:
    people, case = result["people"], result["case"]
    lines = [f"demo leak: {result['leak']['patients']} patients, {result['leak']['staff']} "
             f"staff (seed {result['leak']['seed']}); true people {people['people_true']}, "
             f"found {people['people_found']}, not found {people['not_found']}, found matching "
             f"no true person {people['found_matching_no_true_person']}",
             "", f"{'':<14} {'precision':>9} {'recall':>7} {'tp':>5} {'fp':>5} {'fn':>5}"]
    for name, c in (*people["categories"].items(), ("sensitive", people["sensitive"])):
        lines.append(f"{name:<14} {_f(c['precision']):>9} {_f(c['recall']):>7} "
                     f"{c['tp']:>5} {c['fp']:>5} {c['fn']:>5}")
    u = people["sensitive_undecided"]
    lines.append(f"undecided (coded unit without a table): {u['sensitive']} truly sensitive, "
                 f"{u['not_sensitive']} not")
    s = people["staff"]
    lines += ["", f"staff: {s['found_as_staff']}/{s['true']} found as staff (recall "
              f"{_f(s['recall'])}), {s['flagged_sensitive']} flagged sensitive, "
              f"{s['with_health']} with HEALTH", "",
              f"{'patients known from':<22} {'people':>6} {'HEALTH':>11} {'sensitive':>11} "
              f"{'false flags':>11}"]
    for name, v in people["by_shape"].items():
        lines.append(f"{name:<22} {v.get('people', 0):>6} "
                     f"{v.get('health_found', 0):>5}/{v.get('health_true', 0):<5} "
                     f"{v.get('sensitive_found', 0):>5}/{v.get('sensitive_true', 0):<5} "
                     f"{v.get('sensitive_false_flags', 0):>11}")
    o, k = case["orphans"], case["key_links"]
    lines += ["", f"orphan child rows: {o['reported']} reported, {o['expected']} in the truth, "
              f"{o['matched']} of them found",
              f"key links: {k['found']}/{k['expected']} expected links accepted "
              f"({k['accepted']} accepted in all)"]
    lines += [f"  missing: {m}" for m in k["missing"]]
    t = result["timings"]
    lines += [f"timings: generate {t['generate_s']} s, scan {t['scan_s']} s, "
              f"exports {t['export_s']} s", ""]
    return lines


def run_demo(work: Path, *, patients: int, staff: int, seed: int, workers: int) -> dict:
    """Generate, scan, export, score: the demo part of the result."""
    t0 = time.perf_counter()
    truth = generate_leak(work / "demo", seed=seed, n_patients=patients, n_staff=staff)
    generated = time.perf_counter() - t0
    _findings, found, timings = accuracy_run.run_breachscope(work / "demo" / "leak", work,
                                                             workers)
    return {
        "leak": {"patients": patients, "staff": staff, "seed": seed,
                 "orphan_rows": truth.n_orphan_rows},
        "people": score_people(truth, found),
        "case": score_case(work / "case", truth),
        "timings": {"generate_s": round(generated, 2),
                    **{k: round(v, 2) for k, v in timings.items()}},
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=300)
    ap.add_argument("--staff", type=int, default=40)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, help="write the results as JSON")
    ap.add_argument("--keep", type=Path, help="keep the leak, truth, cases and exports here")
    ap.add_argument("--chinook", type=Path, default=CHINOOK,
                    help="the Chinook dialects' folder (read in place)")
    ap.add_argument("--no-chinook", action="store_true")
    ap.add_argument("--chinook-only", action="store_true")
    args = ap.parse_args(argv)
    with contextlib.ExitStack() as stack:
        if args.keep:
            shutil.rmtree(args.keep, ignore_errors=True)
            args.keep.mkdir(parents=True)
            work = args.keep
        else:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        result: dict = {}
        if not args.chinook_only:
            result = run_demo(work, patients=args.patients, staff=args.staff, seed=args.seed,
                              workers=args.workers)
        result["chinook"] = (None if args.no_chinook
                             else run_chinook(args.chinook, work, args.workers))
        result["targets"] = ([] if args.chinook_only
                             else targets(result["people"], result["case"]))
        result["targets"] += chinook_targets(result["chinook"])
    print("\n".join(table(result)))
    if args.out:
        args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False, default=str) + "\n",
                            encoding="utf-8")
    return 0 if all(t["pass"] for t in result["targets"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
