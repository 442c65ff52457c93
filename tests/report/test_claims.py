"""The attacker's claim: counts, volumes and kinds of data read from French and English text,
and the verdict of each point against the findings."""

from __future__ import annotations

import pytest

from breachscope.report.claims import _verdict, check_claim, parse_claim


@pytest.mark.parametrize(("text", "expected"), [
    ("900 000 patients, 20 GB, antécédents médicaux, adresses postales",
     {"people": 900_000, "bytes": 20 * 10**9, "kinds": ["medical_history", "postal_address"]}),
    ("900.000 patients et 1,5 To", {"people": 900_000, "bytes": 1_500 * 10**9}),
    ("1,2 million de patients, numéros de sécurité sociale, RIB",
     {"people": 1_200_000, "kinds": ["national_id", "financial"]}),
    ("500k records, 3 GB of medical history, email addresses and passwords",
     {"records": 500_000, "bytes": 3 * 10**9,
      "kinds": ["medical_history", "email", "credentials"]}),
    ("2 000 000 dossiers médicaux, 12 Go", {"records": 2_000_000, "bytes": 12 * 10**9,
                                           "kinds": ["medical_history"]}),
    ("names and dates of birth of 30k people", {"people": 30_000, "kinds": ["identity"]}),
    ("45 000 personnes, 800 Mo, téléphones", {"people": 45_000, "bytes": 800 * 10**6,
                                             "kinds": ["phone"]}),
    ("IBAN et mots de passe", {"kinds": ["financial", "credentials"]}),
])
def test_parse_claim(text, expected):
    parsed = parse_claim(text)
    assert parsed.pop("text") == text
    assert parsed == expected


def test_an_e_mail_address_is_not_a_postal_address():
    assert parse_claim("adresses e-mail")["kinds"] == ["email"]
    assert parse_claim("adresses postales")["kinds"] == ["postal_address"]


def test_nothing_to_read_gives_only_the_text():
    assert parse_claim("we have everything") == {"text": "we have everything"}


def test_verdicts_of_figures():
    rows = check_claim(None, parse_claim("1 000 patients, 5 000 records, 2 GB"),
                       people=950, records=100, dump_bytes=0)
    assert [(r["point"], r["claimed"], r["found"], r["verdict"]) for r in rows] == [
        ("people", 1000, 950, "confirmed"),  # within a tenth: attackers round up
        ("records", 5000, 100, "exaggerated"),
        ("bytes", 2 * 10**9, 0, "not_found"),
    ]
    assert _verdict(100, 300) == "confirmed"  # more found than claimed still confirms
