"""Person names in free text (see :mod:`breachscope.detect.names`).

A full name, or a name introduced by a civility, a title or a patient label, is a ``PERSON``
finding whose value is the name as found (``DUPONT Marie``, ``Jean-Pierre Le Gall``,
``DUPONT épouse MARTIN``), without the civility or title. Form fields give ``LAST_NAME``
(``Nom :``, ``Nom de naissance :``, ``Nom d'usage :``) and ``FIRST_NAME`` (``Prénom :``).
The detector tells how the name was recognized and who it is likely to be:
``context+patient``, ``context+field`` (patients), ``context+professional`` (staff),
``context+civility``, ``gazetteer``, ``ner+spacy`` (role unknown).
"""

from __future__ import annotations

from collections.abc import Iterator

from breachscope.detect.names import find_names


def _of(entity: str):
    def scan(text: str) -> Iterator[tuple[int, int, str, float, str]]:
        for m in find_names(text):
            if m.entity == entity:
                yield m.start, m.end, m.value, m.confidence, m.detector

    scan.__name__ = f"scan_{entity.lower()}"
    return scan


SCANNERS = [("PERSON", _of("PERSON")), ("LAST_NAME", _of("LAST_NAME")),
            ("FIRST_NAME", _of("FIRST_NAME"))]
