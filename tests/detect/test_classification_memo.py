"""Column classification remembers, per worker process, which sample checks accept a value
(``columns._accepted_memo``, issue 15): the shares are those computed afresh, a value is not
checked twice, and the memory is forgotten when the day changes. A file head's encoding
guess is not recomputed when the same head is read again."""

from __future__ import annotations

import random
from datetime import date

import pytest

from breachscope.detect import columns
from breachscope.extract import encoding

_VALUES = ["06 12 34 56 78", "0612345678", "12/03/1950", "1950-03-12", "19500312", "45000",
           "DUPONT", "Marie", "jean.dupont@exemple.fr", "1 84 12 75 108 042 67", "E11.9",
           "FR7630006000011234567890189", "M", "F", "NULL", "$2y$10$abcdefghijklmnopqrstuv",
           "doliprane 1000", "75013", "Paris", "x" * 200, "A1B2C3D4E5", "3.5", "44562"]


def test_remembered_checks_give_the_fresh_shares() -> None:
    rng = random.Random(3)
    for _ in range(30):
        sample = [rng.choice(_VALUES) for _ in range(rng.randint(1, 60))]
        columns._memo.clear()
        fresh = columns._valid_shares(sample, len(sample))
        remembered = columns._valid_shares(sample, len(sample))  # every value remembered
        assert remembered == fresh


def test_a_remembered_value_is_not_checked_again(monkeypatch: pytest.MonkeyPatch) -> None:
    columns._memo.clear()
    columns._valid_shares(["0612345678", "DUPONT"], 2)
    calls: list[str] = []
    real = columns._accepted

    def counted(value, validators):  # type: ignore[no-untyped-def]
        calls.append(value)
        return real(value, validators)

    monkeypatch.setattr(columns, "_accepted", counted)
    shares = columns._valid_shares(["0612345678", "DUPONT", "Marie", "0612345678"], 4)
    assert calls == ["Marie"]
    assert shares["PHONE"] == 0.5


def test_the_memory_is_forgotten_the_next_day(monkeypatch: pytest.MonkeyPatch) -> None:
    columns._memo.clear()
    columns._valid_shares(["0612345678"], 1)
    assert "0612345678" in columns._memo

    class Tomorrow(date):
        @classmethod
        def today(cls) -> date:
            return date(2999, 1, 1)

    monkeypatch.setattr(columns, "date", Tomorrow)
    assert columns._accepted_memo() == {}


def test_the_same_head_is_guessed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    head = "Extraction admissions CH Armentières;Hélène;Zoé\n".encode("cp1252") * 50
    expected = encoding._guess_single_byte(head)
    scored: list[int] = []
    real = encoding.french_score

    def counted(text: str) -> float:
        scored.append(1)
        return real(text)

    monkeypatch.setattr(encoding, "french_score", counted)
    encoding._RECENT_GUESSES.clear()
    assert encoding.guess_encoding(head) == expected
    first = len(scored)
    assert first > 0
    assert encoding.guess_encoding(head) == expected
    assert len(scored) == first
