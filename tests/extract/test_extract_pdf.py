"""PDF: text layer page by page, OCR for scanned pages, encrypted and damaged files, and the
end-to-end scan of PDFs and scans through the CLI."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from samples import scans
from samples.scans import BIRTH, NIR, PHONE, png_bomb

from breachscope.detect.dispatch import detect_units
from breachscope.extract import pdf as pdf_module
from breachscope.extract.dispatch import partition
from breachscope.extract.image import count_ocr_pages
from breachscope.extract.units import EncryptedContent, ExtractionError, TextUnit


def units_of(path: Path) -> list[TextUnit]:
    return list(partition(path, "pdf"))


def found(units: list[TextUnit]) -> dict[tuple[str, str], str]:
    return {(f.entity, f.value): f.location for f in detect_units(units).findings}


def test_text_layer_page_by_page(tmp_path):
    path = tmp_path / "compte_rendu.pdf"
    expected = scans.make_pdf_text(path)
    units = units_of(path)
    assert [u.name for u in units] == ["page 1", "page 2"]
    assert all(u.confidence is None and u.first_line == 1 for u in units)
    assert units[1].text.split("\n")[2] == scans.PATIENT_LINE
    got = found(units)
    assert set(expected) <= set(got)
    for key in expected:
        assert got[key] == "page 2, line 3"
    assert count_ocr_pages(path, "pdf") == 0


def test_scanned_pdf_is_read_by_ocr(tmp_path):
    path = tmp_path / "scan.pdf"
    expected = scans.make_pdf_scanned(path)
    assert count_ocr_pages(path, "pdf") == 1
    units = units_of(path)
    assert units and all(u.name == "page 1" for u in units)
    assert units[0].confidence is not None and 0.5 < units[0].confidence < 1
    got = found(units)
    assert set(expected) <= set(got)
    assert got[("NIR", NIR)] == "page 1, line 4"
    findings = detect_units(units).findings
    assert all(f.confidence < 1 for f in findings)


def _mixed_pdf(path: Path) -> None:
    """Page 1 typed (text layer), page 2 a scanned image, page 3 blank."""
    from fpdf import FPDF

    image = path.with_suffix(".png")
    scans.page_image().save(image)
    pdf = FPDF(format="A4")
    pdf.add_font("DejaVu", fname=str(scans.font_path()))
    pdf.set_font("DejaVu", size=11)
    pdf.add_page()
    pdf.multi_cell(0, 8, "Lettre de liaison\nContact : tél 01 23 45 67 89")
    pdf.add_page()
    pdf.image(str(image), x=10, y=10, w=190)
    pdf.add_page()
    pdf.output(str(path))
    image.unlink()


def test_mixed_pdf_reads_text_pages_and_ocrs_scanned_ones(tmp_path):
    path = tmp_path / "mixed.pdf"
    _mixed_pdf(path)
    assert count_ocr_pages(path, "pdf") == 1
    units = units_of(path)
    assert [u.name for u in units] == ["page 1", "page 2"]  # page 3 is blank
    assert units[0].confidence is None and units[1].confidence is not None
    got = found(units)
    assert got[("PHONE", "+33123456789")] == "page 1, line 2"
    assert got[("NIR", NIR)].startswith("page 2, line ")
    assert ("PHONE", PHONE) in got and ("BIRTH_DATE", BIRTH) in got


def test_rotated_scanned_page_is_read(tmp_path):
    path = tmp_path / "upside_down.pdf"
    scans.page_image(rotate=180).convert("RGB").save(path, "PDF", resolution=200.0)
    got = found(units_of(path))
    assert ("NIR", NIR) in got and ("PHONE", PHONE) in got


def _encrypted_pdf(path: Path, user_password: str) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(0, 10, f"Patient NIR {NIR} suivi en cardiologie")
    pdf.set_encryption(owner_password="owner-secret", user_password=user_password)
    pdf.output(str(path))


def test_password_protected_pdf_fails(tmp_path):
    path = tmp_path / "locked.pdf"
    _encrypted_pdf(path, "secret")
    with pytest.raises(EncryptedContent, match=r"^password-protected PDF$"):
        units_of(path)
    assert count_ocr_pages(path, "pdf") == 0


def test_password_protected_pdf_is_recorded_encrypted_not_failed(tmp_path):
    # The contract's status for a file that needs a password (issue 12: it was "failed").
    from breachscope.settings import ScanSettings
    from breachscope.worker import process_content

    path = tmp_path / "locked.pdf"
    _encrypted_pdf(path, "secret")
    result = process_content(str(path), "pdf", str(tmp_path / "work"), ScanSettings())
    assert (result.status, result.reason) == ("encrypted", "password-protected PDF")


def test_encrypted_pdf_with_empty_user_password_is_read(tmp_path):
    path = tmp_path / "restricted.pdf"
    _encrypted_pdf(path, "")
    assert ("NIR", NIR) in found(units_of(path))


@pytest.mark.parametrize("keep", [300, 0.5, -40])
def test_truncated_pdf_fails_with_a_reason(tmp_path, monkeypatch, keep):
    """Fails with the reason, without rendering or OCR-ing a page (the slow path): a count
    of renders, not a wall-clock limit."""
    slow_calls = []

    def counted(name, real):
        def wrapper(*args, **kwargs):
            slow_calls.append(name)
            return real(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(pdf_module, "_render", counted("render", pdf_module._render))
    monkeypatch.setattr(pdf_module, "ocr_page", counted("ocr", pdf_module.ocr_page))
    path = tmp_path / "cut.pdf"
    scans.make_pdf_text(path)
    data = path.read_bytes()
    end = keep if isinstance(keep, int) and keep > 0 else (
        int(len(data) * keep) if isinstance(keep, float) else len(data) + keep)
    path.write_bytes(data[:end])
    with pytest.raises(ExtractionError, match="damaged pdf") as exc:
        units_of(path)
    assert slow_calls == []
    assert "DUPONT" not in str(exc.value)


def test_random_bytes_under_pdf_magic_fail(tmp_path):
    import random

    path = tmp_path / "noise.pdf"
    path.write_bytes(b"%PDF-1.7\n" + random.Random(3).randbytes(64 << 10))
    with pytest.raises(ExtractionError, match="damaged pdf"):
        units_of(path)


def test_scanned_page_without_tesseract_fails_with_a_reason(tmp_path, monkeypatch):
    from breachscope.extract import ocr

    path = tmp_path / "scan.pdf"
    scans.make_pdf_scanned(path)
    monkeypatch.setattr(ocr, "tesseract_path", lambda: None)
    with pytest.raises(ExtractionError, match="OCR unavailable"):
        units_of(path)


def test_huge_page_render_is_bounded(tmp_path):
    """A 200 × 200 inch page (PDF's largest) is rendered under the OCR pixel bound."""
    import pypdfium2 as pdfium

    from breachscope.extract.ocr import MAX_OCR_PIXELS

    document = pdfium.PdfDocument.new()
    page = document.new_page(14_400, 14_400)
    try:
        image = pdf_module._render(page)
        assert image.size[0] * image.size[1] <= MAX_OCR_PIXELS
        assert image.mode == "L"
    finally:
        page.close()
        document.close()


# ---------------------------------------------------------------- end to end


def _scan(cli, tmp_path: Path, dump: Path):
    case = tmp_path / "case"
    assert cli("scan", dump, "--case", case).exit_code == 0
    out = tmp_path / "findings.csv"
    assert cli("export", "--case", case, "--what", "findings", "--format", "csv",
               "-o", out).exit_code == 0
    files_out = tmp_path / "files.csv"
    assert cli("export", "--case", case, "--what", "files", "--format", "csv",
               "-o", files_out).exit_code == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    files = {r["file"]: r for r in csv.DictReader(files_out.open(encoding="utf-8"))}
    return {(r["file"], r["entity"], r["value"], r["location"]) for r in rows}, files, rows


@pytest.mark.slow
def test_cli_scans_pdfs_and_scans(tmp_path, cli):
    dump = tmp_path / "dump"
    (dump / "scans").mkdir(parents=True)
    scans.make_pdf_text(dump / "compte_rendu.pdf")
    scans.make_pdf_scanned(dump / "scans" / "courrier.pdf")
    scans.make_png(dump / "scans" / "photo.png")
    (dump / "scans" / "huge.png").write_bytes(png_bomb(20_000, 20_000))
    scans.make_pdf_text(tmp_path / "whole.pdf")
    (dump / "cut.pdf").write_bytes((tmp_path / "whole.pdf").read_bytes()[:300])

    got, files, rows = _scan(cli, tmp_path, dump)
    expected = {
        ("compte_rendu.pdf", "NIR", NIR, "page 2, line 3"),
        ("compte_rendu.pdf", "PHONE", PHONE, "page 2, line 3"),
        ("compte_rendu.pdf", "BIRTH_DATE", BIRTH, "page 2, line 3"),
        ("scans/courrier.pdf", "NIR", NIR, "page 1, line 4"),
        ("scans/courrier.pdf", "PHONE", PHONE, "page 1, line 6"),
        ("scans/photo.png", "NIR", NIR, "line 4"),
        ("scans/photo.png", "PHONE", PHONE, "line 6"),
    }
    assert expected <= got
    ocr_nirs = [r for r in rows if r["entity"] == "NIR" and r["file"].startswith("scans/")]
    assert ocr_nirs and all(float(r["confidence"]) < 1 for r in ocr_nirs)
    assert files["compte_rendu.pdf"]["status"] == "scanned"
    assert files["compte_rendu.pdf"]["type"] == "pdf"
    assert files["scans/photo.png"]["type"] == "png"
    assert files["scans/huge.png"]["status"] == "failed"
    assert files["scans/huge.png"]["reason"] == (
        "image too large: 400 megapixels (decompression bomb?)")
    assert files["cut.pdf"]["status"] == "failed"
    assert "damaged pdf" in files["cut.pdf"]["reason"]
