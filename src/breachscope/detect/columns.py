"""Column classification: what each column of a table holds.

Two kinds of evidence are combined: the header (:mod:`breachscope.detect.headers`) and
statistics over a sample of the column's values (how many validate as a NIR, a phone
number..., how many look like names). The rules, in short:

- a validator-backed label (NIR, IBAN, PHONE, EMAIL) needs most sampled values to validate,
  whatever the header says; without a useful header the values alone can give it;
- a date column is a birth date only with a birth header, or, when its header says nothing,
  when its years are plausible birth years spread over decades in a table that has names
  (lower confidence); admission/visit headers give VISIT_DATE; other date columns no label;
- name labels come from the header, checked against values that look like names;
- a column whose header says nothing known but whose values are identifier-shaped and match
  the table's people one to one is a person identifier (``PATIENT_ID``, lower confidence);
- a phone header over 9-digit numbers starting with 1–7 or 9 (``612345678``: a phone stored
  as a number in a sheet, its leading 0 lost) is a phone column, the 0 restored in its cells;
  without a phone header a 9-digit number is never a phone (FINESS, SIREN are 9 digits).

What each label's values must show is the entity registry's (:mod:`breachscope.entities`:
``column_rule``, ``column_check``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cache, lru_cache

from breachscope.detect import headers as h
from breachscope.detect.health import find_medication_names, normalize_ccam, normalize_icd10
from breachscope.detect.secrets import is_password_hash, is_placeholder_secret, is_secret_shaped
from breachscope.detect.validators import (
    normalize_nir,
    normalize_postal_code,
    parse_date,
)
from breachscope.entities import (
    SPECS,
    Cells,
    ColumnCheck,
    ColumnRule,
    EntitySpec,
    entities_where,
    resolve,
    spec,
)
from breachscope.extract._arrow_table import ArrowTableUnit
from breachscope.extract.units import TableUnit

SAMPLE_SIZE = 200
VALIDATOR_THRESHOLD = 0.6  # share of sampled values that must validate, with a header
VALUES_ONLY_THRESHOLD = 0.8  # ... and without one
NAME_LABELS = entities_where(lambda s: s.is_name)  # LAST_NAME, FIRST_NAME, PERSON
PLACEHOLDERS = frozenset({
    "", "-", "--", "?", "NULL", "NONE", "NAN", "N/A", "NA", "#N/A", "NC", "N.C.", "NR",
    "INCONNU", "UNKNOWN", "/", ".", "0000-00-00", "00/00/0000",
})


@dataclass(slots=True)
class ColumnLabel:
    """What column ``index`` holds: ``label`` is an entity of the vocabulary or ``None``;
    ``reason`` says why, for review (it never quotes cell values). ``from_values``: a person
    identifier recognised by its values alone, which says the rows are people's but not that
    they are patients (``tables.role_hint``)."""

    index: int
    header: str
    label: str | None
    confidence: float
    reason: str
    from_values: bool = False
    #: A phone column whose numbers lost their leading 0 (stored as numbers in a sheet):
    #: :func:`restore_phone_zeros` puts it back in each chunk's cells.
    phone_zeros: bool = False
    #: The column's distinct cells already normalized by detection (cell -> values), kept
    #: from one chunk of the table to the next (its labels are the same objects): a long
    #: export repeats its people, dates and places from chunk to chunk (issue 15).
    memo: dict[str, tuple[str, ...]] = field(default_factory=dict, init=False,
                                             compare=False, repr=False)


_PLACEHOLDER_LENGTH = max(map(len, PLACEHOLDERS))


def is_placeholder(value: str) -> bool:
    # Upper-casing never shortens a string: a longer value is no placeholder.
    return len(value) <= _PLACEHOLDER_LENGTH and value.upper() in PLACEHOLDERS


_NAME_VALUE = re.compile(r"[^\W\d_](?:[^\W\d_]|[ '’.\-])*")


def person_shaped(value: str) -> bool:
    """``DUPONT Marie`` or ``Jean-Pierre LE GALL``: an all-capitals word (the last name, by
    French administrative habit) and a capitalized one (the first name)."""
    parts = value.split()
    if len(parts) < 2:
        return False
    has_upper = any(len(p) >= 2 and p.isupper() and _NAME_VALUE.fullmatch(p) for p in parts)
    has_capitalized = any(p[0].isupper() and any(c.islower() for c in p[1:]) for p in parts)
    return has_upper and has_capitalized


@dataclass(slots=True)
class ColumnStats:
    """Shares (0..1) of a column's sampled non-empty values having each property."""

    n: int
    valid: dict[str, float]  # per validator name: share that validates
    alpha: float  # letters, spaces, hyphens, apostrophes only
    upper: float  # alphabetic and all upper case
    multiword: float  # two words or more
    person_shape: float  # "DUPONT Marie" / "Marie DUPONT"
    mean_words: float
    mean_length: float
    distinct: float  # distinct values / sampled values
    birth_years_plausible: bool  # every parsed year in [1900, this year], spread over decades


