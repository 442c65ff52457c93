"""Delimited text (CSV, TSV, ``;``-separated exports) → a table, streamed in chunks.

- The file is read as a stream (:mod:`breachscope.extract.stream`): the encoding is guessed
  from the head (BOMs, UTF-16, cp1252...), the text decoded incrementally; memory does not
  grow with the file. The table is emitted as :class:`TableUnit` chunks of at most
  :data:`~breachscope.extract._table.CHUNK_ROWS` rows with the same name (``""``) and header.
- The delimiter is the candidate among ``;`` ``,`` TAB ``|`` whose count per record is the most
  consistent over the first records, counting outside quoted fields (``csv.Sniffer`` guesses
  wrong on French exports: decimal commas, free-text columns).
- Quoted fields may hold delimiters, quotes (``""``) and newlines. Excel's ``="0612"`` trick
  to keep leading zeros is unwrapped. Cells are trimmed; empty cells are ``""``.
- The header is the first row that reads like labels, under any title lines
  (``Export du 12/02/2024``); without one, columns are named ``col1..colN``. Non-blank title
  lines are kept as a :class:`TextUnit` (``first_line`` 1) so nothing in the file is lost.
- ``row_numbers`` are the physical line numbers (1-based) where each data row starts.
- Ragged rows are padded; cells beyond the header are kept under ``colN`` names (the width
  is fixed by the first chunk; cells beyond it in later rows become text units).
- A quoted field that never closes (it swallows more than :data:`MAX_FIELD_LINES` lines or
  grows past ``csv.field_size_limit()``) is a stray quote: its first line is read as it is,
  quotes included, and parsing resumes on the next line.
- A physical line longer than the field size limit (a gigantic cell, a one-line dump) is
  never given to the CSV parser: it is streamed as text units (its line number kept, cut
  with overlap like any long text line), so what it holds is still found, and the table
  goes on after it.
"""

from __future__ import annotations

import csv
import re
from collections import Counter, deque
from collections.abc import Iterator
from itertools import chain
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from breachscope.extract._arrow_table import (
    ArrowRows,
    filled_rows,
    read_plain_block,
    row_chars,
    trimmed,
)
from breachscope.extract._table import HEADER_SEARCH_ROWS, find_header, span, table_chunks
from breachscope.extract.stream import decoded_chunks, segments, stream_encoding
from breachscope.extract.text import text_units
from breachscope.extract.units import TableUnit, TextUnit

CANDIDATE_DELIMITERS = (";", ",", "\t", "|")

# A quoted field (opening quote at the start of a field), a candidate delimiter, or a newline.
_TOKENS = re.compile(r'(?<![^;,\t|\r\n ])"[^"]*(?:""[^"]*)*"|[;,\t|]|\r\n?|\n')
_EXCEL_TEXT = re.compile(r'^="(.*)"$', re.S)
_LINE_BREAKS = re.compile(r"\r\n?|\n")

#: Records examined to choose the delimiter.
SNIFF_RECORDS = 100
#: Leading records (titles) that may disagree with the delimiter count of the rest.
MAX_TITLE_LINES = 10
#: A quoted field spanning more lines than this is taken for an unbalanced quote.
MAX_FIELD_LINES = 100
#: Characters of the head used to choose the delimiter.
SNIFF_CHARS = 64 * 1024
#: Lines longer than this are read as text, never parsed as CSV (the csv module refuses
#: fields longer than ``csv.field_size_limit()``, 128 KiB by default).
MAX_LINE_CHARS = 1 << 20


def _record_counts(text: str, max_records: int) -> list[dict[str, int]]:
    """Per non-blank record (newlines inside quotes do not end a record): how many times each
    candidate delimiter occurs outside quotes. A record cut by the end of ``text`` (no final
    newline) is left out when there are others."""
    records: list[dict[str, int]] = []
    current = dict.fromkeys(CANDIDATE_DELIMITERS, 0)
    start = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in current:
            current[token] += 1
        elif token[0] in "\r\n":
            if text[start : match.start()].strip():
                records.append(current)
                if len(records) >= max_records:
                    return records
            current = dict.fromkeys(CANDIDATE_DELIMITERS, 0)
            start = match.end()
    if text[start:].strip() and not records:
        records.append(current)
    return records


