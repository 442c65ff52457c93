"""The Ray executor (issue 15): a scan with ``--executor ray`` on a Ray instance started on
this machine stores exactly what a local scan stores, and the worker's protections (offline
guard, temporary files in the case, address-space backstop, hard time limit) apply in Ray's
worker processes. Skipped only where Ray is not installed (``breachscope[ray]``)."""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import sys
import tempfile
import zipfile
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

import pytest
from typer.testing import CliRunner

from breachscope import memwatch
from breachscope.cli import app
from breachscope.worker import ContentResult

# Each test starts a Ray instance (7-10 s): left out of the fast subset (docs/testing.md).
pytestmark = pytest.mark.slow

PATIENTS = (
    "nom,prenom,date_naissance,nir,telephone,email\n"
    "DUPONT,Marie,12/03/1975,2 75 03 75 112 345 67,06 12 34 56 78,marie.dupont@example.fr\n"
    "MARTIN,Paul,01/02/1960,1 60 02 13 055 123 45,07 98 76 54 32,paul.martin@example.org\n"
)
LETTER = (
    "Cher confrère,",
    "Je vous adresse Mme Marie DUPONT, née le 12/03/1975, NIR 2 75 03 75 112 345 67, suivie "
    "pour un diabète de type 2 (E11). Tél 06 12 34 56 78.",
    "Bien à vous, Dr Jean Durand",
)


def _dump(root: Path) -> Path:
    """A CSV export, a DOCX letter, a two-page fax (its pages OCR'd by tasks of their own)
    and a zip with a staff table and a note."""
    import docx
    from samples import scans

    dump = root / "dump"
    dump.mkdir()
    (dump / "patients.csv").write_text(PATIENTS, encoding="utf-8")
    document = docx.Document()
    for line in LETTER:
        document.add_paragraph(line)
    document.save(str(dump / "lettre.docx"))
    scans.make_tiff(dump / "fax.tif")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("export/staff.csv", "nom,prenom,email,telephone\n"
                    "DURAND,Jean,jean.durand@chu-exemple.fr,01 23 45 67 89\n")
        zf.writestr("notes/cr.txt", "Compte rendu : patient Paul MARTIN né le 01/02/1960, "
                    "VIH (B20), tél 07 98 76 54 32.\n")
    (dump / "backup.zip").write_bytes(buf.getvalue())
    return dump


def _scan_and_export(runner: CliRunner, dump: Path, case: Path, out: Path,
                     *options: str) -> dict[str, list[str]]:
    res = runner.invoke(app, ["scan", str(dump), "--case", str(case), "--workers", "2",
                              *options])
    assert res.exit_code == 0, res.output
    exports = {}
    for what in ("files", "findings", "people"):
        target = out / f"{case.name}-{what}.csv"
        res = runner.invoke(app, ["export", "--case", str(case), "--what", what,
                                  "--format", "csv", "-o", str(target)])
        assert res.exit_code == 0, res.output
        exports[what] = sorted(target.read_text(encoding="utf-8").splitlines())
    return exports


@pytest.fixture(scope="module")
def two_scans(tmp_path_factory):
    pytest.importorskip("ray")
    work = tmp_path_factory.mktemp("ray-scan")
    dump = _dump(work)
    runner = CliRunner()
    ray_exports = _scan_and_export(runner, dump, work / "case_ray", work,
                                   "--executor", "ray")
    local_exports = _scan_and_export(runner, dump, work / "case_local", work)
    return ray_exports, local_exports


def test_ray_scan_stores_what_a_local_scan_stores(two_scans):
    ray_exports, local_exports = two_scans
    for what in ("files", "findings", "people"):
        assert ray_exports[what] == local_exports[what], what
    # The comparison is not between two empty cases: every file, the zip's members
    # included, was scanned, and the patients were found.
    files = list(csv.DictReader(io.StringIO("\n".join(_header_first(ray_exports["files"])))))
    by_name = {row["file"]: row for row in files}
    for name in ("patients.csv", "lettre.docx", "fax.tif", "backup.zip",
                 "backup.zip!/export/staff.csv", "backup.zip!/notes/cr.txt"):
        assert by_name[name]["status"] == "scanned", name
    findings = "\n".join(ray_exports["findings"])
    assert "marie.dupont@example.fr" in findings
    # the fax's pages were OCR'd by tasks of their own, on Ray
    assert any(line.startswith('fax.tif,"page 2, line ') for line in ray_exports["findings"])
    assert "jean.durand@chu-exemple.fr" in findings
    assert len(ray_exports["people"]) >= 3  # header + people


def _header_first(lines: list[str]) -> list[str]:
    header = [line for line in lines if line.startswith("file,")]
    return header + [line for line in lines if not line.startswith("file,")]


def test_ray_executor_without_ray_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray fails
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "a.txt").write_text("rien\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["scan", str(dump), "--case", str(tmp_path / "case"),
                                   "--executor", "ray"])
    assert res.exit_code == 2
    assert "breachscope[ray]" in res.output
    assert not (tmp_path / "case").exists()


_TOKEN_PROBE = """
import os, pathlib, sys
from breachscope.executors.ray_executor import RayExecutor
with RayExecutor(workers=1) as executor:
    from ray._raylet import AuthenticationMode, get_authentication_mode
    token_auth = get_authentication_mode() == AuthenticationMode.TOKEN
    answer = executor.ray.get(executor.ray.remote(lambda: 42).remote(), timeout=120)
print(token_auth, answer, (pathlib.Path.home() / ".ray" / "auth_token").exists())
"""


