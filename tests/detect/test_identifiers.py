"""RPPS, ADELI, FINESS and payment cards: validators, prose with context, tables, the
false-positive traps, and a measured corpus (P and R ≥ 0.995 with the core identifiers)."""

from __future__ import annotations

import random

import pytest
from complexity import assert_scales
from detect_helpers import make_nir

from breachscope.detect.columns import classify_columns
from breachscope.detect.identifiers import (
    card_brand,
    normalize_adeli,
    normalize_card,
    normalize_finess,
    normalize_rpps,
    scan_cards,
    scan_finess,
    scan_rpps,
)
from breachscope.detect.tables import detect_table
from breachscope.detect.text import scan_text
from breachscope.extract.units import TableUnit, TextUnit


def luhn_digit(body: str) -> str:
    """The Luhn check digit of ``body`` (computed here, independently of stdnum)."""
    total = 0
    for i, c in enumerate(reversed(body)):
        d = int(c)
        if i % 2 == 0:  # the digit next to the check digit is doubled
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return str((10 - total % 10) % 10)


def with_luhn(body: str) -> str:
    return body + luhn_digit(body)


def broken(number: str) -> str:
    """``number`` with a wrong check digit."""
    return number[:-1] + str((int(number[-1]) + 3) % 10)


# Published numbers (practitioners' own web pages, public FHIR/HL7 examples of the ANS):
# every one passes Luhn, which is how the checksum was verified.
REAL_RPPS = ["10109804632", "10008937095", "10111548680", "10010075736", "10005974372"]
REAL_FINESS = ["750712184", "690781810", "130786049", "060016219", "300017985", "750100125"]
VISA = with_luhn("497010123456789")  # 16 digits, CB co-badged Visa range
MASTERCARD = with_luhn("545454545454545")
AMEX = with_luhn("37828224631000")


def entities(text: str, entity: str) -> list[str]:
    return [f.value for f in scan_text(TextUnit(text)) if f.entity == entity]


# ----------------------------------------------------------------------------- validators


def test_real_numbers_validate_and_made_up_ones_do_not() -> None:
    assert all(normalize_rpps(n) == n for n in REAL_RPPS)
    assert all(normalize_finess(n) == n for n in REAL_FINESS)
    for made_up in ("10001234567", "10003456789", "10000000001", "10101010101"):
        assert normalize_rpps(made_up) is None  # documentation placeholders fail Luhn
    assert normalize_rpps("8" + REAL_RPPS[0]) == REAL_RPPS[0]  # IDNPS = 8 + RPPS
    assert normalize_rpps("10 109 804 632") == "10109804632"
    assert normalize_finess("1" + REAL_FINESS[0]) == REAL_FINESS[0]  # IDNST = 1 + FINESS
    assert normalize_finess(broken(REAL_FINESS[0])) is None
    assert normalize_finess(with_luhn("00123456")) is None  # no département 00
    assert normalize_adeli("287008627") == "287008627"
    assert normalize_adeli("000000000") is None


def test_cards() -> None:
    assert normalize_card(" ".join(VISA[i : i + 4] for i in range(0, 16, 4))) == VISA
    assert card_brand(VISA) == "visa" and card_brand(MASTERCARD) == "mastercard"
    assert card_brand(AMEX) == "amex" and card_brand(with_luhn("222100000000000")) == "mastercard"
    assert normalize_card(broken(VISA)) is None
    assert normalize_card(with_luhn("999999999999999")) is None  # no issuer
    assert normalize_card("4970 **** **** 1234") is None
    assert normalize_card("4" * 16) is None


# ----------------------------------------------------------------------------- prose


