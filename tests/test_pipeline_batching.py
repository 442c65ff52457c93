"""The main process stores results in batches (issue 15): one transaction for many contents,
one statement per table for their result files, the walked files recorded together; each
content's rows still reach the content they belong to, and a scan killed with results waiting
for their commit redoes those contents on resume, never half-stored, never twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import breachscope.pipeline as pipeline
from breachscope.case import Case
from breachscope.pipeline import scan
from breachscope.settings import ScanSettings
from breachscope.worker import ContentResult, process_content

KILL_MARKER = b"BREACHSCOPE-TEST-KILL-MAIN"


def nir(i: int) -> str:
    """A valid NIR (the key is 97 minus the number modulo 97), different for each ``i``."""
    body = f"2540375{123000 + i:06d}"
    return body + f"{97 - int(body) % 97:02d}"


def make_dump(root: Path, n: int) -> dict[str, str]:
    """``n`` one-row patient lists, each with its own NIR; returns path -> NIR."""
    root.mkdir()
    expected = {}
    for i in range(n):
        name = f"list{i:03d}.csv"
        (root / name).write_text(f"Nom;Prénom;N° Sécu\nDUPONT{chr(65 + i % 26)};Marie;{nir(i)}\n",
                                 encoding="utf-8")
        expected[name] = nir(i)
    return expected


def nirs_by_file(case: Case) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for path, value in case.db.execute(
            "SELECT f.path, x.value FROM findings x JOIN files f USING (sha256) "
            "WHERE x.entity = 'NIR' ORDER BY f.path, x.value").fetchall():
        out.setdefault(path, []).append(value)
    return out


class CountingDB:
    """The case's connection, counting the transactions that wrote ``contents`` (one per
    content before batching) and the statements that wrote ``files``."""

    def __init__(self, db) -> None:
        self._db = db
        self.in_tx = False
        self.tx_wrote_contents = False
        self.content_commits = 0
        self.files_statements = 0
        self.stale_marks = 0

    def execute(self, sql: str, *args, **kwargs):
        self._count(sql)
        return self._db.execute(sql, *args, **kwargs)

    def executemany(self, sql: str, *args, **kwargs):
        self._count(sql)
        return self._db.executemany(sql, *args, **kwargs)

    def _count(self, sql: str) -> None:
        text = " ".join(sql.split()).upper()
        if text.startswith("BEGIN"):
            self.in_tx, self.tx_wrote_contents = True, False
        elif text.startswith("COMMIT"):
            self.content_commits += self.tx_wrote_contents
            self.in_tx = False
        elif "INTO CONTENTS" in text:
            if self.in_tx:
                self.tx_wrote_contents = True
            else:  # a statement of its own is its own transaction
                self.content_commits += 1
        if "INTO FILES" in text:
            self.files_statements += 1
        if "INTO META VALUES ('PEOPLE_STALE', '1')" in text:
            self.stale_marks += 1

    def __getattr__(self, name: str):
        return getattr(self._db, name)


@pytest.mark.slow
def test_results_are_committed_in_batches_and_reach_their_own_content(tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline, "BATCH_SECONDS", 3600.0)  # batches cut by count only
    monkeypatch.setattr(pipeline, "BATCH_RESULTS", 8)
    expected = make_dump(tmp_path / "dump", 20)
    with Case(tmp_path / "case") as case:
        counting = CountingDB(case.db)
        case.db = counting  # type: ignore[assignment]
        try:
            summary = scan([tmp_path / "dump"], case, workers=1)
        finally:
            case.db = counting._db  # type: ignore[assignment]
        found = nirs_by_file(case)
        statuses = set(case.db.execute("SELECT DISTINCT status FROM contents").fetchall())
        records = dict(case.db.execute(
            "SELECT f.path, count(*) FROM records r JOIN files f USING (sha256) "
            "GROUP BY f.path").fetchall())
        ids_ok = case.db.execute(
            "SELECT bool_and(starts_with(record_id, left(sha256, 20) || ':')) "
            "FROM records").fetchone()[0]
        columns = case.db.execute(
            "SELECT count(DISTINCT sha256) FROM columns").fetchone()[0]
    assert summary.n_scanned == 20 and summary.n_failed == 0
    assert statuses == {("scanned",)}
    # every file's NIR in that file's content, once; one record per file, named after it
    assert found == {path: [value] for path, value in expected.items()}
    assert records == dict.fromkeys(expected, 1) and ids_ok
    assert columns == 20
    # 20 contents in batches of 8: 3 commits of results (one per content before batching),
    # and the 20 walked files in one statement (one per file before)
    assert counting.content_commits == 3
    assert counting.files_statements == 1
    # the people made before are stale from the first commit on: said once, not per batch
    assert counting.stale_marks == 1


def test_a_failure_while_storing_a_batch_leaves_nothing_half_stored(tmp_path, monkeypatch):
    """An error (other than a full disk) while a batch is written stops the scan: the batch
    is rolled back whole, and the next scan stores each of its contents once."""
    monkeypatch.setattr(pipeline, "BATCH_SECONDS", 3600.0)
    expected = make_dump(tmp_path / "dump", 6)
    real = pipeline.StoreBatch.write

    def broken(self, db, run_id, key, **kwargs):
        real(self, db, run_id, key, **kwargs)  # everything written, then the commit never comes
        raise RuntimeError("store broken")

    monkeypatch.setattr(pipeline.StoreBatch, "write", broken)
    with Case(tmp_path / "case") as case, pytest.raises(RuntimeError):
        scan([tmp_path / "dump"], case, workers=1)
    with Case(tmp_path / "case") as case:
        assert case.db.execute("SELECT count(*) FROM findings").fetchone()[0] == 0
        assert case.db.execute("SELECT count(*) FROM contents").fetchone()[0] == 0
        assert case.db.execute(
            "SELECT status FROM runs ORDER BY run_id DESC LIMIT 1").fetchone()[0] == "interrupted"
        monkeypatch.setattr(pipeline.StoreBatch, "write", real)
        summary = scan([tmp_path / "dump"], case, workers=1)
        assert summary.n_scanned == 6
        assert nirs_by_file(case) == {path: [value] for path, value in expected.items()}


def killing_task(path: str, file_type: str | None, work_dir: str, settings: ScanSettings,
                 depth: int = 0) -> ContentResult:
    """The real task, except that the file holding the marker kills the scan's main process
    (``kill -9``) while earlier results wait in its batch."""
    with open(path, "rb") as fh:
        if fh.read(len(KILL_MARKER)) == KILL_MARKER:
            os.kill(os.getppid(), signal.SIGKILL)
    return process_content(path, file_type, work_dir, settings, depth)


@pytest.mark.slow
def test_a_scan_killed_with_results_waiting_redoes_them_once(tmp_path):
    expected = make_dump(tmp_path / "dump", 12)
    (tmp_path / "dump" / "zz_kill.txt").write_bytes(KILL_MARKER + b"\n")
    case_dir = tmp_path / "case"
    script = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        sys.path[:0] = {sys.path!r}
        import breachscope.pipeline as pipeline
        from breachscope.case import Case
        from test_pipeline_batching import killing_task
        pipeline.BATCH_SECONDS = 3600.0
        pipeline.BATCH_RESULTS = 5
        pipeline.TASK_FILES = 1  # one list per task: what is counted here is store batches
        # two tasks in flight: the marker reaches the worker once the 11th list's result is
        # collected, two batches of 5 committed (a deeper queue sends it earlier)
        pipeline.TASKS_PER_WORKER = 2
        with Case({str(case_dir)!r}) as case:
            pipeline.scan([Path({str(tmp_path / 'dump')!r})], case, workers=1, task=killing_task)
    """)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent)}
    log = tmp_path / "killed-scan.log"
    with log.open("wb") as out:  # not a pipe: the orphaned worker may hold it a while
        done = subprocess.run([sys.executable, "-c", script], env=env, timeout=300,
                              stdout=out, stderr=out)
    assert done.returncode == -signal.SIGKILL, log.read_text(errors="replace")[-2000:]
    with Case(case_dir) as case:
        # 12 lists in batches of 5: the first 10 committed, the last 2 lost with the process
        committed = case.db.execute(
            "SELECT count(*) FROM contents WHERE status = 'scanned'").fetchone()[0]
        assert committed == 10
        assert case.people_stale()  # committed with the first batch: the next scan resolves
        assert case.db.execute(
            "SELECT count(DISTINCT sha256) FROM findings").fetchone()[0] == 10
        summary = scan([tmp_path / "dump"], case, workers=1)
        assert summary.n_scanned == 3  # the two lost lists and the marker file
        assert nirs_by_file(case) == {path: [value] for path, value in expected.items()}
        assert case.db.execute(
            "SELECT count(*) - count(DISTINCT (sha256, location, entity, value)) "
            "FROM findings").fetchone()[0] == 0
        # records have no key in the store (schema 7): redone contents must not repeat ids
        n, distinct = case.db.execute(
            "SELECT count(*), count(DISTINCT record_id) FROM records").fetchone()
        assert n == distinct >= 12


