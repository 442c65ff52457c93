"""A synthetic French hospital leak, with its exact ground truth.

:func:`generate_leak` writes, under ``out_dir / "leak"``, the kind of files a ransomware gang
publishes after hitting a hospital (admission exports, a spreadsheet with social-security
numbers and IBANs, the staff directory, a JSON export of the patient record system, an old backup
archive with a nested zip, nursing notes, templates), and writes ``out_dir / "truth.json"``:
every person in the leak with what of them is exposed, and the exact set of findings
(NIR, PHONE, EMAIL, IBAN, BIRTH_DATE) a perfect scan reports, file by file.

It also writes the shapes that only relational reconstruction and document attribution can
read (:mod:`breachscope.demo.relational`, :mod:`breachscope.demo.letters`): a normalized GAP
backup (``pg_dump``: ``patient``, ``sejour``, ``diagnostic``) in an archive with the hospital's
unit table, the pharmacy's MySQL dump (``patient``, ``dispensation``), split CSV exports
(``patients.csv``, ``mouvements.csv``, ``diagnostics.csv``) and discharge letters and
consultation reports (text and DOCX) signed by staff physicians. Some patients are only there:
their health data reaches them only through keys or their letter. The truth gives each person
their categories after joins, the sensitive flag with its reasons, and the leak's orphan child
rows, expected key links and unit codes.

The output is a pure function of the arguments: one ``random.Random(seed)`` for the legacy
files, another seeded from the same seed for the relational shapes, Faker ``fr_FR`` seeded
with the seed, a fixed reference date (:data:`REFERENCE_DATE`) and fixed archive timestamps,
so two runs give byte-identical files.
"""

from __future__ import annotations

import io
import json
import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from faker import Faker
from openpyxl import Workbook

from breachscope.demo.care import STAFF_SERVICE_UNITS, UNITS
from breachscope.demo.common import (
    ARCHIVE_TIME,
    HOSPITAL,
    REFERENCE_DATE,
    STAFF_EMAIL_DOMAIN,
    XLSX_TIME,
    csv_text,
    random_day,
    repack_zip,
    zip_bytes,
)
from breachscope.demo.identifiers import (
    PHONE_STYLES,
    corrupt_iban,
    corrupt_nir_key,
    email_slug,
    fold_name,
    format_iban,
    format_nir,
    format_phone,
    french_date_words,
    make_fr_iban,
    make_nir,
    random_phone,
)
from breachscope.demo.letters import write_letters
from breachscope.demo.relational import (
    KEY_LINKS,
    UNIT_TABLE,
    Relational,
    gap_backup,
    pharmacy_dump,
    retrocession_drug,
    split_exports,
)
from breachscope.demo.truth import (
    CATEGORY_ORDER,
    Decoy,
    Truth,
    TruthFile,
    TruthFinding,
    TruthPerson,
    TruthUnit,
)

# Contract paths of the files, relative to the leak folder.
ADMISSIONS = "exports/admissions_2023.csv"
PATIENTS_XLSX = "exports/patients_nir.xlsx"
ANNUAIRE = "rh/annuaire_personnel.csv"
DPI_JSON = "dpi/export_consultations.json"
ARCHIVE = "archives/sauvegarde_2022.zip"
ARCHIVE_ADMISSIONS = f"{ARCHIVE}!/exports/admissions_2023.csv"
URGENCES_ZIP = f"{ARCHIVE}!/exports/urgences_2022.zip"
URGENCES_TSV = f"{URGENCES_ZIP}!/urgences_2022.tsv"
NOTES = f"{ARCHIVE}!/notes/transmissions.txt"
TEMPLATE = "docs/modele_courrier.txt"
PLANNING = "planning/README.txt"

_ARCHIVE_TIME = ARCHIVE_TIME
_XLSX_TIME = XLSX_TIME

# ------------------------------------------------------------------------------ reference data

# Names absent from Faker's fr_FR lists that make matching interesting: particles,
# apostrophes, hyphens, Flemish names of the Nord, ligatures.
_EXTRA_LAST_NAMES = (
    "Le Gall", "Le Goff", "Le Roux", "Le Bihan", "D'Hondt", "N'Diaye", "D'Almeida", "L'Hôte",
    "De Smet", "Van de Walle", "Vandenbussche", "Vanhoutte", "Vermeersch", "Verstraete",
    "Deleplanque", "Delcroix", "Dhalluin", "Desmettre", "Bécourt", "Ménard", "Hénin", "Crépin",
    "Lemaître", "Lecœur", "Dos Santos", "Ben Salah", "Hadj-Ali", "Dupont-Lefèvre", "Nguyen",
    "Kowalski", "Wallart", "Lheureux", "Saint-Maxent", "Decœne",
)
_EXTRA_FIRST_NAMES_F = (
    "Marie-Thérèse", "Anne-Sophie", "Marie-Claire", "Marie-Noëlle", "Maëlle", "Zoé", "Chloé",
    "Noémie", "Hélène", "Anaïs", "Léa", "Inès", "Clémence", "Gwenaëlle", "Aïcha", "Bérénice",
    "Éloïse", "Maïwenn", "Françoise", "Josée",
)
_EXTRA_FIRST_NAMES_M = (
    "Jean-Pierre", "Jean-François", "Pierre-Yves", "Jean-Baptiste", "Jean-Marie", "Loïc",
    "Joël", "Jérôme", "Frédéric", "Gaëtan", "Benoît", "Noël", "Raphaël", "Mathéo", "Yann",
    "Éric", "Hervé", "Anthony", "Kévin", "Mehdi",
)