def sniff_delimiter(text: str) -> tuple[str, float, int] | None:
    """Choose the delimiter of delimited ``text`` (its head is enough).

    Returns ``(delimiter, consistency, records)``: the share of records, from the first one
    with the usual count (earlier ones are titles), that have exactly the usual count, and how
    many records that share is over. None when no candidate occurs at all."""
    records = _record_counts(text, SNIFF_RECORDS)
    best: tuple[tuple[float, int], str, float, int] | None = None
    for delim in CANDIDATE_DELIMITERS:
        counts = [r[delim] for r in records]
        nonzero = Counter(c for c in counts if c)
        if not nonzero:
            continue
        usual = nonzero.most_common(1)[0][0]  # ties: the count seen first
        first = counts.index(usual)
        if first > MAX_TITLE_LINES:
            continue
        tail = counts[first:]
        matches = sum(1 for c in tail if c == usual)
        consistency = matches / len(tail)
        # Choose on the share of all records (a delimiter seen once at the end of a text
        # is not "consistent"); report the share after the titles.
        key = (round(matches / len(counts), 2), usual)
        if best is None or key > best[0]:
            best = (key, delim, consistency, len(tail))
    if best is None:
        return None
    return best[1], best[2], best[3]


#: A typed cell: number, date, time, e-mail, phone, code (``A12``, ``2024-0001``), yes/no.
_TYPED_CELL = re.compile(
    r"[+-]?\d[\d\s]*(?:[.,]\d+)?\s*[%€]?|\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}(?:[ T]\d{1,2}:\d{2}"
    r"(?::\d{2})?)?|\d{1,2}[:h]\d{2}(?::\d{2})?|[\w.+-]+@[\w-]+\.[\w.-]+|\+?[\d .()-]{8,20}"
    r"|[A-Za-z_]{0,6}[-_]?\d[\w./-]{0,23}|true|false|oui|non|vrai|faux|[ONMFH]",
    re.IGNORECASE)
_NUMBER_TOKEN = re.compile(r"\d+(?:[.,/:-]\d+)*")
#: Rows examined to decide whether delimited text is a table.
TABLE_CHECK_ROWS = 200


def _header_like(cells: list[str]) -> bool:
    """Labels: mostly non-empty, short, distinct cells with no number or date among their
    words (``Date de naissance``, ``TEL``, ``num_sejour``; not ``Chambre 12`` or ``82 ans``)."""
    filled = [c.strip() for c in cells if c.strip()]
    if len(filled) < max(2, 0.8 * len(cells)) or len(set(filled)) < len(filled):
        return False
    good = sum(1 for c in filled
               if len(c) <= 40 and len(c.split()) <= 5
               and not any(_NUMBER_TOKEN.fullmatch(w) for w in c.split()))
    return good >= 0.8 * len(filled)


def looks_like_table(text: str, delimiter: str) -> bool:
    """Whether delimited ``text`` has a table's regularity, not prose with commas or
    semicolons (a nurses' handover note: ``Chambre 12, Mme DUPONT Marie, 82 ans, chute la
    nuit``). Over the first :data:`TABLE_CHECK_ROWS` records, after up to
    :data:`MAX_TITLE_LINES` title lines: ≥ 80 % of the records have the modal field count,
    which is ≥ 2; and the first such record reads like a header, or a column is typed (≥ 80 %
    of its filled cells numbers, dates, codes, phones, e-mails...), or the cells are not
    prose (prose: most delimiters followed by a space and cells of two words or more on
    average, or long cells)."""
    lines = [line for line in _LINE_BREAKS.split(text[:SNIFF_CHARS]) if line.strip()]
    rows = [row for row in csv.reader(lines[: TABLE_CHECK_ROWS + MAX_TITLE_LINES],
                                      delimiter=delimiter) if any(c.strip() for c in row)]
    if not rows:
        return False
    counts = Counter(len(row) for row in rows)
    modal = counts.most_common(1)[0][0]
    if modal < 2:
        return False
    first = next(i for i, row in enumerate(rows) if len(row) == modal)
    if first > MAX_TITLE_LINES:
        return False
    rows = rows[first:]
    if sum(1 for row in rows if len(row) == modal) < 0.8 * len(rows):
        return False
    if _header_like(rows[0]):
        return True
    body = [row for row in rows if len(row) == modal]
    for column in range(modal):
        values = [row[column].strip() for row in body if row[column].strip()]
        if len(values) >= max(2, 0.5 * len(body)) and sum(
                1 for v in values if _TYPED_CELL.fullmatch(v)) >= 0.8 * len(values):
            return True
    cells = [c.strip() for row in body for c in row if c.strip()]
    if not cells:
        return False
    words = sum(len(c.split()) for c in cells) / len(cells)
    mean_length = sum(len(c) for c in cells) / len(cells)
    head = "\n".join(lines[first : first + len(rows)])
    delimiters = head.count(delimiter)
    spaced = head.count(delimiter + " ") / delimiters if delimiters else 0.0
    prose = (spaced >= 0.6 and words >= 2.0) or mean_length > 60
    return not prose


