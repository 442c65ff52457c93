"""Detection: units in, findings and records out. Pure functions, no I/O."""

from breachscope.detect.columns import ColumnLabel, classify_columns
from breachscope.detect.dispatch import DetectionResult, detect_units
from breachscope.detect.tables import TableDetection, detect_table
from breachscope.detect.text import scan_text

__all__ = [
    "ColumnLabel",
    "DetectionResult",
    "TableDetection",
    "classify_columns",
    "detect_table",
    "detect_units",
    "scan_text",
]
