"""Small contents go to the workers in batches (pipeline.TASK_FILES, worker/batch.py; issue 15):
the case stores what one task per content stores, a file whose worker dies or overruns the
hard limit inside a batch fails alone (the batch is redone one content per task), and a scan
killed while batches are out resumes with every content stored once."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import pytest

import breachscope.pipeline as pipeline
from breachscope.case import Case
from breachscope.pipeline import scan
from breachscope.settings import ScanSettings
from breachscope.worker import ContentResult, process_content

ROOT = Path(__file__).resolve().parents[1]
KILL_MARKER = b"BREACHSCOPE-TEST-BATCH-KILL"
HANG_MARKER = b"BREACHSCOPE-TEST-BATCH-HANG"
HANG_TRIPWIRE = 60  # seconds a "hung" file waits before giving up by itself


def nir(i: int) -> str:
    body = f"1850275{456000 + i:06d}"
    return body + f"{97 - int(body) % 97:02d}"


def letters(root: Path, n: int) -> dict[str, str]:
    """``n`` small letters, each with its own NIR; returns path -> NIR."""
    root.mkdir(parents=True, exist_ok=True)
    expected = {}
    for i in range(n):
        name = f"lettre{i:03d}.txt"
        (root / name).write_text(
            f"Objet : M. LEFEBVRE Paul\nN° de sécurité sociale : {nir(i)}\n"
            f"Tél. : 06 12 34 {i // 100 % 100:02d} {i % 100:02d}\n", encoding="utf-8")
        expected[name] = nir(i)
    return expected


def outcome(case: Case) -> dict[str, object]:
    db = case.db
    return {
        "contents": db.execute(
            "SELECT f.path, c.type, c.status, c.reason, c.n_units FROM files f "
            "JOIN contents c USING (sha256) ORDER BY ALL").fetchall(),
        "findings": db.execute(
            "SELECT f.path, x.location, x.entity, x.value, x.confidence, x.detector "
            "FROM findings x JOIN files f USING (sha256) ORDER BY ALL").fetchall(),
        "records": db.execute("SELECT * FROM records ORDER BY ALL").fetchall(),
        "columns": db.execute("SELECT * FROM columns ORDER BY ALL").fetchall(),
        "people": db.execute("SELECT count(*) FROM people").fetchone()[0],
    }


@pytest.fixture()
def batch_sizes(monkeypatch) -> list[list[str]]:
    """The names of the contents of each batch the scan sends (one list per batch)."""
    sent: list[list[str]] = []
    real = pipeline._TaskRunner._send_forming

    def spy(self) -> None:
        sent.append([Path(e.path).name for e in self.forming])
        real(self)

    monkeypatch.setattr(pipeline._TaskRunner, "_send_forming", spy)
    return sent


@pytest.mark.slow
def test_a_dump_scanned_in_batches_stores_what_one_task_per_file_stores(
        tmp_path, monkeypatch, batch_sizes):
    from breachscope.demo import generate_leak

    dump = tmp_path / "dump"
    generate_leak(tmp_path / "demo", seed=11, n_patients=60, n_staff=10)
    (tmp_path / "demo" / "leak").rename(dump)
    sys.path.insert(0, str(ROOT / "bench" / "accuracy"))
    try:
        import generate  # the accuracy bench's corpus: letters whose names need spaCy

        generate.generate(dump / "generated", n_docs=80, seed=3)
    finally:
        sys.path.remove(str(ROOT / "bench" / "accuracy"))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("liste.csv", f"Nom;Prénom;NIR\nMARTIN;Jeanne;{nir(1)}\n")
    (dump / "notes.txt").write_bytes(buf.getvalue())  # a zip named like a note
    stored = {}
    for files in (1, 32):
        monkeypatch.setattr(pipeline, "TASK_FILES", files)
        with Case(tmp_path / f"case{files}") as case:
            summary = scan([dump], case, workers=1)
            stored[files] = outcome(case)
        assert summary.n_failed == 0
    assert any(len(batch) > 10 for batch in batch_sizes)  # batches were sent...
    assert stored[1] == stored[32]  # ...and the case is the same
    assert len(stored[1]["findings"]) > 1000
    paths = {row[0] for row in stored[32]["contents"]}
    assert "notes.txt!/liste.csv" in paths  # the zip named .txt: handed back, expanded


def crashing_task(path: str, file_type: str | None, work_dir: str, settings: ScanSettings,
                  depth: int = 0) -> ContentResult:
    """The real task, but the worker dies on a marked file (a native parser's crash) and
    hangs on another (a parser stuck in native code: only a kill stops it)."""
    head = Path(path).read_bytes()[:64]
    if head.startswith(KILL_MARKER):
        os._exit(139)
    if head.startswith(HANG_MARKER):
        deadline = time.monotonic() + HANG_TRIPWIRE
        while time.monotonic() < deadline:  # the file is scanned after: the test fails
            time.sleep(0.1)
    return process_content(path, file_type, work_dir, settings, depth)


def _statuses(case: Case) -> dict[str, str]:
    return dict(case.db.execute(
        "SELECT f.path, c.status || ':' || coalesce(c.reason, '') "
        "FROM files f JOIN contents c USING (sha256)").fetchall())


@pytest.mark.slow
def test_a_worker_dying_in_a_batch_fails_its_file_alone(tmp_path, batch_sizes):
    dump = tmp_path / "dump"
    expected = letters(dump, 30)
    (dump / "lettre015b.txt").write_bytes(KILL_MARKER + b"\n")
    with Case(tmp_path / "case") as case:
        summary = scan([dump], case, workers=1, task=crashing_task)
        rows = _statuses(case)
        nirs = dict(case.db.execute(
            "SELECT f.path, x.value FROM findings x JOIN files f USING (sha256) "
            "WHERE x.entity = 'NIR'").fetchall())
    assert any("lettre015b.txt" in batch and len(batch) > 1 for batch in batch_sizes)
    assert summary.n_scanned == 31 and summary.n_failed == 1
    assert rows["lettre015b.txt"].startswith("failed:worker process died")
    assert all(rows[name] == "scanned:" for name in expected)
    assert nirs == expected


@pytest.mark.slow
def test_a_batch_past_the_hard_limit_is_redone_and_only_the_stuck_file_fails(
        tmp_path, monkeypatch, batch_sizes):
    monkeypatch.setattr(pipeline, "GRACE", 4.0)
    dump = tmp_path / "dump"
    expected = letters(dump, 12)
    (dump / "lettre005b.txt").write_bytes(HANG_MARKER + b"\n")
    settings = ScanSettings(timeout=4, archive_timeout=4)
    with Case(tmp_path / "case") as case:
        summary = scan([dump], case, workers=1, settings=settings, task=crashing_task)
        rows = _statuses(case)
        nirs = dict(case.db.execute(
            "SELECT f.path, x.value FROM findings x JOIN files f USING (sha256) "
            "WHERE x.entity = 'NIR'").fetchall())
    assert any("lettre005b.txt" in batch and len(batch) > 1 for batch in batch_sizes)
    assert rows["lettre005b.txt"] == "failed:hard time limit exceeded: worker stopped"
    assert all(rows[name] == "scanned:" for name in expected)
    assert nirs == expected
    assert summary.n_failed == 1


def killing_task(path: str, file_type: str | None, work_dir: str, settings: ScanSettings,
                 depth: int = 0) -> ContentResult:
    """The real task, but the marked file kills the scan's main process (``kill -9``) while
    batches are out and results wait for their commit."""
    if Path(path).read_bytes()[:64].startswith(KILL_MARKER):
        os.kill(os.getppid(), signal.SIGKILL)
        time.sleep(5)
    return process_content(path, file_type, work_dir, settings, depth)


@pytest.mark.slow
def test_a_scan_killed_while_batches_are_out_resumes_with_each_content_once(tmp_path):
    dump = tmp_path / "dump"
    expected = letters(dump, 80)
    (dump / "lettre040b.txt").write_bytes(KILL_MARKER + b"\n")
    case_dir = tmp_path / "case"
    script = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        sys.path[:0] = {sys.path!r}
        import breachscope.pipeline as pipeline
        from breachscope.case import Case
        from test_pipeline_task_batches import killing_task
        pipeline.BATCH_RESULTS = 10
        with Case({str(case_dir)!r}) as case:
            pipeline.scan([Path({str(dump)!r})], case, workers=1, task=killing_task)
    """)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent)}
    log = tmp_path / "killed-scan.log"
    with log.open("wb") as out:  # not a pipe: the orphaned worker may hold it a while
        done = subprocess.run([sys.executable, "-c", script], env=env, timeout=300,
                              stdout=out, stderr=out)
    assert done.returncode == -signal.SIGKILL, log.read_text(errors="replace")[-2000:]
    with Case(case_dir) as case:
        before = case.db.execute("SELECT count(*) FROM contents").fetchone()[0]
        assert before < 81  # the kill lost what was in flight
        summary = scan([dump], case, workers=1)
        assert summary.n_scanned == 81 - before
        nirs = dict(case.db.execute(
            "SELECT f.path, x.value FROM findings x JOIN files f USING (sha256) "
            "WHERE x.entity = 'NIR'").fetchall())
        assert nirs == expected
        assert case.db.execute(
            "SELECT count(*) - count(DISTINCT (sha256, location, entity, value)) "
            "FROM findings").fetchone()[0] == 0
        assert case.db.execute(
            "SELECT count(*) FROM contents WHERE status <> 'scanned'").fetchone()[0] == 0


