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
