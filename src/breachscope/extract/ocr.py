"""OCR of one page image with Tesseract: orientation, deskew, recognition, confidence.

Used by :mod:`breachscope.extract.pdf` (pages without a text layer) and
:mod:`breachscope.extract.image` (PNG, JPEG, TIFF frames).

- Tesseract (Debian's ``tesseract-ocr`` with ``-fra`` and ``-osd``) runs as a separate
  program: an argument list (no shell), a time limit (:data:`OCR_TIMEOUT`), one thread
  (``OMP_THREAD_LIMIT=1``: scan workers are already parallel), its input and output through
  pipes: no page image or text is ever written to disk (it would lie in clear beside an
  encrypted case and outlive a ``kill -9``). It reads a PNG we made from decoded pixels,
  never the file from the dump. Where ``tesserocr`` wraps that same Tesseract, the engine
  stays loaded in the worker instead (:mod:`breachscope.extract.ocr_resident`: same input,
  same output, without reloading the models for every page).
- Steps: the page is bounded to :data:`MAX_OCR_PIXELS` (downscaled beyond), made greyscale;
  a small skew (a page put askew on the scanner glass) is estimated and corrected
  (:func:`estimate_skew`); then the page is read in French and English (``-l fra+eng``) in
  automatic layout mode. Only when it reads badly (mean word confidence under
  :data:`REORIENT_BELOW`, or no word) does Tesseract's orientation and script detection
  (``--psm 0``) say whether it lies sideways or upside down: it is then turned upright when
  OSD is sure enough (:data:`MIN_ORIENTATION_CONFIDENCE`) and read again, the better reading
  kept (OSD for every page cost more CPU than the reading itself; issue 15).
- The text is rebuilt from Tesseract's TSV output as its plain-text output lays it out
  (:func:`text_from_tsv`: one output on one pipe); the TSV also gives each word's
  confidence, whose mean over the page (0–1) becomes ``TextUnit.confidence``: detection caps
  its findings' confidence with it.
"""

from __future__ import annotations

import functools
import io
import itertools
import math
import os
import shutil
import subprocess
from collections.abc import Iterator
from typing import TYPE_CHECKING

from breachscope.childproc import dies_with_parent
from breachscope.events import emit
from breachscope.extract import ocr_resident
from breachscope.extract.text import split_text
from breachscope.extract.units import ExtractionError, TextUnit

if TYPE_CHECKING:
    import numpy as np
    from PIL.Image import Image

#: Pixels given to Tesseract for one page at most: a bigger render or image is downscaled
#: (an A4 page at 300 dpi is 8.7 megapixels).
MAX_OCR_PIXELS = 40_000_000
#: Seconds one Tesseract run may take (the worker's per-file limit still applies around it).
OCR_TIMEOUT = 180.0
#: Languages wanted, in order; those installed are used.
LANGUAGES = ("fra", "eng")
#: Orientation confidence (Tesseract's OSD score) below which a page is left as it is:
#: turning a page that was upright ruins its reading, so only a clear verdict turns it.
MIN_ORIENTATION_CONFIDENCE = 2.0
#: A page read with a lower mean word confidence (0-1) is checked for orientation (OSD).
REORIENT_BELOW = 0.75
#: Skews estimated (degrees) below this are left alone; the search covers ±MAX_SKEW.
MIN_SKEW = 0.5
MAX_SKEW = 6.0
#: Longest side of the thumbnail on which the skew is estimated.
SKEW_THUMBNAIL = 1000


@functools.cache
def tesseract_path() -> str | None:
    return shutil.which("tesseract")


@functools.cache
def _installed_languages() -> frozenset[str]:
    binary = tesseract_path()
    if binary is None:
        return frozenset()
    try:
        done = subprocess.run([binary, "--list-langs"], capture_output=True, timeout=30,
                              env=_environment(), check=False)
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    lines = done.stdout.decode("utf-8", "replace").splitlines()
    return frozenset(line.strip() for line in lines[1:] if line.strip())


def ocr_unavailable_reason() -> str | None:
    """Why OCR cannot run here (``None`` when it can)."""
    if tesseract_path() is None:
        return "OCR unavailable: tesseract is not installed"
    if not set(LANGUAGES) & _installed_languages():
        return "OCR unavailable: no French or English tesseract language data"
    return None


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env["OMP_THREAD_LIMIT"] = "1"
    return env


