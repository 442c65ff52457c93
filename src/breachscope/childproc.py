"""Programs run by a worker (tesseract, antiword, catdoc, mdbtools, unar) die with it.

A worker stopped by the hard time limit, the memory watchdog or a crash is killed with
``SIGKILL``; its children would go on reading hostile bytes (and writing an export) with no one
to wait for them. On Linux the kernel can send a signal to a process when its parent dies
(``PR_SET_PDEATHSIG``). Setting it from Python in the child needs ``preexec_fn``, which is
unsafe in a process with threads (the worker has its parent-watch thread), so the command is
run through util-linux's ``setpriv --pdeathsig KILL``, which sets it and then execs the
program: same process, same arguments, no shell. Where ``setpriv`` is missing (not Linux),
the command runs as is.
"""

from __future__ import annotations

import functools
import shutil
import sys


@functools.cache
def _setpriv() -> str | None:
    if not sys.platform.startswith("linux"):
        return None
    return shutil.which("setpriv", path="/usr/bin:/bin")


def dies_with_parent(command: list[str]) -> list[str]:
    """``command`` run so that it is killed when the process starting it dies."""
    setpriv = _setpriv()
    if setpriv is None or not command or shutil.which(command[0]) is None:
        return list(command)  # a missing program still fails with OSError, as callers expect
    return [setpriv, "--pdeathsig", "KILL", "--", *command]
