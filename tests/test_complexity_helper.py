"""The complexity check used instead of wall-clock limits can fail: quadratic work fails it."""

from __future__ import annotations

import time

import pytest
from complexity import assert_scales


def test_linear_work_passes() -> None:
    assert_scales(lambda: time.sleep(0.02), lambda: time.sleep(0.08), slack=0.0)


def test_quadratic_work_fails() -> None:
    # n = 1 and 4n = 4: quadratic work takes 16 times as long; the bound is 10 times. Sleeps
    # of 0.1 s and one try: the small one must overshoot by 60 ms to pass the bound (with
    # 0.02 s and two tries, 12 ms of scheduling delay in either try did, on a busy machine).
    with pytest.raises(AssertionError, match="does not scale"):
        assert_scales(lambda: time.sleep(0.1), lambda: time.sleep(1.6), slack=0.0, tries=1)
