"""XML → tables of repeated records and text, streamed, parsed with ``defusedxml``.

Safety: the parser is ``defusedxml``'s (expat underneath). An entity declaration (billion
laughs, quadratic blow-up) or an external entity (XXE: ``<!ENTITY x SYSTEM "file:///...">``)
is *refused* when it is declared: no entity is ever expanded, nothing is read from the disk or
the network. The file is then scanned as plain text instead (a text scan expands nothing), so
the identifiers it holds are still found.

Streaming: the bytes are fed :data:`BLOCK_BYTES` at a time to a parser *target* that keeps no
tree: only the open elements and the rows not yet emitted are in memory.

Layout:

- A *record* is an element whose children are all leaves (no grandchildren), at most
  ``MAX_COLUMNS`` of them: ``<patient><nom>..</nom><nir>..</nir></patient>``. The records at
  one element path form a table named ``table <path>`` (``table patients/patient``), tags
  without namespace, one column per child tag (a repeated tag's values joined with ``"; "``),
  the record's attributes as ``@attr`` and a child's attributes as ``tag@attr``. Rows are
  emitted in chunks of at most ``CHUNK_ROWS``; ``row_numbers`` are the 1-based positions of
  the records in their table. The columns are fixed when the first chunk is emitted; values
  under tags first seen after it become a text unit at the record's line.
- Any other text (mixed content, leaves of complex elements, long texts) becomes
  :class:`TextUnit` pieces named with the element path (for a leaf, its parent's path, so
  that a document's paragraphs make one unit rather than thousands), laid out on their source
  lines (a finding reads ``doc/body, line 120``). Paths stop growing past :data:`MAX_DEPTH`
  levels.
- A malformed or truncated file: what was read is emitted, then the rest of the file is
  streamed as text from the line of the error.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from breachscope.extract._table import CHUNK_ROWS, MAX_COLUMNS
from breachscope.extract.text import MAX_CHARS, OVERLAP, PlacedText, partition_text
from breachscope.extract.units import TableUnit, TextUnit

BLOCK_BYTES = 64 * 1024
#: Element paths name at most this many levels (deeper elements share their ancestor's).
MAX_DEPTH = 64


def _local(tag: str) -> str:
    """``{namespace}nom`` → ``nom``."""
    return tag.rsplit("}", 1)[-1] if tag.startswith("{") else tag


class _Frame:
    __slots__ = ("attrib", "has_children", "leaves", "line", "parts", "path", "size", "tag")

    def __init__(self, tag: str, path: str, attrib: dict[str, str], line: int) -> None:
        self.tag = tag
        self.path = path
        self.attrib = attrib
        self.line = line
        self.parts: list[str] = []
        self.size = 0
        self.has_children = False
        # Leaf children while this element may still be a record: (tag, text, attrib, line).
        self.leaves: list[tuple[str, str, dict[str, str], int]] | None = []


class _Table:
    def __init__(self, name: str) -> None:
        self.name = name
        self.columns: dict[str, None] = {}
        self.frozen = False
        self.rows: list[dict[str, str]] = []
        self.numbers: list[int] = []
        self.count = 0

    def add(self, row: dict[str, str], line: int) -> list[TableUnit | TextUnit]:
        self.count += 1
        out: list[TableUnit | TextUnit] = []
        if self.frozen or len(self.columns) + len(row) > MAX_COLUMNS:
            extra = [f"{k}: {v}" for k, v in row.items() if k not in self.columns and v]
            if extra and not self.frozen and len(self.columns) < MAX_COLUMNS:
                for key in row:
                    if len(self.columns) >= MAX_COLUMNS:
                        break
                    self.columns.setdefault(key)
                extra = [f"{k}: {v}" for k, v in row.items() if k not in self.columns and v]
            if extra:
                out.append(TextUnit(text=" ".join(extra), name=self.name, first_line=line))
        else:
            for key in row:
                self.columns.setdefault(key)
        self.rows.append(row)
        self.numbers.append(self.count)
        if len(self.rows) >= CHUNK_ROWS:
            out.append(self.chunk())
        return out

    def chunk(self) -> TableUnit:
        self.frozen = True
        header = list(self.columns)
        unit = TableUnit(header=header, rows=[[r.get(c, "") for c in header] for r in self.rows],
                         name=self.name, row_numbers=list(self.numbers))
        self.rows, self.numbers = [], []
        return unit


class _Collector:
    """The parser target: builds rows and texts as elements end; units wait in :attr:`out`."""

    def __init__(self) -> None:
        self.expat = None  # the expat parser, for line numbers
        self.stack: list[_Frame] = []
        self.tables: dict[str, _Table] = {}
        self.text = PlacedText()
        self.out: list[TableUnit | TextUnit] = []

    def _line(self) -> int:
        return self.expat.CurrentLineNumber if self.expat is not None else 1

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        line = self._line()
        local = _local(tag)
        if self.stack:
            parent = self.stack[-1]
            parent.has_children = True
            # Paths stop growing past MAX_DEPTH: a million nested elements must not make a
            # million ever longer strings.
            path = f"{parent.path}/{local}" if len(self.stack) < MAX_DEPTH else parent.path
            if len(self.stack) >= 2:  # the grandparent is not a record
                self._demote(self.stack[-2])
        else:
            path = local
        self.stack.append(_Frame(local, path, attrib, line))

    def data(self, text: str) -> None:
        if not self.stack:
            return
        frame = self.stack[-1]
        if not frame.parts:
            # expat buffers character data: the current line is where the text ends.
            frame.line = max(1, self._line() - text.count("\n"))
        frame.parts.append(text)
        frame.size += len(text)
        if frame.size > MAX_CHARS:  # a huge text node: emit it as it comes, with overlap
            whole = "".join(frame.parts)
            cut = len(whole) - OVERLAP
            self._place(frame.line, whole[:cut], frame.path)
            frame.line += whole.count("\n", 0, cut)
            frame.parts, frame.size = [whole[cut:]], OVERLAP
            frame.has_children = True  # no longer a scalar cell

    def end(self, tag: str) -> None:
        frame = self.stack.pop()
        parent = self.stack[-1] if self.stack else None
        text = "".join(frame.parts)
        if not frame.has_children:  # a leaf: a cell of its parent's record, or text
            if parent is not None and parent.leaves is not None and (
                len(parent.leaves) < MAX_COLUMNS
            ):
                parent.leaves.append((frame.tag, text, frame.attrib, frame.line))
            else:  # named by its parent: a document's paragraphs make one text, not thousands
                self._place(frame.line, _with_attributes(text, frame.attrib),
                            parent.path if parent is not None else frame.path)
            return
        if frame.leaves:  # a record
            row: dict[str, str] = {}
            for key, value in frame.attrib.items():
                row[f"@{_local(key)}"] = value.strip()
            for child, value, attrib, _line in frame.leaves:
                _put(row, child, value.strip())
                for key, attr in attrib.items():
                    _put(row, f"{child}@{_local(key)}", attr.strip())
            table = self.tables.get(frame.path)
            if table is None:
                table = self.tables[frame.path] = _Table(f"table {frame.path}")
            self.out.extend(table.add(row, frame.line))
        else:
            text = _with_attributes(text, frame.attrib)
        self._place(frame.line, text, frame.path)

    def close(self) -> None:
        pass

    def _demote(self, frame: _Frame) -> None:
        """``frame`` has grandchildren: it is not a record; its leaves become text."""
        if frame.leaves is None:
            return
        for _child, value, attrib, line in frame.leaves:
            self._place(line, _with_attributes(value, attrib), frame.path)
        frame.leaves = None

    def _place(self, line: int, text: str, path: str) -> None:
        if text.strip():
            self.out.extend(self.text.add(line, text, path))

    def drain(self) -> list[TableUnit | TextUnit]:
        out, self.out = self.out, []
        return out

    def finish(self) -> list[TableUnit | TextUnit]:
        """Everything still held: open elements' text (a truncated file), rows, texts."""
        while self.stack:
            frame = self.stack.pop()
            self._demote(frame)
            self._place(frame.line, "".join(frame.parts), frame.path)
        for table in self.tables.values():
            if table.rows:
                self.out.append(table.chunk())
        self.tables.clear()
        self.out.extend(self.text.flush())
        return self.drain()


