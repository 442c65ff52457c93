"""Masking file names and locations that hold identifiers, for everything that leaves the team.

A leaked dump is named by the people who made it: ``liste_VIH_DUPONT_Marie_1954-03-12.csv``
names a patient, her birth date and her diagnosis. The report and ``summary.json`` claim to hold
no identifier, so every path they print goes through :func:`mask_path` with the values the case
knows (:func:`known_values`): a person's last or first name, birth date in any common form, NIR,
phone, e-mail. Only the parts of a path component that match a known value are masked (with the
masks of :mod:`breachscope.masking`), so ``exports/patients.csv`` stays readable.

Matching is by tokens, not by substrings, so a short first name does not mask every word that
contains it: a name matches a whole word (accents and case folded), a number matches when its
digits (separators ``-./_`` and spaces removed) contain a known number, an e-mail when the
component contains it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from breachscope.masking import mask_email, mask_name, mask_partial

# Names shorter than this are not masked alone: "Li", "Al" or "Le" would hit ordinary words.
MIN_NAME = 3
# Lengths of the numbers looked for inside a run of digits: dates (8), phones without and with
# their leading 0 or country code (9, 10, 11), NIR without and with its key (13, 15).
NUMBER_LENGTHS = (8, 9, 10, 11, 13, 15)

_WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?", re.UNICODE)
_NUMBER_RE = re.compile(r"\+?\d(?:[\d .\-_/]*\d)?")


def fold(text: str) -> str:
    """Lower case without accents (``Hélène`` → ``helene``)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def date_forms(iso: str) -> set[str]:
    """The digit strings of a birth date written the usual ways (``1954-03-12`` →
    ``19540312``, ``12031954``, ``03121954``). Separators are dropped before comparing. Short
    years (``120354``) are left out: with many people, six digits would match most numbers."""
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", iso.strip())
    if not m:
        return set()
    y, mo, d = m.groups()
    return {y + mo + d, d + mo + y, mo + d + y}


def phone_forms(phone: str) -> set[str]:
    """``+33612345678`` → ``33612345678``, ``0612345678``, ``612345678``."""
    digits = re.sub(r"\D", "", phone)
    if not digits:
        return set()
    forms = {digits}
    if digits.startswith("33") and len(digits) == 11:
        forms |= {"0" + digits[2:], digits[2:]}
    elif digits.startswith("0") and len(digits) == 10:
        forms |= {"33" + digits[1:], digits[1:]}
    return forms


@dataclass
class KnownValues:
    """The identifiers of a case, in the forms :func:`mask_path` compares. With ``only`` (the
    candidates of the texts to mask, :func:`candidates`), a value is kept only when it is one
    of them: a case of a million people is read through, but not held in memory."""

    names: set[str] = field(default_factory=set)  # folded words
    numbers: set[str] = field(default_factory=set)  # digits only
    emails: set[str] = field(default_factory=set)  # lower case
    only: KnownValues | None = None

    def _keep(self, bucket: str, values: Iterable[str]) -> None:
        values = set(values)
        if self.only is not None:
            values &= getattr(self.only, bucket)
        getattr(self, bucket).update(values)

    def add_name(self, name: str | None) -> None:
        words = _WORD_RE.findall(name or "")
        words += [part for w in words for part in re.split(r"['’]", w)]  # L'Hôte: also Hôte
        self._keep("names", (fold(w) for w in words if len(w) >= MIN_NAME))

    def add_birth_date(self, day: str | None) -> None:
        self._keep("numbers", date_forms(day or ""))

    def add_nir(self, nir: str | None) -> None:
        digits = re.sub(r"[\s.\-]", "", nir or "").upper()
        if len(digits) >= 13:
            self._keep("numbers", (digits, digits[:13]))

    def add_phone(self, phone: str | None) -> None:
        self._keep("numbers", (f for f in phone_forms(phone or "") if len(f) >= 9))

    def add_email(self, email: str | None) -> None:
        if email and "@" in email:
            self._keep("emails", (email.strip().lower(),))

    def __bool__(self) -> bool:
        return bool(self.names or self.numbers or self.emails)


