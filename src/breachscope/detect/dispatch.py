"""Route extracted units to the text scanner or the table detector, one unit at a time.

Extractors stream a long table as consecutive :class:`TableUnit` chunks with the same name
and header. :class:`StreamingDetector` classifies a table's columns on its first chunk and
labels every later chunk the same way, so a million-row CSV is classified once and labelled
consistently; the column labels are reported once per table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from breachscope.detect.columnar import RowKeyBatch
from breachscope.detect.columns import ColumnLabel, classify_columns
from breachscope.detect.document_records import build_document_records
from breachscope.detect.model import Finding, Record
from breachscope.detect.tables import detect_table
from breachscope.detect.text import scan_text
from breachscope.extract.units import KeysUnit, TableUnit, TextUnit, Unit


@dataclass(slots=True)
class DetectionResult:
    """Everything detection found in one file's units (or one unit). ``columns`` pairs each
    table's name with the classification of each of its columns (for review and reports)."""

    findings: list[Finding] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)
    columns: list[tuple[str, ColumnLabel]] = field(default_factory=list)
    # (unit name, row location, column name, value): key column cells of table rows (a
    # RowKeyBatch of Arrow tables for an Arrow table unit's)
    row_keys: list[tuple[str, str, str, str]] | RowKeyBatch = field(default_factory=list)
    declared_keys: list[KeysUnit] = field(default_factory=list)

    def extend(self, other: DetectionResult) -> None:
        self.findings.extend(other.findings)
        self.records.extend(other.records)
        self.columns.extend(other.columns)
        self.row_keys.extend(other.row_keys)
        self.declared_keys.extend(other.declared_keys)


class StreamingDetector:
    """Detection over a stream of units from one file; call :meth:`detect` on each unit.

    - Tables: the labels of a table are remembered by ``(unit.name, tuple(unit.header))``:
      the first chunk is classified and its labels returned in ``columns``; later chunks
      reuse them (and return no ``columns``). Memory: one label list per distinct table.
    - Text: the pieces of one over-long line overlap (see :mod:`breachscope.extract.text`);
      a finding of a piece identical (entity, value, location) to one of the previous piece of
      the same line is dropped, so a value in the overlap is reported once."""

    def __init__(self, *, today: date | None = None) -> None:
        self.today = today
        self._labels: dict[tuple[str, tuple[str, ...]], list[ColumnLabel]] = {}
        self._previous: tuple[str, int] | None = None  # (name, first_line) of the last text
        self._previous_keys: set[tuple[str, str, str]] = set()

    def detect(self, unit: Unit) -> DetectionResult:
        if isinstance(unit, TextUnit):
            return self._text(unit)
        if isinstance(unit, TableUnit):
            self._previous = None
            return self._table(unit)
        if isinstance(unit, KeysUnit):  # declared keys: stored as they are
            return DetectionResult(declared_keys=[unit])
        if getattr(unit, "kind", None) == "record":  # a RecordUnit (structured messages)
            from breachscope.detect.structured import detect_record_unit

            self._previous = None
            findings, records = detect_record_unit(unit)  # type: ignore[arg-type]
            return DetectionResult(findings, records)
        raise TypeError(f"not a unit: {type(unit).__name__}")

    def _text(self, unit: TextUnit) -> DetectionResult:
        findings = scan_text(unit)
        records = build_document_records(unit, findings)
        if unit.confidence is not None:  # OCR text: no more certain than its reading
            for finding in findings:
                finding.confidence = round(min(finding.confidence, unit.confidence), 3)
        keys = {(f.entity, f.value, f.location) for f in findings}
        if self._previous == (unit.name, unit.first_line) and self._previous_keys:
            findings = [f for f in findings
                        if (f.entity, f.value, f.location) not in self._previous_keys]
        self._previous, self._previous_keys = (unit.name, unit.first_line), keys
        return DetectionResult(findings=findings, records=records)

    def _table(self, unit: TableUnit) -> DetectionResult:
        key = (unit.name, tuple(unit.header))
        labels = self._labels.get(key)
        first = labels is None
        if labels is None:
            labels = self._labels[key] = classify_columns(unit, today=self.today)
        detection = detect_table(unit, today=self.today, columns=labels, scan_header=first)
        columns = [(unit.name, column) for column in labels] if first else []
        row_keys = (detection.row_keys.with_unit(unit.name)
                    if isinstance(detection.row_keys, RowKeyBatch)
                    else [(unit.name, *key) for key in detection.row_keys])
        return DetectionResult(detection.findings, detection.records, columns, row_keys)


def detect_units(units: Iterable[Unit]) -> DetectionResult:
    """Findings and records of a file's units, in unit order (see
    :class:`StreamingDetector`). Text units give findings and the records of the people they
    are about (:mod:`breachscope.detect.document_records`)."""
    detector = StreamingDetector()
    result = DetectionResult()
    for unit in units:
        result.extend(detector.detect(unit))
    return result