def choose_delimiter(text: str) -> str | None:
    """The delimiter to split ``text`` with: the most consistent candidate, provided it is
    consistent in half the records or at least present in half of them (ragged exports).
    None: one column."""
    sniffed = sniff_delimiter(text)
    if sniffed is None:
        return None
    delimiter, consistency, _records = sniffed
    if consistency >= 0.5:
        return delimiter
    records = _record_counts(text, SNIFF_RECORDS)
    present = sum(1 for r in records if r[delimiter])
    return delimiter if present * 2 >= len(records) else None


def _clean(cell: str) -> str:
    cell = cell.strip()
    if cell.startswith('="'):
        match = _EXCEL_TEXT.match(cell)
        if match:
            return match.group(1).replace('""', '"').strip()
    return cell


def _clean_cells(record: list[str]) -> list[str]:
    """:func:`_clean` of every cell; the cells are only stripped when none holds ``="`` (one
    search over the joined record instead of a test per cell)."""
    if '="' in "\x00".join(record):
        return [_clean(c) for c in record]
    return list(map(str.strip, record))


class _Feed:
    """Physical lines for :func:`csv.reader`, numbered, with their raw text kept until the
    record they belong to is complete (to re-read a broken record). Lines pushed back are
    given again first. The feed *pauses* (``StopIteration``, the reader is re-polled later)
    in front of a line too long for the parser: :attr:`giant` then holds its number and
    start, the rest of it is still in :attr:`pieces`."""

    def __init__(self, pieces: Iterator[tuple[str, bool]], max_line: int) -> None:
        self.pieces = pieces
        self.max_line = max_line
        self.number = 0
        self.taken: list[tuple[int, str]] = []
        self.pushback: deque[tuple[int, str]] = deque()
        self.giant: tuple[int, str, bool] | None = None

    def __iter__(self) -> _Feed:
        return self

    def next_line(self) -> tuple[int, str] | None:
        """The next line, None at the end or in front of a giant line."""
        if self.pushback:
            return self.pushback.popleft()
        if self.giant is not None:
            return None
        parts: list[str] = []
        size = 0
        for piece, ended in self.pieces:
            parts.append(piece)
            size += len(piece)
            if size > self.max_line:
                self.number += 1
                self.giant = (self.number, "".join(parts), ended)
                return None
            if ended:
                self.number += 1
                return self.number, parts[0] if len(parts) == 1 else "".join(parts)
        return None

    def __next__(self) -> str:
        line = self.next_line()
        if line is None:
            raise StopIteration
        self.taken.append(line)
        return line[1] + "\n"

    def take(self) -> list[tuple[int, str]]:
        taken, self.taken = self.taken, []
        return taken

    def giant_units(self) -> Iterator[TextUnit]:
        """The pending giant line as text units; the feed resumes after it."""
        assert self.giant is not None
        number, start, ended = self.giant
        self.giant = None

        def rest() -> Iterator[tuple[str, bool]]:
            yield start, ended
            if not ended:
                for piece, end in self.pieces:
                    yield piece, end
                    if end:
                        return

        return text_units(rest(), "", number)


def _raw_cells(line: str, delimiter: str) -> list[str] | None:
    """A line split on the delimiter with quotes taken literally (a surrounding pair of
    quotes removed), None when even that fails."""
    try:
        record = next(csv.reader([line], delimiter=delimiter, quoting=csv.QUOTE_NONE,
                                 skipinitialspace=True, strict=False), [])
    except csv.Error:
        return None
    cells = _clean_cells(record)
    return [c[1:-1] if len(c) > 1 and c[0] == c[-1] == '"' else c for c in cells]