_MULTI_SEPARATORS = re.compile(r"\s*[/;,|\n]\s*")


def normalize_multi(cell: str, normalize: Callable[[str], str | None]) -> list[str]:
    """The values of a cell that may hold several (``06 12 34 56 78 / 01 23 45 67 89``):
    the whole cell if it is one valid value, else its valid ``/ ; , |``-separated parts."""
    value = normalize(cell)
    if value is not None:
        return [value]
    # A part that is the whole cell was just refused (a cell without separators).
    parts = (normalize(part) for part in _MULTI_SEPARATORS.split(cell) if part and part != cell)
    return list(dict.fromkeys(p for p in parts if p is not None))


def _first_of_many(normalize: Callable[[str], str | None]) -> Callable[[str], str | None]:
    def run(cell: str) -> str | None:
        found = normalize_multi(cell, normalize)
        return found[0] if found else None

    return run


EXCEL_SERIAL_MIN = 3653  # 1910-01-01: smaller integers in a date column are counts, not dates


def parse_column_date(cell: str) -> str | None:
    """A date from a column known to hold dates: Excel serial numbers (from 1910 on) and
    ``YYYYMMDD`` are then accepted besides the written formats."""
    if cell.isdecimal() and int(cell) < EXCEL_SERIAL_MIN:
        return None
    return parse_date(cell, allow_excel_serial=True, allow_compact=True)


def normalize_postal_code_padded(cell: str) -> str | None:
    """A postal code from a column or a message field: spreadsheets drop the leading zero
    (``1000`` for ``01000``), so four digits are padded."""
    return normalize_postal_code(cell, pad=True)


def column_normalizer(entity_spec: EntitySpec) -> Callable[[str], str | None] | None:
    """The registry's column normalizer of an entity as a one-value check (the first of
    several values for a ``Cells.MANY`` entity), or ``None`` when it has none."""
    if entity_spec.column_values is None:
        return None
    normalize = resolve(entity_spec.column_values.normalize)
    return _first_of_many(normalize) if entity_spec.cells is Cells.MANY else normalize


# Asked of a value by two checks (PASSWORD, SECRET) in a row: answered once.
_placeholder_secret = lru_cache(maxsize=1024)(is_placeholder_secret)

# Value checks shared by several labels or by none (a diagnosis header is checked for ICD-10
# codes, a date header for dates); the registry's entities whose check is their own column
# normalizer (NIR, PHONE...) are added by :func:`_sample_validators`.
_SHARED_CHECKS: dict[str, Callable[[str], str | None]] = {
    "DATE": parse_date,
    "DATE_LOOSE": parse_column_date,
    "ICD10": _first_of_many(normalize_icd10),
    "CCAM": _first_of_many(normalize_ccam),
    "DRUG": lambda v: next(iter(find_medication_names(v)), None),
    "PASSWORD": lambda v: v if " " not in v.strip() and not _placeholder_secret(v) else None,
    "PASSWORD_HASH": lambda v: v if is_password_hash(v) else None,
    "SECRET": lambda v: v if is_secret_shaped(v) and not _placeholder_secret(v) else None,
}


@cache
def _sample_validators() -> dict[str, Callable[[str], str | None]]:
    """Every check :func:`column_stats` counts: per registry entity whose column check is
    keyed by its own name, its column normalizer; then the shared checks. Built on first
    use (one normalizer is this module's own)."""
    checks: dict[str, Callable[[str], str | None]] = {}
    for entity, entity_spec in SPECS.items():
        check = entity_spec.column_check
        normalize = column_normalizer(entity_spec)
        if check is not None and check.sample == entity.value and normalize is not None:
            checks[entity.value] = normalize
    return checks | _SHARED_CHECKS


def sample_values(values: list[str], size: int = SAMPLE_SIZE) -> list[str]:
    """Up to ``size`` non-empty values spread evenly over the column (exports are often
    sorted, so the first rows are not representative)."""
    if len(values) > 8 * size:  # long column: look at evenly spread rows first
        spread = _spread(values, 8 * size)
        filled = [s for s in (v.strip() for v in spread) if s and not is_placeholder(s)]
        if len(filled) >= size:
            return _spread(filled, size)
    filled = [s for s in (v.strip() for v in values) if s and not is_placeholder(s)]
    return _spread(filled, size)


def _spread(values: list[str], size: int) -> list[str]:
    """``size`` values evenly spaced in ``values`` (all of them when there are fewer)."""
    if len(values) <= size:
        return values
    step = len(values) / size
    return [values[int(i * step)] for i in range(size)]