# (postal code, city, weight): the hospital's catchment area.
_COMMUNES = (
    ("59280", "Armentières", 30), ("59116", "Houplines", 6), ("59193", "Erquinghem-Lys", 4),
    ("59930", "La Chapelle-d'Armentières", 5), ("59850", "Nieppe", 5), ("59270", "Bailleul", 6),
    ("59236", "Frelinghien", 2), ("59840", "Pérenchies", 3), ("59160", "Lomme", 3),
    ("59000", "Lille", 8), ("59130", "Lambersart", 3), ("59350", "Saint-André-lez-Lille", 2),
    ("59100", "Roubaix", 2), ("59200", "Tourcoing", 2), ("59650", "Villeneuve-d'Ascq", 2),
    ("59560", "Comines", 2), ("59181", "Steenwerck", 2), ("59940", "Estaires", 2),
    ("59660", "Merville", 2), ("59190", "Hazebrouck", 3), ("62840", "Sailly-sur-la-Lys", 2),
    ("62840", "Laventie", 2), ("62840", "Fleurbaix", 1), ("62400", "Béthune", 2),
    ("62300", "Lens", 1), ("59136", "Wavrin", 1), ("59320", "Haubourdin", 1),
)
_COMMUNE_WEIGHTS = [c[2] for c in _COMMUNES]

_METRO_DEPARTMENTS = tuple(f"{d:02d}" for d in range(1, 96) if d != 20)
_OVERSEAS_DEPARTMENTS = ("971", "972", "973", "974", "976")
# INSEE country codes: Morocco, Algeria, Tunisia, Belgium, Portugal, Italy, Senegal, Poland.
_COUNTRY_CODES = ("350", "352", "351", "131", "139", "127", "341", "122")

_FREE_EMAIL_DOMAINS = (
    "gmail.com", "gmail.com", "gmail.com", "orange.fr", "orange.fr", "wanadoo.fr", "free.fr",
    "laposte.net", "hotmail.fr", "hotmail.com", "sfr.fr", "yahoo.fr", "outlook.fr",
)

# French bank codes (BNP Paribas, Société Générale, LCL, Banque Postale, Crédit Mutuel,
# Crédit Agricole Nord de France, Caisse d'Épargne Hauts de France, CIC).
_BANK_CODES = ("30004", "30003", "30002", "20041", "15629", "16706", "16275", "13135", "30066")

# Care units: (name, weight, eligible(sex, age)).
_ADMISSION_UNITS = (
    ("Urgences", 25, lambda sex, age: True),
    ("Cardiologie", 10, lambda sex, age: age >= 18),
    ("Médecine polyvalente", 10, lambda sex, age: age >= 16),
    ("Gériatrie", 8, lambda sex, age: age >= 70),
    ("Chirurgie orthopédique", 8, lambda sex, age: True),
    ("Pneumologie", 6, lambda sex, age: age >= 16),
    ("Gastro-entérologie", 6, lambda sex, age: age >= 16),
    ("Psychiatrie adulte", 7, lambda sex, age: age >= 18),
    ("Addictologie", 4, lambda sex, age: age >= 16),
    ("Maternité", 8, lambda sex, age: sex == "F" and 16 <= age <= 45),
    ("Pédiatrie", 8, lambda sex, age: age < 16),
    ("Pédopsychiatrie", 2, lambda sex, age: 6 <= age < 18),
    ("Neurologie", 4, lambda sex, age: age >= 16),
    ("SSR", 3, lambda sex, age: age >= 40),
)
_EMERGENCY_UNITS = (
    ("Urgences adultes", 50, lambda sex, age: age >= 16),
    ("UHCD", 15, lambda sex, age: age >= 16),
    ("Urgences pédiatriques", 30, lambda sex, age: age < 16),
    ("Urgences gynéco-obstétricales", 10, lambda sex, age: sex == "F" and 15 <= age <= 50),
)
SENSITIVE_UNITS = frozenset({"Psychiatrie adulte", "Addictologie", "Pédopsychiatrie"})

_STAFF_SERVICES = (
    "Urgences", "Cardiologie", "Médecine polyvalente", "Gériatrie", "Chirurgie orthopédique",
    "Psychiatrie adulte", "Addictologie", "Maternité", "Pédiatrie", "Bloc opératoire",
    "Pharmacie", "Direction des soins",
)
_STAFF_JOBS = (  # (job, weight, services where it exists or None for any care service)
    ("IDE", 35, None),
    ("AS", 25, None),
    ("Médecin", 12, None),
    ("Cadre de santé", 6, None),
    ("Interne", 5, None),
    ("ASH", 5, None),
    ("Secrétaire médicale", 6, None),
    ("Sage-femme", 3, ("Maternité",)),
    ("Psychologue", 2, ("Psychiatrie adulte", "Addictologie")),
    ("Kinésithérapeute", 2, ("Gériatrie", "Chirurgie orthopédique")),
    ("Préparateur en pharmacie", 2, ("Pharmacie",)),
    ("Cadre supérieur de santé", 1, ("Direction des soins",)),
)
_CARE_SERVICES = _STAFF_SERVICES[:10]  # where any care job may work

_MOTIFS = (
    "douleur thoracique", "chute à domicile", "malaise sans perte de connaissance",
    "plaie de la main", "dyspnée", "entorse de la cheville", "douleurs abdominales",
    "fièvre persistante",
)
_CARE = (
    "ECG réalisé, bilan sanguin envoyé au laboratoire.",
    "Suture réalisée, pansement sec, antalgiques selon protocole.",
    "Radio faite, attente de l'avis de l'orthopédiste.",
    "Constantes stables, perfusion en cours, surveillance toutes les 2 heures.",
    "Aérosols faits, saturation remontée à 96 %.",
)


# ------------------------------------------------------------------------------ the population


