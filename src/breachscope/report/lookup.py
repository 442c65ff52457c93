"""``breachscope lookup``: the hotline question "was I in the leak, and what about me leaked?".

A caller is found by name and birth date (folded names, either order, day/month swap
tolerated, any last name seen in the person's records), or by NIR, phone or e-mail (normalized
with :mod:`breachscope.detect.validators`, compared with the person and their records). The
answer says what categories are exposed, in which kinds of files (by class and type, never by
path), at which dates, and the severity; identifiers are masked as for a phone call
(:mod:`breachscope.masking`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from breachscope.case import Case
from breachscope.detect.validators import (
    fold,
    normalize_email,
    normalize_nir,
    normalize_phone,
    parse_date,
)
from breachscope.masking import mask_email, mask_name, mask_nir, mask_phone


class LookupInputError(ValueError):
    """An input that is not a valid NIR, phone, e-mail or date."""


DOC_CLASSES = {
    "patient_list": "patient list",
    "staff_directory": "staff directory",
    "personal_data_table": "table with personal data",
    "document_with_personal_data": "document with personal data",
    "no_personal_data": "document",
    "archive": "archive",
}
TYPES = {
    "csv": "CSV export", "xlsx": "Excel spreadsheet", "xls": "Excel spreadsheet",
    "ods": "spreadsheet", "docx": "Word document", "doc": "Word document",
    "odt": "text document", "rtf": "text document", "pdf": "PDF document",
    "png": "image", "jpeg": "image", "tiff": "image", "sqlite": "database",
    "sql": "database dump", "eml": "e-mail", "msg": "e-mail", "mbox": "mailbox",
    "hl7": "HL7 message", "hprim": "HPRIM message", "fhir": "FHIR resource",
    "cda": "CDA document", "json": "JSON file", "xml": "XML file", "html": "web page",
    "text": "text file",
}

CATEGORY_WORDS = {
    "IDENTITY": "identity (name, birth date)", "CONTACT": "contact details",
    "NATIONAL_ID": "social security number (NIR)", "HEALTH": "health data",
    "FINANCIAL": "financial data (bank details)", "CREDENTIALS": "credentials",
}


def describe_file(path: str, file_type: str | None, doc_class: str | None) -> str:
    """``patient list (CSV export)``, ``e-mail attachment: patient list (Excel spreadsheet)``."""
    kind = DOC_CLASSES.get(doc_class or "", "unclassified file")
    text = f"{kind} ({TYPES.get(file_type or '', file_type or 'unknown type')})"
    parent = path.rsplit("!/", 1)[0] if "!/" in path else ""
    if parent.lower().endswith((".eml", ".msg", ".mbox")):
        return f"e-mail attachment: {text}"
    if parent:
        return f"{text}, inside an archive"
    return text


@dataclass(slots=True)
class PersonAnswer:
    person_id: str
    role: str | None
    masked_name: str
    birth_year: str | None
    categories: list[str]
    sensitive: bool
    severity: str | None
    severity_score: float | None
    exposed: list[str]
    file_kinds: dict[str, int]
    n_files: int
    visit_dates: list[str]
    first_scanned: str | None
    mpi_linked: bool = False
    extra: dict[str, str] = field(default_factory=dict)
    # why the person is flagged (or cannot be cleared): "psychiatry: ICD-10 code F20.0 in a
    # database dump"; ``undecided`` lists what could not be decided (a coded unit)
    sensitive_reasons: list[str] = field(default_factory=list)
    undecided: list[str] = field(default_factory=list)


def _name_tokens(name: str) -> set[str]:
    return set(fold(name).split())


def find_people(
    case: Case, *, name: str | None = None, birth_date: str | None = None,
    nir: str | None = None, phone: str | None = None, email: str | None = None,
) -> list[str]:
    """Person ids matching the caller's identifiers. Raises :class:`LookupInputError` on an
    invalid input."""
    db = case.db
    if nir is not None:
        value = normalize_nir(nir)
        if value is None:
            raise LookupInputError("not a valid NIR (15 characters with a valid key)")
        sql = ("SELECT person_id FROM people WHERE nir = ? UNION SELECT pr.person_id FROM "
               "records r JOIN person_records pr USING (record_id) WHERE r.nir = ?")
        args = [value, value]
    elif phone is not None:
        value = normalize_phone(phone)
        if value is None:
            raise LookupInputError("not a valid phone number")
        sql, args = _in_list_sql("phones"), [value, value]
    elif email is not None:
        value = normalize_email(email)
        if value is None:
            raise LookupInputError("not a valid e-mail address")
        sql, args = _in_list_sql("emails"), [value, value]
    else:
        if not name or not birth_date:
            raise LookupInputError("give --name with --birth-date, or --nir, --phone or --email")
        dob = parse_date(birth_date, allow_compact=True)
        if dob is None:
            raise LookupInputError("not a valid birth date (YYYY-MM-DD or DD/MM/YYYY)")
        wanted = _name_tokens(name)
        if len(wanted) < 2:
            raise LookupInputError("give the last name and the first name, e.g. 'DUPONT Marie'")
        dates = [dob]
        y, m, d = dob[:4], dob[5:7], dob[8:10]
        if m != d and int(d) <= 12:
            dates.append(f"{y}-{d}-{m}")
        rows = db.execute(
            """
            SELECT p.person_id, p.last_name, p.first_name, r.last_name, r.first_name
            FROM people p
            LEFT JOIN person_records pr USING (person_id)
            LEFT JOIN records r USING (record_id)
            WHERE p.birth_date IN (SELECT unnest(?)) OR r.birth_date IN (SELECT unnest(?))
            """, [dates, dates]).fetchall()
        found = set()
        for pid, last, first, r_last, r_first in rows:
            for a, b in ((last, first), (r_last, r_first), (r_last, first), (last, r_first)):
                if a and b and _name_tokens(f"{a} {b}") == wanted:
                    found.add(pid)
        return sorted(found)
    return sorted(r[0] for r in db.execute(sql, args).fetchall())


def describe_person(case: Case, person_id: str) -> PersonAnswer:
    db = case.db
    pid, role, last, first, dob, nir, phones, emails, cats, sensitive, severity, score = (
        db.execute(
            "SELECT person_id, role, last_name, first_name, birth_date, nir, phones, emails, "
            "categories, sensitive, severity, severity_score FROM people WHERE person_id = ?",
            [person_id]).fetchone())
    # the files of the person's records, and of the rows and facts attached to them (a stay
    # in mouvements.csv, a diagnosis in a database's child table)
    files = db.execute(
        """
        WITH shas AS (
            SELECT r.sha256 FROM person_records pr JOIN records r USING (record_id)
            WHERE pr.person_id = ?
            UNION SELECT f.sha256 FROM person_records pr JOIN facts f USING (record_id)
            WHERE pr.person_id = ?
            UNION SELECT a.sha256 FROM person_records pr JOIN attached_rows a USING (record_id)
            WHERE pr.person_id = ?
        )
        SELECT DISTINCT fl.path, c.type, c.doc_class, ru.started_at
        FROM shas JOIN files fl USING (sha256)
        LEFT JOIN contents c USING (sha256)
        LEFT JOIN runs ru ON ru.run_id = fl.run_id
        """, [person_id] * 3).fetchall()
    kinds: dict[str, int] = {}
    for path, ftype, dclass, _started in files:
        k = describe_file(path, ftype, dclass)
        kinds[k] = kinds.get(k, 0) + 1
    started = [s for *_rest, s in files if s is not None]
    visits = db.execute(
        "SELECT DISTINCT r.visit_date FROM person_records pr JOIN records r USING (record_id) "
        "WHERE pr.person_id = ? AND r.visit_date IS NOT NULL "
        "UNION SELECT DISTINCT f.value FROM person_records pr JOIN facts f USING (record_id) "
        "WHERE pr.person_id = ? AND f.entity = 'VISIT_DATE' ORDER BY 1",
        [person_id, person_id]).fetchall()
    reasons, undecided = _sensitive_reasons(case, person_id)
    exposed = []
    if nir:
        exposed.append(f"NIR {mask_nir(nir)}")
    exposed += [f"phone {mask_phone(p)}" for p in phones or []]
    exposed += [f"e-mail {mask_email(e)}" for e in emails or []]
    mpi = db.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'mpi_links'"
    ).fetchone()[0] and db.execute(
        "SELECT count(*) FROM mpi_links WHERE person_id = ?", [person_id]).fetchone()[0]
    return PersonAnswer(
        person_id=pid, role=role,
        masked_name=mask_name(" ".join(x for x in (last, first) if x)) or "(no name)",
        birth_year=dob[:4] if dob else None, categories=list(cats or []),
        sensitive=bool(sensitive), severity=severity, severity_score=score, exposed=exposed,
        file_kinds=dict(sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))),
        n_files=len({f[0] for f in files}), visit_dates=[v[0] for v in visits],
        first_scanned=min(started).date().isoformat() if started else None,
        mpi_linked=bool(mpi), sensitive_reasons=reasons, undecided=undecided,
    )


def _sensitive_reasons(case: Case, person_id: str) -> tuple[list[str], list[str]]:
    """What flags the person for sensitive care, and what could not be decided, each with
    the kind of file it comes from (never its path)."""
    rows = case.db.execute(
        """
        SELECT DISTINCT e.category, e.reason, e.decided, c.type, c.doc_class,
            (SELECT min(path) FROM files f WHERE f.sha256 = e.sha256) AS path
        FROM sensitive_evidence e LEFT JOIN contents c USING (sha256)
        WHERE e.person_id = ? ORDER BY e.decided DESC, e.category, e.reason
        """, [person_id]).fetchall()
    reasons: list[str] = []
    undecided: list[str] = []
    for category, reason, decided, ftype, dclass, path in rows:
        where = describe_file(path or "", ftype, dclass)
        text = f"{category.replace('_', ' ')}: {reason} ({where})"
        (reasons if decided else undecided).append(text)
    return reasons, undecided


def render(answer: PersonAnswer) -> list[str]:
    """The answer as lines to read out on the phone (nothing unmasked)."""
    born = f", born {answer.birth_year}-**-**" if answer.birth_year else ""
    lines = [f"person {answer.person_id} ({answer.masked_name}{born}), "
             f"role {answer.role or 'UNKNOWN'}"]
    level = answer.severity or "not assessed"
    score = f" (score {answer.severity_score:g})" if answer.severity_score is not None else ""
    if answer.sensitive:
        context = "yes"
    elif answer.undecided:
        context = "UNDECIDED (see below: not cleared)"
    else:
        context = "no"
    lines.append(f"  severity: {level}{score}; sensitive health context: {context}")
    if answer.sensitive_reasons:
        lines.append("  why sensitive:")
        lines += [f"    {r}" for r in answer.sensitive_reasons[:10]]
        if len(answer.sensitive_reasons) > 10:
            lines.append(f"    (+{len(answer.sensitive_reasons) - 10} more)")
    if answer.undecided:
        lines.append("  could not decide (give the hospital's unit table: "
                     "breachscope units --case CASE UNITS.csv):")
        lines += [f"    {r}" for r in answer.undecided[:10]]
    cats = ", ".join(CATEGORY_WORDS.get(c, c) for c in answer.categories) or "none recorded"
    lines.append(f"  categories exposed: {cats}")
    if answer.exposed:
        lines.append(f"  identifiers exposed: {'; '.join(answer.exposed)}")
    lines.append(f"  found in {answer.n_files} file(s):")
    lines += [f"    {n} x {kind}" for kind, n in answer.file_kinds.items()]
    if answer.visit_dates:
        shown = answer.visit_dates[:10]
        more = f" (+{len(answer.visit_dates) - 10} more)" if len(answer.visit_dates) > 10 else ""
        lines.append(f"  visit dates in the files: {', '.join(shown)}{more}")
    if answer.first_scanned:
        lines.append(f"  first seen in the leak (first scan): {answer.first_scanned}")
    if answer.mpi_linked:
        lines.append("  matched to the hospital's patient index")
    return lines


def _in_list_sql(column: str) -> str:
    """People holding a value in a list column (``phones``, ``emails``), on the person or on
    any of their records."""
    return (f"SELECT person_id FROM people WHERE list_contains({column}, ?) UNION "
            "SELECT pr.person_id FROM records r JOIN person_records pr USING (record_id) "
            f"WHERE list_contains(r.{column}, ?)")
