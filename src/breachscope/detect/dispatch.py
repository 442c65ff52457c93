"""Route extracted units to the text scanner or the table detector."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from breachscope.detect.columns import ColumnLabel
from breachscope.detect.model import Finding, Record
from breachscope.detect.tables import detect_table
from breachscope.detect.text import scan_text
from breachscope.extract.units import TableUnit, TextUnit, Unit


@dataclass(slots=True)
class DetectionResult:
    """Everything detection found in one file's units. ``columns`` pairs each table's name
    with the classification of each of its columns (for review and reports)."""

    findings: list[Finding] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)
    columns: list[tuple[str, ColumnLabel]] = field(default_factory=list)


def detect_units(units: Iterable[Unit]) -> DetectionResult:
    """Findings and records of a file's units, in unit order. Text units give findings only
    (records from text, such as a report's patient header, come later)."""
    result = DetectionResult()
    for unit in units:
        if isinstance(unit, TextUnit):
            result.findings.extend(scan_text(unit))
        elif isinstance(unit, TableUnit):
            detection = detect_table(unit)
            result.findings.extend(detection.findings)
            result.records.extend(detection.records)
            result.columns.extend((unit.name, column) for column in detection.columns)
        else:
            raise TypeError(f"not a unit: {type(unit).__name__}")
    return result
