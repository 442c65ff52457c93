"""The scanned demo case and its reports, built once for tests/report (the scan takes most of
the time; each report costs a few seconds)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

CLAIM = "900 000 patients, 20 GB, antécédents médicaux, adresses postales"


def _write(case_dir: Path, out: Path, lang: str, reference: str, *, pdf: bool = True) -> dict:
    from breachscope.case import Case
    from breachscope.report.html import write_report

    with Case(case_dir, create=False) as case:
        return write_report(case, out, CLAIM, lang=lang, pdf=pdf,
                            report_date=dt.date.fromisoformat(reference))


@pytest.fixture(scope="session")
def report_fr(scanned_demo, tmp_path_factory):
    """(output folder, summary, truth): the French report with its PDF, dated on the demo's
    reference date (the ages of the truth are counted on it)."""
    case, truth = scanned_demo
    out = tmp_path_factory.mktemp("report_fr")
    return out, _write(case, out, "fr", truth["reference_date"]), truth


@pytest.fixture(scope="session")
def report_en(scanned_demo, tmp_path_factory):
    case, truth = scanned_demo
    out = tmp_path_factory.mktemp("report_en")
    return out, _write(case, out, "en", truth["reference_date"], pdf=False), truth