def test_a_batch_of_result_files_gives_each_row_its_own_content(tmp_path):
    """One statement reads a batch's result files: each row takes the sha256 (or the first
    column id) of the file it came from, by the file's rank in the list, also when the files'
    columns differ (an older worker's file without a column) and when a content has none."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from breachscope.results import CELLS_SCHEMA, FINDINGS_SCHEMA

    def findings_file(name: str, values: list[str], *, without_detector: bool = False) -> str:
        table = pa.table({"location": [f"line {i}" for i in range(len(values))],
                          "entity": ["NIR"] * len(values), "value": values,
                          "confidence": [0.9] * len(values),
                          "detector": ["nir"] * len(values)}, schema=FINDINGS_SCHEMA)
        if without_detector:
            table = table.drop_columns(["detector"])
        pq.write_table(table, tmp_path / name)
        return str(tmp_path / name)

    def cells_file(name: str, columns: list[int], values: list[str]) -> str:
        pq.write_table(pa.table({"column": columns, "n": list(range(1, len(values) + 1)),
                                 "value": values, "confidence": [0.9] * len(values)},
                                schema=CELLS_SCHEMA), tmp_path / name)
        return str(tmp_path / name)

    files = [(findings_file("a.parquet", ["a1", "a2"]), "sha-a", 0),
             (findings_file("b.parquet", ["b1"], without_detector=True), "sha-b", 0),
             (findings_file("c.parquet", ["c1", "c2", "c3"]), "sha-c", 0)]
    cells = [(cells_file("x.parquet", [0, 1, 1], ["x0", "x1", "x1b"]), "sha-x",
              [("row ", ", column A", "LAST_NAME", "column"),
               ("row ", ", column B", "FIRST_NAME", "column")]),
             (cells_file("y.parquet", [0], ["y0"]), "sha-y",
              [("row ", ", column C", "PHONE", "column")])]
    with Case(tmp_path / "case") as case, case.transaction() as db:
        pipeline._insert_files(db, "findings", files, None)
        pipeline._insert_cells(db, cells, None)
        findings = db.execute("SELECT sha256, value, detector FROM plain_findings "
                              "ORDER BY value").fetchall()
        cell_rows = db.execute(
            "SELECT c.sha256, c.loc_suffix, f.value FROM finding_cells f "
            "JOIN finding_columns c USING (column_id) ORDER BY f.value").fetchall()
    assert findings == [("sha-a", "a1", "nir"), ("sha-a", "a2", "nir"), ("sha-b", "b1", None),
                        ("sha-c", "c1", "nir"), ("sha-c", "c2", "nir"), ("sha-c", "c3", "nir")]
    assert cell_rows == [("sha-x", ", column A", "x0"), ("sha-x", ", column B", "x1"),
                         ("sha-x", ", column B", "x1b"), ("sha-y", ", column C", "y0")]
