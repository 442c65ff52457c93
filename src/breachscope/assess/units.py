"""Care units: the hospital's own unit codes (``3201``, ``U45``, ``PSYA``) decoded into labels,
so that sensitive care is recognised behind a code and not only behind a readable label.

Sources of unit tables, written to ``care_units(code, label, sensitive_category, source,
inferred)``:

- the hospital's own table, given by the user (``breachscope units --case CASE UNITS.csv`` or
  ``scan --units``): :func:`read_unit_file` then :func:`store_unit_file`, ``source =
  'file:<file name>'``;
- unit tables found in the dump by :func:`find_unit_tables`: a table whose rows pair a short
  code with a readable label (two care-unit columns of one row, such as ``code_uf`` and
  ``libelle_uf``, or a key column of ``row_keys`` next to a care-unit label column), ``source =
  'dump:<path of the file>#<unit name>'`` (no ``#...`` when the table has no name, as in a CSV).

:func:`resolve_unit_values` then resolves every distinct care-unit value of the case (the
``CARE_UNIT`` findings and ``records.care_unit``) into ``unit_values(value, code, label,
sensitive_category, status, source)``; ``status``:

- ``decoded``: the value is a code of a unit table (case-insensitive, trimmed; ``UF 3201``
  is code ``3201``); a table given by the user wins over one found in the dump;
- ``label``: the value is itself a readable label (``Psychiatrie adulte``); its category
  comes from :data:`~breachscope.assess.sensitive.SENSITIVE_UNIT_PATTERNS`;
- ``inferred``: a readable code decoded from its letters alone (:func:`decode_readable_code`:
  ``PSYA``, ``ADDICTO``, ``CEGIDD2``, ``CARDIO``), only when that reading is unambiguous;
- ``unknown_code``: a code nothing decodes (``3201`` with no table). Undecided: it is *not*
  a statement that the unit is not sensitive.

Sensitive categories: ``psychiatry``, ``addiction``, ``hiv_sti``, ``pregnancy_termination``,
``genetics``, ``sexual_health`` (family planning), and ``declared_sensitive`` for a unit the
hospital's file marks sensitive without a label that says which care it is.

Everything that can be large stays in DuckDB: Python only sees the distinct unit values and
the rows of the unit tables (a few hundred or thousand).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import duckdb

from breachscope.assess.sensitive import SENSITIVE_UNIT_PATTERNS
from breachscope.case import Case
from breachscope.detect.headers import header_tokens
from breachscope.detect.validators import fold
from breachscope.extract.delimited import choose_delimiter
from breachscope.extract.encoding import decode_bytes

STATUSES = ("decoded", "label", "inferred", "unknown_code")
FILE_PREFIX = "file:"
DUMP_PREFIX = "dump:"
READABLE_CODE_SOURCE = "readable_code"
DECLARED_SENSITIVE = "declared_sensitive"

#: A dump table is a unit table when its rows pair at least this many distinct codes...
MIN_TABLE_CODES = 3
#: ... in at least this share of the rows of its label column ...
MIN_PAIRED_SHARE = 0.8
#: ... with at most this share of codes paired with two different labels ...
MAX_CONFLICT_SHARE = 0.1
#: ... and at least this many distinct labels per distinct code (a stay id paired with its
#: unit's label is not a unit table: thousands of ids, a few labels).
MIN_LABELS_PER_CODE = 0.5
#: Unit tables are found and read on the rows numbered up to this in each table: a unit
#: table (a few hundred units) is whole, and an export pairing each row's unit code with its
#: label shows its pairs long before (the admissions of a 10 GB dump: 77 M rows, whose cells,
#: key cells and pairs, all kept, passed a 30 GiB spill cap). Issue 15, session 12.
MAX_TABLE_ROWS = 20_000


class UnitFileError(Exception):
    """The unit file cannot be used; the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class UnitRow:
    """One unit of the hospital's table. ``sensitive``: the file's own sensitive column
    (``None`` when it has none or the cell is empty)."""

    code: str
    label: str | None
    sensitive: bool | None = None


@dataclass(frozen=True, slots=True)
class UnitTable:
    """A unit table found in the dump."""

    source: str
    sha256: str
    unit: str
    code_column: str
    label_column: str
    n_codes: int


@dataclass(frozen=True, slots=True)
class UnitSummary:
    """What the case knows about its units (``breachscope units --case CASE``)."""

    sources: list[tuple[str, int]]  # (source, number of distinct codes)
    statuses: dict[str, int]  # distinct unit values per status
    n_sensitive: int  # distinct unit values with a sensitive category
    resolved: bool  # unit_values was built for the current tables


# --------------------------------------------------------------------------- code or label

# Character classes spelled out so that Python's ``re`` and DuckDB's RE2 read them alike.
_LETTER = "A-Za-zÀ-ÖØ-öø-ÿ"
_RE_ALNUM = f"[0-9{_LETTER}]"
_RE_WORD3 = f"[{_LETTER}]{{3}}"
_RE_LOWER = "[a-zß-öø-ÿ]"
_RE_DIGIT = "[0-9]"
_RE_SPACE = r"\s"
#: A generic unit word before the code itself: ``UF 3201``, ``Unité: U45``, ``SERVICE CARDIO``.
_RE_GENERIC = (r"^(?i:UF|UM|U\.F\.|UNITE|UNITÉ|UNIT|SERVICE|SERV\.?|SCE|POLE|PÔLE|SECTEUR"
               r"|CODE)[\s:#°.\-]+")
_GENERIC = re.compile(_RE_GENERIC)
_SHORT = 10  # longest code with letters
_NO_WORD_MAX = 20  # longest value with no word of 3 letters that is still taken for a code


