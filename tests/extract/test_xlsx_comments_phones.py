"""XLSX cell comments (legacy and threaded) read as text, and phones stored as numbers in a
sheet (``612345678``: the leading 0 lost) found under a phone header — never a 9-digit number
without one (FINESS, SIREN)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from breachscope.detect.dispatch import detect_units
from breachscope.detect.tables import detect_table
from breachscope.extract.dispatch import partition
from breachscope.extract.units import EmbeddedFile, TableUnit, TextUnit

NIR = "254037512345655"
PHONE = "+33612345678"


def units_of(path: Path) -> list:
    return [u for u in partition(path, "xlsx") if not isinstance(u, EmbeddedFile)]


def findings(units: list) -> set[tuple[str, str, str]]:
    return {(f.entity, f.value, f.location) for f in detect_units(units).findings}


def make_commented(path: Path) -> None:
    import openpyxl
    from openpyxl.comments import Comment

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Patients"
    sheet.append(["Nom", "Chambre"])
    sheet.append(["DUPONT", "12"])
    sheet["B2"].comment = Comment("Rappeler la fille\nau 06 12 34 56 78", "secretariat")
    sheet["A2"].comment = Comment(f"NIR à vérifier : {NIR}", "secretariat")
    other = book.create_sheet("Lits")
    other.append(["Lit", "Etat"])
    other.append(["3", "libre"])
    book.save(path)


def test_cell_comments_are_read_per_sheet(tmp_path):
    path = tmp_path / "lits.xlsx"
    make_commented(path)
    units = units_of(path)
    comments = [u for u in units if isinstance(u, TextUnit) and u.name.startswith("comments")]
    assert [(u.name, u.text) for u in comments] == [
        ("comments Patients",
         f"A2: NIR à vérifier : {NIR}\nB2: Rappeler la fille / au 06 12 34 56 78")]
    got = findings(units)
    assert ("NIR", NIR, "comments Patients, line 1") in got
    assert ("PHONE", PHONE, "comments Patients, line 2") in got


_THREADED = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<ThreadedComments xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/'
    'threadedcomments"><threadedComment ref="B2" id="{1}" personId="{2}">'
    "<text>Mme DUPONT joignable au 06 12 34 56 78</text></threadedComment>"
    "</ThreadedComments>")
_SHEET_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId9" Type="http://schemas.microsoft.com/office/2017/10/relationships/'
    'threadedComment" Target="../threadedComments/threadedComment1.xml"/></Relationships>')


def add_parts(path: Path, parts: dict[str, str]) -> None:
    with zipfile.ZipFile(path) as source:
        entries = {i.filename: source.read(i) for i in source.infolist()}
    entries.update({name: text.encode() for name, text in parts.items()})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in entries.items():
            out.writestr(name, data)


def test_threaded_comments_of_a_sheet_without_legacy_part(tmp_path):
    path = tmp_path / "lits.xlsx"
    make_commented(path)
    add_parts(path, {"xl/threadedComments/threadedComment1.xml": _THREADED,
                     "xl/worksheets/_rels/sheet2.xml.rels": _SHEET_RELS})
    units = units_of(path)
    names = [u.name for u in units if u.name.startswith("comments")]
    assert names == ["comments Patients", "comments Lits"]
    assert ("PHONE", PHONE, "comments Lits, line 1") in findings(units)


def test_entity_bomb_in_comments_reads_the_sheets_and_no_comment(tmp_path):
    path = tmp_path / "bombe.xlsx"
    make_commented(path)
    part = "xl/comments/comment1.xml"  # where openpyxl writes the first sheet's comments
    bomb = ('<?xml version="1.0"?><!DOCTYPE c [<!ENTITY a "aaaaaaaaaa">'
            '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            '<comments xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<commentList><comment ref="A1"><text><t>&b;</t></text></comment></commentList>'
            "</comments>")
    add_parts(path, {part: bomb})
    units = units_of(path)
    assert [u.name for u in units if isinstance(u, TableUnit)] == ["sheet Patients", "sheet Lits"]
    assert not [u for u in units if u.name.startswith("comments")]


# ---------------------------------------------------------------- phones stored as numbers


def make_numbers(path: Path) -> None:
    """Two sheets of 9-digit numbers stored as numbers, no number format: phones under a
    'Portable' header, FINESS and SIREN numbers (also 9 digits) under theirs and under none."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Patients"
    sheet.append(["Nom", "Prénom", "Portable"])
    sheet.append(["DUPONT", "Jeanne", 612345678])
    sheet.append(["MARTIN", "Paul", 145566778])
    sheet.append(["DURAND", "Alice", "06 11 22 33 44"])
    sites = book.create_sheet("Etablissements")
    sites.append(["Nom", "FINESS", "SIREN", "Code"])
    sites.append(["CH Nord", 610780082, 261100022, 612345678])
    sites.append(["Clinique Sud", 750712184, 267500452, 145566778])
    book.save(path)


