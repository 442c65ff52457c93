"""The skew estimate's row profiles computed from the ink alone (``ocr._InkProfile``) are
exactly Pillow's (the whole thumbnail turned, then shrunk to one column), so the estimate
chooses the same angle as the Pillow-only implementation kept here as the reference."""

from __future__ import annotations

import itertools
import random

import pytest
from samples import scans

from breachscope.extract import ocr


def reference_score(ink, angle: float) -> float:
    """The Pillow-only row profile score (the implementation before issue 15, session 10)."""
    from PIL import Image

    turned = ink.rotate(angle, resample=Image.Resampling.BILINEAR, fillcolor=0)
    rows = turned.resize((1, turned.height), Image.Resampling.BOX).tobytes()
    return float(sum((b - a) ** 2 for a, b in itertools.pairwise(rows)))


def reference_skew(image) -> float:
    """The Pillow-only skew estimate, angle for angle the search of ``ocr.estimate_skew``."""
    from PIL import Image

    grey = image.convert("L")
    grey.thumbnail((ocr.SKEW_THUMBNAIL, ocr.SKEW_THUMBNAIL), Image.Resampling.BOX)
    ink = grey.point(lambda v: 255 if v < 128 else 0)
    if ink.getbbox() is None:
        return 0.0

    def best(candidates):
        top = max((reference_score(ink, a), -abs(a), a) for a in candidates)
        return top[2], top[0]

    steps = int(ocr.MAX_SKEW / 0.5)
    coarse, _ = best([i * 0.5 for i in range(-steps, steps + 1)])
    fine, score = best([coarse + i * 0.1 for i in range(-5, 6)])
    level = reference_score(ink, 0.0)
    if abs(fine) < ocr.MIN_SKEW or abs(fine) > ocr.MAX_SKEW or score < level * 1.05:
        return 0.0
    return round(fine, 2)


def ink_of(image):
    from PIL import Image

    grey = image.convert("L")
    grey.thumbnail((ocr.SKEW_THUMBNAIL, ocr.SKEW_THUMBNAIL), Image.Resampling.BOX)
    return grey.point(lambda v: 255 if v < 128 else 0)


#: Every angle the estimate may try (coarse steps, and the fine steps around each).
SEARCHED = sorted({c + i * 0.1 for c in (j * 0.5 for j in range(-12, 13)) for i in range(-5, 6)})


def random_ink(size: tuple[int, int], share: float, seed: int):
    from PIL import Image

    rng = random.Random(seed)
    width, height = size
    data = bytes(255 if rng.random() < share else 0 for _ in range(width * height))
    return Image.frombytes("L", size, data)


@pytest.mark.parametrize(("skew", "rotate"), [(0.0, 0), (-5.0, 0), (2.7, 0), (-0.3, 0),
                                              (6.0, 0), (1.5, 90)])
def test_ink_profile_equals_pillow_on_every_searched_angle(skew, rotate):
    ink = ink_of(scans.page_image(skew=skew, rotate=rotate))
    profile = ocr._InkProfile(ink)
    got = [profile.score(a) for a in SEARCHED]
    assert got == [reference_score(ink, a) for a in SEARCHED]


@pytest.mark.parametrize(("size", "share"), [
    ((1, 1), 1.0), ((1, 7), 0.5), ((7, 1), 0.5), ((2, 2), 0.5), ((64, 48), 0.02),
    ((300, 200), 0.2), ((300, 200), 0.9),  # much ink: Pillow's own turn
])
def test_ink_profile_equals_pillow_on_odd_images(size, share):
    ink = random_ink(size, share, seed=size[0] * 1000 + size[1])
    profile = ocr._InkProfile(ink)
    angles = [-6.5, -2.2, 0.0, 1e-9, 0.1, 3.3, 45.0, 90.0, 180.0, 270.0, -120.3]
    assert [profile.score(a) for a in angles] == [reference_score(ink, a) for a in angles]


@pytest.mark.parametrize("skew", [-5.0, -2.0, -0.7, 0.0, 0.4, 1.3, 3.0, 6.0])
def test_skew_estimate_equals_the_pillow_reference(skew):
    page = scans.page_image(skew=skew)
    assert ocr.estimate_skew(page) == reference_skew(page)


def test_typed_page_skew_is_estimated_without_turning_the_thumbnail(monkeypatch):
    """The ink-only profiles replace the 37 full-thumbnail turns (a third of a page's CPU)."""
    from PIL import Image

    turns: list[float] = []
    rotate = Image.Image.rotate

    def counted(self, angle, *args, **kwargs):
        turns.append(angle)
        return rotate(self, angle, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "rotate", counted)
    page = scans.page_image(skew=-2.0)
    assert ocr.estimate_skew(page) == pytest.approx(2.0, abs=0.3)
    assert turns == [-2.0]  # the only turn: the one that made the test page askew