def code_part(value: str) -> str:
    """The code a unit value names: trimmed, without a leading generic unit word (``UF 3201``
    → ``3201``) when something is left after it."""
    text = value.strip()
    rest = _GENERIC.sub("", text, count=1).strip()
    return rest or text


def is_code_like(value: str) -> bool:
    """A short code rather than a readable label: ``3201``, ``U45``, ``PSYA``, ``CEGIDD2``,
    ``CARDIO``, ``Psy2``, ``UF 3201`` (after the generic word: :func:`code_part`), ``PSY A``
    (short and all capitals), ``B 12`` (no word of three letters: nothing to read). Not
    ``Cardiologie``, ``Psychiatrie adulte``, ``CARDIOLOGIE`` (longer than 10 characters).
    :func:`code_like_sql` is the same test in SQL."""
    text = code_part(value)
    if not re.search(_RE_ALNUM, text):
        return False
    if not re.search(_RE_WORD3, text):
        return len(text) <= _NO_WORD_MAX
    if len(text) > _SHORT:
        return False
    if not re.search(_RE_LOWER, text):
        return True
    return bool(re.search(_RE_DIGIT, text)) and not re.search(_RE_SPACE, text)


def code_like_sql(expr: str) -> str:
    """SQL (DuckDB) for :func:`is_code_like` of the VARCHAR expression ``expr``."""
    t = (f"(CASE WHEN regexp_matches(trim({expr}), '{_RE_GENERIC}\\S') "
         f"THEN trim(regexp_replace(trim({expr}), '{_RE_GENERIC}', '')) ELSE trim({expr}) END)")
    return (f"(regexp_matches({t}, '{_RE_ALNUM}') AND CASE "
            f"WHEN NOT regexp_matches({t}, '{_RE_WORD3}') THEN length({t}) <= {_NO_WORD_MAX} "
            f"WHEN length({t}) > {_SHORT} THEN false "
            f"WHEN NOT regexp_matches({t}, '{_RE_LOWER}') THEN true "
            f"ELSE regexp_matches({t}, '{_RE_DIGIT}') AND NOT regexp_matches({t}, '{_RE_SPACE}')"
            f" END)")


def label_like_sql(expr: str) -> str:
    """SQL: a readable label (not code-like, with a word of at least three letters)."""
    return (f"(NOT {code_like_sql(expr)} AND regexp_matches({expr}, '{_RE_WORD3}'))")


def code_key(value: str) -> str:
    """How codes are compared: :func:`code_part`, upper case."""
    return code_part(value).upper()


# --------------------------------------------------------------------------- label categories

# The category of each alternative of SENSITIVE_UNIT_PATTERNS (matched on folded text).
_ALTERNATIVE_CATEGORY = {
    "PSYCHIATR": "psychiatry", "PEDOPSY": "psychiatry", "PEDO-PSY": "psychiatry",
    r"\bCMP\b": "psychiatry", r"\bCATTP\b": "psychiatry",
    "ADDICT": "addiction", r"\bCSAPA\b": "addiction", r"\bCAARUD\b": "addiction",
    "ALCOOLOG": "addiction", "TOXICOMAN": "addiction",
    r"\bCEGIDD\b": "hiv_sti", r"\bVIH\b": "hiv_sti", r"\bSIDA\b": "hiv_sti",
    r"\bIST\b": "hiv_sti", "SANTE SEXUELLE": "hiv_sti",
    "ORTHOGENI": "pregnancy_termination", r"\bIVG\b": "pregnancy_termination",
    "PLANNING FAMILIAL": "sexual_health",
    "GENETIQU": "genetics",
}
_FALLBACK_CATEGORY = "sensitive_unit"  # an alternative added to the patterns but not here


def _alternatives() -> list[tuple[re.Pattern[str], str]]:
    return [(re.compile(alt), _ALTERNATIVE_CATEGORY.get(alt, _FALLBACK_CATEGORY))
            for alt in SENSITIVE_UNIT_PATTERNS.pattern.split("|")]


_LABEL_ALTERNATIVES = _alternatives()


def label_category(label: str) -> str | None:
    """The sensitive category of a unit label by :data:`SENSITIVE_UNIT_PATTERNS` (folded), from
    the alternative that matches first in the label; ``None`` when none matches."""
    folded = fold(label)
    if not SENSITIVE_UNIT_PATTERNS.search(folded):
        return None
    best: tuple[int, str] | None = None
    for pattern, category in _LABEL_ALTERNATIVES:
        m = pattern.search(folded)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), category)
    return best[1] if best else _FALLBACK_CATEGORY


# --------------------------------------------------------------------------- readable codes

