"""SQL dumps (mysqldump / MariaDB, PostgreSQL plain ``pg_dump``, ``sqlite3 .dump``, SQL
Server scripts) → one table per SQL table, streamed.

Why a hand-written tokenizer: no maintained library streams the *values* of a dump.
``sqlparse`` is a slow non-validating tokenizer that works on whole statements, ``sqlglot``
builds an AST per statement, and the small mysqldump-to-CSV tools read a whole line at a time
(a mysqldump line is one ``INSERT`` of the whole table: hundreds of MB). What is needed is
narrow — string and identifier quoting, comments, and the shape of ``CREATE TABLE``,
``INSERT ... VALUES`` and ``COPY ... FROM stdin`` — so a small tokenizer reads the decoded text
(:mod:`breachscope.extract.stream`) through a sliding buffer: it keeps at most
:data:`LOOKAHEAD` characters ahead plus one decoded block, and a token longer than that (a
huge string, comment or hex blob) is consumed in pieces, keeping at most :data:`MAX_CELL`
characters of it. Memory does not grow with the file nor with a line.

What is read:

- ``CREATE TABLE`` gives a table's column names and its declared keys: column-level
  ``PRIMARY KEY`` and ``REFERENCES t (c)``, table-level ``[CONSTRAINT n] PRIMARY KEY (a, b)``
  and ``FOREIGN KEY (a) REFERENCES t (b) [ON DELETE ...]`` (``UNIQUE``, ``KEY``, ``INDEX``,
  ``CHECK`` and options are skipped). ``ALTER TABLE [ONLY] t [WITH CHECK] ADD [CONSTRAINT n]
  PRIMARY KEY / FOREIGN KEY ...`` (pg_dump, SQL Server scripts: after the data) adds keys too.
  A malformed constraint is skipped, the statement's other constraints are kept.
- ``INSERT``/``REPLACE INTO t [(cols)] VALUES (...), (...) ...``: strings (``'...'`` with
  MySQL backslash escapes or standard ``''`` doubling, ``E'...'``, ``N'...'``, ``"..."`` as a
  value), numbers, ``NULL`` (→ empty cell), ``_binary '...'`` and ``0x...``/``X'...'`` (kept
  only when they are valid, printable UTF-8 text), casts and function calls (the first
  literal inside). Identifiers may be quoted with backticks, double quotes or brackets.
- ``COPY t [(cols)] FROM stdin;`` blocks: tab-separated rows, ``\\N`` null, backslash escapes,
  ended by ``\\.``.
- The dialect (backslash escapes in strings or not) is guessed from the head: a PostgreSQL or
  SQLite dump uses standard strings (``SET standard_conforming_strings`` switches it).
  ``[name]`` quotes an identifier except in a PostgreSQL dump; in a SQL Server script (``GO``
  lines), ``GO`` separates statements.
- Everything else (``SET``, ``LOCK TABLES``, ``/*!40101 ... */``, comments, functions and
  triggers with their ``$$`` bodies, ``DELIMITER`` blocks of routines, psql ``\\connect``) is
  skipped. A statement that cannot be parsed is skipped (rows read before the error are kept)
  and counted; a file of which nothing could be read fails with a reason.

Each SQL table becomes :class:`TableUnit` chunks named ``table <name>`` (the schema is dropped
unless two schemas hold the same table name), its columns as the header (``col1..colN`` when the
dump has no ``CREATE TABLE`` for it), and ``row_numbers`` the 1-based index of the row within its
table across the whole dump: a finding reads ``table patient, row 812, column nir``.

After the last rows, each table with a declared key gives one :class:`KeysUnit`:
``unit_name`` is its units' name, ``table`` and ``ForeignKey.ref_table`` bare table names (no
schema, unquoted; a referenced table the dump holds is named as the dump first wrote it), column
names as in the header; a ``REFERENCES t`` without columns gets ``t``'s primary key when the dump
declares it, else no ``ref_columns``. Keys are held within :data:`MAX_KEY_CHARS` characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

from breachscope.extract._table import (
    CHUNK_CHARS,
    CHUNK_ROWS,
    MAX_COLUMNS,
    clean_label,
    column_names,
)
from breachscope.extract.stream import decoded_chunks, stream_encoding
from breachscope.extract.units import ExtractionError, ForeignKey, KeysUnit, TableUnit, TextUnit

#: Characters kept ahead of the read position before each token.
LOOKAHEAD = 64 * 1024
#: Characters kept of one value; the rest of a longer value is read and dropped.
MAX_CELL = 1 << 20
#: Tokens one value expression may span (``CONVERT(... USING utf8)``, casts).
MAX_VALUE_TOKENS = 10_000
#: Rows buffered over all tables before the biggest table's rows are emitted.
MAX_BUFFERED_ROWS = 4 * CHUNK_ROWS
#: Tokens kept of one element of a ``CREATE TABLE`` body or ``ALTER TABLE`` action; a longer
#: one declares no key that is read.
MAX_ELEMENT_TOKENS = 2048
#: Columns of one declared key, and characters of one name in it; a longer key is skipped.
MAX_KEY_COLUMNS = 64
MAX_KEY_NAME = 1024
#: Foreign keys kept per table.
MAX_FOREIGN_KEYS = 256
#: Characters of declared keys (names) kept over the whole dump: keys beyond it are dropped.
MAX_KEY_CHARS = 1 << 20

_WS = re.compile(r"\s+")
_WORD = re.compile(r"[^\W\d][\w$]{0,4095}")
_NUMBER = re.compile(r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_HEX = re.compile(r"0[xX][0-9A-Fa-f]*")
_NOT_HEX = re.compile(r"[^0-9A-Fa-f]")
_STRING = {
    ("'", True): re.compile(r"'((?:[^'\\]++|\\.|'')*+)'", re.S),
    ("'", False): re.compile(r"'((?:[^']++|'')*+)'"),
    ('"', True): re.compile(r'"((?:[^"\\]++|\\.|"")*+)"', re.S),
    ('"', False): re.compile(r'"((?:[^"]++|"")*+)"'),
    ("`", False): re.compile(r"`((?:[^`]++|``)*+)`"),
}
_STRING_STOP = {
    ("'", True): re.compile(r"['\\]"), ("'", False): re.compile(r"'"),
    ('"', True): re.compile(r'["\\]'), ('"', False): re.compile(r'"'),
    ("`", False): re.compile(r"`"),
}
_BRACKET = re.compile(r"\[([^\]\n]{0,1024})\]")
_DOLLAR = re.compile(r"\$(?:[A-Za-z_][A-Za-z_0-9]*)?\$")
_NEWLINE = re.compile(r"\n")
_COMMENT_END = re.compile(r"\*/")
_MYSQL_ESCAPE = {"'": re.compile(r"\\(.)|''", re.S), '"': re.compile(r'\\(.)|""', re.S)}
_MYSQL_ESCAPES = {"0": "", "b": "\b", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a",
                  "%": "\\%", "_": "\\_"}
_COPY_ESCAPE = re.compile(r"\\(?:([0-7]{1,3})|x([0-9A-Fa-f]{1,2})|(.))", re.S)
_COPY_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_COPY_FIELD_STOP = re.compile(r"[\t\n]")
_NOT_TEXT = re.compile(r"[\x00-\x08\x0e-\x1f\ufffd]")
# A row of plain literals (strings, numbers, NULL), matched at once after its "(", and its
# values: the fast path for the usual mysqldump / pg_dump --inserts row.
_LITERAL = {
    True: r"'(?:[^'\\]++|\\.|'')*+'",
    False: r"'(?:[^']++|'')*+'",
}
_NUM = r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"
_FAST_ROW = {
    bs: re.compile(rf"\s*((?:(?:{lit}|(?i:NULL)|{_NUM})\s*,\s*)*+(?:{lit}|(?i:NULL)|{_NUM}))"
                   rf"\s*\)", re.S)
    for bs, lit in _LITERAL.items()
}
# A whole row with its opening parenthesis and the ``,`` or ``;`` after it: the loop over
# the rows of an ``INSERT`` matches each row at once, the general tokenizer taking over at
# anything else (a comment, an expression, a row cut by the end of the buffer).
_FAST_TUPLE = {
    bs: re.compile(rf"\s*\({_FAST_ROW[bs].pattern}(?:\s*([,;]))?", re.S)
    for bs in _LITERAL
}
_FAST_VALUES = {
    True: re.compile(r"'((?:[^'\\]++|\\.|'')*+)'|(?i:(NULL))|([^\s,']+)", re.S),
    False: re.compile(r"'((?:[^']++|'')*+)'|(?i:(NULL))|([^\s,']+)"),
}
_GO_LINE = re.compile(rb"^GO[ \t]*\r?$", re.M)
_PG_HEAD = re.compile(rb"PostgreSQL database dump|FROM stdin;|standard_conforming_strings|"
                      rb"pg_catalog\.|BEGIN TRANSACTION;")
# PostgreSQL itself (not SQLite, whose dumps also use standard strings): ``[`` is no quote.
_PG_ONLY = re.compile(rb"PostgreSQL database dump|FROM stdin;|standard_conforming_strings|"
                      rb"pg_catalog\.")

_CONSTRAINTS = {"PRIMARY", "KEY", "UNIQUE", "INDEX", "CONSTRAINT", "FOREIGN", "CHECK",
                "FULLTEXT", "SPATIAL", "EXCLUDE", "LIKE", "PERIOD", "INDEXTYPE"}
_INSERT_MODIFIERS = {"LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY", "IGNORE", "INTO"}

EOF = ("", "")
#: The fast paths for rows of plain literals (``INSERT``) and for ``COPY`` blocks; without
#: them (tests) the general tokenizer reads everything, the reference they must agree with.
_FAST = True


class _BadStatement(Exception):
    """The statement does not have the shape we read: skip it."""


def _unescape_mysql(text: str, quote: str) -> str:
    def sub(m: re.Match[str]) -> str:
        ch = m.group(1)
        if ch is None:
            return m.group(0)[0]
        return _MYSQL_ESCAPES.get(ch, ch)

    return _MYSQL_ESCAPE[quote].sub(sub, text)


def _unescape_copy(field: str) -> str:
    def sub(m: re.Match[str]) -> str:
        octal, hexa, ch = m.groups()
        if octal:
            return chr(int(octal, 8) & 0xFF)
        if hexa:
            return chr(int(hexa, 16))
        return _COPY_ESCAPES.get(ch, ch)

    return _COPY_ESCAPE.sub(sub, field)


def _copy_cells(raw: list[str]) -> list[str]:
    """The cells of a ``COPY`` row from its tab-separated fields."""
    return ["" if f == "\\N" else _unescape_copy(f) if "\\" in f else f for f in raw]


def _bytes_text(data: bytes) -> str:
    """Binary data as a cell: its text when it is valid, printable UTF-8, else ``""``."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return ""
    return "" if _NOT_TEXT.search(text) else text


