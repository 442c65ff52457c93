"""What a PDF holds beside its pages' text: attached files (document attachments, portfolios,
file attachment annotations) as members, filled form fields, and the scanned page whose text
layer is only a stamp (OCR'd all the same); end to end through the CLI."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from samples import pdfs
from samples.pdfs import EMAIL, NIR, PHONE

from breachscope.detect.dispatch import detect_units
from breachscope.extract import pdf as pdf_module
from breachscope.extract.image import count_ocr_pages
from breachscope.extract.pdf import partition_pdf
from breachscope.extract.units import EmbeddedFile, TextUnit
from breachscope.ingest.archives import LimitExceeded


def split(path: Path) -> tuple[list[TextUnit], dict[str, bytes]]:
    units, files = [], {}
    for unit in partition_pdf(path):
        if isinstance(unit, EmbeddedFile):
            files[unit.name] = b"".join(unit.chunks())
        else:
            units.append(unit)
    return units, files


def found(units: list[TextUnit]) -> dict[tuple[str, str], str]:
    return {(f.entity, f.value): f.location for f in detect_units(units).findings}


def test_attachments_and_annotation_files_are_members(tmp_path):
    path = tmp_path / "rapport.pdf"
    pdfs.make_pdf_with_attachments(path)
    units, files = split(path)
    # The annotation's file is also in the document's tree: it is read once.
    assert sorted(files) == ["liste.csv", "note.txt"]
    assert files["liste.csv"] == pdfs.CSV
    assert EMAIL.encode() in files["note.txt"]
    assert [u.name for u in units] == ["page 1"]


def test_portfolio_files_are_members(tmp_path):
    inner = tmp_path / "inner.pdf"
    pdfs.make_filled_form(inner)
    path = tmp_path / "dossier.pdf"
    pdfs.make_portfolio(path, {"cerfa.pdf": inner.read_bytes(), "liste.csv": pdfs.CSV,
                               "../../etc/liste.csv": b"other"})
    _, files = split(path)
    assert files["cerfa.pdf"] == inner.read_bytes()
    assert files["liste.csv"] == pdfs.CSV
    # A hostile name keeps no path and does not take another file's place.
    assert files["liste_2.csv"] == b"other" and len(files) == 3


def test_oversized_attachment_is_recorded_with_the_limit(tmp_path, monkeypatch):
    path = tmp_path / "gros.pdf"
    pdfs.make_portfolio(path, {"gros.bin": b"x" * 5000, "petit.csv": pdfs.CSV})
    monkeypatch.setattr(pdf_module, "MAX_ATTACHMENT_BYTES", 4096)
    members = {u.name: u for u in partition_pdf(path) if isinstance(u, EmbeddedFile)}
    assert b"".join(members["petit.csv"].chunks()) == pdfs.CSV
    with pytest.raises(LimitExceeded, match=r"pdf attachment too large: 0 MiB \(limit 0 MiB\)"):
        b"".join(members["gros.bin"].chunks())


def test_filled_form_fields_are_read(tmp_path):
    path = tmp_path / "cerfa.pdf"
    pdfs.make_filled_form(path)
    units, files = split(path)
    assert not files
    fields = [u for u in units if u.name == "form fields"]
    assert [u.text for u in fields] == [
        "NomNaissance: DUPONT\n"
        f"NIR: {pdfs.NIR_SPACED}\n"
        "Telephone: 06 12 34 56 78\n"
        f"Contact: {EMAIL}\n"
        "CMU: Oui"]
    got = found(units)
    assert got[("NIR", NIR)] == "form fields, line 2"
    assert got[("PHONE", PHONE)] == "form fields, line 3"
    assert got[("EMAIL", EMAIL)] == "form fields, line 4"


def test_form_fields_are_not_read_with_a_scripting_pdfium(tmp_path, monkeypatch):
    path = tmp_path / "cerfa.pdf"
    pdfs.make_filled_form(path)
    monkeypatch.setattr(pdf_module, "_forms_allowed", lambda: False)
    units, _ = split(path)
    assert [u.name for u in units] == ["page 1"]


def test_scanned_page_with_a_text_stamp_is_ocrd(tmp_path):
    path = tmp_path / "courrier.pdf"
    pdfs.make_scan_with_stamp(path)
    assert count_ocr_pages(path, "pdf") == 1
    units, _ = split(path)
    # The stamp (the text layer) is kept; the OCR lines follow it on the same page.
    assert units[0].text == pdfs.STAMP and units[0].confidence is None
    assert all(u.name == "page 1" for u in units)
    ocr = [u for u in units if u.confidence is not None]
    assert ocr and ocr[0].first_line == 2
    got = found(units)
    assert ("NIR", NIR) in got and ("PHONE", PHONE) in got
    line = int(got[("NIR", NIR)].rsplit(" ", 1)[1])
    assert line > 1


@pytest.mark.parametrize("maker", [pdfs.make_text_page_with_logo, pdfs.make_ocr_layered_scan])
def test_pages_whose_text_layer_covers_them_are_not_ocrd(tmp_path, maker):
    path = tmp_path / "page.pdf"
    maker(path)
    assert count_ocr_pages(path, "pdf") == 0
    units, _ = split(path)
    assert units and all(u.confidence is None for u in units)


def test_half_page_scan_with_a_stamp_is_ocrd(tmp_path):
    # A short scan (over a third of an A4 page: a receipt, a half page) placed on an A4 page.
    path = tmp_path / "recu.pdf"
    pdfs.make_scan_with_stamp(path, lines=pdfs.LETTER_LINES[2:9], page_height=297.0)
    assert count_ocr_pages(path, "pdf") == 1
    assert ("NIR", NIR) in found(split(path)[0])


def test_long_stamp_in_small_print_still_gets_ocr(tmp_path):
    # 230 characters in an 8-point line: more than a stamp's characters, but the text boxes
    # cover a sliver of a page the image fills.
    path = tmp_path / "long.pdf"
    pdfs.make_scan_with_stamp(path, stamp=("Archivé " * 29).strip())
    assert count_ocr_pages(path, "pdf") == 1


@pytest.mark.slow
def test_cli_reads_attachments_form_fields_and_stamped_scans(tmp_path, cli):
    dump = tmp_path / "dump"
    dump.mkdir()
    pdfs.make_pdf_with_attachments(dump / "report.pdf")
    pdfs.make_filled_form(dump / "cerfa.pdf")
    pdfs.make_scan_with_stamp(dump / "courrier.pdf")
    case = tmp_path / "case"
    for args in (("scan", dump, "--case", case, "--workers", "2"),
                 ("export", "--case", case, "--what", "findings", "--format", "csv",
                  "-o", tmp_path / "findings.csv"),
                 ("export", "--case", case, "--what", "files", "--format", "csv",
                  "-o", tmp_path / "files.csv")):
        result = cli(*args)
        assert result.exit_code == 0, result.output
    with (tmp_path / "findings.csv").open(encoding="utf-8", newline="") as fh:
        findings = {(r["file"], r["entity"], r["value"]) for r in csv.DictReader(fh)}
    with (tmp_path / "files.csv").open(encoding="utf-8", newline="") as fh:
        files = {r["file"]: r for r in csv.DictReader(fh)}
    assert files["report.pdf!/liste.csv"]["status"] == "scanned"
    assert ("report.pdf!/liste.csv", "NIR", NIR) in findings
    assert ("report.pdf!/note.txt", "EMAIL", EMAIL) in findings
    assert {("cerfa.pdf", "NIR", NIR), ("cerfa.pdf", "PHONE", PHONE),
            ("cerfa.pdf", "EMAIL", EMAIL)} <= findings
    assert ("courrier.pdf", "NIR", NIR) in findings


def test_annotation_notes_are_read(tmp_path):
    path = tmp_path / "annote.pdf"
    pdfs.make_annotated(path)
    units, _ = split(path)
    assert [u.name for u in units] == ["page 1", "page 1 annotations"]
    assert "06 12 34 56 78" not in units[0].text and "NIR" not in units[0].text
    assert units[1].text == f"Rappeler la patiente / au 06 12 34 56 78\nNIR {pdfs.NIR_SPACED}"
    got = found(units)
    assert got[("PHONE", PHONE)] == "page 1 annotations, line 1"
    assert got[("NIR", NIR)] == "page 1 annotations, line 2"


def test_protected_pdf_opens_with_a_known_password(tmp_path):
    from fpdf import FPDF

    from breachscope.extract.passwords import using_passwords
    from breachscope.extract.units import EncryptedContent

    pdf = FPDF()
    pdf.set_encryption(owner_password="owner", user_password="s3cret-é")
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text=f"Patient NIR {pdfs.NIR_SPACED}")
    path = tmp_path / "protege.pdf"
    pdf.output(str(path))
    with pytest.raises(EncryptedContent, match="password-protected PDF"):
        split(path)
    with using_passwords([b"wrong"]), pytest.raises(EncryptedContent):
        split(path)
    with using_passwords([b"wrong", "s3cret-é".encode()]):
        units, _ = split(path)
    assert ("NIR", NIR) in found(units)


def test_attachments_past_the_limit_are_one_skipped_member(tmp_path, monkeypatch):
    path = tmp_path / "beaucoup.pdf"
    pdfs.make_portfolio(path, {f"f{i}.csv": pdfs.CSV + bytes([i]) for i in range(5)})
    monkeypatch.setattr(pdf_module, "MAX_ATTACHMENTS", 3)
    members = [u for u in partition_pdf(path) if isinstance(u, EmbeddedFile)]
    assert [m.name for m in members][-1] == "more attachments" and len(members) == 4
    with pytest.raises(LimitExceeded, match="more than 3 attached files"):
        b"".join(members[-1].chunks())


@pytest.mark.slow
def test_a_picture_of_text_on_a_text_page_is_a_member_read_by_ocr(tmp_path, cli):
    """A letter (a full text layer) with a photo of a document pasted in a corner: the page is
    not OCR'd whole, the picture is a member of the PDF, OCR'd; a small logo is not."""
    import csv

    from fpdf import FPDF
    from PIL import Image
    from samples.scans import SCAN_LINES, page_image

    picture = tmp_path / "copie.png"
    page_image(SCAN_LINES[1:4], width=1400, font_size=44).save(picture)
    logo = tmp_path / "logo.png"
    Image.new("L", (120, 60), 0).save(logo)
    pdf = FPDF()
    pdf.add_page()
    pdf.image(str(logo), x=10, y=8, w=20)
    pdf.set_font("helvetica", size=11)
    pdf.set_xy(10, 30)
    pdf.multi_cell(w=190, text="Madame, Monsieur, veuillez trouver ci-dessous la copie du "
                   "document transmis par le service, pour suite a donner dans le dossier. " * 4)
    pdf.image(str(picture), x=10, y=120, w=95)
    dump = tmp_path / "dump"
    dump.mkdir()
    pdf.output(str(dump / "lettre.pdf"))
    case = tmp_path / "case"
    assert cli("scan", dump, "--case", case).exit_code == 0
    out = tmp_path / "findings.csv"
    assert cli("export", "--case", case, "--what", "findings", "--format", "csv",
               "-o", out).exit_code == 0
    found = {(r["file"], r["entity"], r["value"])
             for r in csv.DictReader(out.open(encoding="utf-8"))}
    assert ("lettre.pdf!/page 1 image 1.png", "NIR", "254037512345655") in found
    files = tmp_path / "files.csv"
    assert cli("export", "--case", case, "--what", "files", "--format", "csv",
               "-o", files).exit_code == 0
    names = {r["file"] for r in csv.DictReader(files.open(encoding="utf-8"))}
    assert names == {"lettre.pdf", "lettre.pdf!/page 1 image 1.png"}  # no logo member
