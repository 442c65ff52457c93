"""Programs a worker runs die with it (``setpriv --pdeathsig KILL``)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from breachscope.childproc import dies_with_parent

PARENT = """
import subprocess, sys, time
from breachscope.childproc import dies_with_parent
child = subprocess.Popen(dies_with_parent(["sleep", "300"]))
print(child.pid, flush=True)
time.sleep(300)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_child_program_is_killed_with_its_parent() -> None:
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True)
    child_pid = int(parent.stdout.readline())
    child = psutil.Process(child_pid)
    deadline = time.monotonic() + 20
    while child.name() != "sleep" and time.monotonic() < deadline:
        time.sleep(0.02)  # setpriv sets the signal, then execs the program in place
    assert child.name() == "sleep" and child.ppid() == parent.pid
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if not child.is_running() or child.status() == psutil.STATUS_ZOMBIE:
            break
        time.sleep(0.05)
    else:
        child.kill()
        pytest.fail("the program outlived the process that started it")


def test_a_missing_program_is_left_to_fail_as_before() -> None:
    command = ["/nonexistent/tool", "-x"]
    assert dies_with_parent(command) == command
    with pytest.raises(OSError):
        subprocess.run(dies_with_parent(command), check=False)
