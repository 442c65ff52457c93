"""OCR one page per task (issue 15): the scanned pages of a PDF are read by tasks of their own,
so that they use every worker; their findings are the document's, located as before."""

from __future__ import annotations

from pathlib import Path

import pytest
from samples import scans

from breachscope.case import Case
from breachscope.detect.dispatch import detect_units
from breachscope.extract.dispatch import partition
from breachscope.findings_store import delete_findings
from breachscope.pipeline import scan
from breachscope.settings import ScanSettings
from breachscope.worker import (
    ContentResult,
    process_content,
    process_content_by_page,
    process_ocr_page,
)

pytestmark = pytest.mark.slow


def _page_lines(i: int) -> list[str]:
    return [f"Patient : MARTIN{chr(65 + i)} Paul, né le {10 + i}/03/1954",
            f"NIR 1 54 03 75 123 {400 + i:03d} 55", f"Tél 06 12 34 56 {10 + i:02d}",
            *[f"Compte rendu de consultation, paragraphe {k}" for k in range(1, 9)]]


def _scanned_pdf(path: Path, n: int = 3) -> Path:
    """``n`` scanned pages (no text layer), a different patient on each, then a scanned page
    with a one-line stamp in its text layer (its OCR lines are numbered after the stamp's)."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_font("DejaVu", fname=str(scans.font_path()))
    pdf.set_font("DejaVu", size=11)
    for i in range(n + 1):
        image = path.with_name(f"page{i}.png")
        scans.page_image(_page_lines(i)).save(image)
        pdf.add_page()
        pdf.image(str(image), x=10, y=30, w=190)
        if i == n:
            pdf.text(10, 15, "Document numérisé le 12/01/2024, secrétariat : 03 20 10 20 30")
        image.unlink()
    pdf.output(str(path))
    return path


def _inline(path: Path) -> list[tuple]:
    """The findings of the document read in one go (every page OCR'd in turn)."""
    units = list(partition(path, "pdf"))
    return sorted((f.entity, f.value, f.location, f.confidence)
                  for f in detect_units(units).findings)


def _stored(case: Case) -> list[tuple]:
    return sorted(case.db.execute(
        "SELECT entity, value, location, confidence FROM findings").fetchall())


@pytest.fixture(scope="module")
def scanned(tmp_path_factory) -> tuple[Path, list[tuple]]:
    dump = tmp_path_factory.mktemp("dump")
    path = _scanned_pdf(dump / "courrier.pdf")
    return dump, _inline(path)


def test_pages_to_ocr_are_left_to_page_tasks(scanned, tmp_path):
    dump, inline = scanned
    path, work = str(dump / "courrier.pdf"), str(tmp_path)
    document = process_content_by_page(path, None, work, ScanSettings())
    assert document.status == "scanned"
    assert [index for index, _ in document.ocr_pages] == [0, 1, 2, 3]
    assert document.ocr_pages[3][1] == 1  # the stamp's line comes first on page 4
    assert document.table("findings") is None or not any(
        row.startswith("page 1,") for row in document.table("findings")["location"].to_pylist())
    page = process_ocr_page(path, "pdf", work, ScanSettings(), 0, 3, 1)
    assert page.status == "scanned" and page.n_units > 0
    got = sorted((r["entity"], r["value"], r["location"], r["confidence"])
                 for r in page.table("findings").to_pylist())
    # the page's OCR lines, numbered after its text layer's line (the stamp, read by the
    # document's own task)
    assert got == [f for f in inline
                   if f[2].startswith("page 4,") and int(f[2].rsplit(" ", 1)[1]) > 1]
    assert got and ("PHONE", "+33320102030", "page 4, line 1") not in {f[:3] for f in got}


@pytest.mark.parametrize("workers", [1, 2])
def test_a_scan_stores_the_pages_findings_as_the_documents(scanned, tmp_path, workers):
    dump, inline = scanned
    with Case(tmp_path / "case") as case:
        summary = scan([dump], case, workers=workers)
        assert summary.n_scanned == 1 and summary.n_failed == 0
        assert _stored(case) == inline  # same findings, same locations (page N, line L)
        assert {loc.split(",")[0] for _e, _v, loc, _c in inline} == {
            "page 1", "page 2", "page 3", "page 4"}
        status, n_units = case.db.execute("SELECT status, n_units FROM contents").fetchone()
        assert status == "scanned"
        assert n_units == len(list(partition(dump / "courrier.pdf", "pdf")))
        ids = [r for (r,) in case.db.execute("SELECT record_id FROM records").fetchall()]
        assert len(ids) >= 4 and len(ids) == len(set(ids))


def task_with_a_missing_page(path: str, file_type: str | None, work_dir: str,
                             settings: ScanSettings, depth: int = 0) -> ContentResult:
    """The document's task, plus a page 100 that the document does not have."""
    result = process_content_by_page(path, file_type, work_dir, settings, depth)
    result.ocr_pages.append((99, 0))
    return result


def test_a_failed_page_is_recorded_and_the_other_pages_kept(scanned, tmp_path):
    dump, inline = scanned
    with Case(tmp_path / "case") as case:
        scan([dump], case, workers=2, task=task_with_a_missing_page)
        status, reason = case.db.execute("SELECT status, reason FROM contents").fetchone()
        assert status == "partial"
        assert reason == ("1 of 5 pages to OCR not read whole: page 100: "
                          "damaged pdf: page 100 unreadable")
        assert _stored(case) == inline


def test_a_killed_scan_redoes_the_document_and_stores_each_page_once(scanned, tmp_path):
    dump, inline = scanned
    with Case(tmp_path / "case") as case:
        scan([dump], case, workers=2)
        records = case.db.execute("SELECT count(*) FROM records").fetchone()[0]
        # What a kill leaves: the document pending, some of its pages stored, others not.
        case.db.execute("UPDATE contents SET status = 'pending'")
        delete_findings(case.db, "location LIKE 'page 2,%'")
        case.db.execute("DELETE FROM records WHERE location LIKE 'page 2,%'")
        again = scan([dump], case, workers=2)
        assert again.n_scanned == 1
        assert _stored(case) == inline  # page 2 back, the others not twice
        assert case.db.execute("SELECT count(*) FROM records").fetchone()[0] == records
        assert case.db.execute("SELECT status FROM contents").fetchone()[0] == "scanned"


def test_an_encrypted_case_stores_the_same_pages(scanned, tmp_path):
    dump, inline = scanned
    with Case(tmp_path / "case", key="correct horse battery staple") as case:
        scan([dump], case, workers=2)
        assert _stored(case) == inline
        ids = [r for (r,) in case.db.execute("SELECT record_id FROM records").fetchall()]
        assert len(ids) >= 4 and len(ids) == len(set(ids))


def test_a_scanned_pdf_in_a_zip_of_an_encrypted_case(scanned, tmp_path):
    """A member's blob (sealed in an encrypted case) is read by each page task, and deleted
    only once the last page is stored."""
    import zipfile

    dump, inline = scanned
    zipped = tmp_path / "dump"
    zipped.mkdir()
    with zipfile.ZipFile(zipped / "courriers.zip", "w") as archive:
        archive.write(dump / "courrier.pdf", "2024/courrier.pdf")
    with Case(tmp_path / "case", key="correct horse battery staple") as case:
        scan([zipped], case, workers=2)
        assert _stored(case) == inline
        statuses = dict(case.db.execute(
            "SELECT f.path, c.status FROM files f JOIN contents c USING (sha256)").fetchall())
        assert statuses == {"courriers.zip": "scanned",
                            "courriers.zip!/2024/courrier.pdf": "scanned"}
        assert not list((case.dir / "work").glob("blobs/*"))


@pytest.mark.parametrize("last_first", [False, True])
def test_a_killed_scan_keeps_the_pages_stored_and_reads_only_the_others(
        scanned, tmp_path, monkeypatch, last_first):
    """A scan killed after some pages of a scanned document were stored: the next scan reads
    the document's own pages again but OCRs only the pages not stored (a 300-page scan killed
    at page 290 is not read again from page 1). ``last_first``: page 4 (one text-layer line,
    its OCR lines numbered after it) is the one kept."""
    import breachscope.pipeline as pipeline

    dump, inline = scanned
    monkeypatch.setattr(pipeline, "BATCH_RESULTS", 1)  # each result committed on its own
    queue_pages, page_stored = pipeline._TaskRunner._queue_pages, pipeline._TaskRunner._page_stored

    def queued(self, entry, result, n_pages):
        queue_pages(self, entry, result, n_pages)
        if last_first:
            self.pages.reverse()

    def killed(self, page, result):
        page_stored(self, page, result)
        raise KeyboardInterrupt  # the scan is stopped once a page is stored

    monkeypatch.setattr(pipeline._TaskRunner, "_queue_pages", queued)
    monkeypatch.setattr(pipeline._TaskRunner, "_page_stored", killed)
    with Case(tmp_path / "case") as case:
        with pytest.raises(KeyboardInterrupt):
            scan([dump], case, workers=1)
        assert case.db.execute("SELECT status FROM contents").fetchone()[0] == "pending"
        done = {p for (p,) in case.db.execute("SELECT page FROM ocr_pages_done").fetchall()}
        assert done and done < {1, 2, 3, 4}
        assert (4 in done) == last_first
        # page 4's text layer (the stamp, line 1) holds a finding, its OCR lines follow
        assert ("PHONE", "+33320102030", "page 4, line 1") in {f[:3] for f in inline}
    monkeypatch.setattr(pipeline._TaskRunner, "_page_stored", page_stored)
    scheduled: list[int] = []
    schedule_page = pipeline._TaskRunner._schedule_page

    def counted(self, page, *, fresh=False):
        scheduled.append(page.index + 1)
        return schedule_page(self, page, fresh=fresh)

    monkeypatch.setattr(pipeline._TaskRunner, "_schedule_page", counted)
    with Case(tmp_path / "case") as case:
        again = scan([dump], case, workers=2)
        assert again.n_scanned == 1 and again.n_failed == 0
        assert sorted(scheduled) == sorted({1, 2, 3, 4} - done)  # only the pages not stored
        assert _stored(case) == inline  # the kept pages' findings once, the others back
        ids = [r for (r,) in case.db.execute("SELECT record_id FROM records").fetchall()]
        whole = detect_units(list(partition(dump / "courrier.pdf", "pdf"))).records
        assert len(ids) == len(set(ids)) == len(whole) >= 4
        status, n_units = case.db.execute("SELECT status, n_units FROM contents").fetchone()
        assert status == "scanned"
        assert n_units == len(list(partition(dump / "courrier.pdf", "pdf")))
        assert case.db.execute("SELECT count(*) FROM ocr_pages_done").fetchone()[0] == 0


def task_reading_whole(path: str, file_type: str | None, work_dir: str,
                       settings: ScanSettings, depth: int = 0) -> ContentResult:
    """The document read in one task, every page OCR'd in turn (as where OCR cannot be
    deferred): its result lists no page to OCR."""
    return process_content(path, file_type, work_dir, settings, depth)


def test_a_resumed_document_read_whole_keeps_nothing_of_its_pages(scanned, tmp_path,
                                                                  monkeypatch):
    """A killed scan stored some pages; the next scan reads the document whole (its task
    lists no page): the pages stored before are not kept beside the new reading."""
    import breachscope.pipeline as pipeline

    dump, inline = scanned
    monkeypatch.setattr(pipeline, "BATCH_RESULTS", 1)
    page_stored = pipeline._TaskRunner._page_stored

    def killed(self, page, result):
        page_stored(self, page, result)
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline._TaskRunner, "_page_stored", killed)
    with Case(tmp_path / "case") as case:
        with pytest.raises(KeyboardInterrupt):
            scan([dump], case, workers=1)
        assert case.db.execute("SELECT count(*) FROM ocr_pages_done").fetchone()[0] >= 1
    monkeypatch.setattr(pipeline._TaskRunner, "_page_stored", page_stored)
    with Case(tmp_path / "case") as case:
        scan([dump], case, workers=2, task=task_reading_whole)
        assert _stored(case) == inline  # once each: nothing of the killed scan's pages kept
        ids = [r for (r,) in case.db.execute("SELECT record_id FROM records").fetchall()]
        assert len(ids) == len(set(ids)) == len(
            detect_units(list(partition(dump / "courrier.pdf", "pdf"))).records)
        assert case.db.execute("SELECT status FROM contents").fetchone()[0] == "scanned"
        assert case.db.execute("SELECT count(*) FROM ocr_pages_done").fetchone()[0] == 0
