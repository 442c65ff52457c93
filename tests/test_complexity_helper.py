"""The complexity check used instead of wall-clock limits can fail: quadratic work fails it."""

from __future__ import annotations

import time

import pytest
from complexity import assert_scales


def test_linear_work_passes() -> None:
    assert_scales(lambda: time.sleep(0.02), lambda: time.sleep(0.08), slack=0.0)


def test_quadratic_work_fails() -> None:
    # n = 1 and 4n = 4: quadratic work takes 16 times as long; the bound is 10 times.
    with pytest.raises(AssertionError, match="does not scale"):
        assert_scales(lambda: time.sleep(0.02), lambda: time.sleep(0.32), slack=0.0)
