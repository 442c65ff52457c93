"""A batch task (worker/batch.py) gives each of its files the result that file gets as a task of
its own: status, reason, findings, records; with the names' spaCy pass run once over the batch.
A file that hits its time limit fails alone; after a memory limit the batch stops and hands the
rest back; a file whose type a batch does not read is handed back unread."""

from __future__ import annotations

import io
import sys
import time
import zipfile
from pathlib import Path

import pytest

from breachscope.detect import names
from breachscope.settings import ScanSettings
from breachscope.worker import ContentResult, process_content
from breachscope.worker.batch import process_batch
from breachscope.worker.model import NOT_BATCHED

ROOT = Path(__file__).resolve().parents[2]
SLOW_MARKER = "BREACHSCOPE-TEST-SLOW-PARSER"
HOG_MARKER = "BREACHSCOPE-TEST-MEMORY-LIMIT"


@pytest.fixture(scope="module")
def small_files(tmp_path_factory) -> list[Path]:
    """The demo leak's small files (letters, notes, CSV and JSON exports, a workbook, zips)
    and the accuracy bench's generated documents (letters whose names need spaCy, CSV, mail)."""
    from breachscope.demo import generate_leak

    work = tmp_path_factory.mktemp("batch")
    generate_leak(work / "demo", seed=11, n_patients=60, n_staff=10)
    sys.path.insert(0, str(ROOT / "bench" / "accuracy"))
    try:
        import generate  # the accuracy bench's corpus generator

        generate.generate(work / "acc", n_docs=60, seed=3)
    finally:
        sys.path.remove(str(ROOT / "bench" / "accuracy"))
    files = sorted(p for p in (work / "demo" / "leak").rglob("*") if p.is_file())
    files += sorted(p for p in (work / "acc").rglob("*") if p.is_file())
    return [p for p in files if p.stat().st_size <= 64 * 1024]


def outcome(result: ContentResult) -> tuple[object, ...]:
    """What the store keeps of a result (not its timing nor where its rows were)."""
    return (result.status, result.reason, result.file_type, result.n_units, result.n_findings,
            result.n_records, result.limit_hit,
            [(m.name, m.status, m.sha256) for m in result.members],
            [(c.unit, c.col_index, c.label) for c in result.columns],
            *(None if result.table(kind) is None else result.table(kind).to_pylist()
              for kind in ("findings", "records", "row_keys")))


def test_a_batch_gives_each_file_its_own_result(small_files, tmp_path):
    settings = ScanSettings()
    alone = [outcome(process_content(str(p), None, str(tmp_path / "a"), settings))
             for p in small_files]
    names._PER_CACHE.clear()  # spaCy runs on the batch's windows, not from the cache
    batch = process_batch(process_content, [(str(p), None, 0) for p in small_files],
                          str(tmp_path / "b"), settings)
    handed_back = [p.name for p, r in zip(small_files, batch.results, strict=True)
                   if r.limit_hit == NOT_BATCHED]
    assert len(batch.results) == len(small_files)
    assert sorted(handed_back) == ["gap_sauvegarde_20240210.zip", "patients_nir.xlsx",
                                   "retrocession_2023.sql", "sauvegarde_2022.zip"]
    for path, one, result in zip(small_files, alone, batch.results, strict=True):
        if result.limit_hit != NOT_BATCHED:
            assert outcome(result) == one, path.name
    assert sum(r.n_findings for r in batch.results) > 500  # the comparison compares something


@pytest.mark.skipif(names._nlp() is None, reason="no spaCy model")
def test_the_names_spacy_pass_runs_once_per_batch(small_files, tmp_path, monkeypatch):
    calls: list[int] = []
    people = names._people

    def counting(nlp, windows):
        calls.append(len(windows))
        return people(nlp, windows)

    monkeypatch.setattr(names, "_people", counting)
    texts = [p for p in small_files if p.suffix == ".txt"]
    names._PER_CACHE.clear()
    for path in texts:
        process_content(str(path), None, str(tmp_path), ScanSettings())
    one_by_one = len(calls)
    calls.clear()
    names._PER_CACHE.clear()
    process_batch(process_content, [(str(p), None, 0) for p in texts], str(tmp_path),
                  ScanSettings())
    assert one_by_one > 5 and calls and len(calls) == 1


