"""Builders for the identifiers the demo leak holds: NIR, French IBAN, phones, e-mail parts.

Everything here is pure and deterministic; randomness comes from the caller's ``random.Random``.
The rules follow REFERENCES.md: NIR key = 97 - (first 13 digits mod 97), Corsica ``2A``/``2B``
counted as ``19``/``18``; RIB key = 97 - ((89 x bank + 15 x branch + 3 x account) mod 97);
IBAN check digits by ISO 7064 mod 97-10.
"""

from __future__ import annotations

import random
import re
import unicodedata

import phonenumbers

# ---------------------------------------------------------------------------------------- names


def fold_name(name: str) -> str:
    """A name reduced for comparison: no accents, case-folded, ``œ`` -> ``oe``, and spaces,
    hyphens and apostrophes collapsed to one space (``D'Hondt`` -> ``d hondt``,
    ``LE GALL`` -> ``le gall``)."""
    name = name.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    name = unicodedata.normalize("NFKD", name)
    name = "".join(c for c in name if not unicodedata.combining(c))
    return re.sub(r"[\s'’\-]+", " ", name.casefold()).strip()


def email_slug(name: str, *, keep_hyphens: bool) -> str:
    """ASCII, lower-case e-mail part from a name: ``Marie-Thérèse`` -> ``marie-therese``,
    ``Le Gall`` -> ``legall``, ``D'Hondt`` -> ``dhondt``."""
    folded = fold_name(name.replace("-", "\x00") if keep_hyphens else name)
    folded = folded.replace("\x00", "-")
    return re.sub(r"[^a-z0-9\-]", "", folded)


# ------------------------------------------------------------------------------------------ NIR


def nir_key(first13: str) -> str:
    """The two-digit key of a NIR from its first 13 characters (``2A``/``2B`` allowed)."""
    corsica = {"2A": "19", "2B": "18"}.get(first13[5:7])
    digits = first13[:5] + corsica + first13[7:] if corsica else first13
    return f"{97 - int(digits) % 97:02d}"


def make_nir(sex: str, year: int, month: int, place: str, order: int) -> str:
    """A NIR: sex ``M``/``F``, birth year and month, 5-character birth place (département +
    commune, ``2A004``, ``97105``, ``99350`` for Morocco...), order 1-999; key computed."""
    if len(place) != 5:
        raise ValueError("birth place must be 5 characters")
    first13 = f"{1 if sex == 'M' else 2}{year % 100:02d}{month:02d}{place}{order:03d}"
    return first13 + nir_key(first13)


def corrupt_nir_key(nir: str) -> str:
    """The same NIR with a wrong key (a typo decoy): never a valid NIR."""
    key = int(nir[13:])
    wrong = key + 3 if key <= 94 else key - 3
    return f"{nir[:13]}{wrong:02d}"


def format_nir(nir: str, spaced: bool) -> str:
    """``1 85 03 75 123 456 27`` when spaced, the 15 characters otherwise."""
    if not spaced:
        return nir
    return " ".join((nir[0], nir[1:3], nir[3:5], nir[5:7], nir[7:10], nir[10:13], nir[13:]))


# ----------------------------------------------------------------------------------------- IBAN


def rib_key(bank: str, branch: str, account: str) -> str:
    """French RIB key for numeric bank (5), branch (5) and account (11) codes."""
    return f"{97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97:02d}"


def _iban_numeric(text: str) -> int:
    return int("".join(str(int(c, 36)) for c in text))


def make_fr_iban(bank: str, branch: str, account: str) -> str:
    """A valid French IBAN (27 characters, compact) with RIB key and IBAN check digits."""
    bban = f"{bank}{branch}{account}{rib_key(bank, branch, account)}"
    check = 98 - _iban_numeric(bban + "FR00") % 97
    return f"FR{check:02d}{bban}"


def corrupt_iban(iban: str) -> str:
    """The same IBAN with wrong check digits: fails mod 97."""
    check = int(iban[2:4])
    wrong = check + 1 if check < 97 else check - 1
    return f"{iban[:2]}{wrong:02d}{iban[4:]}"


def format_iban(iban: str, spaced: bool) -> str:
    """``FR76 3000 6000 ...`` in groups of four when spaced."""
    if not spaced:
        return iban
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


# --------------------------------------------------------------------------------------- phones

PHONE_STYLES = ("spaced", "dotted", "compact", "international")

# Landline prefixes of the Nord / Pas-de-Calais area (03 20 Lille, 03 28, 03 21...).
_LANDLINE_PREFIXES = ("320", "320", "320", "328", "321", "327")


def random_phone(rng: random.Random, *, mobile: bool) -> str:
    """A French number valid for ``phonenumbers``, as E.164 (``+33612345678``)."""
    while True:
        if mobile:
            head = "6" if rng.random() < 0.8 else f"7{rng.randint(5, 8)}"
        else:
            head = rng.choice(_LANDLINE_PREFIXES)
        national = head + "".join(str(rng.randrange(10)) for _ in range(9 - len(head)))
        e164 = "+33" + national
        # number_type is UNKNOWN for a number phonenumbers does not consider valid.
        kind = phonenumbers.number_type(phonenumbers.parse(e164))
        wanted = (
            phonenumbers.PhoneNumberType.MOBILE
            if mobile
            else phonenumbers.PhoneNumberType.FIXED_LINE
        )
        if kind == wanted:
            return e164


def format_phone(e164: str, style: str) -> str:
    """A French E.164 number as written by people and software:
    ``spaced`` 06 12 34 56 78, ``dotted`` 06.12.34.56.78, ``compact`` 0612345678,
    ``international`` +33 6 12 34 56 78."""
    national = "0" + e164[3:]
    pairs = [national[i : i + 2] for i in range(0, 10, 2)]
    if style == "spaced":
        return " ".join(pairs)
    if style == "dotted":
        return ".".join(pairs)
    if style == "compact":
        return national
    if style == "international":
        return "+33 " + e164[3] + " " + " ".join(pairs[1:])
    raise ValueError(f"unknown phone style {style!r}")


# ----------------------------------------------------------------------------------------- dates

FRENCH_MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)


def french_date_words(day: int, month: int, year: int) -> str:
    """``12 mars 1954``, ``1er avril 1950``."""
    return f"{'1er' if day == 1 else day} {FRENCH_MONTHS[month - 1]} {year}"
