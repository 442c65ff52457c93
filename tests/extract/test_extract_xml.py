"""XML (defusedxml: no entity expansion, no external access), XLSX bombs, HTML."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
from complexity import assert_scales

from breachscope.detect.dispatch import detect_units
from breachscope.extract.dispatch import partition
from breachscope.extract.units import ExtractionError, TableUnit, TextUnit


def make_nir(first13: str) -> str:
    return f"{first13}{97 - int(first13) % 97:02d}"


NIR_A = make_nir("2540375123456")
NIR_B = make_nir("1600275123456")

BILLION_LAUGHS = f"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<patients>
  <patient><nom>DUPONT</nom><nir>{NIR_A}</nir><note>&lol9;</note></patient>
  <patient><nom>MARTIN</nom><nir>{NIR_B}</nir></patient>
</patients>
"""

PATIENTS = f"""<?xml version="1.0" encoding="ISO-8859-1"?>
<export xmlns="urn:example:dpi" date="2024-02-12">
  <titre>Export des patients</titre>
  <patients>
    <patient ipp="000123">
      <nom>LEFÈVRE</nom>
      <prenom>Hélène</prenom>
      <date_naissance>1954-03-12</date_naissance>
      <nir>{NIR_A}</nir>
      <tel type="mobile">06 12 34 56 78</tel>
    </patient>
    <patient ipp="000124">
      <nom>MARTIN</nom>
      <prenom>Jean</prenom>
      <date_naissance>1960-02-01</date_naissance>
      <nir>{NIR_B}</nir>
    </patient>
  </patients>
  <commentaire>Patiente rappelée au
  06 98 76 54 32 le 3 mars.</commentaire>
</export>
"""


def _all_text(units: list) -> str:
    parts = []
    for unit in units:
        if isinstance(unit, TextUnit):
            parts.append(unit.text)
        else:
            parts.extend(unit.header)
            parts.extend(cell for row in unit.rows for cell in row)
    return "\n".join(parts)


def test_billion_laughs_is_not_expanded_and_nirs_are_found(tmp_path: Path) -> None:
    path = tmp_path / "lol.xml"
    path.write_text(BILLION_LAUGHS, encoding="utf-8")
    # Not expanded: the 10**9-lol entity costs no more than a 10-lol one in the same file (a
    # complexity check, not a wall-clock limit: see tests/complexity.py).
    tame = tmp_path / "lol1.xml"
    tame.write_text(BILLION_LAUGHS.replace("<note>&lol9;", "<note>&lol1;"), encoding="utf-8")
    units = list(partition(path, "xml"))  # first: the imports are not timed below
    assert_scales(lambda: list(partition(tame, "xml")), lambda: list(partition(path, "xml")),
                  what="XML entity bomb")
    assert "lollol" not in _all_text(units)
    assert all(isinstance(u, TextUnit) for u in units)  # refused: scanned as text
    nirs = {f.value for f in detect_units(units).findings if f.entity == "NIR"}
    assert nirs == {NIR_A, NIR_B}


def test_xxe_reads_nothing_from_disk(tmp_path: Path) -> None:
    secret = tmp_path / "passwd"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n")
    path = tmp_path / "xxe.xml"
    path.write_text(f"""<?xml version="1.0"?>
<!DOCTYPE foo [ <!ENTITY xxe SYSTEM "file://{secret}"> ]>
<patients><patient><nom>&xxe;</nom><nir>{NIR_A}</nir></patient></patients>
""")
    units = list(partition(path, "xml"))
    assert "root:" not in _all_text(units)
    assert NIR_A in _all_text(units)

    path.write_text(f"""<?xml version="1.0"?>
<!DOCTYPE foo SYSTEM "file://{secret}">
<patients><patient><nom>DUPONT</nom><nir>{NIR_A}</nir></patient></patients>
""")
    assert "root:" not in _all_text(list(partition(path, "xml")))


def test_patients_xml_gives_a_table_with_columns(tmp_path: Path) -> None:
    path = tmp_path / "patients.xml"
    path.write_bytes(PATIENTS.encode("iso-8859-1"))
    units = list(partition(path, "xml"))
    (table,) = [u for u in units if isinstance(u, TableUnit)]
    assert table.name == "table export/patients/patient"
    assert table.header == ["@ipp", "nom", "prenom", "date_naissance", "nir", "tel",
                            "tel@type"]
    assert table.rows[0] == ["000123", "LEFÈVRE", "Hélène", "1954-03-12", NIR_A,
                             "06 12 34 56 78", "mobile"]
    assert table.rows[1][:5] == ["000124", "MARTIN", "Jean", "1960-02-01", NIR_B]
    assert table.row_numbers == [1, 2]
    texts = [u for u in units if isinstance(u, TextUnit) and u.name == "export"]
    assert texts[0].first_line == 3  # texts are laid out on their source lines
    lines = texts[0].text.split("\n")
    assert lines[0] == "Export des patients"
    assert lines[19 - 3] == "Patiente rappelée au" and "06 98 76 54 32" in lines[20 - 3]

    result = detect_units(units)
    labels = {c.header: c.label for _name, c in result.columns}
    assert labels["nir"] == "NIR" and labels["nom"] == "LAST_NAME"
    assert labels["date_naissance"] == "BIRTH_DATE"
    assert ("PHONE", "export, line 20") in {
        (f.entity, f.location) for f in result.findings}
    assert len(result.records) == 2