def _hex_text(digits: str) -> str:
    if not digits or len(digits) > 2 * MAX_CELL:
        return ""
    if len(digits) % 2:
        digits = "0" + digits
    try:
        return _bytes_text(bytes.fromhex(digits))
    except ValueError:
        return ""


def _literal_cells(row: str, backslash: bool) -> list[str]:
    """The cells of a row of plain literals matched by :data:`_FAST_ROW` (without its
    parentheses)."""
    values = _FAST_VALUES[backslash].findall(row)
    if len(values) > 4 * MAX_COLUMNS:
        raise _BadStatement("too many values")
    if "\\" not in row and "''" not in row:
        return [text or number for text, _null, number in values]
    cells = []
    for text, null, number in values:
        if number:
            cells.append(number)
        elif null or not text:
            cells.append("")
        elif backslash and "\\" in text:
            cells.append(_unescape_mysql(text, "'"))
        else:
            cells.append(text.replace("''", "'") if "''" in text else text)
    return cells


class _Lexer:
    """Tokens of SQL text read through a sliding buffer. A token is ``(kind, text)``:
    ``w`` word, ``s`` string (unescaped), ``b`` binary-ish string (hex, bit), ``n`` number,
    ``q`` quoted identifier, ``d`` double-quoted (identifier or string, by context), ``p``
    punctuation (one character); ``("", "")`` at the end."""

    def __init__(self, chunks: Iterator[str], standard_strings: bool,
                 brackets: bool | None = None) -> None:
        self.chunks = chunks
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.standard = standard_strings  # '...' without backslash escapes (PostgreSQL, SQLite)
        # [name] quotes an identifier (SQL Server, SQLite); not in PostgreSQL (int[], ARRAY[])
        self.brackets = not standard_strings if brackets is None else brackets
        self.peeked: tuple[str, str] | None = None

    # -- buffer -----------------------------------------------------------------------------
    def fill(self) -> bool:
        """Drop the consumed text and append the next block; False at the end of the file."""
        if self.eof:
            return False
        chunk = next(self.chunks, None)
        if chunk is None:
            self.eof = True
            return False
        self.buf = self.buf[self.pos:] + chunk
        self.pos = 0
        return True

    def ensure(self, n: int) -> None:
        while len(self.buf) - self.pos < n and self.fill():
            pass

    def take(self, stop: re.Pattern[str], limit: int, keep: int = 0) -> str:
        """Consume the text up to the next match of ``stop`` (or the end of the file) and
        return at most ``limit`` characters of it. ``keep``: characters left at the end of
        the buffer when there is no match (a stop longer than one character may be cut)."""
        kept: list[str] = []
        size = 0
        while True:
            m = stop.search(self.buf, self.pos)
            end = m.start() if m else max(self.pos, len(self.buf) - keep)
            if size < limit:
                piece = self.buf[self.pos: min(end, self.pos + limit - size)]
                kept.append(piece)
                size += len(piece)
            self.pos = end
            if m or not self.fill():
                return "".join(kept)

    def rest_of_line(self) -> str:
        line = self.take(_NEWLINE, 4096)
        self.pos += 1 if self.pos < len(self.buf) else 0
        return line.strip()

    # -- tokens -----------------------------------------------------------------------------
    def push(self, token: tuple[str, str]) -> None:
        self.peeked = token

    def next(self) -> tuple[str, str]:
        if self.peeked is not None:
            token, self.peeked = self.peeked, None
            return token
        while True:
            if len(self.buf) - self.pos < LOOKAHEAD:
                self.ensure(LOOKAHEAD)
            buf, pos = self.buf, self.pos
            if pos >= len(buf):
                return EOF
            ch = buf[pos]
            if ch.isspace():
                self.pos = _WS.match(buf, pos).end()  # type: ignore[union-attr]
                continue
            if ch == "'":
                return "s", self.string("'", not self.standard)
            if ch == "-" and buf.startswith("--", pos) and (
                    self.standard or pos + 2 >= len(buf) or buf[pos + 2].isspace()):
                self.take(_NEWLINE, 0)
                continue
            if ch == "#" and not self.standard:
                self.take(_NEWLINE, 0)
                continue
            if ch == "/" and buf.startswith("/*", pos):
                self.pos += 2
                self.take(_COMMENT_END, 0, keep=1)
                self.pos += 2
                continue
            if ch in "0123456789" or (ch == "." and pos + 1 < len(buf) and buf[pos + 1].isdigit()):
                m = _HEX.match(buf, pos)
                if m and m.end() > pos + 2:
                    self.pos = m.end()
                    digits = m.group()[2:]
                    if self.pos == len(self.buf):
                        digits += self.take(_NOT_HEX, 2 * MAX_CELL + 1)
                    return "b", _hex_text(digits)
                m = _NUMBER.match(buf, pos)
                self.pos = m.end()  # type: ignore[union-attr]
                return "n", m.group()  # type: ignore[union-attr]
            if ch == "`":
                return "q", self.string("`", False)
            if ch == '"':
                return "d", self.string('"', not self.standard)
            if ch == "[" and self.brackets:
                m = _BRACKET.match(buf, pos)
                if m:
                    self.pos = m.end()
                    return "q", m.group(1)
            if ch == "$" and self.standard:
                m = _DOLLAR.match(buf, pos)
                if m:
                    self.pos = m.end()
                    return "s", self.dollar(m.group())
            m = _WORD.match(buf, pos)
            if m:
                self.pos = m.end()
                word = m.group()
                if self.pos < len(buf) and buf[self.pos] == "'" and len(word) <= 16:
                    prefix = word.upper()
                    if prefix == "E":
                        return "s", self.string("'", True)
                    if prefix == "X":
                        return "b", _hex_text(self.string("'", False))
                    if prefix == "B":
                        self.string("'", False)
                        return "b", ""
                    if prefix == "N":
                        return "s", self.string("'", not self.standard)
                return "w", word
            self.pos += 1
            return "p", ch

    def string(self, quote: str, backslash: bool) -> str:
        """A quoted string or identifier starting at the read position, unescaped."""
        buf, pos = self.buf, self.pos
        m = _STRING[(quote, backslash)].match(buf, pos)
        if m and (m.end() < len(buf) or self.eof):
            self.pos = m.end()
            text = m.group(1)
            if len(text) > MAX_CELL:
                text = text[:MAX_CELL]
            if backslash and "\\" in text:
                return _unescape_mysql(text, quote)
            double = quote * 2
            return text.replace(double, quote) if double in text else text
        return self.long_string(quote, backslash)

    def long_string(self, quote: str, backslash: bool) -> str:
        """A string longer than the buffer: read in pieces, the first MAX_CELL kept."""
        stop = _STRING_STOP[(quote, backslash)]
        self.pos += 1
        parts: list[str] = []
        size = 0
        while True:
            piece = self.take(stop, max(0, MAX_CELL - size))
            parts.append(piece)
            size += len(piece)
            self.ensure(2)
            if self.pos >= len(self.buf):
                raise _BadStatement("unterminated string")
            ch = self.buf[self.pos]
            nxt = self.buf[self.pos + 1: self.pos + 2]
            if ch == "\\":
                self.pos += 2
                add = _MYSQL_ESCAPES.get(nxt, nxt)
            elif nxt == quote:
                self.pos += 2
                add = quote
            else:
                self.pos += 1
                return "".join(parts)
            if size < MAX_CELL:
                parts.append(add)
                size += len(add)

    def dollar(self, tag: str) -> str:
        """The body of a ``$tag$ ... $tag$`` string (PostgreSQL)."""
        end = self.buf.find(tag, self.pos)
        if end != -1:
            text = self.buf[self.pos:end]
            self.pos = end + len(tag)
            return text
        closing = re.compile(re.escape(tag))
        text = self.take(closing, MAX_CELL, keep=len(tag) - 1)
        self.pos += len(tag)
        return text


