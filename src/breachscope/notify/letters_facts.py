"""What a letter says about one person: the per-person facts of the case, in the words of a
letter (French), with every identifier masked.

The facts come from :func:`breachscope.report.lookup.describe_person` (the hotline's answer:
categories, kinds of files, visit dates, sensitive care), plus what a letter needs beyond
it: the recipient's civility and postal address (the hospital's index after ``link``, else
the leak's own), whether they are a minor, the care units safe to name, and the masked
identifiers in a sentence ("votre numéro de sécurité sociale (se terminant par 27)").

Which people get a letter: identified people (``identified`` of the people export, see
:data:`breachscope.report.queries.PEOPLE_SQL`: an unresolved mention, a surname and
nothing else, gets none) at or above the severity threshold.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from breachscope.assess.sensitive import is_sensitive_unit
from breachscope.assess.units import is_code_like, unit_category
from breachscope.case import Case
from breachscope.detect.validators import fold
from breachscope.masking import mask_email
from breachscope.report.lookup import describe_person
from breachscope.report.queries import PEOPLE_SQL

SEVERITIES = ("low", "medium", "high", "very_high")

# lookup's English words (DOC_CLASSES, TYPES values) in a letter's French
_KIND_FR = {
    "patient list": "une liste de patients",
    "staff directory": "un annuaire du personnel",
    "table with personal data": "un tableau de données personnelles",
    "document with personal data": "un document nominatif",
    "document": "un document",
    "archive": "une archive",
    "unclassified file": "un fichier",
}
_TYPE_FR = {
    "CSV export": "export CSV", "Excel spreadsheet": "tableur Excel", "spreadsheet": "tableur",
    "Word document": "document Word", "text document": "document texte",
    "PDF document": "document PDF", "image": "image ou scan", "database": "base de données",
    "database dump": "sauvegarde de base de données", "e-mail": "courriel",
    "mailbox": "boîte de messagerie", "HL7 message": "message informatique HL7",
    "HPRIM message": "message informatique HPRIM", "FHIR resource": "message informatique FHIR",
    "CDA document": "document médical électronique", "JSON file": "fichier informatique",
    "XML file": "fichier informatique", "web page": "page web", "text file": "fichier texte",
}
# the shape of lookup.describe_file's sentence
_KIND_RE = re.compile(r"^(?P<mail>e-mail attachment: )?(?P<kind>[^(]+?) \((?P<type>[^)]*)\)"
                      r"(?P<archive>, inside an archive)?$")

_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre")


def french_date(day: str | date) -> str:
    """``2021-03-12`` → ``12 mars 2021``; anything else unchanged."""
    text = day.isoformat() if isinstance(day, date) else str(day)
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text[:10])
    if not m or not 1 <= int(m.group(2)) <= 12:
        return text
    d = int(m.group(3))
    return f"{'1er' if d == 1 else d} {_MONTHS[int(m.group(2)) - 1]} {m.group(1)}"


def french_kind(kind: str) -> str:
    """A file kind of :func:`breachscope.report.lookup.describe_file`, in French."""
    m = _KIND_RE.match(kind)
    if not m:
        return "un fichier"
    text = _KIND_FR.get(m.group("kind"), "un fichier")
    ftype = _TYPE_FR.get(m.group("type"))
    if ftype:
        text += f" ({ftype})"
    if m.group("mail"):
        text += ", joint à un courriel"
    if m.group("archive"):
        text += ", dans une archive"
    return text


def severity_key(severity: str | None) -> str | None:
    """The case stores ``very high``; options and files say ``very_high``."""
    return severity.replace(" ", "_") if severity else None


def age_on(birth_date: str | None, today: date) -> int | None:
    try:
        born = date.fromisoformat((birth_date or "")[:10])
    except ValueError:
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


@dataclass(slots=True)
class PersonFacts:
    """Everything a letter, the mail-merge row and the e-mail need about one person."""

    person_id: str
    role: str
    variant: str  # patient, staff or minor (the template used)
    severity: str | None
    last_name: str
    first_name: str
    civility: str  # Madame, Monsieur, or "" when the records do not say
    minor: bool
    categories: list[str]
    identifiers: list[str]  # masked, in French: "votre numéro de sécurité sociale (...)"
    documents: list[str]  # kinds of files, in French, with how many
    n_files: int
    visit_dates: list[str]  # in French
    care_units: list[str]  # the units safe to name (never a sensitive one)
    sensitive: bool
    has_iban: bool
    address_lines: list[str] = field(default_factory=list)
    postal_code: str = ""
    city: str = ""
    email: str = ""
    contact_source: str = "leak"  # index (from `link`) or leak

    @property
    def display_name(self) -> str:
        return " ".join(x for x in (self.first_name, self.last_name.upper()) if x)

    @property
    def has_postal_address(self) -> bool:
        return bool(self.address_lines and (self.postal_code or self.city))


@dataclass(slots=True)
class Selection:
    people: list[str]  # person ids that get a letter
    below_threshold: int
    unresolved: int
    not_assessed: int  # identified, but no severity (not written unless --all)


def select_people(case: Case, min_severity: str, everyone: bool) -> Selection:
    """The identified people at ``min_severity`` or above (all identified with
    ``everyone``); unresolved mentions never get a letter."""
    floor = SEVERITIES.index(min_severity)
    rows = case.db.execute(
        f"SELECT person_id, identified, severity FROM ({PEOPLE_SQL}) ORDER BY person_id"
    ).fetchall()
    chosen: list[str] = []
    below = unresolved = not_assessed = 0
    for pid, identified, severity in rows:
        level = severity_key(severity)
        if not identified:
            unresolved += 1
        elif everyone:
            chosen.append(pid)
        elif level not in SEVERITIES:
            not_assessed += 1
        elif SEVERITIES.index(level) >= floor:
            chosen.append(pid)
        else:
            below += 1
    return Selection(chosen, below, unresolved, not_assessed)


def _identifiers(nir: str | None, phones: list[str], emails: list[str],
                 ibans: list[str], variant: str) -> list[str]:
    """The identifiers in the files, masked, in the letter's words: ``votre`` for the
    person, ``son`` in a letter to a minor's legal representatives."""
    your = "son" if variant == "minor" else "votre"
    out = []
    if nir:
        out.append(f"{your} numéro de sécurité sociale (se terminant par {nir[-2:]})")
    for phone in phones:
        digits = re.sub(r"\D", "", phone)
        out.append(f"un numéro de téléphone (se terminant par {digits[-2:]})")
    for email in emails:
        out.append(f"une adresse électronique ({mask_email(email)})")
    for iban in ibans:
        out.append(f"des coordonnées bancaires (IBAN se terminant par {iban[-4:]})")
    return out


