"""Running a helper program (antiword, catdoc, mdbtools) on a hostile file, its output read
as it comes through a pipe: never written to a file, so no extracted text lies in the work
area, not even for a moment (an encrypted case stays encrypted on disk).

:class:`Program` starts the program with an argument list (no shell), no standard input, a
minimal environment, the temporary folder (``TMPDIR``, the case's work area) as working
directory and its standard error in an anonymous temporary file (matched against known
messages only: it may quote the file). A timer kills it past its time limit; reading stops
and kills it past an output cap. A file given as ``/proc/self/fd/N`` (a decrypted document
held in memory, see :mod:`breachscope.extract.office_crypto`) is passed on to the program as
its descriptor ``N``, so it opens the same in-memory file.
"""

from __future__ import annotations

import codecs
import re
import subprocess
import tempfile
import threading
from collections.abc import Iterator

from breachscope.childproc import dies_with_parent
from breachscope.extract.units import ExtractionError

_OWN_FD = re.compile(r"^/proc/self/fd/(\d+)$")


class Program:
    """``with Program(command, tool, reason_prefix, timeout) as run:`` then
    :meth:`lines` and :meth:`finish`; ``stopped`` says why it was cut (time, output size),
    if it was."""

    def __init__(self, command: list[str], tool: str, prefix: str, timeout: float,
                 env: dict[str, str] | None = None) -> None:
        self.command = command
        self.tool = tool
        self.prefix = prefix  # how reasons start: "doc not read", "access not read"
        self.timeout = timeout
        self.env = env or {}
        self.stopped: str | None = None
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Program:
        work = tempfile.gettempdir()
        self.stderr = tempfile.TemporaryFile()
        env = {"HOME": work, "PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8", "TMPDIR": work,
               **self.env}
        fds = tuple(int(m.group(1)) for arg in self.command if (m := _OWN_FD.match(arg)))
        try:
            self.process = subprocess.Popen(
                dies_with_parent(self.command), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=self.stderr, cwd=work, env=env, pass_fds=fds)
        except OSError as exc:
            self.stderr.close()
            raise ExtractionError(f"{self.prefix}: cannot run {self.tool} "
                                  f"({exc.strerror or type(exc).__name__})") from None
        self.timer = threading.Timer(self.timeout, self._kill,
                                     (f"{self.tool} timed out after {self.timeout:g} s",))
        self.timer.daemon = True
        self.timer.start()
        return self

    def _kill(self, why: str) -> None:
        if self.stopped is None:
            self.stopped = why
        if self.process is not None and self.process.poll() is None:
            self.process.kill()

    def lines(self, cap: int | None = None) -> Iterator[str]:
        """The output decoded as UTF-8 (bad bytes replaced), a line at a time (with its
        ``\\n``; a line over 1 MiB comes in pieces without one); stops past ``cap`` bytes."""
        assert self.process is not None and self.process.stdout is not None
        stdout = self.process.stdout
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        size = 0
        pending = ""
        for raw in iter(lambda: stdout.readline(1 << 20), b""):
            size += len(raw)
            if cap is not None and size > cap:
                self._kill(f"output over {cap // 1024**2} MiB" if cap >= 1024**2
                           else f"output over {cap} bytes")
                return
            pending += decoder.decode(raw)
            if pending.endswith("\n") or len(pending) > 1 << 20:
                yield pending
                pending = ""
        pending += decoder.decode(b"", final=True)
        if pending:
            yield pending

    def finish(self) -> tuple[int, bytes]:
        """Wait for the program; its exit code and the head of its standard error."""
        assert self.process is not None
        code = self.process.wait()
        self.stderr.seek(0)
        return code, self.stderr.read(4096)

    def __exit__(self, *_exc: object) -> None:
        self.timer.cancel()
        if self.process is not None:
            if self.process.poll() is None:
                self.process.kill()
            self.process.wait()
            if self.process.stdout is not None:
                self.process.stdout.close()
        self.stderr.close()
