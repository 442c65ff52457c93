"""Where in a text a pattern that needs digits can match.

Python's ``re`` has no literal prefilter for patterns that start with a look-behind or an
alternation: it tries them at every position of the text. A postal code, a visit date or a
patient number cannot match far from a digit, so these passes search only the spans around
the text's digits (``finditer(text, start, end)``, which keeps look-behinds and ``\\b`` right at
the span's edges). On prose with digits everywhere the spans merge into the whole text and
nothing changes; on long runs of words (a 64 MB line of filler in a hostile dump, a novel-length
letter) the passes cost almost nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

# Past this share of the text, searching the spans costs more than searching the whole text.
_WHOLE_TEXT_SHARE = 0.5
# Below this length the whole text is searched at once: finding the spans costs more than it
# saves (a letter of a few KB is digits all over; issue 15: 8 passes per letter).
_SHORT_TEXT = 4096
_DIGIT = re.compile(r"\d")


@cache
def _runs(gap: int) -> re.Pattern[str]:
    """Digits with fewer than ``gap`` other characters between them: one span of the text."""
    return re.compile(rf"\d(?:\D{{0,{gap}}}\d)*")


def digit_spans(text: str, before: int, after: int) -> list[tuple[int, int]]:
    """Disjoint ``(start, end)`` spans covering every character within ``before`` characters
    before and ``after`` characters after a digit, in order; ``[(0, len(text))]`` when they
    would cover most of the text anyway."""
    if len(text) < _SHORT_TEXT:
        return [(0, len(text))] if _DIGIT.search(text) else []
    spans: list[tuple[int, int]] = []
    covered = 0
    for m in _runs(before + after).finditer(text):
        start, end = max(0, m.start() - before), min(len(text), m.end() + after)
        if spans and start <= spans[-1][1]:
            covered += end - spans[-1][1]
            spans[-1] = (spans[-1][0], end)
        else:
            covered += end - start
            spans.append((start, end))
        if covered > _WHOLE_TEXT_SHARE * len(text):
            return [(0, len(text))]
    return spans


def finditer_near_digits(pattern: re.Pattern[str], text: str, before: int, after: int
                         ) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text)`` for a pattern whose every match holds a digit at most
    ``before`` characters after its start and ends at most ``after`` characters after its
    last digit."""
    for start, end in digit_spans(text, before, after):
        yield from pattern.finditer(text, start, end)
