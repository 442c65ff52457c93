"""ODT extraction: paragraphs, tables, headers and footers, streamed with defusedxml."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from samples.office import NIR, make_odt

from breachscope.extract.odt import partition_odt
from breachscope.extract.units import EncryptedContent, ExtractionError, TableUnit, TextUnit
from breachscope.ingest.sniff import sniff_type

NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
      'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
      'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
      'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
      'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"')


def test_sample_units_and_locations(tmp_path: Path) -> None:
    path = tmp_path / "lettre.odt"
    make_odt(path)
    assert sniff_type(path) == "odt"
    units = list(partition_odt(path))
    assert [u.name for u in units] == ["paragraph 1", "paragraph 2", "table 1", "paragraph 3",
                                       "header", "footer"]
    assert units[1].text == ("Mme Jeanne DUPONT, née le 12/03/1954, est joignable au "
                             "06 12 34 56 78.")
    table = units[2]
    assert isinstance(table, TableUnit)
    assert table.header == ["Nom", "Prénom", "Téléphone"]
    assert table.rows == [["DUPONT", "Jeanne", "06 12 34 56 78"], ["MARTIN", "Paul", ""]]
    assert table.row_numbers == [2, 3]
    assert units[4].text == f"Patiente : DUPONT Jeanne - NIR {NIR}"


def _odt(path: Path, body: str, styles: str | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml",
                         f'<?xml version="1.0"?><office:document-content {NS}><office:body>'
                         f"<office:text>{body}</office:text></office:body>"
                         "</office:document-content>")
        if styles is not None:
            archive.writestr("styles.xml", f"<office:document-styles {NS}>{styles}"
                                           "</office:document-styles>")
    return path


def test_spaces_lists_notes_frames_and_repeated_rows(tmp_path: Path) -> None:
    body = (
        "<text:tracked-changes><text:changed-region><text:deletion><text:p>Ancien NIR "
        + NIR + "</text:p></text:deletion></text:changed-region></text:tracked-changes>"
        '<text:h text:outline-level="1">Compte<text:s text:c="3"/>rendu</text:h>'
        "<text:p/>"
        "<text:list><text:list-item><text:p>NIR<text:tab/>" + NIR
        + '<text:note text:note-class="footnote"><text:note-citation>1</text:note-citation>'
        "<text:note-body><text:p>Vérifié</text:p></text:note-body></text:note>"
        "<text:line-break/>fin</text:p></text:list-item></text:list>"
        '<text:p>Ancre<draw:frame><draw:text-box><text:p>Encadré</text:p></draw:text-box>'
        "</draw:frame></text:p>"
        '<table:table table:name="T"><table:table-header-rows><table:table-row>'
        "<table:table-cell><text:p>Nom</text:p></table:table-cell>"
        "<table:table-cell><text:p>Code</text:p></table:table-cell>"
        '<table:table-cell table:number-columns-repeated="1000"/>'
        "</table:table-row></table:table-header-rows>"
        '<table:table-row table:number-rows-repeated="3"><table:table-cell><text:p>X</text:p>'
        "</table:table-cell><table:covered-table-cell/></table:table-row>"
        "<table:table-row><table:table-cell><text:p>Y</text:p><text:p>suite</text:p>"
        '</table:table-cell><table:table-cell table:number-columns-repeated="2">'
        "<text:p>Z</text:p></table:table-cell></table:table-row></table:table>"
        "<text:p>Après</text:p>"
    )
    styles = ("<office:master-styles><style:master-page><style:header><text:p>En-tête</text:p>"
              "</style:header><style:header-first><text:p>Première</text:p></style:header-first>"
              "<style:footer><text:p>Pied</text:p></style:footer></style:master-page>"
              "</office:master-styles>")
    units = list(partition_odt(_odt(tmp_path / "x.odt", body, styles)))
    texts = {u.name: u.text for u in units if isinstance(u, TextUnit)}
    assert texts == {
        "paragraph 1": "Compte   rendu",
        "paragraph 2": f"NIR\t{NIR}\nVérifié\n\nfin",  # the note's mark is left out
        "paragraph 3": "Ancre\nEncadré",
        "paragraph 4": "Après",
        "deleted text": f"Ancien NIR {NIR}",
        "header 1": "En-tête",
        "header 2": "Première",
        "footer": "Pied",
    }
    (table,) = [u for u in units if isinstance(u, TableUnit)]
    assert table.name == "table 1"
    assert table.header == ["Nom", "Code", "col3"]
    assert table.rows == [["X", "", ""], ["Y\nsuite", "Z", "Z"]]
    assert table.row_numbers == [2, 5]  # the repeated row counts three


@pytest.mark.parametrize("damage", ["truncated", "xml", "no-content", "entity"])
def test_damaged_odt_fails_with_a_reason(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "abime.odt"
    if damage == "truncated":
        make_odt(path)
        path.write_bytes(path.read_bytes()[:1500])
    elif damage == "xml":
        _odt(path, f"<text:p>DUPONT {NIR}</text:p><text:p")
    elif damage == "no-content":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
    else:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("content.xml", '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "b">'
                                            f']><office:document-content {NS}/>')
    with pytest.raises(ExtractionError) as info:
        list(partition_odt(path))
    reason = str(info.value)
    assert reason.startswith("corrupt odt" if damage != "entity" else "odt refused"), reason
    assert "DUPONT" not in reason and NIR not in reason


def test_password_protected_odt_says_so(tmp_path: Path) -> None:
    path = tmp_path / "secret.odt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("META-INF/manifest.xml",
                         '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:'
                         'xmlns:manifest:1.0"><manifest:file-entry manifest:full-path='
                         '"content.xml"><manifest:encryption-data manifest:checksum-type="SHA1"/>'
                         "</manifest:file-entry></manifest:manifest>")
        archive.writestr("content.xml", bytes(range(256)) * 4)
    with pytest.raises(EncryptedContent, match=r"^odt encrypted \(password protected\)$"):
        list(partition_odt(path))