# -- declared keys ----------------------------------------------------------------------------
# A key as declared: ("pk", columns, [], []) or ("fk", columns, referenced name parts,
# referenced columns), names as written.
_Key = tuple[str, list[str], list[str], list[str]]


def _keyword(tokens: list[tuple[str, str]], i: int) -> str:
    """The word at ``i`` in upper case; ``""`` for anything else or past the end."""
    return tokens[i][1].upper() if i < len(tokens) and tokens[i][0] == "w" else ""


def _is_name(token: tuple[str, str]) -> bool:
    return token[0] in ("w", "q", "d") and 0 < len(token[1]) <= MAX_KEY_NAME


def _key_name(tokens: list[tuple[str, str]], i: int) -> tuple[list[str], int] | None:
    """A possibly qualified name at ``i`` (``db.schema.table``): its parts and the index
    after it."""
    parts: list[str] = []
    while i < len(tokens) and _is_name(tokens[i]):
        parts.append(tokens[i][1])
        i += 1
        if i < len(tokens) and tokens[i] == ("p", "."):
            if len(parts) >= 4:
                return None
            i += 1
            continue
        return parts, i
    return None


def _key_columns(tokens: list[tuple[str, str]], i: int) -> tuple[list[str], int] | None:
    """``(a, b DESC, c(10))`` at ``i``: the column names and the index after the ``)``."""
    if i >= len(tokens) or tokens[i] != ("p", "("):
        return None
    columns: list[str] = []
    depth = 0
    expect = True  # a column name comes next
    for j in range(i + 1, len(tokens)):
        kind, text = tokens[j]
        if kind == "p" and text in ("(", ")", ","):
            if text == "(":
                depth += 1
            elif text == ")" and depth:
                depth -= 1
            elif text == ")":
                return (columns, j + 1) if not expect else None
            elif not depth:
                if expect:
                    return None
                expect = True
        elif expect and not depth:
            if not _is_name(tokens[j]) or len(columns) >= MAX_KEY_COLUMNS:
                return None
            columns.append(text)
            expect = False
    return None


