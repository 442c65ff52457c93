"""Table detection: classify the columns, validate them column-wise, build one record per
row that identifies a person, and tell a patient table from a staff one.

Each labelled column is dictionary-encoded and each distinct cell normalized once: leaked
exports repeat values (units, dates, cities), so a 100k-row column costs one validation per
distinct value; its findings and the table's records are then built as Arrow arrays
(:mod:`breachscope.detect.columnar`), not one Python object per cell.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cache

import pyarrow as pa
import pyarrow.compute as pc

from breachscope.detect.columnar import (
    EncodedColumn,
    FindingBatch,
    RecordBatch,
    RowKeyBatch,
    column_findings,
    column_records,
    encode_column,
)
from breachscope.detect.columns import (
    ColumnLabel,
    classify_columns,
    normalize_multi,
    restore_phone_zeros,
)
from breachscope.detect.headers import (
    FREE_TEXT_WORDS,
    header_tokens,
    is_patient_header,
    is_staff_header,
)
from breachscope.detect.keys import key_column_indexes, key_value
from breachscope.detect.model import Finding
from breachscope.detect.secrets import mask_cell
from breachscope.detect.text import scan_text
from breachscope.detect.validators import nir_is_strict
from breachscope.entities import SPECS, Cells, EntitySpec, resolve
from breachscope.extract._arrow_table import ArrowTableUnit
from breachscope.extract.units import TableUnit, TextUnit

Normalizer = Callable[[str], tuple[str, ...]]

#: Distinct cells a table's labelled columns remember from chunk to chunk, in all
#: (:attr:`ColumnLabel.memo`; cells of at most ``columnar.MEMO_CELL_CHARS``: a few MB).
MEMO_CELLS = 100_000


@dataclass(slots=True)
class TableDetection:
    """What one table holds. ``role_hint`` is ``PATIENT``, ``STAFF`` or ``UNKNOWN`` and is
    also set on every record."""

    columns: list[ColumnLabel]
    findings: FindingBatch  # Arrow tables for labelled columns (detect/columnar.py)
    records: RecordBatch
    role_hint: str
    # (row location, column name, value) of every key column cell (detect/keys.py): what
    # joins this table's rows to other tables' (relate/keys.py).
    # (row location, column name, value); a RowKeyBatch for an Arrow table's rows
    row_keys: list[tuple[str, str, str]] | RowKeyBatch = field(default_factory=list)


def _one(normalize: Callable[[str], str | None]) -> Normalizer:
    def run(cell: str) -> tuple[str, ...]:
        value = normalize(cell)
        return (value,) if value is not None else ()

    return run


def _many(normalize: Callable[[str], str | None], find: Callable[[str], list[str]]) -> Normalizer:
    """Cells holding several values (``06 12 34 56 78 / 01 23 45 67 89``): the whole cell,
    else its separated parts, else whatever the text scanner finds in it (``Fax: 01...``)."""

    def run(cell: str) -> tuple[str, ...]:
        return tuple(normalize_multi(cell, normalize) or dict.fromkeys(find(cell)))

    return run


def _as_found(cell: str) -> tuple[str, ...]:
    value = cell.strip()
    return (value,) if value else ()


def _name_as_found(cell: str) -> tuple[str, ...]:
    value = cell.strip()
    return (value,) if any(c.isalpha() for c in value) else ()


_CODE_SEPARATORS = re.compile(r"[\s/;,|]+")


def _codes(normalize: Callable[[str], str | None]) -> Normalizer:
    """Cells holding one code or several (``E11.9;I10``, ``F20.0 / F10.2``)."""

    def run(cell: str) -> tuple[str, ...]:
        value = normalize(cell)
        if value is not None:
            return (value,)
        parts = (normalize(p) for p in _CODE_SEPARATORS.split(cell) if p)
        return tuple(dict.fromkeys(p for p in parts if p is not None))

    return run


def _cell_normalizer(entity_spec: EntitySpec) -> tuple[Normalizer, str] | None:
    """How a column of this entity is read, cell by cell, and its findings' detector: the
    registry's column normalizer applied by the entity's cell shape (``None`` for credential
    columns, which depend on the header)."""
    values = entity_spec.column_values
    if entity_spec.cells is Cells.CREDENTIAL:
        return None
    if values is None:
        reader = _name_as_found if entity_spec.cells is Cells.NAME else _as_found
        return reader, "column+header"
    normalize = resolve(values.normalize)
    detector = f"column+{values.detector}"
    if entity_spec.cells is Cells.MANY:
        if values.find is None:
            raise ValueError(f"{entity_spec.entity}: Cells.MANY needs a finder")
        return _many(normalize, resolve(values.find)), detector
    if entity_spec.cells is Cells.CODES:
        return _codes(normalize), detector
    return _one(normalize), detector


@cache
def _normalizers() -> dict[str, tuple[Normalizer, str]]:
    """Per registry entity its cell normalizer and detector (built on first use: the
    registry names normalizers by reference)."""
    return {e.value: found for e, s in SPECS.items()
            if (found := _cell_normalizer(s)) is not None}


def _credential_normalizer(header: str) -> Normalizer:
    def run(cell: str) -> tuple[str, ...]:
        value = mask_cell(header, cell)
        return (value,) if value is not None else ()

    return run


def role_hint(table: TableUnit, columns: list[ColumnLabel]) -> str:
    """``PATIENT``, ``STAFF`` or ``UNKNOWN`` from the headers and column labels.

    Patient evidence: IPP, patient, file or stay numbers, visit dates. Staff evidence: job
    title, grade, employee number, extension, RPPS/ADELI. A NIR alone is weak patient
    evidence: payroll files hold the staff's NIR too, so it does not outweigh staff evidence.
    """
    tokens = [header_tokens(name) for name in table.header]
    # A person identifier recognised by its values alone says the rows are people's, not
    # that they are patients: it is no patient evidence.
    labels = {c.label for c in columns if not c.from_values}
    patient = any(is_patient_header(t) for t in tokens) or bool(
        labels & {"PATIENT_ID", "STAY_ID", "VISIT_DATE"}
    )
    if patient:
        return "PATIENT"
    if any(is_staff_header(t) for t in tokens):
        return "STAFF"
    return "PATIENT" if "NIR" in labels else "UNKNOWN"


def _row_numbers(numbers: list[int | str]) -> pa.Array:
    """A table's row numbers as an int64 array; as strings when some are not integers (a
    JSON document's dotted paths, ``12.3``)."""
    if all(type(n) is int for n in numbers):
        return pa.array(numbers, pa.int64())
    return pa.array([str(n) for n in numbers], pa.string())