@dataclass(slots=True)
class _Person:
    truth_id: str
    role: str
    last_name: str
    first_name: str
    sex: str | None = None
    birth_date: date | None = None
    nir: str | None = None
    ipp: str | None = None
    mobile: str | None = None
    landline: str | None = None
    email: str | None = None
    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    iban: str | None = None
    job: str | None = None
    service: str | None = None
    extension: str | None = None
    matricule: str | None = None
    nir_must_show: bool = False  # Corsica / abroad births: their NIR must reach a file
    # What the leak shows of them (filled while the files are written).
    files: set[str] = field(default_factory=set)
    categories: set[str] = field(default_factory=set)
    shown_phones: set[str] = field(default_factory=set)
    shown_emails: set[str] = field(default_factory=set)
    shown_ibans: set[str] = field(default_factory=set)
    shown_nir: bool = False
    shown_birth: bool = False
    shown_address: bool = False
    reasons: set[str] = field(default_factory=set)  # sensitive care shown, with evidence
    linked_files: set[str] = field(default_factory=set)

    @property
    def sensitive(self) -> bool:
        return bool(self.reasons)

    @property
    def phones(self) -> list[str]:
        return [p for p in (self.mobile, self.landline) if p]

    def age_at(self, day: date) -> int:
        assert self.birth_date is not None
        b = self.birth_date
        return day.year - b.year - ((day.month, day.day) < (b.month, b.day))


class _Registry:
    """Values that must stay unique across the population."""

    def __init__(self) -> None:
        self.identities: set[tuple[str, str, date | None]] = set()
        self.name_pairs: set[tuple[str, str]] = set()
        self.nirs: set[str] = set()
        self.phones: set[str] = set()
        self.emails: set[str] = set()
        self.ipps: set[str] = set()
        self.stays: set[str] = set()
        self.extensions: set[str] = set()

    def ipp(self, rng: random.Random) -> str:
        while True:
            ipp = str(rng.randrange(10_000_000, 100_000_000))
            if ipp not in self.ipps:
                self.ipps.add(ipp)
                return ipp

    def stay(self, rng: random.Random, year: int) -> str:
        """A stay number (NDA, num_sejour): the year and six digits, unique in the leak."""
        while True:
            nda = f"{year}{rng.randrange(1_000_000):06d}"
            if nda not in self.stays:
                self.stays.add(nda)
                return nda

    def phone(self, rng: random.Random, *, mobile: bool) -> str:
        while True:
            number = random_phone(rng, mobile=mobile)
            if number not in self.phones:
                self.phones.add(number)
                return number

    def email(self, local: str, domain: str) -> str:
        candidate, n = f"{local}@{domain}", 1
        while candidate in self.emails:
            n += 1
            candidate = f"{local}{n}@{domain}"
        self.emails.add(candidate)
        return candidate


def _weighted(rng: random.Random, options, sex: str | None, age: int):
    eligible = [o for o in options if o[2](sex, age)]
    return rng.choices([o[0] for o in eligible], weights=[o[1] for o in eligible])[0]


def _birth_place(rng: random.Random, year: int) -> str:
    r = rng.random()
    if r < 0.55:
        return "59" + f"{rng.randint(1, 670):03d}"
    if r < 0.70:
        return "62" + f"{rng.randint(1, 900):03d}"
    if r < 0.88:
        return rng.choice(_METRO_DEPARTMENTS) + f"{rng.randint(1, 600):03d}"
    if r < 0.91:
        return rng.choice(_OVERSEAS_DEPARTMENTS) + f"{rng.randint(1, 34):02d}"
    if r < 0.93:  # Corsica: one département "20" until 1976, then 2A / 2B
        dept = rng.choice(("2A", "2B")) if year >= 1976 else "20"
        return dept + f"{rng.randint(1, 366):03d}"
    return "99" + rng.choice(_COUNTRY_CODES)


def _patient_email(rng: random.Random, reg: _Registry, p: _Person) -> str:
    assert p.birth_date is not None
    last = email_slug(p.last_name, keep_hyphens=False)
    first = email_slug(p.first_name, keep_hyphens=rng.random() < 0.5)
    yy = f"{p.birth_date.year % 100:02d}"
    local = rng.choice((
        f"{first}.{last}", f"{first[0]}.{last}", f"{last}.{first}", f"{first}{last}{yy}",
        f"{first}.{last}{p.birth_date.year}", f"{last}{first[0]}", f"{first}_{last}",
    ))
    return reg.email(local, rng.choice(_FREE_EMAIL_DOMAINS))


def _make_patients(n: int, rng: random.Random, fake: Faker, reg: _Registry) -> list[_Person]:
    persons = fake.provider("faker.providers.person")
    last_names = tuple(persons.last_names) + _EXTRA_LAST_NAMES * 3
    first_f = tuple(persons.first_names_female) + _EXTRA_FIRST_NAMES_F * 2
    first_m = tuple(persons.first_names_male) + _EXTRA_FIRST_NAMES_M * 2
    # Make sure the leak holds Corsican and foreign-born NIRs.
    forced_places = ["2A", "2B", "99", "2A", "2B", "99"]
    start, span = date(1930, 1, 1), (date(2020, 12, 31) - date(1930, 1, 1)).days
    patients: list[_Person] = []
    for i in range(1, n + 1):
        sex = "F" if rng.random() < 0.52 else "M"
        while True:
            last = rng.choice(last_names)
            first = rng.choice(first_f if sex == "F" else first_m)
            # Older people are over-represented in a hospital.
            birth = start + timedelta(days=int(span * rng.betavariate(1.6, 1.3)))
            key = (fold_name(last), fold_name(first), birth)
            if key not in reg.identities:
                break
        reg.identities.add(key)
        reg.name_pairs.add(key[:2])
        p = _Person(f"P{i:06d}", "PATIENT", last, first, sex, birth)
        place = _birth_place(rng, birth.year)
        if forced_places and (forced_places[0] == "99" or birth.year >= 1976):
            forced = forced_places.pop(0)
            place = forced + (rng.choice(_COUNTRY_CODES) if forced == "99"
                              else f"{rng.randint(1, 366):03d}")
            p.nir_must_show = True
        while True:
            nir = make_nir(sex, birth.year, birth.month, place, rng.randint(1, 999))
            if nir not in reg.nirs:
                break
        reg.nirs.add(nir)
        p.nir = nir
        while True:
            ipp = str(rng.randrange(10_000_000, 100_000_000))
            if ipp not in reg.ipps:
                break
        reg.ipps.add(ipp)
        p.ipp = ipp
        if rng.random() < 0.78:
            p.mobile = reg.phone(rng, mobile=True)
        if rng.random() < 0.35 or (p.mobile is None and rng.random() < 0.7):
            p.landline = reg.phone(rng, mobile=False)
        if rng.random() < 0.4 and p.age_at(REFERENCE_DATE) >= 14:
            p.email = _patient_email(rng, reg, p)
        p.street = fake.street_address()
        p.postal_code, p.city, _ = rng.choices(_COMMUNES, weights=_COMMUNE_WEIGHTS)[0]
        account = f"{rng.randrange(10**11):011d}"
        p.iban = make_fr_iban(rng.choice(_BANK_CODES), f"{rng.randrange(100000):05d}", account)
        patients.append(p)
    return patients