def _reference(tokens: list[tuple[str, str]], i: int) -> tuple[list[str], list[str]] | None:
    """``t [(a, b)]`` after ``REFERENCES``: the table's name parts and the columns (none when
    the table's primary key is meant)."""
    found = _key_name(tokens, i)
    if found is None:
        return None
    parts, i = found
    if i < len(tokens) and tokens[i] == ("p", "("):
        columns = _key_columns(tokens, i)
        return (parts, columns[0]) if columns else None
    return parts, []


def _table_key(tokens: list[tuple[str, str]], i: int) -> _Key | None:
    """A table constraint at ``i``: ``[CONSTRAINT name] PRIMARY KEY [CLUSTERED] (a, b)`` or
    ``[CONSTRAINT name] FOREIGN KEY [name] (a) REFERENCES t [(b)] [ON DELETE ...]``. None for
    another constraint (``UNIQUE``, ``KEY``, ``CHECK``...) or a malformed one."""
    if _keyword(tokens, i) == "CONSTRAINT":
        i += 1
        if _keyword(tokens, i) not in ("PRIMARY", "FOREIGN") or _keyword(tokens, i + 1) != "KEY":
            i += 1  # the constraint's name (MySQL may leave it out)
    kind = _keyword(tokens, i)
    if kind not in ("PRIMARY", "FOREIGN") or _keyword(tokens, i + 1) != "KEY":
        return None
    i += 2
    # PRIMARY KEY CLUSTERED / USING BTREE (...), FOREIGN KEY index_name (...)
    words = 0
    while i < len(tokens) and tokens[i][0] in ("w", "q", "d") and words < 3:
        i += 1
        words += 1
    found = _key_columns(tokens, i)
    if found is None:
        return None
    columns, i = found
    if kind == "PRIMARY":
        return "pk", columns, [], []
    if _keyword(tokens, i) != "REFERENCES":
        return None
    reference = _reference(tokens, i + 1)
    if reference is None or (reference[1] and len(reference[1]) != len(columns)):
        return None
    return "fk", columns, reference[0], reference[1]


def _column_keys(column: str, tokens: list[tuple[str, str]]) -> list[_Key]:
    """The keys a column definition declares (``tokens`` after the column's name):
    ``PRIMARY KEY``, ``REFERENCES t [(c)]``."""
    if not 0 < len(column) <= MAX_KEY_NAME:
        return []
    keys: list[_Key] = []
    depth = 0
    for j, (kind, text) in enumerate(tokens):
        if kind == "p":
            depth += (text == "(") - (text == ")")
        elif kind == "w" and not depth:
            word = text.upper()
            if word == "PRIMARY" and _keyword(tokens, j + 1) == "KEY":
                keys.append(("pk", [column], [], []))
            elif word == "REFERENCES":
                reference = _reference(tokens, j + 1)
                if reference is not None and len(reference[1]) <= 1:
                    keys.append(("fk", [column], reference[0], reference[1]))
    return keys[:4]


class _Keys:
    """The keys declared for one table, names as written (matched to the header at the end)."""

    __slots__ = ("foreign", "primary")

    def __init__(self) -> None:
        self.primary: list[str] = []
        self.foreign: list[tuple[list[str], list[str], list[str]]] = []