# (kind, stem, label, category): a letter token of the code equal to ``stem`` (kind
# ``exact``) or starting with it (``prefix``), or containing it anywhere (``inside``: only for
# sensitive stems long and distinctive enough: ``HDJPSY``, ``GERONTOPSY``).
_SENSITIVE_CODES: tuple[tuple[str, str, str, str], ...] = (
    ("prefix", "PEDOPSY", "Pédopsychiatrie", "psychiatry"),
    ("prefix", "PEDPSY", "Pédopsychiatrie", "psychiatry"),
    ("inside", "PSY", "Psychiatrie", "psychiatry"),
    ("exact", "CMP", "CMP (centre médico-psychologique, psychiatrie)", "psychiatry"),
    ("exact", "CMPP", "CMPP (centre médico-psycho-pédagogique, pédopsychiatrie)", "psychiatry"),
    ("exact", "CATTP", "CATTP (psychiatrie, accueil thérapeutique à temps partiel)",
     "psychiatry"),
    ("exact", "EPSM", "EPSM (établissement public de santé mentale, psychiatrie)",
     "psychiatry"),
    ("exact", "UHSA", "UHSA (unité hospitalière spécialement aménagée, psychiatrie)",
     "psychiatry"),
    ("inside", "ADDICT", "Addictologie", "addiction"),
    ("exact", "CSAPA", "CSAPA (addictologie)", "addiction"),
    ("exact", "CAARUD", "CAARUD (addictologie)", "addiction"),
    ("inside", "ALCOOL", "Alcoologie", "addiction"),
    ("exact", "ALCO", "Alcoologie", "addiction"),
    ("inside", "TOXICO", "Toxicomanie", "addiction"),
    ("prefix", "CEGIDD", "CeGIDD (dépistage VIH, hépatites, IST)", "hiv_sti"),
    ("exact", "CIDDIST", "CIDDIST (dépistage IST, CeGIDD)", "hiv_sti"),
    ("exact", "CDAG", "CDAG (dépistage VIH, CeGIDD)", "hiv_sti"),
    ("exact", "VIH", "VIH", "hiv_sti"),
    ("exact", "SIDA", "SIDA", "hiv_sti"),
    ("exact", "IST", "IST", "hiv_sti"),
    ("exact", "IVG", "IVG (interruption volontaire de grossesse)", "pregnancy_termination"),
    ("inside", "ORTHOG", "Orthogénie (IVG)", "pregnancy_termination"),
    ("exact", "CPEF", "CPEF (planning familial)", "sexual_health"),
    ("inside", "GENET", "Génétique", "genetics"),
)
# Readable and not sensitive: decoded so that they are not left undecided.
_OTHER_CODES: tuple[tuple[str, str, str], ...] = (
    ("prefix", "CARDIO", "Cardiologie"), ("prefix", "PNEUMO", "Pneumologie"),
    ("prefix", "NEURO", "Neurologie"), ("prefix", "NEPHRO", "Néphrologie"),
    ("prefix", "DIALYS", "Dialyse"), ("prefix", "UROLOG", "Urologie"),
    ("exact", "URO", "Urologie"), ("prefix", "GERIA", "Gériatrie"),
    ("prefix", "PEDIA", "Pédiatrie"), ("prefix", "NEONAT", "Néonatologie"),
    ("prefix", "URGENC", "Urgences"), ("exact", "URG", "Urgences"),
    ("exact", "SAU", "Urgences (SAU)"), ("exact", "UHCD", "UHCD (urgences)"),
    ("prefix", "REANIM", "Réanimation"), ("exact", "REA", "Réanimation"),
    ("prefix", "ONCO", "Oncologie"), ("prefix", "HEMATO", "Hématologie"),
    ("prefix", "DERMATO", "Dermatologie"), ("prefix", "ENDOCRIN", "Endocrinologie"),
    ("prefix", "DIABETO", "Diabétologie"), ("prefix", "GASTRO", "Gastro-entérologie"),
    ("exact", "HGE", "Hépato-gastro-entérologie"), ("exact", "ORL", "ORL"),
    ("prefix", "OPHTA", "Ophtalmologie"), ("prefix", "RHUMATO", "Rhumatologie"),
    ("prefix", "MATERN", "Maternité"), ("prefix", "OBSTET", "Obstétrique"),
    ("prefix", "CHIR", "Chirurgie"), ("prefix", "ORTHOP", "Orthopédie"),
    ("prefix", "TRAUMATO", "Traumatologie"), ("prefix", "ANESTH", "Anesthésie"),
    ("prefix", "RADIO", "Radiologie"), ("prefix", "INFECTIO", "Maladies infectieuses"),
    ("exact", "SMIT", "Maladies infectieuses (SMIT)"), ("prefix", "PALLIA", "Soins palliatifs"),
    ("exact", "USP", "Soins palliatifs (USP)"), ("exact", "SSR", "Soins de suite (SSR)"),
    ("exact", "USLD", "Soins de longue durée (USLD)"), ("exact", "USIC", "Soins intensifs (USIC)"),
)
# Tokens whose reading is ambiguous: no decision (orthopédie or orthogénie; psychology,
# psychomotor therapy or neuropsychology units are not psychiatry).
_AMBIGUOUS = re.compile(r"ORTHO|PSYCHOL\w*|PSYCHO|PSYCHOMOT\w*|NEUROPSY\w*|PSYCHOTHERAP\w*")
_TOKENS = re.compile(r"[A-Z]+")


def _token_matches(kind: str, stem: str, token: str) -> int | None:
    """Where ``stem`` matches in ``token`` (``None``: no match)."""
    if kind == "exact":
        return 0 if token == stem else None
    if kind == "prefix":
        return 0 if token.startswith(stem) else None
    at = token.find(stem)
    return at if at >= 0 else None


def decode_readable_code(code: str) -> tuple[str, str | None] | None:
    """``(label, sensitive_category)`` of a code readable from its letters (``PSYA`` →
    psychiatry, ``PEDOPSY``, ``ADDICTO``, ``CSAPA``, ``CEGIDD2`` → hiv_sti, ``CMP``,
    ``CATTP``, ``IVG``, ``ORTHOGENIE``, ``GENET``, ``ALCOOL``; ``CARDIO`` → Cardiologie, not
    sensitive), or ``None``: no letters to read (``3201``, ``U45``, ``B12``), letters that mean
    nothing known, or an ambiguous reading (``ORTHO``: orthopaedics or orthogénie; ``PSYCHO``,
    ``PSYCHOLOGIE``, ``NEUROPSY``). A sensitive stem anywhere in the code decides it
    (``GERONTOPSY``, ``HDJ-PSY`` are psychiatry); two sensitive readings: the first one."""
    tokens = _TOKENS.findall(fold(code_part(code)))
    if not any(len(t) >= 2 for t in tokens):
        return None
    if any(_AMBIGUOUS.fullmatch(t) for t in tokens):
        return None
    sensitive: list[tuple[int, int, str, str]] = []
    for i, token in enumerate(tokens):
        for kind, stem, label, category in _SENSITIVE_CODES:
            at = _token_matches(kind, stem, token)
            if at is not None:
                sensitive.append((i, at, label, category))
    if sensitive:
        sensitive.sort()
        return sensitive[0][2], sensitive[0][3]
    labels: list[str] = []
    for token in tokens:
        for kind, stem, label in _OTHER_CODES:
            if _token_matches(kind, stem, token) is not None and label not in labels:
                labels.append(label)
                break
    if labels:
        return " / ".join(labels), None
    return None


