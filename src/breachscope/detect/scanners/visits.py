"""Dates by role in prose, beyond birth dates (``detect/text.py``): visit and admission dates
(``hospitalisé du 12/03/2024 au 18/03/2024``, ``admis le``, ``consultation du``, ``vu le``)
and ages (``72 ans``, ``âgée de 72 ans``). A date without such a cue gets no role."""

from __future__ import annotations

import re
from collections.abc import Iterator

from breachscope.detect.candidates import with_first_characters
from breachscope.detect.text import _DATE_TEXT
from breachscope.detect.validators import parse_date
from breachscope.detect.windows import finditer_near_digits

_VISIT_CUE = (
    r"(?:hospitalis[ée]e?s?|admise?|admission|entr[ée]e?|sortie?|sortante?|venue?|vue?"
    r"|consult[ée]e?|consultation|s[ée]jour|passage|hospitalisation|rendez-vous|rdv"
    r"|examin[ée]e?|op[ée]r[ée]e?|intervention|urgences)"
)
_VISIT = re.compile(
    rf"\b{_VISIT_CUE}\s+(?:aux\s+urgences\s+)?(?:du|le|en\s+date\s+du|au|:)\s*"
    rf"(?P<date>{_DATE_TEXT})(?:\s+au\s+(?P<until>{_DATE_TEXT}))?",
    re.IGNORECASE,
)
_AGE = re.compile(
    r"(?:\b[âa]g[ée]e?\s+de\s+|\(\s*|,\s*)(?P<age>\d{1,3})\s*ans\b(?!\s+(?:de|d'|plus|apr[èe]s))",
    re.IGNORECASE,
)


def _visit_dates(text: str) -> Iterator[tuple[int, int, str, float, str]]:
    for m in finditer_near_digits(_VISIT, text, before=120, after=40):
        for group in ("date", "until"):
            raw = m.group(group)
            value = parse_date(raw) if raw else None
            if value is not None:
                yield m.start(group), m.end(group), value, 0.85, "context+visit"


def _ages(text: str) -> Iterator[tuple[int, int, str, float, str]]:
    for m in finditer_near_digits(_AGE, text, before=60, after=60):
        age = int(m.group("age"))
        if age <= 120:
            yield m.start("age"), m.end("age"), str(age), 0.8, "context+age"


SCANNERS = [("VISIT_DATE", _visit_dates), ("AGE", _ages)]


# Issue 15: the patterns run over whole texts or many windows, with a look-ahead on the
# characters a match can start with (detect/candidates.py): the same matches, found faster.
_VISIT, _AGE = (
    with_first_characters(p) for p in (_VISIT, _AGE))