def _care_units(case: Case, person_id: str) -> list[str]:
    """The care units the person's records name, decoded, that may be written in a letter:
    readable labels of units that reveal no sensitive care (a psychiatric or addiction unit,
    a CeGIDD... is never named: the letter may be opened by someone else)."""
    rows = case.db.execute(
        """
        WITH v AS (
            SELECT r.care_unit AS value FROM person_records pr JOIN records r USING (record_id)
            WHERE pr.person_id = ? AND coalesce(r.care_unit, '') <> ''
            UNION SELECT f.value FROM person_records pr JOIN facts f USING (record_id)
            WHERE pr.person_id = ? AND f.entity = 'CARE_UNIT'
        )
        SELECT v.value, min(u.label), bool_or(u.sensitive_category IS NOT NULL)
        FROM v LEFT JOIN unit_values u ON u.value = v.value
        GROUP BY v.value ORDER BY 1
        """, [person_id, person_id]).fetchall()
    shown: set[str] = set()
    for value, label, flagged in rows:
        text = (label or value or "").strip()
        if (flagged or not text or is_code_like(text) or is_sensitive_unit(fold(text).upper())
                or unit_category(value, label) is not None):
            continue
        shown.add(text)
    return sorted(shown)


def gather(case: Case, person_id: str, today: date) -> PersonFacts:
    """The facts of one person, for their letter."""
    answer = describe_person(case, person_id)
    db = case.db
    last, first, dob, nir, phones, emails, p_postal, p_city = db.execute(
        "SELECT last_name, first_name, birth_date, nir, phones, emails, postal_code, city "
        "FROM people WHERE person_id = ?", [person_id]).fetchone()
    recs = db.execute(
        "SELECT r.sex, r.address, r.postal_code, r.city, r.ibans FROM person_records pr "
        "JOIN records r USING (record_id) WHERE pr.person_id = ?", [person_id]).fetchall()
    sexes = Counter(s for s, *_ in recs if s in ("F", "M"))
    civility = {"F": "Madame", "M": "Monsieur"}.get(sexes.most_common(1)[0][0]) if sexes else ""
    addresses = Counter((a.strip(), pc or "", c or "") for _s, a, pc, c, _i in recs
                        if a and a.strip())
    ibans = sorted({i for *_r, ib in recs for i in (ib or [])})
    role = answer.role or "UNKNOWN"
    age = age_on(dob, today)
    minor = age is not None and age < 18 and role != "STAFF"
    variant = "staff" if role == "STAFF" else "minor" if minor else "patient"
    kinds: Counter[str] = Counter()
    for kind, n in answer.file_kinds.items():
        kinds[french_kind(kind)] += n
    documents = [f"{k} ({n} fichiers)" if n > 1 else k for k, n in kinds.most_common()]
    facts = PersonFacts(
        person_id=person_id, role=role, variant=variant, severity=severity_key(answer.severity),
        last_name=last or "", first_name=first or "", civility=civility, minor=minor,
        categories=answer.categories,
        identifiers=_identifiers(nir, phones or [], emails or [], ibans, variant),
        documents=documents, n_files=answer.n_files,
        visit_dates=[french_date(d) for d in answer.visit_dates],
        # a sensitive (or not cleared) person's units are not named at all: a unit whose
        # label reveals nothing ("Consultation de dépistage") may be the sensitive care
        care_units=(_care_units(case, person_id)
                    if role != "STAFF" and not answer.sensitive and not answer.undecided
                    else []),
        sensitive=answer.sensitive, has_iban=bool(ibans),
    )
    if addresses:
        (street, pc, city), _n = addresses.most_common(1)[0]
        facts.address_lines = [x.strip() for x in street.splitlines() if x.strip()][:3]
        facts.postal_code, facts.city = pc or (p_postal or ""), city or (p_city or "")
    else:
        facts.postal_code, facts.city = p_postal or "", p_city or ""
    facts.email = (emails or [""])[0]
    mpi = db.execute(
        "SELECT mp.address, mp.postal_code, mp.city, mp.email FROM mpi_links ml "
        "JOIN mpi_people mp USING (mpi_id) WHERE ml.person_id = ?", [person_id]).fetchone()
    if mpi:
        m_address, m_postal, m_city, m_email = mpi
        if m_address or m_postal or m_city:
            facts.address_lines = [x.strip() for x in (m_address or "").splitlines()
                                   if x.strip()][:3]
            facts.postal_code, facts.city = m_postal or "", m_city or ""
            facts.contact_source = "index"
        if m_email:
            facts.email = m_email
            facts.contact_source = "index"
    return facts
