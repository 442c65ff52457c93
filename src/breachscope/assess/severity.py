"""Severity of a breach for one person: the ENISA 2013 method, SE = DPC × EI + CB.

- DPC, data-processing context (1–4), from the most serious data category exposed:
  simple identity/contact 1; national identifier 2 (enables identity fraud); financial 3;
  health 3, raised to 4 when the care is sensitive (psychiatry, addiction, HIV, sexual health,
  pregnancy termination, genetics) — ENISA rates "actual results" and sensitive health data 4.
- EI, ease of identification: 1 (maximum) with a NIR, or a full name with a birth date or a
  postal address; 0.75 with a full name and a phone or e-mail; 0.5 with a full name alone;
  0.25 otherwise.
- CB, circumstances: a published leak is a confidentiality loss to unknown recipients (+0.5)
  with malicious intent (+0.5): 1.0 for every person of a ransomware leak.
- Levels: low < 2, medium 2–3, high 3–4, very high ≥ 4.
The full reasoning lives in docs/severity.md; the resolution issue refines EI and volume.
"""

from __future__ import annotations

CIRCUMSTANCES_PUBLISHED_MALICIOUS = 1.0


def data_processing_context(categories: set[str], sensitive: bool) -> float:
    if "HEALTH" in categories:
        return 4.0 if sensitive else 3.0
    if "FINANCIAL" in categories:
        return 3.0
    if "NATIONAL_ID" in categories or "CREDENTIALS" in categories:
        return 2.0
    return 1.0


def ease_of_identification(
    *, has_full_name: bool, has_birth_date: bool, has_nir: bool, has_address: bool,
    has_contact: bool,
) -> float:
    if has_nir or (has_full_name and (has_birth_date or has_address)):
        return 1.0
    if has_full_name and has_contact:
        return 0.75
    if has_full_name:
        return 0.5
    return 0.25


def level(score: float) -> str:
    if score < 2:
        return "low"
    if score < 3:
        return "medium"
    if score < 4:
        return "high"
    return "very high"


def severity(
    categories: set[str], sensitive: bool, *, has_full_name: bool, has_birth_date: bool,
    has_nir: bool, has_address: bool, has_contact: bool,
    circumstances: float = CIRCUMSTANCES_PUBLISHED_MALICIOUS,
) -> tuple[float, str]:
    dpc = data_processing_context(categories, sensitive)
    ei = ease_of_identification(
        has_full_name=has_full_name, has_birth_date=has_birth_date, has_nir=has_nir,
        has_address=has_address, has_contact=has_contact,
    )
    score = round(dpc * ei + circumstances, 2)
    return score, level(score)
