"""The attacker's claim, read and checked against the case, point by point.

A ransom note or a leak-site post says "900 000 patients, 20 GB, antécédents médicaux, adresses
postales". :func:`parse_claim` pulls out the counts (people, records), the volume and the kinds
of data, in French or English; :func:`check_claim` puts each point beside what the scan found,
with a verdict: ``confirmed``, ``exaggerated`` (the claim is more than a tenth above what was
found) or ``not_found`` (nothing of the kind in the dump).

Hand-written patterns: the claims are short free text in two languages with a closed list of
data kinds; no parser library knows "Go" or "antécédents médicaux".
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from breachscope import findings_store
from breachscope.case import entity_list_sql

# How far above the finding a claimed figure may be and still count as confirmed: attackers
# round up, and a dump holds a little more than what a scan can read.
TOLERANCE = 1.10

# Data kinds a claim may name: (kind, patterns on folded text, entities that show it). The
# kind's category is that of people.categories (breachscope.entities.Category).
KINDS: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("medical_history", r"antecedents?|medical (?:history|records?|data)|dossiers? medicaux|"
     r"donnees (?:medicales|de sante)|health (?:data|records?)|diagnostics?|diagnos[ie]s|"
     r"pathologies?|comptes?[- ]rendus?|traitements?|ordonnances?|prescriptions?|"
     r"medicaments?|medications?",
     ("DIAGNOSIS", "ICD10_CODE", "MEDICATION", "PROCEDURE", "CARE_UNIT", "VISIT_DATE"),
     "HEALTH"),
    ("postal_address", r"adresses? postales?|(?:postal|home|mailing) address(?:es)?|"
     r"adresses?(?! (?:e-?mails?|electroniques?|mails?))|(?<!e-mail )(?<!email )address(?:es)?",
     ("ADDRESS", "POSTAL_CODE", "CITY"), "CONTACT"),
    ("phone", r"(?:numeros? de )?telephones?|phones?(?: numbers?)?|portables?|mobiles?",
     ("PHONE",), "CONTACT"),
    ("email", r"e-?mails?|courriels?|adresses? (?:e-?mail|electroniques?)|mails?",
     ("EMAIL",), "CONTACT"),
    ("national_id", r"(?:numeros? de )?securite sociale|\bnir\b|\bnss\b|social security|"
     r"national (?:id|insurance)|cartes? (?:d'identite|vitale)|passeports?|identity cards?|"
     r"pieces? d'identite|id documents?",
     ("NIR", "ID_DOCUMENT"), "NATIONAL_ID"),
    ("financial", r"\brib\b|\biban\b|coordonnees bancaires|bank(?:ing)? (?:details|accounts?)|"
     r"cartes? (?:bancaires?|de credit)|credit cards?|payment cards?|factures?|invoices?",
     ("IBAN", "PAYMENT_CARD"), "FINANCIAL"),
    ("credentials", r"mots? de passe|passwords?|identifiants?(?: de connexion)?|credentials?|"
     r"logins?",
     ("CREDENTIAL",), "CREDENTIALS"),
    ("identity", r"noms?|prenoms?|names?|dates? de naissance|dates? of birth|\bdob\b|"
     r"birth ?dates?|etat civil|identites?",
     ("LAST_NAME", "FIRST_NAME", "PERSON", "BIRTH_DATE"), "IDENTITY"),
)

_PEOPLE_WORDS = (r"patients?|personnes?|people|persons?|individus?|individuals?|victimes?|"
                 r"victims?|users?|utilisateurs?|clients?|salaries?|employees?|agents?")
_RECORD_WORDS = r"records?|enregistrements?|lignes?|rows?|dossiers?|entries|entrees?|fiches?"
_MULT = {"k": 1e3, "mille": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6, "millions": 1e6,
         "mn": 1e6, "md": 1e9, "milliard": 1e9, "milliards": 1e9, "billion": 1e9,
         "billions": 1e9}
_UNITS = {"t": 1e12, "g": 1e9, "m": 1e6, "k": 1e3}


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _number(digits: str, mult: str | None) -> int:
    value = float(digits.replace(",", "."))
    return round(value * _MULT.get((mult or "").lower(), 1))


def parse_claim(text: str) -> dict[str, Any]:
    """Pull the figures out of an attacker's claim (``"900 000 patients, 20 GB, antécédents
    médicaux"``): ``people``, ``records``, ``bytes`` and ``kinds`` (the data kinds named)."""
    claim: dict[str, Any] = {"text": text}
    folded = _fold(text)
    # "900 000", "900.000", "900,000" → "900000" (thousands separators, not decimals)
    compact = re.sub(r"(?<=\d)[\s\u00a0\u202f.,'](?=\d{3}\b)", "", folded)
    number = r"(\d+(?:[.,]\d+)?)\s*(k|m|mn|md|mille|thousand|millions?|milliards?|billions?)?\b"
    people = re.search(number + r"\s*(?:de |of )?(?:" + _PEOPLE_WORDS + r")\b", compact)
    if people:
        claim["people"] = _number(people.group(1), people.group(2))
    records = re.search(number + r"\s*(?:de |of )?(?:" + _RECORD_WORDS + r")\b", compact)
    if records and (not people or records.start() != people.start()):
        claim["records"] = _number(records.group(1), records.group(2))
    size = re.search(r"(\d+(?:[.,]\d+)?)\s*(tb|gb|mb|kb|to|go|mo|ko|tib|gib|mib|"
                     r"tera|giga|mega)(?:octets?|bytes?)?\b", folded)
    if size:
        claim["bytes"] = int(float(size.group(1).replace(",", ".")) * _UNITS[size.group(2)[0]])
    kinds = [kind for kind, pattern, _e, _c in KINDS
             if re.search(r"\b(?:" + pattern + r")\b", folded)]
    if kinds:
        claim["kinds"] = kinds
    return claim


