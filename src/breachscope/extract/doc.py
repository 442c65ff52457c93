"""Word 97-2003 documents (``.doc``, an OLE compound file with a ``WordDocument`` stream) →
text units, through Debian's ``antiword``.

- There is no well-kept Python reader for the binary Word format; ``antiword`` (GPL-2, a
  separate program, so its licence does not reach breachscope) is small, packaged by Debian
  and fast. It is run through :class:`~breachscope.extract._program.Program`: an argument
  list (no shell), the file's path as an argument, a time limit (:data:`TIMEOUT`), no
  standard input, a minimal environment, the work area's temporary folder as working
  directory, and its output read from a pipe as it comes (never written to a file: no
  extracted text lies in the work area) up to :data:`MAX_OUTPUT`. antiword is
  C code reading hostile bytes: it runs in the worker process's limits (address space, no
  network for Python; the worker's own timer), with nothing but the temporary directory
  writable by design. Macros and embedded objects are never run: antiword only reads text.
- Options: ``-m UTF-8.txt`` (output in UTF-8), ``-w 0`` (a paragraph on one line).
- Units: :class:`TextUnit` pieces of at most ``MAX_LINES`` lines, ``name`` ``""``; antiword
  starts its output with an empty line, dropped, so ``line N`` is the Nth paragraph of the
  document (empty ones included); a table row is a line, its cells separated by ``|``.
- Short documents: antiword refuses a ``WordDocument`` stream under 4096 bytes ("text stream
  too small"), and may crash on a damaged file; then Debian's ``catdoc`` (GPL-2, also a
  separate program) is run the same way with ``-d utf-8 -w`` (UTF-8, no wrapping). catdoc
  reads the mini stream; it leaves out empty paragraphs, so ``line N`` is then the Nth line
  catdoc prints. It is only run on an OLE compound file (given anything
  else, catdoc prints the raw bytes as text).
- An encrypted document is decrypted with the scan's passwords when one opens it
  (:func:`~breachscope.extract.office_crypto.partition_decrypted`), else recorded
  ``encrypted``.
- A program stopped by its time limit or output cap after giving text: the text is kept
  and the document recorded ``partial``; before any text: ``failed``.
- Failures (not a Word document, too old a format, a crash, a timeout) become
  :class:`ExtractionError` with a reason the tool's message is mapped to, never its text.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

from breachscope.extract._program import Program
from breachscope.extract.text import text_units
from breachscope.extract.units import ExtractionError, TextUnit, extraction_error

#: Seconds antiword may run on one file.
TIMEOUT = 120
#: Output beyond this is not read (antiword's text is a fraction of the file).
MAX_OUTPUT = 512 * 1024 * 1024

_ENCRYPTED = "doc encrypted (password protected)"
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
#: antiword failures after which catdoc is tried (besides antiword crashing): antiword
#: refuses a document whose ``WordDocument`` stream is under 4096 bytes (stored in the
#: compound file's mini stream, which antiword does not read): short letters, exactly.
_CATDOC_AFTER = frozenset({"doc not read: text stream too small for antiword"})
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def antiword() -> str | None:
    """Where antiword is installed, or None."""
    return shutil.which("antiword")


def catdoc() -> str | None:
    """Where catdoc is installed, or None."""
    return shutil.which("catdoc")


class _Seen:
    """Whether a program's output so far held any text."""

    text = False


def partition_doc(path: Path) -> Iterator[TextUnit]:
    """Stream the text of the Word 97-2003 document at ``path``."""
    program = antiword()
    if program is None:
        raise ExtractionError("doc not read: antiword is not installed")
    path = Path(path).absolute()
    seen = _Seen()
    with _program("antiword", [program, "-m", "UTF-8.txt", "-w", "0", str(path)]) as run:
        yield from text_units(_without_first_blank(_pieces(run.lines(MAX_OUTPUT), seen)))
        code, stderr = run.finish()
    if run.stopped:
        raise _cut(run.stopped, seen)
    if code == 0:
        return
    reason = _reason("antiword", code, stderr)
    if seen.text:  # antiword failed midway: the text it gave is kept
        raise extraction_error(reason)
    if reason == _ENCRYPTED:
        # A password of the scan may open it (msoffcrypto-tool: RC4 / CryptoAPI).
        from breachscope.extract.office_crypto import partition_decrypted

        yield from partition_decrypted(path, "doc")
        return
    fallback = catdoc()
    if fallback is None or not _catdoc_may_read(reason, path):
        raise extraction_error(reason)
    with _program("catdoc", [fallback, "-d", "utf-8", "-w", str(path)]) as run:
        yield from text_units(_pieces(run.lines(MAX_OUTPUT), seen))
        code, stderr = run.finish()
    if run.stopped:
        raise _cut(run.stopped, seen)
    if code != 0:
        catdoc_reason = _reason("catdoc", code, stderr)
        if catdoc_reason == _ENCRYPTED and not seen.text:
            from breachscope.extract.office_crypto import partition_decrypted

            yield from partition_decrypted(path, "doc")
            return
        raise extraction_error(reason)


def _program(tool: str, command: list[str]) -> Program:
    return Program(command, tool, "doc not read", TIMEOUT)


def _pieces(lines: Iterator[str], seen: _Seen) -> Iterator[tuple[str, bool]]:
    """The program's output as :func:`~breachscope.extract.text.text_units` pieces."""
    for piece in lines:
        if not seen.text and piece.strip():
            seen.text = True
        if piece.endswith("\n"):
            yield piece[:-1].rstrip("\r"), True
        else:
            yield piece, False


def _cut(stopped: str, seen: _Seen) -> ExtractionError:
    """The error for a program stopped by its time limit or output cap: the content is
    ``partial`` when it gave text (kept), else ``failed``."""
    if seen.text:
        from breachscope.extract.partial import PartialContent

        return PartialContent(f"doc text cut: {stopped}")
    return ExtractionError(f"doc not read: {stopped}")


def _catdoc_may_read(reason: str, path: Path) -> bool:
    """Whether catdoc is worth running after antiword failed with ``reason``: the stream was
    too small for antiword, or antiword crashed, and the file is an OLE compound file
    (catdoc prints any other file as plain text, which is not what a document holds)."""
    if reason not in _CATDOC_AFTER and not reason.startswith("doc not read: antiword crashed"):
        return False
    with path.open("rb") as handle:
        return handle.read(8) == _OLE_MAGIC


def _reason(tool: str, code: int, stderr: bytes) -> str:
    message = stderr.decode("utf-8", "replace").lower()
    for needle, reason in _REASONS:
        if needle in message:
            return reason
    if code < 0:
        return f"doc not read: {tool} crashed (signal {-code})"
    return f"doc not read: {tool} failed (exit {code})"


def _without_first_blank(pieces: Iterator[tuple[str, bool]]) -> Iterator[tuple[str, bool]]:
    first = next(pieces, None)
    if first is None:
        return
    if first != ("", True):
        yield first
    yield from pieces
