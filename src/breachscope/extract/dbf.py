"""dBase / FoxPro / Clipper tables (``.dbf``) → one table, in chunks.

- ``dbfread`` (MIT, pure Python, no native code) reads the header, the field descriptors and
  each value (its :class:`~dbfread.FieldParser`: numbers, dates, logicals, memo pointers).
  The loop over the records is written here rather than iterating ``DBF`` because dbfread's
  iterator neither gives a record's number (``RECNO()``, the row a person finds in dBase) nor
  returns deleted records in place, and a record marked deleted still holds its data (a
  "deleted" patient is still in the leak): every record is read, live or deleted, and
  ``row_numbers`` are record numbers from 1. A record is ``record length`` bytes (one flag
  byte then the fixed-width fields) from the header's end: reading stops at the end-of-file
  byte or the file's end, whatever the header's record count claims.
- Encoding: the header's language-driver byte when it names a code page, else (0, the usual
  value in dBase III files, or an unknown byte) UTF-8 when a sample of the records is valid
  UTF-8, else DOS cp850 or Windows cp1252, whichever reads more like French
  (:func:`~breachscope.extract.encoding.french_score`; cp850 on a tie). Undecodable bytes
  become U+FFFD.
- A value dbfread cannot parse (a corrupt number or date) is kept as its text, never lost;
  field types dbfread does not know are read as text too.
- Memo fields (``M``, ``G``...) read from the ``.dbt``/``.fpt`` file beside the table when it
  exists (dbfread finds it); absent, they are empty. Memo text read per table is capped
  (:data:`MAX_MEMO_TOTAL`): a hostile table pointing every record at one huge memo does not
  multiply it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dbfread import DBF, FieldParser
from dbfread.codepages import codepages

from breachscope.extract._office import cell_text
from breachscope.extract._table import MAX_COLUMNS, table_chunks
from breachscope.extract.encoding import french_score, guess_encoding
from breachscope.extract.units import ExtractionError, TableUnit, TextUnit

#: Bytes of records the encoding guess reads.
ENCODING_SAMPLE = 256 * 1024
#: Memo bytes read per table, in all.
MAX_MEMO_TOTAL = 256 * 1024 * 1024
_DELETED, _LIVE, _EOF = b"*", b" ", b"\x1a"


class _TolerantParser(FieldParser):
    """dbfread's parser, which never fails a table for one value: an unknown field type or
    a value that does not parse is kept as its decoded text."""

    def field_type_supported(self, field_type: str) -> bool:
        return True

    def parse(self, field: Any, data: bytes) -> Any:
        try:
            return super().parse(field, data)
        except Exception:
            return self.decode_text(data).strip("\x00 ")


class _BoundedMemos:
    """A memo file whose reads stop once :data:`MAX_MEMO_TOTAL` bytes were returned."""

    def __init__(self, memofile: Any) -> None:
        self.memofile = memofile
        self.total = 0

    def __getitem__(self, index: int) -> Any:
        if self.total > MAX_MEMO_TOTAL:
            return None
        try:
            value = self.memofile[index]
        except Exception:
            return None
        self.total += len(value or b"")
        return value


def partition_dbf(path: Path) -> Iterator[TableUnit | TextUnit]:
    """Stream the records of the dBase table at ``path`` as one table (see the module
    docstring)."""
    path = Path(path)
    try:
        table = DBF(str(path), encoding="latin-1", parserclass=_TolerantParser,
                    ignore_missing_memofile=True, char_decode_errors="replace",
                    recfactory=None)
    except Exception as exc:
        raise ExtractionError(f"corrupt dbf: {type(exc).__name__}") from None
    header = table.header
    if header.recordlen < 1 or header.headerlen < 33:
        raise ExtractionError("corrupt dbf: bad header")
    table.encoding = _encoding(path, header)
    fields = table.fields[:MAX_COLUMNS]
    names = [_field_name(f.name, table.encoding) for f in fields]
    yield from table_chunks("", names, _records(path, table, fields))


def _encoding(path: Path, header: Any) -> str:
    driver = header.language_driver
    if driver and driver in codepages:
        return codepages[driver][0]
    with path.open("rb") as handle:
        handle.seek(header.headerlen)
        sample = handle.read(ENCODING_SAMPLE)
    if not sample.translate(None, bytes(range(128))):
        return "cp850"  # ASCII only: any code page reads it
    if guess_encoding(sample, partial=True) == "utf-8":
        return "utf-8"
    # A dBase table without a code page is DOS-era (cp850, cp437 in France) or written by a
    # Windows program (cp1252): the general guess, which prefers Windows and Mac code pages
    # on little evidence, is not used; cp850 wins a tie.
    dos = french_score(sample.decode("cp850", "replace"))
    windows = french_score(sample.decode("cp1252", "replace"))
    return "cp1252" if windows > dos else "cp850"


def _field_name(raw: str, encoding: str) -> str:
    # dbfread decoded the names with the Latin-1 placeholder: decode them again properly.
    try:
        return raw.encode("latin-1").decode(encoding, "replace").strip()
    except (LookupError, UnicodeError):
        return raw.strip()


def _records(path: Path, table: DBF, fields: list[Any]) -> Iterator[tuple[int, list[str]]]:
    header = table.header
    with contextlib.ExitStack() as stack:
        memos = _memo_file(table, stack)
        parser = _TolerantParser(table, memos)
        parse = parser.parse
        with path.open("rb") as handle:
            handle.seek(header.headerlen)
            number = 0
            while True:
                record = handle.read(header.recordlen)
                if not record or record[:1] == _EOF:
                    return
                number += 1
                if record[:1] not in (_LIVE, _DELETED):
                    continue  # not a record boundary: a damaged file
                cells, offset = [], 1
                for field in fields:
                    data = record[offset : offset + field.length]
                    offset += field.length
                    cells.append(_text(parse(field, data)))
                while cells and not cells[-1]:
                    cells.pop()
                if cells:
                    yield number, cells


def _memo_file(table: DBF, stack: contextlib.ExitStack) -> _BoundedMemos | None:
    """The table's memo file (closed by ``stack``), or None when it is absent or unreadable
    (memo fields are then empty)."""
    if not table.memofilename:
        return None
    from dbfread.memo import open_memofile

    try:
        memofile = stack.enter_context(
            open_memofile(table.memofilename, table.header.dbversion))
    except Exception:
        return None
    return _BoundedMemos(memofile)


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return ""  # a binary memo (a picture, an OLE object)
    return cell_text(value)