@pytest.mark.parametrize(
    ("text", "expected", "confidence"),
    [
        ("Dr Marie LEROY — RPPS : 10109804632", "10109804632", 0.99),
        ("N° RPPS 10 109 804 632", "10109804632", 0.99),
        ("Prescripteur : Dr Martin 10008937095", "10008937095", 0.9),
        ("IDNPS 810111548680", "10111548680", 0.99),
        ("Identifiant RPPS :\n10010075736", "10010075736", 0.99),
        ("N° ADELI : 287008627", "287008627", 0.9),
    ],
)
def test_rpps_in_prose(text: str, expected: str, confidence: float) -> None:
    found = list(scan_rpps(text))
    assert [(h[2], h[3]) for h in found] == [(expected, confidence)]


@pytest.mark.parametrize(
    "text",
    [
        "Dossier 10109804632",  # no professional cue
        "RPPS : 10001234567",  # fails Luhn
        "Dr Martin, SIRET 10109804632",  # the nearest cue is SIRET
        "Prescripteur : Dr Martin 20109804631",  # weak cue needs the 10 prefix
        "Commande 10109804632 du Dr Martin",  # cue after the number does not count
        "ADELI",
    ],
)
def test_rpps_traps(text: str) -> None:
    assert list(scan_rpps(text)) == []


def test_finess_in_prose_and_traps() -> None:
    assert [h[2] for h in scan_finess("N° FINESS : 750712184")] == ["750712184"]
    assert [h[2:4] for h in scan_finess("Établissement 690781810")] == [("690781810", 0.9)]
    assert [h[2] for h in scan_finess("FINEG 1060016219")] == ["060016219"]
    assert list(scan_finess("FINESS : " + broken("750712184"))) == []
    assert list(scan_finess("SIREN de l'établissement : 750712184")) == []  # SIREN nearest
    assert list(scan_finess("Total 750712184 points")) == []


@pytest.mark.parametrize(
    "text",
    [
        f"Paiement par carte bancaire n° {VISA[:4]} {VISA[4:8]} {VISA[8:12]} {VISA[12:]}",
        f"CB : {MASTERCARD}",
        f"Card number {AMEX[:4]} {AMEX[4:10]} {AMEX[10:]}",
        f"Carte Visa\n{VISA}",
        f"{VISA[:4]}-{VISA[4:8]}-{VISA[8:12]}-{VISA[12:]} exp 12/27",
    ],
)
def test_card_in_context(text: str) -> None:
    assert [h[2] for h in scan_cards(text)] in ([VISA], [MASTERCARD], [AMEX])


@pytest.mark.parametrize(
    "text",
    [
        f"Référence {VISA}",  # Luhn and issuer, but no card context
        f"Paiement par carte — facture n° {VISA}",  # invoice number nearer than the cue
        f"Commande {VISA} réglée par CB",
        "Carte 4970 **** **** 1234",  # masked
        "CB XXXX XXXX XXXX 1234",
        f"CB : {broken(VISA)}",  # fails Luhn
        "Carte : SIRET 26750045200011",  # SIRET passes Luhn, 14 digits
        "Carte cadeau EAN 4006381333931",  # barcode
        f"Carte vitale {make_nir('1850578006084')}",
        "Montant réglé par carte : 1 234 567,89 €",
        "Carte réseau 192.168.100.254, firmware v4.12.3456.7890",
    ],
)
def test_card_traps(text: str) -> None:
    assert list(scan_cards(text)) == []


def test_credit_note_has_card_and_nothing_else() -> None:
    text = (f"Madame, nous avons débité votre carte {VISA} (exp. 03/27) de 1 234,56 € "
            f"le 12/03/2024, commande n° 0612345678, SIRET 26750045200011.")
    found = [(f.entity, f.value) for f in scan_text(TextUnit(text))
             if f.entity in {"PAYMENT_CARD", "PHONE", "NIR", "IBAN", "RPPS", "FINESS"}]
    assert found == [("PAYMENT_CARD", VISA)]


# ----------------------------------------------------------------------------- tables


def _table(header: list[str], rows: list[list[str]]) -> TableUnit:
    return TableUnit(header=header, rows=rows, name="", row_numbers=list(range(2, len(rows) + 2)))


