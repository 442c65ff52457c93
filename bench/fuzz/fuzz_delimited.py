"""Fuzz the delimited-text extractor (``csv``)."""

from __future__ import annotations

from fuzzlib import check_partition, inputs
from hypothesis import given

SEEDS = [
    "Export du 12/02/2024\r\n\r\nNOM;PRÉNOM;DATE NAISSANCE;NIR\r\n"
    "LEFÈVRE;Hélène;12/03/1950;250037512345678\r\nGARÇON;François;01/02/1960;\r\n"
    .encode("cp1252"),
    b'nom,adresse,note\nDURAND,"3 rue des Lilas\nBat. B, 2e","dit ""urgent"""\nPETIT,x,ok\n',
    "IPP\tNom\tUnité\n000123\tMÜLLER\tCardiologie\n".encode("utf-16"),
    b'TEL;TEL;\n="0612345678";="0102030405";\n',
    b'nom;ville\n"DUPONT;Paris\n' + b"NOM;Lyon\n" * 200,
    b"a|b|c\n1|2\n3|4|5|6\n",
]


@given(inputs(SEEDS))
def test_fuzz_delimited(data: bytes) -> None:
    check_partition(data, "csv", lossless=True, suffix=".csv")
