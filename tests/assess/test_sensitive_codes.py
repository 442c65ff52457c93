"""Sensitive care from ICD-10 codes and CCAM acts; the SQL regex agrees with Python."""

from __future__ import annotations

import re

import pytest

from breachscope.assess.sensitive import (
    is_sensitive_code,
    is_sensitive_unit,
    sensitive_code_regex,
)
from breachscope.detect.health import icd10_codes, normalize_icd10


@pytest.mark.parametrize(("code", "category"), [
    ("F10.2", "addiction"), ("F19", "addiction"), ("F32.1", "psychiatry"), ("F321", "psychiatry"),
    ("F00", "psychiatry"), ("F99", "psychiatry"), ("X60", "self_harm"), ("X84.9", "self_harm"),
    ("B20", "hiv"), ("B24.+0", "hiv"), ("Z21", "hiv"), ("R75", "hiv"), ("Z20.6", "hiv"),
    ("Z71.7", "hiv"), ("A50.9", "sti"), ("A64", "sti"), ("Q90.9", "chromosomal"),
    ("Q99", "chromosomal"), ("Z31.5", "genetic_counselling"), ("T74.2", "sexual_abuse"),
    ("O04.9", "pregnancy_termination"), ("O07.4", "pregnancy_termination"),
    ("O07.9", "pregnancy_termination"), ("JNJD002", "pregnancy_termination"),
    ("JNJP001", "pregnancy_termination"),
    ("I25.1", None), ("G30", None), ("X85", None), ("A65", None), ("Z20.5", None),
    ("T74.1", None), ("O07.3", None), ("JNJD001", None), ("E11.9", None),
])
def test_is_sensitive_code(code, category):
    assert is_sensitive_code(code) == category


def test_sql_regex_agrees_with_python_on_every_code():
    pattern = re.compile(sensitive_code_regex())
    for code in icd10_codes():
        value = normalize_icd10(code)
        assert bool(pattern.match(value)) == (is_sensitive_code(value) is not None), value
    for act in ("JNJD002", "JNJP001", "HHFA016"):
        assert bool(pattern.match(act)) == (is_sensitive_code(act) is not None)


def test_units_still_sensitive():
    assert is_sensitive_unit("CMP ENFANTS")
    assert not is_sensitive_unit("CARDIOLOGIE")