def _run(args: list[str], what: str, page: bytes) -> subprocess.CompletedProcess[bytes]:
    """Run tesseract on ``page`` (PNG bytes) given on its standard input; its output comes
    back on standard output. Nothing is written to disk: a page image or its text in a file
    would lie in clear beside an encrypted case, and survive a ``kill -9``."""
    binary = tesseract_path()
    if binary is None:
        raise ExtractionError("OCR unavailable: tesseract is not installed")
    try:
        # On a timeout (ours, or the worker's alarm interrupting the wait) subprocess.run
        # kills the child before the exception propagates.
        return subprocess.run(dies_with_parent([binary, "stdin", "stdout", *args]), input=page,
                              capture_output=True, timeout=OCR_TIMEOUT, env=_environment(),
                              check=False)
    except subprocess.TimeoutExpired:
        raise ExtractionError(f"{what} time limit exceeded ({OCR_TIMEOUT:g} s)") from None
    except OSError as exc:
        raise ExtractionError(f"cannot run tesseract: {exc.strerror or type(exc).__name__}") \
            from None


# -- page preparation ----------------------------------------------------------------------

def to_greyscale(image: Image) -> Image:
    """The page in 8-bit grey (1-bit pages stay as they are), transparent areas white."""
    from PIL import Image as PILImage

    if image.mode in ("1", "L"):
        return image
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        background = PILImage.new("RGBA", rgba.size, (255, 255, 255, 255))
        background.alpha_composite(rgba)
        return background.convert("L")
    if image.mode.startswith("I;16") or image.mode in ("I", "F"):
        # 16/32-bit greys: scale to 8 bits on the actual range (a plain convert clips).
        low, high = image.getextrema()
        span = (high - low) or 1
        return image.point(lambda v: (v - low) * 255 / span).convert("L")
    return image.convert("L")


def bounded(image: Image, max_pixels: int = MAX_OCR_PIXELS) -> Image:
    """``image`` downscaled (aspect kept) so that it has at most ``max_pixels``."""
    from PIL import Image as PILImage

    width, height = image.size
    if width * height <= max_pixels:
        return image
    factor = (max_pixels / (width * height)) ** 0.5
    size = (max(1, int(width * factor)), max(1, int(height * factor)))
    mode = "L" if image.mode == "1" else image.mode
    return image.convert(mode).resize(size, PILImage.Resampling.BOX)


def _row_profile_score(ink: Image, angle: float) -> float:
    """How sharply the rows of ``ink`` (white ink on black) alternate between text and gaps
    once turned by ``angle``: the sum of squared differences between consecutive row means.

    Pillow's own computation (the whole thumbnail turned); :class:`_InkProfile` gives the
    same figure from the ink alone."""
    from PIL import Image as PILImage

    turned = ink.rotate(angle, resample=PILImage.Resampling.BILINEAR, fillcolor=0)
    rows = turned.resize((1, turned.height), PILImage.Resampling.BOX).tobytes()  # 8-bit
    return float(sum((b - a) ** 2 for a, b in itertools.pairwise(rows)))


def _rotation_matrix(size: tuple[int, int], angle: float) -> tuple[float, ...]:
    """The destination-to-source affine matrix of Pillow's ``Image.rotate(angle)`` (about
    the centre, no ``expand``), computed with Pillow's operations in Pillow's order so that
    every coefficient is the same double."""
    width, height = size
    centre_x, centre_y = width / 2, height / 2
    radians = -math.radians(angle % 360.0)
    a, b = round(math.cos(radians), 15), round(math.sin(radians), 15)
    d, e = round(-math.sin(radians), 15), round(math.cos(radians), 15)
    x, y = -centre_x - 0, -centre_y - 0
    c = a * x + b * y + 0.0 + centre_x
    f = d * x + e * y + 0.0 + centre_y
    return a, b, c, d, e, f


