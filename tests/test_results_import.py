"""``breachscope.results`` imports on its own, as a program's first import (a cycle through
``breachscope.detect`` made it fail)."""

import subprocess
import sys


def test_results_is_importable_first() -> None:
    done = subprocess.run([sys.executable, "-c", "import breachscope.results"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-500:]
