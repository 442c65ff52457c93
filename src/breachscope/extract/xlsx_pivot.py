"""Pivot caches of an OOXML workbook: a copy of every source row of a pivot table.

Excel keeps, beside a pivot table, a cache of the rows it summarises
(``xl/pivotCache/pivotCacheDefinitionN.xml``: the fields, with each field's distinct values;
``xl/pivotCache/pivotCacheRecordsN.xml``: one ``<r>`` per source row). The cache stays in the
file when the source sheet is deleted or the table only shows totals: a workbook of counts
per ward can still hold the patient list it was made from. Neither openpyxl's read-only mode
nor calamine reads it, so the parts are streamed here with ``defusedxml``'s ``iterparse``
(expat; a DTD, entity declarations and external entities refused), one record in memory at a
time.

Each cache gives a table named ``pivot cache N`` (its field names as the header;
``row_numbers`` count the records from 2, as if the header were row 1 of the source), in
chunks of ``CHUNK_ROWS`` rows. Record values: ``<x v="i"/>`` is the field's i-th shared item;
``<s>``, ``<n>``, ``<d>``, ``<b>``, ``<e>`` hold a string, number, date, boolean or error; ``<m/>``
is empty. A cache with more than :data:`MAX_FIELDS` fields keeps its first ones.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from breachscope.extract._office import cell_text
from breachscope.extract._table import MAX_COLUMNS, table_chunks
from breachscope.extract.units import TableUnit, TextUnit

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_DEFINITION = re.compile(r"xl/pivotCache/pivotCacheDefinition(\d+)\.xml")
MAX_FIELDS = MAX_COLUMNS
#: Shared items kept per cache (all fields together): a cache's distinct values.
MAX_SHARED_ITEMS = 2_000_000
_ERRORS = (KeyError, zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError, OSError,
           ValueError, ParseError, DefusedXmlException)
_VALUE_TAGS = {f"{{{_MAIN}}}{t}": t for t in ("s", "n", "d", "b", "e", "m", "x")}


def pivot_units(path: Path) -> Iterator[TableUnit | TextUnit]:
    """The rows of every pivot cache of the workbook at ``path`` (see the module
    docstring). A damaged or refused cache ends its table where it broke."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            definitions = sorted((int(m.group(1)), n) for n in names
                                 if (m := _DEFINITION.fullmatch(n)))
            for number, definition in definitions:
                yield from _cache(archive, names, number, definition)
    except _ERRORS:
        return


def _events(archive: zipfile.ZipFile, name: str) -> Iterator[tuple[str, object]]:
    with archive.open(name) as part:
        yield from iterparse(part, events=("start", "end"), forbid_dtd=True,
                             forbid_entities=True, forbid_external=True)


def _fields(archive: zipfile.ZipFile, definition: str
            ) -> tuple[list[str], list[list[str]]]:
    """The cache's field names and each field's shared items (as strings)."""
    names: list[str] = []
    items: list[list[str]] = []
    kept = 0
    in_shared = False
    for event, element in _events(archive, definition):
        tag = element.tag
        if tag == f"{{{_MAIN}}}cacheField":
            if event == "start":
                if len(names) >= MAX_FIELDS:
                    break
                names.append((element.get("name") or "").strip())
                items.append([])
            continue
        if tag == f"{{{_MAIN}}}sharedItems":
            in_shared = event == "start"
            continue
        if event == "end" and in_shared and tag in _VALUE_TAGS and items:
            if kept < MAX_SHARED_ITEMS:
                items[-1].append(_value(_VALUE_TAGS[tag], element.get("v")))
                kept += 1
            element.clear()
    return names, items


def _value(kind: str, raw: str | None) -> str:
    if raw is None or kind == "m":
        return ""
    if kind == "n":
        try:
            return cell_text(float(raw))
        except ValueError:
            return raw.strip()
    if kind == "d":
        return raw[:10] if raw.endswith("T00:00:00") else raw.replace("T", " ")
    if kind == "b":
        return "TRUE" if raw in ("1", "true") else "FALSE"
    return raw.strip()


def _records_part(archive: zipfile.ZipFile, names: set[str], definition: str) -> str | None:
    """The records part the definition's relationships name."""
    folder, base = posixpath.split(definition)
    rels = posixpath.join(folder, "_rels", f"{base}.rels")
    if rels in names:
        for _, element in _events(archive, rels):
            if element.tag == f"{{{_PKG}}}Relationship" and (
                    element.get("Type") or "").endswith("/pivotCacheRecords"):
                target = element.get("Target") or ""
                resolved = (target.lstrip("/") if target.startswith("/")
                            else posixpath.normpath(posixpath.join(folder, target)))
                return resolved if resolved in names else None
    return None


def _cache(archive: zipfile.ZipFile, names: set[str], number: int, definition: str
           ) -> Iterator[TableUnit | TextUnit]:
    fields, items = _fields(archive, definition)
    records = _records_part(archive, names, definition)
    if not fields or records is None:
        return
    yield from table_chunks(f"pivot cache {number}", fields, _rows(archive, records, items))


def _rows(archive: zipfile.ZipFile, records: str, items: list[list[str]]
          ) -> Iterator[tuple[int, list[str]]]:
    width = len(items)
    row: list[str] = []
    number = 1
    record_tag = f"{{{_MAIN}}}r"
    try:
        for event, element in _events(archive, records):
            tag = element.tag
            if tag == record_tag:
                if event == "start":
                    row = []
                else:
                    number += 1
                    if any(row):
                        yield number, row
                    element.clear()
                continue
            if event != "end" or tag not in _VALUE_TAGS:
                continue
            column = len(row)
            if column < width:
                kind = _VALUE_TAGS[tag]
                if kind == "x":
                    try:
                        index = int(element.get("v") or "")
                        row.append(items[column][index] if 0 <= index < len(items[column])
                                   else "")
                    except ValueError:
                        row.append("")
                else:
                    row.append(_value(kind, element.get("v")))
    except _ERRORS:
        return  # a damaged records part: the rows read so far are kept