def test_local_ray_instance_token_is_not_left_in_a_file(tmp_path):
    """A private instance keeps token authentication, with a token of its own that no other
    account of the machine can read: Ray would write one to ``~/.ray/auth_token``, mode 0644.
    Run in a new process with an empty home (Ray caches the first token a process reads)."""
    import subprocess

    pytest.importorskip("ray")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_AUTH")}
    env["HOME"] = str(tmp_path)
    out = subprocess.run([sys.executable, "-c", _TOKEN_PROBE], env=env, capture_output=True,
                         text=True, timeout=300, check=True).stdout.split()
    assert out[-3:] == ["True", "42", "False"]  # token auth on, tasks run, no token file
    assert not (tmp_path / ".ray").exists() or not any((tmp_path / ".ray").iterdir())


# -- the worker's protections in Ray worker processes ------------------------------------------

def probe() -> ContentResult:
    """Run in a Ray worker (after the worker set-up): what it sees, as JSON in the reason."""
    import resource

    try:
        socket.create_connection(("127.0.0.1", 9), timeout=1)
        network = "allowed"
    except PermissionError:
        network = "forbidden"
    except OSError:
        network = "allowed"  # refused by the peer: the socket was made
    return ContentResult("scanned", json.dumps({
        "network": network, "tmp": tempfile.gettempdir(),
        "rlimit_as": resource.getrlimit(resource.RLIMIT_AS)[0], "pid": os.getpid(),
        "rss_mb": memwatch.resident_bytes() // (1024 * 1024)}))


def stuck(seconds: float) -> ContentResult:
    import time

    time.sleep(seconds)
    return ContentResult("scanned")


def hog() -> ContentResult:
    """Fills memory (in Python, so the limit's signal can stop it): 2 GB unless stopped."""
    import time

    held = []
    for _ in range(200):
        held.append(bytearray(10 * 1024 * 1024))
        time.sleep(0.02)
    return ContentResult("scanned", "not stopped")


def _seen(result: ContentResult) -> dict[str, object]:
    return json.loads(result.reason or "{}")


@pytest.fixture(scope="module")
def ray_executor():
    ray = pytest.importorskip("ray")
    from breachscope.executors.ray_executor import RayExecutor

    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    with RayExecutor(workers=1) as executor:
        yield executor


def test_ray_workers_run_under_the_worker_set_up(ray_executor, tmp_path):
    temp_dir = tmp_path / "work" / "tmp"
    pool = ray_executor.pool(1, (512, object(), str(temp_dir), os.getpid(), None))
    try:
        seen = _seen(pool.schedule(probe, timeout=60).result(timeout=120))
    finally:
        pool.stop()
        pool.join(5)
    assert seen["network"] == "forbidden"
    assert seen["tmp"] == str(temp_dir)
    # The address-space backstop: 4 x the limit above what a Ray worker reserves at start.
    assert 4 * 512 * 1024 * 1024 < seen["rlimit_as"] < 16 * 1024 ** 3
    assert seen["pid"] != os.getpid()


def test_local_ray_instance_listens_on_loopback_only(ray_executor):
    """The instance started for a scan is reachable from this machine only."""
    import psutil

    ray_pids = {p.pid for p in psutil.Process().children(recursive=True)}
    listening = [c for c in psutil.net_connections(kind="inet")
                 if c.status == psutil.CONN_LISTEN and c.pid in ray_pids]
    assert listening  # Ray's servers were found: the check below is not vacuous
    for conn in listening:
        assert conn.laddr.ip in ("127.0.0.1", "::ffff:127.0.0.1", "::1"), conn.laddr


def test_ray_task_past_its_hard_limit_is_cancelled(ray_executor, tmp_path):
    pool = ray_executor.pool(1, (0, None, str(tmp_path / "tmp"), None, None))
    try:
        future = pool.schedule(stuck, args=(600,), timeout=2)
        with pytest.raises(FutureTimeout):
            future.result(timeout=120)
        # The pool goes on: the next task runs (in a new worker process).
        after = _seen(pool.schedule(probe, timeout=60).result(timeout=120))
        assert after["network"] == "forbidden"
    finally:
        pool.stop()
        pool.join(5)


def test_hard_limit_counts_from_when_a_task_is_handed_to_ray(ray_executor, tmp_path):
    """A content waiting behind a slow one (one slot) keeps its whole time limit, as in a
    pebble pool whose limit counts from when a worker takes the task."""
    pool = ray_executor.pool(1, (0, None, str(tmp_path / "tmp"), None, None))
    try:
        slow = pool.schedule(stuck, args=(6,), timeout=60)
        waiting = pool.schedule(probe, timeout=5)  # waits ~6 s, runs in well under 5 s
        assert slow.result(timeout=120).status == "scanned"
        assert _seen(waiting.result(timeout=120))["network"] == "forbidden"
    finally:
        pool.stop()
        pool.join(5)


def test_ray_task_over_the_memory_limit_is_stopped(ray_executor, tmp_path):
    # The limit is sized from the worker's own resident base (a Ray worker with the extractors
    # and gazetteers loaded holds 200-300 MB before any task, more on some machines): a fixed
    # small limit made the task a "recycle" (base over 3/4 of the limit), not a memory stop.
    sizing = ray_executor.pool(1, (0, None, str(tmp_path / "tmp"), None, None))
    try:
        base_mb = int(_seen(sizing.schedule(probe, timeout=60).result(timeout=120))["rss_mb"])
    finally:
        sizing.stop()
        sizing.join(5)
    pool = ray_executor.pool(1, (base_mb * 2 + 300, None, str(tmp_path / "tmp"), None, None))
    try:
        result = pool.schedule(hog, timeout=60).result(timeout=120)
        assert (result.status, result.limit_hit) == ("failed", "memory")
        # The worker gave its memory back and goes on.
        assert _seen(pool.schedule(probe, timeout=60).result(timeout=120))["pid"]
    finally:
        pool.stop()
        pool.join(5)
