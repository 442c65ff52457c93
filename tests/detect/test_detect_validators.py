from __future__ import annotations

from datetime import date

import pytest
from detect_helpers import make_nir

from breachscope.detect.validators import (
    fold,
    nir_is_strict,
    normalize_email,
    normalize_iban,
    normalize_nir,
    normalize_phone,
    normalize_postal_code,
    normalize_sex,
    parse_date,
)

# ----------------------------------------------------------------------------- NIR

NIR = make_nir("1540375123456")  # man born March 1954 in Paris


def test_nir_helper_matches_the_documented_example() -> None:
    assert make_nir("2951099126111") == "295109912611193"  # stdnum's own doctest value


@pytest.mark.parametrize(
    "raw",
    [
        NIR,
        f"{NIR[0]} {NIR[1:3]} {NIR[3:5]} {NIR[5:7]} {NIR[7:10]} {NIR[10:13]} {NIR[13:]}",
        f"{NIR[0]}.{NIR[1:3]}.{NIR[3:5]}.{NIR[5:7]}.{NIR[7:10]}.{NIR[10:13]}.{NIR[13:]}",
        f"{NIR[0]}-{NIR[1:3]}-{NIR[3:5]}-{NIR[5:7]}-{NIR[7:10]}-{NIR[10:13]}-{NIR[13:]}",
        f"{NIR[:13]} {NIR[13:]}",
        f"  {NIR}  ",
    ],
)
def test_nir_accepts_separators(raw: str) -> None:
    assert normalize_nir(raw) == NIR


@pytest.mark.parametrize("dept", ["2A", "2B"])
def test_nir_corsica_keeps_letters_and_uses_19_18_for_the_key(dept: str) -> None:
    valid = make_nir(f"26012{dept}012345")
    assert normalize_nir(valid) == valid
    assert normalize_nir(valid.lower()) == valid
    assert normalize_nir(f"{valid[:5]} {valid[5:7]} {valid[7:]}") == valid
    # the key computed as if the département were 20 (or the other Corsican one) is wrong
    as_20 = f"26012{dept}012345{97 - int('2601220012345') % 97:02d}"
    assert normalize_nir(as_20) is None
    other = "2B" if dept == "2A" else "2A"
    assert normalize_nir(valid[:5] + other + valid[7:]) is None


def test_nir_wrong_key_rejected() -> None:
    wrong = NIR[:13] + f"{(int(NIR[13:]) % 97) + 1:02d}"
    assert normalize_nir(wrong) is None


def test_nir_changed_digit_rejected() -> None:
    changed = NIR[:8] + str((int(NIR[8]) + 1) % 10) + NIR[9:]
    assert normalize_nir(changed) is None


@pytest.mark.parametrize("sex", ["0", "5", "6", "9"])
def test_nir_impossible_sex_digit_rejected_even_with_valid_key(sex: str) -> None:
    assert normalize_nir(make_nir(f"{sex}540375123456")) is None


@pytest.mark.parametrize("sex", ["1", "2", "3", "4", "7", "8"])
def test_nir_real_world_sex_digits_accepted(sex: str) -> None:
    value = make_nir(f"{sex}540375123456")
    assert normalize_nir(value) == value


@pytest.mark.parametrize("raw", [NIR[:14], NIR + "1", "", "ABCDEFGHIJKLMNO", "1540375A2345678"])
def test_nir_bad_shapes_rejected(raw: str) -> None:
    assert normalize_nir(raw) is None


def test_nir_strict_and_probable() -> None:
    assert nir_is_strict(make_nir("2540375123456"))
    assert not nir_is_strict(make_nir("7540375123456"))  # temporary-number sex digit
    assert not nir_is_strict(make_nir("1543075123456"))  # pseudo month 30
    assert not nir_is_strict(make_nir("1541375123456"))  # month 13


# ----------------------------------------------------------------------------- IBAN

IBAN_FR = "FR7630006000011234567890189"


def test_iban_valid_fr_with_spaces_and_lower_case() -> None:
    assert normalize_iban(IBAN_FR) == IBAN_FR
    assert normalize_iban("FR76 3000 6000 0112 3456 7890 189") == IBAN_FR
    assert normalize_iban("fr76 3000 6000 0112 3456 7890 189") == IBAN_FR


def test_iban_other_country() -> None:
    assert normalize_iban("GB82 WEST 1234 5698 7654 32") == "GB82WEST12345698765432"


