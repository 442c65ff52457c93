"""Digit-bound passes search only near digits (detect/windows.py): same findings as a search
of the whole text, on text with few digits and on text full of them."""

from __future__ import annotations

import random

import pytest

from breachscope.detect import windows
from breachscope.detect.addresses import find_cities, find_postal_codes
from breachscope.detect.scanners.patient_ids import scan_patient_ids, scan_stay_ids
from breachscope.detect.scanners.visits import SCANNERS as VISIT_SCANNERS
from breachscope.detect.text import _birth_dates, _keyless_nirs
from breachscope.detect.windows import digit_spans

SNIPPETS = [
    "Patient hospitalisé du 12/03/2024 au 18/03/2024 en cardiologie.",
    "Mme DUPONT, âgée de 72 ans, vue le 3 mars 2024.",
    "IPP : 80012345   NDA 2024001234, dossier n° 556677.",
    "Domicile : 12 rue de la Paix 75002 Paris, ou Marseille, 13006.",
    "Consultation du            04/05/2023 (aux urgences).",
    "CP 33000 Bordeaux ; numéro de séjour 99887766.",
    "Née le      jeu, 4 déc 1941 à Lille. DUPONT Marie, 23/04/1976",
    "N° de sécurité sociale : 2 85 05 75 123 456, (04/08/1991, 32 ans)",
]
FILLER = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor "


def _scan_all(text: str) -> list:
    out = [list(find_postal_codes(text)), list(find_cities(text)),
           list(scan_patient_ids(text)), list(scan_stay_ids(text))]
    out += [list(scan(text)) for _, scan in VISIT_SCANNERS]
    out += [list(_birth_dates(text)), list(_keyless_nirs(text))]
    return out


@pytest.mark.parametrize("seed", range(6))
def test_near_digit_search_finds_what_a_whole_text_search_finds(seed, monkeypatch):
    rng = random.Random(seed)
    parts = []
    for _ in range(60):
        parts.append(FILLER * rng.randint(0, 40) if rng.random() < 0.5 else "")
        parts.append(rng.choice(SNIPPETS))
    text = "".join(parts)
    windowed = _scan_all(text)
    assert any(windowed), "the snippets hold findings"
    # str() copies defeat the per-text caches of the scanners
    monkeypatch.setattr(windows, "digit_spans", lambda t, b, a: [(0, len(t))])
    assert _scan_all(str(text + " ")[:-1]) == windowed


def test_spans_cover_the_digits_and_merge_into_the_whole_text_when_dense():
    text = FILLER * 50 + "tel 0612345678" + FILLER * 50
    (start, end), = digit_spans(text, 10, 20)
    first, last = text.index("0612"), text.index("5678") + 4
    assert (start, end) == (first - 10, last + 20)
    assert digit_spans("1 2 3 4 5 6 7 8 9", 3, 3) == [(0, 17)]
    assert digit_spans(FILLER * 100, 10, 10) == []