def column_stats(sample: list[str], today: date | None = None) -> ColumnStats:
    n = len(sample)
    if n == 0:
        return ColumnStats(0, dict.fromkeys(_sample_validators(), 0.0), 0, 0, 0, 0, 0, 0, 0,
                           False)
    valid = _valid_shares(sample, n)
    alpha_values = [v for v in sample if _NAME_VALUE.fullmatch(v)]
    words = [len(v.split()) for v in sample]
    return ColumnStats(
        n=n,
        valid=valid,
        alpha=len(alpha_values) / n,
        upper=sum(1 for v in alpha_values if v.isupper()) / n,
        multiword=sum(1 for w in words if w >= 2) / n,
        person_shape=sum(1 for v in sample if person_shaped(v)) / n,
        mean_words=sum(words) / n,
        mean_length=sum(len(v) for v in sample) / n,
        distinct=len(set(sample)) / n,
        birth_years_plausible=_plausible_birth_years(sample, today or date.today()),
    )


@dataclass(slots=True)
class _Shape:
    """What the prefilters of :data:`_WORTH_CHECKING` look at in a sampled value."""

    value: str
    count: int  # times in the sample
    digits: int
    letters: int

    @classmethod
    def of(cls, value: str, count: int = 1) -> _Shape:
        return cls(value, count, sum(map(str.isdigit, value)), sum(map(str.isalpha, value)))


# What a value must show for a check to possibly accept it; a value that does not is not
# passed to the check. Every format of the first ones has digits (a phone 8 or more, a NIR
# 13, a date 4 unless an Excel serial...), codes have letters (``E11.9``, ``JNJD002``), an
# e-mail an ``@``, an IBAN 15 characters with its country's letters, a password hash its
# ``$`` or ``{scheme}``, a key or token 8 characters and no space; a drug name letters (an
# ASCII value without any cannot fold into one); a sex 12 letters and digits at most (an ASCII
# value folds to its letters, digits and punctuation: ``MADEMOISELLE`` is the longest).
# tests/detect/test_column_prefilters.py holds every check to it on random and real values.
_WORTH_CHECKING: dict[str, Callable[[_Shape], bool]] = {
    "NIR": lambda s: s.digits >= 13,
    "PHONE": lambda s: s.digits >= 8,
    "POSTAL_CODE": lambda s: s.digits >= 4,
    "RPPS": lambda s: s.digits >= 9,
    "FINESS": lambda s: s.digits >= 9,
    "PAYMENT_CARD": lambda s: s.digits >= 13,
    "DATE": lambda s: s.digits >= 4,
    "DATE_LOOSE": lambda s: s.digits >= 1,
    "ICD10": lambda s: s.digits >= 2 and s.letters >= 1,
    "CCAM": lambda s: s.digits >= 3 and s.letters >= 4,
    "EMAIL": lambda s: "@" in s.value,
    "IBAN": lambda s: len(s.value) >= 15 and s.letters >= 2,
    "PASSWORD_HASH": lambda s: "$" in s.value or "{" in s.value,
    "SECRET": lambda s: len(s.value) >= 8 and " " not in s.value.strip(),
    "DRUG": lambda s: s.letters > 0 or not s.value.isascii(),
    "SEX": lambda s: s.letters + s.digits <= 12 or not s.value.isascii(),
}


def worth_checking(name: str, value: str) -> bool:
    """Whether the sample check ``name`` may accept ``value`` (:data:`_WORTH_CHECKING`)."""
    need = _WORTH_CHECKING.get(name)
    return need is None or need(_Shape.of(value))


def _valid_shares(sample: list[str], n: int) -> dict[str, float]:
    """Per check, the share of the sample it accepts: each distinct value checked once (a
    column repeats its units, dates, codes), and not at all by a check that cannot accept it
    (:data:`_WORTH_CHECKING`). Which checks accept a value is remembered for the worker's
    next tables (:func:`_accepted_memo`): a leak's exports repeat their people, dates and
    places from file to file."""
    validators = _sample_validators()
    memo = _accepted_memo()
    totals = dict.fromkeys(validators, 0)
    for value, count in Counter(sample).items():
        names = memo.get(value)
        if names is None:
            names = _accepted(value, validators)
            if len(value) <= _MEMO_VALUE_CHARS and len(memo) < _MEMO_VALUES:
                memo[value] = names
        for name in names:
            totals[name] += count
    return {name: total / n for name, total in totals.items()}


def _accepted(value: str, validators: dict[str, Callable[[str], str | None]],
              ) -> tuple[str, ...]:
    """The sample checks that accept ``value``, in order."""
    shape = _Shape.of(value)
    accepted: list[str] = []
    seen: set[str] = set()
    for name, check in validators.items():
        need = _WORTH_CHECKING.get(name)
        if name == "DATE_LOOSE" and "DATE" in seen:
            # A written date is one for both checks; the loose one adds only Excel serials
            # and YYYYMMDD, all digits (and dots): the other values need no second parse.
            ok = "DATE" in accepted or (
                (need is None or need(shape)) and _DIGITS_AND_DOTS.fullmatch(value.strip())
                is not None and check(value) is not None)
        else:
            ok = (need is None or need(shape)) and check(value) is not None
        seen.add(name)
        if ok:
            accepted.append(name)
    return tuple(accepted)


#: Sampled values whose accepted checks a worker remembers, and their longest length.
_MEMO_VALUES = 200_000
_MEMO_VALUE_CHARS = 128
_memo: dict[str, tuple[str, ...]] = {}
_memo_day: list[date] = []


