"""Fuzz the plain-text extractor (``text``)."""

from __future__ import annotations

from fuzzlib import check_partition, inputs
from hypothesis import given

SEEDS = [
    "Compte rendu\rPatiente: Mme Lefèvre, née le 02/03/1950\r\ntél 06 12 34 56 78\n"
    .encode("cp1252"),
    "Dossier: DUPONT Jean 1 85 02 75 123 456 78\n".encode("utf-16-le"),
    b"\xef\xbb\xbfligne 1\nligne 2\r\nligne 3\r",
    b"x" * 70_000 + b" 185027512345678 " + b"y" * 10,
]


@given(inputs(SEEDS))
def test_fuzz_text(data: bytes) -> None:
    check_partition(data, "text", lossless=True, suffix=".txt")