def test_phone_stored_as_a_number_under_a_phone_header(tmp_path):
    path = tmp_path / "numeros.xlsx"
    make_numbers(path)
    got = findings(units_of(path))
    phones = {(v, loc) for e, v, loc in got if e == "PHONE"}
    assert phones == {(PHONE, "sheet Patients, row 2, column Portable"),
                      ("+33145566778", "sheet Patients, row 3, column Portable"),
                      ("+33611223344", "sheet Patients, row 4, column Portable")}


@pytest.mark.parametrize("header", ["FINESS", "SIREN", "Code", "Numéro", ""])
def test_nine_digits_without_a_phone_header_are_not_phones(header):
    table = TableUnit(header=["Nom", header],
                      rows=[["A", "612345678"], ["B", "145566778"], ["C", "798765432"]])
    result = detect_table(table)
    assert not [f for f in result.findings if f.entity == "PHONE"]
    assert result.columns[1].label != "PHONE" and not result.columns[1].phone_zeros
    assert table.column(1) == ["612345678", "145566778", "798765432"]  # cells untouched


def test_phone_header_over_other_numbers_restores_nothing():
    # 8-digit counts and special-rate numbers (08…) are not phones without their 0.
    table = TableUnit(header=["Nom", "Téléphone"],
                      rows=[["A", "12345678"], ["B", "812345678"], ["C", "45"]])
    result = detect_table(table)
    assert result.columns[1].label is None and not result.columns[1].phone_zeros
    assert table.column(1) == ["12345678", "812345678", "45"]


def test_reason_says_the_zero_was_restored_without_quoting_values():
    table = TableUnit(header=["Nom", "Tel"], rows=[["A", "612345678"], ["B", "798765432"]])
    column = detect_table(table).columns[1]
    assert column.label == "PHONE" and column.phone_zeros
    assert "leading 0 restored on 100% of values" in column.reason
    assert "612345678" not in column.reason


# ---------------------------------------------------------------- pivot caches

_DEFINITION = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<pivotCacheDefinition xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" r:id="rId1" '
    'recordCount="3"><cacheSource type="worksheet"><worksheetSource ref="A1:D4" '
    'sheet="Patients"/></cacheSource><cacheFields count="4">'
    '<cacheField name="Nom" numFmtId="0"><sharedItems><s v="DUPONT"/><s v="MARTIN"/>'
    "</sharedItems></cacheField>"
    '<cacheField name="NIR" numFmtId="0"><sharedItems containsNumber="1"/></cacheField>'
    '<cacheField name="Date de naissance" numFmtId="14"><sharedItems containsDate="1"/>'
    "</cacheField>"
    '<cacheField name="Service" numFmtId="0"><sharedItems><s v="Cardiologie"/></sharedItems>'
    "</cacheField></cacheFields></pivotCacheDefinition>")
_DEFINITION_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/pivotCacheRecords" Target="pivotCacheRecords1.xml"/></Relationships>')
_RECORDS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<pivotCacheRecords xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'count="3">'
    f'<r><x v="0"/><n v="{NIR}"/><d v="1954-03-12T00:00:00"/><x v="0"/></r>'
    '<r><x v="1"/><m/><d v="1960-02-01T00:00:00"/><x v="0"/></r>'
    '<r><x v="7"/><s v="pas un NIR"/><m/><x v="0"/></r>'
    "</pivotCacheRecords>")


