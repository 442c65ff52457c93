"""A small leak (two CSV exports) scanned through the CLI, and the review server started as a
real process (``breachscope serve``), for the web UI's tests."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path


def nir(first13: str) -> str:
    """A NIR with its valid key (97 - n mod 97)."""
    return first13 + f"{97 - int(first13) % 97:02d}"


NIR_DUPONT = nir("2540375123456")
NIR_MARTIN = nir("1600775123456")

PATIENTS = f"""nom,prenom,date_naissance,nir,telephone,email,service
DUPONT,Marie,1954-03-12,{NIR_DUPONT},0612345678,marie.dupont@orange.fr,cardiologie
MARTIN,Jean,1960-07-01,{NIR_MARTIN},0698765432,jean.martin@free.fr,psychiatrie
DURAND,Paul,1971-11-23,,0611223344,paul.durand@gmail.com,urgences
"""
RDV = """nom,prenom,naissance,telephone,date_rdv
DUPONT,Marie,12/03/1954,06 12 34 56 78,2024-01-05
MARTIN,Jean,01/07/1960,06 98 76 54 32,2024-02-11
"""
WAVE2 = """nom,prenom,date_naissance,telephone
LEROY,Claire,1982-05-30,0755443322
"""


def write_leak(leak: Path) -> None:
    leak.mkdir(parents=True, exist_ok=True)
    (leak / "patients.csv").write_text(PATIENTS, encoding="utf-8")
    (leak / "rdv.csv").write_text(RDV, encoding="utf-8")


CLI = "import sys; from breachscope.cli import run; sys.argv[0] = 'breachscope'; run()"


def cli(*args: str) -> subprocess.CompletedProcess:
    """The CLI in a process of its own: a scan forbids Internet sockets in its process
    (breachscope.offline), which would stop this test's browser and server."""
    return subprocess.run([sys.executable, "-c", CLI, *args], capture_output=True, text=True,
                          timeout=300)


def scan(leak: Path, case: Path) -> None:
    res = cli("scan", str(leak), "--case", str(case), "--workers", "1")
    assert res.returncode == 0, res.stderr


@dataclass
class Server:
    proc: subprocess.Popen
    url: str  # the one-time URL, with the token
    base: str
    token: str
    out: Path
    err: Path

    def stop(self) -> tuple[str, str]:
        """Stop the server (Ctrl+C) and return what it wrote on stdout and stderr."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return (self.out.read_text(encoding="utf-8", errors="replace"),
                self.err.read_text(encoding="utf-8", errors="replace"))


def start_server(case: Path, logs: Path, *extra: str) -> Server:
    """``breachscope serve --case CASE --port N`` in a process of its own."""
    logs.mkdir(parents=True, exist_ok=True)
    n = len(list(logs.glob("out-*.txt")))
    out, err = logs / f"out-{n}.txt", logs / f"err-{n}.txt"
    with out.open("wb") as o, err.open("wb") as e:
        proc = subprocess.Popen(
            [sys.executable, "-c", CLI, "serve", "--case", str(case), "--port", "0",
             *extra], stdout=o, stderr=e)
    deadline = time.monotonic() + 60
    url = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {err.read_text(errors='replace')}")
        m = re.search(r"(http://127\.0\.0\.1:\d+/\?token=([\w-]+))", out.read_text())
        if m:  # printed once the port is bound and listening
            url = m.group(1)
            break
        time.sleep(0.1)
    assert url, "the server did not start"
    token = url.split("token=", 1)[1]
    return Server(proc, url, url.split("/?", 1)[0], token, out, err)
