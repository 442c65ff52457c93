"""Shared machinery of the fuzz targets: realistic seeds, byte mutations, the property.

The property checked on every input: ``partition(path, type)`` consumed to the end raises
nothing but :class:`ExtractionError` or :class:`UnsupportedType`, and finishes within
``TIME_LIMIT`` seconds (checked with an alarm, so a hang fails instead of blocking)."""

from __future__ import annotations

import re
import signal
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from hypothesis import strategies as st

from breachscope.extract.dispatch import UnsupportedType, partition
from breachscope.extract.units import ExtractionError, TableUnit, TextUnit

TIME_LIMIT = 20

INTERESTING = [
    b'"', b'""', b";", b",", b"\t", b"|", b"\r", b"\n", b"\r\n", b"\x00", b"\xff\xfe",
    b"\xef\xbb\xbf", b"\xe9", b"\xc3", b"<", b">", b"</", b"<!--", b"<!DOCTYPE x [",
    b"<!ENTITY a 'b'>", b"&a;", b"&#0;", b"&amp;", b"{", b"}", b"[", b"]", b":", b'"a":',
    b"null", b"1e999", b"-", b"=\"0612\"", b"185027512345678", b"06 12 34 56 78",
    b"PK\x03\x04", b"]]>", b"<![CDATA[", b"<?xml version='1.0' encoding='utf-16'?>",
    b"<script>", b"</style>", b"x" * 200_000, b"\n" * 1000, b'"' * 3,
]


class Timeout(BaseException):  # not an Exception: extraction must not wrap it
    pass


@contextmanager
def time_limit(seconds: int):
    def fire(_signum, _frame):
        raise Timeout(f"no result after {seconds} s")

    previous = signal.signal(signal.SIGALRM, fire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """A seed with a few random edits: byte flips, cuts, inserted junk or tokens, repeats."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(0, 8))):
        op = draw(st.integers(0, 5))
        pos = draw(st.integers(0, len(data)))
        if op == 0 and data:  # flip a byte
            pos = min(pos, len(data) - 1)
            data[pos] = draw(st.integers(0, 255))
        elif op == 1:  # truncate
            data = data[:pos]
        elif op == 2:  # insert random bytes
            data[pos:pos] = draw(st.binary(max_size=64))
        elif op == 3:  # insert an interesting token
            data[pos:pos] = draw(st.sampled_from(INTERESTING))
        elif op == 4 and data:  # repeat a slice
            end = min(len(data), pos + draw(st.integers(1, 200)))
            data[pos:pos] = bytes(data[pos:end]) * draw(st.integers(1, 50))
        elif op == 5:  # delete a slice
            del data[pos : pos + draw(st.integers(1, 50))]
    return bytes(data)


def inputs(seeds: list[bytes]) -> st.SearchStrategy[bytes]:
    return st.one_of(mutated(seeds), st.binary(max_size=4096))


_TOKEN = re.compile(rb"[A-Za-z0-9]{4,20}")


def check_partition(data: bytes, file_type: str, suffix: str = "", *,
                    lossless: bool = False) -> None:
    """The property, for one input. ``lossless``: moreover, for an ASCII input read without
    error, every word of 4 to 20 letters or digits of the input is in some unit (nothing is
    dropped: title lines, cells beyond the width, lines too long for the CSV parser...)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"input{suffix}"
        path.write_bytes(data)
        started = time.perf_counter()
        pieces: list[str] = []
        failed = False
        with time_limit(TIME_LIMIT):
            try:
                for unit in partition(path, file_type):
                    assert isinstance(unit, TableUnit | TextUnit), type(unit)
                    if isinstance(unit, TableUnit):
                        assert all(len(row) == len(unit.header) for row in unit.rows)
                        assert len(unit.row_numbers) == len(unit.rows)
                        if lossless:
                            pieces.extend(unit.header)
                            pieces.extend(cell for row in unit.rows for cell in row)
                    else:
                        assert unit.first_line >= 1
                        if lossless:
                            pieces.append(unit.text)
            except (ExtractionError, UnsupportedType) as exc:
                assert "185027512345678" not in str(exc)  # reasons never quote content
                failed = True
        assert time.perf_counter() - started < TIME_LIMIT
        if lossless and not failed and data.isascii() and b"\x00" not in data:
            everything = "\n".join(pieces)
            missing = [t for t in set(_TOKEN.findall(data)) if t.decode() not in everything]
            assert not missing, missing[:5]


def fuzz_target(seeds: list[bytes], file_type: str, suffix: str = "") -> Callable[[bytes], None]:
    def run(data: bytes) -> None:
        check_partition(data, file_type, suffix)

    return run
