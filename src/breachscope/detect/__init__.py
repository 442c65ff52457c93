"""Detection: units in, findings and records out. Pure functions, no I/O.

The names below are imported on first use (PEP 562): the main process imports
``breachscope.detect.model`` (the result types) but never detects, and importing the
detectors compiles some 400 regular expressions (~0.25 s of every command's start-up)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from breachscope.detect.columns import ColumnLabel, classify_columns
    from breachscope.detect.dispatch import DetectionResult, detect_units
    from breachscope.detect.tables import TableDetection, detect_table
    from breachscope.detect.text import scan_text

_EXPORTS = {
    "ColumnLabel": "columns",
    "classify_columns": "columns",
    "DetectionResult": "dispatch",
    "detect_units": "dispatch",
    "TableDetection": "tables",
    "detect_table": "tables",
    "scan_text": "text",
}

__all__ = [
    "ColumnLabel",
    "DetectionResult",
    "TableDetection",
    "classify_columns",
    "detect_table",
    "detect_units",
    "scan_text",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
