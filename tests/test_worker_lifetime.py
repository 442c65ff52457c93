"""Workers stop when the main process dies (issue 12: after a ``kill -9`` of the scan, workers
went on for 20 s, writing results nobody would store)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

SCRIPT = '''
import sys
import time
from pathlib import Path

from breachscope.case import Case
from breachscope.pipeline import scan


def busy_task(path, file_type, work_dir, settings, depth=0):
    """A parser busy for ever (the scan is killed while its workers are at work); like a
    parser in native code, it reacts to no signal it could block."""
    import os
    import signal

    signal.pthread_sigmask(signal.SIG_BLOCK, set(signal.Signals))
    started = Path(os.environ["BREACHSCOPE_TEST_STARTED"]) / str(os.getpid())
    started.write_text("at work", encoding="utf-8")
    while True:
        time.sleep(0.1)


if __name__ == "__main__":
    with Case(Path(sys.argv[2])) as case:
        scan([Path(sys.argv[1])], case, workers=2, task=busy_task)
'''


# Run by a harness process that makes itself the "subreaper" of its descendants: orphaned
# workers are then re-parented to it, not to the machine's init (which, in some sandboxes,
# kills orphans within seconds and would hide the bug). It starts the scan, waits for both
# workers to be at work, kills the scan with SIGKILL, then reaps and polls.
HARNESS = '''
import ctypes, json, os, signal, subprocess, sys, time
import psutil

PR_SET_CHILD_SUBREAPER = 36
ctypes.CDLL("libc.so.6").prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
script, dump, case, started = sys.argv[1:5]
os.environ["BREACHSCOPE_TEST_STARTED"] = started


def workers(parent):
    try:
        children = psutil.Process(parent).children()
    except psutil.Error:
        return []
    return [c for c in children if any("spawn_main" in a for a in c.cmdline())]


def reap():
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass


def alive(pids):
    reap()
    return [p for p in pids if psutil.pid_exists(p)
            and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]


main = subprocess.Popen([sys.executable, script, dump, case], stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL)
deadline = time.monotonic() + 120
while len(os.listdir(started)) < 2 and time.monotonic() < deadline:
    time.sleep(0.2)  # until both workers are inside a task
pids = [w.pid for w in workers(main.pid)]
at_work = sorted(int(name) for name in os.listdir(started))
os.kill(main.pid, signal.SIGKILL)
main.wait()
deadline = time.monotonic() + 20  # generous: the parent-death signal acts at once
while alive(pids) and time.monotonic() < deadline:
    time.sleep(0.2)
left = alive(pids)
for p in left:
    os.kill(p, signal.SIGKILL)
print(json.dumps({"workers": pids, "at_work": at_work, "left": left}))
'''


@pytest.mark.slow
def test_workers_end_when_the_main_process_is_killed(tmp_path):
    dump = tmp_path / "dump"
    dump.mkdir()
    for i in range(4):
        (dump / f"list{i}.csv").write_text(f"Nom;Prénom\nNOM{i};Jean\n", encoding="utf-8")
    script = tmp_path / "scan_for_ever.py"
    script.write_text(SCRIPT, encoding="utf-8")
    harness = tmp_path / "harness.py"
    harness.write_text(HARNESS, encoding="utf-8")
    started = tmp_path / "started"
    started.mkdir()
    done = subprocess.run(
        [sys.executable, str(harness), str(script), str(dump), str(tmp_path / "case"),
         str(started)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=True)
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(outcome["workers"]) == 2, outcome
    assert outcome["at_work"] == sorted(outcome["workers"])
    assert outcome["left"] == [], outcome
