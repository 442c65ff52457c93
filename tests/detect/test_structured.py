from breachscope.detect.structured import detect_record_unit
from breachscope.extract.units import FieldValue, RecordUnit


def test_fields_are_validated_and_make_one_record():
    unit = RecordUnit(name="message 3", fields=[
        FieldValue("PATIENT_ID", "12345", "segment PID-3"),
        FieldValue("NIR", "254037512345655", "segment PID-3"),
        FieldValue("NIR", "254037512345600", "segment PID-3"),  # wrong key: not a finding
        FieldValue("LAST_NAME", "DUPONT", "segment PID-5"),
        FieldValue("FIRST_NAME", "Marie", "segment PID-5"),
        FieldValue("BIRTH_DATE", "19540312", "segment PID-7"),
        FieldValue("PHONE", "0612345678", "segment PID-13"),
        FieldValue("CARE_UNIT", "Psychiatrie adulte", "segment PV1-3"),
    ])
    findings, [record] = detect_record_unit(unit)
    got = {(f.entity, f.value, f.location) for f in findings}
    assert ("NIR", "254037512345655", "message 3, segment PID-3") in got
    assert ("BIRTH_DATE", "1954-03-12", "message 3, segment PID-7") in got
    assert ("PHONE", "+33612345678", "message 3, segment PID-13") in got
    assert not any(v == "254037512345600" for _, v, _ in got)
    assert (record.last_name, record.first_name, record.nir, record.birth_date) == (
        "DUPONT", "Marie", "254037512345655", "1954-03-12")
    assert record.care_unit == "Psychiatrie adulte"
    assert record.role_hint == "PATIENT"
    assert "CARE_UNIT" in record.entities


def test_a_unit_without_identity_makes_no_record():
    findings, records = detect_record_unit(RecordUnit(name="message 1", fields=[
        FieldValue("CARE_UNIT", "Urgences", "segment PV1-3")]))
    assert records == [] and len(findings) == 1


def test_ocr_confidence_caps_findings():
    from breachscope.detect.dispatch import StreamingDetector
    from breachscope.extract.units import TextUnit

    unit = TextUnit("Tel : 06 12 34 56 78", name="page 1", confidence=0.62)
    [finding] = StreamingDetector().detect(unit).findings
    assert (finding.entity, finding.confidence) == ("PHONE", 0.62)


def test_icd10_codes_are_normalized():
    from breachscope.detect.structured import normalize_icd10

    assert normalize_icd10("I251") == "I25.1"
    assert normalize_icd10("f32.1") == "F32.1"
    assert normalize_icd10("B20") == "B20"
    assert normalize_icd10(" Z51.00 ") == "Z51.00"
    assert normalize_icd10("A17.0+") == "A17.0"
    assert normalize_icd10("123456") is None and normalize_icd10("JNJD002") is None


def test_hl7_timestamps_and_absolute_locations():
    unit = RecordUnit(name="entry 1 (Patient)", fields=[
        FieldValue("NIR", "254037512345655", "identifier[0].value"),
        FieldValue("VISIT_DATE", "202403011030+0100", "/entry 2 (Encounter), period.start"),
        FieldValue("ICD10_CODE", "F321", "/entry 3 (Condition), code.coding[0].code"),
    ])
    findings, [record] = detect_record_unit(unit)
    got = {(f.entity, f.value, f.location) for f in findings}
    assert ("VISIT_DATE", "2024-03-01", "entry 2 (Encounter), period.start") in got
    assert ("ICD10_CODE", "F32.1", "entry 3 (Condition), code.coding[0].code") in got
    assert record.visit_date == "2024-03-01"
