"""A scan records where its time went (``meta.scan_stages``) and gives the workers' memory back
before it resolves people."""

from __future__ import annotations

import json
from pathlib import Path

import psutil
import pytest

from breachscope import pipeline
from breachscope.case import Case


def _live_workers() -> list[psutil.Process]:
    """Child processes still running, multiprocessing's resource tracker apart (a stopped
    worker not reaped yet is a zombie: ended)."""
    out = []
    for child in psutil.Process().children(recursive=True):
        try:
            if child.status() == psutil.STATUS_ZOMBIE:
                continue
            if "resource_tracker" in " ".join(child.cmdline()):
                continue
        except psutil.Error:  # ended meanwhile
            continue
        out.append(child)
    return out


def test_stages_are_recorded_and_workers_are_gone_before_people(tmp_path: Path,
                                                                monkeypatch) -> None:
    dump = tmp_path / "dump"
    dump.mkdir()
    for i in range(4):
        (dump / f"liste{i}.csv").write_text(
            "NOM;PRENOM;DATE_NAISSANCE;TEL\nDUPONT;Marie;12/03/1950;0612345678\n"
            f"MARTIN;Paul;01/02/1960;06123456{i:02d}\n", encoding="utf-8")
    children_at_people: list[int] = []
    rebuild = pipeline.rebuild_people
    # Processes other tests left running (Ray's, a JVM) are not this scan's workers.
    before = {p.pid for p in _live_workers()}

    def watched(case: Case) -> None:
        children_at_people.append(len([p for p in _live_workers() if p.pid not in before]))
        rebuild(case)

    monkeypatch.setattr(pipeline, "rebuild_people", watched)
    with Case(tmp_path / "case") as case:
        summary = pipeline.scan([dump], case, workers=1)
        stages = json.loads(case.db.execute(
            "SELECT value FROM meta WHERE key = 'scan_stages'").fetchone()[0])
    assert summary.n_scanned == 4
    assert children_at_people == [0]  # the pool stopped: no worker process left
    assert set(stages) >= {"files_s", "people_s", "relate_s", "assess_s"}
    assert all(v >= 0 for v in stages.values())
    assert stages["files_s"] <= summary.seconds


def test_a_stage_that_stops_the_scan_leaves_the_durations_before_it(tmp_path: Path,
                                                                    monkeypatch) -> None:
    """People resolution out of spill space stopped the 10 GB scan after 45 minutes of
    files: that duration is recorded as each stage ends, not only at the end."""
    from breachscope.resolve.spill import SpillCapReached

    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "liste.csv").write_text("NOM;PRENOM\nDUPONT;Marie\n", encoding="utf-8")

    def out_of_spill(case: Case) -> None:
        raise SpillCapReached("people resolution: the spill folder spill reached its cap")

    monkeypatch.setattr(pipeline, "relate_case", out_of_spill)
    with Case(tmp_path / "case") as case:
        with pytest.raises(SpillCapReached):
            pipeline.scan([dump], case, workers=1)
        stages = json.loads(case.db.execute(
            "SELECT value FROM meta WHERE key = 'scan_stages'").fetchone()[0])
        assert case.people_stale()  # the next scan resolves again
    assert set(stages) == {"files_s", "suppress_s", "people_s", "structure_s"}


def test_relations_and_assessment_spill_under_the_cap(tmp_path: Path, monkeypatch) -> None:
    """Relating tables and assessing people join every table row: their spill is capped as
    resolution's (at 10 GB, relating spilled 19 GB before it was stopped by hand), and a
    query reaching the cap stops the scan with a sentence naming the stage."""
    import duckdb

    from breachscope.resolve.spill import SPILL_LIMIT_ENV, SpillCapReached

    monkeypatch.setenv(SPILL_LIMIT_ENV, "123MiB")
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "liste.csv").write_text("NOM;PRENOM\nDUPONT;Marie\n", encoding="utf-8")
    caps: dict[str, str] = {}
    relate = pipeline.relate_case

    def watched_relate(case: Case) -> None:
        caps["relate"], caps["ordered"] = case.db.execute(
            "SELECT current_setting('max_temp_directory_size'), "
            "current_setting('preserve_insertion_order')").fetchone()
        relate(case)

    def assess_out_of_spill(case: Case) -> None:
        caps["assess"] = case.db.execute(
            "SELECT current_setting('max_temp_directory_size')").fetchone()[0]
        # DuckDB's own error when a query passes max_temp_directory_size
        raise duckdb.OutOfMemoryException(
            "failed to offload data block of size 256.0 KiB (max_temp_directory_size)")

    monkeypatch.setattr(pipeline, "relate_case", watched_relate)
    monkeypatch.setattr(pipeline, "assess_case", assess_out_of_spill)
    with Case(tmp_path / "case") as case:
        with pytest.raises(SpillCapReached, match=r"^assessing people: the spill folder spill "
                                                  r"reached its cap of 123\.0 MiB"):
            pipeline.scan([dump], case, workers=1)
        after = case.db.execute("SELECT current_setting('max_temp_directory_size'), "
                                "current_setting('preserve_insertion_order')").fetchone()
    # ... and without insertion order (a table written need not keep its rows' order, which
    # held them in memory: out of memory at 10 GB)
    assert caps == {"relate": "123.0 MiB", "ordered": False, "assess": "123.0 MiB"}
    assert after[0] != "123.0 MiB" and after[1] is True  # restored once the stage is over