def _marked_partition(real):
    """``partition``, slow (past any small time limit) or over the memory limit on the
    marked files, as a parser stuck on one file would be."""
    from breachscope.memwatch import TaskMemoryLimit

    def partition(path, file_type):
        head = Path(path).read_bytes()[:64]
        if head.startswith(SLOW_MARKER.encode()):
            time.sleep(30)  # the per-file time limit (SIGALRM) stops it
        if head.startswith(HOG_MARKER.encode()):
            raise TaskMemoryLimit
        return real(path, file_type)

    return partition


def _dump(root: Path, marked: dict[int, str]) -> list[Path]:
    root.mkdir()
    paths = []
    for i in range(6):
        path = root / f"lettre{i}.txt"
        text = marked.get(i, f"Mme DUPONT Marie, tél. 06 12 34 56 7{i}, née le 12/03/1954\n")
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def test_a_file_past_its_time_limit_fails_alone_in_its_batch(tmp_path, monkeypatch):
    from breachscope.extract import dispatch

    monkeypatch.setattr(dispatch, "partition", _marked_partition(dispatch.partition))
    paths = _dump(tmp_path / "dump", {2: SLOW_MARKER + "\n"})
    settings = ScanSettings(timeout=1.0)
    started = time.monotonic()
    batch = process_batch(process_content, [(str(p), None, 0) for p in paths],
                          str(tmp_path / "work"), settings)
    assert time.monotonic() - started < 25  # stopped by the limit, not by the sleep's end
    statuses = [(r.status, r.reason, r.limit_hit) for r in batch.results]
    assert statuses[2] == ("failed", "time limit exceeded (1 s)", "time")
    others = [r for i, r in enumerate(batch.results) if i != 2]
    assert [r.status for r in others] == ["scanned"] * 5
    for i, result in enumerate(batch.results):
        if i != 2:
            alone = process_content(str(paths[i]), None, str(tmp_path / "alone"), settings)
            assert outcome(result) == outcome(alone)
            assert result.n_findings >= 2  # the phone and the birth date at least


def test_after_a_memory_limit_the_batch_stops_and_hands_the_rest_back(tmp_path, monkeypatch):
    from breachscope.extract import dispatch

    monkeypatch.setattr(dispatch, "partition", _marked_partition(dispatch.partition))
    paths = _dump(tmp_path / "dump", {3: HOG_MARKER + "\n"})
    batch = process_batch(process_content, [(str(p), None, 0) for p in paths],
                          str(tmp_path / "work"), ScanSettings(memory_limit_mb=500))
    assert len(batch.results) == 4  # files 4 and 5: the pipeline runs them alone
    assert [r.status for r in batch.results[:3]] == ["scanned"] * 3
    assert batch.results[3].status == "failed"
    assert batch.results[3].limit_hit == "memory"
    assert batch.results[3].reason == "memory limit exceeded (500 MB per worker)"


def test_a_file_of_a_type_a_batch_does_not_read_is_handed_back_unread(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("liste.csv", "Nom;Prénom\nDUPONT;Jean\n")
    (tmp_path / "notes.txt").write_bytes(buf.getvalue())  # a zip, whatever its name
    (tmp_path / "ok.txt").write_text("tél. 06 12 34 56 78\n", encoding="utf-8")
    batch = process_batch(process_content,
                          [(str(tmp_path / "notes.txt"), None, 0),
                           (str(tmp_path / "ok.txt"), None, 0)],
                          str(tmp_path / "work"), ScanSettings())
    zipped, ok = batch.results
    assert zipped.limit_hit == NOT_BATCHED and not zipped.members
    assert ok.status == "scanned" and ok.n_findings == 1
    assert not (tmp_path / "work" / "blobs").exists()  # nothing of the zip was expanded
