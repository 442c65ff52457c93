"""The scan loop survives a worker process dying, and stores the other contents."""

from __future__ import annotations

import os
from pathlib import Path

from breachscope.case import Case
from breachscope.pipeline import scan
from breachscope.worker import ContentResult, process_content

KILL_MARKER = b"BREACHSCOPE-TEST-KILL-WORKER"


def crashing_task(path: str, file_type: str) -> ContentResult:
    """Like the real task, but the worker process dies abruptly on a marked file (as a
    segfault in a native parser or the OOM killer would kill it)."""
    if Path(path).read_bytes().startswith(KILL_MARKER):
        os._exit(139)
    return process_content(path, file_type)


def test_a_worker_that_dies_fails_its_file_alone(tmp_path):
    dump = tmp_path / "dump"
    dump.mkdir()
    for i, name in enumerate(["DUPONT", "MARTIN", "LEROY", "PETIT", "MOREAU"]):
        (dump / f"list{i}.csv").write_text(
            f"Nom;Prénom;Date de naissance\n{name};Jean;0{i + 1}/02/1970\n", encoding="utf-8")
    (dump / "killer.txt").write_bytes(KILL_MARKER + b"\n")
    with Case(tmp_path / "case") as case:
        summary = scan([dump], case, workers=2, task=crashing_task)
        rows = dict(case.db.execute(
            "SELECT f.path, c.status || ':' || coalesce(c.reason, '') "
            "FROM files f JOIN contents c USING (sha256)").fetchall())
    assert summary.n_scanned == 6
    assert rows["killer.txt"].startswith("failed:worker process died")
    assert all(rows[f"list{i}.csv"] == "scanned:" for i in range(5))
    assert summary.n_people == 5
