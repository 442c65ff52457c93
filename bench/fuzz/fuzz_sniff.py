"""Fuzz the type sniffer, then the extractor it picks: ``sniff_type`` returns one of
``TYPES`` for any bytes and never raises; the partition of the sniffed type keeps the
extraction property."""

from __future__ import annotations

import tempfile
from pathlib import Path

from fuzz_delimited import SEEDS as CSV_SEEDS
from fuzz_json import SEEDS as JSON_SEEDS
from fuzz_spreadsheet import WORKBOOK
from fuzz_text import SEEDS as TEXT_SEEDS
from fuzz_xml import HTML_SEEDS, XML_SEEDS
from fuzzlib import TIME_LIMIT, check_partition, inputs, time_limit
from hypothesis import given
from hypothesis import strategies as st

from breachscope.ingest.sniff import TYPES, sniff_type

SEEDS = [*CSV_SEEDS, *JSON_SEEDS, *TEXT_SEEDS, *XML_SEEDS, *HTML_SEEDS, WORKBOOK,
         b"%PDF-1.4\n", b"\x89PNG\r\n\x1a\n", b"\x1f\x8b\x08", b"PK\x05\x06" + bytes(18)]
SUFFIXES = ["", ".csv", ".json", ".txt", ".xlsx", ".xml", ".html", ".ndjson"]


@given(inputs(SEEDS), st.sampled_from(SUFFIXES))
def test_fuzz_sniff(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"input{suffix}"
        path.write_bytes(data)
        with time_limit(TIME_LIMIT):
            file_type = sniff_type(path)
    assert file_type in TYPES or file_type in ("xml", "html")
    check_partition(data, file_type, suffix)