def test_staff_table_with_rpps_adeli_and_card_columns() -> None:
    rng = random.Random(3)
    rows = []
    for i in range(30):
        rpps = with_luhn("10" + "".join(rng.choice("0123456789") for _ in range(8)))
        card = with_luhn("4970" + "".join(rng.choice("0123456789") for _ in range(11)))
        name = ["DUPONT", "MARTIN", "LEROY", "BERNARD", "PETIT", "DURAND"][i % 6]
        first = ["Marie", "Jean", "Luc"][i % 3]
        rows.append([name, first, rpps, f"28700{i:04d}", card, "Cardiologie"])
    table = _table(["Nom", "Prénom", "N° RPPS", "ADELI", "N° CB", "Fonction"], rows)
    labels = {c.header: c.label for c in classify_columns(table)}
    assert labels["N° RPPS"] == "RPPS" and labels["ADELI"] == "RPPS"
    assert labels["N° CB"] == "PAYMENT_CARD"
    detection = detect_table(table)
    assert detection.role_hint == "STAFF"
    rpps = [f for f in detection.findings if f.entity == "RPPS"]
    assert len(rpps) == 60 and rpps[0].detector == "column+rpps_luhn"
    assert {"RPPS", "PAYMENT_CARD"} <= detection.records[0].entities


def test_columns_whose_values_fail_are_not_labelled() -> None:
    rows = [[f"1000{i:07d}", f"{i:016d}", f"75{i:07d}"] for i in range(1, 40)]
    labels = [c.label for c in classify_columns(_table(["RPPS", "Carte", "FINESS"], rows))]
    assert labels == [None, None, None]


def test_finess_column_and_card_number_header_traps() -> None:
    rows = [[n, "x"] for n in REAL_FINESS] * 3
    assert classify_columns(_table(["finess_et", "libellé"], rows))[0].label == "FINESS"
    nirs = [[make_nir(f"18505780060{i:02d}")] for i in range(20)]
    assert classify_columns(_table(["N° carte vitale"], nirs))[0].label == "NIR"


# ----------------------------------------------------------------------------- measured


def _corpus(seed: int = 7) -> tuple[list[str], set[tuple[str, str, int]]]:
    """Lines of prose/config with known identifiers (truth: entity, value, line) and traps
    (lines that must yield none of the measured entities)."""
    rng = random.Random(seed)

    def digits(n: int) -> str:
        return "".join(rng.choice("0123456789") for _ in range(n))

    lines: list[str] = []
    truth: set[tuple[str, str, int]] = set()

    def add(line: str, *expected: tuple[str, str]) -> None:
        lines.append(line)
        truth.update((e, v, len(lines)) for e, v in expected)

    for _ in range(300):
        rpps = with_luhn("10" + digits(8))
        finess = with_luhn(rng.choice(["75", "69", "13", "33", "06", "97"]) + digits(6))
        card = with_luhn(rng.choice(["4970", "4539", "5132", "5412", "2221"]) + digits(11))
        amex = _amex_not_nir(rng, digits)
        nir = make_nir(rng.choice("12") + digits(2) + f"{rng.randint(1, 12):02d}" + digits(8))
        phone = rng.choice(["0612", "0620", "0645", "0661", "0678", "0750", "0760"]) + digits(6)
        email = f"{rng.choice(['jean', 'marie', 'luc'])}.{digits(3)}@chu-exemple.fr"
        iban_body = "30006000011234567890" + digits(3)
        iban = _iban_fr(iban_body)
        spaced = " ".join(card[i : i + 4] for i in range(0, 16, 4))
        grouped_rpps = f"{rpps[:2]} {rpps[2:5]} {rpps[5:8]} {rpps[8:]}"
        add(f"Dr {rng.choice(['MARTIN', 'Leroy'])} (RPPS {rpps}), tél. {phone[:2]} {phone[2:4]} "
            f"{phone[4:6]} {phone[6:8]} {phone[8:]}",
            ("RPPS", rpps), ("PHONE", "+33" + phone[1:]))
        add(f"Prescripteur : Dr Dupont — N° RPPS : {grouped_rpps}", ("RPPS", rpps))
        add(f"Établissement : CH de Test, N° FINESS {finess}", ("FINESS", finess))
        add(f"Règlement par carte bancaire n° {spaced}, expiration 09/28", ("PAYMENT_CARD", card))
        add(f"CB {amex} — montant 1 234,56 €", ("PAYMENT_CARD", amex))
        add(f"Assuré : NIR {nir}, mail {email}", ("NIR", nir), ("EMAIL", email))
        add(f"Virement sur IBAN {iban}", ("IBAN", iban))
        # traps: checksum failures, reference numbers, barcodes, SIRET, IPs, versions...
        add(f"RPPS : {broken(rpps)} ; FINESS : {broken(finess)} ; CB : {broken(card)}")
        add(f"Commande n° {card} — facture {rpps} — lot {phone}")
        add(f"SIRET {with_luhn('267500452' + digits(4))} payé par carte, EAN {_ean13(digits(12))}")
        add(f"Carte mémoire 192.168.{rng.randint(0, 255)}.{rng.randint(1, 254)}, version "
            f"{rng.randint(1, 9)}.{rng.randint(0, 99)}.{digits(4)}.{digits(4)}")
        add(f"Le {rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/2023, poste {digits(4)}, "
            f"total {rng.randint(1, 999)} {digits(3)} {digits(3)},{digits(2)} €")
        add(f"Carte 4970 **** **** {digits(4)}, ticket {card}, dossier {rpps}")
        add(f"N° de dossier {finess} ; réf. {card}")
    return lines, truth