@pytest.mark.parametrize("position", [4, 10, 20, 26])
def test_iban_one_digit_changed_rejected(position: int) -> None:
    digit = str((int(IBAN_FR[position]) + 1) % 10)
    assert normalize_iban(IBAN_FR[:position] + digit + IBAN_FR[position + 1 :]) is None


@pytest.mark.parametrize("raw", ["", "FR76", "hello world", IBAN_FR[:-1]])
def test_iban_junk_rejected(raw: str) -> None:
    assert normalize_iban(raw) is None


# ----------------------------------------------------------------------------- phone


@pytest.mark.parametrize(
    "raw",
    [
        "06 12 34 56 78",
        "06.12.34.56.78",
        "0612345678",
        "+33 6 12 34 56 78",
        "+33 (0)6 12 34 56 78",
        "+33(0)612345678",
        "+33612345678",
        "0033612345678",
        "0033 6 12 34 56 78",
        "06-12-34-56-78",
        "06\u00a012\u00a034\u00a056\u00a078",  # nbsp, as in French word processors
        "06\u202f12\u202f34\u202f56\u202f78",  # narrow nbsp
    ],
)
def test_phone_french_formats(raw: str) -> None:
    assert normalize_phone(raw) == "+33612345678"


def test_phone_landline_and_foreign() -> None:
    assert normalize_phone("01 23 45 67 89") == "+33123456789"
    assert normalize_phone("+44 20 7946 0958") == "+442079460958"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0690 12 34 56", "+590690123456"),  # Guadeloupe mobile
        ("0590 12 34 56", "+590590123456"),  # Guadeloupe landline
        ("0694 12 34 56", "+594694123456"),  # Guyane
        ("0696 12 34 56", "+596696123456"),  # Martinique
        ("0692 03 10 02", "+262692031002"),  # La Réunion mobile
        ("02 62 43 51 75", "+262262435175"),  # La Réunion landline
        ("0269 61 23 45", "+262269612345"),  # Mayotte landline
        ("+262 692 03 10 02", "+262692031002"),
    ],
)
def test_phone_overseas(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["(33) 1 45 56 78 90", "(33)145567890", "+33 (0)1 45 56 78 90", "+33 01 45 56 78 90",
     "01.45.56.78.90", "01-45-56-78-90", "0 1 4 5 5 6 7 8 9 0", "01 45 56 78 90"],
)
def test_phone_letterhead_layouts(raw: str) -> None:
    assert normalize_phone(raw) == "+33145567890"


@pytest.mark.parametrize(
    "raw",
    [
        "1234",  # extension
        "12345",
        "612345678",  # 9-digit run without trunk 0
        "123456789",
        "06123456789",  # 11 digits
        "061234567",  # 9 digits with 0
        "06 12 34 56 78 poste 1234",
        "06 12 34 56 78 ext. 12",
        "00 00 00 00 00",
        "",
        "tel",
    ],
)
def test_phone_rejected(raw: str) -> None:
    assert normalize_phone(raw) is None


# ----------------------------------------------------------------------------- e-mail


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Marie.Dupont@Example.FR", "marie.dupont@example.fr"),
        (" jean-luc+test@chu-exemple.fr ", "jean-luc+test@chu-exemple.fr"),
        ("mailto:a.b@sub.domain.org", "a.b@sub.domain.org"),
        ("<x_y@hopital.fr>", "x_y@hopital.fr"),
    ],
)
def test_email_valid(raw: str, expected: str) -> None:
    assert normalize_email(raw) == expected


@pytest.mark.parametrize(
    "raw", ["foo@bar", "foo@@bar.fr", "foo bar@x.fr", "@x.fr", "a..b@x.fr", ".a@x.fr",
            "a@-x.fr", "a@x.f1", "plain text"],
)
def test_email_rejected(raw: str) -> None:
    assert normalize_email(raw) is None


