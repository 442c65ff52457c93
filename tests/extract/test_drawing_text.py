"""SmartArt and chart text of DOCX and XLSX (parts of their own, not in the body)."""

from __future__ import annotations

from pathlib import Path

from samples import embedded as samples

from breachscope.detect.dispatch import detect_units
from breachscope.extract.dispatch import partition
from breachscope.extract.units import EmbeddedFile

NIR = "254037512345655"
_A = 'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"'
_DIAGRAM = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    f'<dgm:dataModel xmlns:dgm="http://schemas.openxmlformats.org/drawingml/2006/diagram" {_A}>'
    "<dgm:ptLst>"
    '<dgm:pt modelId="{1}"><dgm:t><a:bodyPr/><a:p><a:r><a:t>Cadre de santé : </a:t></a:r>'
    "<a:r><a:t>Mme DURAND</a:t></a:r></a:p></dgm:t></dgm:pt>"
    f'<dgm:pt modelId="{{2}}"><dgm:t><a:p><a:r><a:t>Patiente NIR {NIR}</a:t></a:r></a:p>'
    "</dgm:t></dgm:pt></dgm:ptLst></dgm:dataModel>")
_CHART = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<c:chartSpace xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" '
    f'{_A}><c:chart><c:title><c:tx><c:rich><a:p><a:r><a:t>Séjours par patient</a:t></a:r>'
    "</a:p></c:rich></c:tx></c:title><c:plotArea><c:barChart><c:ser>"
    "<c:cat><c:strRef><c:strCache><c:ptCount val=\"2\"/>"
    '<c:pt idx="0"><c:v>DUPONT Jeanne</c:v></c:pt><c:pt idx="1"><c:v>06 12 34 56 78</c:v>'
    "</c:pt></c:strCache></c:strRef></c:cat>"
    "<c:val><c:numRef><c:numCache><c:pt idx=\"0\"><c:v>3</c:v></c:pt></c:numCache></c:numRef>"
    "</c:val></c:ser></c:barChart></c:plotArea></c:chart></c:chartSpace>")


def texts(path: Path, file_type: str) -> dict[str, str]:
    return {u.name: u.text for u in partition(path, file_type)
            if not isinstance(u, EmbeddedFile) and u.name.startswith(("diagram", "chart"))}


def test_docx_smartart_and_chart_text(tmp_path):
    path = tmp_path / "organigramme.docx"
    samples.make_letter(path)
    samples.add_parts(path, {"word/diagrams/data1.xml": _DIAGRAM.encode(),
                             "word/charts/chart1.xml": _CHART.encode()})
    got = texts(path, "docx")
    assert got == {"diagram 1": f"Cadre de santé : Mme DURAND\nPatiente NIR {NIR}",
                   "chart 1": "Séjours par patient\nDUPONT Jeanne\n06 12 34 56 78"}
    units = [u for u in partition(path, "docx") if not isinstance(u, EmbeddedFile)]
    found = {(f.entity, f.value, f.location) for f in detect_units(units).findings}
    assert ("NIR", NIR, "diagram 1, line 2") in found
    assert ("PHONE", "+33612345678", "chart 1, line 3") in found


def test_xlsx_chart_text(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["a", "b"])
    path = tmp_path / "graphique.xlsx"
    book.save(path)
    samples.add_parts(path, {"xl/charts/chart1.xml": _CHART.encode()},
                      main_rels="xl/_rels/workbook.xml.rels")
    assert texts(path, "xlsx") == {"chart 1": "Séjours par patient\nDUPONT Jeanne\n"
                                              "06 12 34 56 78"}


def test_entity_bomb_in_a_diagram_gives_nothing(tmp_path):
    path = tmp_path / "bombe.docx"
    samples.make_letter(path)
    bomb = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">]>'
            f'<d {_A}><a:p><a:r><a:t>&a;</a:t></a:r></a:p></d>')
    samples.add_parts(path, {"word/diagrams/data1.xml": bomb.encode()})
    assert texts(path, "docx") == {}
    assert any(u.name == "paragraph 1" for u in partition(path, "docx"))
