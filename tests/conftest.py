"""Shared fixtures: a demo leak generated once per test session (the same generator as
`breachscope demo`), and helpers to run the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from breachscope.cli import app


@pytest.fixture
def program_ocr(monkeypatch: pytest.MonkeyPatch) -> None:
    """OCR through the ``tesseract`` program, as without ``tesserocr`` (the engine kept in
    the worker is otherwise used: extract.ocr_resident)."""
    from breachscope.extract import ocr_resident

    monkeypatch.setattr(ocr_resident, "library", lambda binary: None)


@pytest.fixture(scope="session")
def demo_leak(tmp_path_factory: pytest.TempPathFactory):
    from breachscope.demo import generate_leak

    out = tmp_path_factory.mktemp("demo")
    truth = generate_leak(out, seed=11, n_patients=250, n_staff=30)
    return out, truth


@pytest.fixture(scope="session")
def scanned_demo(demo_leak, tmp_path_factory):
    """(case directory, truth as JSON): the session's demo leak scanned once through the CLI,
    shared by the end-to-end, report and CNIL tests (each scan of it takes a minute or more).
    Read it only: a test that scans more into a case works on a copy."""
    import json

    from breachscope.cli import app

    out, _truth = demo_leak
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    case = tmp_path_factory.mktemp("demo_case") / "case"
    res = CliRunner().invoke(app, ["scan", str(out / "leak"), "--case", str(case),
                                   "--workers", "2"])
    assert res.exit_code == 0, res.output
    return case, truth


@pytest.fixture()
def cli():
    runner = CliRunner()

    def invoke(*args: str | Path):
        result = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
        return result

    return invoke


def pytest_configure(config: pytest.Config) -> None:
    # docs/testing.md: `pytest -m "not slow"` is the fast subset a developer runs while working.
    config.addinivalue_line(
        "markers",
        "slow: takes seconds to minutes (a CLI scan, the demo leak, the hostile corpus, a "
        "benchmark); left out by -m 'not slow'")
