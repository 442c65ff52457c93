"""One entry point for extraction: :func:`partition` picks the ``partition_*`` function for
a sniffed file type (see :mod:`breachscope.ingest.sniff`) and turns every parse failure into
an :class:`ExtractionError` whose message is a short reason, safe to record and print (it
never quotes the file's content)."""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Callable
from pathlib import Path

from breachscope.extract.delimited import partition_delimited
from breachscope.extract.jsonfile import partition_json
from breachscope.extract.spreadsheet import partition_xlsx
from breachscope.extract.text import partition_text
from breachscope.extract.units import ExtractionError, Unit


class UnsupportedType(Exception):
    """No extractor exists (yet) for this file type; the message is the reason to record."""


PARTITIONERS: dict[str, Callable[[Path], list]] = {
    "csv": partition_delimited,
    "xlsx": partition_xlsx,
    "json": partition_json,
    "text": partition_text,
}


def supported_types() -> frozenset[str]:
    return frozenset(PARTITIONERS)


def partition(path: Path, file_type: str) -> list[Unit]:
    """Extract the units of the file at ``path`` whose sniffed type is ``file_type``.

    Raises :class:`UnsupportedType` (``unsupported type: pdf``) for types without an
    extractor and :class:`ExtractionError` when the file cannot be read or parsed."""
    partitioner = PARTITIONERS.get(file_type)
    if partitioner is None:
        raise UnsupportedType(f"unsupported type: {file_type}")
    try:
        return list(partitioner(Path(path)))
    except ExtractionError:
        raise
    except MemoryError:
        raise
    except RecursionError:
        raise ExtractionError(f"{file_type} nested too deeply") from None
    except zipfile.BadZipFile as exc:
        raise ExtractionError(f"corrupt {file_type}: {exc}") from None
    except UnicodeError:
        raise ExtractionError(f"cannot decode {file_type} text") from None
    except csv.Error:
        raise ExtractionError(f"malformed {file_type}") from None
    except OSError as exc:
        raise ExtractionError(f"cannot read file: {exc.strerror or type(exc).__name__}") from None
    except Exception as exc:
        # Messages of arbitrary exceptions may quote content: name the type only.
        raise ExtractionError(f"cannot parse {file_type}: {type(exc).__name__}") from None
