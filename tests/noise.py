"""Seeded random bytes for damaged-file and filler inputs: a failure reproduces exactly.

``os.urandom`` made a different damaged file at every run, so a parser bug hit by one
draw in a thousand could not be replayed. Every call site passes its own seed, so that two
inputs in one test never collide (the scan deduplicates contents by SHA-256).
"""

from __future__ import annotations

import random

__all__ = ["noise"]


def noise(n: int, seed: int) -> bytes:
    """``n`` pseudo-random bytes, the same for the same ``seed``."""
    return random.Random(seed).randbytes(n)
