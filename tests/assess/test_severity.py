from breachscope.assess.categories import record_categories
from breachscope.assess.sensitive import is_sensitive_unit
from breachscope.assess.severity import level, severity


def test_levels_follow_enisa_thresholds():
    assert [level(x) for x in (1.75, 2.0, 2.99, 3.0, 4.0, 5.0)] == [
        "low", "medium", "medium", "high", "very high", "very high"]


def test_patient_in_psychiatry_is_very_high_and_staff_directory_low():
    full = dict(has_full_name=True, has_birth_date=True, has_nir=False, has_address=False,
                has_contact=True)
    assert severity({"IDENTITY", "HEALTH"}, True, **full) == (5.0, "very high")
    staff = dict(full, has_birth_date=False)
    assert severity({"IDENTITY", "CONTACT"}, False, **staff) == (1.75, "low")
    assert severity({"IDENTITY", "NATIONAL_ID"}, False, **full) == (3.0, "high")


def test_staff_service_is_not_health_but_patient_unit_is():
    assert "HEALTH" not in record_categories(["LAST_NAME", "CARE_UNIT"], "STAFF")
    assert "HEALTH" in record_categories(["LAST_NAME", "CARE_UNIT"], "PATIENT")
    assert record_categories(["NIR", "IBAN", "PHONE"], "UNKNOWN") == {
        "NATIONAL_ID", "FINANCIAL", "CONTACT"}


def test_sensitive_units():
    assert is_sensitive_unit("PSYCHIATRIE ADULTE")
    assert is_sensitive_unit("ADDICTOLOGIE")
    assert is_sensitive_unit("CEGIDD")
    assert not is_sensitive_unit("CARDIOLOGIE")
    assert not is_sensitive_unit("URGENCES")
