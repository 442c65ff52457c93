"""Arrow tables for what detection produced, the format in which workers hand findings and
records to the main process (through files in the work area: Parquet, or for an encrypted
case sealed batches, below)."""

from __future__ import annotations

import os
import re
import struct
from collections.abc import Iterator
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING, BinaryIO

import pyarrow as pa

# detect.model imports nothing of breachscope (and detect's package imports its modules
# lazily): no cycle, ``import breachscope.results`` works as a program's first import
from breachscope.detect.model import entities_text

if TYPE_CHECKING:
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
    # entities: the names sorted and joined (detect.model.entities_text), as the store keeps
    # them: joined by the main process, a list column read back was a fifth of the cost of
    # inserting table rows' records (issue 15, session 24)
    ("visit_date", pa.string()), ("role_hint", pa.string()), ("entities", pa.string()),
    ("icd10_codes", _STRINGS),
])


ROW_KEYS_SCHEMA = pa.schema([
    ("unit", pa.string()), ("row_location", pa.string()), ("column_name", pa.string()),
    ("value", pa.string()),
])


#: The findings of labelled table columns without a location string per cell (the store's
#: ``finding_cells``; issue 15, session 10): ``column`` numbers the content's
#: (location prefix, location suffix, entity, detector) — ``ContentResult.cell_columns`` — and
#: a cell's location is the prefix, its row number ``n`` and the suffix (``row 12, column TEL``).
CELLS_SCHEMA = pa.schema([
    ("column", pa.int32()), ("n", pa.int64()), ("value", pa.string()),
    ("confidence", pa.float64()),
])


#: Each kind of result table's schema (a worker's files, or its inline columns).
SCHEMAS = {"findings": FINDINGS_SCHEMA, "records": RECORDS_SCHEMA, "row_keys": ROW_KEYS_SCHEMA,
           "cells": CELLS_SCHEMA}


def row_keys_table(row_keys: list[tuple[str, str, str, str]]) -> pa.Table:
    """Key column cells of table rows: (unit, row location, column name, value). Each column
    taken with an item getter mapped over the list (``zip(*row_keys)`` of 130 000 keys took
    ten times longer)."""
    return pa.Table.from_arrays(
        [_strings(list(map(itemgetter(i), row_keys))) for i in range(len(ROW_KEYS_SCHEMA))],
        schema=ROW_KEYS_SCHEMA)


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


def _strings(values: list[str | None]) -> pa.Array:
    """A string array of ``values``, cleaned (:func:`clean`) only when Arrow refuses them: the
    conversion fails on the rare lone surrogate, and checking every value first costs more
    than converting twice in that rare case."""
    try:
        return pa.array(values, pa.string())
    except UnicodeEncodeError:
        return pa.array([clean(v) for v in values], pa.string())


def _string_lists(values: list[list[str]]) -> pa.Array:
    try:
        return pa.array(values, _STRINGS)
    except UnicodeEncodeError:
        return pa.array([_clean_list(v) for v in values], _STRINGS)


_FINDING_FIELDS = ("location", "entity", "value", "confidence", "detector")


def findings_table(findings: list[Finding]) -> pa.Table:
    """The findings as an Arrow table, built column by column (one attribute getter mapped
    over the list per column: no per-finding Python code)."""
    location, entity, value, confidence, detector = (
        list(map(attrgetter(name), findings)) for name in _FINDING_FIELDS)
    return pa.Table.from_arrays([
        _strings(location), _strings(entity), _strings(value),
        pa.array(confidence, pa.float64()), _strings(detector),
    ], schema=FINDINGS_SCHEMA)


_RECORD_STRINGS = ("location", "last_name", "first_name", "full_name", "birth_date", "sex",
                   "nir", "address", "postal_code", "city", "patient_id", "care_unit",
                   "visit_date", "role_hint")
_RECORD_LISTS = ("phones", "emails", "ibans", "icd10_codes")


def records_table(records: list[Record], first_index: int = 0) -> pa.Table:
    columns: dict[str, pa.Array] = {
        "idx": pa.array(range(first_index, first_index + len(records)), pa.int64())}
    for name in _RECORD_STRINGS:
        columns[name] = _strings(list(map(attrgetter(name), records)))
    for name in _RECORD_LISTS:
        columns[name] = _string_lists(list(map(attrgetter(name), records)))
    columns["entities"] = pa.array([entities_text(r.entities) for r in records], pa.string())
    return pa.Table.from_arrays([columns[name] for name in RECORDS_SCHEMA.names],
                                schema=RECORDS_SCHEMA)


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
