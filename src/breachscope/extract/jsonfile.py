"""JSON and NDJSON (one value per line, or values simply concatenated) → units.

Naming scheme
-------------
*Paths* are dotted keys from the root, ``$`` being the root itself: ``export.date``;
a list element outside a table is ``notes[0]`` (0-based, as in JSON paths). The values of an
NDJSON file are treated as one top-level list named ``records``.

*Tables*: every list of objects, at any depth, becomes a :class:`TableUnit` named
``table <path>`` where list positions are left out of the path: ``table patients``,
``table patients.sejours``; a top-level list is ``table $`` (NDJSON: ``table records``) and
the lists inside its objects are named from their key alone (``table sejours``).
``row_numbers`` are the 1-based positions of the objects in their list.

*Columns* are the dotted paths of the scalar leaves of each object, nested objects flattened
(``contact.tel``). A list of objects inside a row object becomes its own table whose rows
start with all the parent row's columns, named as in the parent table, followed by the
child's columns prefixed with the child's key path: ``patients[i].sejours[j]`` gives table
``table patients.sejours`` with columns ``nom``, ``prenom``, ..., ``sejours.date``,
``sejours.unite``, so a visit row still says whose visit it is. Its rows from all patients
are in that one table; their ``row_numbers`` are dotted position paths, ``12.3`` being the
3rd stay of the 12th patient, so every row of the file has a unique, findable label. A list
of scalars inside a row object is one cell, its values joined with ``"; "``.

*Outside tables*: the scalar leaves of an object (nested objects flattened) form a one-row
table ``object <path>`` (``object $`` for the root object); a list of scalars is a one-column
table ``table <path>``; a long string (``LONG_TEXT`` characters or more, or several lines) is a
:class:`TextUnit` whose ``name`` is its path.

Cells: strings trimmed, integers (and integral floats) as digits, other floats ``repr``,
booleans ``true``/``false``, ``null`` as ``""``.

Size: the document is parsed whole (``json``), so memory grows with the file: files over
``MAX_JSON_BYTES`` (256 MiB) are refused with :class:`JSONTooLarge` (the dispatcher then
streams them as text, so identifiers are still found). Tables are emitted in chunks of at most
``CHUNK_ROWS`` rows.

Depth: the walk uses an explicit stack. Anything nested deeper than ``MAX_DEPTH`` is not
turned into tables: its scalar values are gathered into a :class:`TextUnit` named
``<path> (nested too deep)`` so nothing is silently dropped. A document too deep for Python's
parser fails with ``ExtractionError("JSON nested too deeply")``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from breachscope.extract._table import CHUNK_ROWS, MAX_COLUMNS
from breachscope.extract.encoding import decode_bytes
from breachscope.extract.units import ExtractionError, TableUnit, TextUnit

MAX_DEPTH = 64
#: JSON is parsed whole (Python objects take several times the file's size): bigger files
#: are refused (:class:`JSONTooLarge`), and read as text by the dispatcher.
MAX_JSON_BYTES = 256 * 1024 * 1024
LONG_TEXT = 200
OVERFLOW_COLUMN = "_overflow"
_WHITESPACE = " \t\r\n\ufeff"


@dataclass
class _Table:
    columns: dict[str, None] = field(default_factory=dict)
    rows: list[dict[str, str]] = field(default_factory=list)
    numbers: list[int | str] = field(default_factory=list)

    def add(self, row: dict[str, str], number: int | str) -> None:
        if len(self.columns) + len(row) > MAX_COLUMNS:
            kept: dict[str, str] = {}
            overflow = []
            for key, value in row.items():
                if key in self.columns or len(self.columns) < MAX_COLUMNS - 1:
                    self.columns.setdefault(key)
                    kept[key] = value
                elif value:
                    overflow.append(f"{key}={value}")
            if overflow:
                self.columns.setdefault(OVERFLOW_COLUMN)
                kept[OVERFLOW_COLUMN] = "; ".join(overflow)
            row = kept
        else:
            for key in row:
                self.columns.setdefault(key)
        self.rows.append(row)
        self.numbers.append(number)

    def units(self, name: str) -> Iterator[TableUnit]:
        """The table as chunks of at most ``CHUNK_ROWS`` rows (same name and header)."""
        header = list(self.columns)
        for start in range(0, max(len(self.rows), 1), CHUNK_ROWS):
            rows = self.rows[start : start + CHUNK_ROWS]
            yield TableUnit(header=header, rows=[[r.get(c, "") for c in header] for r in rows],
                            name=name, row_numbers=self.numbers[start : start + CHUNK_ROWS])


def _load(text: str) -> tuple[Any, str]:
    """The parsed document and the name of its root (``$``, or ``records`` for NDJSON)."""
    try:
        return json.loads(text), "$"
    except RecursionError:
        raise ExtractionError("JSON nested too deeply") from None
    except json.JSONDecodeError as exc:
        if exc.msg != "Extra data":
            raise ExtractionError(f"invalid JSON at line {exc.lineno}") from None
    # NDJSON / concatenated values.
    decoder = json.JSONDecoder()
    values = []
    pos, end = 0, len(text)
    while True:
        while pos < end and text[pos] in _WHITESPACE:
            pos += 1
        if pos >= end:
            break
        try:
            value, pos = decoder.raw_decode(text, pos)
        except RecursionError:
            raise ExtractionError("JSON nested too deeply") from None
        except json.JSONDecodeError as exc:
            raise ExtractionError(f"invalid JSON at line {exc.lineno}") from None
        values.append(value)
    return values, "records"


def _scalar(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e17:
            return str(int(value))
        return repr(value)
    return str(value)


def _is_container(value: Any) -> bool:
    return isinstance(value, dict | list)


def _join(path: str, key: str) -> str:
    return key if path in ("$", "") else f"{path}.{key}"


def _is_long(value: Any) -> bool:
    return isinstance(value, str) and (len(value) >= LONG_TEXT or "\n" in value.strip())


class _Walker:
    def __init__(self) -> None:
        self.tables: dict[str, _Table] = {}
        self.units: list[TableUnit | TextUnit] = []
        # Jobs: ("node", value, path, depth) or ("rows", items, table, inherited, prefix, depth)
        self.stack: list[tuple[Any, ...]] = []

    def run(self, root: Any, root_name: str) -> Iterator[TableUnit | TextUnit]:
        self.stack.append(("node", root, root_name, 0))
        while self.stack:
            job = self.stack.pop()
            if job[0] == "node":
                self._node(*job[1:])
            else:
                self._rows(*job[1:])
        for name in list(self.tables):
            table = self.tables.pop(name)
            if table.rows:
                yield from table.units(f"table {name}")
        yield from self.units

    # -- outside tables -------------------------------------------------------------
    def _node(self, value: Any, path: str, depth: int) -> None:
        if depth > MAX_DEPTH:
            self._too_deep(value, path)
        elif isinstance(value, dict):
            self._object(value, path, depth)
        elif isinstance(value, list):
            self._list(value, path, depth)
        elif _is_long(value):
            self.units.append(TextUnit(text=value, name=path))
        elif value is not None and path in ("$", "records"):
            self.units.append(TextUnit(text=_scalar(value), name=path))

    def _object(self, obj: dict[str, Any], path: str, depth: int) -> None:
        leaves: dict[str, str] = {}
        later: list[tuple[Any, ...]] = []
        todo = [(obj, "", depth)]
        while todo:
            current, prefix, level = todo.pop()
            for key, value in current.items():
                name = prefix + str(key)
                child_path = _join(path, name)
                if level + 1 > MAX_DEPTH and _is_container(value):
                    self._too_deep(value, child_path)
                elif isinstance(value, dict):
                    todo.append((value, name + ".", level + 1))
                elif isinstance(value, list):
                    later.append(("node", value, child_path, level + 1))
                elif _is_long(value):
                    self.units.append(TextUnit(text=value, name=child_path))
                else:
                    leaves[name] = _scalar(value)
        if leaves:
            table = _Table()
            table.add(leaves, 1)
            self.units.extend(table.units(f"object {path}"))
        self.stack.extend(reversed(later))

    def _list(self, items: list[Any], path: str, depth: int) -> None:
        objects = [(i, v) for i, v in enumerate(items, start=1) if isinstance(v, dict)]
        if objects:
            self.stack.append(("rows", objects, path, [], "", depth + 1, ""))
        scalars = _Table()
        for i, value in enumerate(items, start=1):
            if isinstance(value, list):
                self.stack.append(("node", value, f"{path}[{i - 1}]", depth + 1))
            elif _is_long(value):
                self.units.append(TextUnit(text=value, name=f"{path}[{i - 1}]"))
            elif not isinstance(value, dict) and value is not None:
                column = "value" if path in ("$", "records") else path.rsplit(".", 1)[-1]
                scalars.add({column: _scalar(value)}, i)
        if scalars.rows:
            self.units.extend(scalars.units(f"table {path}"))

    # -- inside tables ----------------------------------------------------------------
    def _rows(self, objects: list[tuple[int, dict[str, Any]]], table_path: str,
              inherited: list[tuple[str, str]], prefix: str, depth: int,
              parent_label: str) -> None:
        table = self.tables.setdefault(table_path, _Table())
        children: list[tuple[Any, ...]] = []
        for number, obj in objects:
            row = dict(inherited)
            pending: list[tuple[str, list[tuple[int, dict[str, Any]]]]] = []
            todo = [(obj, "", depth)]
            while todo:
                current, rel, level = todo.pop()
                for key, value in current.items():
                    name = rel + str(key)
                    if level + 1 > MAX_DEPTH and _is_container(value):
                        self._too_deep(value, f"{_join(table_path, name)}")
                    elif isinstance(value, dict):
                        todo.append((value, name + ".", level + 1))
                    elif isinstance(value, list):
                        objs, texts = self._flatten_list(value, f"{_join(table_path, name)}")
                        if objs:
                            pending.append((name, objs))
                        if texts:
                            row[prefix + name] = "; ".join(texts)
                    else:
                        row[prefix + name] = _scalar(value)
            label: int | str = f"{parent_label}.{number}" if parent_label else number
            table.add(row, label)
            for name, objs in pending:
                children.append(("rows", objs, _join(table_path, name), list(row.items()),
                                 f"{prefix}{name}.", depth + 1, str(label)))
        self.stack.extend(reversed(children))

    def _flatten_list(self, items: list[Any], path: str
                      ) -> tuple[list[tuple[int, dict[str, Any]]], list[str]]:
        """Objects of a list inside a row (with their 1-based positions), and its scalar
        values as text (nested lists of scalars flattened)."""
        objects: list[tuple[int, dict[str, Any]]] = []
        texts: list[str] = []
        for i, value in enumerate(items, start=1):
            if isinstance(value, dict):
                objects.append((i, value))
            elif isinstance(value, list):
                self._too_deep(value, f"{path}[{i - 1}]", reason="nested list")
            elif value is not None:
                texts.append(_scalar(value))
        return objects, texts

    def _too_deep(self, value: Any, path: str, reason: str = "nested too deep") -> None:
        """Gather the scalar values under ``value`` into one TextUnit (iteratively)."""
        texts: list[str] = []
        todo = [value]
        while todo:
            current = todo.pop()
            if isinstance(current, dict):
                todo.extend(reversed(list(current.values())))
            elif isinstance(current, list):
                todo.extend(reversed(current))
            elif current is not None:
                texts.append(_scalar(current))
        if any(texts):
            self.units.append(TextUnit(text="\n".join(texts), name=f"{path} ({reason})"))


class JSONTooLarge(ExtractionError):
    """The file is over :data:`MAX_JSON_BYTES`: it is not parsed (the caller may read it as
    text instead)."""


def partition_json(path: Path) -> Iterator[TextUnit | TableUnit]:
    """Read a JSON or NDJSON file into tables (lists of objects, emitted in chunks of at most
    ``CHUNK_ROWS`` rows) and texts (long strings). The document is parsed whole: files over
    :data:`MAX_JSON_BYTES` raise :class:`JSONTooLarge`."""
    path = Path(path)
    size = path.stat().st_size
    if size > MAX_JSON_BYTES:
        raise JSONTooLarge(f"JSON file too large to parse ({size // 2**20} MB > "
                           f"{MAX_JSON_BYTES // 2**20} MB)")
    text, _encoding = decode_bytes(path.read_bytes())
    root, root_name = _load(text)
    del text
    yield from _Walker().run(root, root_name)
