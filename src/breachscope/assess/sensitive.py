"""Sensitive care: units whose mere mention reveals psychiatry, addiction, HIV or sexual
health, pregnancy termination or genetics (REFERENCES.md, "Sensitive care")."""

from __future__ import annotations

import re

# Matched on accent- and case-folded unit names.
SENSITIVE_UNIT_PATTERNS = re.compile(
    r"PSYCHIATR|PEDOPSY|PEDO-PSY|\bCMP\b|\bCATTP\b|ADDICT|\bCSAPA\b|\bCAARUD\b|ALCOOLOG|"
    r"TOXICOMAN|\bCEGIDD\b|\bVIH\b|\bSIDA\b|\bIST\b|ORTHOGENI|\bIVG\b|PLANNING FAMILIAL|"
    r"GENETIQU|SANTE SEXUELLE"
)


def is_sensitive_unit(folded_unit: str) -> bool:
    return bool(SENSITIVE_UNIT_PATTERNS.search(folded_unit))


# ICD-10 ranges and CCAM acts that reveal sensitive care (REFERENCES.md, "Sensitive care").
# (category, first 3-character category, last one) or (category, code prefix): a range covers
# every subcode; a prefix such as ``Z20.6`` covers ``Z20.6`` and its ATIH extensions. Tried in
# order: addiction (F10–F19) before psychiatry (F00–F99).
SENSITIVE_CODE_RANGES: tuple[tuple[str, str, str], ...] = (
    ("addiction", "F10", "F19"),
    ("psychiatry", "F00", "F99"),
    ("self_harm", "X60", "X84"),
    ("hiv", "B20", "B24"),
    ("hiv", "Z21", "Z21"),
    ("hiv", "R75", "R75"),
    ("sti", "A50", "A64"),
    ("chromosomal", "Q90", "Q99"),
    ("pregnancy_termination", "O04", "O04"),
)
SENSITIVE_CODE_PREFIXES: tuple[tuple[str, str], ...] = (
    ("hiv", "Z20.6"),
    ("hiv", "Z71.7"),
    ("genetic_counselling", "Z31.5"),
    ("sexual_abuse", "T74.2"),
    ("pregnancy_termination", "O07.4"),
    ("pregnancy_termination", "O07.9"),
    ("pregnancy_termination", "JNJD002"),  # CCAM: pregnancy termination by aspiration
    ("pregnancy_termination", "JNJP001"),  # CCAM: medical pregnancy termination
)
_CODE = re.compile(r"([A-Z])(\d{2})(?:\.?([0-9A-Z+]{0,3}))?")


def _dotted(code: str) -> str:
    text = code.strip().upper().replace(" ", "")
    if re.fullmatch(r"[A-Z]{4}\d{3}.*", text):  # CCAM
        return text[:7]
    text = text.replace(".", "")
    return text if len(text) <= 3 else f"{text[:3]}.{text[3:]}"


def is_sensitive_code(code: str) -> str | None:
    """The sensitive-care category of an ICD-10 code (``F32.1``, ``F321``, ``B20``) or a CCAM
    act (``JNJD002``), or ``None``: ``psychiatry``, ``addiction``, ``self_harm``, ``hiv``,
    ``sti``, ``chromosomal``, ``genetic_counselling``, ``sexual_abuse``,
    ``pregnancy_termination``."""
    value = _dotted(code)
    for category, prefix in SENSITIVE_CODE_PREFIXES:
        if value.startswith(prefix):
            return category
    m = _CODE.fullmatch(value)
    if not m:
        return None
    category3 = m.group(1) + m.group(2)
    for category, first, last in SENSITIVE_CODE_RANGES:
        if first[0] == category3[0] and first <= category3 <= last:
            return category
    return None


def sensitive_code_regex() -> str:
    """:func:`is_sensitive_code` as one regular expression over normalized values (``F32.1``,
    ``JNJD002``), for SQL (RE2): every category of a range is spelled out."""
    parts = []
    for _category, first, last in SENSITIVE_CODE_RANGES:
        numbers = "|".join(f"{n:02d}" for n in range(int(first[1:]), int(last[1:]) + 1))
        parts.append(f"{first[0]}(?:{numbers})")
    parts.extend(re.escape(prefix) for _category, prefix in SENSITIVE_CODE_PREFIXES)
    return rf"^(?:{'|'.join(parts)})"