def _amex_not_nir(rng: random.Random, digits) -> str:
    """An Amex number that is not also a valid NIR: about 1 in 97 Amex numbers (3 + 14
    digits) passes the NIR key, and the core NIR scanner, run first, then takes it (see
    test_amex_that_is_also_a_nir)."""
    while True:
        amex = with_luhn(rng.choice(["34", "37"]) + digits(12))
        if (97 - int(amex[:13]) % 97) != int(amex[13:]):
            return amex


def _iban_fr(bban: str) -> str:
    numeric = int("".join(str(int(c, 36)) for c in bban + "FR00"))
    return f"FR{98 - numeric % 97:02d}{bban}"


def _ean13(body: str) -> str:
    total = sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(body))
    return body + str((10 - total % 10) % 10)


def test_amex_that_is_also_a_nir() -> None:
    amex = "343177372187817"  # Luhn-valid Amex, and 97 - (3431773721878 mod 97) = 17
    assert entities(f"CB {amex[:4]} {amex[4:10]} {amex[10:]}", "PAYMENT_CARD") == [amex]


MEASURED = ("RPPS", "FINESS", "PAYMENT_CARD", "NIR", "IBAN", "PHONE", "EMAIL")


def test_measured_precision_and_recall() -> None:
    lines, truth = _corpus()
    text = "\n".join(lines)
    quarter = "\n".join(lines[: len(lines) // 4])
    results = {}

    def run(key: str, body: str) -> None:
        results[key] = scan_text(TextUnit(body))

    # scan_text is linear in the text (a complexity check, not a wall-clock limit: see
    # tests/complexity.py); its speed in MB/s is measured by bench/wallclock.py.
    assert_scales(lambda: run("quarter", quarter), lambda: run("full", text), what="scan_text")
    findings = results["full"]
    found = {(f.entity, f.value, int(f.location.split()[-1])) for f in findings
             if f.entity in MEASURED}
    for entity in MEASURED:
        expected = {t for t in truth if t[0] == entity}
        got = {t for t in found if t[0] == entity}
        tp = len(expected & got)
        precision = tp / len(got) if got else 1.0
        recall = tp / len(expected) if expected else 1.0
        assert precision >= 0.995, (entity, precision, sorted(got - expected)[:5])
        assert recall >= 0.995, (entity, recall, sorted(expected - got)[:5])
