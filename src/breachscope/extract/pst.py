"""Outlook data files (PST, OST) → every item they hold, as members, through ``pffexport``.

- ``pffexport`` (Debian's ``pff-tools``, libpff, LGPL; run as a separate program: an argument
  list, no shell, ``TMPDIR`` as set by the worker) exports the items into a fresh directory
  under the temporary folder (the case's work area); the directory is removed afterwards.
  The export has a time limit (:data:`PST_TIMEOUT`) and a size cap (:data:`MAX_EXPORT_BYTES`,
  :data:`MAX_EXPORT_FILES`), watched while it runs: past either, pffexport is stopped, what
  was exported is scanned and the file is ``partial``.
- Each exported file is a member named by its place in the mailbox (its bytes must be read
  before the next unit is asked for, as the worker does: the export is removed at the end):
  ``Inbox/Message00001/Message.txt`` (the body), ``.../OutlookHeaders.txt`` (subject, sender,
  flags), ``.../Recipients.txt``, ``.../InternetHeaders.txt``, ``.../Attachments/liste.csv``,
  ``Contacts/Contact00001/Contact.txt``, ``Calendar/Appointment00001/Appointment.txt``...
- pffexport's text of a contact holds only some fields: every property of each contact is
  also read from its ``ItemValues.txt`` dump (``-d``) and yields the same record as a ``.msg``
  contact (:mod:`breachscope.extract.outlook_items`): ``Contacts/Contact00001, contact``
  with names, birthday, phones, NIR, address. (Named properties, such as a contact's e-mail
  addresses, are not resolved in that dump; their strings are in the exported text.) The
  dumps themselves, hexadecimal, are not scanned.
- Deleted and orphan items are exported in a second run (``-m recovered``) as members under
  ``recovered/`` and ``orphans/``; recovery needs the file's allocation maps, and a file
  without valid ones simply has none.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from breachscope.childproc import dies_with_parent
from breachscope.extract.outlook_items import item_units
from breachscope.extract.partial import PartialContent
from breachscope.extract.units import EmbeddedFile, ExtractionError, RecordUnit, TextUnit

#: Seconds one pffexport run may take (the worker's per-file limit still applies around it).
PST_TIMEOUT = 1800.0
#: Bytes and files an export may write at most.
MAX_EXPORT_BYTES = 8 * 1024**3
MAX_EXPORT_FILES = 500_000
#: Seconds between two looks at the export's size.
WATCH_INTERVAL = 0.5
CHUNK_BYTES = 1 << 20
#: ItemValues.txt dumps larger than this are not parsed (a contact's is a few kilobytes).
MAX_ITEM_VALUES_BYTES = 4 * 1024 * 1024

_ITEM_VALUES = "ItemValues.txt"
_HEX_LINE = re.compile(r"^0x[0-9a-f]{8}: ")


def pffexport_path() -> str | None:
    return shutil.which("pffexport")


class _Stopped(Exception):
    """The export went past a limit; the message is the reason."""


def _export_size(root: Path) -> tuple[int, int]:
    size = files = 0
    for folder, _dirs, names in os.walk(root):
        for name in names:
            files += 1
            try:
                size += os.lstat(os.path.join(folder, name)).st_size
            except OSError:
                continue
    return size, files


def _run(args: list[str], cwd: Path, watch: Path, log: Path) -> int:
    """Run pffexport, watching the export's size; its exit status. Its messages go to
    ``log``. Raises :class:`_Stopped` past a limit, after killing it."""
    env = dict(os.environ)
    env["LC_ALL"] = "C.UTF-8"
    started = time.monotonic()
    with log.open("ab") as output:
        fds = tuple(int(a.rsplit("/", 1)[1]) for a in args if a.startswith("/proc/self/fd/"))
        process = subprocess.Popen(dies_with_parent(args), cwd=cwd, env=env,
                                   stdin=subprocess.DEVNULL,
                                   stdout=output, stderr=output, pass_fds=fds)
    try:
        while True:
            try:
                return process.wait(timeout=WATCH_INTERVAL)
            except subprocess.TimeoutExpired:
                pass
            if time.monotonic() - started > PST_TIMEOUT:
                raise _Stopped(f"pffexport time limit exceeded ({PST_TIMEOUT:g} s)")
            size, files = _export_size(watch)
            if size > MAX_EXPORT_BYTES:
                raise _Stopped(f"export larger than {MAX_EXPORT_BYTES >> 20} MiB")
            if files > MAX_EXPORT_FILES:
                raise _Stopped(f"export of more than {MAX_EXPORT_FILES} files")
    finally:  # a limit, or the worker's own time limit interrupting the wait
        if process.poll() is None:
            process.kill()
            process.wait()


def _failures(log: Path) -> int:
    """How many items pffexport said it could not export (``Unable to ...`` lines)."""
    count = 0
    try:
        with log.open("rb") as handle:
            for line in handle:
                count += line.startswith(b"Unable to ")
    except OSError:
        return 0
    return count


def _slices(path: Path) -> Callable[[], Iterator[bytes]]:
    def chunks() -> Iterator[bytes]:
        with path.open("rb") as handle:
            while block := handle.read(CHUNK_BYTES):
                yield block

    return chunks


# ---------------------------------------------------------------- ItemValues.txt


def parse_item_values(text: str) -> dict[int, tuple[int, bytes]]:
    """``{property id: (value type, bytes)}`` of the first set of a pffexport ``-d`` dump
    (an item's own properties)."""
    out: dict[int, tuple[int, bytes]] = {}
    entry: int | None = None
    kind = 0
    data = bytearray()
    in_value = False

    def close() -> None:
        if entry is not None and entry not in out:
            out[entry] = (kind, bytes(data))

    for line in text.splitlines():
        if line.startswith("Set:") and line.split()[-1] != "0":
            break  # the following sets are table rows, not the item
        if line.startswith("Entry type:"):
            close()
            entry, data, in_value = int(line.split()[-1], 16) & 0xFFFF, bytearray(), False
        elif line.startswith("Value type:"):
            kind = int(line.split()[-1], 16)
        elif line.startswith("Value:"):
            in_value = True
        elif in_value and _HEX_LINE.match(line):
            data += bytes.fromhex("".join(line[12:61].split()))
        elif not line.strip():
            in_value = False
    close()
    return out


class _DumpedProperties:
    """The reads :mod:`breachscope.extract.outlook_items` makes, over a parsed dump."""

    def __init__(self, values: dict[int, tuple[int, bytes]]) -> None:
        self.values = values

    def str_prop_value(self, pid: int) -> str | None:
        kind, data = self.values.get(pid, (0, b""))
        if kind == 0x001F:
            return data.decode("utf-16-le", "replace").rstrip("\x00")
        if kind == 0x001E:
            return data.decode("cp1252", "replace").rstrip("\x00")
        return None

    def date_prop_value(self, pid: int) -> dt.datetime | None:
        kind, data = self.values.get(pid, (0, b""))
        if kind != 0x0040 or len(data) != 8:
            return None
        ticks = int.from_bytes(data, "little")
        try:
            return dt.datetime(1601, 1, 1) + dt.timedelta(microseconds=ticks // 10)
        except OverflowError:
            return None


class _DumpedItem:
    def __init__(self, values: dict[int, tuple[int, bytes]]) -> None:
        self.properties = _DumpedProperties(values)


def _contact_units(dump: Path, item: str) -> Iterator[RecordUnit | TextUnit]:
    try:
        if dump.stat().st_size > MAX_ITEM_VALUES_BYTES:
            return
        values = parse_item_values(dump.read_text("utf-8", errors="replace"))
    except (OSError, ValueError):
        return
    for unit in item_units(_DumpedItem(values), {}):
        unit.name = f"{item}, {unit.name}"
        yield unit


# ---------------------------------------------------------------- members


def _members(root: Path, prefix: str) -> Iterator[TextUnit | RecordUnit | EmbeddedFile]:
    """The exported files under ``root`` as members (sorted, the dumps read as contact
    records instead), never leaving ``root``."""
    base = root.resolve()
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        here = Path(folder)
        for name in sorted(names):
            path = here / name
            if path.is_symlink() or not path.resolve().is_relative_to(base):
                continue
            relative = path.relative_to(root).as_posix()
            if name == _ITEM_VALUES:
                item = here.relative_to(root).as_posix()
                if here.name.startswith(("Contact", "DistributionList")):
                    yield from _contact_units(path, f"{prefix}{item}")
                continue
            yield EmbeddedFile(prefix + relative, _slices(path))


def partition_pst(path: Path) -> Iterator[TextUnit | RecordUnit | EmbeddedFile]:
    """Every item of a PST/OST file (see the module docstring)."""
    binary = pffexport_path()
    if binary is None:
        raise ExtractionError("PST unavailable: pffexport is not installed (Debian pff-tools)")
    # An in-memory file (/proc/self/fd/N) is passed on as it is, with its descriptor (_run).
    source = Path(path) if str(path).startswith("/proc/self/fd/") else Path(path).resolve()
    with tempfile.TemporaryDirectory(prefix="breachscope-pst-") as work:
        work_dir = Path(work)
        target = work_dir / "pst"
        log = work_dir / "pffexport.log"
        stopped: str | None = None
        try:
            status = _run([binary, "-q", "-d", "-f", "text", "-m", "items", "-t", str(target),
                           str(source)], work_dir, work_dir, log)
        except _Stopped as exc:
            stopped, status = str(exc), 0
        exported = target.with_name("pst.export")
        if not exported.is_dir():
            if stopped:
                raise ExtractionError(stopped)
            raise ExtractionError(f"pffexport cannot read the file (exit status {status}): "
                                  "damaged PST, no folder read")
        yield from _members(exported, "")
        shutil.rmtree(exported, ignore_errors=True)
        failures = _failures(log)
        if stopped is None and status != 0:
            stopped = f"pffexport stopped with an error (exit status {status})"
        elif stopped is None and failures:
            stopped = f"damaged PST: pffexport could not export {failures} items"
        if stopped is None:
            try:
                _run([binary, "-q", "-d", "-f", "text", "-m", "recovered", "-t", str(target),
                      str(source)], work_dir, work_dir, log)
            except _Stopped as exc:
                stopped = f"recovering deleted items: {exc}"
            for suffix in ("recovered", "orphans"):
                folder = target.with_name(f"pst.{suffix}")
                if folder.is_dir():
                    yield from _members(folder, f"{suffix}/")
        if stopped:
            raise PartialContent(stopped)
