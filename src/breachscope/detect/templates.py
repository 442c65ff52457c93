"""Template placeholders: the blanks of a form letter or a mail-merge document.

A leak holds many document templates (``Madame «NOM» «PRENOM», née le «DDN»``); their blanks
must produce no people. :func:`placeholder_spans` finds the blanks of a text so that name
detection can drop any candidate touching one, and :func:`is_placeholder` tells whether a
value (a table cell, a name candidate) is a blank rather than a name.

Recognized blanks:

- mail-merge fields: ``«NOM»``, ``<<prenom>>``, ``{{nom}}``, ``{nom}``, ``[NOM PATIENT]``,
  ``[[nom]]``, ``%NOM%``, ``$NOM``, ``${nom}``, ``@NOM@``, ``#NOM#``;
- filled-in lines: ``_ __ __``, ``______``, ``..........``, ``………``, ``-----`` after a colon;
- masked values: ``XXXXX``, ``xxxx``, ``X. XXXXX``, ``***``, ``NOM PRENOM``, ``Nom Prénom``.
"""

from __future__ import annotations

import re

from breachscope.detect.validators import fold

_WORD = r"[A-Za-zÀ-ÿ0-9_.'’/\-]{1,30}"
_FIELD = rf"{_WORD}(?: {_WORD}){{0,2}}"  # a field name: one to three words
_PLACEHOLDER = re.compile(
    rf"«\s*{_FIELD}\s*»"  # «NOM»
    rf"|<<\s*{_FIELD}\s*>>|&lt;&lt;{_FIELD}&gt;&gt;"  # <<prenom>>
    rf"|\{{\{{\s*{_FIELD}\s*\}}\}}|\$?\{{\s*[A-Za-z_][A-Za-z0-9_. ]{{0,40}}\}}"  # {{nom}} {nom}
    rf"|\[\[\s*{_FIELD}\s*\]\]"  # [[nom]]
    r"|\[\s*[A-ZÀ-Þ_][A-ZÀ-Þ0-9_ .'’/\-]{1,40}\]"  # [NOM PATIENT] (capitals inside)
    r"|\[\s*(?:nom|pr[ée]nom|date|adresse|patient|m[ée]decin|signature)[^\]\n]{0,30}\]"
    r"|%[A-Za-z_][A-Za-z0-9_]{1,30}%"  # %NOM%
    r"|\$[A-Z_][A-Z0-9_]{1,30}\b"  # $NOM
    r"|@[A-Za-z_][A-Za-z0-9_]{1,30}@|#[A-Z_][A-Z0-9_]{1,30}#"  # @NOM@ #NOM#
    r"|(?:_+[ \t]*){3,}|_{3,}"  # ___ or _ __ __
    r"|\.{4,}|…{2,}|(?:\.[ \t]){4,}"  # .......... or . . . .
    r"|\b[Xx]{3,}\b(?:[ \t.\-/]+[Xx]{2,}\b)*"  # XXXXX, xx/xx/xxxx
    r"|\b[X]\.[ \t]*X{3,}\b"  # X. XXXX
    r"|\*{3,}"  # ***
)

# Words that stand for a value in a template when they appear alone or together as the
# "name": ``NOM PRENOM``, ``Nom Prénom``, ``Prénom NOM``, ``Patient``.
_PLACEHOLDER_WORDS = frozenset(
    fold(w) for w in (
        "nom", "prénom", "prenom", "prénoms", "nom_patient", "nompatient", "patient",
        "patiente", "nom de naissance", "nom d'usage", "nom usuel", "nom marital", "ddn",
        "date", "adresse", "médecin", "medecin", "docteur", "signature", "xxx", "xxxx",
        "x", "nom prénom", "prénom nom", "nom du patient", "identité", "civilité", "titre",
        "destinataire", "expéditeur", "correspondant", "nomprenom", "prenomnom",
        "firstname", "lastname", "name", "first name", "last name", "surname",
    )
)
_MASK = re.compile(r"^[\sXx*_.\-…/]+$")


# Every alternative of _PLACEHOLDER starts with one of these characters. Python's ``re`` tries
# the whole alternation at every position of the text; finding these characters first and
# matching only there is the same result at a fraction of the cost (a page of prose has a few
# dozen of them, a megabyte of it took 0.2 s before).
_TRIGGER = re.compile(r"[«<&{$\[%@#_.…Xx*]")


def placeholder_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the template blanks in ``text``, in order (what
    ``_PLACEHOLDER.finditer`` gives, found from the trigger characters)."""
    spans: list[tuple[int, int]] = []
    end = 0
    for trigger in _TRIGGER.finditer(text):
        start = trigger.start()
        if start < end:
            continue
        m = _PLACEHOLDER.match(text, start)
        if m is not None:
            spans.append(m.span())
            end = m.end()
    return spans


def has_placeholder(text: str) -> bool:
    """True when ``text`` holds at least one template blank."""
    return _PLACEHOLDER.search(text) is not None


def is_placeholder(value: str) -> bool:
    """True when a value is a blank rather than data: ``«NOM»``, ``[NOM PATIENT]``, ``XXXX``,
    ``____``, ``NOM Prénom``, ``Patient``."""
    text = value.strip()
    if not text:
        return True
    if _MASK.match(text) and sum(c in "Xx*_.…" for c in text) >= 2:
        return True
    m = _PLACEHOLDER.fullmatch(text)
    if m is not None:
        return True
    words = fold(text).split()
    if not words:
        return True
    if fold(text) in _PLACEHOLDER_WORDS:
        return True
    return all(w in _PLACEHOLDER_WORDS for w in words)