def unit_category(code: str | None, label: str | None) -> str | None:
    """The sensitive category of a unit of a table: from its label, else from its code when
    the code is readable (a table row ``PSYA;Unité A``)."""
    category = label_category(label) if label else None
    if category is None and code:
        decoded = decode_readable_code(code)
        category = decoded[1] if decoded else None
    return category


# --------------------------------------------------------------------------- the user's file

_SENSITIVE_WORDS = frozenset({"SENSIBLE", "SENSITIVE", "SENSIBILITE", "SENSITIVITY", "SENSITIF",
                              "SENSIBLES"})
_LABEL_WORDS = frozenset({"LIBELLE", "LABEL", "NOM", "LIB", "INTITULE", "DESIGNATION", "NAME",
                          "LIBELLEUF", "LIBUF", "LIBELLES", "LL", "LC"})
_CODE_WORDS = frozenset({"CODE", "ID", "UF", "UM", "CODEUF", "IDUF", "CD", "NUM", "NUMERO",
                         "CDUF", "NUMUF", "IDENTIFIANT"})
_OTHER_LEVEL = frozenset({"POLE", "SECTEUR", "PARENT", "ETABLISSEMENT", "FINESS", "GHM",
                          "SITE", "RESPONSABLE"})
_YES = frozenset({"YES", "Y", "OUI", "O", "1", "TRUE", "VRAI", "X"})
_NO = frozenset({"NO", "N", "NON", "0", "FALSE", "FAUX"})
_EXCEL_TEXT = re.compile(r'^="(.*)"$', re.S)


def _column_score(tokens: tuple[str, ...], words: frozenset[str]) -> int | None:
    if not any(t in words for t in tokens):
        return None
    score = 0
    if "CODE" in tokens or "LIBELLE" in tokens:
        score += 2
    if any(t in ("UF", "UM", "UNITE", "SERVICE") for t in tokens):
        score += 1
    if any(t in _OTHER_LEVEL for t in tokens):
        score -= 5
    return score


def _pick(header: list[str], words: frozenset[str], taken: set[int]) -> int | None:
    best: tuple[int, int] | None = None
    for i, name in enumerate(header):
        if i in taken:
            continue
        score = _column_score(header_tokens(name), words)
        if score is not None and (best is None or score > best[0]):
            best = (score, i)
    return best[1] if best else None


def _cell(row: list[str], index: int | None) -> str:
    if index is None or index >= len(row):
        return ""
    cell = row[index].strip()
    m = _EXCEL_TEXT.match(cell)
    return m.group(1).strip() if m else cell


