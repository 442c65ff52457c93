"""Scanned images (PNG, JPEG, TIFF) → text read by OCR (:mod:`breachscope.extract.ocr`).

- Decoded with Pillow. Its decompression-bomb guard stays on and is made strict: an image
  (or any TIFF frame) of more than ``PIL.Image.MAX_IMAGE_PIXELS`` pixels (~89 megapixels)
  fails the file at once, from its header, before any pixel is decoded (Pillow itself only
  warns between 1× and 2× that limit; the warning is turned into an error here). Truncated
  images are never "completed" (``ImageFile.LOAD_TRUNCATED_IMAGES`` stays off): a truncated
  or damaged image fails with a reason.
- A single image → units named ``""`` (findings read ``line 3``); every frame of a
  multi-page TIFF (a fax, a scanned letter) → units named ``page N``. At most
  :data:`MAX_FRAMES` frames are read.
- Units carry the OCR's mean word confidence (``TextUnit.confidence``).
- :func:`count_ocr_pages` tells how many pages of a file OCR would read (for progress).
"""

from __future__ import annotations

import contextlib
import re
import warnings
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from breachscope.events import emit
from breachscope.extract.ocr import MAX_OCR_PIXELS, ocr_page
from breachscope.extract.units import ExtractionError, TextUnit

if TYPE_CHECKING:
    from PIL.Image import Image

#: Frames of a multi-page image read at most (a fax or scanned letter has a few dozen).
MAX_FRAMES = 2000

IMAGE_TYPES = ("png", "jpeg", "tiff")


def _too_large(pixels: int) -> ExtractionError:
    return ExtractionError(
        f"image too large: {round(pixels / 1e6)} megapixels (decompression bomb?)")


def _check_size(image: Image) -> None:
    from PIL import Image as PILImage

    width, height = image.size
    limit = PILImage.MAX_IMAGE_PIXELS
    if width <= 0 or height <= 0:
        raise ExtractionError("damaged image: empty size")
    if limit is not None and width * height > limit:
        raise _too_large(width * height)


def _damaged(exc: BaseException) -> ExtractionError:
    # Pillow's messages name the problem, not the content, but keep only a known wording.
    message = str(exc).lower()
    if "truncated" in message or isinstance(exc, EOFError):
        return ExtractionError("damaged image: truncated")
    return ExtractionError(f"damaged image: {type(exc).__name__}")


_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, zlib.error, IndexError,
                  KeyError, TypeError)


@contextlib.contextmanager
def open_image(path: Path) -> Iterator[Image]:
    """Open an image with the strict bomb guard; :class:`ExtractionError` for a bomb or a
    file Pillow cannot identify."""
    from PIL import Image as PILImage
    from PIL import UnidentifiedImageError

    with warnings.catch_warnings():
        warnings.simplefilter("error", PILImage.DecompressionBombWarning)
        try:
            image = PILImage.open(path)
        except (PILImage.DecompressionBombWarning, PILImage.DecompressionBombError) as exc:
            found = re.search(r"\((\d+) pixels\)", str(exc))
            raise _too_large(int(found.group(1)) if found else _header_pixels(path)) from None
        except UnidentifiedImageError:
            raise ExtractionError("damaged image: not a readable image") from None
        except _DECODE_ERRORS as exc:
            raise _damaged(exc) from None
    try:
        _check_size(image)
        yield image
    finally:
        image.close()


def _header_pixels(path: Path) -> int:
    """Width × height from the header, read again without the guard (no pixel decoded)."""
    from PIL import Image as PILImage

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PILImage.DecompressionBombWarning)
        previous = PILImage.MAX_IMAGE_PIXELS
        PILImage.MAX_IMAGE_PIXELS = None
        try:
            with PILImage.open(path) as image:
                return image.size[0] * image.size[1]
        except Exception:
            return 0
        finally:
            PILImage.MAX_IMAGE_PIXELS = previous


def _frames(image: Image) -> Iterator[Image]:
    """Each frame of ``image``, decoded (bounded for OCR), size-checked before decoding."""
    for index in range(MAX_FRAMES):
        if index:
            try:
                image.seek(index)
            except EOFError:
                return
            except _DECODE_ERRORS as exc:
                raise _damaged(exc) from None
        _check_size(image)
        try:
            width, height = image.size
            if image.format == "JPEG" and width * height > MAX_OCR_PIXELS:
                # Let the JPEG decoder downscale (by 1/2, 1/4, 1/8) while decoding.
                factor = (MAX_OCR_PIXELS / (width * height)) ** 0.5
                image.draft("L", (int(width * factor) + 1, int(height * factor) + 1))
            image.load()
            frame = image.copy() if getattr(image, "n_frames", 1) > 1 else image
        except _DECODE_ERRORS as exc:
            raise _damaged(exc) from None
        yield frame
        if not getattr(image, "is_animated", False):
            return


def partition_image(path: Path) -> Iterator[TextUnit]:
    """OCR every frame of a PNG, JPEG or TIFF file (see the module docstring)."""
    with open_image(Path(path)) as image:
        try:
            frames = getattr(image, "n_frames", 1)
        except _DECODE_ERRORS as exc:
            raise _damaged(exc) from None
        multi = frames > 1
        emit("ocr_pages_total", min(frames, MAX_FRAMES))  # for the progress bar
        for number, frame in enumerate(_frames(image), start=1):
            yield from ocr_page(frame, f"page {number}" if multi else "")
            del frame


def count_ocr_pages(path: Path, file_type: str) -> int:
    """How many pages of the file OCR would read: the pages of a PDF without a text layer,
    the frames of an image; 0 for other types or a file that cannot be opened. Cheap: no
    pixel is decoded, no page rendered."""
    if file_type == "pdf":
        from breachscope.extract.pdf import count_scanned_pages

        return count_scanned_pages(Path(path))
    if file_type not in IMAGE_TYPES:
        return 0
    try:
        with open_image(Path(path)) as image:
            return min(int(getattr(image, "n_frames", 1)), MAX_FRAMES)
    except (ExtractionError, *_DECODE_ERRORS):
        return 0
