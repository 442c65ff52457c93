"""Fuzz the XLSX extractor (``xlsx``): mutated workbooks (zip bytes flipped, cut), and
well-formed zips whose parts are mutated XML (so the fuzzing reaches openpyxl's parser)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import openpyxl
from fuzzlib import INTERESTING, check_partition, mutated
from hypothesis import given
from hypothesis import strategies as st


def _workbook() -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Patients"
    sheet["A1"] = "Liste des patients"
    sheet.append([])
    sheet.append(["NOM", "Prénom", "Date de naissance", "NIR", "CP"])
    sheet.append(["LEFÈVRE", "Hélène", dt.datetime(1950, 3, 12), 250037512345678, 1000])
    sheet.append(["MARTIN", None, dt.date(1960, 2, 1), "1 60 02 75 123 456 78", 75001])
    sheet["E4"].number_format = "00000"
    other = workbook.create_sheet("Personnel")
    other.append(["Matricule", "Nom", "Actif"])
    other.append([42, "DURAND", True])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


WORKBOOK = _workbook()
with zipfile.ZipFile(io.BytesIO(WORKBOOK)) as _zip:
    PARTS = {name: _zip.read(name) for name in _zip.namelist()}


@st.composite
def mutated_parts(draw: st.DrawFn) -> bytes:
    """The workbook re-zipped with one or two of its XML parts mutated."""
    names = sorted(PARTS)
    targets = draw(st.lists(st.sampled_from(names), min_size=1, max_size=2, unique=True))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            data = PARTS[name]
            if name in targets:
                data = draw(mutated([data, data + draw(st.sampled_from(INTERESTING))]))
            archive.writestr(name, data)
    return buffer.getvalue()


@given(st.one_of(mutated([WORKBOOK]), mutated_parts()))
def test_fuzz_spreadsheet(data: bytes) -> None:
    check_partition(data, "xlsx", ".xlsx")