#: Items of the record stream: ``("row", line number, cells, raw lines)`` or
#: ``("units", iterator of units)``.
_Item = tuple[Any, ...]


def _records(feed: _Feed, delimiter: str | None) -> Iterator[_Item]:
    """Every record of the file as trimmed cells with the physical line it starts on, and in
    their place the text units of the lines that cannot be a record."""
    if delimiter is None:  # a single column: one cell per line
        while True:
            line = feed.next_line()
            if line is not None:
                yield ("row", line[0], [_clean(line[1])], [line])
            elif feed.giant is not None:
                yield ("units", feed.giant_units())
            else:
                return

    reader = csv.reader(feed, delimiter=delimiter, quotechar='"', doublequote=True,
                        skipinitialspace=True, quoting=csv.QUOTE_MINIMAL, strict=False)
    while True:
        try:
            record = next(reader, None)
        except csv.Error:  # a field past the size limit: a stray quote, most likely
            yield from _reread(feed, feed.take(), delimiter, first_only=True)
            continue
        lines = feed.take()
        if record is None:
            if lines:  # cannot happen (the reader returns what it has), but never lose lines
                yield from _reread(feed, lines, delimiter, first_only=False)
            if feed.giant is None and not feed.pushback:
                return
            if feed.giant is not None:
                yield ("units", feed.giant_units())
            continue
        if feed.giant is not None and lines and feed.pushback == deque():
            # The record was cut by a giant line: its lines are read as they are.
            yield from _reread(feed, lines, delimiter, first_only=False)
            continue
        cells = _clean_cells(record)
        if len(lines) > 1 and any(c.count("\n") > MAX_FIELD_LINES for c in cells):
            yield from _reread(feed, lines, delimiter, first_only=True)
            continue
        yield ("row", lines[0][0] if lines else feed.number, cells, lines)


def _reread(feed: _Feed, lines: list[tuple[int, str]], delimiter: str,
            first_only: bool) -> Iterator[_Item]:
    """Read a broken record's lines as they are, quotes taken literally: only its first line
    when ``first_only`` (the others are parsed again), else all of them."""
    if not lines:
        return
    if first_only:
        feed.pushback.extendleft(reversed(lines[1:]))
        lines = lines[:1]
    for number, line in lines:
        cells = _raw_cells(line, delimiter)
        if cells is None:
            yield ("units", iter([TextUnit(text=line, name="", first_line=number)]))
        else:
            yield ("row", number, cells, [(number, line)])


