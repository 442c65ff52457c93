"""OCR one page per task for multi-page images (issue 15): the frames of a multi-page TIFF
(a fax, a scanned letter) are read by tasks of their own, as a scanned PDF's pages are, so
that they use every worker; their findings are the document's, located as before."""

from __future__ import annotations

from pathlib import Path

import pytest
from samples import scans
from test_pipeline_pdf_pages import _page_lines, task_with_a_missing_page

from breachscope.case import Case
from breachscope.detect.dispatch import detect_units
from breachscope.extract.dispatch import partition
from breachscope.pipeline import scan
from breachscope.settings import ScanSettings
from breachscope.worker import process_content_by_page, process_ocr_page

pytestmark = pytest.mark.slow

N_PAGES = 3


def _fax(path: Path) -> Path:
    """A fax of ``N_PAGES`` pages (group 4 compression, as fax machines and scanners write
    it), a different patient on each."""
    pages = [scans.page_image(_page_lines(i)).convert("1") for i in range(N_PAGES)]
    pages[0].save(path, "TIFF", compression="group4", save_all=True,
                  append_images=pages[1:], dpi=(200, 200))
    return path


def _inline(path: Path) -> list[tuple]:
    """The findings of the fax read in one go (every frame OCR'd in turn)."""
    return sorted((f.entity, f.value, f.location, f.confidence)
                  for f in detect_units(list(partition(path, "tiff"))).findings)


def _stored(case: Case) -> list[tuple]:
    return sorted(case.db.execute(
        "SELECT entity, value, location, confidence FROM findings").fetchall())


@pytest.fixture(scope="module")
def fax(tmp_path_factory) -> tuple[Path, list[tuple]]:
    dump = tmp_path_factory.mktemp("dump")
    path = _fax(dump / "fax.tif")
    return dump, _inline(path)


def test_the_frames_are_left_to_page_tasks(fax, tmp_path):
    dump, inline = fax
    assert {loc.split(",")[0] for _e, _v, loc, _c in inline} == {"page 1", "page 2", "page 3"}
    path, work = str(dump / "fax.tif"), str(tmp_path)
    document = process_content_by_page(path, None, work, ScanSettings())
    assert document.status == "scanned" and document.file_type == "tiff"
    assert document.ocr_pages == [(0, 0), (1, 0), (2, 0)]
    assert document.table("findings") is None  # nothing OCR'd in the document's task
    page = process_ocr_page(path, "tiff", work, ScanSettings(), 0, 2, 0)
    assert page.status == "scanned" and page.n_units > 0
    got = sorted((r["entity"], r["value"], r["location"], r["confidence"])
                 for r in page.table("findings").to_pylist())
    assert got == [f for f in inline if f[2].startswith("page 3,")]
    assert {("PERSON", "MARTINC Paul"), ("PHONE", "+33612345612")} <= {
        (e, v) for e, v, _l, _c in got}


@pytest.mark.parametrize("workers", [1, 2])
def test_a_scan_stores_the_frames_findings_as_the_documents(fax, tmp_path, workers):
    dump, inline = fax
    with Case(tmp_path / "case") as case:
        summary = scan([dump], case, workers=workers)
        assert summary.n_scanned == 1 and summary.n_failed == 0
        assert _stored(case) == inline  # same findings, same locations (page N, line L)
        status, n_units = case.db.execute("SELECT status, n_units FROM contents").fetchone()
        assert status == "scanned"
        assert n_units == len(list(partition(dump / "fax.tif", "tiff")))
        ids = [r for (r,) in case.db.execute("SELECT record_id FROM records").fetchall()]
        assert len(ids) >= N_PAGES and len(ids) == len(set(ids))


def test_a_failed_frame_is_recorded_and_the_other_frames_kept(fax, tmp_path):
    dump, inline = fax
    with Case(tmp_path / "case") as case:
        scan([dump], case, workers=2, task=task_with_a_missing_page)
        status, reason = case.db.execute("SELECT status, reason FROM contents").fetchone()
        assert status == "partial"
        assert reason == ("1 of 4 pages to OCR not read whole: page 100: "
                          "damaged image: page 100 unreadable")
        assert _stored(case) == inline


def test_a_bomb_frame_still_fails_the_whole_file_at_once(tmp_path):
    from PIL import Image

    path = tmp_path / "two.tif"
    small = Image.new("1", (100, 100), 1)
    huge = Image.new("1", (12_000, 8_000), 1)  # 96 megapixels: over Pillow's limit
    small.save(path, "TIFF", save_all=True, append_images=[huge], compression="group4")
    result = process_content_by_page(str(path), None, str(tmp_path), ScanSettings())
    assert result.status == "failed"
    assert result.reason == "image too large: 96 megapixels (decompression bomb?)"
    assert result.ocr_pages == []


def test_a_fax_in_a_zip_of_an_encrypted_case(fax, tmp_path):
    """Each frame's task opens the member's sealed blob (an in-memory file) by itself."""
    import zipfile

    dump, inline = fax
    zipped = tmp_path / "dump"
    zipped.mkdir()
    with zipfile.ZipFile(zipped / "faxes.zip", "w") as archive:
        archive.write(dump / "fax.tif", "2024/fax.tif")
    with Case(tmp_path / "case", key="correct horse battery staple") as case:
        scan([zipped], case, workers=2)
        assert _stored(case) == inline
        statuses = dict(case.db.execute(
            "SELECT f.path, c.status FROM files f JOIN contents c USING (sha256)").fetchall())
        assert statuses == {"faxes.zip": "scanned", "faxes.zip!/2024/fax.tif": "scanned"}
        assert not list((case.dir / "work").glob("blobs/*"))
