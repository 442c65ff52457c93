"""Objects and pictures inside DOCX, XLSX, ODT and ODS: yielded as members (the file an OLE
package wraps, not the wrapper), size limits against hostile documents, and end to end through
the CLI: findings in ``letter.docx!/…``, pictures OCR'd."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from noise import noise
from samples import embedded as samples
from samples import mail as mail_samples
from samples.embedded import NIR

from breachscope.extract import _office
from breachscope.extract._ole import ole_payload
from breachscope.extract.dispatch import partition
from breachscope.extract.units import EmbeddedFile
from breachscope.ingest.archives import LimitExceeded


def members(path: Path, file_type: str) -> dict[str, bytes]:
    return {u.name: b"".join(u.chunks()) for u in partition(path, file_type)
            if isinstance(u, EmbeddedFile)}


def test_docx_package_part_and_picture(tmp_path):
    letter = tmp_path / "letter.docx"
    samples.make_letter_with_xlsx(letter)
    assert members(letter, "docx") == {
        "Microsoft_Excel_Worksheet.xlsx":
        zipfile.ZipFile(letter).read("word/embeddings/Microsoft_Excel_Worksheet.xlsx")}
    scan = tmp_path / "scan.docx"
    samples.make_letter_with_picture(scan)
    got = members(scan, "docx")
    assert list(got) == ["image1.png"] and got["image1.png"].startswith(b"\x89PNG")


@pytest.mark.parametrize(("file_name", "make"), [
    ("rapport.pdf", samples.pdf_bytes), ("liste.xlsx", samples.xlsx_bytes),
    ("Message transféré.msg", mail_samples.msg_bytes)])
def test_ole_package_gives_the_wrapped_file(tmp_path, file_name, make):
    data = make()
    letter = tmp_path / "letter.docx"
    samples.make_letter_with_ole(letter, file_name, data)
    # The compound file is not what is scanned: the file inside is, under its own name.
    assert members(letter, "docx") == {file_name: data}


def test_ole_payload_without_a_native_stream_is_kept_whole():
    assert ole_payload(b"not an ole object").data == b"not an ole object"
    broken = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600
    payload = ole_payload(broken)
    assert payload.data == broken and payload.name is None


def test_odt_picture_and_spreadsheet_object(tmp_path):
    letter = tmp_path / "lettre.odt"
    samples.make_odt_with_objects(letter)
    got = members(letter, "odt")
    [picture] = [n for n in got if n.endswith(".png")]
    assert got[picture].startswith(b"\x89PNG")
    # The spreadsheet object stored as a folder is rebuilt as a workbook of its own.
    sheet = tmp_path / "object.ods"
    sheet.write_bytes(got["Object 1.ods"])
    from breachscope.ingest.sniff import sniff_type

    assert sniff_type(sheet) == "ods"
    rows = [u for u in partition(sheet, "ods") if not isinstance(u, EmbeddedFile)]
    assert rows[0].header == ["Nom", "NIR"] and rows[0].rows == [["DUPONT", NIR]]


def test_xlsx_and_ods_pictures(tmp_path):
    import openpyxl
    from openpyxl.drawing.image import Image

    book = openpyxl.Workbook()
    book.active.append(["Nom", "NIR"])
    book.active.add_image(Image(io.BytesIO(samples.png_bytes())), "D2")
    path = tmp_path / "export.xlsx"
    book.save(path)
    got = members(path, "xlsx")
    assert list(got) == ["image1.png"] and got["image1.png"].startswith(b"\x89PNG")

    from odf.draw import Frame
    from odf.draw import Image as OdfImage
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="Feuille1")
    row = TableRow()
    cell = TableCell()
    frame = Frame(width="10cm", height="4cm", anchortype="paragraph")
    frame.addElement(OdfImage(href=doc.addPictureFromString(samples.png_bytes(), "image/png")))
    cell.addElement(P(text="scan"))
    cell.addElement(frame)
    row.addElement(cell)
    table.addElement(row)
    doc.spreadsheet.addElement(table)
    ods = tmp_path / "export.ods"
    doc.save(str(ods))
    got = members(ods, "ods")
    assert len(got) == 1 and next(iter(got.values())).startswith(b"\x89PNG")


def test_oversized_and_bomb_parts_are_refused_with_a_reason(tmp_path, monkeypatch):
    letter = tmp_path / "letter.docx"
    samples.make_letter(letter)
    samples.add_parts(letter, {
        "word/media/image1.png": b"\x89PNG" + b"\0" * (3 << 19),  # ratio > 200, > 1 MiB
        "word/media/image2.png": b"\x89PNG" + bytes(range(256)) * 64,
        "word/embeddings/big.pdf": b"%PDF" + noise(3 << 20, seed=3001)})
    monkeypatch.setattr(_office, "MAX_EMBEDDED_PART", 2 << 20)
    units = {u.name: u for u in partition(letter, "docx") if isinstance(u, EmbeddedFile)}
    assert set(units) == {"image1.png", "image2.png", "big.pdf"}
    with pytest.raises(LimitExceeded, match=r"compression ratio \d+ \(limit 200\)"):
        b"".join(units["image1.png"].chunks())
    with pytest.raises(LimitExceeded, match=r"too large: 3 MiB uncompressed \(limit 2 MiB\)"):
        b"".join(units["big.pdf"].chunks())
    assert b"".join(units["image2.png"].chunks()).startswith(b"\x89PNG")


def test_too_many_parts_are_cut_with_a_reason(tmp_path, monkeypatch):
    letter = tmp_path / "letter.docx"
    samples.make_letter(letter)
    samples.add_parts(letter, {f"word/media/image{i}.png": b"\x89PNG" for i in range(5)})
    monkeypatch.setattr(_office, "MAX_EMBEDDED_PARTS", 3)
    units = [u for u in partition(letter, "docx") if isinstance(u, EmbeddedFile)]
    assert len(units) == 4 and units[-1].name == "more embedded parts"
    with pytest.raises(LimitExceeded, match="more than 3 embedded"):
        b"".join(units[-1].chunks())


def test_hostile_part_names_stay_plain_member_names(tmp_path):
    letter = tmp_path / "letter.docx"
    samples.make_letter(letter)
    samples.add_parts(letter, {"word/media/../../x.png": b"\x89PNG a",
                               "word/media/X.png": b"\x89PNG b",
                               "word/media/x.png": b"\x89PNG c"})
    got = members(letter, "docx")
    # No path in a member name; names differing only by case do not collide; every part kept.
    assert sorted(got) == ["X_2.png", "x.png", "x_3.png"]
    assert sorted(got.values()) == [b"\x89PNG a", b"\x89PNG b", b"\x89PNG c"]


# ---------------------------------------------------------------- end to end


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory):
    from typer.testing import CliRunner

    from breachscope.cli import app

    work = tmp_path_factory.mktemp("embedded")
    dump = work / "dump"
    dump.mkdir()
    samples.make_letter_with_xlsx(dump / "letter.docx")
    samples.make_letter_with_picture(dump / "scan.docx")
    samples.make_letter_with_ole(dump / "courrier.docx", "rapport.pdf", samples.pdf_bytes())
    samples.make_odt_with_objects(dump / "lettre.odt")
    runner = CliRunner()

    def run(*args: object) -> None:
        result = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
        assert result.exit_code == 0, result.output

    run("scan", dump, "--case", work / "case", "--workers", "2")
    run("export", "--case", work / "case", "--what", "findings", "--format", "csv",
        "-o", work / "findings.csv")
    run("export", "--case", work / "case", "--what", "files", "--format", "csv",
        "-o", work / "files.csv")
    with (work / "findings.csv").open(encoding="utf-8", newline="") as fh:
        findings = list(csv.DictReader(fh))
    with (work / "files.csv").open(encoding="utf-8", newline="") as fh:
        files = {row["file"]: row for row in csv.DictReader(fh)}
    return findings, files


@pytest.mark.slow
def test_cli_finds_the_nir_of_an_embedded_workbook(scanned):
    findings, files = scanned
    member = "letter.docx!/Microsoft_Excel_Worksheet.xlsx"
    assert files[member]["status"] == "scanned", files[member]
    assert files[member]["type"] == "xlsx"
    rows = {(f["entity"], f["value"], f["location"]) for f in findings if f["file"] == member}
    assert ("NIR", NIR, "sheet Patients, row 2, column NIR") in rows
    # Nothing in the letter's own text.
    assert not [f for f in findings if f["file"] == "letter.docx"]


@pytest.mark.slow
def test_cli_ocrs_a_picture_in_a_letter(scanned):
    findings, files = scanned
    member = "scan.docx!/image1.png"
    assert files[member]["status"] == "scanned", files[member]
    found = {(f["entity"], f["value"]) for f in findings if f["file"] == member}
    assert {("NIR", NIR), ("PHONE", samples.PHONE)} <= found


@pytest.mark.slow
def test_cli_reads_the_pdf_inside_an_ole_package(scanned):
    findings, files = scanned
    member = "courrier.docx!/rapport.pdf"
    assert files[member]["type"] == "pdf" and files[member]["status"] == "scanned"
    assert ("NIR", NIR) in {(f["entity"], f["value"]) for f in findings if f["file"] == member}


@pytest.mark.slow
def test_cli_reads_odt_objects_and_pictures(scanned):
    findings, files = scanned
    found = {(f["file"], f["entity"], f["value"]) for f in findings}
    assert ("lettre.odt!/Object 1.ods", "NIR", NIR) in found
    pictures = [name for name in files if name.startswith("lettre.odt!/")
                and name.endswith(".png")]
    assert len(pictures) == 1
    assert (pictures[0], "NIR", NIR) in found
