"""Tesseract kept in the worker (``tesserocr``) reads every page exactly as the ``tesseract``
program does (same text, confidence and orientation decisions), is used only when it is the
same Tesseract, and fails a page that exceeds its time limit with a reason."""

from __future__ import annotations

import pytest
from samples import scans
from samples.scans import NIR

from breachscope.extract import ocr, ocr_resident
from breachscope.extract.units import ExtractionError


def _read(page) -> list[tuple[str, float | None, str]]:
    return [(u.text, u.confidence, u.name) for u in ocr.ocr_page(page, "page 1")]


def test_the_set_up_installs_the_programs_own_tesseract_as_a_library():
    module = ocr_resident.library(ocr.tesseract_path())
    assert module is not None, "tesserocr missing, or built on another Tesseract"
    assert module.tesseract_version().splitlines()[0].startswith("tesseract ")


@pytest.mark.parametrize("variant", ["upright", "upside down", "sideways 1-bit", "askew",
                                     "colour"])
def test_the_library_reads_a_page_as_the_program_does(monkeypatch, variant):
    page = {"upright": lambda: scans.page_image(),
            "upside down": lambda: scans.page_image(rotate=180),
            "sideways 1-bit": lambda: scans.page_image(rotate=90).convert("1"),
            "askew": lambda: scans.page_image(skew=3),
            "colour": lambda: scans.page_image().convert("RGB")}[variant]()
    asked: list[str] = []
    monkeypatch.setattr(ocr_resident, "read_tsv", _counted(asked, "tsv", ocr_resident.read_tsv))
    monkeypatch.setattr(ocr_resident, "orientation",
                        _counted(asked, "osd", ocr_resident.orientation))
    resident = _read(page)
    assert asked and asked[0] == "tsv"  # the library did the reading
    monkeypatch.setattr(ocr_resident, "library", lambda binary: None)
    program = _read(page)
    assert resident == program
    assert any(NIR in text.replace(" ", "") for text, _, _ in resident)


def _counted(into: list[str], what: str, function):
    def counted(*args, **kwargs):
        into.append(what)
        return function(*args, **kwargs)
    return counted


@pytest.mark.parametrize(("rotate", "asked"), [(0, ["tsv"]), (180, ["tsv", "osd", "tsv"])])
def test_orientation_is_asked_of_the_library_only_for_a_page_read_badly(monkeypatch, rotate,
                                                                        asked):
    calls: list[str] = []
    monkeypatch.setattr(ocr_resident, "read_tsv", _counted(calls, "tsv", ocr_resident.read_tsv))
    monkeypatch.setattr(ocr_resident, "orientation",
                        _counted(calls, "osd", ocr_resident.orientation))
    units = _read(scans.page_image(rotate=rotate))
    assert calls == asked
    assert any("DUPONT Marie" in text for text, _, _ in units)


def test_a_library_of_another_tesseract_is_not_used(monkeypatch):
    module = ocr_resident.library(ocr.tesseract_path())
    assert module is not None
    monkeypatch.setattr(module, "tesseract_version", lambda: "tesseract 5.5.4\n leptonica-1.87.0")
    ocr_resident.library.cache_clear()
    try:
        assert ocr_resident.library(ocr.tesseract_path()) is None
    finally:
        monkeypatch.undo()
        ocr_resident.library.cache_clear()
    assert ocr_resident.library(ocr.tesseract_path()) is module


def test_a_page_over_its_time_limit_fails_with_a_reason():
    module = ocr_resident.library(ocr.tesseract_path())
    with pytest.raises(ExtractionError, match="time limit"):
        ocr_resident.read_tsv(module, scans.page_image().convert("L"), "fra+eng", 0.001)
    # the engine is left usable for the next page
    tsv = ocr_resident.read_tsv(module, scans.page_image().convert("L"), "fra+eng", 60)
    assert tsv.startswith(ocr_resident.TSV_HEADER) and "DUPONT" in tsv
