"""The entity registry (breachscope/entities.py): every entity type has a complete spec, the
stages that used to keep their own per-entity tables read the same facts from it, and the
stored strings never change."""

import dataclasses
import subprocess
import sys

import pytest

from breachscope.detect.columns import column_stats
from breachscope.detect.model import Record
from breachscope.entities import (
    CATEGORY_ORDER,
    SPECS,
    Category,
    Cells,
    ColumnRule,
    EntitySpec,
    EntityType,
    category_of,
    mask_for,
    resolve,
    spec,
)
from breachscope.masking import mask_value

# Entities that on purpose count in no category: an establishment's FINESS is about no one.
NO_CATEGORY = {"FINESS"}
# Entities listed in record.entities only, with no Record field of their own.
NO_RECORD_FIELD = {"AGE", "STAY_ID", "RPPS", "FINESS", "ID_DOCUMENT", "PAYMENT_CARD",
                   "DIAGNOSIS", "MEDICATION", "CREDENTIAL"}
# One sample value per entity, to check that its mask hides something.
SAMPLES = {
    "PERSON": "DUPONT Marie", "LAST_NAME": "DUPONT", "FIRST_NAME": "Marie",
    "BIRTH_DATE": "1954-03-12", "SEX": "F", "AGE": "72", "PATIENT_ID": "12345678",
    "STAY_ID": "2301234567", "RPPS": "10003456789", "FINESS": "750712184",
    "ADDRESS": "12 rue des Lilas", "POSTAL_CODE": "75012", "CITY": "Paris",
    "PHONE": "+33612345678", "EMAIL": "marie.dupont@orange.fr", "NIR": "254037512345655",
    "ID_DOCUMENT": "18AB12345", "IBAN": "FR7630006000011234567890189",
    "PAYMENT_CARD": "4970101234567890", "VISIT_DATE": "2024-03-12", "CARE_UNIT": "PSYA",
    "ICD10_CODE": "F32.1", "DIAGNOSIS": "dépression", "MEDICATION": "DEROXAT",
    "PROCEDURE": "JNJD002", "CREDENTIAL": "$2b$12$abcdefghijklmnopqrstuv",
}
RECORD_FIELDS = {f.name: f for f in dataclasses.fields(Record)}


def test_every_entity_type_has_one_spec_whose_value_is_the_stored_string():
    assert set(SPECS) == set(EntityType)
    for entity, entity_spec in SPECS.items():
        assert entity_spec.entity is entity
        assert entity.value == entity.name  # what findings.entity and exports hold
        assert entity == entity.value and isinstance(entity, str)
        assert spec(entity.value) is entity_spec


@pytest.mark.parametrize("entity", list(EntityType))
def test_spec_is_complete(entity):
    """What adding an identifier must decide: a category (or an explicit none), a record
    field (or an explicit none), a mask that hides the value, a column rule."""
    s = SPECS[entity]
    assert isinstance(s, EntitySpec)
    assert (s.category is None) == (entity.value in NO_CATEGORY)
    assert s.category is None or s.category in Category
    assert (s.record_field is None) == (entity.value in NO_RECORD_FIELD)
    if s.record_field is not None:
        field = RECORD_FIELDS[s.record_field]
        assert (field.type.startswith("list")) == s.record_list, s.record_field
    masked = s.mask(SAMPLES[entity.value])
    assert isinstance(masked, str) and masked != SAMPLES[entity.value] and "*" in masked
    assert 0 < s.header_confidence <= 1
    assert s.column_rule in ColumnRule


@pytest.mark.parametrize("entity", list(EntityType))
def test_references_resolve_and_column_checks_are_counted(entity):
    s = SPECS[entity]
    stats = column_stats([SAMPLES[entity.value]])
    for normalization in (s.column_values, s.structure_values):
        if normalization is None:
            continue
        assert callable(resolve(normalization.normalize))
        assert normalization.detector and "+" not in normalization.detector
        if normalization.find is not None:
            assert callable(resolve(normalization.find))
    if s.cells is Cells.MANY:
        assert s.column_values is not None and s.column_values.find is not None
    if s.cells in (Cells.ONE, Cells.CODES):
        assert s.column_values is not None
    if s.column_rule in (ColumnRule.VALIDATED, ColumnRule.VALUES, ColumnRule.POSTAL_CODE):
        assert s.column_check is not None
    if s.column_check is not None:
        assert s.column_check.sample in stats.valid
        assert 0 < s.column_check.min_share <= 1 and 0 < s.column_check.confidence <= 1


def test_sample_values_normalize_through_the_registry():
    for entity in ("NIR", "PHONE", "EMAIL", "IBAN", "POSTAL_CODE", "BIRTH_DATE"):
        column = SPECS[EntityType(entity)].column_values
        assert column is not None
        assert resolve(column.normalize)(SAMPLES[entity]) == SAMPLES[entity]
    assert resolve(SPECS[EntityType.POSTAL_CODE].column_values.normalize)("1000") == "01000"
    structure = SPECS[EntityType.BIRTH_DATE].structure_values
    assert resolve(structure.normalize)("19540312083000+0100") == "1954-03-12"


def test_masks_and_categories_through_the_registry():
    assert mask_value("NIR", "185037512345627") == "1 85 03 ** *** *** 27"
    assert mask_value("ADDRESS", "12 rue X") == "1* r** *"
    assert mask_value("PAYMENT_CARD", "4970101234567890") == "************7890"
    assert mask_value("BIRTH_DATE", "1954") == "1**4"
    assert mask_value("NOT_AN_ENTITY", "abcdef") == "a****f"
    assert mask_for(EntityType.EMAIL)("jean.dupont@orange.fr") == "j***@orange.fr"
    assert category_of("NIR") == "NATIONAL_ID" and category_of("FINESS") is None
    assert category_of("NOT_AN_ENTITY") is None
    assert CATEGORY_ORDER == ["IDENTITY", "CONTACT", "NATIONAL_ID", "HEALTH", "FINANCIAL",
                              "CREDENTIALS"]


