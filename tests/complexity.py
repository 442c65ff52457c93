"""Complexity checks instead of wall-clock limits.

A test that asserts ``elapsed < 5`` fails when the machine is busy (two cores shared by a
whole test run). What such a test protects is that the work does not blow up - quadratic
behaviour, catastrophic regex backtracking, an entity or a decompression bomb expanded.
That is checked here by a ratio: the same work on an input of size n and of size k*n
(usually k = 4), timed one after the other so that both runs share the same load. Linear
work takes about k times as long; the bound (default 10x plus a small constant for fixed
costs and timer noise) lets linear or n log n work pass and fails quadratic work (16x at
k = 4) or worse. The pair is measured again before failing, so that one burst of load
during the larger run alone does not fail the test; a real blow-up fails every time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

__all__ = ["assert_scales", "timed"]


def timed(work: Callable[[], T]) -> tuple[T, float]:
    """The result of ``work()`` and the seconds it took (monotonic clock)."""
    start = time.perf_counter()
    result = work()
    return result, time.perf_counter() - start


def assert_scales(small: Callable[[], object], large: Callable[[], object], *,
                  ratio: float = 10.0, slack: float = 0.2, tries: int = 2,
                  what: str = "work") -> tuple[float, float]:
    """Fail unless ``t(large) <= ratio * t(small) + slack`` on one of ``tries`` measurements.

    ``small`` and ``large`` do the same work on inputs of size n and k*n; choose ``ratio``
    below k**2 so that quadratic work fails. Returns the last pair of times (seconds).
    """
    t_small = t_large = 0.0
    for _ in range(tries):
        _, t_small = timed(small)
        _, t_large = timed(large)
        if t_large <= ratio * t_small + slack:
            return t_small, t_large
    raise AssertionError(
        f"{what} does not scale: {t_large:.3f} s on the larger input vs {t_small:.3f} s on "
        f"the smaller one (bound {ratio} x + {slack} s)")
