"""What detection produces: findings and records."""

from __future__ import annotations

from dataclasses import dataclass, field

# The entity labels and their categories are the registry's: breachscope.entities.

#: A record's entity names as stored (``records.entities``, schema v10, and the workers' result
#: files): sorted and joined by this (no entity name holds it; an empty string for none).
ENTITY_SEPARATOR = ","


def entities_text(names: object) -> str | None:
    """``records.entities`` of the entity names ``names`` (``None`` stays ``None``)."""
    if names is None:
        return None
    return ENTITY_SEPARATOR.join(sorted(names))  # type: ignore[call-overload]


def entity_list(stored: str | None) -> list[str] | None:
    """The entity names of a stored ``records.entities`` (``None`` stays ``None``)."""
    if stored is None:
        return None
    return stored.split(ENTITY_SEPARATOR) if stored else []


@dataclass(slots=True)
class Finding:
    """One detected value. ``value`` is normalized as CONTRACT.md says (NIR 15 chars, PHONE
    E.164, EMAIL lower case, IBAN upper no spaces, dates YYYY-MM-DD, names as found trimmed).
    ``location`` is human readable within the file: ``row 12, column TEL``, ``line 45``."""

    entity: str
    value: str
    location: str
    confidence: float
    detector: str


@dataclass(slots=True)
class Record:
    """The findings that belong to one person in one place (a table row, a document's patient
    block). Fields hold normalized values; multi-valued fields are lists."""

    location: str
    last_name: str | None = None
    first_name: str | None = None
    full_name: str | None = None
    birth_date: str | None = None
    sex: str | None = None
    nir: str | None = None
    phones: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    address: str | None = None
    postal_code: str | None = None
    city: str | None = None
    ibans: list[str] = field(default_factory=list)
    patient_id: str | None = None
    care_unit: str | None = None
    visit_date: str | None = None
    icd10_codes: list[str] = field(default_factory=list)  # ICD-10 codes and CCAM acts
    role_hint: str = "UNKNOWN"  # PATIENT, STAFF or UNKNOWN, from the unit's evidence
    entities: set[str] = field(default_factory=set)  # every entity seen for this person here
