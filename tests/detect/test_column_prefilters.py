"""The bulk paths of table detection give what the value-by-value checks give.

Column statistics check each distinct sampled value once and skip the checks a value cannot
pass (too few digits for a phone, no ``@`` for an e-mail: ``columns.MIN_DIGITS``...); phone
numbers are validated against phonenumbers' French patterns without building a
``PhoneNumber``. Each shortcut is held here to the function it stands for, on random values
and on real-looking ones.
"""

from __future__ import annotations

import random

import phonenumbers
import pytest

from breachscope.detect import columns as c
from breachscope.detect.validators import _valid_french, normalize_phone

_REAL = [
    "06 12 34 56 78", "+33 6 12 34 56 78", "0033612345678", "(33) 1 45 56 78 90",
    "0690 12 34 56", "06.12.34.56.78 / 01 23 45 67 89", "1 85 05 78 006 084 91",
    "2A 85 05 78 006 084 91", "185057800608491", "FR76 3000 6000 0112 3456 7890 189",
    "GB82 WEST 1234 5698 7654 32", "NO9386011117947", "marie.dupont@chu-lille.fr",
    "mailto:<x@y.fr>", "12/03/1961", "1/1/60", "1er février 1960", "3 FEVR. 1971",
    "1961-03-12T10:00:00", "19610312", "25000", "12.0", "3653", "E11.9", "E11.9;I10", "B20",
    "JNJD002", "JNJD002-1-0", "59000", "1000", "2A004", "4970 1012 3456 7890",
    "10003456789", "810003456789", "123456789", "0123456789", "590000000", "DOLIPRANE 1000",
    "750000010", "75 000 001 0", "10000000017", "4970 1012 3456 7893",
    "paracetamol", "M", "Féminin", "Mme", "MADEMOISELLE", "Mademoiselle",
    "$2b$12$abcdefghijklmnopqrstuv", "sk_live_abcdef123",
    "DUPONT Marie", "Jean-Pierre LE GALL", "{SSHA}abcdefghijklmnop", "cle_api_4f9a8b7c6d5e",
    "$1$saltsalt$abcdefghijklmnopqrstuv", "pbkdf2_sha256$260000$salt$abcdefghijklmnopqrstuv",
    "", " ", "٣٤٥٦٧٨٩٠١٢", "06²12345678", "NULL",
]
_ALPHABET = "0123456789" * 4 + "AZaz2AB  .-/+()@,;:é٣²–_$*" + "FRGBNO"


def _random_values(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        value = "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(1, 34)))
        out.append(value.strip() or "x")
    return out


@pytest.mark.parametrize("name", sorted(c._sample_validators()))
def test_a_check_never_accepts_what_its_prefilter_skips(name: str) -> None:
    check = c._sample_validators()[name]
    accepted = skipped = 0
    for value in _REAL + _random_values(3000, seed=len(name)):
        found = check(value) is not None
        accepted += found
        worth = c.worth_checking(name, value)
        skipped += not worth
        assert worth or not found, (name, value)
    assert accepted, name  # the corpus exercises the check...
    if name in c._WORTH_CHECKING:  # ... and its prefilter
        assert skipped, name


def test_valid_shares_are_the_value_by_value_shares() -> None:
    rng = random.Random(5)
    sample = [rng.choice(_REAL + _random_values(40, seed=1)) for _ in range(400)]
    shares = c._valid_shares(sample, len(sample))
    for name, check in c._sample_validators().items():
        expected = sum(1 for v in sample if check(v) is not None) / len(sample)
        assert shares[name] == expected, name
    assert shares["PHONE"] > 0 and shares["DATE"] > 0 and shares["EMAIL"] > 0


def test_a_date_is_a_loose_date_and_loose_ones_are_digits() -> None:
    check, loose = c._sample_validators()["DATE"], c._sample_validators()["DATE_LOOSE"]
    extra = 0
    for value in _REAL + _random_values(5000, seed=21) + ["1.0", "44000", "20240131", "1/2/3"]:
        if check(value) is not None:
            assert loose(value) is not None, value
        elif loose(value) is not None:
            extra += 1
            assert c._DIGITS_AND_DOTS.fullmatch(value.strip()), value
    assert extra


def test_fold_of_ascii_is_the_unicode_fold() -> None:
    import unicodedata

    from breachscope.detect.validators import _FOLD_SEPARATORS, fold

    for value in [*_random_values(2000, seed=9), "Jean-Pierre", " d'Arc ", "M.", "LE  GALL"]:
        if value.isascii():
            decomposed = unicodedata.normalize("NFKD", value)
            stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
            assert fold(value) == _FOLD_SEPARATORS.sub(" ", stripped.upper()).strip()
    assert fold("Lefèvre-D'Arc ") == "LEFEVRE D ARC"


def test_nir_key_check_is_stdnums() -> None:
    from stdnum.fr import nir as stdnum_nir

    from breachscope.detect.validators import _nir_valid

    rng = random.Random(11)
    values = []
    for _ in range(20000):
        body = "".join(rng.choice("0123456789") for _ in range(13))
        if rng.random() < 0.2:
            body = body[:5] + rng.choice(["2A", "2B", "2C", "AB", "`1"]) + body[7:]
        key = f"{97 - int(body.replace('2A', '19').replace('2B', '18')[:13] or '0') % 97:02d}" \
            if body[:5].isdigit() and body[7:].isdigit() and (body[5:7].isdigit() or body[
                5:7] in ("2A", "2B")) else "00"
        values.append(body + (key if rng.random() < 0.5 else f"{rng.randrange(100):02d}"))
    values += ["1850578006084٩1", "2A0578006084911", "185057800608491"]
    accepted = 0
    for value in values:
        assert _nir_valid(value) == stdnum_nir.is_valid(value), value
        accepted += _nir_valid(value)
    assert accepted > 5000


def test_french_validity_is_phonenumbers_validity() -> None:
    rng = random.Random(3)
    numbers = [f"{p}{rng.randrange(10**5):05d}" for p in range(1000, 10000)]  # every prefix
    numbers += [str(rng.randrange(1, 10**11)) for _ in range(5000)]  # other lengths
    valid = 0
    for national in numbers:
        expected = phonenumbers.is_valid_number(
            phonenumbers.PhoneNumber(country_code=33, national_number=int(national)))
        assert _valid_french(national) == expected, national
        valid += expected
    assert valid > 1000


def test_normalize_phone_still_rejects_and_accepts() -> None:
    assert normalize_phone("06 12 34 56 78") == "+33612345678"
    assert normalize_phone("08 99 00 00 00") is None or normalize_phone(
        "08 99 00 00 00") == "+33899000000"
    assert normalize_phone("00 00 00 00 00") is None
    assert normalize_phone("0690 12 34 56") == "+590690123456"
