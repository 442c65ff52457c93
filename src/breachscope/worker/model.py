"""What a worker task returns to the main process: plain data, picklable by any executor."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class ColumnRow:
    unit: str
    col_index: int
    header: str
    label: str | None
    confidence: float
    reason: str


@dataclass(slots=True)
class ExpandedMember:
    """One member of an expanded archive. ``name`` is relative to the top archive and nested
    with ``!/`` (``2019/exports.zip!/export.csv``); ``parent`` is the relative name of the
    archive holding it (``""`` for the top archive itself)."""

    name: str
    parent: str
    depth: int
    status: str  # ok (to scan), scanned (a nested archive, expanded), skipped, failed, encrypted
    reason: str | None = None
    sha256: str | None = None
    size: int = 0
    file_type: str | None = None
    blob: str | None = None  # where its bytes are, for an ``ok`` member
    is_archive: bool = False
    limit_hit: bool = False  # not read (or not wholly) because an archive or disk limit hit


DeclaredKey = tuple[str, str, list[str], str | None, list[str]]


@dataclass(slots=True)
class ContentResult:
    status: str  # scanned, partial, failed, skipped, encrypted
    reason: str | None = None
    file_type: str | None = None
    n_units: int = 0
    seconds: float = 0.0
    findings_file: str | None = None
    records_file: str | None = None
    n_findings: int = 0
    n_records: int = 0
    columns: list[ColumnRow] = field(default_factory=list)
    members: list[ExpandedMember] = field(default_factory=list)
    row_keys_file: str | None = None
    # declared keys: (unit name, kind, columns, referenced table, referenced columns)
    declared_keys: list[DeclaredKey] = field(default_factory=list)
    # Which worker limit stopped the content ("time" or "memory"), if one did, and how many
    # tasks its worker process had run before it: the pipeline retries such a content once in
    # a fresh worker (a busy worker's heap, not the file, may be what hit the limit).
    limit_hit: str | None = None
    tasks_before: int = 0
    # A small content's rows, returned here instead of in files: kind ("findings",
    # "records", "row_keys") -> column name -> values, the files' columns
    # (worker.sink.INLINE_ROWS; results.SCHEMAS gives their types).
    inline: dict[str, dict[str, list[Any]]] = field(default_factory=dict)
    # Pages to OCR left to tasks of their own (worker.task.process_content_by_page; a PDF's
    # scanned pages, a multi-page image's frames): (0-based page index, text-layer lines the
    # page's OCR lines are numbered after). The pipeline stores the document "pending", runs
    # worker.task.process_ocr_page on each page and stores the pages' results as the
    # document's.
    ocr_pages: list[tuple[int, int]] = field(default_factory=list)
    # Labelled table columns' findings (results.CELLS_SCHEMA; worker.sink): the file, and
    # what its ``column`` numbers (location prefix, location suffix, entity, detector).
    cells_file: str | None = None
    cell_columns: list[tuple[str, str, str, str]] = field(default_factory=list)

    def table(self, kind: str) -> Any:
        """The content's rows of ``kind`` as an Arrow table, wherever they are (inline, or
        a plain Parquet result file); None when there are none. For tools and tests: the
        pipeline inserts them into the store itself."""
        if kind in self.inline:
            import pyarrow as pa

            from breachscope.results import SCHEMAS

            return pa.table(self.inline[kind], schema=SCHEMAS[kind])
        import pyarrow.parquet as pq

        if kind == "findings" and self.cells_file:
            return self._findings_with_cells()
        path = {"findings": self.findings_file, "records": self.records_file,
                "row_keys": self.row_keys_file}[kind]
        if path is None:
            return None
        return pq.read_table(path)

    def _findings_with_cells(self) -> Any:
        """The findings file's rows, then the cells file's as findings (their locations
        rebuilt as the store's ``findings`` view does)."""
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        from breachscope.results import FINDINGS_SCHEMA

        cells = pq.read_table(self.cells_file)
        columns = list(zip(*self.cell_columns, strict=True)) or [(), (), (), ()]
        prefix, suffix, entity, detector = (
            pa.array(part, pa.string()).take(cells.column("column")) for part in columns)
        located = pc.binary_join_element_wise(
            prefix, cells.column("n").cast(pa.string()), suffix, "")
        tables = [pa.Table.from_arrays(
            [located, entity, cells.column("value"), cells.column("confidence"), detector],
            schema=FINDINGS_SCHEMA)]
        if self.findings_file:
            tables.insert(0, pq.read_table(self.findings_file))
        return pa.concat_tables(tables)


#: ``limit_hit`` of a batch member's result that the batch did not read: its type turned out
#: not to be one a batch reads (an archive named ``.txt``), so the pipeline runs it as a task
#: of its own. Not a status: such a result is never stored.
NOT_BATCHED = "not batched"


@dataclass(slots=True)
class BatchResult:
    """What a batch task returns: one result per file, in the batch's order, for the first
    ``len(results)`` files (a batch stops early after a file hit the memory limit, or when its
    worker holds too much memory to go on: the pipeline runs the rest as tasks of their own).
    ``limit_hit`` and ``tasks_before`` are the attributes :func:`~breachscope.worker.run_task`
    reads and sets on any task's result; the pipeline derives each file's ``tasks_before``
    from the batch's."""

    results: list[ContentResult] = field(default_factory=list)
    limit_hit: str | None = None
    tasks_before: int = 0


NO_SPACE_REASON = "no space left on device (retryable)"


def no_space(exc: BaseException) -> bool:
    """True for "No space left on device" (or a quota), however a library wrapped it (an
    OSError, Arrow's or DuckDB's own error carrying the message)."""
    import errno

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        text = str(current)
        if "No space left on device" in text or "Disk quota exceeded" in text:
            return True
        current = current.__cause__ or current.__context__
    return False
