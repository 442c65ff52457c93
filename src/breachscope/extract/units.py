"""The units an extractor produces: what detection reads.

An extractor turns one file into units and knows nothing about detection.
- A :class:`TextUnit` is a piece of prose or lines with a location prefix (``page 3``,
  ``line 45``...). Line numbers inside it are counted from ``first_line``.
- A :class:`RecordUnit` is one person from a structured message (HL7, FHIR, CDA...).
- An :class:`EmbeddedFile` is not a unit but a file inside the file (a mail attachment):
  extractors yield it among their units and the worker scans it as an archive member.
- A :class:`TableUnit` is a table with a header and columns of string cells, whatever the
  source (CSV, a spreadsheet sheet, a JSON list of objects, later an SQL table). ``row_numbers``
  gives, for each data row, the number a person would see in the source (the spreadsheet row,
  the CSV line), so that a finding's location reads ``row 12, column TEL``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

# A :class:`FieldValue` location starting with ``/`` is absolute: the field comes from
# elsewhere in the file (an Encounter entry of a FHIR Bundle attached to its Patient) and
# detection uses the location without the ``/`` as is, instead of prefixing it with the unit's
# name. Extractors write it, detection reads it: it belongs to the units both share.
ABSOLUTE = "/"


@dataclass(slots=True)
class TextUnit:
    """Free text. ``name`` locates the unit in its file (``""`` for a whole text file,
    ``page 3``, ``sheet Notes``); lines inside are numbered from ``first_line``."""

    text: str
    name: str = ""
    first_line: int = 1
    # Text read by OCR carries the engine's mean word confidence (0–1): findings in it are
    # no more certain than the reading itself.
    confidence: float | None = None

    kind: str = field(default="text", init=False)


@dataclass(slots=True)
class TableUnit:
    """A table: ``header[i]`` names column i, ``rows[r][i]`` is a cell as a string
    (``""`` when empty). ``name`` is the sheet or table name (``""`` for a lone CSV).
    ``row_numbers[r]`` labels data row r as a person finds it in the source: the spreadsheet
    row, the CSV line, or for a list nested in a JSON list a dotted position path (``12.3``:
    the 3rd stay of the 12th patient)."""

    header: list[str]
    rows: list[list[str]]
    name: str = ""
    row_numbers: list[int | str] = field(default_factory=list)

    kind: str = field(default="table", init=False)
    # The rows transposed once (zip in C) on the first call of column(): detection reads each
    # column several times. Cleared by whoever changes cells in place (forget_columns).
    _columns: list[tuple[str, ...]] | None = field(default=None, init=False, repr=False,
                                                   compare=False)

    def __post_init__(self) -> None:
        width = len(self.header)
        self.rows = [
            (row + [""] * (width - len(row)))[:width] if len(row) != width else row
            for row in self.rows
        ]
        if not self.row_numbers:
            self.row_numbers = list(range(2, len(self.rows) + 2))

    def column(self, index: int) -> list[str]:
        if self._columns is None:
            self._columns = list(zip(*self.rows, strict=True)) if self.rows else [
                () for _ in self.header]
        return list(self._columns[index])

    def forget_columns(self) -> None:
        """Cells were changed in place: :meth:`column` reads the rows again."""
        self._columns = None


@dataclass(slots=True)
class FieldValue:
    """One value whose meaning the source's structure states (``PID-5`` is the patient's
    name, ``Patient.birthDate`` the birth date): ``entity`` is a vocabulary label, ``value`` is
    as found, ``location`` where it is inside the unit (``segment PID-5``)."""

    entity: str
    value: str
    location: str


@dataclass(slots=True)
class RecordUnit:
    """One person as a structured message describes them: an HL7 PID segment with its PV1,
    a FHIR Patient, a CDA ``recordTarget``, an HPRIM P record. Detection validates each field
    (NIR key, phone, dates...) and makes one record of it. ``name`` locates the unit in its
    file (``message 3``, ``entry 2 (Patient)``)."""

    fields: list[FieldValue]
    name: str = ""
    role_hint: str = "PATIENT"

    kind: str = field(default="record", init=False)


@dataclass(slots=True)
class EmbeddedFile:
    """A file inside a file that is not an archive: a mail attachment, an attached message,
    an object embedded in a document. The worker streams it into the work area and it is
    scanned as a member named ``PARENT!/name`` (``mail/msg_0001.eml!/liste.csv``).
    ``chunks`` yields its bytes; it may be called once."""

    name: str
    chunks: Callable[[], Iterator[bytes]]

    kind: str = field(default="embedded", init=False)


@dataclass(slots=True)
class ForeignKey:
    """``columns`` of a table reference ``ref_columns`` of ``ref_table`` (declared in the
    source: ``FOREIGN KEY (a) REFERENCES t (b)``, SQLite's ``foreign_key_list``)."""

    columns: list[str]
    ref_table: str
    ref_columns: list[str]


@dataclass(slots=True)
class KeysUnit:
    """The keys a source declares for one of its tables. ``table`` is the bare table name and
    ``unit_name`` the name of the :class:`TableUnit` chunks of that table (``table sejour``),
    so keys and rows meet. ``primary_key`` lists the primary key's columns (empty when none is
    declared). An extractor may yield it before or after the table's rows (``ALTER TABLE ...
    ADD CONSTRAINT`` comes after the data in a pg_dump), once or several times per table."""

    table: str
    unit_name: str
    primary_key: list[str] = field(default_factory=list)
    foreign_keys: list[ForeignKey] = field(default_factory=list)

    kind: str = field(default="keys", init=False)


Unit = TextUnit | TableUnit | RecordUnit


class ExtractionError(Exception):
    """The file could not be read; the message is the reason recorded for the file.
    It must never contain cell values or other personal data."""



class EncryptedContent(ExtractionError):
    """The file is password protected: recorded ``encrypted`` (the contract's status), not
    ``failed``. The message says what kind of file."""


def extraction_error(reason: str) -> ExtractionError:
    """The error for a reason worded by an extractor: ``EncryptedContent`` when it says the
    file is encrypted or password protected (``xls encrypted (password protected)``)."""
    lowered = reason.lower()
    if " encrypted" in lowered or "password-protected" in lowered:
        return EncryptedContent(reason)
    return ExtractionError(reason)
