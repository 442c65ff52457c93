"""Tesseract resident in the worker process (``tesserocr``), when it is the same Tesseract as
the ``tesseract`` program.

Running the ``tesseract`` program once per page reloads its French and English models every
time: on a typed A4 page at 150 dpi that start-up was about a fifth of the page's OCR time
(0.47 → 0.37 CPU s a page through the library; issue 15, session 11). ``tesserocr`` (a
Cython binding of Tesseract's C++ API, installed from source against Debian's
``libtesseract-dev`` by the set-up command) keeps one engine per language set loaded for the
life of the worker.

The engine is used only when the library is the very Tesseract the program is (same version
line): PyPI's binary wheel bundles a newer Tesseract (5.5 against Debian's 5.3) whose reading
differs on some words (``aiguë`` read ``aigué``, an e-mail address cut in two), and a scan's
findings must not depend on how the tool was installed. Otherwise, and whenever the library is
missing, :mod:`breachscope.extract.ocr` runs the program as before. Same input, same output:
the pixels of the PNG the program would have read, with no stated resolution either
(:func:`_set_image`), the TSV the same rows (the program's header line added), the
orientation verdict the same ``Rotate`` / confidence pair ``--psm 0`` prints.

Failure modes: a page that takes too long is cancelled by the library's own time-out (and the
worker's alarm, which ``tesserocr`` honours between steps); a crash inside Tesseract takes the
worker down, which the pool reports as that file's failure (the program run by the worker
failed the same file with an exit status).
"""

from __future__ import annotations

import functools
import os
import subprocess
from typing import TYPE_CHECKING, Any

from breachscope.extract.units import ExtractionError

if TYPE_CHECKING:
    from PIL.Image import Image

#: The first line of ``tesseract ... tsv``: the library's TSV has no header.
TSV_HEADER = ("level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\t"
              "height\tconf\ttext")
#: ``--psm 0`` (orientation and script detection only) and ``--psm 3`` (automatic layout).
PSM_OSD_ONLY, PSM_AUTO = 0, 3


def _program_version(binary: str) -> str | None:
    try:
        done = subprocess.run([binary, "--version"], capture_output=True, timeout=30,
                              check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    lines = (done.stdout or done.stderr).decode("utf-8", "replace").splitlines()
    return lines[0].strip() if lines else None


@functools.cache
def library(binary: str | None) -> Any | None:
    """The ``tesserocr`` module when it wraps the same Tesseract as the program ``binary``
    (their first version lines equal, ``tesseract 5.3.0``); ``None`` otherwise."""
    if binary is None:
        return None
    # One OpenMP thread, as the program is run (libgomp reads it when first loaded; a scan
    # worker sets it at start, worker.sandbox): scan workers are already parallel.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    try:
        import tesserocr
    except ImportError:
        return None
    wrapped = tesserocr.tesseract_version().splitlines()
    if not wrapped or wrapped[0].strip() != _program_version(binary):
        return None
    return tesserocr


@functools.cache
def _engine(module: Any, languages: str, psm: int) -> Any:
    """One loaded engine per (languages, layout mode), kept for the worker's life."""
    return module.PyTessBaseAPI(lang=languages, psm=psm)


def _set_image(api: Any, page: Image) -> None:
    """Give ``page`` to the engine as the program gets it: its pixels (8-bit grey, or 1-bit)
    and no stated resolution (our PNG has none, and Tesseract then estimates it from the text).
    ``SetImage(PIL image)`` would not do: ``tesserocr`` saves an image made in memory as BMP,
    which states 96 dpi, and the reading of a turned or deskewed page then differed."""
    width, height = page.size
    if page.mode == "1":  # packed bits, most significant first, 1 for white: as PIL has it
        api.SetImageBytes(page.tobytes(), width, height, 0, (width + 7) // 8)
        return
    if page.mode != "L":
        page = page.convert("L")
    api.SetImageBytes(page.tobytes(), width, height, 1, width)


def read_tsv(module: Any, page: Image, languages: str, timeout_s: float) -> str:
    """The TSV ``tesseract stdin stdout -l LANGUAGES --psm 3 tsv`` prints for ``page``."""
    api = _engine(module, languages, PSM_AUTO)
    _set_image(api, page)
    if not api.Recognize(timeout=int(timeout_s * 1000)):
        api.Clear()
        raise ExtractionError(f"OCR failed or exceeded its time limit ({timeout_s:g} s)")
    tsv = api.GetTSVText(0)
    api.Clear()
    api.ClearAdaptiveClassifier()  # each page read as by a fresh program: nothing learnt
    return f"{TSV_HEADER}\n{tsv}"


def orientation(module: Any, page: Image) -> tuple[int, float] | None:
    """``(Rotate, Orientation confidence)`` as ``tesseract stdin stdout --psm 0`` prints them;
    ``None`` where the program fails (too few characters). The engine is loaded with the OSD
    model itself (``lang="osd"``): loaded with English, the library's detection answers
    270 degrees at confidence 250 whatever the page."""
    api = _engine(module, "osd", PSM_OSD_ONLY)
    _set_image(api, page)
    try:
        found = api.DetectOrientationScript()  # None where the program says "Too few characters"
    finally:
        api.Clear()
    if not found:
        return None
    # The program prints Rotate = OrientationIdToValue(orient_id): the clockwise turn that
    # makes the page upright, i.e. (360 - orient_deg) % 360.
    # The confidence as the program prints it (two decimals): compared to a threshold.
    return (360 - int(found["orient_deg"])) % 360, round(float(found["orient_conf"]), 2)
