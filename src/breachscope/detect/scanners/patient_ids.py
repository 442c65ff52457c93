"""Hospital identifiers in prose, after their cue: the patient's IPP (``PATIENT_ID``) and the
stay number, NDA (``STAY_ID``).

These numbers have no checksum and no fixed shape (each hospital numbers its own patients), so
only a cue makes them: ``IPP : 8012939402``, ``N° IPP``, ``NIP``, ``Identification du patient
(IPP) :``, ``l'IPP étant le``, ``référence interne de la patiente :`` (patient); ``NDA``,
``N° de séjour``, ``N° de venue``, ``Identifiant de la visite``, ``Dossier N°`` (stay). The
value is kept as found (digits and letters, ``N11232344``, ``42bg98765``), and must hold at
least four digits (six after a weak cue such as ``dossier`` or ``ID``). The confidence follows
the cue: 0.9 for ``IPP``/``NDA``/``séjour``, 0.75 for a described cue, 0.6 for a weak one.

Patient lists written as rows (``DUPONT Marie | F | 12/03/1954 | 9056297478 | 1298947650``):
the field after the sex and birth date fields is the IPP, the next one the NDA (0.6); when the
sex field is missing or garbled, a birth-date field followed by two identifier fields is
enough.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from breachscope.detect.windows import finditer_near_digits

_STRONG, _DESCRIBED, _WEAK = 0.9, 0.75, 0.6

_CUE = re.compile(
    r"(?=[IiNnPpRrDdVv])"  # every cue starts with one of these: a cheap first test
    r"(?:(?P<patient_strong>\bIPP\b|\bIPP(?=[A-Z]?\d)|\bNIP\b|\bN°\s*patient\b)"
    r"|(?P<patient_described>\bidentifi(?:ant|cation)\s+(?:du\s+|de\s+la\s+)?patiente?\b"
    r"|\bnum[ée]ro\s+(?:d['’]\s*identification|patient)\b"
    r"|\br[ée]f[ée]rence\s+interne\s+(?:du\s+|de\s+la\s+)patiente?\b|\bIP\b(?=\s*:|\s+\d))"
    r"|(?P<patient_weak>\bID\b(?=\s*:)|\bpatiente?\b(?=\s+\d))"
    r"|(?P<stay_strong>\bNDA\b|\bn°\s*(?:de\s+)?(?:s[ée]jour|venue)\b"
    r"|\bnum[ée]ro\s+(?:de\s+)?(?:s[ée]jour|venue)\b)"
    r"|(?P<stay_described>\bidentifiant\s+de\s+(?:la\s+visite|l['’]\s*hospitalisation"
    r"|s[ée]jour)\b|\bn°\s*(?:de\s+)?dossier\b|\bdossier\s+n°)"
    r"|(?P<stay_weak>\bdossier\b|\bvisite\b(?=\s+\d)))",
    re.IGNORECASE,
)
# Between the cue and the value: punctuation and a few linking words on the same line.
_LINK = re.compile(
    r"(?:[\s:=#()\[\]\-–,]|\bn°|\bno\b\.?|\bnum[ée]ro\b|\best\b|\b[ée]tant\b|\ble\b|\bcomme\b"
    r"|\bsous\b|\bIPP\b|\bNDA\b|\bdu\b|\bde\b|\bpatiente?\b|\bs[ée]jour\b)*",
    re.IGNORECASE,
)
_VALUE = re.compile(r"[A-Za-z]{0,3}\d[A-Za-z0-9]{2,19}(?![\w/]|[.,]\d)")
_DIGIT = re.compile(r"\d")


_last: tuple[str, list[tuple[str, tuple[int, int, str, float, str]]]] = ("", [])


def _hits(text: str, kind: str) -> Iterator[tuple[int, int, str, float, str]]:
    """The hits of one kind; the text is scanned once for both (the last text is kept)."""
    global _last
    if _last[0] is not text:
        _last = (text, list(_all_hits(text)))
    return (hit for k, hit in _last[1] if k == kind)


# A patient row of a list: name | sex | birth date | IPP | NDA (the NDA field may say
# "Dossier" or "Visite dossier").
_ID_FIELD = r"[A-Za-z]{0,3}\d[A-Za-z0-9]{5,19}"
_STAY_FIELD = (
    rf"\|[ \t]*(?:(?:visite[ \t]+)?dossier[ \t]+)?(?P<stay>{_ID_FIELD})(?![\w/]|[.,]\d)"
)
_ROW = re.compile(
    rf"\|[ \t]*[MFH][ \t]*\|[^|\n]{{6,30}}\|[ \t]*(?P<patient>{_ID_FIELD})[ \t]*"
    rf"(?:{_STAY_FIELD})?(?=[ \t]*[|.\n]|[ \t]*$)",
    re.IGNORECASE,
)
# The same list when the sex field is missing or garbled (a phone glued to it, ``| FE01 W47
# 33 41 41 |``): a birth-date field, then the IPP and NDA fields. Without the sex field to
# say it is a patient row, both identifier fields must be there.
_DATE_FIELD = (
    r"(?:\d{1,2}[/.\-]\d{1,2}[/.\-](?:19|20)\d{2}|[0-3] \d [01] \d (?:1 [89]|2 0) \d \d)"
)
_DATED_ROW = re.compile(
    rf"\|[ \t]*{_DATE_FIELD}[ \t]*\|[ \t]*(?P<patient>{_ID_FIELD})[ \t]*{_STAY_FIELD}"
    r"(?=[ \t]*[|.\n]|[ \t]*$)",
    re.IGNORECASE,
)


def _all_hits(text: str) -> Iterator[tuple[str, tuple[int, int, str, float, str]]]:
    yield from _cued_hits(text)
    if "|" not in text:
        return
    rows = {m.start("patient"): m for m in _ROW.finditer(text)}
    for m in _DATED_ROW.finditer(text):
        rows.setdefault(m.start("patient"), m)
    for _, m in sorted(rows.items()):
        for kind in ("patient", "stay"):
            value = m.group(kind)
            if value is not None and len(_DIGIT.findall(value)) >= 6 and not (
                value.isdigit() and 13 <= len(value) <= 15  # a social security number
            ):
                yield kind, (m.start(kind), m.end(kind), value, 0.6, f"row+{kind}_id")


def _cued_hits(text: str) -> Iterator[tuple[str, tuple[int, int, str, float, str]]]:
    # A cue counts only with a value holding digits within 40 characters after it.
    for cue in finditer_near_digits(_CUE, text, before=120, after=1):
        group = cue.lastgroup or ""
        kind = group.split("_", 1)[0]
        link = _LINK.match(text, cue.end())
        at = link.end() if link else cue.end()
        if "\n" in text[cue.end() : at] or at - cue.end() > 40:
            continue
        m = _VALUE.match(text, at)
        if m is None:
            continue
        strength = group.split("_", 1)[1]
        digits = len(_DIGIT.findall(m.group()))
        if digits < (6 if strength == "weak" else 4):
            continue
        confidence = {"strong": _STRONG, "described": _DESCRIBED, "weak": _WEAK}[strength]
        yield kind, (m.start(), m.end(), m.group(), confidence, f"context+{kind}_id")


def scan_patient_ids(text: str) -> Iterator[tuple[int, int, str, float, str]]:
    """IPP and other patient identifiers after their cue."""
    return _hits(text, "patient")


def scan_stay_ids(text: str) -> Iterator[tuple[int, int, str, float, str]]:
    """NDA and other stay (visit) numbers after their cue."""
    return _hits(text, "stay")


SCANNERS = [("PATIENT_ID", scan_patient_ids), ("STAY_ID", scan_stay_ids)]