@pytest.mark.slow
def test_batches_on_ray_store_what_local_tasks_store_and_a_crash_fails_alone(
        tmp_path, monkeypatch, batch_sizes):
    ray = pytest.importorskip("ray")
    from breachscope.executors.ray_executor import RayExecutor

    dump = tmp_path / "dump"
    expected = letters(dump, 40)
    (dump / "lettre020b.txt").write_bytes(KILL_MARKER + b"\n")
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # crashing_task
    with RayExecutor(workers=1) as executor, Case(tmp_path / "ray") as case:
        scan([dump], case, workers=1, task=crashing_task, executor=executor)
        on_ray = outcome(case)
        rows = _statuses(case)
    assert any("lettre020b.txt" in batch and len(batch) > 1 for batch in batch_sizes)
    assert rows["lettre020b.txt"].startswith("failed:worker process died")
    assert all(rows[name] == "scanned:" for name in expected)
    monkeypatch.setattr(pipeline, "TASK_FILES", 1)
    with Case(tmp_path / "local") as case:
        scan([dump], case, workers=1, task=crashing_task)
        local = outcome(case)
    # The same, but for the exit code in the crashed file's reason (Ray does not give it).
    for stored in (on_ray, local):
        stored["contents"] = [(*row[:3], (row[3] or "").split(" (exit code")[0], row[4])
                              for row in stored["contents"]]
    assert on_ray == local
