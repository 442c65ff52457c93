"""Arrow tables for what detection produced, the format in which workers hand findings and
records to the main process (through files in the work area: Parquet, or for an encrypted
case sealed batches, below)."""

from __future__ import annotations

import os
import re
import struct
from collections.abc import Iterator
from typing import BinaryIO

import pyarrow as pa

from breachscope.detect.model import Finding, Record

_STRINGS = pa.list_(pa.string())

FINDINGS_SCHEMA = pa.schema([
    ("location", pa.string()), ("entity", pa.string()), ("value", pa.string()),
    ("confidence", pa.float64()), ("detector", pa.string()),
])

RECORDS_SCHEMA = pa.schema([
    ("idx", pa.int64()), ("location", pa.string()), ("last_name", pa.string()),
    ("first_name", pa.string()), ("full_name", pa.string()), ("birth_date", pa.string()),
    ("sex", pa.string()), ("nir", pa.string()), ("phones", _STRINGS), ("emails", _STRINGS),
    ("address", pa.string()), ("postal_code", pa.string()), ("city", pa.string()),
    ("ibans", _STRINGS), ("patient_id", pa.string()), ("care_unit", pa.string()),
    ("visit_date", pa.string()), ("role_hint", pa.string()), ("entities", _STRINGS),
    ("icd10_codes", _STRINGS),
])


ROW_KEYS_SCHEMA = pa.schema([
    ("unit", pa.string()), ("row_location", pa.string()), ("column_name", pa.string()),
    ("value", pa.string()),
])


def row_keys_table(row_keys: list[tuple[str, str, str, str]]) -> pa.Table:
    """Key column cells of table rows: (unit, row location, column name, value)."""
    return pa.table({
        name: [clean(key[i]) for key in row_keys]
        for i, name in enumerate(ROW_KEYS_SCHEMA.names)
    }, schema=ROW_KEYS_SCHEMA)


_SURROGATES = re.compile("[\ud800-\udfff]")


def clean(text: str | None) -> str | None:
    """A string Arrow can store: lone surrogates (undecodable bytes kept by a parser with
    ``surrogateescape``, e.g. raw UTF-8 in a mail header) are decoded as UTF-8 where they form
    valid sequences and replaced otherwise."""
    if text is None or text.isascii() or not _SURROGATES.search(text):
        return text
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _clean_list(values: list[str]) -> list[str]:
    return [clean(v) or "" for v in values]


def findings_table(findings: list[Finding]) -> pa.Table:
    return pa.table({
        "location": [clean(f.location) for f in findings],
        "entity": [f.entity for f in findings],
        "value": [clean(f.value) for f in findings],
        "confidence": [float(f.confidence) for f in findings],
        "detector": [f.detector for f in findings],
    }, schema=FINDINGS_SCHEMA)


def records_table(records: list[Record], first_index: int = 0) -> pa.Table:
    return pa.table({
        "idx": list(range(first_index, first_index + len(records))),
        "location": [clean(r.location) for r in records],
        "last_name": [clean(r.last_name) for r in records],
        "first_name": [clean(r.first_name) for r in records],
        "full_name": [clean(r.full_name) for r in records],
        "birth_date": [clean(r.birth_date) for r in records],
        "sex": [clean(r.sex) for r in records],
        "nir": [clean(r.nir) for r in records],
        "phones": [_clean_list(r.phones) for r in records],
        "emails": [_clean_list(r.emails) for r in records],
        "address": [clean(r.address) for r in records],
        "postal_code": [clean(r.postal_code) for r in records],
        "city": [clean(r.city) for r in records],
        "ibans": [list(r.ibans) for r in records],
        "patient_id": [clean(r.patient_id) for r in records],
        "care_unit": [clean(r.care_unit) for r in records],
        "visit_date": [clean(r.visit_date) for r in records],
        "role_hint": [r.role_hint for r in records],
        "entities": [sorted(r.entities) for r in records],
        "icd10_codes": [list(r.icd10_codes) for r in records],
    }, schema=RECORDS_SCHEMA)


# -- sealed batches: result files of an encrypted case ------------------------------------------
#
# The workers' result files hold every NIR, name and e-mail found, in clear in Parquet. For an
# encrypted case they are sealed instead: each batch is an Arrow IPC stream encrypted with
# AES-256-GCM (the AEAD the case store itself uses; ``cryptography``'s implementation), under a
# key drawn at random by the main process for one scan and handed to the workers through the
# pool's pipe. The key is never written anywhere: files left behind by a killed scan can never
# be read, not even with the case key. Frame: 8-byte big-endian length, 12-byte nonce,
# ciphertext (the tag included); the kind of file (findings, records...) is authenticated data.

SEALED_SUFFIX = ".sealed"
_LENGTH = struct.Struct(">Q")
_NONCE = 12


def new_results_key() -> bytes:
    return os.urandom(32)


def write_sealed(out: BinaryIO, table: pa.Table, key: bytes, kind: str) -> None:
    """Append one batch to a sealed file."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    nonce = os.urandom(_NONCE)
    sealed = AESGCM(key).encrypt(nonce, sink.getvalue().to_pybytes(), kind.encode())
    out.write(_LENGTH.pack(len(sealed)) + nonce + sealed)


def read_sealed(path: str, key: bytes, kind: str) -> Iterator[pa.Table]:
    """The batches of a sealed file, one at a time (a wrong key or altered bytes raise)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    aead = AESGCM(key)
    with open(path, "rb") as fh:
        while header := fh.read(_LENGTH.size):
            (length,) = _LENGTH.unpack(header)
            nonce = fh.read(_NONCE)
            plain = aead.decrypt(nonce, fh.read(length), kind.encode())
            yield pa.ipc.open_stream(plain).read_all()