def _plain_rows(path: Path, encoding: str, bom_length: int, delimiter: str, after_line: int,
                max_line: int) -> Iterator[
                    tuple[int, list[str]] | ArrowRows | Iterator[TableUnit | TextUnit]]:
    """The data rows after physical line ``after_line``, as :func:`_records` reads them, with
    a fast path for *plain* text: while a decoded block holds no quote, no lone ``\r`` and no
    line too long for the parser, its records are its lines and its cells the pieces between
    delimiters, so the block is split with ``str.split`` (in C) instead of going line by line
    through the CSV reader (issue 15: two thirds of a large export's extraction time). At the
    first block that is not plain, the rest of the file goes through :func:`_records`. A
    plain block is read by Arrow's CSV reader when it gives the same rows
    (:func:`_arrow_rows`), as :class:`ArrowRows`.

    Physical lines are counted as :func:`~breachscope.extract.stream.segments` counts them
    (``\n``, ``\r\n``); a lone ``\r`` before ``after_line`` makes the count uncertain, and
    the whole rest then goes through :func:`_records` too."""
    chunks = decoded_chunks(path, encoding, bom_length)
    number, carry = 0, ""
    arrow_failures = 0
    for chunk in chunks:
        text = carry + chunk
        if number < after_line:  # skip the lines already read (title, header, head rows)
            breaks = text.count("\n")
            if number + breaks < after_line:
                if _has_lone_cr(text.removesuffix("\r")):
                    yield from _generic_after(path, encoding, bom_length, delimiter,
                                              after_line, max_line)
                    return
                number += breaks
                carry = text[text.rfind("\n") + 1 :] if breaks else text
                if len(carry) > max_line:
                    carry = ""
                continue
            cut = -1
            for _ in range(after_line - number):
                cut = text.index("\n", cut + 1)
            if _has_lone_cr(text[: cut + 1]):
                yield from _generic_after(path, encoding, bom_length, delimiter, after_line,
                                          max_line)
                return
            number, text = after_line, text[cut + 1 :]
        if '"' in text or _has_lone_cr(text.removesuffix("\r")):
            break
        cut = text.rfind("\n")
        if arrow_failures < MAX_ARROW_FAILURES and cut > 0 and len(text) - cut <= max_line:
            # Arrow reads CRLF as it is (no copy of the block without its \r).
            block = text[:cut].removesuffix("\r")
            rows = _arrow_rows(block, delimiter, number, max_line)
            if rows is not None:
                number += block.count("\n") + 1
                carry = text[cut + 1 :]
                if len(rows):
                    yield rows
                continue
            arrow_failures += 1
        text = text.replace("\r\n", "\n")  # a \r ending the block stays in the carry
        cut = text.rfind("\n")
        block, carry = text[:max(cut, 0)], text[cut + 1 :]
        lines = block.split("\n") if cut >= 0 else []
        if len(carry) > max_line or (lines and max(map(len, lines)) > max_line):
            break
        if not lines:
            continue
        if _needs_trim(block, delimiter):  # some cell to trim
            rows = [[c.strip() for c in line.split(delimiter)] for line in lines]
        else:  # no blank next to a delimiter or a line end: the cells are already trimmed
            rows = [line.split(delimiter) for line in lines]
        for cells in rows:
            number += 1
            if cells[-1] or span(cells):
                yield (number, cells)
    else:
        if carry and number >= after_line:
            cells = [c.strip() for c in carry.split(delimiter)]
            if '"' not in carry and not _has_lone_cr(carry) and len(carry) <= max_line:
                if span(cells):
                    yield (number + 1, cells)
                return
            text = carry
        else:
            return
    # Not plain from here on: the generic reader, numbering on from the last line read.
    feed = _Feed(segments(chain([text], chunks)), max_line)
    feed.number = number
    yield from _rows(feed, delimiter)


#: Plain blocks Arrow may refuse (ragged lines, blank lines) before a file's remaining
#: blocks are no longer offered to it (each refusal costs a parse of the block).
MAX_ARROW_FAILURES = 3


def _arrow_rows(block: str, delimiter: str, number: int, max_line: int) -> ArrowRows | None:
    """The data rows of a plain ``block`` (lines ended by ``\\n`` or ``\\r\\n``) whose first
    line is line ``number + 1``, read by Arrow
    (:func:`~breachscope.extract._arrow_table.read_plain_block`), cells trimmed, all-empty
    lines left out; None when Arrow cannot give exactly the rows the Python split gives, or
    when a line may be longer than ``max_line`` (the Python path then decides, exactly)."""
    table = read_plain_block(block, delimiter)
    if table is None or table.num_rows != block.count("\n") + 1:
        return None
    # A line's characters are its cells' and its delimiters'.
    if len(block) > max_line and (
            pc.max(row_chars(table)).as_py() + table.num_columns - 1 > max_line):
        return None
    table = trimmed(table)  # as str.strip (cheaper than _needs_trim's searches)
    numbers = pa.array(range(number + 1, number + 1 + table.num_rows), pa.int64())
    filled = filled_rows(table)
    if not pc.all(filled).as_py():
        table, numbers = table.filter(filled), numbers.filter(filled)
    return ArrowRows(table, numbers)


def _rows(feed: _Feed, delimiter: str) -> Iterator[
        tuple[int, list[str]] | Iterator[TableUnit | TextUnit]]:
    for item in _records(feed, delimiter):
        if item[0] == "units":
            yield item[1]
        elif span(item[2]):
            yield (item[1], item[2])