def _column_name(column: ColumnLabel) -> str:
    return column.header.strip() or str(column.index + 1)


def detect_table(table: TableUnit, *, today: date | None = None,
                 columns: list[ColumnLabel] | None = None,
                 scan_header: bool = True) -> TableDetection:
    """Findings for every valid cell of a labelled column (``row 12, column TEL``, prefixed
    by the table's name when it has one) and a record per row identifying a person.

    ``columns``: labels already chosen for this table (a later chunk of a table whose first
    chunk was classified); without them the columns are classified from this unit."""
    if columns is None:
        columns = classify_columns(table, today=today)
    elif zeros := [c.index for c in columns if c.phone_zeros]:
        restore_phone_zeros(table, zeros)  # a later chunk: the phones stored as numbers
    role = role_hint(table, columns)
    prefix = f"{table.name}, " if table.name else ""
    arrow = isinstance(table, ArrowTableUnit)
    if arrow:  # cells and row numbers already Arrow arrays: no Python object per row
        numbers = table.arrow_numbers
        locations = pc.binary_join_element_wise(
            f"{prefix}row ", numbers.cast(pa.string()), "")
        # As strings only for the columns without a label (their cells are scanned as text).
        row_locations = locations.to_pylist() if any(
            c.label is None for c in columns) else []
    else:
        row_locations = [f"{prefix}row {n}" for n in table.row_numbers]
        locations = pa.array(row_locations, pa.string())
        numbers = _row_numbers(table.row_numbers)
    labelled: list[EncodedColumn] = []
    findings = FindingBatch()
    # Cells normalized in earlier chunks of the table are not normalized again: at most
    # MEMO_CELLS remembered per table, shared by its labelled columns.
    memo_room = MEMO_CELLS // max(1, sum(1 for c in columns if c.label is not None))
    for column in columns:
        if column.label is None:
            continue
        normalize, detector = _normalizers().get(column.label, (_as_found, "column+header"))
        if column.label == "CREDENTIAL":  # masked values (secrets.py), keyed by the header
            normalize, detector = _credential_normalizer(column.header), "column+credential"
        encoded = encode_column(table.arrow_column(column.index) if arrow
                                else table.column(column.index), column.label, normalize,
                                column.memo, memo_room - len(column.memo))
        labelled.append(encoded)
        cells = column_findings(encoded, numbers, f"{prefix}row ",
                                f", column {_column_name(column)}", _confidence(column),
                                detector)
        # Rows numbered otherwise than by integers: findings with their locations.
        findings.add_table(cells if pa.types.is_integer(numbers.type) else cells.findings())
    for column in columns:
        if column.label is None:
            cells = table.column(column.index)
            findings.extend(_free_text_findings(column, cells, row_locations))
            if _is_note_column(column, cells):
                findings.extend(_note_health_findings(column, cells, row_locations))
    if scan_header:  # once per table, not for every chunk of it
        findings.extend(_header_findings(table, prefix))
    records = RecordBatch()
    if labelled:
        records.add_table(column_records(labelled, locations, role))
    row_keys = (_arrow_row_keys(table, columns, locations) if arrow
                else _row_keys(table, columns, row_locations))
    return TableDetection(columns, findings, records, role, row_keys)


def _confidence(column: ColumnLabel) -> Callable[[str], float] | float:
    """A labelled column's findings' confidence: the column's, except that a probable
    (non-strict) NIR is not certain, whatever the column (a function of the value)."""
    confidence = column.confidence
    if column.label != "NIR":
        return confidence
    return lambda value: confidence if nir_is_strict(value) else min(confidence, 0.9)


