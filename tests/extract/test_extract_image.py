"""Scanned images (PNG, JPEG, TIFF) read by OCR: orientation, skew, confidence, bombs,
damaged files."""

from __future__ import annotations

from pathlib import Path

import pytest
from samples import scans
from samples.scans import BIRTH, NIR, PHONE, png_bomb

from breachscope.detect.dispatch import detect_units
from breachscope.extract import ocr
from breachscope.extract.dispatch import partition
from breachscope.extract.image import count_ocr_pages
from breachscope.extract.units import ExtractionError, TextUnit


def units_of(path: Path, file_type: str) -> list[TextUnit]:
    return list(partition(path, file_type))


def found(units: list[TextUnit]) -> dict[tuple[str, str], str]:
    return {(f.entity, f.value): f.location for f in detect_units(units).findings}


@pytest.mark.slow
@pytest.mark.parametrize(("maker", "file_type"), [
    (scans.make_png, "png"), (scans.make_jpeg, "jpeg")])
def test_single_image_is_read_by_ocr(tmp_path, maker, file_type):
    path = tmp_path / f"scan.{file_type}"
    expected = maker(path)
    units = units_of(path, file_type)
    assert units and all(u.name == "" for u in units)
    confidence = units[0].confidence
    assert confidence is not None and 0.5 < confidence < 1
    assert "DUPONT Marie" in units[0].text
    got = found(units)
    assert set(expected) <= set(got)
    assert got[("NIR", NIR)] == "line 4" and got[("PHONE", PHONE)] == "line 6"
    # Findings in OCR text are no more certain than the reading.
    nir = next(f for f in detect_units(units).findings if f.entity == "NIR")
    assert nir.confidence <= confidence < 1
    assert count_ocr_pages(path, file_type) == 1


@pytest.mark.slow
def test_multi_page_tiff_gives_pages(tmp_path):
    path = tmp_path / "fax.tif"
    expected = scans.make_tiff(path)
    units = units_of(path, "tiff")
    assert [u.name for u in units] == ["page 1", "page 2"]
    assert "page de garde" in units[0].text
    got = found(units)
    assert set(expected) <= set(got)
    assert got[("NIR", NIR)] == "page 2, line 4"
    assert count_ocr_pages(path, "tiff") == 2


@pytest.mark.parametrize("rotate", [90, 180])
def test_rotated_scan_is_turned_upright(tmp_path, rotate):
    path = tmp_path / "sideways.png"
    scans.page_image(rotate=rotate).save(path)
    got = found(units_of(path, "png"))
    assert ("NIR", NIR) in got and ("PHONE", PHONE) in got


@pytest.mark.parametrize(("rotate", "osd_runs"), [(0, 0), (180, 1)])
def test_orientation_is_detected_only_for_a_page_read_badly(tmp_path, monkeypatch, program_ocr,
                                                            rotate, osd_runs):
    """OSD costs more than reading an upright page: it runs only when the first reading is
    poor (an upside-down page), and the page is then read again upright."""
    calls: list[list[str]] = []
    run = ocr._run

    def counted(args, what, page):
        calls.append(args)
        return run(args, what, page)

    monkeypatch.setattr(ocr, "_run", counted)
    path = tmp_path / "page.png"
    scans.page_image(rotate=rotate).save(path)
    got = found(units_of(path, "png"))
    assert ("NIR", NIR) in got
    assert sum(args[:2] == ["--psm", "0"] for args in calls) == osd_runs
    assert sum("tsv" in args for args in calls) == 1 + osd_runs


@pytest.mark.slow
def test_skewed_scan_is_straightened(tmp_path):
    path = tmp_path / "askew.png"
    scans.page_image(skew=-5).save(path)
    got = found(units_of(path, "png"))
    assert {("NIR", NIR), ("PHONE", PHONE), ("BIRTH_DATE", BIRTH)} <= set(got)


@pytest.mark.parametrize("skew", [-5.0, -2.0, 3.0, 6.0])
def test_skew_estimate(skew):
    # The page turned by `skew` is turned back by about -skew.
    assert ocr.estimate_skew(scans.page_image(skew=skew)) == pytest.approx(-skew, abs=0.3)


def test_level_and_blank_pages_are_not_turned():
    from PIL import Image

    assert ocr.estimate_skew(scans.page_image()) == 0.0
    assert ocr.estimate_skew(Image.new("L", (800, 600), 255)) == 0.0


def test_blank_image_gives_no_unit(tmp_path):
    from PIL import Image

    path = tmp_path / "blank.png"
    Image.new("L", (1200, 800), 255).save(path)
    assert units_of(path, "png") == []