def _generic_after(path: Path, encoding: str, bom_length: int, delimiter: str,
                   after_line: int, max_line: int) -> Iterator[
                       tuple[int, list[str]] | Iterator[TableUnit | TextUnit]]:
    """The rows after physical line ``after_line`` read by :func:`_records` alone (the lines
    before are skipped as the generic reader counts them)."""
    feed = _Feed(segments(decoded_chunks(path, encoding, bom_length)), max_line)
    while feed.number < after_line:
        if feed.next_line() is None:
            if feed.giant is None:
                return
            for _unit in feed.giant_units():  # a giant line of the head: already read
                pass
    yield from _rows(feed, delimiter)


#: ``str.strip``'s whitespace: the ASCII characters (line breaks excepted), then the others.
_ASCII_BLANKS = " \t\x0b\x0c\r\x1c\x1d\x1e\x1f"
_OTHER_BLANKS = re.compile("[\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")


def _needs_trim(block: str, delimiter: str) -> bool:
    """Whether a cell of ``block`` (lines without ``\r\n``) may start or end with whitespace:
    a blank next to a delimiter or a line break, at either end of the block, or any
    non-ASCII blank. Substring searches (memchr-fast), not a regex over every character: a
    regex alternation cost more than the split it saves."""
    if any(end.isspace() and end not in (delimiter, "\n") for end in (block[:1], block[-1:])):
        return True
    for blank in _ASCII_BLANKS:
        if blank == delimiter or blank not in block:
            continue
        if (blank + delimiter in block or delimiter + blank in block
                or blank + "\n" in block or "\n" + blank in block):
            return True
    return not block.isascii() and _OTHER_BLANKS.search(block) is not None


def _has_lone_cr(text: str) -> bool:
    """A ``\r`` that is not part of ``\r\n`` (an old Mac line break)."""
    return "\r" in text and text.count("\r") != text.count("\r\n")


def partition_delimited(path: Path) -> Iterator[TableUnit | TextUnit]:
    """Stream a delimited text file as :class:`TableUnit` chunks (name ``""``), preceded by a
    :class:`TextUnit` holding the title lines above the header when there are any. A file
    with nothing but whitespace gives no unit."""
    path = Path(path)
    encoding, bom_length, _head = stream_encoding(path)
    chunks = decoded_chunks(path, encoding, bom_length)
    first = next(chunks, "")
    delimiter = choose_delimiter(first[:SNIFF_CHARS])
    max_line = max(1024, min(csv.field_size_limit(), MAX_LINE_CHARS) - 1)
    feed = _Feed(segments(chain([first], chunks)), max_line)
    del first
    records = _records(feed, delimiter)

    # The head: enough records to find the header under title lines (leading blank lines
    # are left out of it: they are neither titles nor data).
    head: list[tuple[int, list[str], list[tuple[int, str]]]] = []
    read_whole = True  # the head is the whole file
    for item in records:
        if item[0] == "units":
            yield from item[1]
        elif head or span(item[2]):
            head.append(item[1:])
            if len(head) > HEADER_SEARCH_ROWS * 2:
                read_whole = False
                break
    if not head:
        return

    header_index, data_start = find_header([cells for _, cells, _ in head])
    header = head[header_index][1] if header_index is not None else []
    title_end = header_index if header_index is not None else data_start
    if any(span(cells) for _, cells, _ in head[:title_end]):
        lines: dict[int, str] = {}
        for _number, _cells, raw in head[:title_end]:
            lines.update(raw)
        last = head[title_end][0] - 1 if title_end < len(head) else max(lines)
        text = "\n".join(lines.get(n, "") for n in range(1, last + 1))
        yield TextUnit(text=text, name="", first_line=1)

    def body() -> Iterator[tuple[int, list[str]] | Iterator[TableUnit | TextUnit]]:
        for number, cells, _raw in head[data_start:]:
            if span(cells):
                yield (number, cells)
        last_line = max((n for _, _, raw in head for n, _ in raw), default=0)
        head.clear()
        if read_whole:
            return
        if delimiter is not None and not feed.pushback and feed.giant is None:
            # The rest re-read from the file, plain lines split in bulk (_plain_rows).
            records.close()
            chunks.close()
            yield from _plain_rows(path, encoding, bom_length, delimiter, last_line,
                                   max_line)
            return
        for item in records:
            if item[0] == "units":
                yield item[1]
            elif span(item[2]):
                yield (item[1], item[2])

    yield from table_chunks("", header, body())
