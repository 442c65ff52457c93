"""Slice of bench/formats run in CI: marker files of the formats and hiding places of issue 12
that need no OCR, scanned through the CLI; every marker identifier must be found, and every
file scanned (the protected ones with the password the run passes)."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "formats"
_spec = importlib.util.spec_from_file_location("formats_bench_run", BENCH / "run.py")
formats_bench = importlib.util.module_from_spec(_spec)
sys.modules["formats_bench_run"] = formats_bench
_spec.loader.exec_module(formats_bench)

KINDS = ["csv", "pptx", "dbf", "p7m", "eml (UTF-16)", "docx embedding", "pdf attachment",
         "zip AES (password known)", "xlsx comment", "xlsx numeric phone",
         "pdf encrypted (password known)", "emf", "wmf", "ppt", "xlsb", "onenote", "pst",
         "access"]


@pytest.mark.slow
def test_markers_without_ocr_are_all_found(tmp_path: Path) -> None:
    args = argparse.Namespace(documents=tmp_path / "none", no_public=True, only=",".join(KINDS),
                              workers=2, keep=tmp_path, out=None)
    report = formats_bench.run(args)
    assert not report["failed_makers"]
    kinds = {r["kind"] for r in report["markers"]}
    assert kinds == set(KINDS)
    lost = {r["file"]: r["missing"] for r in report["markers"] if r["missing"]}
    assert not lost, lost
    # Every marker file is scanned; a member that is not (an empty part of the PST export,
    # the OneNote sample's stand-in picture) says why.
    top = [f for f in report["not_scanned"] if "!/" not in f["path"]]
    assert not top, top
    assert all(f["reason"] for f in report["not_scanned"])
    formats_bench.print_report(report)  # the printed table works on a real report
