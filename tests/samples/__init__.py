"""Sample-file makers shared by the format tests and the all-formats archive test: each
``make_<format>(path) -> list[tuple[str, str]]`` writes one small real file and returns the
(entity, normalized value) findings a scan must yield from it."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from pathlib import Path

#: File extension of each sample format (the name a sample is written under).
EXTENSIONS = {
    "csv": ".csv", "xlsx": ".xlsx", "xlsm": ".xlsm", "json": ".json", "ndjson": ".ndjson",
    "text": ".txt", "log": ".log", "xml": ".xml", "html": ".html", "xls": ".xls",
    "ods": ".ods", "docx": ".docx", "odt": ".odt", "rtf": ".rtf", "doc": ".doc",
    "pdf_text": ".pdf", "pdf_scanned": ".pdf", "png": ".png", "jpeg": ".jpg", "tiff": ".tif",
    "mysqldump": ".sql", "pgdump": ".sql", "sqlite": ".sqlite", "eml": ".eml",
    "mbox": ".mbox", "msg": ".msg", "hl7": ".hl7", "hprim": ".hpr", "fhir": ".json",
    "cda": ".xml",
}


def sample_makers() -> dict[str, Callable[[Path], list[tuple[str, str]]]]:
    """``make_<format>`` of every sample module, by format (those of :data:`EXTENSIONS`)."""
    makers = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for name in dir(module):
            fmt = name.removeprefix("make_")
            if name.startswith("make_") and fmt in EXTENSIONS:
                makers[fmt] = getattr(module, name)
    return makers