def test_truncated_xml_keeps_what_was_read_and_scans_the_rest(tmp_path: Path) -> None:
    rows = "".join(f"<patient><nom>NOM{i}</nom><nir>{NIR_A}</nir></patient>\n"
                   for i in range(50))
    path = tmp_path / "cut.xml"
    path.write_text(f"<patients>\n{rows}<patient><nom>LAST</nom><nir>{NIR_B}<", "utf-8")
    units = list(partition(path, "xml"))
    (table,) = [u for u in units if isinstance(u, TableUnit)]
    assert len(table.rows) == 50
    assert NIR_B in _all_text([u for u in units if isinstance(u, TextUnit)])


def test_big_xml_is_streamed_in_chunks(tmp_path: Path) -> None:
    path = tmp_path / "big.xml"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("<patients>")
        for i in range(45_000):
            handle.write(f"<patient><nom>NOM{i}</nom><nir>{NIR_A}</nir></patient>")
        handle.write("</patients>")
    tables = [u for u in partition(path, "xml") if isinstance(u, TableUnit)]
    assert [len(t.rows) for t in tables] == [20_000, 20_000, 5_000]
    assert {tuple(t.header) for t in tables} == {("nom", "nir")}
    assert tables[2].row_numbers[-1] == 45_000


def test_xlsx_with_entity_bomb_fails_fast_or_is_not_expanded(tmp_path: Path) -> None:
    source = tmp_path / "ok.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.append(["nom", "nir"])
    workbook.active.append(["DUPONT", NIR_A])
    workbook.save(source)
    assert openpyxl.xml.DEFUSEDXML
    doctype = BILLION_LAUGHS.split("<patients>")[0].replace('<?xml version="1.0"?>', "")

    def build(bomb: Path, entity: str) -> Path:
        with zipfile.ZipFile(source) as src, zipfile.ZipFile(bomb, "w") as dst:
            for item in src.infolist():
                data = src.read(item.filename)
                if item.filename in ("xl/worksheets/sheet1.xml", "xl/sharedStrings.xml"):
                    text = data.decode()
                    if text.startswith("<?xml"):
                        head, body = text.split("?>", 1)
                        head += "?>"
                    else:
                        head, body = "", text
                    data = (head + doctype + body.replace("DUPONT", entity)).encode()
                dst.writestr(item, data)
        return bomb

    bomb = build(tmp_path / "bomb.xlsx", "&lol9;")
    tame = build(tmp_path / "tame.xlsx", "&lol1;")

    def read(path: Path) -> list | str:
        try:
            return list(partition(path, "xlsx"))
        except ExtractionError as exc:
            return str(exc)

    # Not expanded: the 10**9-lol entity costs no more than a 10-lol one (a complexity check,
    # not a wall-clock limit: see tests/complexity.py).
    units = read(bomb)  # first: the imports are not timed below
    assert_scales(lambda: read(tame), lambda: read(bomb), what="XLSX entity bomb")
    if isinstance(units, str):
        assert units == "xlsx refused: XML entity declaration (possible XML bomb)"
    else:
        assert "lollol" not in _all_text(units)


def test_html_visible_text_only(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(f"""<!DOCTYPE html>
<html><head><title>Dossier</title>
<style>body {{ color: red }} .x06 {{ }}</style>
<script>var tel = "0612345678"; var nir = "{NIR_B}";</script>
</head>
<body>
<p>Patiente : Mme LEF&Egrave;VRE, n&eacute;e le 12/03/1954</p>
<table><tr><td>NIR</td><td>{NIR_A}</td></tr></table>
<!-- commentaire 0698765432 -->
</body></html>
""", encoding="utf-8")
    units = list(partition(path, "html"))
    text = "\n".join(u.text for u in units)
    assert "LEFÈVRE, née le 12/03/1954" in text
    assert NIR_A in text
    assert "0612345678" not in text and NIR_B not in text and "color" not in text
    assert "0698765432" not in text
    findings = detect_units(units).findings
    assert ("NIR", "line 8") in {(f.entity, f.location) for f in findings}
    assert ("BIRTH_DATE", "line 7") in {(f.entity, f.location) for f in findings}


def test_deeply_nested_xml_stays_small(tmp_path: Path) -> None:
    """Found while stress-testing: element paths grew with depth (quadratic memory)."""
    path = tmp_path / "deep.xml"
    path.write_bytes(b"<a>" * 100_000 + NIR_A.encode() + b"</a>" * 100_000)
    units = list(partition(path, "xml"))
    assert NIR_A in _all_text(units)
    assert max(len(u.name) for u in units) < 200


def test_thousands_of_leaves_make_few_text_units(tmp_path: Path) -> None:
    path = tmp_path / "wide.xml"
    children = "".join(f"<c{i}>v{i}</c{i}>" for i in range(5000))
    path.write_text(f"<r><p>{children}</p></r>")
    units = list(partition(path, "xml"))
    assert len(units) <= 3
    assert "v4999" in _all_text(units)
