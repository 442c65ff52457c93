"""A page read badly is checked for orientation with the very PNG the reading was given
when no skew was corrected, instead of encoding the page a second time (the ``tesseract``
program's path: the engine kept in the worker is given pixels, no PNG)."""

from __future__ import annotations

import pytest
from samples import scans

from breachscope.extract import ocr


@pytest.mark.parametrize(("skew", "encodings"), [(0.0, 2), (3.0, 3)])
def test_orientation_check_reuses_the_png_of_an_unskewed_page(monkeypatch, program_ocr, skew,
                                                              encodings):
    encoded: list[bytes] = []
    sent: list[tuple[list[str], bytes]] = []
    png, run = ocr._png, ocr._run

    def counted_png(image):
        encoded.append(png(image))
        return encoded[-1]

    def recorded_run(args, what, page):
        sent.append((args, page))
        return run(args, what, page)

    monkeypatch.setattr(ocr, "_png", counted_png)
    monkeypatch.setattr(ocr, "_run", recorded_run)
    page = scans.page_image(rotate=180, skew=skew)
    units = list(ocr.ocr_page(page, ""))
    assert any("DUPONT Marie" in u.text for u in units)  # read upright in the end
    # read upside down, orientation checked, read again upright
    assert [args[-1] if args[-1] == "tsv" else "osd" for args, _ in sent] == \
        ["tsv", "osd", "tsv"]
    assert len(encoded) == encodings
    if not skew:  # the orientation check got the bytes of the first reading
        assert sent[1][1] is sent[0][1]
