"""Fuzz the JSON extractor (``json``)."""

from __future__ import annotations

import json

from fuzzlib import check_partition, inputs
from hypothesis import given

SEEDS = [
    json.dumps({"export": {"date": "2024-02-12"}, "patients": [
        {"nom": "LEFÈVRE", "nir": 250037512345678, "contact": {"tel": "0612345678"},
         "sejours": [{"date": "2024-01-03", "actes": [{"code": "DEQP003"}]}]},
        {"nom": "MARTIN", "notes": ["a", ["b", {"c": 1}]], "x": None, "y": 1.5}]},
        ensure_ascii=False).encode(),
    b'{"ipp": "000123", "ok": true}\n{"ipp": "000124", "score": 2.0}\n',
    b"[" * 100 + b"]" * 100,
    b'"just a string"',
]


@given(inputs(SEEDS))
def test_fuzz_json(data: bytes) -> None:
    check_partition(data, "json", ".json")
