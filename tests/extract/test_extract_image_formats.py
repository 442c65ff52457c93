"""GIF, BMP, WebP, JPEG 2000, HEIC and AVIF scans read by OCR like PNG/JPEG; palette, 1-bit,
CMYK and transparent images made grey the way Tesseract reads them; animated GIF frames."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from samples.images import EMAIL, LINES, save_as
from samples.scans import NIR, PHONE, page_image

from breachscope.detect.dispatch import detect_units
from breachscope.extract import image as image_module
from breachscope.extract.dispatch import partition
from breachscope.extract.image import count_ocr_pages, ocr_ready
from breachscope.extract.partial import PartialContent
from breachscope.extract.units import ExtractionError, TextUnit
from breachscope.filetypes import BY_NAME, IMAGE_TYPES
from breachscope.ingest.sniff import sniff_type


def found(units: list) -> dict[tuple[str, str], str]:
    return {(f.entity, f.value): f.location for f in detect_units(units).findings}


@pytest.mark.slow
@pytest.mark.parametrize(("file_type", "suffix"), [
    ("gif", ".gif"), ("bmp", ".bmp"), ("webp", ".webp"), ("jp2", ".jp2"), ("heic", ".heic"),
    ("heic", ".avif")])
def test_new_image_formats_are_sniffed_and_read_by_ocr(tmp_path, file_type, suffix):
    from PIL import features

    if suffix == ".jp2":
        assert features.check("jpg_2000"), "Pillow without OpenJPEG: JPEG 2000 unread"
    path = save_as(tmp_path / f"scan{suffix}", suffix.lstrip(".")
                   if suffix == ".avif" else file_type)
    assert sniff_type(path) == file_type
    assert file_type in IMAGE_TYPES and BY_NAME[file_type].extractor == "image:partition_image"
    units = list(partition(path, file_type))
    assert units and all(isinstance(u, TextUnit) and u.name == "" for u in units)
    got = found(units)
    assert ("NIR", NIR) in got and ("PHONE", PHONE) in got and ("EMAIL", EMAIL) in got, got
    assert count_ocr_pages(path, file_type) == 1


def _palette_scan():
    """A colour-palette scan: dark-blue text on a pale yellow paper (8 colours)."""
    from PIL import Image

    grey = page_image(LINES, width=1400)
    colour = Image.merge("RGB", (grey.point(lambda v: 20 + v * 230 // 255),
                                 grey.point(lambda v: 30 + v * 220 // 255),
                                 grey.point(lambda v: 90 + v * 120 // 255)))
    return colour.convert("P", palette=Image.Palette.ADAPTIVE, colors=8)


def test_ocr_ready_modes():
    from PIL import Image

    palette = _palette_scan()
    ready = ocr_ready(palette)
    assert ready.mode == "L" and ready.size == palette.size
    low, high = ready.getextrema()
    assert low < 80 and high > 200  # ink dark, paper light
    one_bit = Image.new("1", (10, 10), 1)
    assert ocr_ready(one_bit) is one_bit
    # Black text on a transparent background whose hidden colour is black: white paper.
    rgba = Image.new("RGBA", (20, 10), (0, 0, 0, 0))
    rgba.paste((0, 0, 0, 255), (0, 0, 5, 10))
    flat = ocr_ready(rgba)
    assert flat.mode == "L" and flat.getpixel((2, 2)) == 0 and flat.getpixel((15, 5)) == 255
    cmyk = Image.new("CMYK", (4, 4), (0, 0, 0, 255))  # full black ink
    assert ocr_ready(cmyk).getpixel((0, 0)) < 30


@pytest.mark.slow
def test_palette_scan_with_transparency_keeps_its_identifiers(tmp_path):
    """A palette GIF whose background index is transparent and black underneath: read as
    black on black unless the transparent areas are made white."""
    from PIL import Image

    page = page_image(LINES, width=1400)
    indexed = Image.new("P", page.size, 0)
    indexed.putpalette([0, 0, 0] * 2 + [0] * 762)  # index 0 and 1: black
    indexed.paste(1, mask=page.point(lambda v: 255 if v < 128 else 0))  # ink: index 1
    path = tmp_path / "transparent.gif"
    indexed.save(path, "GIF", transparency=0)
    units = list(partition(path, sniff_type(path)))
    got = found(units)
    assert ("NIR", NIR) in got and ("PHONE", PHONE) in got and ("EMAIL", EMAIL) in got


def test_palette_colour_png_scan(tmp_path):
    path = tmp_path / "colour.png"
    _palette_scan().save(path, "PNG")
    got = found(list(partition(path, "png")))
    assert ("NIR", NIR) in got and ("PHONE", PHONE) in got and ("EMAIL", EMAIL) in got


def _animated_gif(path: Path) -> None:
    frames = [page_image(["Diaporama - accueil"], width=1200),
              page_image(["Patient : DUPONT Marie", "NIR 2 54 03 75 123 456 55"], width=1200),
              page_image(["tél 06 12 34 56 78"], width=1200)]
    frames[0].save(path, "GIF", save_all=True, append_images=frames[1:], duration=500,
                   loop=0)


def test_animated_gif_frames_are_read(tmp_path):
    path = tmp_path / "anim.gif"
    _animated_gif(path)
    units = list(partition(path, sniff_type(path)))
    assert {u.name for u in units} == {"frame 1", "frame 2", "frame 3"}
    got = found(units)
    assert got[("NIR", NIR)].startswith("frame 2, line ")
    assert got[("PHONE", PHONE)].startswith("frame 3, line ")
    assert count_ocr_pages(path, "gif") == 3


def test_animation_beyond_the_cap_is_partial(tmp_path, monkeypatch):
    monkeypatch.setattr(image_module, "MAX_ANIMATION_FRAMES", 2)
    path = tmp_path / "anim.gif"
    _animated_gif(path)
    units: list = []
    with pytest.raises(PartialContent) as exc:
        for unit in partition(path, "gif"):
            units.append(unit)
    assert str(exc.value) == "1 of 3 frames not read (animation longer than 2 frames)"
    got = found(units)
    assert ("NIR", NIR) in got and ("PHONE", PHONE) not in got
    assert count_ocr_pages(path, "gif") == 2


@pytest.mark.parametrize("file_type", ["gif", "webp", "heic", "jp2", "bmp"])
def test_bombs_and_damaged_new_formats_fail_with_a_reason(tmp_path, file_type):
    from PIL import Image

    path = save_as(tmp_path / f"x.{file_type}", file_type, Image.new("L", (64, 64), 255))
    data = path.read_bytes()
    cut = tmp_path / f"cut.{file_type}"
    cut.write_bytes(data[: max(40, len(data) // 3)])
    with pytest.raises(ExtractionError) as exc:
        list(partition(cut, file_type))
    assert str(exc.value).startswith(("damaged image", "image too large"))


def test_heic_bomb_is_refused_from_its_header(tmp_path, monkeypatch):
    from PIL import Image

    path = save_as(tmp_path / "big.heic", "heic", Image.new("L", (600, 600), 255))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100_000)
    with pytest.raises(ExtractionError, match=r"image too large: 0 megapixels"):
        list(partition(path, "heic"))


@pytest.mark.slow
def test_scan_reads_new_image_formats(tmp_path, cli):
    dump = tmp_path / "dump"
    dump.mkdir()
    save_as(dump / "fax.gif", "gif")
    save_as(dump / "photo.heic", "heic")
    case = tmp_path / "case"
    assert cli("scan", dump, "--case", case).exit_code == 0
    out = tmp_path / "findings.csv"
    assert cli("export", "--case", case, "--what", "findings", "--format", "csv",
               "-o", out).exit_code == 0
    got = {(r["file"], r["entity"], r["value"]) for r in csv.DictReader(out.open())}
    for name in ("fax.gif", "photo.heic"):
        assert {(name, "NIR", NIR), (name, "PHONE", PHONE), (name, "EMAIL", EMAIL)} <= got
