"""Where the CPU of OCR'ing one image goes (issue 15, session 10): each image is read as a
scan would (``extract.image.partition_image``) in this process, and its CPU is split
between the steps of ``extract/ocr.py`` — this process's own CPU per step, and the CPU of
the tesseract children per kind of run (recognition ``--psm 3``, orientation ``--psm 0``),
from ``getrusage``. Prints seconds per image.

    .venv/bin/python bench/ocr_pages/page_cpu.py '/tmp/tp1g2/dump/scans/**/*.png'
    PYTHONPATH=/tmp/old/src .venv/bin/python bench/ocr_pages/page_cpu.py ...   # older code

Results: docs/performance.md, "OCR per page, session 10".
"""

from __future__ import annotations

import collections
import glob
import resource
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from breachscope.extract import image, ocr

SPLIT: dict[str, float] = collections.defaultdict(float)


def _cpu() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, kids.ru_utime + kids.ru_stime


def _timed(module: Any, name: str) -> None:
    function: Callable[..., Any] = getattr(module, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        own, kids = _cpu()
        try:
            return function(*args, **kwargs)
        finally:
            own_after, kids_after = _cpu()
            if name == "_run":  # a tesseract run: its own CPU apart
                kind = "orientation (--psm 0)" if "0" in args[0][:2] else "recognition"
                SPLIT[f"tesseract {kind}"] += kids_after - kids
                SPLIT["tesseract runs, this process"] += own_after - own
            else:
                SPLIT[name] += own_after - own

    setattr(module, name, timed)


def main() -> None:
    paths = [p for pattern in sys.argv[1:] for p in sorted(glob.glob(pattern, recursive=True))]
    if not paths:
        sys.exit("usage: page_cpu.py GLOB...")
    for name in ("_run", "to_greyscale", "bounded", "estimate_skew", "_png", "text_from_tsv",
                 "_mean_confidence"):
        _timed(ocr, name)
    _timed(image, "ocr_ready")
    ocr.ocr_unavailable_reason()  # tesseract --list-langs, once, outside the figures
    own, kids = _cpu()
    for path in paths:
        list(image.partition_image(Path(path)))
    own_after, kids_after = _cpu()
    count = len(paths)
    print(f"{count} images: {(own_after - own + kids_after - kids) / count:.3f} CPU s each "
          f"(this process {(own_after - own) / count:.3f}, "
          f"tesseract {(kids_after - kids) / count:.3f})")
    for step, seconds in sorted(SPLIT.items(), key=lambda item: -item[1]):
        print(f"  {step:32s} {seconds / count:.4f}")


if __name__ == "__main__":
    main()
