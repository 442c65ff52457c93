"""The entity registry: every kind of personal data breachscope finds, and what each stage does
with it, in one place.

Before this module the per-entity facts were spread over parallel tables (column checks in
``detect/columns.py``, normalizers in ``detect/tables.py`` and ``detect/structured.py``, record
fields in ``detect/records.py`` and ``detect/document_records.py``, masks in ``masking.py``,
categories in ``assess/categories.py``): adding an identifier meant editing them all and
forgetting one silently changed a figure. Now each :class:`EntityType` has one
:class:`EntitySpec` in :data:`SPECS`, and those modules look it up.

The module sits outside ``detect/`` and imports nothing from it, so that extractors, assess
and report can use the vocabulary without loading detection. Normalizers live with detection
(they need ``stdnum``, ``phonenumbers``, the CIM-10 list): the registry names them by
reference (``"breachscope.detect.validators:normalize_nir"``) and :func:`resolve` imports them
on first use.

:class:`EntityType` values are the strings the case store has always held (``findings.entity``,
``records.entities``, exports): a :class:`~enum.StrEnum` member *is* that string, so nothing
stored or exported changes.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum, StrEnum
from functools import cache
from typing import Any

from breachscope import masking


class EntityType(StrEnum):
    """The vocabulary of findings and column labels (values as stored in the case)."""

    PERSON = "PERSON"
    LAST_NAME = "LAST_NAME"
    FIRST_NAME = "FIRST_NAME"
    BIRTH_DATE = "BIRTH_DATE"
    SEX = "SEX"
    AGE = "AGE"
    PATIENT_ID = "PATIENT_ID"
    STAY_ID = "STAY_ID"
    RPPS = "RPPS"
    FINESS = "FINESS"
    ADDRESS = "ADDRESS"
    POSTAL_CODE = "POSTAL_CODE"
    CITY = "CITY"
    PHONE = "PHONE"
    EMAIL = "EMAIL"
    NIR = "NIR"
    ID_DOCUMENT = "ID_DOCUMENT"
    IBAN = "IBAN"
    PAYMENT_CARD = "PAYMENT_CARD"
    VISIT_DATE = "VISIT_DATE"
    CARE_UNIT = "CARE_UNIT"
    ICD10_CODE = "ICD10_CODE"
    DIAGNOSIS = "DIAGNOSIS"
    MEDICATION = "MEDICATION"
    PROCEDURE = "PROCEDURE"
    CREDENTIAL = "CREDENTIAL"


class Category(StrEnum):
    """The categories of data a person has exposed (``people.categories``), in report order:
    the member order is :data:`CATEGORY_ORDER` and the bit order of the assess SQL."""

    IDENTITY = "IDENTITY"
    CONTACT = "CONTACT"
    NATIONAL_ID = "NATIONAL_ID"
    HEALTH = "HEALTH"
    FINANCIAL = "FINANCIAL"
    CREDENTIALS = "CREDENTIALS"


CATEGORY_ORDER: list[str] = [c.value for c in Category]


class Cells(Enum):
    """How a table cell of the entity is read into values (``detect/tables.py``)."""

    ONE = "one"  # the normalizer over the whole cell: one value or none
    MANY = "many"  # several values per cell (``06 12 34 56 78 / 01 23 45 67 89``)
    CODES = "codes"  # codes separated by spaces, ``/``, ``;``... (``E11.9;I10``)
    NAME = "name"  # kept as found when it holds a letter
    AS_FOUND = "as_found"  # kept as found, trimmed
    CREDENTIAL = "credential"  # masked by ``detect/secrets.py`` according to the header


class ColumnRule(Enum):
    """How a column's values confirm the label its header gives (``detect/columns.py``).

    ``VALIDATED``: an identifier with a validator; a header saying so is not enough, most
    values must validate (and when they do not, the values alone may still label the column).
    ``VALUES``: a share of values must pass the sample check (dates, sex codes).
    ``POSTAL_CODE``: as ``VALUES``, plus a column of several countries' short codes.
    ``NAMES``: values must look like names (``CITY`` too).
    ``HEALTH``: codes or text decide between code and text labels.
    ``CREDENTIAL``: the check depends on the kind of credential the header names.
    ``HEADER``: the header alone (``header_confidence``)."""

    VALIDATED = "validated"
    VALUES = "values"
    POSTAL_CODE = "postal_code"
    NAMES = "names"
    HEALTH = "health"
    CREDENTIAL = "credential"
    HEADER = "header"


@dataclass(frozen=True, slots=True)
class Normalization:
    """A normalizer by reference (``module:function``, resolved by :func:`resolve`) and the
    detector name its findings carry after the source prefix (``column+``, ``structure+``).
    The normalizer takes a raw string and returns the normalized value or ``None``."""

    normalize: str
    detector: str
    find: str | None = None  # ``Cells.MANY``: the text scanner's finder, for cells in prose


@dataclass(frozen=True, slots=True)
class ColumnCheck:
    """The value evidence a column labelled by its header must show.

    ``sample``: the key of ``ColumnStats.valid`` counted (an entity's own name when its
    column normalizer is the check, else a shared check of ``detect/columns.py`` such as
    ``DATE_LOOSE``); ``min_share`` of sampled values must pass; the label then gets
    ``confidence``; ``what`` says what passing values are, for the stored reason
    (``"valid NIRs"``, ``"dates"``); ``values_only_rank``: the values alone (any header) give
    the label, trying lower ranks first."""

    sample: str
    min_share: float
    confidence: float
    what: str
    values_only_rank: int | None = None


@dataclass(frozen=True, slots=True)
class EntitySpec:
    """Everything breachscope does with one entity type, stage by stage.

    - ``category``: what exposing it means for a person (``None``: counts in no category,
      e.g. an establishment's FINESS number is about no one).
    - ``staff_not_health``: in a staff member's record the value is about the workplace (their
      unit, their shift dates), not their health.
    - ``care_evidence``: its values may reveal sensitive care (``assess/categories.py``).
    - ``record_field``: the :class:`~breachscope.detect.model.Record` field its values fill
      (``None``: only listed in ``record.entities``); ``record_list``: that field is a list.
    - ``patient_block`` / ``staff_block``: in a document, a finding of this entity near a
      patient's / a professional's name belongs to them (``detect/document_records.py``).
    - ``is_name``: a person's name label (name checks, name inference).
    - ``cells``, ``column_values``: how table cells are normalized (``None``: kept as found,
      detector ``column+header``); ``column_rule``, ``column_check``: how a column's values
      confirm its header; ``header_confidence``: the label's confidence on the header alone.
    - ``structure_values``: how a structured message's field (HL7, FHIR, CDA, HPRIM) is
      normalized (``None``: kept as found, whitespace collapsed, detector ``structure``).
    - ``mask``: how the tool shows a value of it anywhere outside the case store.
    """

    entity: EntityType
    category: Category | None
    mask: Callable[[str], str] = masking.mask_partial
    record_field: str | None = None
    record_list: bool = False
    patient_block: bool = False
    staff_block: bool = False
    staff_not_health: bool = False
    care_evidence: bool = False
    is_name: bool = False
    cells: Cells = Cells.AS_FOUND
    column_values: Normalization | None = None
    column_rule: ColumnRule = ColumnRule.HEADER
    column_check: ColumnCheck | None = None
    header_confidence: float = 0.85
    structure_values: Normalization | None = None


_V = "breachscope.detect.validators"
_ID = "breachscope.detect.identifiers"
_H = "breachscope.detect.health"
_COL = "breachscope.detect.columns"
_ST = "breachscope.detect.structured"
_TXT = "breachscope.detect.text"
E, C = EntityType, Category

_SPECS: list[EntitySpec] = [
    # --- identity
    EntitySpec(E.PERSON, C.IDENTITY, masking.mask_name, record_field="full_name",
               is_name=True, cells=Cells.NAME, column_rule=ColumnRule.NAMES),
    EntitySpec(E.LAST_NAME, C.IDENTITY, masking.mask_name, record_field="last_name",
               is_name=True, cells=Cells.NAME, column_rule=ColumnRule.NAMES),
    EntitySpec(E.FIRST_NAME, C.IDENTITY, masking.mask_name, record_field="first_name",
               is_name=True, cells=Cells.NAME, column_rule=ColumnRule.NAMES),
    EntitySpec(E.BIRTH_DATE, C.IDENTITY, masking.mask_birth_date, record_field="birth_date",
               patient_block=True, cells=Cells.ONE,
               column_values=Normalization(f"{_COL}:parse_column_date", "date"),
               column_rule=ColumnRule.VALUES,
               column_check=ColumnCheck("DATE_LOOSE", 0.6, 0.95, "dates"),
               structure_values=Normalization(f"{_ST}:parse_message_date", "date")),
    EntitySpec(E.SEX, C.IDENTITY, record_field="sex", patient_block=True, cells=Cells.ONE,
               column_values=Normalization(f"{_V}:normalize_sex", "sex"),
               column_rule=ColumnRule.VALUES,
               column_check=ColumnCheck("SEX", 0.8, 0.9, "sex codes"),
               structure_values=Normalization(f"{_V}:normalize_sex", "sex")),
    EntitySpec(E.AGE, C.IDENTITY),
    EntitySpec(E.PATIENT_ID, C.IDENTITY, record_field="patient_id", patient_block=True,
               header_confidence=0.9),
    EntitySpec(E.STAY_ID, C.IDENTITY, header_confidence=0.9),
    EntitySpec(E.RPPS, C.IDENTITY, staff_block=True, cells=Cells.ONE,
               column_values=Normalization(f"{_ID}:normalize_professional_id", "rpps_luhn"),
               column_rule=ColumnRule.VALIDATED,
               column_check=ColumnCheck("RPPS", 0.6, 0.97, "valid RPPS/ADELI numbers")),
    EntitySpec(E.FINESS, None, cells=Cells.ONE,
               column_values=Normalization(f"{_ID}:normalize_finess", "finess_luhn"),
               column_rule=ColumnRule.VALIDATED,
               column_check=ColumnCheck("FINESS", 0.6, 0.97, "valid FINESS numbers")),
    # --- contact
    EntitySpec(E.ADDRESS, C.CONTACT, masking.mask_name, record_field="address",
               patient_block=True),
    EntitySpec(E.POSTAL_CODE, C.CONTACT, record_field="postal_code", patient_block=True,
               cells=Cells.ONE,
               column_values=Normalization(f"{_COL}:normalize_postal_code_padded", "postal_code"),
               column_rule=ColumnRule.POSTAL_CODE,
               column_check=ColumnCheck("POSTAL_CODE", 0.6, 0.9, "postal codes"),
               structure_values=Normalization(f"{_COL}:normalize_postal_code_padded",
                                              "postal_code")),
    EntitySpec(E.CITY, C.CONTACT, record_field="city", patient_block=True, cells=Cells.NAME,
               column_rule=ColumnRule.NAMES),
    EntitySpec(E.PHONE, C.CONTACT, masking.mask_phone, record_field="phones", record_list=True,
               patient_block=True, staff_block=True, cells=Cells.MANY,
               column_values=Normalization(f"{_V}:normalize_phone", "phonenumbers",
                                           f"{_TXT}:find_phones"),
               column_rule=ColumnRule.VALIDATED,
               column_check=ColumnCheck("PHONE", 0.6, 0.95, "valid phone numbers",
                                        values_only_rank=3),
               structure_values=Normalization(f"{_V}:normalize_phone", "phonenumbers")),
    EntitySpec(E.EMAIL, C.CONTACT, masking.mask_email, record_field="emails", record_list=True,
               patient_block=True, staff_block=True, cells=Cells.MANY,
               column_values=Normalization(f"{_V}:normalize_email", "email",
                                           f"{_TXT}:find_emails"),
               column_rule=ColumnRule.VALIDATED,
               column_check=ColumnCheck("EMAIL", 0.6, 0.97, "valid e-mail addresses",
                                        values_only_rank=2),
               structure_values=Normalization(f"{_V}:normalize_email", "email")),
    # --- national identifiers
    EntitySpec(E.NIR, C.NATIONAL_ID, masking.mask_nir, record_field="nir", patient_block=True,
               cells=Cells.ONE, column_values=Normalization(f"{_V}:normalize_nir", "nir_key"),
               column_rule=ColumnRule.VALIDATED,
               column_check=ColumnCheck("NIR", 0.6, 0.99, "valid NIRs", values_only_rank=0),
               structure_values=Normalization(f"{_V}:normalize_nir", "nir_key")),
    EntitySpec(E.ID_DOCUMENT, C.NATIONAL_ID),
    # --- financial
    EntitySpec(E.IBAN, C.FINANCIAL, masking.mask_iban, record_field="ibans", record_list=True,
               patient_block=True, cells=Cells.ONE,
               column_values=Normalization(f"{_V}:normalize_iban", "iban_mod97"),
               column_rule=ColumnRule.VALIDATED,
               column_check=ColumnCheck("IBAN", 0.6, 0.99, "valid IBANs", values_only_rank=1),
               structure_values=Normalization(f"{_V}:normalize_iban", "iban_mod97")),
    EntitySpec(E.PAYMENT_CARD, C.FINANCIAL, masking.mask_card, cells=Cells.ONE,
               column_values=Normalization(f"{_ID}:normalize_card", "card_luhn"),
               column_rule=ColumnRule.VALIDATED,
               column_check=ColumnCheck("PAYMENT_CARD", 0.6, 0.97, "valid card numbers (Luhn)")),
    # --- health
    EntitySpec(E.VISIT_DATE, C.HEALTH, record_field="visit_date", staff_not_health=True,
               cells=Cells.ONE,
               column_values=Normalization(f"{_COL}:parse_column_date", "date"),
               column_rule=ColumnRule.VALUES,
               column_check=ColumnCheck("DATE_LOOSE", 0.6, 0.9, "dates"),
               structure_values=Normalization(f"{_ST}:parse_message_date", "date")),
    EntitySpec(E.CARE_UNIT, C.HEALTH, record_field="care_unit", staff_not_health=True,
               care_evidence=True),
    EntitySpec(E.ICD10_CODE, C.HEALTH, record_field="icd10_codes", record_list=True,
               care_evidence=True, cells=Cells.CODES,
               column_values=Normalization(f"{_H}:normalize_icd10", "cim10"),
               column_rule=ColumnRule.HEALTH,
               structure_values=Normalization(f"{_ST}:normalize_icd10", "icd10")),
    EntitySpec(E.DIAGNOSIS, C.HEALTH, care_evidence=True, column_rule=ColumnRule.HEALTH),
    EntitySpec(E.MEDICATION, C.HEALTH, care_evidence=True, column_rule=ColumnRule.HEALTH),
    # CCAM acts share the record's code list with ICD-10 codes (``records.icd10_codes``).
    EntitySpec(E.PROCEDURE, C.HEALTH, record_field="icd10_codes", record_list=True,
               care_evidence=True, cells=Cells.CODES,
               column_values=Normalization(f"{_H}:normalize_ccam", "ccam"),
               column_rule=ColumnRule.HEALTH),
    # --- credentials (values are stored masked: detect/secrets.py)
    EntitySpec(E.CREDENTIAL, C.CREDENTIALS, cells=Cells.CREDENTIAL,
               column_rule=ColumnRule.CREDENTIAL),
]
del E, C

SPECS: dict[EntityType, EntitySpec] = {spec.entity: spec for spec in _SPECS}


def spec(entity: str) -> EntitySpec | None:
    """The spec of an entity string (``"NIR"`` or ``EntityType.NIR``), ``None`` for a string
    outside the vocabulary (a label from an older case, a typo in a test)."""
    try:
        return SPECS[EntityType(entity)]
    except ValueError:
        return None


def mask_for(entity: str) -> Callable[[str], str]:
    """How to show a value of ``entity`` outside the case store (unknown entities: first and
    last characters only)."""
    found = spec(entity)
    return found.mask if found is not None else masking.mask_partial


def category_of(entity: str) -> str | None:
    """The category exposing ``entity`` means, or ``None``."""
    found = spec(entity)
    return found.category.value if found is not None and found.category else None


def entities_where(test: Callable[[EntitySpec], object]) -> frozenset[str]:
    """The entity strings whose spec passes ``test`` (``lambda s: s.is_name``)."""
    return frozenset(s.entity.value for s in SPECS.values() if test(s))


@cache
def resolve(reference: str) -> Callable[[str], Any]:
    """The function a ``module:function`` reference names, imported on first use (the
    registry must not import detection at import time)."""
    module, _, name = reference.partition(":")
    function: Callable[[str], Any] = getattr(importlib.import_module(module), name)
    return function
