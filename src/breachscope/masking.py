"""Masking for everything the tool itself prints: logs, progress, error reasons, reports.

The case store holds full values because notification needs them; nothing else may. These
helpers show enough to recognise a value in a conversation (first and last characters) and
never enough to reuse it.
"""

from __future__ import annotations

import re


def mask_nir(nir: str) -> str:
    """``185037512345627`` → ``1 85 03 ** *** *** 27`` (sex, year and month stay: they
    are also in the birth date; the place, order and most of the key are hidden)."""
    s = re.sub(r"[\s.\-]", "", nir)
    if len(s) != 15:
        return _stars(s, keep_start=1, keep_end=0)
    return f"{s[0]} {s[1:3]} {s[3:5]} ** *** *** {s[13:15]}"


def mask_phone(phone: str) -> str:
    """``+33612345678`` → ``+33 6 ** ** ** 78``; other forms keep the first and last two."""
    digits = re.sub(r"\D", "", phone)
    if phone.startswith("+33") and len(digits) == 11:
        return f"+33 {digits[2]} ** ** ** {digits[-2:]}"
    return _stars(digits, keep_start=2, keep_end=2)


def mask_email(email: str) -> str:
    """``jean.dupont@orange.fr`` → ``j***@orange.fr``."""
    local, sep, domain = email.partition("@")
    if not sep:
        return _stars(email, keep_start=1, keep_end=0)
    return f"{local[:1]}***@{domain}"


def mask_name(name: str) -> str:
    """``DUPONT Marie`` → ``D***** M****``."""
    return " ".join(_stars(part, keep_start=1, keep_end=0) for part in name.split())


def mask_iban(iban: str) -> str:
    s = iban.replace(" ", "")
    return s[:4] + "*" * max(0, len(s) - 8) + s[-4:] if len(s) > 8 else _stars(s, 2, 0)


def mask_card(card: str) -> str:
    """PCI DSS: never more than the last four digits (``************1234``)."""
    return "*" * max(0, len(card) - 4) + card[-4:]


def mask_birth_date(day: str) -> str:
    """``1954-03-12`` → ``1954-**-**`` (the year alone identifies no one); other forms keep
    their first and last characters."""
    return day[:4] + "-**-**" if len(day) == 10 else mask_partial(day)


def mask_partial(value: str) -> str:
    """Any other value: its first and last characters (``I25.1`` → ``I***1``)."""
    return _stars(value, keep_start=1, keep_end=1)


def mask_value(entity: str, value: str) -> str:
    """Mask a normalized finding value for display, by entity: the mask of the entity's spec
    in the registry (:mod:`breachscope.entities`, which imports this module, hence the import
    here)."""
    from breachscope.entities import mask_for

    return mask_for(entity)(value)


_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_DIGITS_RE = re.compile(r"(?:\+?\d[\d\s.\-]{5,}\d)|(?:\b[12][0-9AB]{14}\b)", re.IGNORECASE)


def scrub(text: str, *, limit: int = 300) -> str:
    """Mask anything that looks like an identifier in a free message (an exception text from a
    parser may quote the cell it choked on), and cut it to ``limit`` characters."""
    text = _EMAIL_RE.sub(lambda m: mask_email(m.group(0)), text)
    text = _DIGITS_RE.sub(lambda m: _stars(m.group(0), keep_start=2, keep_end=2), text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _stars(s: str, keep_start: int, keep_end: int) -> str:
    if len(s) <= keep_start + keep_end:
        return "*" * len(s)
    end = s[len(s) - keep_end :] if keep_end else ""
    return s[:keep_start] + "*" * (len(s) - keep_start - keep_end) + end