class _InkProfile:
    """The row profile of an ink thumbnail turned by an angle, computed from its ink pixels
    only: exactly the bytes of Pillow's ``rotate(angle, BILINEAR, fillcolor=0)`` followed by
    ``resize((1, height), BOX)``, for a fraction of the CPU.

    Written here (numpy, already installed with pyarrow and scipy) because no library gives
    the row sums of a turned image without turning all of it, and the skew estimate turns a
    page's thumbnail 37 times (a third of the CPU of reading a typed page). Text pages are
    ~2 % ink and only the pixels whose bilinear sample touches ink can be non-zero, so each
    angle evaluates Pillow's formulas (``Geometry.c``: ``affine_transform`` then
    ``bilinear_filter8``; ``Resample.c``: the 22-bit fixed-point box filter) on those pixels
    alone, with the same double operations in the same order, hence the same bytes. A page
    with much ink (a photograph) is turned by Pillow itself."""

    #: Above this share of candidate pixels, Pillow's own loop is cheaper.
    MAX_CANDIDATE_SHARE = 0.25

    def __init__(self, ink: Image) -> None:
        import numpy as np

        self.ink = ink
        self.width, self.height = ink.size
        pixels = np.asarray(ink, dtype=np.uint8)
        self.flat = pixels.ravel().astype(np.int32)
        rows, columns = np.nonzero(pixels)
        self.ink_x = columns + 0.5  # centres of the ink pixels, source coordinates
        self.ink_y = rows + 0.5
        self.level_sums = pixels.sum(axis=1, dtype=np.int64)
        # Resample.c: each of the `width` box weights is 1/width in 22-bit fixed point.
        self.weight = int(0.5 + (1.0 / self.width) * (1 << 22))

    def score(self, angle: float) -> float:
        """:func:`_row_profile_score` of the thumbnail turned by ``angle``, exactly."""
        import numpy as np

        turn = angle % 360.0
        if turn in (90.0, 180.0, 270.0):  # Pillow transposes these: not the path below
            return _row_profile_score(self.ink, angle)
        sums = self.level_sums if turn == 0 else self._turned_sums(angle)
        if sums is None:
            return _row_profile_score(self.ink, angle)
        rows = np.minimum(255, ((1 << 21) + sums * self.weight) >> 22)
        return float(int(np.sum(np.diff(rows) ** 2)))

    def _candidates(self, matrix: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
        """Output pixels (rows, columns) that may sample ink: those within 1.5 pixel of an
        ink pixel's centre mapped back into the output. A pixel samples its 2x2 source
        neighbourhood around a point less than 1 pixel (per axis) from each of those four
        centres, i.e. less than sqrt(2) away: the 3x3 block below is a superset."""
        import numpy as np

        a, b, c, d, e, f = matrix
        width, height = self.width, self.height
        det = a * e - b * d
        shifted_x, shifted_y = self.ink_x - c, self.ink_y - f
        centre_x = (e * shifted_x - b * shifted_y) / det
        centre_y = (a * shifted_y - d * shifted_x) / det
        # Integers o with o + 0.5 within (centre - 1.5, centre + 1.5]: first + 0, 1, 2.
        first_x = np.clip(np.floor(centre_x - 2).astype(np.intp) + 1, -2, width - 1)
        first_y = np.clip(np.floor(centre_y - 2).astype(np.intp) + 1, -2, height - 1)
        marks = np.zeros((height + 2, width + 2), dtype=bool)  # 2 pixels of margin
        marks[first_y + 2, first_x + 2] = True
        across = marks[:, 2:] | marks[:, 1:-1] | marks[:, :-2]  # each mark over its block
        block = across[2:] | across[1:-1] | across[:-2]
        return np.divmod(np.flatnonzero(block), width)

    def _turned_sums(self, angle: float) -> np.ndarray | None:
        """Sum of each row of the turned thumbnail (ints), or ``None`` when too many pixels
        would be evaluated."""
        import numpy as np

        width, height = self.width, self.height
        matrix = _rotation_matrix((width, height), angle)
        out_y, out_x = self._candidates(matrix)
        if out_y.size > self.MAX_CANDIDATE_SHARE * width * height:
            return None
        a, b, c, d, e, f = matrix
        # Geometry.c affine_transform: the source point of the output pixel's centre.
        centre_x, centre_y = out_x + 0.5, out_y + 0.5
        src_x = a * centre_x + b * centre_y + c
        src_y = d * centre_x + e * centre_y + f
        inside = (src_x >= 0.0) & (src_x < width) & (src_y >= 0.0) & (src_y < height)
        out_y, src_x, src_y = out_y[inside], src_x[inside] - 0.5, src_y[inside] - 0.5
        # Geometry.c bilinear_filter8 (its XCLIP/YCLIP, its lerps, the cast to UINT8).
        floor_x, floor_y = np.floor(src_x), np.floor(src_y)
        frac_x, frac_y = src_x - floor_x, src_y - floor_y
        col, row = floor_x.astype(np.intp), floor_y.astype(np.intp)
        col0, col1 = np.clip(col, 0, width - 1), np.clip(col + 1, 0, width - 1)
        above = np.clip(row, 0, height - 1) * width
        below = np.minimum(row + 1, height - 1) * width  # row + 1 >= 0: row >= -1
        flat = self.flat
        left, right = flat[above + col0], flat[above + col1]
        top = left + (right - left) * frac_x
        left, right = flat[below + col0], flat[below + col1]
        bottom = np.where(row + 1 < height, left + (right - left) * frac_x, top)
        value = np.trunc(top + (bottom - top) * frac_y)
        return np.bincount(out_y, weights=value, minlength=height).astype(np.int64)


def estimate_skew(image: Image) -> float:
    """The angle (degrees, counter-clockwise as PIL's ``rotate``) that makes the text lines
    of ``image`` horizontal, within ±:data:`MAX_SKEW`; 0.0 when unsure.

    A projection-profile estimate, written here rather than taken from a library: the
    ``deskew`` package needs scikit-image (tens of megabytes) for the same result on typed
    pages. The page is shrunk to :data:`SKEW_THUMBNAIL` pixels on its longest side and
    inverted (ink bright); for each candidate angle (coarse 0.5° steps, then 0.1° around the
    best) the thumbnail is turned and its row means taken: when the lines are level, rows
    alternate between dark gaps and bright text and the profile is sharpest. The profiles
    come from :class:`_InkProfile` (the bytes Pillow's turn would give, from the ink alone)."""
    from PIL import Image as PILImage

    grey = image.convert("L")
    grey.thumbnail((SKEW_THUMBNAIL, SKEW_THUMBNAIL), PILImage.Resampling.BOX)
    ink = grey.point(lambda v: 255 if v < 128 else 0)
    if ink.getbbox() is None:  # blank page
        return 0.0
    profile = _InkProfile(ink)
    scores: dict[float, float] = {}  # an angle met twice (0, the coarse best) scored once

    def score(angle: float) -> float:
        if angle not in scores:
            scores[angle] = profile.score(angle)
        return scores[angle]

    def best(candidates: list[float]) -> tuple[float, float]:
        top = max((score(a), -abs(a), a) for a in candidates)
        return top[2], top[0]

    steps = int(MAX_SKEW / 0.5)
    coarse, score_ = best([i * 0.5 for i in range(-steps, steps + 1)])
    fine, score_ = best([coarse + i * 0.1 for i in range(-5, 6)])
    level = score(0.0)
    # Keep the page as it is unless the turn clearly sharpens the profile (noise, pictures).
    if abs(fine) < MIN_SKEW or abs(fine) > MAX_SKEW or score_ < level * 1.05:
        return 0.0
    return round(fine, 2)


def _png(image: Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


def _orientation(page: Image, png: bytes | None = None) -> int:
    """Degrees to turn ``page`` clockwise to make it upright, per Tesseract's OSD; 0 when
    OSD has too little text or is unsure. ``png``: the page already encoded, if it was."""
    if "osd" not in _installed_languages():
        return 0
    module = ocr_resident.library(tesseract_path())
    if module is not None:
        found = ocr_resident.orientation(module, page)
        if found is None:
            return 0
        rotate, confidence = found
    else:
        done = _run(["--psm", "0"], "OCR orientation", _png(page) if png is None else png)
        if done.returncode != 0:
            return 0  # typically "Too few characters": leave the page as it is
        rotate, confidence = 0, 0.0
        for line in done.stdout.decode("ascii", "replace").splitlines():
            key, _, value = line.partition(":")
            try:
                if key.strip() == "Rotate":
                    rotate = int(value.strip())
                elif key.strip() == "Orientation confidence":
                    confidence = float(value.strip())
            except ValueError:
                return 0
    if rotate % 90 or confidence < MIN_ORIENTATION_CONFIDENCE:
        return 0
    return rotate % 360


def text_from_tsv(tsv: str) -> str:
    """The page's text from Tesseract's TSV output, as its ``txt`` output lays it out: the
    words of a line joined by a space, a line per line, a blank line between paragraphs and
    blocks (one output, read from a pipe, instead of two files)."""
    out: list[str] = []
    current: tuple[str, str, str] | None = None
    paragraph: tuple[str, str] | None = None
    words: list[str] = []
    for row in tsv.splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) < 12 or cells[0] != "5" or not cells[11].strip():
            continue
        key = (cells[2], cells[3], cells[4])  # block, paragraph, line
        if key != current:
            if words:
                out.append(" ".join(words))
            words = []
            if paragraph is not None and key[:2] != paragraph:
                out.append("")
            current, paragraph = key, key[:2]
        words.append(cells[11])
    if words:
        out.append(" ".join(words))
    return "\n".join(out)


def _mean_confidence(tsv: str) -> float | None:
    """Mean word confidence (0–1) from Tesseract's TSV output; ``None`` without words."""
    total, count = 0.0, 0
    for line in tsv.splitlines()[1:]:
        cells = line.split("\t")
        if len(cells) < 12 or cells[0] != "5" or not cells[11].strip():
            continue
        try:
            confidence = float(cells[10])
        except ValueError:
            continue
        if confidence >= 0:
            total += confidence
            count += 1
    return round(total / count / 100, 3) if count else None


def ocr_page(image: Image, name: str) -> Iterator[TextUnit]:
    """Read one page image; its text as units named ``name`` (lines numbered from 1 in
    Tesseract's layout) carrying the page's mean word confidence. Nothing for a page
    without words. Raises :class:`ExtractionError` when Tesseract is missing or fails."""

    try:
        yield from _ocr_page(image, name)
    finally:
        emit("ocr_pages_done", 1)  # progress bar: one page less to read


def _read_level(page: Image) -> tuple[str, bytes | None]:
    """Tesseract's TSV for ``page`` once its small skew is corrected, and the PNG it read
    when that is ``page`` itself (no skew): the orientation check may reuse it."""
    from PIL import Image as PILImage

    languages = "+".join(lang for lang in LANGUAGES if lang in _installed_languages())
    skew = estimate_skew(page)
    if skew:
        page = page.convert("L").rotate(skew, resample=PILImage.Resampling.BICUBIC,
                                        expand=True, fillcolor=255)
    module = ocr_resident.library(tesseract_path())
    if module is not None:  # the same Tesseract, already loaded in this worker
        return ocr_resident.read_tsv(module, page, languages, OCR_TIMEOUT), None
    png = _png(page)
    del page
    done = _run(["-l", languages, "--psm", "3", "tsv"], "OCR", png)
    if done.returncode != 0:
        raise ExtractionError(f"OCR failed (tesseract exit status {done.returncode})")
    return done.stdout.decode("utf-8", errors="replace"), None if skew else png


def _ocr_page(image: Image, name: str) -> Iterator[TextUnit]:
    reason = ocr_unavailable_reason()
    if reason:
        raise ExtractionError(reason)
    page = bounded(to_greyscale(image))
    tsv, png = _read_level(page)
    confidence = _mean_confidence(tsv)
    # Orientation detection only for a page read badly (or not at all): Tesseract's OSD cost
    # more CPU than the reading itself (0.84 s against 0.55 s on a typed A4 page at 150 dpi),
    # and an upright page reads at ~0.95 while the same page upside down or on its side reads
    # at ~0.4 (Tesseract's layout analysis turns a page by 90 or 270 degrees by itself).
    if confidence is None or confidence < REORIENT_BELOW:
        rotate = _orientation(page, png)
        if rotate:
            turned, _ = _read_level(page.rotate(-rotate, expand=True))  # PIL: anticlockwise
            turned_confidence = _mean_confidence(turned)
            if turned_confidence is not None and (confidence is None
                                                  or turned_confidence > confidence):
                tsv, confidence = turned, turned_confidence
    del page, png
    if confidence is None:
        return
    text = text_from_tsv(tsv)
    for unit in split_text(text.replace("\f", "").rstrip(), name=name):
        unit.confidence = confidence
        yield unit