def _make_staff(n: int, rng: random.Random, fake: Faker, reg: _Registry) -> list[_Person]:
    persons = fake.provider("faker.providers.person")
    last_names = tuple(persons.last_names) + _EXTRA_LAST_NAMES
    staff: list[_Person] = []
    for i in range(1, n + 1):
        sex = "F" if rng.random() < 0.75 else "M"
        firsts = (tuple(persons.first_names_female) + _EXTRA_FIRST_NAMES_F if sex == "F"
                  else tuple(persons.first_names_male) + _EXTRA_FIRST_NAMES_M)
        while True:  # a staff member's name is shared with nobody, patient or staff
            last, first = rng.choice(last_names), rng.choice(firsts)
            pair = (fold_name(last), fold_name(first))
            if pair not in reg.name_pairs:
                break
        reg.name_pairs.add(pair)
        reg.identities.add((*pair, None))
        p = _Person(f"S{i:05d}", "STAFF", last, first, sex)
        job = rng.choices([j[0] for j in _STAFF_JOBS], weights=[j[1] for j in _STAFF_JOBS])[0]
        services = next(j[2] for j in _STAFF_JOBS if j[0] == job) or _CARE_SERVICES
        p.job, p.service = job, rng.choice(services)
        while True:
            ext = str(rng.randint(2000, 7999))
            if ext not in reg.extensions:
                break
        reg.extensions.add(ext)
        p.extension = ext
        local = (f"{email_slug(first, keep_hyphens=True)}."
                 f"{email_slug(last, keep_hyphens=False)}")
        p.email = reg.email(local, STAFF_EMAIL_DOMAIN)
        if rng.random() < 0.45:
            p.mobile = reg.phone(rng, mobile=True)
        staff.append(p)
    return staff


# ------------------------------------------------------------------------------ the exposures


class _Ledger:
    """Records, as the files are written, who appears where and the findings to expect."""

    def __init__(self) -> None:
        self.findings: dict[str, set[tuple[str, str]]] = defaultdict(set)
        self.people_by_file: dict[str, set[str]] = defaultdict(set)
        self.decoys: list[Decoy] = []

    def expose(
        self,
        p: _Person,
        file: str,
        *,
        birth: bool = False,
        phone: str | None = None,
        email: str | None = None,
        nir: str | None = None,
        iban: str | None = None,
        address: bool = False,
        unit: str | None = None,
        health: bool = False,
        reasons: Iterable[str | None] = (),
    ) -> None:
        """``p`` appears in ``file`` (by name) with the given values shown; ``unit`` is a care
        unit's label (health, sensitive by :data:`SENSITIVE_UNITS`), ``health`` other health
        data about them, ``reasons`` the sensitive care it shows (``None`` items ignored)."""
        p.files.add(file)
        p.categories.add("IDENTITY")
        self.people_by_file[file].add(p.truth_id)
        found = self.findings[file]
        if birth:
            assert p.birth_date is not None
            p.shown_birth = True
            found.add(("BIRTH_DATE", p.birth_date.isoformat()))
        if phone:
            p.shown_phones.add(phone)
            p.categories.add("CONTACT")
            found.add(("PHONE", phone))
        if email:
            email = email.lower()
            p.shown_emails.add(email)
            p.categories.add("CONTACT")
            found.add(("EMAIL", email))
        if nir:
            p.shown_nir = True
            p.categories.add("NATIONAL_ID")
            found.add(("NIR", nir))
        if iban:
            p.shown_ibans.add(iban)
            p.categories.add("FINANCIAL")
            found.add(("IBAN", iban))
        if address:
            p.shown_address = True
            p.categories.add("CONTACT")
        if unit:
            p.categories.add("HEALTH")
            if unit in SENSITIVE_UNITS:
                p.reasons.add(f"unit:{unit}")
        self.health(p, health, reasons)

    def health(self, p: _Person, health: bool, reasons: Iterable[str | None]) -> None:
        shown = {r for r in reasons if r}
        assert p.role == "PATIENT" or not (health or shown), "staff get no care"
        if health:
            p.categories.add("HEALTH")
        p.reasons.update(shown)

    def link(self, p: _Person, file: str, reasons: Iterable[str | None] = ()) -> None:
        """A row of ``file`` about ``p`` that names them not: reached through a key (the IPP
        of a split export's child file). It shows health data."""
        p.linked_files.add(file)
        self.health(p, True, reasons)

    def finding(self, file: str, entity: str, value: str) -> None:
        self.findings[file].add((entity, value))

    def decoy(self, file: str, entity: str, value: str, reason: str) -> None:
        self.decoys.append(Decoy(file, entity, value, reason))


@dataclass(slots=True)
class _Plan:
    """Which patients go in which file."""

    admissions: list[_Person]
    sheet_patients: list[_Person]
    billing: list[_Person]
    dpi: list[_Person]
    emergencies: list[_Person]
    notes: list[_Person]