def _accepted_memo() -> dict[str, tuple[str, ...]]:
    """The checks that accepted each value seen so far in this process: forgotten when the
    day changes (a date check depends on today) or when full."""
    today = date.today()
    if _memo_day != [today] or len(_memo) >= _MEMO_VALUES:
        _memo.clear()
        _memo_day[:] = [today]
    return _memo


_DIGITS_AND_DOTS = re.compile(r"[\d.]+")


def _plausible_birth_years(sample: list[str], today: date) -> bool:
    parsed: dict[str, str | None] = {}
    for v in sample:
        if v not in parsed:
            parsed[v] = parse_date(v, today=today) if any(c.isdigit() for c in v) else None
    years = [int(d[:4]) for d in (parsed[v] for v in sample) if d]
    if len(years) < 3 or not all(1900 <= y <= today.year for y in years):
        return False
    return len({y // 10 for y in years}) >= 3 and max(years) - min(years) >= 20


def _looks_like_names(stats: ColumnStats) -> bool:
    """Short alphabetic values: not free text, not codes."""
    return stats.alpha >= 0.6 and stats.mean_words <= 4 and stats.mean_length <= 40


# A credential column: which sampled values count, per kind of header (headers.py).
_CREDENTIAL_CHECKS = {"password": ("PASSWORD", "passwords or password hashes"),
                      "hash": ("PASSWORD_HASH", "password hashes"),
                      "secret": ("SECRET", "key- or token-shaped")}
VALUES_ONLY_CONFIDENCE = 0.9
# The labels the values alone may give, in the order they are tried (registry ranks).
_VALUES_ONLY: list[tuple[str, ColumnCheck]] = sorted(
    ((e.value, s.column_check) for e, s in SPECS.items()
     if s.column_check is not None and s.column_check.values_only_rank is not None),
    key=lambda item: item[1].values_only_rank or 0)


def _pct(share: float) -> str:
    return f"{round(share * 100)}%"


def _is_validated(label: str) -> bool:
    """An identifier with a validator: a header saying so is not enough on its own."""
    found = spec(label)
    return found is not None and found.column_rule is ColumnRule.VALIDATED


def _from_check(
    label: str, check: ColumnCheck, stats: ColumnStats, quoted: str
) -> tuple[str | None, float, str]:
    """The registry's value check of a header's label: enough sampled values pass it."""
    share = stats.valid[check.sample]
    if share >= check.min_share:
        return label, check.confidence, (
            f"header {quoted} and {_pct(share)} of values are {check.what}")
    return None, 0.0, f"header {quoted} but only {_pct(share)} of values are {check.what}"


def _from_header(
    label: str, stats: ColumnStats, quoted: str
) -> tuple[str | None, float, str]:
    """Check the header's label against the values, by the label's column rule in the entity
    registry; returns (label, confidence, reason)."""
    found = spec(label)
    rule = found.column_rule if found is not None else ColumnRule.HEADER
    check = found.column_check if found is not None else None
    if rule in (ColumnRule.VALIDATED, ColumnRule.VALUES) and check is not None:
        return _from_check(label, check, stats, quoted)
    if rule is ColumnRule.POSTAL_CODE and check is not None:
        confirmed = _from_check(label, check, stats, quoted)
        share = stats.valid[check.sample]
        if confirmed[0] is None and share >= 0.3 and stats.mean_length <= 10:
            # Several countries' codes in one column (foreign patients): the column stays a
            # postal code column, the codes that do not validate are left out.
            return label, 0.7, (f"header {quoted} and {_pct(share)} of values are postal "
                                "codes (the others short codes: other countries')")
        return confirmed
    if rule is ColumnRule.NAMES:
        return _name_from_header(label, stats, quoted)
    if rule is ColumnRule.HEALTH:
        return _health_from_header(label, stats, quoted)
    if rule is ColumnRule.CREDENTIAL:
        kind = h.credential_header_kind(h.header_tokens(quoted[1:-1])) or "password"
        sample, what = _CREDENTIAL_CHECKS[kind]
        share = stats.valid[sample]
        if share >= VALIDATOR_THRESHOLD:
            return label, 0.9, f"header {quoted} and {_pct(share)} of values are {what}"
        return None, 0.0, f"header {quoted} but only {_pct(share)} of values are {what}"
    confidence = found.header_confidence if found is not None else 0.85
    return label, confidence, f"header {quoted}"


def _health_from_header(
    label: str, stats: ColumnStats, quoted: str
) -> tuple[str | None, float, str]:
    """ICD-10 columns need valid CIM-10 codes (a diagnosis header over codes is a code
    column; a code header over text is a diagnosis column); procedures need CCAM-shaped
    codes (an ``acte`` column of dates is a visit date); medications need known drug names
    in at least 30% of values."""
    codes = stats.valid["ICD10"]
    textual = max(stats.alpha, stats.multiword) >= 0.5 and codes < 0.2
    if label in ("ICD10_CODE", "DIAGNOSIS"):
        if codes >= VALIDATOR_THRESHOLD:
            return "ICD10_CODE", 0.95, (
                f"header {quoted} and {_pct(codes)} of values are valid CIM-10 codes")
        if textual:
            return "DIAGNOSIS", 0.8, f"header {quoted} and values are text"
        return None, 0.0, f"header {quoted} but only {_pct(codes)} of values are CIM-10 codes"
    if label == "PROCEDURE":
        share = stats.valid["CCAM"]
        if share >= VALIDATOR_THRESHOLD:
            return label, 0.9, f"header {quoted} and {_pct(share)} of values are CCAM codes"
        dates = stats.valid["DATE_LOOSE"]
        if dates >= VALIDATOR_THRESHOLD:
            return "VISIT_DATE", 0.85, f"header {quoted} and {_pct(dates)} of values are dates"
        return None, 0.0, f"header {quoted} but only {_pct(share)} of values are CCAM codes"
    share = stats.valid["DRUG"]
    if share >= 0.3:
        return label, 0.9, f"header {quoted} and {_pct(share)} of values name a known drug"
    return None, 0.0, f"header {quoted} but only {_pct(share)} of values name a known drug"


def _name_from_header(
    label: str, stats: ColumnStats, quoted: str
) -> tuple[str | None, float, str]:
    if not _looks_like_names(stats):
        return None, 0.0, f"header {quoted} but values do not look like names"
    if label == "CITY":
        return label, 0.85, f"header {quoted} and values look like place names"
    if label == "LAST_NAME" and stats.person_shape >= VALUES_ONLY_THRESHOLD:
        return "PERSON", 0.85, f"header {quoted} but values are 'LAST First' full names"
    if label == "PERSON" and stats.multiword < 0.5:
        return "LAST_NAME", 0.7, f"header {quoted} but values are single words"
    detail = " (mostly upper case)" if label == "LAST_NAME" and stats.upper >= 0.8 else ""
    return label, 0.9, f"header {quoted} and values look like names{detail}"


def _from_values(stats: ColumnStats) -> tuple[str | None, float, str]:
    for label, check in _VALUES_ONLY:
        share = stats.valid[check.sample]
        if share >= VALUES_ONLY_THRESHOLD:
            return label, VALUES_ONLY_CONFIDENCE, f"{_pct(share)} of values are {check.what}"
    return None, 0.0, "no header evidence and no validator matches the values"


class _ColumnCache:
    """A table's columns and their samples, each built once per classification (several
    rules look at the same sample); :meth:`forget` after a column's cells change."""

    def __init__(self, table: TableUnit) -> None:
        self.table = table
        self._columns: dict[int, list[str]] = {}
        self._samples: dict[int, list[str]] = {}

    def column(self, index: int) -> list[str]:
        found = self._columns.get(index)
        if found is None:
            found = self._columns[index] = self.table.column(index)
        return found

    def sample(self, index: int) -> list[str]:
        found = self._samples.get(index)
        if found is None:
            found = self._samples[index] = sample_values(self.column(index))
        return found

    def forget(self, index: int) -> None:
        self._columns.pop(index, None)
        self._samples.pop(index, None)


def classify_columns(table: TableUnit, *, today: date | None = None) -> list[ColumnLabel]:
    """One :class:`ColumnLabel` per column of ``table``, in column order."""
    all_tokens = [h.header_tokens(name) for name in table.header]
    staff_table = any(h.is_staff_header(t) for t in all_tokens) and not any(
        h.is_patient_header(t) for t in all_tokens
    )
    cache = _ColumnCache(table)
    results: list[ColumnLabel] = []
    undated: list[tuple[int, ColumnStats]] = []  # date-like columns whose header says nothing
    all_stats: list[ColumnStats] = []
    padded: set[int] = set()
    for index, (name, tokens) in enumerate(zip(table.header, all_tokens, strict=True)):
        stats = column_stats(cache.sample(index), today)
        all_stats.append(stats)
        quoted = f"'{name.strip()}'"
        header_guess = h.header_label(tokens, staff_table=staff_table)
        if stats.n == 0:
            label, confidence, reason = None, 0.0, "empty column"
        elif header_guess is not None:
            label, confidence, reason = _from_header(header_guess, stats, quoted)
            if header_guess == "PHONE":
                # Phones stored as numbers in a sheet lost their leading 0: judged restored.
                sample = cache.sample(index)
                share = _missing_zero_share(sample)
                if share:
                    restored = column_stats([_with_zero(v) for v in sample], today)
                    found = _from_header(header_guess, restored, quoted)
                    if found[0] == "PHONE":
                        label, confidence, reason = found
                        reason += (f"; leading 0 restored on {_pct(share)} of values "
                                   "(phones stored as numbers)")
                        stats = all_stats[-1] = restored
                        restore_phone_zeros(table, [index])
                        cache.forget(index)
                        padded.add(index)
            if label is None and header_guess == "NIR" and h.is_foreign_ssn_header(tokens) \
                    and stats.alpha < 0.2:
                # Another country's social security number: no NIR, but a person's own
                # identifier all the same (compared like a patient number).
                label, confidence = "PATIENT_ID", 0.6
                reason = f"{reason}; kept as a person identifier (social security number)"
            if label is None and not _is_validated(header_guess):
                label2, confidence2, reason2 = _from_values(stats)
                if label2 is not None:
                    label, confidence, reason = label2, confidence2, f"{reason}; {reason2}"
        else:
            label, confidence, reason = _from_values(stats)
            if label is None and not h.is_date_header(tokens):
                undated.append((index, stats))
            elif label is None:
                reason = f"header {quoted} is about a date, but not a birth or visit date"
        if label is not None and (veto := _values_contradict(label, cache.sample(index))):
            label, confidence, reason = None, 0.0, f"{reason}; but {veto}"
        results.append(ColumnLabel(index, name, label, confidence, reason,
                                   phone_zeros=index in padded))
    _infer_names(cache, results, undated)
    _infer_birth_date(table, results, undated)
    if not any(h.is_staff_header(t) for t in all_tokens):
        _infer_identifier(cache, results, all_tokens, all_stats)
    return results


# A French phone number without its leading 0: 9 digits, the first 1–5 (geographic), 6–7
# (mobile) or 9 (VoIP). 8 (special-rate services) is left out: no one's own number.
_NINE_DIGITS = re.compile(r"[1-79]\d{8}")
# The share of sampled values that must be such numbers (or already valid phones).
PHONE_ZEROS_SHARE = VALIDATOR_THRESHOLD


def _with_zero(value: str) -> str:
    return "0" + value if _NINE_DIGITS.fullmatch(value) else value


def _missing_zero_share(sample: list[str]) -> float:
    """The share of sampled values that are phones without their leading 0, when with the
    values already valid as phones they make most of the sample; else 0.0."""
    from breachscope.detect.validators import normalize_phone

    if not sample:
        return 0.0
    nine = sum(1 for v in sample if _NINE_DIGITS.fullmatch(v)) / len(sample)
    valid = sum(1 for v in sample if normalize_phone(v) is not None) / len(sample)
    return nine if nine and nine + valid >= PHONE_ZEROS_SHARE else 0.0


def _with_zero_kept(cell: str) -> str:
    """A cell as :func:`restore_phone_zeros` leaves it: ``0`` + the stripped cell when that
    is 9 digits, else the cell untouched."""
    stripped = cell.strip()
    return "0" + stripped if _NINE_DIGITS.fullmatch(stripped) else cell


def restore_phone_zeros(table: TableUnit, indexes: list[int]) -> None:
    """Prefix with ``0`` the 9-digit cells (first digit 1–7 or 9) of the columns
    ``indexes`` of ``table``, in place: done by :func:`classify_columns` on the chunk it
    classifies; a later chunk of the same table needs it for the columns whose
    :attr:`ColumnLabel.phone_zeros` is set."""
    if isinstance(table, ArrowTableUnit):  # Arrow columns: each distinct cell once
        for index in indexes:
            table.map_column(index, _with_zero_kept)
        return
    for row in table.rows:
        for index in indexes:
            cell = row[index].strip()
            if _NINE_DIGITS.fullmatch(cell):
                row[index] = "0" + cell
    table.forget_columns()


_DECIMAL = re.compile(r"[-+]?\d+[.,]\d+")
# Lower-case words a name may hold (particles); any other lower-case word inside a value
# ("Balls to the Wall", "For Those About To Rock") makes it a title or a phrase.
_NAME_PARTICLES = frozenset({
    "de", "du", "des", "la", "le", "les", "d", "l", "van", "von", "der", "den", "di", "da",
    "dos", "das", "del", "della", "y", "e", "ben", "bin", "ibn", "al", "el", "épouse", "ep",
    "née", "ne", "veuve", "vve", "dit", "dite", "et",
})
_WORD = re.compile(r"[^\W\d_]+")


def _values_contradict(label: str, sampled: list[str]) -> str | None:
    """Why the values of a column contradict its label, or ``None``: a care unit of decimal
    numbers is a price or an amount (``UnitPrice``); names that read as titles or phrases
    (lower-case words other than particles in mixed-case values) are song or book titles."""
    sample = [v for v in sampled if v]
    if not sample:
        return None
    if label == "CARE_UNIT":
        share = sum(1 for v in sample if _DECIMAL.fullmatch(v.strip())) / len(sample)
        if share >= 0.5:
            return f"{_pct(share)} of values are decimal numbers, not care units"
    if label in NAME_LABELS:
        def phrase(value: str) -> bool:
            words = _WORD.findall(value)
            return len(words) >= 3 and any(
                w.islower() and w not in _NAME_PARTICLES for w in words) and not all(
                w.islower() for w in words)
        share = sum(1 for v in sample if phrase(v)) / len(sample)
        if share >= 0.2:
            return f"{_pct(share)} of values read as titles or phrases, not names"
    return None


NAME_GAZETTEER_SHARE = 0.7  # share of sampled values that must be known names


def _infer_names(
    cache: _ColumnCache, results: list[ColumnLabel], undated: list[tuple[int, ColumnStats]]
) -> None:
    """Header-less name columns, from the values: a column of known first names is
    FIRST_NAME, a column of known surnames mostly in capitals is LAST_NAME (INSEE
    gazetteers, see ``detect/names.py``). Only when the headers said nothing of names."""
    if {c.label for c in results} & NAME_LABELS:
        return
    from breachscope.detect.names import is_first_name, is_surname

    found: set[str] = set()
    for index, stats in undated:
        if stats.valid["DATE"] >= 0.5 or results[index].label is not None:
            continue
        sample = [v for v in cache.sample(index) if v and not v.isdigit()]
        if len(sample) < 3:
            continue
        firsts = sum(is_first_name(v, max_tier=3) for v in sample) / len(sample)
        lasts = sum(is_surname(v) for v in sample) / len(sample)
        upper = sum(v.isupper() for v in sample) / len(sample)
        if "FIRST_NAME" not in found and firsts >= NAME_GAZETTEER_SHARE and upper < 0.5:
            label, share = "FIRST_NAME", firsts
        elif "LAST_NAME" not in found and lasts >= NAME_GAZETTEER_SHARE and upper >= 0.8:
            label, share = "LAST_NAME", lasts
        else:
            continue
        found.add(label)
        results[index].label, results[index].confidence = label, 0.75
        results[index].reason = (f"{_pct(share)} of values are known "
                                 f"{'first names' if label == 'FIRST_NAME' else 'surnames'}"
                                 " (no header evidence)")


def _nir_consistency(table: TableUnit, date_index: int, nir_index: int) -> float:
    """Share of rows whose date agrees with the NIR of the same row (year and month of
    birth are digits 2–5 of a NIR): strong evidence that the date is the birth date."""
    rows = [r for r in table.rows[:SAMPLE_SIZE] if r[date_index] and r[nir_index]]
    agree = 0
    for row in rows:
        day = parse_column_date(row[date_index])
        nir = normalize_nir(row[nir_index])
        if day and nir and nir[1:3] == day[2:4] and nir[3:5] == day[5:7]:
            agree += 1
    return agree / len(rows) if rows else 0.0


def _infer_birth_date(
    table: TableUnit, results: list[ColumnLabel], undated: list[tuple[int, ColumnStats]]
) -> None:
    """Label as BIRTH_DATE the one header-less date column that agrees with the row's NIR
    (confidence 0.9), or whose years look like birth years in a table that has names
    (confidence 0.6); never when a birth date column exists already."""
    labels = {c.label for c in results}
    if "BIRTH_DATE" in labels:
        return
    nir_columns = [c.index for c in results if c.label == "NIR"]
    for index, stats in undated:
        if stats.valid["DATE"] < VALUES_ONLY_THRESHOLD or results[index].label is not None:
            continue
        for nir_index in nir_columns:
            share = _nir_consistency(table, index, nir_index)
            if share >= VALUES_ONLY_THRESHOLD:
                results[index].label = "BIRTH_DATE"
                results[index].confidence = 0.9
                results[index].reason = (f"{_pct(share)} of dates agree with the birth year "
                                         "and month of the NIR in the same row")
                return
    if not labels & NAME_LABELS:
        return
    for index, stats in undated:
        share = stats.valid["DATE"]
        if share >= VALUES_ONLY_THRESHOLD and stats.birth_years_plausible:
            results[index].label = "BIRTH_DATE"
            results[index].confidence = 0.6
            results[index].reason = (
                f"{_pct(share)} of values are dates with plausible birth years over several "
                "decades, in a table with names (no header evidence)"
            )
            return


# A person identifier recognised by its values (issue 11): a column whose header says nothing
# the vocabulary knows (``pat_no``, ``rec_ref``) but whose values are identifiers of the
# table's people. Header words are a hint a hospital's export does not always give; the
# values are evidence every export gives: one fixed shape (``99999999``, ``AA-999999``) and
# one value per person and one person per value, checked against the table's own name and
# NIR columns (a patient table has one row per person, a stays table repeats both).
ID_MIN_VALUES = 20  # distinct values needed to judge (a 5-row table proves nothing)
ID_MIN_LENGTH = 6  # shorter codes are postal codes, unit codes, counters
ID_MAX_LENGTH = 24
ID_MIN_DIGITS = 4
ID_SHAPE_SHARE = 0.9  # share of sampled values of the most common shape
ID_PERSON_SHARE = 0.95  # share of values naming one person, and of people with one value
ID_ROWS_CHECKED = 5000
ID_FROM_VALUES_CONFIDENCE = 0.55  # below a header's: the values alone say it
_ID_SHAPE_CHARS = frozenset("A9-")
# Header words naming an identifier of something other than a person: an invoice, an order,
# a stay, a document... is unique per row too, and one person may own several.
_OTHER_OBJECT_WORDS = frozenset({
    "FACTURE", "INVOICE", "BILL", "ORDER", "COMMANDE", "LOT", "TRANSACTION", "PAIEMENT",
    "PAYMENT", "REGLEMENT", "TICKET", "PRODUIT", "PRODUCT", "ARTICLE", "SKU", "SEJOUR",
    "VENUE", "STAY", "VISIT", "VISITE", "EXAMEN", "PRESCRIPTION", "ORDONNANCE", "DEMANDE",
    "RDV", "ACTE", "DOCUMENT", "FICHIER", "FILE", "IMAGE", "COMPTE", "ACCOUNT", "CONTRAT",
    "DOSSIERMEDICAL", "LIGNE", "LINE", "MESSAGE", "SESSION", "DEVICE", "APPAREIL", "TRACKING",
    "COLIS", "ENVOI", "BON", "QUITTANCE", "ECHANTILLON", "SAMPLE", "TUBE", "PRELEVEMENT",
})


def _shape(value: str) -> str:
    """``AB-123456`` → ``AA-999999``: letters as ``A``, digits as ``9``."""
    return "".join("9" if c.isdigit() else "A" if c.isalpha() else c for c in value)


def _identifier_shape(sample: list[str]) -> tuple[str, float] | None:
    """The one shape most sampled values share, and that share, when it looks like an
    identifier: long enough, digits in it, no spaces, dots or other punctuation (no prices,
    no dates, no words)."""
    if not sample:
        return None
    shape, count = Counter(_shape(v) for v in sample).most_common(1)[0]
    share = count / len(sample)
    if share < ID_SHAPE_SHARE or not ID_MIN_LENGTH <= len(shape) <= ID_MAX_LENGTH:
        return None
    if set(shape) - _ID_SHAPE_CHARS or shape.count("9") < ID_MIN_DIGITS:
        return None
    return shape, share


def _row_counter(values: list[str]) -> bool:
    """Numbers that count rows (``100001``, ``100002``...): an auto-increment key, which two
    unrelated exports share, not a person's identifier."""
    numbers = {int(v) for v in (c.strip() for c in values) if v.isdecimal()}
    return len(numbers) >= 2 and max(numbers) - min(numbers) + 1 <= 1.5 * len(numbers)


def _one_person_per_value(
    table: TableUnit, index: int, person_columns: list[int]
) -> tuple[float, int]:
    """How well the column's values and the table's people match one to one: the smaller of
    the share of values found with one person only and the share of people found with one
    value only; and the number of distinct values judged."""
    people_of: dict[str, set[tuple[str, ...]]] = {}
    values_of: dict[tuple[str, ...], set[str]] = {}
    for row in table.rows[:ID_ROWS_CHECKED]:
        value = row[index].strip()
        person = tuple(" ".join(row[i].split()).upper() for i in person_columns)
        if not value or is_placeholder(value) or not any(person):
            continue
        people_of.setdefault(value, set()).add(person)
        values_of.setdefault(person, set()).add(value)
    if not people_of:
        return 0.0, 0
    one_person = sum(len(p) == 1 for p in people_of.values()) / len(people_of)
    one_value = sum(len(v) == 1 for v in values_of.values()) / len(values_of)
    return min(one_person, one_value), len(people_of)


def _infer_identifier(
    cache: _ColumnCache, results: list[ColumnLabel], all_tokens: list[tuple[str, ...]],
    all_stats: list[ColumnStats],
) -> None:
    """Label as PATIENT_ID (a person's own identifier, confidence 0.55) the first unlabelled
    column whose values are identifier-shaped and match the table's people one to one; only
    in a table with name or NIR columns, no patient identifier column already, and none of
    staff (an employee number is the staff's, ``headers.is_staff_header``)."""
    if any(c.label == "PATIENT_ID" for c in results):
        return
    person_columns = [c.index for c in results if c.label in NAME_LABELS or c.label == "NIR"]
    if not person_columns:
        return
    for column, tokens, stats in zip(results, all_tokens, all_stats, strict=True):
        if column.label is not None or stats.n == 0 or h.is_date_header(tokens):
            continue
        if any(t in _OTHER_OBJECT_WORDS or t in h.FREE_TEXT_WORDS for t in tokens):
            continue
        if stats.valid["DATE_LOOSE"] >= 0.5:
            continue
        sample = cache.sample(column.index)
        found = _identifier_shape(sample)
        if found is None or _row_counter(cache.column(column.index)[:ID_ROWS_CHECKED]):
            continue
        match, n_values = _one_person_per_value(cache.table, column.index, person_columns)
        if n_values < ID_MIN_VALUES or match < ID_PERSON_SHARE:
            continue
        shape, share = found
        column.label, column.confidence = "PATIENT_ID", ID_FROM_VALUES_CONFIDENCE
        column.from_values = True
        column.reason = (f"{_pct(share)} of values share one identifier shape "
                         f"({len(shape)} characters) and {_pct(match)} of values and people "
                         "match one to one: a person identifier (no header evidence)")
        return
