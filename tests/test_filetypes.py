"""The table of file types agrees with sniffing, extraction and archive expansion: a type
sniff may return has a row; a row's extractor can be loaded; archives are the archive rows."""

from __future__ import annotations

import importlib

import pytest

from breachscope.extract.dispatch import supported_types
from breachscope.filetypes import ARCHIVE_TYPES, FILE_TYPES, IMAGE_TYPES, label
from breachscope.ingest import archives, sniff


def test_every_sniffed_type_has_a_row() -> None:
    assert set(sniff.TYPES) == {t.name for t in FILE_TYPES}
    assert len(sniff.TYPES) == len(set(sniff.TYPES))


@pytest.mark.parametrize("spec", [t for t in FILE_TYPES if t.extractor],
                         ids=lambda t: t.name)
def test_every_extractor_exists(spec) -> None:
    module_name, _, function = spec.extractor.partition(":")
    module = importlib.import_module(f"breachscope.extract.{module_name}")
    assert callable(getattr(module, function)), spec.extractor
    assert spec.name in supported_types()


def test_rows_without_extractor_say_what_they_get() -> None:
    for spec in FILE_TYPES:
        if spec.archive:
            assert spec.extractor is None, spec.name
        elif spec.extractor is None:
            assert spec.status in {"skipped", "encrypted"} and spec.reason, spec.name


def test_archive_rows_are_what_the_archive_reader_expands() -> None:
    assert set(archives.ARCHIVE_TYPES) == set(ARCHIVE_TYPES)


def test_labels_are_for_people() -> None:
    assert label("xlsb") == "Excel binary workbook (xlsb)"
    assert label("no-such-type") == "no-such-type"
    assert {"png", "jpeg", "tiff", "gif", "bmp", "webp", "heic", "jp2"} <= set(IMAGE_TYPES)