def _plan(patients: list[_Person], rng: random.Random) -> _Plan:
    plan = _Plan([], [], [], [], [], [])
    for p in patients:
        chosen = False
        for bucket, probability in (
            (plan.admissions, 0.70), (plan.sheet_patients, 0.35), (plan.billing, 0.12),
            (plan.dpi, 0.30), (plan.emergencies, 0.18),
        ):
            if rng.random() < probability:
                bucket.append(p)
                chosen = True
        if p.nir_must_show and p not in plan.sheet_patients:
            plan.sheet_patients.append(p)
            chosen = True
        if not chosen:
            plan.admissions.append(p)
    adults = [p for p in plan.emergencies if p.age_at(date(2022, 6, 1)) >= 18]
    plan.notes = rng.sample(adults, min(5, len(adults)))
    return plan


# ------------------------------------------------------------------------------ file writers


_random_day = random_day
_csv_text = csv_text
_zip = zip_bytes


def _admissions_csv(plan: _Plan, rng: random.Random, ledger: _Ledger) -> tuple[bytes, list]:
    """The admissions export; returns its bytes and, for the copy in the archive, the exposures
    (person, keyword arguments) of each row."""
    rows: list[tuple[date, str, list[str], _Person, dict]] = []
    for p in plan.admissions:
        for _ in range(rng.choices((1, 2, 3, 4), weights=(60, 25, 10, 5))[0]):
            day = _random_day(rng, date(2023, 1, 1), date(2023, 12, 31))
            unit = _weighted(rng, _ADMISSION_UNITS, p.sex, p.age_at(day))
            phone = rng.choice(p.phones) if p.phones and rng.random() < 0.92 else None
            assert p.birth_date is not None
            cells = [
                p.ipp or "", p.last_name.upper(), p.first_name, f"{p.birth_date:%d/%m/%Y}",
                p.sex or "", p.street or "", p.postal_code or "", p.city or "",
                format_phone(phone, rng.choice(PHONE_STYLES)) if phone else "",
                f"{day:%d/%m/%Y}", unit,
            ]
            exposure = {"birth": True, "phone": phone, "address": True, "unit": unit}
            rows.append((day, p.ipp or "", cells, p, exposure))
    rows.sort(key=lambda r: (r[0], r[1]))
    header = ["IPP", "NOM", "PRENOM", "DATE_NAISS", "SEXE", "ADRESSE", "CP", "VILLE", "TEL",
              "DATE_ENTREE", "SERVICE"]
    title = f"Extraction admissions {HOSPITAL} du {REFERENCE_DATE:%d/%m/%Y}\r\n\r\n"
    text = title + _csv_text([header] + [r[2] for r in rows], ";", "\r\n")
    exposures = [(r[3], r[4]) for r in rows]
    for person, exposure in exposures:
        ledger.expose(person, ADMISSIONS, **exposure)
    return text.encode("cp1252"), exposures


def _styled_email(email: str, rng: random.Random) -> str:
    """Some people type their address with capitals; the truth keeps it lower case."""
    if rng.random() >= 0.15:
        return email
    local, domain = email.split("@")
    return ".".join(part.capitalize() for part in local.split(".")) + "@" + domain.capitalize()


def _repack_zip(data: bytes, date_time: tuple[int, ...]) -> bytes:
    return repack_zip(data, date_time)


