"""Health data in free text: ICD-10 codes, CCAM acts, care units, diagnoses by label and
medications. See :mod:`breachscope.detect.health`."""

from __future__ import annotations

from breachscope.detect.health import (
    find_care_units,
    find_ccam,
    find_diagnoses,
    find_icd10,
    find_medications,
)

SCANNERS = [
    ("ICD10_CODE", find_icd10),
    ("PROCEDURE", find_ccam),
    ("CARE_UNIT", find_care_units),
    ("DIAGNOSIS", find_diagnoses),
    ("MEDICATION", find_medications),
]
