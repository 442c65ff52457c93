"""The first-character look-ahead (detect/candidates.py) changes no match: checked on every
pattern of the prose detectors whose start it can bound, over real prose and over random
text, with the Unicode characters that case-insensitive matching folds oddly."""

from __future__ import annotations

import importlib
import random
import re

import pytest

from breachscope.detect.candidates import first_characters, with_first_characters

MODULES = ["text", "names", "addresses", "health", "identifiers", "secrets", "templates",
           "document_records", "windows", "scanners.patient_ids", "scanners.visits"]


def _patterns() -> list[tuple[str, re.Pattern[str]]]:
    found = []
    for name in MODULES:
        module = importlib.import_module(f"breachscope.detect.{name}")
        for attr, value in sorted(vars(module).items()):
            if isinstance(value, re.Pattern) and isinstance(value.pattern, str):
                found.append((f"{name}.{attr}", value))
    return found


@pytest.fixture(scope="module")
def prose(tmp_path_factory) -> str:
    from breachscope.demo import generate_leak

    work = tmp_path_factory.mktemp("candidates")
    generate_leak(work, seed=4, n_patients=60, n_staff=10)
    letters = [p.read_text("utf-8") for p in sorted((work / "leak").rglob("*.txt"))]
    assert letters
    return "\n\n".join(letters)


def _noise(rng: random.Random, n: int) -> str:
    alphabet = ("abcdeiklmnoprstuzABCDEIKLMNOPRSTUZéèÉÈàçÇ0123456789 \t\n.,:;-/|()[]@_'’"
                "\u0130\u0131\u017f\u212a\u212b\u00b5\u03bc\u00df\u1e9e")
    words = ["Dr", "M.", "Mme", "né le", "DDN", "IPP", "NDA", "rue", "code", "tél", "patient",
             "Nom :", "Prénom :", "12/03/1954", "06 12 34 56 78", "75002", "sécurité sociale",
             "Monsieur", "Madame", "docteur", "Infirmière", "Secrétaire", "naissance"]
    parts = []
    while sum(map(len, parts)) < n:
        word = rng.choice(words)
        parts.append(rng.choice([word, word.upper(), word.swapcase()]) if rng.random() < 0.3 else
                     "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12))))
        parts.append(rng.choice(" \n"))
    return "".join(parts)


def test_every_bounded_pattern_finds_the_same_matches(prose):
    rng = random.Random(1)
    texts = [prose, _noise(rng, 40_000), _noise(rng, 40_000)]
    bounded = 0
    unwrapped = 0
    for name, pattern in _patterns():
        ahead = first_characters(pattern)
        if ahead is not None and pattern.pattern.startswith(ahead):  # wrapped in its module
            pattern = re.compile(pattern.pattern[len(ahead):], pattern.flags)
            unwrapped += 1
        fast = with_first_characters(pattern)
        if fast is pattern:
            continue
        bounded += 1
        for text in texts:
            assert [m.span() for m in fast.finditer(text)] == [
                m.span() for m in pattern.finditer(text)], name
    assert bounded > 60  # most prose patterns do get the look-ahead
    assert unwrapped >= 12  # the modules' own wrapped patterns, checked unwrapped


def test_the_look_ahead_of_some_patterns():
    assert first_characters(re.compile(r"(?<![\w.])(?:ab|(?i:cd))e")) == \
        r"(?=[\U00000061]|(?i:[\U00000063]))"
    assert first_characters(re.compile(r"\b\d{2}|x")) == r"(?=[\U00000078\d])"
    assert first_characters(re.compile(r"a?b")) == r"(?=[\U00000061\U00000062])"
    assert first_characters(re.compile(r"a*")) is None  # may match the empty string
    assert first_characters(re.compile(r".a")) is None  # any character
    assert first_characters(re.compile(r"[^a]b")) is None  # a negated set
    assert first_characters(re.compile(r"(?i)abc")) == r"(?=(?i:[\U00000061]))"
    # global inline flags must stay first: the pattern is returned as it was
    pattern = re.compile(r"(?i)abc")
    assert with_first_characters(pattern) is pattern


@pytest.mark.parametrize("text", ["\u212aelvin", "\u017fecr\u00e9taire", "\u0130nfirmi\u00e8re",
                                  "KELVIN", "kelvin"])
def test_case_folding_oddities_still_match(text):
    pattern = re.compile(r"(?<!\w)(?i:kelvin|secr[ée]taire|infirmi[èe]re)")
    fast = with_first_characters(pattern)
    assert fast is not pattern
    assert [m.span() for m in fast.finditer(text)] == [m.span() for m in pattern.finditer(text)]
    assert pattern.search(text) is not None