def read_unit_file(path: Path) -> list[UnitRow]:
    """The hospital's unit table: a CSV separated by ``;``, ``,`` or tabs, in UTF-8 or
    Windows-1252 (any encoding :func:`~breachscope.extract.encoding.decode_bytes` reads), with
    a header naming a code column (``code``, ``code_uf``, ``uf``, ``id``...), a label column
    (``libelle``, ``label``, ``nom``, ``libelle_uf``...) and optionally a sensitive column
    (``sensible``/``sensitive``: yes/no, oui/non, 1/0, true/false, or empty). Rows without a
    code are skipped. Raises :class:`UnitFileError` saying what is wrong."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnitFileError(f"cannot read unit file {path}: {exc.strerror}") from None
    text, _encoding = decode_bytes(data)
    if not text.strip():
        raise UnitFileError(f"unit file {path.name} is empty")
    delimiter = choose_delimiter(text[: 256 * 1024])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter or ";")
    header = next((r for r in reader if any(c.strip() for c in r)), None)
    if header is None:
        raise UnitFileError(f"unit file {path.name} is empty")
    header = [h.strip() for h in header]
    sensitive_i = _pick(header, _SENSITIVE_WORDS, set())
    taken = {sensitive_i} if sensitive_i is not None else set()
    label_i = _pick(header, _LABEL_WORDS, taken)
    if label_i is not None:
        taken.add(label_i)
    code_i = _pick(header, _CODE_WORDS, taken)
    missing = [what for what, i in (("code", code_i), ("label", label_i)) if i is None]
    if missing:
        found = ", ".join(repr(h) for h in header) or "nothing"
        separated = "" if delimiter else (
            " (the header has one column: separate columns with ';', ',' or a tab)")
        raise UnitFileError(
            f"unit file {path.name} has no {' and no '.join(missing)} column{separated}: "
            f"expected a header with a code column (code, code_uf, uf, id) and a label column "
            f"(libelle, label, nom, libelle_uf); found {found}")
    rows: list[UnitRow] = []
    for row in reader:
        code = _cell(row, code_i)
        if not code:
            continue
        label = _cell(row, label_i) or None
        flag = _cell(row, sensitive_i)
        sensitive: bool | None = None
        if flag:
            word = fold(flag)
            if word in _YES:
                sensitive = True
            elif word in _NO:
                sensitive = False
            else:
                raise UnitFileError(
                    f"unit file {path.name}, line {reader.line_num}: column "
                    f"{header[sensitive_i]!r} holds {flag!r}; expected yes/no, oui/non, 1/0, "
                    f"true/false or nothing")
        rows.append(UnitRow(code, label, sensitive))
    if not rows:
        raise UnitFileError(f"unit file {path.name} has a header but no unit with a code")
    return rows


def _file_category(row: UnitRow) -> tuple[str | None, bool]:
    """(sensitive_category, inferred) of a row of the user's table: the file's own sensitive
    column decides whether the unit is sensitive (its label or code says which care); without
    it, the label or a readable code decide (inferred)."""
    category = unit_category(row.code, row.label)
    if row.sensitive is None:
        return category, True
    if not row.sensitive:
        return None, False
    return category or DECLARED_SENSITIVE, False


def store_unit_file(case: Case, rows: list[UnitRow], source: str) -> int:
    """Replace the rows of ``source`` (``file:<name>``) in ``care_units`` with ``rows``;
    record the sources in ``meta.units_source`` and mark the unit values to be resolved again
    (``meta.units_stale``). Returns the number of rows stored."""
    codes, labels, categories, inferred = [], [], [], []
    for row in rows:
        category, guessed = _file_category(row)
        codes.append(row.code.strip())
        labels.append(row.label)
        categories.append(category)
        inferred.append(guessed)
    with case.transaction() as db:
        db.execute("DELETE FROM care_units WHERE source = ?", [source])
        if rows:
            db.execute(
                "INSERT INTO care_units SELECT unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), "
                "unnest(?::VARCHAR[]), ?, unnest(?::BOOLEAN[])",
                [codes, labels, categories, source, inferred])
        _record_sources(db)
        db.execute("INSERT OR REPLACE INTO meta VALUES ('units_stale', '1')")
    return len(rows)


def _record_sources(db: duckdb.DuckDBPyConnection) -> None:
    sources = [r[0] for r in db.execute(
        "SELECT DISTINCT source FROM care_units ORDER BY source").fetchall()]
    db.execute("INSERT OR REPLACE INTO meta VALUES ('units_source', ?)", [json.dumps(sources)])


def units_stale(case: Case) -> bool:
    """True when unit tables changed since the unit values were last resolved."""
    row = case.db.execute("SELECT value FROM meta WHERE key = 'units_stale'").fetchone()
    return row is not None and row[0] == "1"


# --------------------------------------------------------------------------- tables of the dump

# Table cells of the store: "<unit>, row N, column C" (unit optional; a multi-line cell's
# finding adds ", line K"). String functions, no regular expression: this runs over every
# care-unit finding.
_COLUMN_AT = "strpos(location, ', column ')"
_IS_CELL = (f"{_COLUMN_AT} > 0 AND (starts_with(location, 'row ') "
            f"OR contains(location, ', row '))")
_ROW_LOC = f"left(location, {_COLUMN_AT} - 1)"
_COLUMN = (f"CASE WHEN contains(location, ', line ') "
           f"THEN regexp_replace(substr(location, {_COLUMN_AT} + 9), ', line [0-9]+$', '') "
           f"ELSE substr(location, {_COLUMN_AT} + 9) END")


def _unit_sql(row_loc: str) -> str:
    """SQL: the unit name of a row location (``table sejour, row 12`` → ``table sejour``;
    ``row 12`` → empty; NULL when it is no row location). Cut at the *last* ``, row `` (a
    sheet may be named ``UF, row 1``), as the relations cut a record's location
    (``relate.attach``); found in the reversed text, no regular expression."""
    last = f"strpos(reverse({row_loc}), ' wor ,')"  # ', row ' reversed
    return (f"CASE WHEN starts_with({row_loc}, 'row ') THEN '' "
            f"WHEN contains({row_loc}, ', row ') "
            f"THEN left({row_loc}, length({row_loc}) - {last} - 5) ELSE NULL END")


def _row_number_sql(row_loc: str) -> str:
    """SQL: the row number of a row location (``[<unit>, ]row N``), NULL if none. A plain
    ``row N`` (a file that is one table: most rows of a dump) is cut, not searched with the
    regular expression (a quarter less time over the row keys); it is plain when its number
    written back is the text cut (no sign, space, zero ahead, decimal or exponent, which a
    cast accepts and the expression does not)."""
    regex = f"TRY_CAST(regexp_extract({row_loc}, 'row ([-+]?\\d+)$', 1) AS BIGINT)"
    number = f"substr({row_loc}, 5)"
    return (f"CASE WHEN starts_with({row_loc}, 'row ') "
            f"AND TRY_CAST({number} AS UBIGINT)::VARCHAR = {number} "
            f"THEN TRY_CAST({number} AS BIGINT) ELSE {regex} END")


def _located_unit_cells_sql(rows: str) -> str:
    """SQL: ``(sha256, unit, row_loc, col, value)`` of the table cells among ``rows`` (care-unit
    findings: ``sha256, location, value``), from each one's location; rows numbered up to
    :data:`MAX_TABLE_ROWS`."""
    return f"""
        SELECT sha256, {_unit_sql("row_loc")} AS unit, row_loc, col, value
        FROM (SELECT sha256, {_ROW_LOC} AS row_loc, {_COLUMN} AS col, trim(value) AS value
              FROM {rows} WHERE {_IS_CELL} AND trim(value) <> '')
        WHERE unit IS NOT NULL AND {_row_number_sql("row_loc")} <= {MAX_TABLE_ROWS}"""


# A labelled column (of ``finding_columns``) whose cells are located "[<unit>, ]row N, column
# C" and nothing more (every column of a dump so far): its cells' unit, row location and
# column come from its prefix and suffix, not from each cell's location rebuilt and searched
# (8 M care-unit cells at 1 GB). Exact: the row number (digits, maybe a sign) holds none of
# the strings searched (``row ``, ``, row ``, ``, column ``, ``, line ``), so a location
# holds one where its prefix or suffix does (a NULL row number too: the test checks it).
_PLAIN_COLUMN = ("coalesce((loc_prefix = 'row ' OR ends_with(loc_prefix, ', row ')) "
                 "AND NOT contains(loc_prefix, ', column ') "
                 "AND NOT contains(loc_prefix, ', line ') "
                 "AND starts_with(loc_suffix, ', column ') "
                 "AND NOT contains(loc_suffix, ', line '), false)")


def _unit_cells_sql() -> str:
    """SQL: ``(sha256, unit, row_loc, col, value)`` of every care-unit finding in a table
    cell of a row numbered up to :data:`MAX_TABLE_ROWS` (value trimmed, not empty):
    :func:`_located_unit_cells_sql` over the ``findings`` view, read from its tables, a plain
    column's cells (:data:`_PLAIN_COLUMN`) without their locations."""
    # the columns first (a few hundred), each judged plain or not once
    cells = (f"finding_cells f JOIN (SELECT *, {_PLAIN_COLUMN} AS plain FROM finding_columns "
             "WHERE entity = 'CARE_UNIT') c USING (column_id)")
    located = ("(SELECT sha256, location, value FROM plain_findings WHERE entity = 'CARE_UNIT' "
               "UNION ALL SELECT c.sha256, concat(c.loc_prefix, f.n, c.loc_suffix), f.value "
               f"FROM {cells} WHERE NOT c.plain)")
    return f"""
        SELECT c.sha256, {_unit_sql("c.loc_prefix")} AS unit,
            concat(c.loc_prefix, f.n) AS row_loc, substr(c.loc_suffix, 10) AS col,
            trim(f.value) AS value
        FROM {cells} WHERE c.plain AND trim(f.value) <> '' AND f.n <= {MAX_TABLE_ROWS}
        UNION ALL
        {_located_unit_cells_sql(located)}"""


