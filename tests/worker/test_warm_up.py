"""A worker's warm-up loads what the first file would otherwise pay for inside its time limit
(worker/sandbox.py ``warm_up``): here, the pandas that pyarrow imports on its first conversion
of a Python list (0.26-0.37 s a worker, measured in issue 15)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest

_PROBE = """
import json, sys, tempfile
from pathlib import Path
from breachscope.settings import ScanSettings
from breachscope.worker.sandbox import warm_up
from breachscope.worker.task import process_content

warm_up()
before = set(sys.modules)
with tempfile.TemporaryDirectory() as work:
    csv = Path(work) / "patients.csv"
    csv.write_text("nom;prenom;nir\\nDUPONT;Marie;2 54 03 75 123 456 55\\n", encoding="utf-8")
    result = process_content(str(csv), None, str(Path(work) / "w"), ScanSettings())
print(json.dumps({"status": result.status, "loaded_after": sorted(set(sys.modules) - before)}))
"""


@pytest.mark.skipif(importlib.util.find_spec("pandas") is None,
                    reason="pyarrow imports pandas only where it is installed")
def test_the_first_table_after_warm_up_does_not_import_pandas():
    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                         check=True, timeout=120)
    probe = json.loads(out.stdout.strip().splitlines()[-1])
    assert probe["status"] == "scanned"
    assert not [m for m in probe["loaded_after"] if m.split(".")[0] == "pandas"]
