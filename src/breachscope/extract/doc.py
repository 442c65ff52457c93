"""Word 97-2003 documents (``.doc``, an OLE compound file with a ``WordDocument`` stream) →
text units, through Debian's ``antiword``.

- There is no well-kept Python reader for the binary Word format; ``antiword`` (GPL-2, a
  separate program, so its licence does not reach breachscope) is small, packaged by Debian
  and fast. It is run with :func:`subprocess.run`: an argument list (no shell), the file's
  path as an argument, a timeout (:data:`TIMEOUT`), no standard input, a minimal environment,
  and its output written to a file in a temporary directory removed afterwards. antiword is
  C code reading hostile bytes: it runs in the worker process's limits (address space, no
  network for Python; the worker's own timer), with nothing but the temporary directory
  writable by design. Macros and embedded objects are never run: antiword only reads text.
- Options: ``-m UTF-8.txt`` (output in UTF-8), ``-w 0`` (a paragraph on one line).
- Units: :class:`TextUnit` pieces of at most ``MAX_LINES`` lines, ``name`` ``""``; antiword
  starts its output with an empty line, dropped, so ``line N`` is the Nth paragraph of the
  document (empty ones included); a table row is a line, its cells separated by ``|``.
- Failures (not a Word document, encrypted, too old a format, a text stream too small for
  antiword, a crash, a timeout) become :class:`ExtractionError` with a reason antiword's
  message is mapped to, never its text.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from breachscope.extract.stream import decoded_chunks, segments
from breachscope.extract.text import text_units
from breachscope.extract.units import ExtractionError, TextUnit, extraction_error

#: Seconds antiword may run on one file.
TIMEOUT = 120
#: Output beyond this is not read (antiword's text is a fraction of the file).
MAX_OUTPUT = 512 * 1024 * 1024

# antiword's messages (stderr) → reasons. Matched in lower case; the first match wins.
_REASONS = (
    ("encrypt", "doc encrypted (password protected)"),
    ("password", "doc encrypted (password protected)"),
    ("too small", "doc not read: text stream too small for antiword"),
    ("not a word document", "doc not read: not a Word document"),
    ("written by word 1", "doc not read: Word for DOS/Windows 1-2 format"),
    ("fast saved", "doc not read: fast-saved document"),
    ("is not a word", "doc not read: not a Word document"),
)


def antiword() -> str | None:
    """Where antiword is installed, or None."""
    return shutil.which("antiword")


def partition_doc(path: Path) -> Iterator[TextUnit]:
    """Stream the text of the Word 97-2003 document at ``path``."""
    program = antiword()
    if program is None:
        raise ExtractionError("doc not read: antiword is not installed")
    with tempfile.TemporaryDirectory(prefix="breachscope-doc-") as work:
        out = Path(work) / "text.txt"
        try:
            with out.open("wb") as stdout:
                done = subprocess.run(
                    [program, "-m", "UTF-8.txt", "-w", "0", str(Path(path).absolute())],
                    stdin=subprocess.DEVNULL, stdout=stdout, stderr=subprocess.PIPE,
                    timeout=TIMEOUT, cwd=work, check=False,
                    env={"HOME": work, "PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"},
                )
        except subprocess.TimeoutExpired:
            raise ExtractionError(f"doc not read: antiword timed out after {TIMEOUT} s"
                                  ) from None
        except OSError as exc:
            raise ExtractionError(f"doc not read: cannot run antiword "
                                  f"({exc.strerror or type(exc).__name__})") from None
        if done.returncode != 0:
            raise extraction_error(_reason(done.returncode, done.stderr))
        if out.stat().st_size > MAX_OUTPUT:
            raise ExtractionError("doc not read: antiword's output is too large")
        yield from text_units(_without_first_blank(segments(decoded_chunks(out, "utf-8"))))


def _reason(code: int, stderr: bytes) -> str:
    message = stderr[:4096].decode("utf-8", "replace").lower()
    for needle, reason in _REASONS:
        if needle in message:
            return reason
    if code < 0:
        return f"doc not read: antiword crashed (signal {-code})"
    return f"doc not read: antiword failed (exit {code})"


def _without_first_blank(pieces: Iterator[tuple[str, bool]]) -> Iterator[tuple[str, bool]]:
    first = next(pieces, None)
    if first is None:
        return
    if first != ("", True):
        yield first
    yield from pieces
