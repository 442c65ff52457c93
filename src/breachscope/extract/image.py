"""Scanned images → text read by OCR (:mod:`breachscope.extract.ocr`): PNG, JPEG, TIFF, GIF,
BMP, WebP, JPEG 2000 (Pillow, built with OpenJPEG), HEIC/HEIF (``pillow-heif``'s opener,
registered on first use) and AVIF (Pillow's own plugin, or pillow-heif's).

- Decoded with Pillow. Its decompression-bomb guard stays on and is made strict: an image
  (or any TIFF frame) of more than ``PIL.Image.MAX_IMAGE_PIXELS`` pixels (~89 megapixels)
  fails the file at once, from its header, before any pixel is decoded (Pillow itself only
  warns between 1× and 2× that limit; the warning is turned into an error here). Truncated
  images are never "completed" (``ImageFile.LOAD_TRUNCATED_IMAGES`` stays off): a truncated
  or damaged image fails with a reason.
- A single image → units named ``""`` (findings read ``line 3``); every frame of a
  multi-page TIFF (a fax, a scanned letter) or of a HEIF collection → units named ``page N``.
  At most :data:`MAX_FRAMES` frames are read. An animated GIF or WebP (a slideshow of
  scans, a banner) → units named ``frame N`` for at most :data:`MAX_ANIMATION_FRAMES` frames,
  each composited as displayed; beyond the cap the file is ``partial``.
- In a scan's worker the frames of a multi-page image (not an animation, whose frames are
  composited one after another) are OCR'd by tasks of their own, as a scanned PDF's pages
  are (:mod:`breachscope.extract.ocr_pages`): a 40-page fax uses every worker. Every frame's
  header is checked first, so a bomb frame still fails the file at once.
- Each frame is made 8-bit grey (or kept 1-bit) here, in the way that costs least memory:
  a palette image without transparency is mapped through its palette straight to grey (one
  byte per pixel, never an RGBA copy of a 300-dpi page), transparent areas become white
  (text drawn on a transparent background stays black on white), CMYK/YCbCr/HSV pass through
  RGB, 16-bit greys are left to :func:`~breachscope.extract.ocr.to_greyscale`.
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
from breachscope.extract.ocr_pages import OcrPageRef, ocr_deferred
from breachscope.extract.partial import PartialContent
from breachscope.extract.units import ExtractionError, TextUnit
from breachscope.filetypes import IMAGE_TYPES

if TYPE_CHECKING:
    from PIL.Image import Image

#: Frames of a multi-page image read at most (a fax or scanned letter has a few dozen).
MAX_FRAMES = 2000
#: Frames of an animated GIF/WebP read at most (each is OCR'd: seconds per frame).
MAX_ANIMATION_FRAMES = 20

__all__ = ["IMAGE_TYPES", "MAX_ANIMATION_FRAMES", "MAX_FRAMES", "count_ocr_pages",
           "ocr_image_frame", "open_image", "partition_image"]


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


_heif_registered = False


def _register_heif() -> None:
    """Let Pillow open HEIC/HEIF (and AVIF when Pillow has no AVIF plugin) through
    pillow-heif (libheif); without it, those files fail with a reason."""
    global _heif_registered
    if _heif_registered:
        return
    _heif_registered = True
    try:
        from pillow_heif import register_heif_opener
    except ImportError:
        return
    register_heif_opener()


@contextlib.contextmanager
def open_image(path: Path) -> Iterator[Image]:
    """Open an image with the strict bomb guard; :class:`ExtractionError` for a bomb or a
    file Pillow cannot identify."""
    from PIL import Image as PILImage
    from PIL import ImageFile, UnidentifiedImageError

    _register_heif()
    # A process-wide Pillow switch that another library may have turned on (WeasyPrint does
    # at import, for the report's PDF): a truncated scan must fail, not be "completed" grey.
    ImageFile.LOAD_TRUNCATED_IMAGES = False

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


def _animated(image: Image) -> bool:
    return image.format in ("GIF", "WEBP", "PNG") and bool(getattr(image, "is_animated", False))


def _frames(image: Image, limit: int) -> Iterator[Image]:
    """Each frame of ``image`` (at most ``limit``), decoded (bounded for OCR), size-checked
    before decoding."""
    for index in range(limit):
        if index and not _seek(image, index):
            return
        yield _decoded(image)
        if getattr(image, "n_frames", 1) <= 1:
            return


def _seek(image: Image, index: int) -> bool:
    """Go to frame ``index`` (its header read, no pixel decoded); False past the last."""
    try:
        image.seek(index)
    except EOFError:
        return False
    except _DECODE_ERRORS as exc:
        raise _damaged(exc) from None
    return True


def _decoded(image: Image) -> Image:
    """The current frame, size-checked, then decoded as OCR reads it."""
    _check_size(image)
    try:
        width, height = image.size
        if image.format == "JPEG" and width * height > MAX_OCR_PIXELS:
            # Let the JPEG decoder downscale (by 1/2, 1/4, 1/8) while decoding.
            factor = (MAX_OCR_PIXELS / (width * height)) ** 0.5
            image.draft("L", (int(width * factor) + 1, int(height * factor) + 1))
        image.load()
        frame = ocr_ready(image)
        if frame is image and getattr(image, "n_frames", 1) > 1:
            frame = image.copy()
    except _DECODE_ERRORS as exc:
        raise _damaged(exc) from None
    return frame


def ocr_ready(image: Image) -> Image:
    """``image`` as Tesseract reads it best and at least cost: 1-bit kept, 8-bit grey
    otherwise, transparent areas white (see the module docstring). Returns ``image`` itself
    when it is already 1-bit or grey."""
    from PIL import Image as PILImage

    mode = image.mode
    if mode in ("1", "L"):
        return image
    if mode == "P" and "transparency" not in image.info:
        return image.convert("L")  # through the palette: one byte per pixel
    if mode in ("P", "PA", "RGBA", "RGBa", "LA", "La"):
        rgba = image.convert("RGBA")
        alpha = rgba.getchannel("A")
        grey = rgba.convert("L")
        del rgba
        page = PILImage.new("L", image.size, 255)
        page.paste(grey, mask=alpha)  # ink where opaque, white where transparent
        return page
    if mode in ("CMYK", "YCbCr", "HSV"):
        return image.convert("RGB").convert("L")
    if mode.startswith("I;16") or mode in ("I", "F"):
        return image  # scaled on its actual range by ocr.to_greyscale
    return image.convert("L")


def partition_image(path: Path) -> Iterator[TextUnit | OcrPageRef]:
    """OCR every frame of an image file (see the module docstring). In a scan's worker
    (:func:`~breachscope.extract.ocr_pages.deferring_ocr`) the frames of a multi-page image
    are left to tasks of their own (:func:`ocr_image_frame`): an :class:`OcrPageRef` each."""
    with open_image(Path(path)) as image:
        try:
            frames = int(getattr(image, "n_frames", 1))
            animated = _animated(image)
        except _DECODE_ERRORS as exc:
            raise _damaged(exc) from None
        limit = MAX_ANIMATION_FRAMES if animated else MAX_FRAMES
        label = "frame" if animated else "page"
        if frames > 1 and not animated and ocr_deferred():
            # Every frame's header checked before any is left to a task: a bomb frame fails
            # the file at once, as when the frames are read here.
            n = 0
            while n < min(frames, limit) and (n == 0 or _seek(image, n)):
                _check_size(image)
                n += 1
            emit("ocr_pages_total", n)
            yield from (OcrPageRef(index) for index in range(n))
        else:
            emit("ocr_pages_total", min(frames, limit))  # for the progress bar
            for number, frame in enumerate(_frames(image, limit), start=1):
                yield from ocr_page(frame, f"{label} {number}" if frames > 1 else "")
                del frame
        if frames > limit:
            what = "animation" if animated else "image"
            raise PartialContent(f"{frames - limit} of {frames} frames not read "
                                 f"({what} longer than {limit} frames)")


def ocr_image_frame(path: Path, index: int, first_line: int = 0) -> Iterator[TextUnit]:
    """The OCR units of one frame of a multi-page image (an :class:`OcrPageRef` of
    :func:`partition_image`), as :func:`partition_image` reads it when it does not defer:
    named ``page N``, lines numbered after ``first_line``. Only that frame is decoded."""
    with open_image(Path(path)) as image:
        if index and not _seek(image, index):
            raise ExtractionError(f"damaged image: page {index + 1} unreadable")
        frame = _decoded(image)
    for unit in ocr_page(frame, f"page {index + 1}"):
        unit.first_line += first_line
        yield unit


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
            limit = MAX_ANIMATION_FRAMES if _animated(image) else MAX_FRAMES
            return min(int(getattr(image, "n_frames", 1)), limit)
    except (ExtractionError, *_DECODE_ERRORS):
        return 0