def test_transparent_png_is_read_on_white(tmp_path):
    from PIL import Image

    page = scans.page_image()
    rgba = Image.new("RGBA", page.size, (0, 0, 0, 0))  # transparent black background
    rgba.putalpha(page.point(lambda v: 255 - v))  # opaque where the ink is
    path = tmp_path / "transparent.png"
    rgba.save(path)
    assert ("NIR", NIR) in found(units_of(path, "png"))


def test_png_bomb_fails_fast_with_the_reason(tmp_path, monkeypatch):
    """Refused from the header: not one pixel decoded (a count of decodes, not a time)."""
    from PIL import ImageFile

    decodes = []
    real_load = ImageFile.ImageFile.load

    def counting_load(self):
        decodes.append(self.size)
        return real_load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", counting_load)
    path = tmp_path / "huge_400mp.png"
    path.write_bytes(png_bomb(20_000, 20_000))
    assert path.stat().st_size < 4096
    with pytest.raises(ExtractionError) as exc:
        units_of(path, "png")
    assert decodes == []
    assert str(exc.value) == "image too large: 400 megapixels (decompression bomb?)"
    assert count_ocr_pages(path, "png") == 0


def test_image_between_one_and_two_times_the_limit_also_fails(tmp_path):
    # Pillow only warns there; the warning is an error here.
    path = tmp_path / "big.png"
    path.write_bytes(png_bomb(10_000, 10_000))
    with pytest.raises(ExtractionError, match="image too large: 100 megapixels"):
        units_of(path, "png")


def test_bomb_frame_inside_a_tiff_fails(tmp_path):
    from PIL import Image

    path = tmp_path / "two.tif"
    small = Image.new("1", (100, 100), 1)
    # A second frame whose header claims 100 000 × 1 000 pixels (1-bit: 12 MB of zeros
    # deflated to a few kB).
    huge = Image.new("1", (100_000, 1_000), 1)
    small.save(path, "TIFF", save_all=True, append_images=[huge], compression="tiff_adobe_deflate")
    with pytest.raises(ExtractionError, match="image too large: 100 megapixels"):
        units_of(path, "tiff")


@pytest.mark.parametrize(("maker", "file_type"), [
    (scans.make_png, "png"), (scans.make_jpeg, "jpeg"), (scans.make_tiff, "tiff")])
def test_truncated_image_fails_with_a_reason(tmp_path, maker, file_type):
    path = tmp_path / f"scan.{file_type}"
    maker(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ExtractionError, match="damaged image"):
        units_of(path, file_type)


@pytest.mark.parametrize(("magic", "file_type"), [
    (b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff\xe0", "jpeg"), (b"II*\x00", "tiff")])
def test_random_bytes_under_image_magic_fail(tmp_path, magic, file_type):
    import random

    path = tmp_path / f"noise.{file_type}"
    path.write_bytes(magic + random.Random(7).randbytes(20_000))
    with pytest.raises(ExtractionError, match="damaged image"):
        units_of(path, file_type)


def test_big_page_is_downscaled_before_ocr():
    from PIL import Image

    page = Image.new("L", (10_000, 8_000), 255)
    small = ocr.bounded(page, 40_000_000)
    assert small.size[0] * small.size[1] <= 40_000_000
    assert small.size[0] / small.size[1] == pytest.approx(10_000 / 8_000, rel=0.01)


def test_missing_tesseract_fails_with_a_reason(tmp_path, monkeypatch):
    path = tmp_path / "scan.png"
    scans.make_png(path)
    monkeypatch.setattr(ocr, "tesseract_path", lambda: None)
    with pytest.raises(ExtractionError, match="tesseract is not installed"):
        units_of(path, "png")


def test_text_from_tesseract_tsv_keeps_lines_and_paragraphs():
    from breachscope.extract.ocr import text_from_tsv

    header = ("level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\t"
              "height\tconf\ttext")
    rows = [
        "5\t1\t1\t1\t1\t1\t0\t0\t1\t1\t96\tPatient",
        "5\t1\t1\t1\t1\t2\t0\t0\t1\t1\t95\tDUPONT",
        "5\t1\t1\t1\t2\t1\t0\t0\t1\t1\t91\tNIR",
        "5\t1\t1\t1\t2\t2\t0\t0\t1\t1\t90\t2540375",
        "4\t1\t1\t2\t1\t0\t0\t0\t1\t1\t-1\t",
        "5\t1\t1\t2\t1\t1\t0\t0\t1\t1\t-1\t ",  # an empty word: skipped
        "5\t1\t2\t1\t1\t1\t0\t0\t1\t1\t88\tConclusion",
    ]
    assert text_from_tsv("\n".join([header, *rows])) == (
        "Patient DUPONT\nNIR 2540375\n\nConclusion")
    assert text_from_tsv(header) == ""
