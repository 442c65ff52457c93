"""The per-file task: extract one content into units, detect in them, return plain results.

It runs in a worker process and touches neither the case store nor the network; the main
process writes what it returns. Any failure becomes a status and a reason: one bad file never
stops a scan.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from breachscope.detect.model import Finding, Record
from breachscope.masking import scrub


@dataclass(slots=True)
class ColumnRow:
    unit: str
    col_index: int
    header: str
    label: str | None
    confidence: float
    reason: str


@dataclass(slots=True)
class ContentResult:
    status: str  # scanned, failed, skipped, encrypted
    reason: str | None = None
    n_units: int = 0
    seconds: float = 0.0
    findings: list[Finding] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)
    columns: list[ColumnRow] = field(default_factory=list)


def process_content(path: str, file_type: str) -> ContentResult:
    """Extract and detect one content. Never raises for a bad file."""
    from breachscope.detect.dispatch import detect_units
    from breachscope.extract.dispatch import UnsupportedType, partition
    from breachscope.extract.units import ExtractionError

    started = time.perf_counter()
    if file_type == "empty":
        return ContentResult("skipped", "empty file")
    try:
        units = partition(Path(path), file_type)
    except UnsupportedType as exc:
        return ContentResult("skipped", scrub(str(exc)), seconds=time.perf_counter() - started)
    except ExtractionError as exc:
        return ContentResult("failed", scrub(str(exc)), seconds=time.perf_counter() - started)
    except Exception as exc:  # a parser bug on hostile bytes must not stop the scan
        reason = scrub(f"extractor error: {type(exc).__name__}: {exc}")
        return ContentResult("failed", reason, seconds=time.perf_counter() - started)
    try:
        detected = detect_units(units)
    except Exception as exc:
        reason = scrub(f"detector error: {type(exc).__name__}: {exc}")
        return ContentResult("failed", reason, n_units=len(units),
                             seconds=time.perf_counter() - started)
    columns = [
        ColumnRow(unit, c.index, c.header, c.label, c.confidence, c.reason)
        for unit, c in detected.columns
    ]
    return ContentResult(
        "scanned", None, len(units), time.perf_counter() - started,
        detected.findings, detected.records, columns,
    )
