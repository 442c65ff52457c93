"""Key columns of a table: the columns whose values may join its rows to another table's.

A leaked database is a set of tables joined by keys (``sejour.ipp`` → ``patient.ipp``,
``Invoice.CustomerId`` → ``Customer.CustomerId``); hospital exports rarely declare them. The
detector keeps, for every table row, the values of the columns whose *name* says they are an
identifier; whether two such columns really join is decided later on their *values*
(:mod:`breachscope.relate.keys`), across every table of the case.

Written by hand: header tokenization is the project's own (French hospital vocabulary), and no
library infers keys from a column name alone (they all need the data, which is the next step).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from breachscope.detect.validators import fold

# Words that make a column an identifier by themselves (``IPP``, ``id``, ``code_uf``...).
KEY_WORDS = frozenset({
    "ID", "IDS", "IPP", "NDA", "NIP", "IEP", "UF", "UM", "FK", "PK", "KEY", "CLE", "REF",
    "MATRICULE", "CODE", "UUID", "GUID", "FINESS", "RPPS", "ADELI", "MRN",
})
# Words that make one when something follows them (``num_sejour``, ``N° dossier``).
NUMBER_WORDS = frozenset({"NUM", "NUMERO", "NO", "N", "NR", "NUMBER", "NBR_"})
# Words that make it a label or a description of the key, not the key (``libelle_uf``).
NOT_KEY_WORDS = frozenset({
    "LIBELLE", "LABEL", "NOM", "NAME", "DESCRIPTION", "DESC", "TEXTE", "TEXT", "COMMENTAIRE",
    "DATE", "DT", "TYPE", "POSTAL", "POSTALCODE", "ZIP", "COMMUNE", "INSEE", "PAYS",
})
# Labels a column can get that make it a key whatever its name says.
KEY_LABELS = frozenset({"PATIENT_ID", "STAY_ID"})
# Labels a key column may have; a column labelled otherwise (``code_cim10`` holds diagnoses,
# ``num_tel`` phones) is a fact, not a key.
KEY_COLUMN_LABELS = KEY_LABELS | {None, "CARE_UNIT", "RPPS", "FINESS"}
# Longest value kept: keys are short; a long cell is text, not a key.
MAX_KEY_LENGTH = 64

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SPLIT = re.compile(r"[^A-Z0-9]+")


def key_tokens(header: str) -> list[str]:
    """``CustomerId`` → ``[CUSTOMER, ID]``, ``id_patient`` → ``[ID, PATIENT]``,
    ``N° séjour`` → ``[N, SEJOUR]``."""
    spaced = _CAMEL.sub(" ", header.strip())
    return [t for t in _SPLIT.split(fold(spaced)) if t]


def is_key_header(header: str) -> bool:
    """True when the column's name says it holds an identifier of something."""
    tokens = key_tokens(header)
    if not tokens or len(tokens) > 5:
        return False
    if any(t in NOT_KEY_WORDS for t in tokens):
        return False
    if any(t in KEY_WORDS for t in tokens):
        return True
    if tokens[0] in NUMBER_WORDS and len(tokens) >= 2:
        return True
    last = tokens[-1]
    # "customerid", "patientid", "idpatient" written in one word
    return (len(last) >= 6 and (last.endswith("ID") or last.startswith("ID"))
            and last[:-2].isalpha())


def key_column_indexes(header: Sequence[str], labels: dict[int, str | None]) -> list[int]:
    """Indexes of the key columns of a table: by name, or by the label the classifier gave
    (an ``IPP`` column is a key whatever its header)."""
    return [i for i, name in enumerate(header)
            if labels.get(i) in KEY_LABELS
            or (labels.get(i) in KEY_COLUMN_LABELS and is_key_header(name))]


def key_value(cell: str) -> str | None:
    """A cell as a key value: trimmed, non-empty and short; ``None`` otherwise. Numbers
    written ``12.0`` by a spreadsheet are the key ``12``."""
    value = cell.strip()
    if not value or len(value) > MAX_KEY_LENGTH:
        return None
    if value.endswith(".0") and value[:-2].isdigit():
        value = value[:-2]
    return value
