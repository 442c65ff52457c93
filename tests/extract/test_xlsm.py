"""A macro-enabled workbook (.xlsm) with a VBA project: values read, macros never loaded."""

from __future__ import annotations

import zipfile
from pathlib import Path
from unittest import mock

from samples.office import NIR, make_xlsm

from breachscope.extract.dispatch import partition
from breachscope.ingest.sniff import sniff_type


def test_xlsm_values_read_vba_project_ignored(tmp_path: Path) -> None:
    path = tmp_path / "macros.xlsm"
    make_xlsm(path)
    with zipfile.ZipFile(path) as archive:
        assert "xl/vbaProject.bin" in archive.namelist()
    assert sniff_type(path) == "xlsx"
    real_open = zipfile.ZipFile.open
    read: list[str] = []

    def spy(self, name, *args, **kwargs):  # type: ignore[no-untyped-def]
        read.append(getattr(name, "filename", name))
        return real_open(self, name, *args, **kwargs)

    with mock.patch.object(zipfile.ZipFile, "open", spy):  # ZipFile.read goes through open
        (table,) = list(partition(path, "xlsx"))
    assert table.name == "sheet Patients"
    assert table.rows[0][:5] == ["DUPONT", "Jeanne", "1954-03-12", NIR, "0612345678"]
    assert table.row_numbers == [2, 3]
    assert "xl/workbook.xml" in read
    assert "xl/vbaProject.bin" not in read  # the macros are not even read
