"""One entry point for extraction: :func:`partition` picks the ``partition_*`` function for
a sniffed file type (the table :data:`breachscope.filetypes.FILE_TYPES`) and streams its units.

Every extractor is a generator: units come out as the file is read, so memory does not grow
with the file for CSV/TSV, XLSX, text, XML and HTML (JSON is parsed whole, up to
:data:`MAX_JSON_BYTES`; a bigger JSON file is streamed as text). Every parse failure, whether
it happens before the first unit or in the middle of the file, surfaces as an
:class:`ExtractionError` whose message is a short reason, safe to record and print (it never
quotes the file's content). Units already yielded before a failure stay valid.
"""

from __future__ import annotations

import csv
import importlib
import zipfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from breachscope.extract._table import CHUNK_ROWS
from breachscope.extract.delimited import partition_delimited
from breachscope.extract.htmlfile import partition_html
from breachscope.extract.jsonfile import MAX_JSON_BYTES, JSONTooLarge, partition_json
from breachscope.extract.spreadsheet import partition_xlsx
from breachscope.extract.text import partition_text
from breachscope.extract.units import ExtractionError, Unit
from breachscope.extract.xmlfile import partition_xml
from breachscope.filetypes import BY_NAME, FILE_TYPES

__all__ = [
    "CHUNK_ROWS",
    "MAX_JSON_BYTES",
    "PARTITIONERS",
    "ExtractionError",
    "UnsupportedType",
    "partition",
    "supported_types",
]


class UnsupportedType(Exception):
    """No extractor exists (yet) for this file type; the message is the reason to record."""


def partition_json_or_text(path: Path) -> Iterator[Unit]:
    """JSON, or for a file too large to parse whole, its text streamed (identifiers are
    still found, as text). A truncated or invalid JSON file (common in leaks) is also read as
    text, then still fails with the parse error as its reason."""
    yielded = False
    try:
        for unit in partition_json(path):
            yielded = True
            yield unit
    except JSONTooLarge:
        yield from partition_text(path)
    except ExtractionError:
        if yielded:
            raise
        yield from partition_text(path)
        raise


#: Extractors already loaded, by sniffed type (the others are imported on first use from
#: :data:`breachscope.filetypes.FILE_TYPES`). Tests may replace an entry.
PARTITIONERS: dict[str, Callable[[Path], Iterable[Unit]]] = {
    "csv": partition_delimited,
    "xlsx": partition_xlsx,
    "json": partition_json_or_text,
    "text": partition_text,
    "xml": partition_xml,
    "html": partition_html,
}


def supported_types() -> frozenset[str]:
    """The sniffed types whose extractor can be loaded here."""
    return frozenset(t.name for t in FILE_TYPES if t.extractor and _partitioner(t.name))


def _partitioner(file_type: str) -> Callable[[Path], Iterable[Unit]] | None:
    found = PARTITIONERS.get(file_type)
    spec = BY_NAME.get(file_type)
    if found is not None or spec is None or spec.extractor is None:
        return found
    module_name, _, function = spec.extractor.partition(":")
    try:
        module = importlib.import_module(f"breachscope.extract.{module_name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"breachscope.extract.{module_name}":
            raise
        return None
    found = PARTITIONERS[file_type] = getattr(module, function)
    return found


def partition(path: Path, file_type: str) -> Iterator[Unit]:
    """Stream the units of the file at ``path`` whose sniffed type is ``file_type``.

    Raises :class:`UnsupportedType` (``unsupported type: pdf``) at once for types without an
    extractor; the returned iterator raises :class:`ExtractionError` when the file cannot be
    read or parsed, possibly after some units."""
    partitioner = _partitioner(file_type)
    if partitioner is None:
        raise UnsupportedType(f"unsupported type: {file_type}")
    return _guarded(partitioner, Path(path), file_type)


def _guarded(partitioner: Callable[[Path], Iterable[Unit]], path: Path,
             file_type: str) -> Iterator[Unit]:
    try:
        yield from partitioner(path)
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
