"""DOCX extraction: paragraphs, tables, headers and footers, text boxes, embedded files."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from samples.office import NIR, make_docx

from breachscope.extract.docx import partition_docx
from breachscope.extract.units import EmbeddedFile, ExtractionError, TableUnit, TextUnit
from breachscope.ingest.sniff import sniff_type

W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
MC_NS = 'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"'
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def test_sample_units_and_locations(tmp_path: Path) -> None:
    path = tmp_path / "lettre.docx"
    make_docx(path)
    assert sniff_type(path) == "docx"
    units = list(partition_docx(path))
    names = [u.name for u in units]
    assert names == ["paragraph 1", "paragraph 2", "table 1", "paragraph 3", "header", "footer"]
    assert units[1].text == ("Mme Jeanne DUPONT, née le 12/03/1954, est joignable au "
                             "06 12 34 56 78.")
    table = units[2]
    assert isinstance(table, TableUnit)
    assert table.header == ["Nom", "Prénom", "Téléphone"]
    assert table.rows == [["DUPONT", "Jeanne", "06 12 34 56 78"], ["MARTIN", "Paul", ""]]
    assert table.row_numbers == [2, 3]
    assert units[4].text == f"Patiente : DUPONT Jeanne - NIR {NIR}"


def _p(body: str) -> str:
    return f"<w:p>{body}</w:p>"


def _r(text: str) -> str:
    return f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r>'


def _package(path: Path, body: str, *, extra: dict[str, str] | None = None,
             rels: str = "", content_type: str = "application/vnd.openxmlformats-"
             "officedocument.wordprocessingml.document.main+xml") -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml",
                         '<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                         'content-types"><Override PartName="/word/document.xml" '
                         f'ContentType="{content_type}"/></Types>')
        archive.writestr("_rels/.rels",
                         '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                         f'relationships"><Relationship Id="rId1" Type="{REL}/officeDocument" '
                         'Target="word/document.xml"/></Relationships>')
        archive.writestr("word/_rels/document.xml.rels",
                         '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                         f'relationships">{rels}</Relationships>')
        archive.writestr("word/document.xml",
                         f'<w:document {W_NS} {MC_NS}><w:body>{body}</w:body></w:document>')
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return path


def test_text_boxes_insertions_controls_and_nested_tables(tmp_path: Path) -> None:
    box = ('<w:txbxContent>' + _p(_r("Mme DUPONT Jeanne")) + _p(_r("Tél. 06 12 34 56 78"))
           + '</w:txbxContent>')
    body = (
        _p(_r("Objet : résultats") + '<w:r><w:tab/></w:r>' + _r("suite")
           + '<w:r><w:br/></w:r>' + _r("deuxième ligne"))
        + _p('<w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing>' + box
             + '</w:drawing></mc:Choice><mc:Fallback><w:pict>' + box
             + '</w:pict></mc:Fallback></mc:AlternateContent></w:r>' + _r("Ancre"))
        + _p('<w:ins w:id="1" w:author="x">' + _r("NIR inséré " + NIR) + "</w:ins>"
             + '<w:del w:id="2" w:author="x"><w:r><w:delText>supprimé 1</w:delText></w:r>'
             + "</w:del>")
        + _p("")
        + '<w:sdt><w:sdtContent>' + _p(_r("Contrôle de contenu")) + "</w:sdtContent></w:sdt>"
        + "<w:tbl><w:tr><w:tc>" + _p(_r("Clé")) + "</w:tc><w:tc>" + _p(_r("Valeur"))
        + "</w:tc></w:tr><w:tr><w:tc>" + _p(_r("Adresse")) + "</w:tc><w:tc>"
        + _p(_r("12 rue X")) + _p(_r("75001 Paris"))
        + "<w:tbl><w:tr><w:tc>" + _p(_r("a")) + "</w:tc><w:tc>" + _p(_r("b"))
        + "</w:tc></w:tr></w:tbl></w:tc></w:tr></w:tbl>"
        + '<w:sectPr/>'
    )
    path = _package(tmp_path / "complexe.docx", body)
    units = list(partition_docx(path))
    texts = {u.name: u.text for u in units if isinstance(u, TextUnit)}
    assert texts == {
        "paragraph 1": "Objet : résultats\tsuite\ndeuxième ligne",
        "paragraph 2": "Ancre",
        "paragraph 3": "Mme DUPONT Jeanne",  # the text box follows its anchor, read once
        "paragraph 4": "Tél. 06 12 34 56 78",
        "paragraph 5": f"NIR inséré {NIR}",  # tracked insertion kept, deletion left out
        "paragraph 6": "Contrôle de contenu",
        "deleted text": "supprimé 1",  # still in the file: scanned, apart
    }
    (table,) = [u for u in units if isinstance(u, TableUnit)]
    assert table.name == "table 1"
    assert table.header == ["Clé", "Valeur"]
    assert table.rows == [["Adresse", "12 rue X\n75001 Paris\na | b"]]


def test_headers_footers_notes_and_docm(tmp_path: Path) -> None:
    rels = (f'<Relationship Id="rId2" Type="{REL}/header" Target="header1.xml"/>'
            f'<Relationship Id="rId3" Type="{REL}/header" Target="header2.xml"/>'
            f'<Relationship Id="rId4" Type="{REL}/footer" Target="/word/footer1.xml"/>'
            f'<Relationship Id="rId5" Type="{REL}/footnotes" Target="footnotes.xml"/>'
            f'<Relationship Id="rId6" Type="{REL}/hyperlink" Target="http://x" '
            'TargetMode="External"/>')
    extra = {
        "word/header1.xml": f"<w:hdr {W_NS}>" + _p(_r("Première page")) + "</w:hdr>",
        "word/header2.xml": f"<w:hdr {W_NS}>" + "<w:tbl><w:tr><w:tc>" + _p(_r("DUPONT"))
                            + "</w:tc><w:tc>" + _p(_r(NIR)) + "</w:tc></w:tr></w:tbl></w:hdr>",
        "word/footer1.xml": f"<w:ftr {W_NS}>" + _p(_r("Page 1")) + "</w:ftr>",
        "word/footnotes.xml": f"<w:footnotes {W_NS}><w:footnote w:id='1'>"
                              + _p(_r("Né le 01/02/1950")) + "</w:footnote></w:footnotes>",
    }
    path = _package(tmp_path / "macro.docm", _p(_r("Corps")), extra=extra, rels=rels,
                    content_type="application/vnd.ms-word.document.macroEnabled.main+xml")
    units = {u.name: u.text for u in partition_docx(path)}
    assert units == {"paragraph 1": "Corps", "header 1": "Première page",
                     "header 2": f"DUPONT | {NIR}", "footer": "Page 1",
                     "footnotes": "Né le 01/02/1950"}


def test_embedded_objects_are_yielded_as_files(tmp_path: Path) -> None:
    rels = ""
    extra = {"word/embeddings/Microsoft_Excel_Worksheet1.xlsx": b"PK\x03\x04 fake",
             "word/vbaProject.bin": b"\xd0\xcf\x11\xe0 macro never read"}
    path = _package(tmp_path / "objet.docx", _p(_r("Voir tableau")), extra=extra, rels=rels)
    units = list(partition_docx(path))
    embedded = [u for u in units if isinstance(u, EmbeddedFile)]
    # Named by the part's base name: ``objet.docx!/Microsoft_Excel_Worksheet1.xlsx``.
    assert [e.name for e in embedded] == ["Microsoft_Excel_Worksheet1.xlsx"]
    assert b"".join(embedded[0].chunks()) == b"PK\x03\x04 fake"


@pytest.mark.parametrize("damage", ["truncated", "xml", "no-document", "entity"])
def test_damaged_docx_fails_with_a_reason(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "abime.docx"
    if damage == "truncated":
        make_docx(path)
        path.write_bytes(path.read_bytes()[:2000])
    elif damage == "xml":
        _package(path, _p(_r(f"DUPONT {NIR}")) + "<w:p")
    elif damage == "no-document":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("[Content_Types].xml", "<Types/>")
    else:
        lol = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10 if i else "lol"}">'
                      for i in range(9))
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("word/document.xml",
                             f'<?xml version="1.0"?><!DOCTYPE d [{lol}]><w:document {W_NS}>'
                             f"<w:body>{_p('<w:r><w:t>&l8;</w:t></w:r>')}</w:body>"
                             "</w:document>")
    try:
        units = list(partition_docx(path))
    except ExtractionError as exc:
        assert str(exc).startswith("corrupt docx"), str(exc)
        assert "DUPONT" not in str(exc) and NIR not in str(exc)
    else:
        assert damage == "entity"  # not expanded: at most the entity's own name
        assert sum(len(u.text) for u in units) < 1000


def test_damaged_compressed_part_fails_with_a_reason(tmp_path: Path) -> None:
    path = _package(tmp_path / "bits.docx", _p(_r(f"DUPONT {NIR} " * 200)))
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("word/document.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for offset in range(start + 10, start + info.compress_size - 10, 7):
        data[offset] ^= 0x55
    path.write_bytes(bytes(data))
    with pytest.raises(ExtractionError) as caught:
        list(partition_docx(path))
    assert str(caught.value).startswith("corrupt docx"), str(caught.value)


def test_a_letter_s_zip_is_opened_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The checks, the text parts and the drawings read one handle on the zip (issue 15:
    four openings per letter, each reading the whole central directory)."""
    path = tmp_path / "lettre.docx"
    make_docx(path)
    opened: list[object] = []
    real_init = zipfile.ZipFile.__init__

    def counting_init(self: zipfile.ZipFile, *args: object, **kwargs: object) -> None:
        opened.append(args[0] if args else kwargs.get("file"))
        real_init(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(zipfile.ZipFile, "__init__", counting_init)
    names = [u.name for u in partition_docx(path)]
    assert names == ["paragraph 1", "paragraph 2", "table 1", "paragraph 3", "header", "footer"]
    assert len(opened) == 1


def test_an_oversized_text_part_is_refused_and_other_parts_are_not(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from breachscope.extract import _office

    monkeypatch.setattr(_office, "MAX_PARSED_PART", 4000)
    big_picture = {"word/media/image1.png": b"\x89PNG" + bytes(range(256)) * 40}
    path = _package(tmp_path / "photo.docx", _p(_r("Courrier")), extra=big_picture)
    assert [u.name for u in partition_docx(path)] == ["paragraph 1", "image1.png"]
    path = _package(tmp_path / "long.docx", _p(_r(f"DUPONT {NIR} " * 400)))
    with pytest.raises(ExtractionError) as caught:
        list(partition_docx(path))
    assert str(caught.value) == "docx refused: part word/document.xml is 0 MiB"