def _patients_xlsx(plan: _Plan, rng: random.Random, ledger: _Ledger) -> bytes:
    wb = Workbook()
    wb.properties.creator = "Bureau des admissions"
    wb.properties.created = _XLSX_TIME
    ws = wb.active
    ws.title = "Patients"
    ws["A1"] = "Centre Hospitalier — liste patients"
    ws["A3"] = f"Extraction du {REFERENCE_DATE:%d/%m/%Y} — usage interne"
    ws.append(["N° Sécu", "Nom", "Prénom", "Né(e) le", "Téléphone portable", "Email"])
    candidates = [p for p in plan.sheet_patients if not p.nir_must_show]
    n_decoys = min(len(candidates), 3 + len(plan.sheet_patients) // 300)
    decoyed = {p.truth_id for p in rng.sample(candidates, n_decoys)}
    people = sorted(plan.sheet_patients,
                    key=lambda p: (fold_name(p.last_name), fold_name(p.first_name), p.truth_id))
    for row, p in enumerate(people, start=5):
        assert p.nir is not None and p.birth_date is not None
        nir = corrupt_nir_key(p.nir) if p.truth_id in decoyed else p.nir
        mobile = p.mobile if rng.random() < 0.9 else None
        email = p.email if rng.random() < 0.85 else None
        ws.append([
            format_nir(nir, spaced=rng.random() < 0.5), p.last_name, p.first_name, p.birth_date,
            format_phone(mobile, rng.choice(("spaced", "compact", "international")))
            if mobile else None,
            _styled_email(email, rng) if email else None,
        ])
        ws.cell(row, 4).number_format = "DD/MM/YYYY"  # ws.max_row is slow: count rows
        if p.truth_id in decoyed:
            ledger.decoy(PATIENTS_XLSX, "NIR", nir, "wrong key")
        ledger.expose(p, PATIENTS_XLSX, birth=True, phone=mobile, email=email,
                      nir=None if p.truth_id in decoyed else nir)
    for column, width in zip("ABCDEF", (24, 20, 18, 12, 20, 34), strict=True):
        ws.column_dimensions[column].width = width

    billing = wb.create_sheet("Facturation")
    billing.append(["IPP", "Nom", "Prénom", "Date de naissance", "IBAN"])
    bad = rng.randrange(len(plan.billing)) if plan.billing else -1
    for i, p in enumerate(sorted(plan.billing, key=lambda p: p.ipp or "")):
        assert p.iban is not None and p.birth_date is not None
        iban = corrupt_iban(p.iban) if i == bad else p.iban
        billing.append([p.ipp, p.last_name, p.first_name, f"{p.birth_date:%d/%m/%Y}",
                        format_iban(iban, spaced=rng.random() < 0.6)])
        if i == bad:
            ledger.decoy(PATIENTS_XLSX, "IBAN", iban, "wrong check digits")
        ledger.expose(p, PATIENTS_XLSX, birth=True, iban=None if i == bad else iban)
    buffer = io.BytesIO()
    wb.save(buffer)
    return _repack_zip(buffer.getvalue(), _XLSX_TIME.timetuple()[:6])


def _annuaire_csv(staff: list[_Person], rng: random.Random, ledger: _Ledger) -> bytes:
    """The HR directory: a service (and its unit code) is a workplace, never care."""
    rows = [["Matricule", "Nom", "Prénom", "Fonction", "Service", "UF", "Poste", "Téléphone",
             "Email"]]
    for p in sorted(staff, key=lambda p: (p.service or "", fold_name(p.last_name), p.truth_id)):
        phone = format_phone(p.mobile, rng.choice(("spaced", "international"))) if p.mobile else ""
        rows.append([p.matricule or "", p.last_name, p.first_name, p.job or "", p.service or "",
                     STAFF_SERVICE_UNITS.get(p.service or "", ""), p.extension or "", phone,
                     p.email or ""])
        ledger.expose(p, ANNUAIRE, phone=p.mobile, email=p.email)
    return _csv_text(rows, ",", "\n").encode("utf-8-sig")


def _dpi_json(plan: _Plan, rng: random.Random, ledger: _Ledger) -> bytes:
    records = []
    for p in sorted(plan.dpi, key=lambda p: p.ipp or ""):
        assert p.birth_date is not None
        nir = p.nir if rng.random() < 0.85 or p.nir_must_show else None
        phone = rng.choice(p.phones) if p.phones else None
        email = p.email if rng.random() < 0.8 else None
        first_day = max(date(2019, 1, 1), p.birth_date)
        stays = []
        for _ in range(rng.choices((1, 2, 3), weights=(60, 30, 10))[0]):
            day = _random_day(rng, first_day, REFERENCE_DATE - timedelta(days=1))
            stays.append((day, _weighted(rng, _ADMISSION_UNITS, p.sex, p.age_at(day))))
        stays.sort()
        records.append({
            "ipp": p.ipp,
            "nom": p.last_name.upper(),
            "prenom": p.first_name,
            "date_naissance": p.birth_date.isoformat(),
            "nir": nir,
            "contact": {
                "tel": format_phone(phone, rng.choice(("international", "spaced")))
                if phone else None,
                "email": email,
            },
            "sejours": [{"date_entree": d.isoformat(), "unite": u} for d, u in stays],
        })
        ledger.expose(p, DPI_JSON, birth=True, nir=nir, phone=phone, email=email)
        for _, unit in stays:
            ledger.expose(p, DPI_JSON, unit=unit)
    document = {
        "export": {
            "source": "DPI — module consultations",
            "etablissement": HOSPITAL,
            "date_extraction": f"{REFERENCE_DATE:%Y-%m-%d}T02:31:07",
            "version_schema": "2.3",
            "nb_patients": len(records),
        },
        "patients": records,
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _urgences_tsv(plan: _Plan, rng: random.Random, ledger: _Ledger) -> tuple[bytes, dict]:
    """The 2022 emergency register; returns its bytes and each patient's first visit."""
    rows = []
    for p in plan.emergencies:
        assert p.birth_date is not None
        for _ in range(rng.choices((1, 2), weights=(80, 20))[0]):
            day = _random_day(rng, max(date(2022, 1, 1), p.birth_date), date(2022, 12, 30))
            when = datetime(day.year, day.month, day.day, rng.randrange(24), rng.randrange(60))
            unit = _weighted(rng, _EMERGENCY_UNITS, p.sex, p.age_at(day))
            phone = rng.choice(p.phones) if p.phones and rng.random() < 0.85 else None
            rows.append((when, p, unit, phone))
    rows.sort(key=lambda r: (r[0], r[1].truth_id))
    lines = ["Nom\tPrénom\tDate de naissance\tTéléphone\tDate passage\tUnité"]
    first_visit: dict[str, datetime] = {}
    for when, p, unit, phone in rows:
        assert p.birth_date is not None
        lines.append("\t".join((
            p.last_name.upper(), p.first_name, f"{p.birth_date:%d/%m/%Y}",
            format_phone(phone, rng.choice(PHONE_STYLES)) if phone else "",
            f"{when:%d/%m/%Y %H:%M}", unit,
        )))
        first_visit.setdefault(p.truth_id, when)
        ledger.expose(p, URGENCES_TSV, birth=True, phone=phone, unit=unit)
    return ("\r\n".join(lines) + "\r\n").encode("utf-16"), first_visit


def _notes_txt(plan: _Plan, first_visit: dict, rng: random.Random, ledger: _Ledger) -> bytes:
    """Nursing notes: prose naming patients with a birth cue, a phone, an e-mail, and dates
    that are not birth dates (visits, follow-ups)."""
    out = [
        "CAHIER DE TRANSMISSIONS — URGENCES ADULTES",
        "Export du logiciel de soins, sauvegarde du 31/12/2022",
        "Document interne — ne pas diffuser",
        "",
    ]
    notes = sorted(plan.notes, key=lambda p: first_visit[p.truth_id])
    for i, p in enumerate(notes):
        assert p.birth_date is not None
        when = first_visit[p.truth_id]
        b = p.birth_date
        female = p.sex == "F"
        civ, ne = ("Mme", "née") if female else ("M.", "né")
        name = f"{civ} {p.last_name.upper()} {p.first_name}"
        words = french_date_words(b.day, b.month, b.year)
        identity = (
            f"{name}, {ne} le {words},",
            f"{name} ({ne} le {words})",
            f"{civ} {p.first_name} {p.last_name.upper()}, DDN : {b:%d/%m/%Y},",
            f"{name}, date de naissance : {words},",
            f"{name}, {ne} le {b:%d/%m/%Y},",
        )[i % 5]
        arrival = rng.choice(("arrivé{e} par les pompiers", "adressé{e} par son médecin",
                              "venu{e} par ses propres moyens"))
        arrival = arrival.format(e="e" if female else "")
        lines = [
            f"{when:%d/%m/%Y} {when:%H}h{when:%M} — équipe de {'nuit' if when.hour < 7 or when.hour >= 21 else 'jour'}",  # noqa: E501
            f"{identity} {arrival} pour {rng.choice(_MOTIFS)}.",
            rng.choice(_CARE),
        ]
        phone = rng.choice(p.phones) if p.phones else None
        if phone:
            who = "Patiente" if female else "Patient"
            lines.append(f"{who} joignable au {format_phone(phone, rng.choice(PHONE_STYLES))}.")
        if p.email:
            lines.append(f"Souhaite recevoir le compte rendu par mail : {p.email}.")
        if not phone and not p.email:
            lines.append("Pas de coordonnées à jour dans le dossier, à compléter par l'accueil.")
        follow = when.date() + timedelta(days=rng.randint(1, 20))
        lines.append(rng.choice((
            f"Contrôle prévu le {follow:%d/%m/%Y} à 8h.",
            f"Sortie prévue le {french_date_words(follow.day, follow.month, follow.year)}.",
            f"RDV de consultation le {french_date_words(follow.day, follow.month, follow.year)}"
            " avec le Dr en charge.",
        )))
        out.extend([*lines, ""])
        ledger.expose(p, NOTES, birth=True, phone=phone, email=p.email, unit="Urgences")
    out.extend([
        "31/12/2022 07h00 — relève",
        "Service calme, trois patients en attente de lit d'aval. RAS.",
        "Prochain inventaire de la pharmacie le 02/01/2023, réunion d'équipe le 5 janvier 2023.",
        "",
    ])
    return "\n".join(out).encode("utf-8")


_TEMPLATE_TEXT = """\
CENTRE HOSPITALIER D'ARMENTIÈRES
Bureau des admissions

«CIVILITE» «NOM» [PRENOM]
«ADRESSE»
«CP» «VILLE»

Armentières, le «DATE_COURRIER»

Objet : votre séjour du «DATE_ENTREE» — service «SERVICE»
Dossier n° [IPP]

«CIVILITE»,

Suite à votre séjour dans notre établissement, nous vous prions de bien vouloir nous retourner
les pièces manquantes à votre dossier administratif (attestation de droits, carte de mutuelle).

Date de naissance : «DATE_NAISSANCE»
N° de sécurité sociale : «NIR»

Pour toute question, le secrétariat est joignable au [TEL_SERVICE] du lundi au vendredi,
de 9h à 17h, ou par courriel à l'adresse [EMAIL_SERVICE].

Veuillez agréer, «CIVILITE», l'expression de nos salutations distinguées.

Le Directeur
"""

_PLANNING_TEXT = """\
Plannings des équipes soignantes
================================

Les plannings sont exportés chaque semaine depuis le logiciel de gestion du temps de travail.
Dernière mise à jour : 05/02/2024.

- Un fichier par pôle et par mois (format tableur).
- Les échanges de poste passent par le cadre de santé, pas par modification du fichier.
- Problème d'accès : contacter la DRH (poste 4100) ou le support informatique (poste 4242).
"""


# ------------------------------------------------------------------------------ entry point


def _truth_person(p: _Person) -> TruthPerson:
    return TruthPerson(
        truth_id=p.truth_id,
        role=p.role,
        last_name=p.last_name,
        first_name=p.first_name,
        birth_date=p.birth_date.isoformat() if p.birth_date and p.shown_birth else None,
        nir=p.nir if p.shown_nir else None,
        phones=sorted(p.shown_phones),
        emails=sorted(p.shown_emails),
        postal_code=p.postal_code if p.shown_address else None,
        city=p.city if p.shown_address else None,
        categories=[c for c in CATEGORY_ORDER if c in p.categories],
        files=sorted(p.files),
        ibans=sorted(p.shown_ibans),
        sensitive=p.sensitive,
        sensitive_reasons=sorted(p.reasons),
        linked_files=sorted(p.linked_files - p.files),
    )


@dataclass(slots=True)
class _Shapes:
    """Patients kept out of the legacy files: known only from the GAP backup, the split
    exports, the pharmacy dump or a letter."""

    gap_only: list[_Person]
    split_only: list[_Person]
    pharma_only: list[_Person]
    letter_only: list[_Person]

    @property
    def carved(self) -> set[str]:
        return {p.truth_id for group in (self.gap_only, self.split_only, self.pharma_only,
                                         self.letter_only) for p in group}


def _adult(p: _Person) -> bool:
    return p.age_at(date(2023, 1, 1)) >= 18


def _carve(patients: list[_Person], rng: random.Random) -> _Shapes:
    n = len(patients)
    pool = [p for p in patients if not p.nir_must_show]
    rng.shuffle(pool)
    taken: set[str] = set()

    def take(k: int, keep=lambda p: True) -> list[_Person]:
        chosen = [p for p in pool if p.truth_id not in taken and keep(p)][:k]
        taken.update(p.truth_id for p in chosen)
        return chosen

    return _Shapes(
        gap_only=take(round(n * 0.12)),
        split_only=take(round(n * 0.05)),
        pharma_only=take(round(n * 0.02), _adult),
        letter_only=take(min(20, round(n * 0.03))),
    )


def _sample(rng: random.Random, people: list[_Person], share: float) -> list[_Person]:
    return rng.sample(people, min(len(people), round(len(people) * share)))


def _relational_shapes(
    shapes: _Shapes, legacy: list[_Person], staff: list[_Person], rng: random.Random,
    reg: _Registry, ledger: _Ledger,
) -> Relational:
    """The GAP backup, the pharmacy dump, the split exports and the letters."""
    out = Relational()
    gap = shapes.gap_only + _sample(rng, legacy, 0.35)
    gap_backup(gap, rng, reg, ledger, out)
    split = shapes.split_only + _sample(rng, legacy, 0.10) + _sample(rng, shapes.gap_only, 0.15)
    split_exports(split, rng, reg, ledger, out)
    others = [p for p in legacy + shapes.gap_only if _adult(p)]
    pharma = [(p, retrocession_drug(rng, i % 2 == 0))
              for i, p in enumerate(shapes.pharma_only)]
    pharma += [(p, retrocession_drug(rng, rng.random() < 0.5))
               for p in _sample(rng, others, 0.04)]
    pharmacy_dump(pharma, rng, ledger, out)
    n_more = min(40 - len(shapes.letter_only), round((len(legacy) + len(shapes.gap_only)) * 0.05))
    letters = [(p, rng.random() < 0.65) for p in shapes.letter_only]
    letters += [(p, rng.random() < 0.5)
                for p in rng.sample(legacy + shapes.gap_only,
                                    min(n_more, len(legacy) + len(shapes.gap_only)))]
    doctors = [p for p in staff if p.job == "Médecin"]
    written = write_letters(letters, doctors, rng, reg, ledger)
    out.contents.update(written)
    out.leaves += sorted(written)
    return out


def generate_leak(
    out_dir: Path, *, seed: int = 7, n_patients: int = 300, n_staff: int = 40
) -> Truth:
    """Write a synthetic hospital leak to ``out_dir / "leak"`` and its ground truth to
    ``out_dir / "truth.json"``; return the truth.

    ``n_patients`` counts every patient: most are in the legacy files (admissions, the NIR
    workbook, the DPI JSON, the emergency register, notes), some only in the relational shapes
    (the GAP backup, the split exports, the pharmacy dump) or in a letter.

    Files already in ``out_dir / "leak"`` are overwritten when the generator writes the same
    path, never deleted otherwise. The result depends on the arguments only.
    """
    if n_patients < 0 or not 0 <= n_staff <= 5000:
        raise ValueError("n_patients must be >= 0 and n_staff between 0 and 5000")
    out_dir = Path(out_dir)
    leak = out_dir / "leak"
    rng = random.Random(seed)
    fake = Faker("fr_FR")
    fake.seed_instance(seed)

    reg = _Registry()
    patients = _make_patients(n_patients, rng, fake, reg)
    staff = _make_staff(n_staff, rng, fake, reg)
    # The relational shapes draw from their own generator, seeded by the seed.
    rng2 = random.Random(f"breachscope-demo-relational-{seed}")
    if staff and not any(p.job == "Médecin" for p in staff):
        staff[0].job = "Médecin"  # someone signs the letters
        if staff[0].service not in _CARE_SERVICES:
            staff[0].service = "Médecine polyvalente"
    matricules = rng2.sample(range(1000, 100_000), len(staff))
    for p, number in zip(staff, matricules, strict=True):
        p.matricule = f"M{number:05d}"
    shapes = _carve(patients, rng2)
    legacy = [p for p in patients if p.truth_id not in shapes.carved]
    plan = _plan(legacy, rng)
    ledger = _Ledger()

    admissions, admission_rows = _admissions_csv(plan, rng, ledger)
    for person, exposure in admission_rows:  # the same bytes again, inside the backup
        ledger.expose(person, ARCHIVE_ADMISSIONS, **exposure)
    workbook = _patients_xlsx(plan, rng, ledger)
    annuaire = _annuaire_csv(staff, rng, ledger)
    dpi = _dpi_json(plan, rng, ledger)
    urgences, first_visit = _urgences_tsv(plan, rng, ledger)
    notes = _notes_txt(plan, first_visit, rng, ledger)
    inner = _zip([("urgences_2022.tsv", urgences)], _ARCHIVE_TIME)
    outer = _zip([
        ("exports/admissions_2023.csv", admissions),
        ("exports/urgences_2022.zip", inner),
        ("notes/transmissions.txt", notes),
    ], _ARCHIVE_TIME)
    relational = _relational_shapes(shapes, legacy, staff, rng2, reg, ledger)

    contents = {
        ADMISSIONS: admissions,
        PATIENTS_XLSX: workbook,
        ANNUAIRE: annuaire,
        DPI_JSON: dpi,
        ARCHIVE: outer,
        TEMPLATE: _TEMPLATE_TEXT.encode("utf-8"),
        PLANNING: _PLANNING_TEXT.encode("utf-8"),
        **relational.contents,
    }
    for relative, content in contents.items():
        path = leak / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)

    people = [_truth_person(p) for p in patients + staff if p.files]
    findings = sorted(
        TruthFinding(file, entity, value)
        for file, found in ledger.findings.items()
        for entity, value in found
    )
    leaf_files = (ADMISSIONS, PATIENTS_XLSX, ANNUAIRE, DPI_JSON, ARCHIVE_ADMISSIONS,
                  URGENCES_TSV, NOTES, TEMPLATE, PLANNING, *relational.leaves)
    files = [TruthFile(f, False, len(ledger.people_by_file[f]), len(ledger.findings[f]))
             for f in leaf_files]
    files += [TruthFile(f, True, 0, 0)
              for f in (ARCHIVE, URGENCES_ZIP, *relational.containers)]
    truth = Truth(
        seed=seed,
        reference_date=REFERENCE_DATE.isoformat(),
        people=people,
        findings=findings,
        decoys=sorted(ledger.decoys),
        files=sorted(files, key=lambda f: f.file),
        duplicates={ARCHIVE_ADMISSIONS: ADMISSIONS},
        orphan_rows=sorted(relational.orphans),
        key_links=list(KEY_LINKS),
        units=[TruthUnit(u.code, u.label, u.sensitive, u.in_table,
                         UNIT_TABLE if u.in_table else None) for u in UNITS],
    )
    truth.save(out_dir / "truth.json")
    return truth