def test_pivot_cache_rows_are_read_when_the_source_sheet_is_gone(tmp_path):
    import openpyxl

    # The workbook shows only counts per ward; the patient list it came from was deleted,
    # but the pivot cache kept it.
    book = openpyxl.Workbook()
    book.active.title = "Synthese"
    book.active.append(["Service", "Nombre"])
    book.active.append(["Cardiologie", 2])
    path = tmp_path / "synthese.xlsx"
    book.save(path)
    add_parts(path, {"xl/pivotCache/pivotCacheDefinition1.xml": _DEFINITION,
                     "xl/pivotCache/_rels/pivotCacheDefinition1.xml.rels": _DEFINITION_RELS,
                     "xl/pivotCache/pivotCacheRecords1.xml": _RECORDS})
    units = units_of(path)
    [cache] = [u for u in units if u.name == "pivot cache 1"]
    assert cache.header == ["Nom", "NIR", "Date de naissance", "Service"]
    assert cache.rows == [["DUPONT", NIR, "1954-03-12", "Cardiologie"],
                          ["MARTIN", "", "1960-02-01", "Cardiologie"],
                          ["", "pas un NIR", "", "Cardiologie"]]
    assert cache.row_numbers == [2, 3, 4]
    got = findings(units)
    assert ("NIR", NIR, "pivot cache 1, row 2, column NIR") in got
    assert ("BIRTH_DATE", "1954-03-12", "pivot cache 1, row 2, column Date de naissance") in got


def test_damaged_pivot_records_keep_the_rows_read(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["a", "b"])
    path = tmp_path / "casse.xlsx"
    book.save(path)
    cut = _RECORDS[: _RECORDS.index("<r><x v=\"1\"/>") + 20]
    add_parts(path, {"xl/pivotCache/pivotCacheDefinition1.xml": _DEFINITION,
                     "xl/pivotCache/_rels/pivotCacheDefinition1.xml.rels": _DEFINITION_RELS,
                     "xl/pivotCache/pivotCacheRecords1.xml": cut})
    [cache] = [u for u in units_of(path) if u.name == "pivot cache 1"]
    assert cache.rows == [["DUPONT", NIR, "1954-03-12", "Cardiologie"]]


# ---------------------------------------------------------------- external link caches

_LINK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<externalBook r:id="rId1"><sheetNames><sheetName val="Liste"/></sheetNames>'
    '<sheetDataSet><sheetData sheetId="0">'
    '<row r="2"><cell r="A2" t="str"><v>DUPONT Jeanne</v></cell>'
    f'<cell r="B2"><v>{NIR}</v></cell></row>'
    '<row r="3"><cell r="A3" t="str"><v>MARTIN Paul</v></cell></row>'
    "</sheetData></sheetDataSet></externalBook></externalLink>")


def test_external_link_cached_cells_are_read(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["Patient", "NIR"])
    book.active.append(["=[1]Liste!A2", "=[1]Liste!B2"])
    path = tmp_path / "synthese.xlsx"
    book.save(path)
    add_parts(path, {"xl/externalLinks/externalLink1.xml": _LINK})
    units = units_of(path)
    [link] = [u for u in units if u.name == "external link 1"]
    assert link.text == f"Liste row 2: DUPONT Jeanne | {NIR}\nListe row 3: MARTIN Paul"
    assert ("NIR", NIR, "external link 1, line 1") in findings(units)


def test_numeric_phones_in_a_later_chunk_of_the_sheet():
    from breachscope.detect.dispatch import StreamingDetector

    detector = StreamingDetector()
    found = []
    for chunk in range(2):  # a sheet of more than CHUNK_ROWS rows comes in several units
        rows = [["DUPONT", str(612345670 + chunk * 5 + i)] for i in range(5)]
        result = detector.detect(TableUnit(header=["Nom", "Portable"], rows=rows,
                                           name="sheet A",
                                           row_numbers=list(range(2 + chunk * 5, 7 + chunk * 5))))
        found.append(sum(1 for f in result.findings if f.entity == "PHONE"))
    assert found == [5, 5]
