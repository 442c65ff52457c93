"""PPTX (PowerPoint 2007+) extraction: slides, tables, groups, notes, comments, damage."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from samples.office import EMAIL, NIR, PHONE
from samples.office_more import (
    SHARED_DOCUMENTS,
    add_pptx_comment,
    add_pptx_smartart,
    make_pptx,
)

from breachscope.extract.dispatch import partition
from breachscope.extract.pptx import partition_pptx
from breachscope.extract.units import ExtractionError, TableUnit, TextUnit
from breachscope.ingest.sniff import sniff_type


def test_slides_tables_notes_and_groups(tmp_path: Path) -> None:
    path = tmp_path / "staff.pptx"
    make_pptx(path)
    assert sniff_type(path) == "pptx"
    units = list(partition(path, "pptx"))
    assert [u.name for u in units] == ["slide 1", "slide 1 notes", "slide 2", "slide 2 table 1"]
    first, notes, second, table = units
    assert isinstance(first, TextUnit) and first.text.split("\n") == [
        "Staff de cardiologie", "Patiente : DUPONT Jeanne, née le 12/03/1954",
        f"NIR : {NIR}", f"Tél. : {PHONE}"]
    assert notes.text == f"Rappeler {EMAIL}"
    assert "Dans un groupe : MARTIN Paul" in second.text.split("\n")
    assert isinstance(table, TableUnit)
    assert table.header == ["Nom", "NIR", "Téléphone"]
    assert table.rows == [["DUPONT", NIR, PHONE], ["MARTIN", "", ""]]
    assert table.row_numbers == [2, 3]


def test_comments_and_smartart_are_read(tmp_path: Path) -> None:
    path = tmp_path / "commente.pptx"
    make_pptx(path)
    add_pptx_comment(path, "Voir dossier de Mme DUPONT, tél 0612345678")
    add_pptx_smartart(path, ["Dr MARTIN Paul", "Jeanne DUPONT (cadre)"])
    units = {u.name: u for u in partition_pptx(path)}
    assert units["slide 1 comments"].text == "Voir dossier de Mme DUPONT, tél 0612345678"
    assert units["slide 1 diagrams"].text == "Dr MARTIN Paul\nJeanne DUPONT (cadre)"


@pytest.mark.parametrize("damage", ["no-presentation", "bad-slide", "not-zip"])
def test_damaged_pptx_fails_with_a_reason(tmp_path: Path, damage: str) -> None:
    source = tmp_path / "source.pptx"
    make_pptx(source)
    path = tmp_path / "abime.pptx"
    if damage == "not-zip":
        path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    else:
        with zipfile.ZipFile(source) as src, zipfile.ZipFile(path, "w") as dst:
            for item in src.infolist():
                data = src.read(item)
                if damage == "no-presentation" and item.filename == "ppt/presentation.xml":
                    continue
                if damage == "bad-slide" and item.filename == "ppt/slides/slide1.xml":
                    data = data[: len(data) // 2]
                dst.writestr(item, data)
    with pytest.raises(ExtractionError) as info:
        list(partition(path, "pptx"))
    message = str(info.value)
    assert "pptx" in message and "DUPONT" not in message and NIR not in message


def test_public_sample_when_present() -> None:
    path = SHARED_DOCUMENTS / "unstructured" / "example-docs" / "fake-power-point-table.pptx"
    if not path.exists():
        pytest.skip("shared test documents not present")
    units = list(partition_pptx(path))
    assert any(isinstance(u, TableUnit) and u.rows for u in units)


def test_pictures_are_members(tmp_path: Path) -> None:
    import io

    from PIL import Image
    from pptx import Presentation
    from pptx.util import Inches

    picture = io.BytesIO()
    Image.new("RGB", (40, 20), "white").save(picture, "PNG")
    picture.seek(0)
    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[6])
    slide.shapes.add_picture(picture, Inches(1), Inches(1))
    path = tmp_path / "scan.pptx"
    deck.save(str(path))
    units = list(partition_pptx(path))
    embedded = [u for u in units if u.kind == "embedded"]
    assert [u.name for u in embedded] == ["image1.png"]
    assert b"".join(embedded[0].chunks()).startswith(b"\x89PNG")


def test_chart_values_and_smartart_text(tmp_path: Path) -> None:
    from pptx import Presentation
    from pptx.chart.data import CategoryChartData
    from pptx.enum.chart import XL_CHART_TYPE
    from pptx.util import Inches

    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[6])
    data = CategoryChartData()
    data.categories = ["DUPONT Jeanne", "MARTIN Paul"]
    data.add_series("Séjours", (3, 5))
    slide.shapes.add_chart(XL_CHART_TYPE.COLUMN_CLUSTERED, Inches(1), Inches(1), Inches(5),
                           Inches(4), data)
    path = tmp_path / "activite.pptx"
    deck.save(str(path))
    units = list(partition_pptx(path))
    charts = {u.name: u for u in units if u.kind == "text"}["slide 1 charts"]
    assert {"DUPONT Jeanne", "MARTIN Paul", "Séjours", "3", "5"} <= set(charts.text.split("\n"))
    # The chart's workbook is a member too.
    assert [u.name for u in units if u.kind == "embedded"] == ["Microsoft_Excel_Sheet1.xlsx"]


def test_a_malformed_part_makes_it_partial(tmp_path: Path) -> None:
    """A malformed SmartArt part is skipped, the rest read: partial. (A malformed slide fails
    the whole file: python-pptx parses every slide when it opens the package.)"""
    from breachscope.extract.partial import PartialContent

    source = tmp_path / "source.pptx"
    make_pptx(source)
    add_pptx_smartart(source, ["Dr MARTIN Paul"])
    path = tmp_path / "abime.pptx"
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "ppt/diagrams/data1.xml":
                data = data[: len(data) // 2]
            dst.writestr(item, data)
    units = []
    with pytest.raises(PartialContent) as info:
        for unit in partition(path, "pptx"):
            units.append(unit)
    assert str(info.value) == ("1 comment, SmartArt or chart parts not read (malformed or "
                               "over 16 MiB)")
    assert [u.name for u in units] == ["slide 1", "slide 1 notes", "slide 2",
                                       "slide 2 table 1"]
    assert NIR in units[0].text


def test_a_huge_xml_part_is_refused(tmp_path: Path, monkeypatch) -> None:
    from breachscope.extract import pptx as pptx_module

    path = tmp_path / "gros.pptx"
    make_pptx(path)
    monkeypatch.setattr(pptx_module, "MAX_PARSED_PART", 1000)
    with pytest.raises(ExtractionError, match="pptx refused: an XML part is"):
        list(partition_pptx(path))