def find_unit_tables(case: Case) -> list[UnitTable]:
    """Find the unit tables of the dump and write them to ``care_units`` (source
    ``dump:<path>#<unit>``), replacing the dump rows found before.

    A unit table is a pair of columns of one table (same content, same unit name) whose rows
    pair a code-like value (:func:`is_code_like`) with a readable label: a code column that is
    a ``CARE_UNIT`` column (``code_uf``) or a key column of ``row_keys`` (``code``, ``id``),
    next to a ``CARE_UNIT`` column of labels (``libelle_uf``), with at least
    :data:`MIN_TABLE_CODES` distinct codes, pairs in :data:`MIN_PAIRED_SHARE` of the label
    column's rows, each code mostly with one label (:data:`MAX_CONFLICT_SHARE`) and about one
    label per code (:data:`MIN_LABELS_PER_CODE`). For each code column, the label column with
    the most distinct labels is kept (``uf`` goes with ``libelle_uf``, not ``libelle_pole``).
    A code's label is its most frequent label in the table. All in SQL."""
    db = case.db
    code_like = code_like_sql("value")
    label_like = label_like_sql("value")
    try:
        # The contents with care-unit findings, numbered: the tables below carry this number
        # (``sid``), not the 64-character sha256, through joins and distinct counts over
        # millions of cells (1 GB dump: 8 M care-unit cells, 13.5 M key cells), and row keys of
        # other contents (which pair with no label) are left out.
        db.execute("""
            CREATE OR REPLACE TEMP TABLE _bs_unit_shas AS
            SELECT sha256, row_number() OVER () AS sid FROM (
                SELECT sha256 FROM plain_findings WHERE entity = 'CARE_UNIT'
                UNION SELECT sha256 FROM finding_columns WHERE entity = 'CARE_UNIT')
        """)
        db.execute(f"""
            CREATE OR REPLACE TEMP TABLE _bs_unit_cells AS
            SELECT sid, unit, row_loc, col, value
            FROM ({_unit_cells_sql()}) JOIN _bs_unit_shas USING (sha256)
        """)
        db.execute(f"""
            CREATE OR REPLACE TEMP TABLE _bs_unit_keys AS
            SELECT sid, {_unit_sql("row_loc")} AS unit, row_loc, col, value
            FROM (SELECT sha256,
                      CASE WHEN contains(row_location, ', row ') OR coalesce(unit, '') = ''
                           THEN row_location ELSE unit || ', ' || row_location END AS row_loc,
                      column_name AS col, trim(value) AS value
                  FROM row_keys WHERE trim(value) <> '')
                JOIN _bs_unit_shas USING (sha256)
            WHERE unit IS NOT NULL AND {_row_number_sql("row_loc")} <= {MAX_TABLE_ROWS}
        """)
        # What each distinct value is (few values: classify each once).
        db.execute(f"""
            CREATE OR REPLACE TEMP TABLE _bs_unit_kinds AS
            SELECT value, {code_like} AS is_code, {label_like} AS is_label
            FROM (SELECT value FROM _bs_unit_cells UNION SELECT value FROM _bs_unit_keys)
        """)
        # The code-like cells (findings and row keys), used twice below.
        db.execute("""
            CREATE OR REPLACE TEMP TABLE _bs_unit_codes AS
            SELECT * FROM _bs_unit_cells
                SEMI JOIN (SELECT value FROM _bs_unit_kinds WHERE is_code) USING (value)
            UNION ALL
            SELECT * FROM _bs_unit_keys
                SEMI JOIN (SELECT value FROM _bs_unit_kinds WHERE is_code) USING (value)
        """)
        # Codes and labels side by side in one table row. A code found both as a finding and
        # as a row key is paired twice: counts below are of distinct rows, codes and labels.
        db.execute("""
            CREATE OR REPLACE TEMP TABLE _bs_unit_pairs AS
            WITH labels AS (
                SELECT * FROM _bs_unit_cells
                    SEMI JOIN (SELECT value FROM _bs_unit_kinds WHERE is_label) USING (value)
            )
            SELECT sid, unit, row_loc, c.col AS code_col, l.col AS label_col,
                c.value AS code, l.value AS label
            FROM _bs_unit_codes c JOIN labels l USING (sid, unit, row_loc)
            WHERE c.col <> l.col
        """)
        # The counts below as distinct rows first (plain aggregations, which spill), then
        # counted: count(DISTINCT ...) per group holds its sets in memory, and at 10 GB (the
        # admissions exports' unit columns: every row a pair) it passed a 30 GiB spill cap.
        db.execute("""
            CREATE OR REPLACE TEMP TABLE _bs_unit_pvals AS
            SELECT DISTINCT sid, unit, code_col, label_col, upper(code) AS code,
                lower(label) AS label
            FROM _bs_unit_pairs
        """)
        db.execute("""
            CREATE OR REPLACE TEMP TABLE _bs_unit_prows AS
            SELECT sid, unit, code_col, label_col, count(*) AS n_rows
            FROM (SELECT DISTINCT sid, unit, code_col, label_col, row_loc FROM _bs_unit_pairs)
            GROUP BY ALL
        """)
        db.execute("""
            CREATE OR REPLACE TEMP TABLE _bs_unit_colrows AS   -- rows of a label column
            SELECT sid, unit, col, count(*) AS n              -- holding a readable label
            FROM (SELECT DISTINCT sid, unit, col, row_loc
                  FROM _bs_unit_cells
                  SEMI JOIN (SELECT DISTINCT sid, label_col AS col FROM _bs_unit_pairs)
                      USING (sid, col)
                  SEMI JOIN (SELECT value FROM _bs_unit_kinds WHERE is_label) USING (value))
            GROUP BY ALL
        """)
        tables = db.execute(f"""
            WITH column_rows AS (SELECT * FROM _bs_unit_colrows),
            per_code AS (
                SELECT sid, unit, code_col, label_col, code, count(*) AS n_labels
                FROM _bs_unit_pvals GROUP BY ALL
            ),
            stats AS (
                SELECT p.sid, p.unit, p.code_col, p.label_col, r.n_rows,
                    count(DISTINCT p.code) AS n_codes, count(DISTINCT p.label) AS n_labels
                FROM _bs_unit_pvals p JOIN _bs_unit_prows r
                    USING (sid, unit, code_col, label_col)
                GROUP BY p.sid, p.unit, p.code_col, p.label_col, r.n_rows
            ),
            conflicts AS (
                SELECT sid, unit, code_col, label_col, count(*) AS n_conflicts
                FROM per_code WHERE n_labels > 1 GROUP BY ALL
            ),
            accepted AS (
                SELECT s.*, row_number() OVER (
                    PARTITION BY s.sid, s.unit, s.code_col
                    ORDER BY s.n_labels DESC, s.n_rows DESC, s.label_col) AS rank
                FROM stats s
                JOIN column_rows r ON r.sid = s.sid AND r.unit = s.unit
                    AND r.col = s.label_col
                LEFT JOIN conflicts c ON c.sid = s.sid AND c.unit = s.unit
                    AND c.code_col = s.code_col AND c.label_col = s.label_col
                WHERE s.n_codes >= {MIN_TABLE_CODES}
                    AND s.n_rows >= {MIN_PAIRED_SHARE} * r.n
                    AND coalesce(c.n_conflicts, 0) <= {MAX_CONFLICT_SHARE} * s.n_codes
                    AND s.n_labels >= {MIN_LABELS_PER_CODE} * s.n_codes
            )
            SELECT s.sha256, a.unit, a.code_col, a.label_col, a.n_codes,
                coalesce((SELECT first(f.path ORDER BY length(f.path), f.path)
                          FROM files f WHERE f.sha256 = s.sha256), s.sha256) AS path
            FROM accepted a JOIN _bs_unit_shas s USING (sid) WHERE rank = 1
            ORDER BY path, a.unit, a.code_col
        """).fetchall()
        found = [UnitTable(_dump_source(path, unit), sha, unit, code_col, label_col, n)
                 for sha, unit, code_col, label_col, n, path in tables]
        db.execute("CREATE OR REPLACE TEMP TABLE _bs_unit_tables (sid BIGINT, unit VARCHAR, "
                   "code_col VARCHAR, label_col VARCHAR, source VARCHAR)")
        if found:
            db.execute(
                "INSERT INTO _bs_unit_tables SELECT s.sid, t.* EXCLUDE (sha256) FROM (SELECT "
                "unnest(?::VARCHAR[]) AS sha256, unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), "
                "unnest(?::VARCHAR[]), unnest(?::VARCHAR[])) t JOIN _bs_unit_shas s "
                "USING (sha256)",
                [[t.sha256 for t in found], [t.unit for t in found],
                 [t.code_column for t in found], [t.label_column for t in found],
                 [t.source for t in found]])
        # One row per code of each table: its most frequent label (ties: the smallest). Once
        # a column is known to hold the labels, a short one in capitals is a label too
        # ("UHCD", "SMUR"): every cell of the accepted label column is paired.
        units = db.execute("""
            WITH pairs AS (
                SELECT DISTINCT t.source, c.row_loc, c.value AS code, l.value AS label
                FROM _bs_unit_tables t
                JOIN _bs_unit_codes c
                    ON c.sid = t.sid AND c.unit = t.unit AND c.col = t.code_col
                JOIN _bs_unit_cells l ON l.sid = t.sid AND l.unit = t.unit
                    AND l.col = t.label_col AND l.row_loc = c.row_loc
                WHERE upper(l.value) <> upper(c.value)
            ),
            counted AS (
                SELECT source, upper(code) AS key, code, label, count(*) AS n
                FROM pairs GROUP BY ALL
            )
            SELECT source, min(code) AS code, first(label ORDER BY n DESC, label) AS label
            FROM counted GROUP BY source, key ORDER BY source, code
        """).fetchall()
    finally:
        for table in ("_bs_unit_shas", "_bs_unit_cells", "_bs_unit_keys", "_bs_unit_kinds",
                      "_bs_unit_codes", "_bs_unit_pairs", "_bs_unit_tables", "_bs_unit_pvals",
                      "_bs_unit_prows", "_bs_unit_colrows"):
            db.execute(f"DROP TABLE IF EXISTS temp.{table}")
    with case.transaction() as tx:
        tx.execute(f"DELETE FROM care_units WHERE starts_with(source, '{DUMP_PREFIX}')")
        if units:
            tx.execute(
                "INSERT INTO care_units SELECT unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), "
                "unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), true",
                [[u[1] for u in units], [u[2] for u in units],
                 [unit_category(u[1], u[2]) for u in units], [u[0] for u in units]])
        _record_sources(tx)
        tx.execute("INSERT OR REPLACE INTO meta VALUES ('units_stale', '1')")
    return found


