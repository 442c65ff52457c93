"""The marker scan (NIR, phone, e-mail) saved as GIF, BMP, WebP, JPEG 2000, HEIC or AVIF,
each in the mode the format is usually met in, for tests and benches."""

from __future__ import annotations

from pathlib import Path

from samples.scans import SCAN_LINES, page_image

EMAIL = "marie.dupont@orange.fr"
LINES = [*SCAN_LINES, f"Courriel : {EMAIL}"]


def save_as(path: Path, file_type: str, image=None) -> Path:
    """The marker page saved in ``file_type`` (the mode each format is usually met in)."""
    from PIL import Image

    page = image if image is not None else page_image(LINES, width=1400)
    if file_type == "gif":
        page.convert("P", palette=Image.Palette.ADAPTIVE, colors=16).save(path, "GIF")
    elif file_type == "bmp":
        page.convert("1").save(path, "BMP")  # a 1-bit scan, as office scanners write BMP
    elif file_type == "webp":
        page.convert("RGB").save(path, "WEBP", quality=85)
    elif file_type == "jp2":
        page.save(path, "JPEG2000", quality_mode="rates", quality_layers=[20])
    elif file_type in ("heic", "avif"):
        from pillow_heif import register_heif_opener

        register_heif_opener()
        page.convert("RGB").save(path, "HEIF" if file_type == "heic" else "AVIF", quality=90)
    else:
        raise ValueError(file_type)
    return path
