"""Normalizers: each takes a raw string and returns the normalized value (CONTRACT.md form)
or ``None`` when the string is not a valid value of that kind.

They are pure, cheap and side-effect free so that table detection can run them over a
column sample and then over every distinct cell value.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta
from functools import cache

import phonenumbers
from stdnum import iban as stdnum_iban
from stdnum.fr import nir as stdnum_nir

# --------------------------------------------------------------------------- names


_FOLD_EXTRA = str.maketrans({"Œ": "OE", "œ": "oe", "Æ": "AE", "æ": "ae", "ß": "ss", "ø": "o",
                             "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D"})
_FOLD_SEPARATORS = re.compile(r"[\s\-‐‑‒–—'’‘`´]+")


def fold(text: str) -> str:
    """Accent- and case-fold a name: ``"Lefèvre-D'Arc "`` → ``"LEFEVRE D ARC"``.

    NFKD decomposition then dropping combining marks removes accents; ligatures that NFKD
    keeps (œ, æ) are spelled out. Spaces, hyphens and apostrophes all become one space, so
    ``Jean-Pierre`` and ``JEAN PIERRE`` fold alike (people grouping relies on it).
    """
    if text.isascii():  # nothing to decompose, translate or drop: only case and separators
        return _FOLD_SEPARATORS.sub(" ", text.upper()).strip()
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD_EXTRA))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _FOLD_SEPARATORS.sub(" ", stripped.upper()).strip()


# --------------------------------------------------------------------------- NIR

_NIR_SEPARATORS = re.compile(r"[\s.\-]")
_NIR_SEX_DIGITS = frozenset("123478")


def normalize_nir(raw: str) -> str | None:
    """A NIR (or NIA, same structure) with a valid key, as 15 characters.

    Accepts spaces, dots and dashes between characters and the Corsican départements
    ``2A``/``2B`` (``stdnum.fr.nir`` computes their key with 19/18). The sex digit must be one
    seen in real data (1, 2, 3, 4, 7, 8); see :func:`nir_is_strict` for the strict form.
    """
    compact = _NIR_SEPARATORS.sub("", raw).upper()
    if len(compact) != 15 or compact[0] not in _NIR_SEX_DIGITS:
        return None
    if not _nir_valid(compact):
        return None
    return compact


_CORSICA = {"2A": "19", "2B": "18"}


def _nir_valid(compact: str) -> bool:
    """``stdnum.fr.nir.is_valid`` of 15 upper-case characters without separators. An ASCII
    string is checked here, the same steps as stdnum's (digits around the département, which
    may be 2A/2B, and the 97-modulus key) without its per-character cleaning, which costs more
    than the check in a NIR column of 100k rows; anything else goes to stdnum.
    tests/detect/test_column_prefilters.py compares the two."""
    if not compact.isascii():
        return stdnum_nir.is_valid(compact)
    department = compact[5:7]
    if not (compact[:5].isdigit() and compact[7:].isdigit()):
        return False
    if not department.isdigit():
        if department not in _CORSICA:
            return False
        compact = compact[:5] + _CORSICA[department] + compact[7:]
    return f"{97 - int(compact[:13]) % 97:02d}" == compact[13:]


def nir_is_strict(nir: str) -> bool:
    """True for the health insurance's strict form (sex 1/2, month 01–12): a *certain* NIR.

    Other sex digits and months 20–42 / 50–99 occur in real files (pseudo months, NIA,
    temporary numbers): those are only *probable*.
    """
    return nir[0] in "12" and nir[3:5].isdigit() and 1 <= int(nir[3:5]) <= 12


def nir_body_shaped(body: str) -> bool:
    """True when 13 characters (a NIR without its key) have a NIR's structure: sex 1, 2, 7
    or 8, month 01–12 or one of INSEE's pseudo months (20–42, 50–99), département 01–99 or
    2A/2B (97x and 98x take a 2-digit commune), commune and order number not zero.

    A number written without its key has nothing else to check it: the structure is what
    tells a NIR from another 13-digit number.
    """
    if len(body) != 13 or body[0] not in "1278" or not body[:5].isdecimal():
        return False
    if not body[7:].isdigit() or not (body[5:7].isdigit() or body[5:7] in ("2A", "2B")):
        return False
    month = int(body[3:5])
    if not (1 <= month <= 12 or 20 <= month <= 42 or 50 <= month <= 99):
        return False
    if body[5:7] == "00":
        return False
    if body[5:7] in ("97", "98"):
        return body[8:10] != "00" and body[10:] != "000"
    return body[7:10] != "000" and body[10:] != "000"


# --------------------------------------------------------------------------- IBAN


def normalize_iban(raw: str) -> str | None:
    """An IBAN with a valid mod-97 check and country format, upper case without spaces."""
    try:
        return str(stdnum_iban.validate(raw.replace("-", " ")))
    except Exception:  # stdnum raises ValidationError subclasses, and ValueError on junk
        return None


# --------------------------------------------------------------------------- phone

_PHONE_CHARS = re.compile(r"[\d\s.\-–()+/]+")  # "–": word processors turn dashes into en dashes
_NON_DIGITS = re.compile(r"\D")
_ANY_SPACE = re.compile(r"\s+")
_BRACKETED_33 = re.compile(r"^\(\s*3\s*3\s*\)\s*")


def normalize_phone(raw: str) -> str | None:
    """A valid phone number in E.164 (``+33612345678``), French unless it says otherwise.

    National numbers must be the usual 10 digits starting with 0 (so a bare 9-digit run or a
    4-digit extension is never a phone); one not valid in metropolitan France is tried in the
    overseas regions (``0690 12 34 56`` → ``+590690123456``, ``0692…`` → ``+262692…``);
    international ones start with ``+`` or ``00``
    (``+33 (0)6 ...`` is understood). Letters (``poste``, ``ext``) make it invalid: an
    extension is not the number.
    """
    text = _ANY_SPACE.sub(" ", raw).strip()  # phonenumbers does not know narrow nbsp
    text = _BRACKETED_33.sub("+33 ", text)  # "(33) 1 45 56 78 90" letterheads
    if not text or not _PHONE_CHARS.fullmatch(text):
        return None
    digits = _NON_DIGITS.sub("", text)
    international = text.startswith("+") or digits.startswith("00")
    if not international and (len(digits) != 10 or digits[0] != "0"):
        return None
    if international and not 8 <= len(digits) <= 17:
        return None
    national = _french_national(digits, international)
    if national is not None:  # the usual case: skip phonenumbers' parser (most of its cost)
        if not international and (overseas := _overseas(national)) is not None:
            return overseas
        return "+33" + national if _valid_french(national) else None
    try:
        number = phonenumbers.parse(text, "FR")
    except phonenumbers.NumberParseException:
        return None
    if number.extension or not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# The descriptions of phonenumbers' French metadata that make a number valid: the general one,
# then any type's (``_number_type_helper`` not ``UNKNOWN``).
_NUMBER_TYPES = ("premium_rate", "toll_free", "shared_cost", "voip", "personal_number",
                 "pager", "uan", "voicemail", "fixed_line", "mobile")


@cache
def _french_patterns(length: int) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
    """(the general pattern, every number type's patterns in one alternation) of France's
    metadata for national numbers of ``length`` digits; ``None`` where no description admits
    that length."""
    from phonenumbers.phonenumberutil import PhoneMetadata

    metadata = PhoneMetadata.metadata_for_region("FR")

    def admits(desc: object) -> bool:
        pattern = getattr(desc, "national_number_pattern", None)
        lengths = getattr(desc, "possible_length", None) or ()
        return bool(pattern) and (not lengths or length in lengths)

    general = metadata.general_desc
    types = [d for d in (getattr(metadata, t) for t in _NUMBER_TYPES) if admits(d)]
    return (re.compile(general.national_number_pattern) if admits(general) else None,
            re.compile("|".join(f"(?:{d.national_number_pattern})" for d in types))
            if types else None)


def _valid_french(national: str) -> bool:
    """``phonenumbers.is_valid_number`` for a French (+33) national significant number,
    without building a ``PhoneNumber`` and looking its region up per call: the same
    metadata patterns, matched whole (tests/detect/test_detect_validators.py compares the two
    on every prefix). Phone columns are mostly distinct values, so this runs once per row."""
    general, types = _french_patterns(len(national))
    return (general is not None and types is not None and general.fullmatch(national)
            is not None and types.fullmatch(national) is not None)


# French overseas departments and collectivities dial 10 national digits like mainland France
# but have their own country codes: Guadeloupe and Saint-Martin/Saint-Barthélemy (+590),
# Guyane (+594), Martinique (+596), La Réunion and Mayotte (+262), Saint-Pierre (+508).
# Their numbers are recognized by the national prefix, then checked by phonenumbers.
_OVERSEAS_PREFIXES = {
    "590": 590, "690": 590, "691": 590,  # GP, BL, MF
    "594": 594, "694": 594,  # GF
    "596": 596, "696": 596, "697": 596,  # MQ
    "262": 262, "263": 262, "692": 262, "693": 262, "269": 262, "639": 262,  # RE, YT
    "508": 508,  # PM
}


def _overseas(national: str) -> str | None:
    """The E.164 form of a 9-digit national number (without its 0) of an overseas region
    (``690…`` → ``+590690…``), or None."""
    code = _OVERSEAS_PREFIXES.get(national[:3])
    if code is None:
        return None
    number = phonenumbers.PhoneNumber(country_code=code, national_number=int(national))
    return f"+{code}{national}" if phonenumbers.is_valid_number(number) else None


def _french_national(digits: str, international: bool) -> str | None:
    """The 9-digit French national significant number of an already screened digit string
    (``0612345678``, ``33612345678``, ``0033612345678``, ``330612345678`` from
    ``+33 (0)6...``), or None when it is not plainly French."""
    if not international:
        return digits[1:]
    if digits.startswith("00"):
        digits = digits[2:]
    if not digits.startswith("33"):
        return None
    rest = digits[2:]
    if len(rest) == 10 and rest[0] == "0":
        rest = rest[1:]
    return rest if len(rest) == 9 and rest[0] != "0" else None


# --------------------------------------------------------------------------- e-mail

_EMAIL = re.compile(  # the local part may hold accented letters (RFC 6531): "secrétariat@"
    r"[a-z0-9à-öø-ÿ!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9à-öø-ÿ!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}"
)


def normalize_email(raw: str) -> str | None:
    """An e-mail address in lower case. Pragmatic RFC 5322 subset: dot-atom local part, and a
    domain of at least two labels ending with an alphabetic TLD."""
    text = raw.strip().lower()
    if text.startswith("mailto:"):
        text = text[7:]
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1]
    if len(text) > 254 or not _EMAIL.fullmatch(text):
        return None
    return text


# --------------------------------------------------------------------------- dates

_MONTHS = {
    "JANVIER": 1, "JANV": 1, "JAN": 1, "JANUARY": 1,
    "FEVRIER": 2, "FEVR": 2, "FEV": 2, "FEB": 2, "FEBRUARY": 2,
    "MARS": 3, "MAR": 3, "MARCH": 3,
    "AVRIL": 4, "AVR": 4, "APR": 4, "APRIL": 4,
    "MAI": 5, "MAY": 5,
    "JUIN": 6, "JUN": 6, "JUNE": 6,
    "JUILLET": 7, "JUIL": 7, "JUL": 7, "JULY": 7,
    "AOUT": 8, "AOU": 8, "AUG": 8, "AUGUST": 8,
    "SEPTEMBRE": 9, "SEPT": 9, "SEP": 9, "SEPTEMBER": 9,
    "OCTOBRE": 10, "OCT": 10, "OCTOBER": 10,
    "NOVEMBRE": 11, "NOV": 11, "NOVEMBER": 11,
    "DECEMBRE": 12, "DEC": 12, "DECEMBER": 12,
}
_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
_DMY = re.compile(r"(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})" + _TIME)
_YMD = re.compile(r"(\d{4})([/\-])(\d{1,2})\2(\d{1,2})" + _TIME)
_COMPACT_YMD = re.compile(r"((?:18|19|20)\d{2})(\d{2})(\d{2})")
_TEXT_DATE = re.compile(r"(\d{1,2})(?:ER)?[\s\-]+([A-Z]{3,9})\.?[\s\-]+(\d{4})")
_EXCEL_SERIAL = re.compile(r"(\d{1,5})(?:\.0*)?")
_EXCEL_EPOCH = date(1899, 12, 30)  # serial 61 is 1900-03-01; Excel's fake 1900-02-29 is 60
MIN_YEAR = 1850
MAX_YEAR = 2100


def _make_date(year: int, month: int, day: int) -> date | None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _two_digit_year(yy: int, month: int, day: int, today: date) -> date | None:
    """``yy`` is 20yy unless that date is in the future, then 19yy."""
    recent = _make_date(2000 + yy, month, day)
    if recent is not None and recent <= today:
        return recent
    return _make_date(1900 + yy, month, day)


def _excel_serial(serial: int) -> date | None:
    """Excel's 1900 date system: 1 is 1900-01-01 and 60 the non-existent 1900-02-29."""
    if not 1 <= serial <= 80000 or serial == 60:
        return None
    return _EXCEL_EPOCH + timedelta(days=serial + (1 if serial < 60 else 0))


def parse_date(
    raw: str,
    *,
    allow_excel_serial: bool = False,
    allow_compact: bool = False,
    today: date | None = None,
) -> str | None:
    """A calendar date as ``YYYY-MM-DD``, from the formats found in French files.

    Day-first numeric dates (``/``, ``-`` or ``.``, 4- or 2-digit year), ISO dates with an
    optional time part, French (and English) month names with accents or abbreviations
    (``1er février 1960``, ``3 FEVR. 1971``). Excel serial numbers only when
    ``allow_excel_serial`` (a column known to hold dates), ``YYYYMMDD`` (HL7, HPRIM) only when
    ``allow_compact``: on their own they are just numbers. Impossible dates give ``None``.
    """
    text = raw.strip()
    if not text or len(text) > 40:
        return None
    result: date | None = None
    if m := _DMY.fullmatch(text):
        day, month, year_text = int(m.group(1)), int(m.group(3)), m.group(4)
        if len(year_text) == 2:
            result = _two_digit_year(int(year_text), month, day, today or date.today())
        else:
            result = _make_date(int(year_text), month, day)
    elif m := _YMD.fullmatch(text):
        result = _make_date(int(m.group(1)), int(m.group(3)), int(m.group(4)))
    elif text[0].isdigit() and (m := _TEXT_DATE.fullmatch(fold(text).replace(" .", "."))):
        month = _MONTHS.get(m.group(2))
        if month is not None:
            result = _make_date(int(m.group(3)), month, int(m.group(1)))
    elif allow_compact and (m := _COMPACT_YMD.fullmatch(text)):
        result = _make_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    elif allow_excel_serial and (m := _EXCEL_SERIAL.fullmatch(text)):
        result = _excel_serial(int(m.group(1)))
    return result.isoformat() if result is not None else None


# --------------------------------------------------------------------------- postal code, sex

_POSTAL = re.compile(r"\d{5}")


def normalize_postal_code(raw: str, *, pad: bool = False) -> str | None:
    """A French postal code, 5 digits: département 01–95 (Corsica is numeric, 20xxx), overseas
    97x and 98x. ``pad`` restores the leading zero a spreadsheet drops (``1000`` → ``01000``);
    use it only on a column already known to hold postal codes."""
    text = raw.strip().replace(" ", "")
    if text.endswith(".0"):
        text = text[:-2]
    if pad and len(text) == 4 and text.isdigit():
        text = "0" + text
    if not _POSTAL.fullmatch(text):
        return None
    department = int(text[:2])
    if 1 <= department <= 95 or department in (97, 98):
        return text
    return None


_SEX = {
    "M": "M", "H": "M", "HOMME": "M", "MASCULIN": "M", "MASC": "M", "MALE": "M", "MAN": "M",
    "1": "M", "MR": "M", "M.": "M", "MONSIEUR": "M",
    "F": "F", "FEMME": "F", "FEMININ": "F", "FEM": "F", "FEMALE": "F", "WOMAN": "F", "2": "F",
    "MME": "F", "MLLE": "F", "MADAME": "F", "MADEMOISELLE": "F",
}


def normalize_sex(raw: str) -> str | None:
    """``"M"`` or ``"F"`` from the usual codings (M/H/Homme/Masculin/1, F/Femme/Féminin/2, and
    civilities). Anything else (``I`` for unknown, ``3``...) gives ``None``."""
    return _SEX.get(fold(raw))