def _row_keys(table: TableUnit, columns: list[ColumnLabel],
              row_locations: list[str]) -> list[tuple[str, str, str]]:
    labels = {c.index: c.label for c in columns}
    out: list[tuple[str, str, str]] = []
    for index in key_column_indexes(table.header, labels):
        name = table.header[index].strip() or str(index + 1)
        cells = table.column(index)
        cache = {cell: key_value(cell) for cell in dict.fromkeys(cells)}
        out.extend((location, name, value) for location, value in
                   zip(row_locations, map(cache.__getitem__, cells), strict=True)
                   if value is not None)
    return out


def _arrow_row_keys(table: ArrowTableUnit, columns: list[ColumnLabel],
                    locations: pa.Array) -> RowKeyBatch:
    """:func:`_row_keys` of an :class:`ArrowTableUnit`: each key column dictionary-encoded,
    each distinct cell read as a key once, the rows with a key picked by Arrow, and kept as
    Arrow columns (:class:`RowKeyBatch`)."""
    labels = {c.index: c.label for c in columns}
    out = RowKeyBatch()
    for index in key_column_indexes(table.header, labels):
        name = table.header[index].strip() or str(index + 1)
        encoded = table.arrow_column(index).dictionary_encode()
        keys = pa.array([key_value(cell) for cell in encoded.dictionary.to_pylist()],
                        pa.string()).take(encoded.indices)
        found = keys.is_valid()
        values = keys.filter(found)
        out.add_table(pa.table({
            "row_location": locations.filter(found).cast(pa.string()),
            "column_name": pa.repeat(pa.scalar(name, pa.string()), len(values)),
            "value": values}))
    return out


# A cell worth a full text scan: an '@', 8+ digits in a row allowing usual separators, or a
# credential marker.
_MAY_HOLD_IDENTIFIER = re.compile(
    r"@|\d(?:[ .\-/]?\d){7,}|pass|pwd|mdp|secret|token|://|-----BEGIN", re.IGNORECASE)


def _header_findings(table: TableUnit, prefix: str) -> list[Finding]:
    """Identifiers in the header row itself: the "header" of a file that only looks like a
    table (prose with commas) is often a line of data."""
    findings: list[Finding] = []
    for index, cell in enumerate(table.header):
        if cell and _MAY_HOLD_IDENTIFIER.search(cell):
            for f in scan_text(TextUnit(cell)):
                findings.append(Finding(f.entity, f.value, f"{prefix}header, column {index + 1}",
                                        f.confidence, "cell+" + f.detector))
    return findings


# A note column: its header says so (commentaire, observation, motif...), or its cells are
# sentences. Health findings in it (a stay's "sevrage alcoolique", a drug) are the row's.
_NOTE_MIN_CHARS = 40


def _is_note_column(column: ColumnLabel, cells: list[str]) -> bool:
    if any(t in FREE_TEXT_WORDS for t in header_tokens(column.header)):
        return True
    filled = [c for c in cells[:200] if c.strip()]
    return bool(filled) and sum(len(c) for c in filled) / len(filled) >= _NOTE_MIN_CHARS and (
        sum(" " in c.strip() for c in filled) >= 0.8 * len(filled))


def _note_health_findings(
    column: ColumnLabel, cells: list[str], row_locations: list[str]
) -> list[Finding]:
    """Diagnoses, drugs, codes, acts and units written in a note cell (the health scanners of
    the text detector, run once per distinct cell)."""
    from breachscope.detect.scanners.health import SCANNERS

    where = f", column {_column_name(column)}"
    cache: dict[str, list[tuple[str, str, float, str]]] = {}
    findings: list[Finding] = []
    for r, cell in enumerate(cells):
        if len(cell.strip()) < 3:
            continue
        found = cache.get(cell)
        if found is None:
            found = cache[cell] = [
                (entity, value, confidence, detector)
                for entity, scanner in SCANNERS
                for _start, _end, value, confidence, detector in scanner(cell)]
        for entity, value, confidence, detector in found:
            findings.append(Finding(entity, value, row_locations[r] + where, confidence,
                                    "cell+" + detector))
    return findings


def _free_text_findings(
    column: ColumnLabel, cells: list[str], row_locations: list[str]
) -> list[Finding]:
    """Identifiers inside the cells of a column that has no label: a comment, a free-text
    note, or prose that happened to look like a table (a report with commas read as CSV).
    Only validated identifiers are kept (the text scanner's checksums and cues)."""
    where = f", column {_column_name(column)}"
    # Each distinct cell searched (and scanned) once; rows with nothing skipped at once.
    cache = {cell: scan_text(TextUnit(cell)) for cell in dict.fromkeys(cells)
             if cell and _MAY_HOLD_IDENTIFIER.search(cell)}
    findings: list[Finding] = []
    if not cache:
        return findings
    for r, cell in enumerate(cells):
        found = cache.get(cell)
        if not found:
            continue
        multiline = "\n" in cell
        for f in found:
            line = f", {f.location}" if multiline else ""
            findings.append(Finding(f.entity, f.value, row_locations[r] + where + line,
                                    f.confidence, "cell+" + f.detector))
    return findings
