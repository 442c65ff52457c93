"""Which table rows are records of a person (detect/records.py)."""

from __future__ import annotations

from breachscope.detect.records import build_record


def test_a_row_without_name_but_an_email_and_a_birth_date_is_a_record():
    # Splink's fake_1000: rows whose name cells are empty still hold the person's e-mail and
    # birth date; the linkage joins them to the named rows that share them.
    record = build_record("row 7", [("BIRTH_DATE", ["2005-08-20"]),
                                    ("EMAIL", ["maisie.walsh@example.com"])], "PATIENT")
    assert record is not None
    assert record.birth_date == "2005-08-20" and record.emails == ["maisie.walsh@example.com"]


def test_a_row_without_name_with_one_contact_is_no_record():
    assert build_record("row 2", [("EMAIL", ["contact@example.com"])], "UNKNOWN") is None
    assert build_record("row 3", [("BIRTH_DATE", ["1984-10-27"]), ("CITY", ["Lyon"])],
                        "UNKNOWN") is None


def test_one_name_part_with_an_identifier_is_a_record():
    record = build_record("row 4", [("LAST_NAME", ["GREEN"]), ("BIRTH_DATE", ["1974-10-05"])],
                          "PATIENT")
    assert record is not None and record.last_name == "GREEN" and record.first_name is None