def test_former_tables_are_unchanged():
    """The tables the stages kept before the registry, as they were: a pure refactor."""
    from breachscope.assess import categories
    from breachscope.detect import document_records, records, structured, tables

    assert {
        **dict.fromkeys(["PERSON", "LAST_NAME", "FIRST_NAME", "BIRTH_DATE", "SEX", "AGE",
                         "PATIENT_ID", "STAY_ID", "RPPS"], "IDENTITY"),
        **dict.fromkeys(["ADDRESS", "POSTAL_CODE", "CITY", "PHONE", "EMAIL"], "CONTACT"),
        **dict.fromkeys(["NIR", "ID_DOCUMENT"], "NATIONAL_ID"),
        **dict.fromkeys(["IBAN", "PAYMENT_CARD"], "FINANCIAL"),
        **dict.fromkeys(["VISIT_DATE", "CARE_UNIT", "ICD10_CODE", "DIAGNOSIS", "MEDICATION",
                         "PROCEDURE"], "HEALTH"),
        "CREDENTIAL": "CREDENTIALS",
    } == categories.ENTITY_CATEGORY
    assert {"CARE_UNIT", "VISIT_DATE"} == categories.STAFF_NOT_HEALTH
    assert set(categories._EVIDENCE_ENTITIES) == {"ICD10_CODE", "PROCEDURE", "CARE_UNIT",
                                                   "MEDICATION", "DIAGNOSIS"}
    assert records._SINGLE_FIELDS == {
        "BIRTH_DATE": "birth_date", "SEX": "sex", "NIR": "nir", "ADDRESS": "address",
        "POSTAL_CODE": "postal_code", "CITY": "city", "PATIENT_ID": "patient_id",
        "CARE_UNIT": "care_unit", "VISIT_DATE": "visit_date", "LAST_NAME": "last_name",
        "FIRST_NAME": "first_name", "PERSON": "full_name"}
    assert records._LIST_FIELDS == {"PHONE": "phones", "EMAIL": "emails", "IBAN": "ibans",
                                    "ICD10_CODE": "icd10_codes", "PROCEDURE": "icd10_codes"}
    assert {
        "BIRTH_DATE", "NIR", "PHONE", "EMAIL", "ADDRESS", "POSTAL_CODE", "CITY", "PATIENT_ID",
        "IBAN", "SEX"} == document_records._PATIENT_ATTRS
    assert {"RPPS", "PHONE", "EMAIL"} == document_records._STAFF_ATTRS
    assert {k: d for k, (_, d) in tables._normalizers().items()
            if d != "column+header"} == {
        "NIR": "column+nir_key", "IBAN": "column+iban_mod97", "PHONE": "column+phonenumbers",
        "EMAIL": "column+email", "BIRTH_DATE": "column+date", "VISIT_DATE": "column+date",
        "POSTAL_CODE": "column+postal_code", "SEX": "column+sex", "RPPS": "column+rpps_luhn",
        "FINESS": "column+finess_luhn", "PAYMENT_CARD": "column+card_luhn",
        "ICD10_CODE": "column+cim10", "PROCEDURE": "column+ccam"}
    assert {k: d for k, (_, d) in structured._normalizers().items()} == {
        "NIR": "structure+nir_key", "IBAN": "structure+iban_mod97",
        "PHONE": "structure+phonenumbers", "EMAIL": "structure+email",
        "BIRTH_DATE": "structure+date", "VISIT_DATE": "structure+date",
        "POSTAL_CODE": "structure+postal_code", "SEX": "structure+sex",
        "ICD10_CODE": "structure+icd10"}


def test_registry_and_extractors_do_not_load_detection():
    """Extractors and the registry stay independent of detect/ (the worker loads detection
    only to scan; ``ABSOLUTE`` lives with the units)."""
    code = ("import sys, breachscope.entities, breachscope.extract.cda, "
            "breachscope.extract.fhir, breachscope.extract.hprim; "
            "print([m for m in sys.modules if m.startswith('breachscope.detect')])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


def test_every_entity_detection_emits_is_in_the_registry():
    """A label the header vocabulary gives or a free-text scanner emits without a spec would
    fall back to defaults everywhere (no category, no record field): the registry must know
    it first."""
    import importlib
    import pkgutil

    from breachscope.detect import scanners
    from breachscope.detect.headers import header_label, header_tokens, health_header_label

    emitted: set[str] = set()
    for info in pkgutil.iter_modules(scanners.__path__):
        module = importlib.import_module(f"{scanners.__name__}.{info.name}")
        emitted |= {entity for entity, _scan in getattr(module, "SCANNERS", [])}
    headers = ["IPP", "NDA", "nom", "prénom", "nom_prenom", "date_naissance", "sexe", "NIR",
               "adresse", "CP", "ville", "tél", "mail", "IBAN", "N° CB", "RPPS", "FINESS",
               "date d'entrée", "service", "CIM10", "diagnostic", "traitement", "acte CCAM",
               "mot de passe"]
    for name in headers:
        tokens = header_tokens(name)
        emitted |= {label for label in (header_label(tokens), health_header_label(tokens))
                    if label}
    assert emitted, "nothing collected"
    assert emitted <= {e.value for e in EntityType}, emitted - {e.value for e in EntityType}