def _dump_source(path: str, unit: str) -> str:
    return f"{DUMP_PREFIX}{path}#{unit}" if unit else f"{DUMP_PREFIX}{path}"


# --------------------------------------------------------------------------- resolution


@dataclass(frozen=True, slots=True)
class _Known:
    code: str
    label: str | None
    category: str | None
    source: str


def _unit_lookup(case: Case) -> dict[str, _Known]:
    """code key → the unit that decodes it: a user's file before a dump table; among tables
    of the same kind, the one with the most codes (then by name). A code listed twice in one
    table: its labels joined, sensitive if any row is."""
    rows = case.db.execute(
        "SELECT code, label, sensitive_category, source FROM care_units "
        "WHERE code IS NOT NULL AND trim(code) <> '' ORDER BY source, label").fetchall()
    size: Counter[str] = Counter(source for _c, _l, _s, source in rows)
    by_key: dict[str, dict[str, list[tuple[str, str | None, str | None]]]] = defaultdict(
        lambda: defaultdict(list))
    for code, label, category, source in rows:
        by_key[code.strip().upper()][source].append((code.strip(), label, category))

    def rank(source: str) -> tuple[int, int, str]:
        return (0 if source.startswith(FILE_PREFIX) else 1, -size[source], source)

    lookup: dict[str, _Known] = {}
    for key, per_source in by_key.items():
        source = min(per_source, key=rank)
        entries = per_source[source]
        labels = list(dict.fromkeys(label for _c, label, _s in entries if label))
        category = next((cat for _c, _l, cat in entries if cat), None)
        lookup[key] = _Known(entries[0][0], " / ".join(labels) or None, category, source)
    return lookup


