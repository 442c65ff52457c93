"""Realistic name frequencies for the resolution bench.

Who shares a name with whom decides how much a name alone proves, so the bench must not draw
names uniformly from a short list (93 surnames for 400 000 people makes every name common).
The INSEE gazetteers shipped with breachscope (``breachscope/data/names``) give every name a
frequency *tier* (0: more than 500 bearers, 1: more than 100, 2: more than 50, 3: fewer), not a
count, so names get ranks tier by tier (in a seeded random order inside a tier) and a
frequency from a Zipf-Mandelbrot law ``(rank + q) ** -s`` fitted to two known points:

- surnames, ``s = 0.62, q = 0``: the most common (Martin) carries ~0.35 % of the population and
  the last tier-0 name (rank 21 805) ~500 of ~90 M births, i.e. 1/470 of it;
- first names, ``s = 1.58, q = 20``: the most common (Marie) ~2.5 % and the last tier-0 name
  (rank 4 264) ~500 / 90 M.

The gazetteers are folded (upper case, no accents); a drawn name that is also in the bench's
hand-written lists (``run.LAST``, ``run.FIRST``) takes that list's spelling, so accents and
hyphens still vary between records of the head names.
"""

from __future__ import annotations

import gzip
import itertools
import random
from importlib import resources

from breachscope.detect.validators import fold


def _ranked(file: str, seed: int) -> list[str]:
    with resources.files("breachscope.data.names").joinpath(file).open("rb") as raw, \
            gzip.open(raw, "rt", encoding="utf-8") as lines:
        tiers: dict[int, list[str]] = {}
        for line in lines:
            name, tier = line.rstrip("\n").split("\t")
            tiers.setdefault(int(tier), []).append(name)
    rng = random.Random(seed)
    ranked = []
    for tier in sorted(tiers):
        names = sorted(tiers[tier])
        rng.shuffle(names)
        ranked.extend(names)
    return ranked


class NameSampler:
    """Draws surnames and first names with realistic frequencies."""

    def __init__(self, spellings: list[str], first_spellings: list[str], seed: int = 0):
        self._last = self._law(_ranked("surnames.tsv.gz", seed), 0.62, 0.0, spellings)
        self._first = self._law(_ranked("first_names.tsv.gz", seed), 1.58, 20.0,
                                first_spellings)

    @staticmethod
    def _law(ranked: list[str], s: float, q: float, spellings: list[str]):
        known = {fold(name): name for name in spellings}
        names = [known.get(name) or name.title() for name in ranked]
        cum = list(itertools.accumulate((rank + q) ** -s for rank in range(1, len(names) + 1)))
        return names, cum

    def last(self, rng: random.Random) -> str:
        names, cum = self._last
        return rng.choices(names, cum_weights=cum)[0]

    def first(self, rng: random.Random) -> str:
        names, cum = self._first
        return rng.choices(names, cum_weights=cum)[0]