def _with_attributes(text: str, attrib: dict[str, str]) -> str:
    """An element's text followed by its attributes (``text @date=2024-02-12``)."""
    if not attrib:
        return text
    attributes = " ".join(f"@{_local(k)}={v}" for k, v in attrib.items())
    return f"{text} {attributes}" if text.strip() else attributes


def _put(row: dict[str, str], key: str, value: str) -> None:
    if key in row:
        if value:
            row[key] = f"{row[key]}; {value}" if row[key] else value
    else:
        row[key] = value


def partition_xml(path: Path) -> Iterator[TableUnit | TextUnit]:
    """Stream an XML file into tables (repeated records) and texts; refused entities and
    parse errors fall back to a text scan (see the module docstring)."""
    path = Path(path)
    collector = _Collector()
    parser = DefusedXMLParser(target=collector)
    collector.expat = parser.parser
    error_line = None
    try:
        with path.open("rb") as handle:
            while block := handle.read(BLOCK_BYTES):
                parser.feed(block)
                yield from collector.drain()
            parser.close()
    except DefusedXmlException:
        # An entity declaration or external reference, refused before any element was read
        # (the DTD comes first): the file is scanned as text, nothing expanded or fetched.
        yield from collector.drain()
        yield from partition_text(path)
        return
    except ParseError as exc:
        position = getattr(exc, "position", None)
        error_line = position[0] if position else 1
    yield from collector.finish()
    if error_line is not None:
        yield from partition_text(path, start_line=max(1, error_line))