def resolve_value(value: str, lookup: dict[str, _Known]) -> tuple[
        str | None, str | None, str | None, str, str | None]:
    """``(code, label, sensitive_category, status, source)`` of one unit value."""
    for key in dict.fromkeys((value.strip().upper(), code_key(value))):
        known = lookup.get(key)
        if known is not None:
            return known.code, known.label, known.category, "decoded", known.source
    if not is_code_like(value):
        return None, value, label_category(value), "label", None
    decoded = decode_readable_code(value)
    if decoded is not None:
        return code_key(value), decoded[0], decoded[1], "inferred", READABLE_CODE_SOURCE
    return code_key(value), None, None, "unknown_code", None


def resolve_unit_values(case: Case) -> dict[str, int]:
    """(Re)build ``unit_values``: one row per distinct care-unit value of the case (the
    ``CARE_UNIT`` findings and ``records.care_unit``), resolved by :func:`resolve_value`.
    Returns the number of distinct values per status."""
    db = case.db
    values = [r[0] for r in db.execute("""
        SELECT DISTINCT value FROM (
            SELECT value FROM findings WHERE entity = 'CARE_UNIT'
            UNION SELECT care_unit FROM records)
        WHERE value IS NOT NULL AND trim(value) <> ''
        ORDER BY value
    """).fetchall()]
    lookup = _unit_lookup(case)
    resolved = [resolve_value(v, lookup) for v in values]
    with case.transaction() as tx:
        tx.execute("DELETE FROM unit_values")
        if values:
            tx.execute(
                "INSERT INTO unit_values SELECT unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), "
                "unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), "
                "unnest(?::VARCHAR[])",
                [values, [r[0] for r in resolved], [r[1] for r in resolved],
                 [r[2] for r in resolved], [r[3] for r in resolved], [r[4] for r in resolved]])
        tx.execute("INSERT OR REPLACE INTO meta VALUES ('units_stale', '0')")
    counts = Counter(r[3] for r in resolved)
    return {status: counts.get(status, 0) for status in STATUSES}


def unit_summary(case: Case) -> UnitSummary:
    """The unit tables known to the case and how its unit values are resolved."""
    db = case.db
    sources = [(s, n) for s, n in db.execute(
        "SELECT source, count(DISTINCT upper(trim(code))) FROM care_units "
        "GROUP BY source ORDER BY NOT starts_with(source, 'file:'), source").fetchall()]
    statuses = dict.fromkeys(STATUSES, 0)
    for status, n in db.execute(
            "SELECT status, count(*) FROM unit_values GROUP BY status").fetchall():
        statuses[status] = n
    n_sensitive = db.execute(
        "SELECT count(*) FROM unit_values WHERE sensitive_category IS NOT NULL").fetchone()[0]
    resolved = db.execute(
        "SELECT value FROM meta WHERE key = 'units_stale'").fetchone() == ("0",)
    return UnitSummary(sources, statuses, n_sensitive, resolved)
