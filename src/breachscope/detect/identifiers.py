"""Professional, establishment and payment identifiers: RPPS, ADELI, FINESS, payment cards.

Validators (pure, cheap, usable on table cells) and free-text scanners. In prose these
numbers are only reported with a checksum *and* a cue before them on the same line (or at the
end of the previous line), because 9- to 19-digit numbers that pass Luhn are common (SIRET,
SIREN, order and invoice numbers, barcodes):

- RPPS: 11 digits, Luhn (checked on real published numbers: every one passes, the made-up
  ``10001234567`` of documentation does not). The national id ``8`` + RPPS (IDNPS, 12
  digits) is accepted and reduced to the RPPS. Cues: ``RPPS``, ``IDNPS``, ``PS_IdNat``
  (certain) or a professional cue (``Dr``, ``Docteur``, ``praticien``, ``prescripteur``,
  ``médecin``...) with an RPPS-shaped number starting with ``10`` (probable).
- ADELI: 9 digits, no published check digit: only right after ``ADELI``. Reported as entity
  ``RPPS`` (the vocabulary's professional identifier; the detector says ``adeli``).
- FINESS: 9 digits, département prefix, Luhn (checked on public FINESS numbers of AP-HP,
  HCL, AP-HM, CHU Bordeaux, CHU Toulouse...). Cues: ``FINESS``, ``FINEG``/``FINEJ``
  (certain), ``établissement`` (probable). ``1`` + FINESS (IDNST, 10 digits) with ``FINESS``
  or ``IDNST`` cues is reduced to the FINESS.
- Payment cards: 13–19 digits (contiguous or in groups), Luhn, a known issuer range (Visa,
  Mastercard, Amex, CB co-badged, Discover, Diners, JCB, UnionPay, Maestro) and a card cue
  (``carte``, ``CB``, ``card``, ``Visa``, ``expiration``, ``cryptogramme``...). Masked
  numbers (``4970 **** **** 1234``) are not candidates.

The cue is the *nearest* keyword before the number: a ``SIRET``, ``SIREN``, ``EAN``,
``commande``, ``facture``, ``lot``, ``réf.``... between a cue and the number cancels it
(``Paiement par carte — facture n° 4970...`` is an invoice number).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from stdnum import luhn

from breachscope.detect.candidates import with_first_characters

_SEPARATORS = re.compile(r"[\s.\-\u00a0\u202f]")

# --------------------------------------------------------------------------- validators


def _digits(raw: str) -> str | None:
    compact = _SEPARATORS.sub("", raw)
    return compact if compact.isdigit() else None


def _luhn(digits: str) -> bool:
    return luhn.is_valid(digits)


def normalize_rpps(raw: str) -> str | None:
    """An RPPS number (11 digits, Luhn) or the national id ``8`` + RPPS, as 11 digits."""
    digits = _digits(raw)
    if digits is None:
        return None
    if len(digits) == 12 and digits[0] == "8":
        digits = digits[1:]
    if len(digits) != 11 or digits == "0" * 11 or not _luhn(digits):
        return None
    return digits


def normalize_adeli(raw: str) -> str | None:
    """An ADELI number: 9 digits (``0`` + ADELI, the national id form, is accepted), not all
    zeros. ADELI has no published check digit: only a header or a cue makes it one."""
    digits = _digits(raw)
    if digits is None:
        return None
    if len(digits) == 10 and digits[0] == "0":
        digits = digits[1:]
    if len(digits) != 9 or digits == "0" * 9:
        return None
    return digits


def normalize_professional_id(raw: str) -> str | None:
    """A cell of an RPPS/ADELI column: an RPPS (11 digits, or 12 with the ``8`` prefix) or an
    ADELI (9 digits, or 10 with the ``0`` prefix)."""
    return normalize_rpps(raw) or normalize_adeli(raw)


def normalize_finess(raw: str) -> str | None:
    """A FINESS number: 9 digits, a département prefix (01–95, 97, 98), Luhn. The structure
    national id ``1`` + FINESS (10 digits) is reduced to the FINESS."""
    digits = _digits(raw)
    if digits is None:
        return None
    if len(digits) == 10 and digits[0] == "1":
        digits = digits[1:]
    if len(digits) != 9 or not _finess_prefix(digits) or not _luhn(digits):
        return None
    return digits


def _finess_prefix(digits: str) -> bool:
    dept = int(digits[:2])
    return 1 <= dept <= 95 or dept in (97, 98)


# Issuer ranges (first digits) and allowed lengths. CB cards are co-badged Visa/Mastercard.
_CARD_RANGES: tuple[tuple[int, int, frozenset[int], str], ...] = (
    # (low, high) inclusive prefixes of equal width, lengths, brand
    (4, 4, frozenset({13, 16, 19}), "visa"),
    (51, 55, frozenset({16}), "mastercard"),
    (2221, 2720, frozenset({16}), "mastercard"),
    (34, 34, frozenset({15}), "amex"),
    (37, 37, frozenset({15}), "amex"),
    (6011, 6011, frozenset(range(16, 20)), "discover"),
    (644, 649, frozenset(range(16, 20)), "discover"),
    (65, 65, frozenset(range(16, 20)), "discover"),
    (300, 305, frozenset(range(14, 20)), "diners"),
    (36, 36, frozenset(range(14, 20)), "diners"),
    (38, 39, frozenset(range(14, 20)), "diners"),
    (3528, 3589, frozenset(range(16, 20)), "jcb"),
    (62, 62, frozenset(range(16, 20)), "unionpay"),
    (5018, 5018, frozenset(range(12, 20)), "maestro"),
    (5020, 5020, frozenset(range(12, 20)), "maestro"),
    (5038, 5038, frozenset(range(12, 20)), "maestro"),
    (5893, 5893, frozenset(range(12, 20)), "maestro"),
    (6304, 6304, frozenset(range(12, 20)), "maestro"),
    (6759, 6759, frozenset(range(12, 20)), "maestro"),
    (6761, 6763, frozenset(range(12, 20)), "maestro"),
)


def card_brand(digits: str) -> str | None:
    """The card network of a digit string by issuer range and length, or ``None``."""
    for low, high, lengths, brand in _CARD_RANGES:
        width = len(str(low))
        if len(digits) in lengths and low <= int(digits[:width]) <= high:
            return brand
    return None


def normalize_card(raw: str) -> str | None:
    """A payment card number (PAN): 13–19 digits with spaces or dashes, Luhn, a known issuer
    range; as digits only. Masked numbers (``*``, ``X``) are not PANs."""
    digits = _digits(raw)
    if digits is None or not 13 <= len(digits) <= 19:
        return None
    if len(set(digits)) == 1 or not _luhn(digits) or card_brand(digits) is None:
        return None
    return digits


# --------------------------------------------------------------------------- cues

# Cues are searched in the text just before a number: the nearest one decides.
_CUE_WINDOW = 60
_CUES = re.compile(
    r"(?P<rpps>\bRPPS\b|\bIDNPS\b|\bPS[_ ]?IdNat\b|\bidentifiant\s+national\s+(?:PS|PP)\b"
    r"|\bidentification\s+nationale\s+PP\b)"
    r"|(?P<adeli>\bADELI\b)"
    r"|(?P<finess>\bFINESS\b|\bFINE[GJ]\b|\bIDNST\b)"
    r"|(?P<professional>\bDr\b\.?|\bDocteur\b|\bPr\b\.?|\bProfesseur\b|\bpraticien(?:ne)?\b"
    r"|\bprescripteur\b|\bm[ée]decin\b|\bpharmacien(?:ne)?\b|\bsage-femme\b"
    r"|\binfirmi(?:er|[èe]re)\b|\bIDE\b|\bkin[ée]sith[ée]rapeute\b|\bchirurgien\b)"
    r"|(?P<establishment>\b[ée]tablissement\b|\bentit[ée]\s+(?:juridique|g[ée]ographique)\b)"
    r"|(?P<card>\bcartes?\b|\bCB\b|\bcards?\b|\bcredit\s*card\b|\bVisa\b|\bMaster\s*Card\b"
    r"|\bAmex\b|\bAmerican\s+Express\b|\bMaestro\b|\bPAN\b|\bexp(?:ire|iration)?\b"
    r"|\bcryptogramme\b|\bCVV\b|\bCVC\b|\bpaiement\b|\bpayment\b|\bpay[ée]\b|\bd[ée]bit[ée]?\b)"
    r"|(?P<other>\bSIRE[NT]\b|\bTVA\b|\bEAN(?:[- ]?13)?\b|\bGTIN\b|\bcode[- ]?barres?\b"
    r"|\bbarcode\b|\blot\b|\bcommande\b|\bcde\b|\border\b|\bfacture\b|\binvoice\b"
    r"|\br[ée]f(?:[ée]rence)?\b\.?|\bref\b|\bticket\b|\btransaction\b|\bautorisation\b"
    r"|\bcolis\b|\bsuivi\b|\btracking\b|\bdossier\b|\bIPP\b|\bNDA\b|\bNIR\b|\bIBAN\b"
    r"|\bRIB\b|\bBIC\b|\bt[ée]l(?:[ée]phone)?\b|\bfax\b|\bposte\b|\bcontrat\b"
    r"|\badh[ée]rent\b|\bmutuelle\b|\bvitale\b|\bs[ée]curit[ée]\s+sociale\b"
    r"|\bcarte\s+(?:vitale|grise|d'identit[ée]|d’identit[ée]|de\s+s[ée]jour|CPS|mutuelle"
    r"|de\s+fid[ée]lit[ée]|professionnelle)\b)",
    re.IGNORECASE,
)


def cue_before(text: str, start: int) -> str | None:
    """The kind of the nearest cue before ``start``: on the same line within
    :data:`_CUE_WINDOW` characters, else at the end of the previous line (a label on its own
    line). ``None`` without one."""
    line_start = text.rfind("\n", 0, start) + 1
    window = text[max(line_start, start - _CUE_WINDOW) : start]
    kind = _last_cue(window)
    if kind is None and not text[line_start:start].strip() and line_start > 0:
        previous_start = text.rfind("\n", 0, line_start - 1) + 1
        kind = _last_cue(text[max(previous_start, line_start - 1 - _CUE_WINDOW) : line_start])
    return kind


_WEAK_CUES = frozenset({"professional", "establishment"})


def _last_cue(window: str) -> str | None:
    """The nearest cue's kind; a weak cue (``Dr``, ``établissement``) does not count when a
    reference cue precedes it in the window (``SIREN de l'établissement : ...``)."""
    kinds = [m.lastgroup for m in _CUES.finditer(window)]
    if not kinds:
        return None
    if kinds[-1] in _WEAK_CUES and "other" in kinds:
        return "other"
    return kinds[-1]


_CARD_AFTER = re.compile(
    r"\s*[,;)]?\s*(?:\(|-|–)?\s*(?:exp(?:ire|iration)?\.?|valid(?:e|ité)?|fin\s+de\s+validit[ée]"
    r"|cryptogramme|CVV|CVC)\b",
    re.IGNORECASE,
)

# --------------------------------------------------------------------------- candidates

_NOT_GLUED_BEFORE = r"(?<![\w.,/\-+*])"
_NOT_GLUED_AFTER = r"(?![\w*]|[.,/\-]\d)"
# 9 to 12 digits, possibly in groups ("10 003 456 789", "75 071 218 4").
_PROFESSIONAL_CANDIDATE = re.compile(
    rf"{_NOT_GLUED_BEFORE}\d(?:[ \u00a0\u202f]?\d){{8,11}}{_NOT_GLUED_AFTER}"
)
# 13 to 19 digits: contiguous, or in groups of 4 (4-4-4-4, 4-4-4-4-3), Amex 4-6-5, Diners 4-6-4.
_CARD_CANDIDATE = re.compile(
    rf"{_NOT_GLUED_BEFORE}(?:\d{{13,19}}"
    r"|\d{4}(?P<sep>[ \-\u00a0\u202f])\d{4}(?P=sep)\d{4}(?P=sep)\d{1,4}(?:(?P=sep)\d{1,3})?"
    r"|\d{4}(?P<sep2>[ \-\u00a0\u202f])\d{6}(?P=sep2)\d{4,5})"
    rf"{_NOT_GLUED_AFTER}"
)

Hit = tuple[int, int, str, float, str]


def _professional_hits(text: str) -> Iterator[tuple[str, Hit]]:
    """(entity, hit) for RPPS, ADELI and FINESS numbers with their cue."""
    for m in _PROFESSIONAL_CANDIDATE.finditer(text):
        digits = _SEPARATORS.sub("", m.group())
        if not _may_be_professional(digits):
            continue
        kind = cue_before(text, m.start())
        if kind is None:
            continue
        start, end = m.span()
        if kind == "rpps":
            value = normalize_rpps(digits)
            if value is not None:
                yield "RPPS", (start, end, value, 0.99, "context+rpps_luhn")
            elif len(digits) == 9 and (adeli := normalize_adeli(digits)):  # "RPPS/ADELI :"
                yield "RPPS", (start, end, adeli, 0.8, "context+adeli")
        elif kind == "adeli":
            value = normalize_adeli(digits)
            if value is not None and len(digits) in (9, 10):
                yield "RPPS", (start, end, value, 0.9, "context+adeli")
        elif kind == "professional":
            if len(digits) == 11 and digits.startswith("10"):
                value = normalize_rpps(digits)
                if value is not None:
                    yield "RPPS", (start, end, value, 0.9, "context+rpps_luhn")
        elif kind == "finess":
            value = normalize_finess(digits)
            if value is not None and len(digits) in (9, 10):
                yield "FINESS", (start, end, value, 0.99, "context+finess_luhn")
        elif kind == "establishment" and len(digits) == 9:
            value = normalize_finess(digits)
            if value is not None:
                yield "FINESS", (start, end, value, 0.9, "context+finess_luhn")


def _may_be_professional(digits: str) -> bool:
    """Cheap shape test before looking for a cue: RPPS (11, or 12 from ``8``), ADELI or
    FINESS (9), IDNST (10 from ``1``)."""
    n = len(digits)
    return (n in (9, 11) or (n == 12 and digits[0] == "8") or (n == 10 and digits[0] == "1"))


def scan_rpps(text: str) -> Iterator[Hit]:
    """RPPS (and ADELI) numbers in prose, with their cue."""
    for entity, hit in _professional_hits(text):
        if entity == "RPPS":
            yield hit


def scan_finess(text: str) -> Iterator[Hit]:
    """FINESS numbers in prose, with their cue."""
    for entity, hit in _professional_hits(text):
        if entity == "FINESS":
            yield hit


def scan_cards(text: str) -> Iterator[Hit]:
    """Payment card numbers in prose: Luhn, issuer range, and a card cue just before (the
    nearest cue) or an expiry/CVV mention just after."""
    for m in _CARD_CANDIDATE.finditer(text):
        value = normalize_card(m.group())
        if value is None:
            continue
        kind = cue_before(text, m.start())
        if kind == "card" or (kind is None and _CARD_AFTER.match(text, m.end())):
            yield m.start(), m.end(), value, 0.95, "context+card_luhn"


# Issue 15: the patterns run over whole texts or many windows, with a look-ahead on the
# characters a match can start with (detect/candidates.py): the same matches, found faster.
_CARD_AFTER = with_first_characters(_CARD_AFTER)
