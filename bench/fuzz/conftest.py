"""Fuzz targets (not part of the test suite: pytest's testpaths is ``tests``).

Profiles: ``default`` (200 examples, for a quick check), ``long`` (5,000 examples), and
``BREACHSCOPE_FUZZ_EXAMPLES`` to choose the count. No deadline per example is set by
hypothesis: each target enforces its own time limit per example (``TIME_LIMIT``)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large,
                              HealthCheck.function_scoped_fixture],
    "database": None,
}
settings.register_profile("default", max_examples=200, **_COMMON)
settings.register_profile("long", max_examples=5_000, **_COMMON)
settings.register_profile(
    "env", max_examples=int(os.environ.get("BREACHSCOPE_FUZZ_EXAMPLES", "1000")), **_COMMON)
settings.load_profile(os.environ.get("BREACHSCOPE_FUZZ_PROFILE", "default"))