class _Table:
    __slots__ = ("bare", "batch", "chars", "columns", "count", "header", "index", "keys", "name",
                 "plan")

    def __init__(self, name: str, bare: str = "") -> None:
        self.name = name
        self.bare = bare  # the table's name without its schema, as first written
        self.keys: _Keys | None = None
        self.columns: list[str] = []  # from CREATE TABLE or the first column list
        self.header: list[str] | None = None  # fixed when the first chunk is emitted
        self.index: dict[str, int] = {}
        self.batch: list[tuple[int, list[str]]] = []
        self.chars = 0
        self.count = 0
        # where the cells of the last column list go: (that list, width, positions)
        self.plan: tuple[list[str], int, list[int], bool] | None = None

    def set_columns(self, columns: list[str]) -> None:
        self.columns = columns[:MAX_COLUMNS]
        self.index = {c.lower(): i for i, c in reversed(list(enumerate(self.columns)))}

    def add(self, cells: list[str], names: list[str] | None) -> None:
        self.count += 1
        if names is not None:
            cells = self.place(cells, names)
        self.batch.append((self.count, cells))
        self.chars += sum(map(len, cells))

    def place(self, cells: list[str], names: list[str]) -> list[str]:
        """Cells given with a column list, put at their columns' positions (new names become
        columns until the header is fixed, then they go after it)."""
        width = len(self.header) if self.header is not None else len(self.columns)
        plan = self.plan
        if plan is None or plan[0] is not names or plan[1] != width:
            plan = self.plan = self.new_plan(names)
        width, positions = plan[1], plan[2]
        if plan[3] and len(cells) == width:
            return cells  # the columns in the table's order
        row = [""] * width
        extra: list[str] = []
        for i, cell in zip(positions, cells, strict=False):
            if i >= 0:
                row[i] = cell
            elif cell:
                extra.append(cell)
        return row + extra

    def new_plan(self, names: list[str]) -> tuple[list[str], int, list[int], bool]:
        """Where the cells of a column list go (``-1``: after the header). Every row of a
        statement has the same list: it is worked out once (adding its new names as columns
        is done then; doing it again would add nothing)."""
        if self.header is None:
            for name in names:
                if name.lower() not in self.index and len(self.columns) < MAX_COLUMNS:
                    self.index[name.lower()] = len(self.columns)
                    self.columns.append(name)
        width = len(self.header) if self.header is not None else len(self.columns)
        positions = []
        for name in names:
            i = self.index.get(name.lower())
            positions.append(i if i is not None and i < width else -1)
        return names, width, positions, positions == list(range(width))

    def flush(self) -> Iterator[TableUnit | TextUnit]:
        if self.header is None:
            width = len(self.columns)
            for _, cells in self.batch:
                width = max(width, len(cells))
            self.header = column_names(self.columns, min(max(width, 1), MAX_COLUMNS))
        width = len(self.header)
        batch, self.batch, self.chars = self.batch, [], 0
        yield TableUnit(header=self.header, rows=[cells if len(cells) == width else cells[:width]
                              for _, cells in batch],
                        name=self.name, row_numbers=[n for n, _ in batch])
        for number, cells in batch:
            extra = " ".join(c for c in cells[width:] if c)
            if extra:
                yield TextUnit(text=extra, name=self.name, first_line=number)


