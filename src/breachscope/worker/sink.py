"""Where a task's findings, records and row keys go: Parquet files in the work area (sealed
for an encrypted case), written in batches so that neither the worker nor the main process
holds them all in memory."""

from __future__ import annotations

import contextlib
import itertools
import os
from pathlib import Path

from breachscope.detect.model import Finding, Record
from breachscope.worker import sandbox

FLUSH_ROWS = 50_000  # findings or records buffered before a Parquet row group is written


class ResultSink:
    """Findings and records streamed to Parquet files in batches; identical findings at the
    same location in consecutive units (overlapping pieces of one huge line) kept once."""

    _ids = itertools.count()

    def __init__(self, work_dir: Path) -> None:
        from breachscope.results import SEALED_SUFFIX

        tag = f"{os.getpid()}-{next(self._ids)}"
        self.key = sandbox.sealing_key[0]
        suffix = SEALED_SUFFIX if self.key else ".parquet"
        self.dir = work_dir / "results"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.findings_path = self.dir / f"{tag}-findings{suffix}"
        self.records_path = self.dir / f"{tag}-records{suffix}"
        self.row_keys_path = self.dir / f"{tag}-row_keys{suffix}"
        self.findings: list[Finding] = []
        self.records: list[Record] = []
        self.row_keys: list[tuple[str, str, str, str]] = []
        self.n_findings = self.n_records = self.n_row_keys = 0
        self._writers: dict[str, object] = {}
        self._previous_keys: set[tuple[str, str, str]] = set()

    def add(self, findings: list[Finding], records: list[Record],
            row_keys: list[tuple[str, str, str, str]] | None = None) -> None:
        keys = {(f.location, f.entity, f.value) for f in findings}
        if self._previous_keys:
            findings = [f for f in findings
                        if (f.location, f.entity, f.value) not in self._previous_keys]
        self._previous_keys = keys
        self.findings.extend(findings)
        self.records.extend(records)
        if row_keys:
            self.row_keys.extend(row_keys)
        if max(len(self.findings), len(self.records), len(self.row_keys)) >= FLUSH_ROWS:
            self._flush()

    def _flush(self) -> None:
        from breachscope.results import findings_table, records_table, row_keys_table

        if self.findings:
            self._write("findings", self.findings_path, findings_table(self.findings))
            self.n_findings += len(self.findings)
            self.findings = []
        if self.records:
            first = self.n_records
            self._write("records", self.records_path, records_table(self.records, first))
            self.n_records += len(self.records)
            self.records = []
        if self.row_keys:
            self._write("row_keys", self.row_keys_path, row_keys_table(self.row_keys))
            self.n_row_keys += len(self.row_keys)
            self.row_keys = []

    def _write(self, kind: str, path: Path, table: object) -> None:
        import pyarrow.parquet as pq

        writer = self._writers.get(kind)
        if self.key:  # an encrypted case: nothing readable on disk (results.write_sealed)
            from breachscope.results import write_sealed

            if writer is None:
                writer = self._writers[kind] = path.open("wb")
            write_sealed(writer, table, self.key, kind)  # type: ignore[arg-type]
            return
        if writer is None:
            writer = self._writers[kind] = pq.ParquetWriter(path, table.schema)  # type: ignore[attr-defined]
        writer.write_table(table)  # type: ignore[attr-defined]

    def close(self) -> None:
        self._flush()
        for writer in self._writers.values():
            writer.close()  # type: ignore[attr-defined]

    @property
    def findings_file(self) -> str | None:
        return str(self.findings_path) if self.n_findings else None

    @property
    def records_file(self) -> str | None:
        return str(self.records_path) if self.n_records else None

    @property
    def row_keys_file(self) -> str | None:
        return str(self.row_keys_path) if self.n_row_keys else None

    def discard(self) -> None:
        with contextlib.suppress(Exception):
            self.close()
        self.findings_path.unlink(missing_ok=True)
        self.records_path.unlink(missing_ok=True)
        self.row_keys_path.unlink(missing_ok=True)
        self.n_findings = self.n_records = self.n_row_keys = 0
