"""Delimited text (CSV, TSV, ``;``-separated exports) → one :class:`TableUnit`.

- The text is decoded by :mod:`breachscope.extract.encoding` (BOMs, UTF-16, cp1252...).
- The delimiter is the candidate among ``;`` ``,`` TAB ``|`` whose count per record is the most
  consistent over the first records, counting outside quoted fields (``csv.Sniffer`` guesses
  wrong on French exports: decimal commas, free-text columns).
- Quoted fields may hold delimiters, quotes (``""``) and newlines. Excel's ``="0612"`` trick
  to keep leading zeros is unwrapped. Cells are trimmed; empty cells are ``""``.
- The header is the first row that reads like labels, under any title lines
  (``Export du 12/02/2024``); without one, columns are named ``col1..colN``. Non-blank title
  lines are kept as a :class:`TextUnit` (``first_line`` 1) so nothing in the file is lost.
- ``row_numbers`` are the physical line numbers (1-based) where each data row starts.
- Ragged rows are padded; cells beyond the header are kept under ``colN`` names.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from pathlib import Path

from breachscope.extract._table import column_names, find_header, span, table_width
from breachscope.extract.encoding import decode_bytes
from breachscope.extract.units import ExtractionError, TableUnit, TextUnit

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


def _read_rows(text: str, delimiter: str | None) -> tuple[list[list[str]], list[int]]:
    """All records as trimmed cells, with the physical line each starts on."""
    if delimiter is None:  # a single column: one cell per line
        rows, numbers = [], []
        for number, line in enumerate(_LINE_BREAKS.split(text), start=1):
            rows.append([_clean(line)])
            numbers.append(number)
        return rows, numbers
    try:
        rows, numbers = _parse(text, delimiter, csv.QUOTE_MINIMAL)
        if not any(c.count("\n") > MAX_FIELD_LINES for row in rows for c in row):
            return rows, numbers
    except csv.Error:
        pass
    # An unbalanced quote swallowed the rest of the file into one field: read the lines as
    # they are, quotes included.
    try:
        rows, numbers = _parse(text, delimiter, csv.QUOTE_NONE)
    except csv.Error as exc:
        raise ExtractionError(f"unreadable delimited text: {type(exc).__name__}") from None
    unquoted = [[c[1:-1] if len(c) > 1 and c[0] == c[-1] == '"' else c for c in row]
                for row in rows]
    return unquoted, numbers


def _parse(text: str, delimiter: str, quoting: int) -> tuple[list[list[str]], list[int]]:
    # newline="" splits lines on \n, \r and \r\n without translating them, as csv wants.
    reader = csv.reader(
        io.StringIO(text, newline=""),
        delimiter=delimiter,
        quotechar='"',
        doublequote=True,
        skipinitialspace=True,
        quoting=quoting,
        strict=False,
    )
    rows: list[list[str]] = []
    numbers: list[int] = []
    previous = 0
    for record in reader:
        rows.append([_clean(c) for c in record])
        numbers.append(previous + 1)
        previous = reader.line_num
    return rows, numbers


def partition_delimited(path: Path) -> list[TableUnit | TextUnit]:
    """Read a delimited text file into one :class:`TableUnit` (name ``""``), preceded by a
    :class:`TextUnit` holding the title lines above the header when there are any. A file
    with nothing but whitespace gives no unit."""
    text, _encoding = decode_bytes(Path(path).read_bytes())
    text = text.replace("\x00", "")
    delimiter = choose_delimiter(text[: 64 * 1024])
    rows, numbers = _read_rows(text, delimiter)
    if not any(span(row) for row in rows):
        return []

    header_index, data_start = find_header(rows)
    header = rows[header_index] if header_index is not None else []
    body = [(row, n) for row, n in zip(rows[data_start:], numbers[data_start:], strict=True)
            if span(row)]
    width = table_width(header, [row for row, _ in body]) or 1
    units: list[TableUnit | TextUnit] = []

    title_end = header_index if header_index is not None else data_start
    if any(span(r) for r in rows[:title_end]):
        last_line = numbers[title_end] - 1 if title_end < len(numbers) else len(numbers)
        lines = _LINE_BREAKS.split(text)[:last_line]
        units.append(TextUnit(text="\n".join(lines), name="", first_line=1))

    units.append(
        TableUnit(
            header=column_names(header, width),
            rows=[row[:width] for row, _ in body],
            name="",
            row_numbers=[n for _, n in body],
        )
    )
    return units