class _Dump:
    """Statements of a dump → rows of tables, emitted as chunks."""

    def __init__(self, lexer: _Lexer, batches: bool = False) -> None:
        self.lex = lexer
        self.batches = batches  # a SQL Server script: GO separates batches
        self.tables: dict[tuple[str, str], _Table] = {}
        self.names: set[str] = set()
        self.by_name: dict[str, set[tuple[str, str]]] = {}
        self.buffered = 0
        self.rows = 0
        self.created = 0
        self.failed = 0
        self.keyed: list[_Table] = []  # tables with declared keys, in order
        self.key_chars = 0
        self.retired: list[_Table] = []  # tables declared again, with rows still to emit
        self.next_alter = False  # a SQL Server ALTER TABLE ended where the next one began

    # -- tables ------------------------------------------------------------------------------
    def find(self, parts: list[str]) -> tuple[tuple[str, str], _Table | None]:
        """The table a possibly qualified name designates, if it is known yet."""
        schema = ".".join(parts[:-1]).lower()
        key = (schema, parts[-1].lower())
        table = self.tables.get(key)
        if table is None:
            # ``sejour`` and ``hopital.sejour`` are one table when no other schema has one
            same = [k for k in self.by_name.get(key[1], ()) if not schema or not k[0]]
            if len(same) == 1 and len(self.by_name[key[1]]) == 1:
                table = self.tables[same[0]]
        return key, table

    def table(self, parts: list[str], fresh: bool = False) -> _Table:
        key, table = self.find(parts)
        if table is not None:
            self.tables[key] = table
        if table is not None and fresh and table.count and table.batch:
            self.retired.append(table)  # its rows are emitted with the others
        if table is None or (fresh and table.count):
            display = parts[-1][:200]
            if display in self.names:
                display = ".".join(parts)[:200]
            n = 2
            base = display
            while display in self.names:
                display, n = f"{base} ({n})", n + 1
            self.names.add(display)
            table = self.tables[key] = _Table(f"table {display}", parts[-1][:200])
            self.by_name.setdefault(key[1], set()).add(key)
        return table

    def add_row(self, table: _Table, cells: list[str],
                names: list[str] | None) -> Iterator[TableUnit | TextUnit]:
        if self.added(table, cells, names):
            yield from self.flush_full(table)

    def added(self, table: _Table, cells: list[str], names: list[str] | None) -> bool:
        """Add a row; True when chunks are to be emitted (:meth:`flush_full`)."""
        table.add(cells, names)
        self.rows += 1
        self.buffered += 1
        return (len(table.batch) >= CHUNK_ROWS or table.chars > CHUNK_CHARS
                or self.buffered > MAX_BUFFERED_ROWS)

    def flush_full(self, table: _Table) -> Iterator[TableUnit | TextUnit]:
        """The chunk of ``table`` when it is full, else every table's rows."""
        if len(table.batch) >= CHUNK_ROWS or table.chars > CHUNK_CHARS:
            self.buffered -= len(table.batch)
            yield from table.flush()
        else:
            yield from self.flush_all()

    def flush_all(self) -> Iterator[TableUnit | TextUnit]:
        retired, self.retired = self.retired, []
        for table in {id(t): t for t in [*retired, *self.tables.values()]}.values():
            if table.batch:
                yield from table.flush()
        self.buffered = 0

    # -- statements --------------------------------------------------------------------------
    def units(self) -> Iterator[TableUnit | TextUnit | KeysUnit]:
        lex = self.lex
        while True:
            try:
                kind, text = lex.next()
            except _BadStatement:  # a string left open up to the end of the file
                self.failed += 1
                break
            if not kind:
                break
            if kind == "p" and text == ";":
                continue
            if kind == "p" and text == "\\":  # psql meta-command (\connect, \restrict)
                lex.rest_of_line()
                continue
            keyword = text.upper() if kind == "w" else ""
            if keyword == "GO" and self.batches:  # a batch separator, not a statement
                continue
            try:
                if keyword in ("INSERT", "REPLACE"):
                    yield from self.insert()
                elif keyword == "COPY":
                    yield from self.copy()
                elif keyword == "CREATE":
                    self.create()
                elif keyword == "ALTER":
                    self.alter()
                elif keyword == "DELIMITER":
                    self.delimiter()
                elif keyword == "SET":
                    self.set_option()
                else:
                    self.skip()
            except _BadStatement:
                self.failed += 1
                try:
                    self.skip()
                except _BadStatement:  # a string left open up to the end of the file
                    break
        yield from self.flush_all()
        if self.rows or self.created:
            yield from self.keys_units()

    def bad(self, token: tuple[str, str], why: str) -> NoReturn:
        """Fail the statement; ``token`` (maybe its ``;``) is read again by :meth:`skip`."""
        self.lex.push(token)
        raise _BadStatement(why)

    def skip(self) -> None:
        """Skip to the end of the statement (a ``;`` outside strings and comments; in a SQL
        Server script, also ``GO`` or the next ``INSERT``, as statements there may have no
        ``;``)."""
        lex = self.lex
        while True:
            kind, text = lex.next()
            if not kind or (kind == "p" and text == ";"):
                return
            if self.batches and kind == "w" and text.upper() in ("GO", "INSERT"):
                if text.upper() == "INSERT":
                    lex.push((kind, text))
                return

    def name(self) -> list[str]:
        """A possibly qualified name: ``db.schema.table``."""
        parts: list[str] = []
        while True:
            kind, text = self.lex.next()
            if kind not in ("w", "q", "d") or not text:
                self.bad((kind, text), "name expected")
            parts.append(text)
            kind, text = self.lex.next()
            if kind != "p" or text != "." or len(parts) >= 4:
                self.lex.push((kind, text))
                return parts

    def identifiers(self) -> list[str]:
        """``a, b, c)`` after an opening parenthesis."""
        names: list[str] = []
        while True:
            kind, text = self.lex.next()
            if kind not in ("w", "q", "d"):
                self.bad((kind, text), "column name expected")
            names.append(text)
            kind, text = self.lex.next()
            if kind == "p" and text == ")":
                return names
            if kind != "p" or text != "," or len(names) > 4 * MAX_COLUMNS:
                self.bad((kind, text), "bad column list")

    def insert(self) -> Iterator[TableUnit | TextUnit]:
        lex = self.lex
        kind, text = lex.next()
        while kind == "w" and text.upper() in _INSERT_MODIFIERS:
            kind, text = lex.next()
        lex.push((kind, text))
        table = self.table(self.name())
        names = None
        kind, text = lex.next()
        if kind == "p" and text == "(":
            kind, text = lex.next()
            if kind == "w" and text.upper() in ("SELECT", "WITH", "VALUES"):
                return self.skip()  # INSERT ... (SELECT ...): no literal rows
            lex.push((kind, text))
            names = self.identifiers()
            kind, text = lex.next()
        if kind == "w" and text.upper() == "OVERRIDING":
            lex.next()
            kind, text = lex.next()
            kind, text = lex.next()
        if kind != "w" or text.upper() not in ("VALUES", "VALUE"):
            if kind == "w" and text.upper() in ("SELECT", "SET", "DEFAULT", "WITH", "TABLE"):
                return self.skip()
            self.bad((kind, text), "VALUES expected")
        while True:
            end = ""
            if _FAST and lex.peeked is None:
                end = yield from self.fast_rows(table, names)
                if end == ";":
                    return None
            if end != ")":  # else a row was read, and what follows it is not , or ;
                kind, text = lex.next()
                if kind != "p" or text != "(":
                    self.bad((kind, text), "row expected")
                yield from self.add_row(table, self.row_values(), names)
            kind, text = lex.next()
            if kind == "p" and text == ",":
                continue
            if not kind or (kind == "p" and text == ";"):
                return None
            if kind == "w":
                if text.upper() in ("ON", "RETURNING"):
                    return self.skip()
                if text.upper() != "GO":
                    lex.push((kind, text))  # a statement without its ';'
                return None
            self.bad((kind, text), "',' or ';' expected")

    def fast_rows(self, table: _Table,
                  names: list[str] | None) -> Iterator[TableUnit | TextUnit | str]:
        """The rows of plain literals that follow, each matched at once with its ``(`` and
        the ``,`` or ``;`` after it (see :data:`_FAST_TUPLE`). Returns ``";"`` at the end of
        the statement, ``")"`` after a row not followed by ``,``/``;`` (a comment, ``ON
        DUPLICATE KEY``...), ``""`` when the next row is not plain (or is cut by the end of
        the buffer): the general tokenizer reads on from there."""
        lex = self.lex
        backslash = not lex.standard
        tuple_re = _FAST_TUPLE[backslash]
        while True:
            if len(lex.buf) - lex.pos < LOOKAHEAD:
                lex.ensure(LOOKAHEAD)
            m = tuple_re.match(lex.buf, lex.pos)
            if not m or (m.end() >= len(lex.buf) and not lex.eof) or (
                    m.end() - m.start() > MAX_CELL):  # the general path cuts long values
                return ""
            lex.pos = m.end()
            if self.added(table, _literal_cells(m.group(1), backslash), names):
                yield from self.flush_full(table)
            if m.group(2) != ",":
                return m.group(2) or ")"

    def row_values(self) -> list[str]:
        """The values of one row, after its opening parenthesis."""
        lex = self.lex
        if _FAST and lex.peeked is None:
            if len(lex.buf) - lex.pos < LOOKAHEAD:
                lex.ensure(LOOKAHEAD)
            backslash = not lex.standard
            m = _FAST_ROW[backslash].match(lex.buf, lex.pos)
            if m and (m.end() < len(lex.buf) or lex.eof) and m.end() - m.start() <= MAX_CELL:
                lex.pos = m.end()
                return _literal_cells(m.group(1), backslash)
        cells: list[str] = []
        while True:
            kind, text = lex.next()
            if kind in ("s", "n", "b", "d"):
                kind2, text2 = lex.next()
                if kind2 == "p" and text2 in ",)":
                    cells.append(text)
                    if text2 == ")":
                        return cells
                    continue
                lex.push((kind2, text2))
            elif kind == "w" and text.upper() == "NULL":
                kind2, text2 = lex.next()
                if kind2 == "p" and text2 in ",)":
                    cells.append("")
                    if text2 == ")":
                        return cells
                    continue
                lex.push((kind2, text2))
            else:
                lex.push((kind, text))
                kind = ""
            end = self.expression(kind, text, cells)
            if end == ")":
                return cells

    def expression(self, kind: str, text: str, cells: list[str]) -> str:
        """A value that is not a lone literal (``-1``, ``_binary '..'``, ``'x'::date``,
        ``CONVERT(..)``): the first literal inside is the cell. Returns ``,`` or ``)``."""
        lex = self.lex
        tokens: list[tuple[str, str]] = [(kind, text)] if kind else []
        depth = 0
        while True:
            token = lex.next()
            if not token[0]:
                raise _BadStatement("unterminated row")
            if token[0] == "p":
                if token[1] == "(":
                    depth += 1
                elif token[1] == ")":
                    if depth == 0:
                        break
                    depth -= 1
                elif token[1] == "," and depth == 0:
                    break
                elif token[1] == ";":
                    self.bad(token, "unterminated row")
            tokens.append(token)
            if len(tokens) > MAX_VALUE_TOKENS:
                raise _BadStatement("value too long")
        cells.append(self.literal(tokens))
        if len(cells) > 4 * MAX_COLUMNS:
            raise _BadStatement("too many values")
        return token[1]

    @staticmethod
    def literal(tokens: list[tuple[str, str]]) -> str:
        binary = False
        for i, (kind, text) in enumerate(tokens):
            if kind in ("s", "d"):
                return _bytes_text(text.encode("utf-8", "replace")) if binary else text
            if kind == "b":
                return text
            if kind == "n":
                negative = i > 0 and tokens[i - 1] == ("p", "-")
                return "-" + text if negative else text
            if kind == "w" and text.startswith("_"):
                binary = text.lower() == "_binary"
        if len(tokens) == 1 and tokens[0][0] == "w":
            word = tokens[0][1].upper()
            return "" if word in ("NULL", "DEFAULT") else tokens[0][1]
        return ""

    def create(self) -> None:
        lex = self.lex
        while True:
            kind, text = lex.next()
            if kind != "w":
                raise _BadStatement("CREATE what")
            word = text.upper()
            if word == "TABLE":
                break
            if word not in ("OR", "REPLACE", "TEMPORARY", "TEMP", "UNLOGGED", "GLOBAL",
                            "LOCAL", "FOREIGN"):
                return self.skip()  # a view, an index, a function...
        kind, text = lex.next()
        if kind == "w" and text.upper() == "IF":
            lex.next()
            lex.next()
        else:
            lex.push((kind, text))
        table = self.table(self.name(), fresh=True)
        kind, text = lex.next()
        if kind != "p" or text != "(":
            return self.skip()  # AS SELECT, PARTITION OF, LIKE
        if table.keys is not None:  # declared again before any row: its keys are these
            table.keys = _Keys()
        columns: list[str] = []
        for tokens, whole in self.elements(closing=True):
            if not tokens:
                continue
            kind, text = tokens[0]
            if kind in ("q", "d") or (kind == "w" and text.upper() not in _CONSTRAINTS):
                columns.append(text)
                keys = _column_keys(text, tokens[1:]) if whole else []
            else:
                key = _table_key(tokens, 0) if whole else None
                keys = [key] if key else []
            for key in keys:
                self.add_key(table, key)
        if columns:
            self.created += 1
            if not table.count:
                table.set_columns(columns)
        return self.skip()

    def elements(self, closing: bool) -> Iterator[tuple[list[tuple[str, str]], bool]]:
        """The comma-separated elements of a ``CREATE TABLE`` body up to its ``)``
        (``closing``), or the actions of an ``ALTER TABLE`` up to the statement's end: each as
        ``(tokens, whole)``, ``whole`` False when it had more than :data:`MAX_ELEMENT_TOKENS`
        tokens (only the first are kept)."""
        lex = self.lex
        tokens: list[tuple[str, str]] = []
        depth = 0
        while True:
            token = lex.next()
            kind, text = token
            if not kind:
                if closing:
                    raise _BadStatement("unterminated CREATE TABLE")
                break
            if kind == "p":
                if text == "(":
                    depth += 1
                elif text == ")":
                    if not depth and closing:
                        break
                    depth = max(0, depth - 1)
                elif text == "," and not depth:
                    yield tokens, len(tokens) <= MAX_ELEMENT_TOKENS
                    tokens = []
                    continue
                elif text == ";":
                    if closing:
                        self.bad(token, "unterminated CREATE TABLE")
                    break
            elif self.batches and not closing and not depth and kind == "w" and (
                    text.upper() in ("GO", "INSERT", "CREATE", "ALTER")):
                # the next statement: this one had no ';'
                if text.upper() == "ALTER":  # ALTER TABLE, not ALTER COLUMN
                    following = lex.next()
                    lex.push(following)
                    if following[0] == "w" and following[1].upper() == "TABLE":
                        lex.next()
                        self.next_alter = True
                        break
                elif text.upper() != "GO":
                    lex.push(token)
                    break
                else:
                    break
            if len(tokens) <= MAX_ELEMENT_TOKENS:
                if tokens and len(text) > MAX_KEY_NAME:
                    token = (kind, "")  # a long default value: no name of a key
                tokens.append(token)
        yield tokens, len(tokens) <= MAX_ELEMENT_TOKENS

    def alter(self) -> None:
        """``ALTER TABLE [IF EXISTS] [ONLY] t [WITH CHECK] ADD [CONSTRAINT n] PRIMARY KEY
        (...) / FOREIGN KEY (...) REFERENCES ... / [COLUMN] c type REFERENCES ..., ADD ...``:
        the keys it adds (``pg_dump`` and many scripts declare them this way, after the
        data). Anything else an ``ALTER`` does is skipped."""
        lex = self.lex
        kind, text = lex.next()
        if kind != "w" or text.upper() != "TABLE":
            lex.push((kind, text))
            return self.skip()
        self.next_alter = True
        while self.next_alter:
            self.next_alter = False
            self.alter_table()
        return None

    def alter_table(self) -> None:
        """One ``ALTER TABLE``, after its ``TABLE``."""
        lex = self.lex
        kind, text = lex.next()
        while kind == "w" and text.upper() in ("IF", "EXISTS", "ONLY"):
            kind, text = lex.next()
        lex.push((kind, text))
        parts = self.name()
        table: _Table | None = None
        for tokens, whole in self.elements(closing=False):
            i = 2 if _keyword(tokens, 0) == "WITH" else 0  # WITH [NO]CHECK (SQL Server)
            if not whole or _keyword(tokens, i) != "ADD":
                continue
            i += 1
            word = _keyword(tokens, i)
            if word == "COLUMN":
                i += 1
                if _keyword(tokens, i) == "IF":  # IF NOT EXISTS
                    i += 3
            if word == "COLUMN" or (i < len(tokens) and _is_name(tokens[i])
                                    and word not in _CONSTRAINTS):
                keys = _column_keys(tokens[i][1], tokens[i + 1:]) if i < len(tokens) else []
            else:
                key = _table_key(tokens, i)
                keys = [key] if key else []
            for key in keys:
                if table is None:
                    table = self.table(parts)
                self.add_key(table, key)
        return None

    def add_key(self, table: _Table, key: _Key) -> None:
        """Record a key declared for ``table`` (a primary key replaces the one before; the
        keys of the whole dump are held within :data:`MAX_KEY_CHARS`)."""
        kind, columns, reference, ref_columns = key
        cost = 16 + sum(map(len, columns)) + sum(map(len, reference)) + sum(map(len, ref_columns))
        if self.key_chars + cost > MAX_KEY_CHARS:
            return
        keys = table.keys
        if keys is None:
            keys = table.keys = _Keys()
            self.keyed.append(table)
        if kind == "pk":
            keys.primary = columns
        elif len(keys.foreign) < MAX_FOREIGN_KEYS:
            keys.foreign.append((columns, reference, ref_columns))
        else:
            return
        self.key_chars += cost

    def keys_units(self) -> Iterator[KeysUnit]:
        """One :class:`KeysUnit` per table with declared keys, its columns named as in its
        units' header, a referenced table by its bare name (as the dump first wrote it when
        the dump holds it), a reference without columns completed with the referenced table's
        primary key when it is known."""
        headers: dict[int, list[str]] = {}

        def column(table: _Table | None, name: str) -> str:
            if table is not None:
                header = headers.get(id(table))
                if header is None:
                    header = table.header
                    if header is None:
                        header = column_names(table.columns, len(table.columns))
                    headers[id(table)] = header
                i = table.index.get(name.lower())
                if i is not None and i < len(header):
                    return header[i]
            return clean_label(name) or name

        for table in self.keyed:
            keys = table.keys
            if keys is None:
                continue
            foreign: list[ForeignKey] = []
            for columns, reference, ref_columns in keys.foreign:
                target = self.find(reference)[1]
                if not ref_columns and target is not None and target.keys is not None and (
                        len(target.keys.primary) == len(columns)):
                    ref_columns = target.keys.primary
                fk = ForeignKey(
                    columns=[column(table, c) for c in columns],
                    ref_table=target.bare if target is not None and target.bare
                    else reference[-1][:200],
                    ref_columns=[column(target, c) for c in ref_columns])
                if fk not in foreign:
                    foreign.append(fk)
            if keys.primary or foreign:
                yield KeysUnit(table=table.bare or table.name.removeprefix("table "),
                               unit_name=table.name,
                               primary_key=[column(table, c) for c in keys.primary],
                               foreign_keys=foreign)

    def copy(self) -> Iterator[TableUnit | TextUnit]:
        lex = self.lex
        table = self.table(self.name())
        names = None
        kind, text = lex.next()
        if kind == "p" and text == "(":
            names = self.identifiers()
            kind, text = lex.next()
        if kind != "w" or text.upper() != "FROM":
            return self.skip()  # COPY ... TO
        kind, text = lex.next()
        if kind != "w" or text.upper() != "STDIN":
            return self.skip()
        options = []
        while True:
            kind, text = lex.next()
            if not kind or (kind == "p" and text == ";"):
                break
            options.append(text.upper())
        lex.rest_of_line()
        csv_format = "CSV" in options
        for cells in self.copy_rows():
            if not csv_format and self.added(table, cells, names):
                yield from self.flush_full(table)
        if csv_format:
            raise _BadStatement("COPY in CSV format")
        return None

    def copy_rows(self) -> Iterator[list[str]]:
        """Rows of a ``COPY ... FROM stdin`` block, up to its ``\\.`` line."""
        lex = self.lex
        while True:
            lex.ensure(LOOKAHEAD)
            if lex.pos >= len(lex.buf):
                return
            # every complete line of the buffer at once (one line without the fast paths)
            end = lex.buf.rfind("\n", lex.pos) if _FAST else lex.buf.find("\n", lex.pos)
            if end == -1:
                raw = self.long_copy_row()
                if len(raw) == 1 and raw[0] == "\\.":
                    return
                yield _copy_cells(raw)
                continue
            for line in lex.buf[lex.pos:end].split("\n"):
                lex.pos += len(line) + 1
                raw = line.removesuffix("\r").split("\t")
                if len(raw) == 1 and raw[0] == "\\.":
                    return
                yield _copy_cells(raw)

    def long_copy_row(self) -> list[str]:
        """A COPY row longer than the buffer, read field by field."""
        lex = self.lex
        fields: list[str] = []
        while True:
            fields.append(lex.take(_COPY_FIELD_STOP, MAX_CELL))
            if lex.pos >= len(lex.buf):
                return fields
            sep = lex.buf[lex.pos]
            lex.pos += 1
            if sep == "\n":
                fields[-1] = fields[-1].removesuffix("\r")
                return fields
            if len(fields) > 4 * MAX_COLUMNS:
                fields.append(lex.take(_NEWLINE, 0))
                lex.pos += 1
                return fields

    def delimiter(self) -> None:
        """``DELIMITER ;;`` (mysql client): the block up to ``DELIMITER ;`` holds routines;
        it is skipped."""
        lex = self.lex
        while lex.rest_of_line() not in (";", ""):
            while True:
                kind, text = lex.next()
                if not kind:
                    return
                if kind == "w" and text.upper() == "DELIMITER":
                    break

    def set_option(self) -> None:
        """``SET standard_conforming_strings = off`` switches backslash escapes on."""
        if self.batches:
            return self.skip()
        words: list[str] = []
        while True:
            kind, text = self.lex.next()
            if not kind or (kind == "p" and text == ";"):
                break
            if len(words) < 8:
                words.append(text.lower())
        if words and words[0] == "standard_conforming_strings":
            if "off" in words[1:] or "false" in words[1:]:
                self.lex.standard = False
            elif "on" in words[1:] or "true" in words[1:]:
                self.lex.standard = True


def partition_sql(path: Path) -> Iterator[TableUnit | TextUnit | KeysUnit]:
    """Stream the tables of an SQL dump (see the module docstring)."""
    path = Path(path)
    encoding, bom, head = stream_encoding(path)
    standard = bool(_PG_HEAD.search(head))
    brackets = not _PG_ONLY.search(head)
    batches = bool(_GO_LINE.search(head))
    dump = _Dump(_Lexer(decoded_chunks(path, encoding, bom), standard, brackets), batches)
    yield from dump.units()
    if not dump.rows and not dump.created:
        reason = "no SQL table or row could be read"
        if dump.failed:
            reason += f" ({dump.failed} statements could not be parsed)"
        raise ExtractionError(reason)