def _verdict(claimed: float, found: float) -> str:
    if found <= 0:
        return "not_found"
    return "exaggerated" if claimed > found * TOLERANCE else "confirmed"


def check_claim(case, parsed: dict[str, Any], *, people: int, records: int,
                dump_bytes: int) -> list[dict[str, Any]]:
    """Each point of the claim beside what was found: ``{"point", "claimed", "found",
    "verdict"}`` (and for a kind its ``category``, ``entities`` and ``findings``). ``case`` is
    a :class:`breachscope.case.Case`, read for the kinds."""
    rows: list[dict[str, Any]] = []
    if "people" in parsed:
        rows.append({"point": "people", "claimed": parsed["people"], "found": people,
                     "verdict": _verdict(parsed["people"], people)})
    if "records" in parsed:
        rows.append({"point": "records", "claimed": parsed["records"], "found": records,
                     "verdict": _verdict(parsed["records"], records)})
    if "bytes" in parsed:
        rows.append({"point": "bytes", "claimed": parsed["bytes"], "found": dump_bytes,
                     "verdict": _verdict(parsed["bytes"], dump_bytes)})
    for kind in parsed.get("kinds", []):
        _k, _p, entities, category = next(k for k in KINDS if k[0] == kind)
        found_people, found_findings = _kind_found(case, entities, category)
        rows.append({"point": kind, "claimed": None, "found": found_people,
                     "findings": found_findings, "category": category,
                     "entities": list(entities),
                     "verdict": "confirmed" if found_people or found_findings else "not_found"})
    return rows


# Kinds that are a whole category: counted as the report counts the category (the assess rules:
# a staff member's unit is their workplace, not health data about them).
WHOLE_CATEGORY = ("HEALTH", "NATIONAL_ID", "FINANCIAL", "CREDENTIALS")


def _kind_found(case, entities: tuple[str, ...], category: str) -> tuple[int, int]:
    """People exposing the kind, and the findings of its entities. A whole category counts the
    people of that category; a part of one (postal address within contact details) the people
    whose records or attached facts hold one of ``entities``."""
    db = case.db
    names = ", ".join(f"'{e}'" for e in entities)
    if category in WHOLE_CATEGORY:
        people = db.execute("SELECT count(*) FROM people WHERE list_contains(categories, ?)",
                            [category]).fetchone()[0]
    else:
        people = db.execute(
            f"""SELECT count(DISTINCT pr.person_id) FROM person_records pr
                JOIN records r USING (record_id)
                WHERE list_has_any({entity_list_sql('r.entities')}, [{names}])
                   OR record_id IN (SELECT record_id FROM facts WHERE entity IN ({names}))"""
        ).fetchone()[0]
    findings = db.execute(
        f"SELECT coalesce(sum(x.n), 0) FROM {findings_store.COUNTS} x "
        f"JOIN files f USING (sha256) WHERE x.entity IN ({names})").fetchone()[0]
    return int(people), int(findings)
