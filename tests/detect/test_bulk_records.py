"""``build_records`` (a table's records, the rules decided once per column) gives exactly the
records of ``build_record`` applied row by row."""

from __future__ import annotations

import random

from breachscope.detect.records import build_record, build_records

# Labels of every kind: single fields (two columns for some: the first filled wins), list
# fields (phones in two columns, merged), address parts (joined), a full name to split, and
# labels that fill no field.
_LABELS = ["PATIENT_ID", "LAST_NAME", "LAST_NAME", "FIRST_NAME", "PERSON", "BIRTH_DATE",
           "NIR", "PHONE", "PHONE", "EMAIL", "ADDRESS", "ADDRESS", "POSTAL_CODE", "CITY",
           "IBAN", "ICD10_CODE", "PROCEDURE", "CARE_UNIT", "VISIT_DATE", "SEX", "DIAGNOSIS"]
_VALUES = {
    "PERSON": ["DUPONT Marie", "Marie Dupont", "MARTIN, Paul", "Jean-Pierre LE GALL", ""],
    "PHONE": ["+33612345678", "+33198765432"],
    "EMAIL": ["a@b.fr", "c@d.fr"],
    "ADDRESS": ["12", "rue des Lilas", ""],
    "ICD10_CODE": ["E11.9", "I10"],
    "PROCEDURE": ["JNJD002", "E11.9"],
}


def _cell(rng: random.Random, label: str) -> tuple[str, ...]:
    if rng.random() < 0.35:
        return ()
    choices = _VALUES.get(label, [f"{label.lower()}{rng.randrange(3)}"])
    return tuple(dict.fromkeys(rng.choice(choices) for _ in range(rng.randint(1, 2))))


def test_table_records_are_the_row_by_row_records() -> None:
    rng = random.Random(4)
    kept = 0
    for _ in range(40):
        labels = rng.sample(_LABELS, rng.randint(1, 8))
        n = 60
        columns = [(label, [_cell(rng, label) for _ in range(n)]) for label in labels]
        locations = [f"row {r + 2}" for r in range(n)]
        expected = []
        for r, location in enumerate(locations):
            row = [(label, values[r]) for label, values in columns if values[r]]
            if row and (record := build_record(location, row, "PATIENT")) is not None:
                expected.append(record)
        assert build_records(columns, locations, "PATIENT") == expected
        kept += len(expected)
    assert kept > 200  # the tables made records (and rows without a person were left out)