# ----------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12/03/1954", "1954-03-12"),
        ("1/2/1960", "1960-02-01"),
        ("12-03-1954", "1954-03-12"),
        ("12.03.1954", "1954-03-12"),
        ("1954-03-12", "1954-03-12"),
        ("2023-01-05 00:00:00", "2023-01-05"),
        ("2023-01-05T10:00", "2023-01-05"),
        ("2023-01-05T10:00:00.123+01:00", "2023-01-05"),
        ("12 mars 1954", "1954-03-12"),
        ("1er février 1960", "1960-02-01"),
        ("1er fevrier 1960", "1960-02-01"),
        ("3 FEVR. 1971", "1971-02-03"),
        ("15 août 1980", "1980-08-15"),
        ("15 aout 1980", "1980-08-15"),
        ("7 déc. 1999", "1999-12-07"),
        ("25 Décembre 2001", "2001-12-25"),
    ],
)
def test_date_formats(raw: str, expected: str) -> None:
    assert parse_date(raw) == expected


def test_two_digit_years() -> None:
    today = date(2024, 6, 1)
    assert parse_date("12/03/54", today=today) == "1954-03-12"
    assert parse_date("12-03-54", today=today) == "1954-03-12"
    assert parse_date("05/01/23", today=today) == "2023-01-05"
    assert parse_date("01/06/24", today=today) == "2024-06-01"  # today is not the future
    assert parse_date("02/06/24", today=today) == "1924-06-02"  # tomorrow is
    assert parse_date("01/01/00", today=today) == "2000-01-01"


@pytest.mark.parametrize(
    "raw",
    ["31/02/2020", "29/02/2023", "32/01/2020", "12/13/2020", "0/1/2020", "2020-02-30",
     "12 foo 1954", "12/03-1954", "12/03/195", "1954", "", "mars 1954", "12/03/0001"],
)
def test_invalid_dates_rejected(raw: str) -> None:
    assert parse_date(raw) is None


def test_leap_day() -> None:
    assert parse_date("29/02/2024") == "2024-02-29"


def test_excel_serial_only_when_allowed() -> None:
    assert parse_date("19725") is None
    assert parse_date("19725", allow_excel_serial=True) == "1954-01-01"
    assert parse_date("19725.0", allow_excel_serial=True) == "1954-01-01"
    assert parse_date("1", allow_excel_serial=True) == "1900-01-01"
    assert parse_date("61", allow_excel_serial=True) == "1900-03-01"
    assert parse_date("60", allow_excel_serial=True) is None  # Excel's fictitious 1900-02-29
    assert parse_date("0", allow_excel_serial=True) is None
    assert parse_date("80001", allow_excel_serial=True) is None


def test_compact_date_only_when_allowed() -> None:
    assert parse_date("19540312") is None
    assert parse_date("19540312", allow_compact=True) == "1954-03-12"
    assert parse_date("19541312", allow_compact=True) is None


# ----------------------------------------------------------------------------- postal code, sex


@pytest.mark.parametrize("raw", ["75001", "01000", "20000", "20290", "97411", "98000", " 69003 "])
def test_postal_codes(raw: str) -> None:
    assert normalize_postal_code(raw) == raw.strip()


@pytest.mark.parametrize("raw", ["00100", "96000", "99000", "7500", "750011", "2A000", "abcde"])
def test_postal_codes_rejected(raw: str) -> None:
    assert normalize_postal_code(raw) is None


def test_postal_code_padding_restores_spreadsheet_zero() -> None:
    assert normalize_postal_code("1000") is None
    assert normalize_postal_code("1000", pad=True) == "01000"
    assert normalize_postal_code("1000.0", pad=True) == "01000"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("M", "M"), ("H", "M"), ("Homme", "M"), ("masculin", "M"), ("1", "M"), ("M.", "M"),
     ("F", "F"), ("Femme", "F"), ("Féminin", "F"), ("FEMININ", "F"), ("2", "F"), ("Mme", "F"),
     ("I", None), ("3", None), ("", None), ("X", None)],
)
def test_sex(raw: str, expected: str | None) -> None:
    assert normalize_sex(raw) == expected


# ----------------------------------------------------------------------------- fold


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Lefèvre", "LEFEVRE"),
        ("Jean-Pierre", "JEAN PIERRE"),
        ("  jean   pierre ", "JEAN PIERRE"),
        ("D'Arc", "D ARC"),
        ("D’Arc", "D ARC"),
        ("Œuvray", "OEUVRAY"),
        ("Hélène--Zoé", "HELENE ZOE"),
        ("ÇA", "CA"),
    ],
)
def test_fold(raw: str, expected: str) -> None:
    assert fold(raw) == expected


def test_phone_with_en_dashes_of_a_word_processor() -> None:
    assert normalize_phone("01–45–56–78–90") == "+33145567890"
    assert normalize_phone("01–45–56–78") is None
