"""``breachscope.detect`` imports its detectors on first use: the main process imports the
result types (``detect.model``) without compiling the detectors' patterns."""

from __future__ import annotations

import subprocess
import sys

import breachscope.detect as detect


def test_the_result_types_come_without_the_detectors():
    code = ("import sys\nimport breachscope.detect.model\n"
            "print(sorted(m for m in sys.modules if m.startswith('breachscope.detect.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "['breachscope.detect.model']"


def test_every_exported_name_is_importable():
    from breachscope.detect import scan_text
    from breachscope.detect.text import scan_text as from_module

    assert scan_text is from_module
    assert sorted(detect.__all__) == sorted(detect._EXPORTS)
    for name in detect.__all__:
        assert getattr(detect, name) is not None