def candidates(texts: Iterable[str]) -> KnownValues:
    """What in ``texts`` could be an identifier: their words, the numbers of every length
    compared inside their runs of digits, and the e-mail-like parts (each start of the local
    part after a separator, each end of the domain at a dot)."""
    cand = KnownValues()
    for text in texts:
        if not text:
            continue
        cand.names |= {fold(w) for w in _WORD_RE.findall(text) if len(w) >= MIN_NAME}
        for run in _NUMBER_RE.findall(text):
            digits = re.sub(r"\D", "", run)
            cand.numbers |= {digits[i:i + n] for n in NUMBER_LENGTHS
                             for i in range(len(digits) - n + 1)}
        for m in re.finditer(r"([\w.+\-]+)@([\w.\-]+)", text.lower()):
            local, domain = m.groups()
            starts = [0] + [i + 1 for i, c in enumerate(local) if not c.isalnum()]
            ends = [j for j, c in enumerate(domain) if c == "."] + [len(domain)]
            cand.emails |= {f"{local[a:]}@{domain[:b]}" for a in starts for b in ends
                            if "." in domain[:b]}
    return cand


BATCH = 50_000


def known_values(case, texts: Iterable[str] | None = None) -> KnownValues:
    """The identifiers the case holds: people (names, birth date, NIR, phones, e-mails) and the
    identifying findings (a name found in a letter but not linked to a person still masks).
    With ``texts`` (the paths and reasons to print), only those that occur in them."""
    known = KnownValues(only=candidates(texts) if texts is not None else None)
    db = case.db
    cursor = db.execute(
        "SELECT last_name, first_name, birth_date, nir, phones, emails FROM people")
    while rows := cursor.fetchmany(BATCH):
        for last, first, birth, nir, phones, emails in rows:
            known.add_name(last)
            known.add_name(first)
            known.add_birth_date(birth)
            known.add_nir(nir)
            for phone in phones or ():
                known.add_phone(phone)
            for email in emails or ():
                known.add_email(email)
    adders = {"LAST_NAME": known.add_name, "FIRST_NAME": known.add_name,
              "PERSON": known.add_name, "BIRTH_DATE": known.add_birth_date,
              "NIR": known.add_nir, "PHONE": known.add_phone, "EMAIL": known.add_email}
    entities = ", ".join(f"'{e}'" for e in adders)
    cursor = db.execute(
        f"SELECT DISTINCT entity, value FROM findings WHERE entity IN ({entities})")
    while rows := cursor.fetchmany(BATCH):
        for entity, value in rows:
            adders[entity](value)
    known.only = None
    return known


def _number_is_known(run: str, known: KnownValues) -> bool:
    digits = re.sub(r"\D", "", run)
    for n in NUMBER_LENGTHS:
        for i in range(0, len(digits) - n + 1):
            if digits[i:i + n] in known.numbers:
                return True
    return False


def mask_text(text: str, known: KnownValues) -> str:
    """``text`` with every known identifier in it masked (names, numbers, e-mails)."""
    if not text or not known:
        return text
    lower = text.lower()
    for email in known.emails:
        start = lower.find(email)
        while start >= 0:
            text = text[:start] + mask_email(text[start:start + len(email)]) + \
                text[start + len(email):]
            lower = text.lower()
            start = lower.find(email, start + 1)
    text = _NUMBER_RE.sub(
        lambda m: mask_partial(m.group(0)) if _number_is_known(m.group(0), known)
        else m.group(0), text)
    return _WORD_RE.sub(
        lambda m: mask_name(m.group(0)) if fold(m.group(0)) in known.names else m.group(0),
        text)


def mask_path(path: str, known: KnownValues | Iterable[str]) -> str:
    """``path`` with each component (``/`` and archive ``!`` separators kept) masked where it
    holds a known identifier. ``known`` is a :class:`KnownValues`, or plain values (names,
    dates ``YYYY-MM-DD``, NIR, phones, e-mails) sorted out here for a caller without a case."""
    if not isinstance(known, KnownValues):
        known = values_from(known)
    parts = re.split(r"([/\\!])", path)
    return "".join(p if p in ("/", "\\", "!") else mask_text(p, known) for p in parts)


def values_from(values: Iterable[str]) -> KnownValues:
    """Plain values sorted out by their look: an e-mail, an ISO date, a NIR (13 or 15 digits),
    a phone (other digits), else a name."""
    known = KnownValues()
    for value in values:
        v = (value or "").strip()
        digits = re.sub(r"[\s.\-+]", "", v)
        if "@" in v:
            known.add_email(v)
        elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
            known.add_birth_date(v)
        elif re.fullmatch(r"[12]\d{4}[0-9AB]\d{7}(?:\d{2})?", digits, re.IGNORECASE):
            known.add_nir(digits)
        elif digits.isdigit():
            known.add_phone(v)
        else:
            known.add_name(v)
    return known
