"""``breachscope link``: match the case's people to the hospital's patient index (MPI export).

The index export is a CSV (encoding and delimiter detected like any leaked CSV). Its column
mapping is guessed from the headers (the header vocabulary of :mod:`breachscope.detect.headers`
plus birth / used name), and can be overridden with ``COLUMN=FIELD`` pairs (FIELD ``ignore``
drops a column). Fields: see :data:`FIELDS`.

Matching, strongest first (one MPI row per person; a tie between rows at the best level leaves
the person unmatched as ``ambiguous``):

- ``nir`` (score 1.0): the person's NIR equals the index's NIR/INS;
- ``ipp`` (0.98): a record of the person carries a PATIENT_ID equal to the index's IPP, and the
  birth dates do not contradict;
- ``name_birth_date`` (0.95): folded first name and last name (birth, used or plain last
  name of the index, any last name of the person's records) and the same birth date;
- ``name_birth_date_swapped`` (0.85): the same with day and month swapped;
- ``name_swapped`` (0.8): first and last name swapped, same birth date.

Store tables (schema v3 in ``case.py``; emptied and rebuilt by every ``link`` run):

- ``mpi_people (mpi_id, last_name, birth_name, first_name, birth_date, sex, nir, address,
  postal_code, city, phone, email)``: the index rows, normalized (current contact details);
- ``mpi_links (person_id, mpi_id, method, score)``: at most one row per person.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from breachscope.case import Case
from breachscope.detect.headers import header_label, header_tokens
from breachscope.detect.validators import (
    fold,
    normalize_email,
    normalize_nir,
    normalize_phone,
    normalize_postal_code,
    normalize_sex,
    parse_date,
)
from breachscope.extract.delimited import choose_delimiter
from breachscope.extract.encoding import decode_bytes
from breachscope.outputs import protected_file
from breachscope.resolve.placeholders import is_placeholder_birth_date

FIELDS = ("mpi_id", "last_name", "birth_name", "first_name", "birth_date", "sex", "nir",
          "address", "postal_code", "city", "phone", "email", "ignore")

SCORES = {"nir": 1.0, "ipp": 0.98, "name_birth_date": 0.95, "name_birth_date_swapped": 0.85,
          "name_swapped": 0.8}

UNMATCHED_FILE = "mpi_unmatched.csv"

_LABEL_FIELDS = {
    "PATIENT_ID": "mpi_id", "NIR": "nir", "BIRTH_DATE": "birth_date", "SEX": "sex",
    "ADDRESS": "address", "POSTAL_CODE": "postal_code", "CITY": "city", "PHONE": "phone",
    "EMAIL": "email", "FIRST_NAME": "first_name", "LAST_NAME": "last_name",
}
_BIRTH_NAME_WORDS = frozenset({"NAISSANCE", "NAIS", "JF", "NOMNAISSANCE", "PATRONYMIQUE",
                               "BIRTH", "MAIDEN", "NOMJF", "PATRONYME", "FAMILLE",
                               "NOMFAMILLE"})
_USED_NAME_WORDS = frozenset({"USAGE", "USUEL", "MARITAL", "EPOUSE", "NOMUSAGE", "NOMUSUEL",
                              "NOMMARITAL"})


class MpiError(Exception):
    """The index file cannot be used (unreadable, no usable columns, bad --map)."""


# --------------------------------------------------------------------------- reading the index


def guess_field(header: str) -> str | None:
    """The MPI field a header announces (``Nom de naissance`` → ``birth_name``)."""
    tokens = header_tokens(header)
    if not tokens:
        return None
    if tokens in {("IPP",), ("NIP",), ("ID",), ("IDENTIFIANT",)}:
        return "mpi_id"
    if any(t in {"NOM", "NAME", "LASTNAME", "SURNAME", "NOMNAISSANCE", "NOMUSAGE", "NOMJF",
                 "NOMMARITAL", "NOMUSUEL", "NOMFAMILLE", "PATRONYME"} for t in tokens) and not any(
            t in {"PRENOM", "PRENOMS", "FIRSTNAME"} for t in tokens):
        if any(t in _USED_NAME_WORDS for t in tokens):
            return "last_name"
        if any(t in _BIRTH_NAME_WORDS for t in tokens):
            return "birth_name"
    label = header_label(tokens)
    if label == "PERSON" and "PRENOM" not in tokens and "NOM" in tokens:
        return "last_name"
    return _LABEL_FIELDS.get(label or "")


def parse_mapping(pairs: list[str]) -> dict[str, str]:
    """``["N° patient=mpi_id", "Portable=phone"]`` → ``{header: field}``."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        column, sep, target = pair.rpartition("=")
        target = target.strip().lower()
        if not sep or not column.strip():
            raise MpiError(f"--map expects COLUMN=FIELD, got {pair!r}")
        if target not in FIELDS:
            raise MpiError(f"unknown field {target!r} in --map: choose one of {', '.join(FIELDS)}")
        mapping[column.strip()] = target
    return mapping


@dataclass(slots=True)
class MpiRow:
    mpi_id: str
    last_name: str | None = None
    birth_name: str | None = None
    first_name: str | None = None
    birth_date: str | None = None
    sex: str | None = None
    nir: str | None = None
    address: str | None = None
    postal_code: str | None = None
    city: str | None = None
    phone: str | None = None
    email: str | None = None
    extra_phones: list[str] = field(default_factory=list)


def read_mpi(path: Path, overrides: dict[str, str] | None = None
             ) -> tuple[list[MpiRow], dict[str, str]]:
    """The index rows and the mapping used (header → field)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise MpiError(f"cannot read {path}: {exc.strerror}") from None
    text, _encoding = decode_bytes(data)
    delimiter = choose_delimiter(text[:256 * 1024]) or ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, None)
    if not header:
        raise MpiError(f"{path} is empty")
    header = [h.strip() for h in header]
    overrides = overrides or {}
    unknown = [c for c in overrides if c not in header]
    if unknown:
        raise MpiError(f"--map names columns not in {path.name}: {', '.join(unknown)}")
    mapping: dict[str, str] = {}
    columns: dict[str, list[int]] = defaultdict(list)
    for i, h in enumerate(header):
        target = overrides.get(h) or guess_field(h)
        if target and target != "ignore":
            if target not in ("phone",) and columns[target]:
                continue  # first column wins; phones may be several (fixe, portable)
            mapping[h] = target
            columns[target].append(i)
    if not ({"nir", "mpi_id"} & columns.keys()) and not (
            {"first_name", "birth_date"} <= columns.keys()
            and ({"last_name", "birth_name"} & columns.keys())):
        raise MpiError(f"no usable identity columns recognised in {path.name} "
                       "(give them with --map COLUMN=FIELD)")
    rows: list[MpiRow] = []
    for n, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue

        def cell(name: str, cells: list[str] = cells) -> str | None:
            for i in columns.get(name, ()):
                if i < len(cells) and cells[i].strip():
                    return cells[i].strip()
            return None

        phones = []
        for i in columns.get("phone", ()):
            if i < len(cells) and (p := normalize_phone(cells[i])):
                phones.append(p)
        raw_dob = cell("birth_date")
        raw_cp = cell("postal_code")
        raw_sex = cell("sex")
        raw_nir = cell("nir")
        raw_mail = cell("email")
        rows.append(MpiRow(
            mpi_id=cell("mpi_id") or f"row {n}",
            last_name=cell("last_name"), birth_name=cell("birth_name"),
            first_name=cell("first_name"),
            birth_date=parse_date(raw_dob, allow_compact=True) if raw_dob else None,
            sex=normalize_sex(raw_sex) if raw_sex else None,
            nir=normalize_nir(raw_nir) if raw_nir else None,
            address=cell("address"),
            postal_code=(normalize_postal_code(raw_cp, pad=True) or raw_cp) if raw_cp else None,
            city=cell("city"), phone=phones[0] if phones else None,
            email=normalize_email(raw_mail) if raw_mail else None,
            extra_phones=phones[1:],
        ))
    return rows, mapping


# --------------------------------------------------------------------------- matching


@dataclass(slots=True)
class _Person:
    person_id: str
    role: str | None
    last_name: str | None
    first_name: str | None
    birth_date: str | None
    nir: str | None
    last_names: set[str]
    first_names: set[str]
    birth_dates: set[str]
    nirs: set[str]
    patient_ids: set[str]


@dataclass(slots=True)
class LinkSummary:
    n_people: int
    n_matched: int
    n_patients: int
    n_patients_matched: int
    n_mpi: int
    n_mpi_matched: int
    by_method: dict[str, int]
    unmatched_path: Path
    mapping: dict[str, str]


def _swap(d: str) -> str | None:
    y, m, day = d[:4], d[5:7], d[8:10]
    if m == day or int(day) > 12:
        return None
    return f"{y}-{day}-{m}"


def _first_keys(name: str | None) -> set[str]:
    """Folded first name and its first part (``Jean-Pierre`` → ``JEAN PIERRE``, ``JEAN``)."""
    if not name:
        return set()
    f = fold(name)
    return {f, f.split(" ")[0]} if f else set()


def _last_keys(name: str | None) -> set[str]:
    """Folded last name; ``DUPONT épouse MARTIN`` and ``DUPONT-MARTIN`` give each part too."""
    if not name:
        return set()
    f = fold(name)
    keys = {f}
    for sep in (" EPOUSE ", " EP ", " NEE ", " VEUVE ", " DIVORCEE "):
        if sep in f:
            keys.update(p.strip() for p in f.split(sep) if p.strip())
    parts = f.split(" ")
    if len(parts) == 2:
        keys.update(parts)
    return keys


def _load_people(db: duckdb.DuckDBPyConnection) -> list[_Person]:
    rows = db.execute(
        """
        SELECT p.person_id, p.role, p.last_name, p.first_name, p.birth_date, p.nir,
               list(DISTINCT r.last_name) FILTER (WHERE r.last_name IS NOT NULL),
               list(DISTINCT r.first_name) FILTER (WHERE r.first_name IS NOT NULL),
               list(DISTINCT r.birth_date) FILTER (WHERE r.birth_date IS NOT NULL),
               list(DISTINCT r.nir) FILTER (WHERE r.nir IS NOT NULL),
               list(DISTINCT r.patient_id) FILTER (WHERE r.patient_id IS NOT NULL)
        FROM people p
        LEFT JOIN person_records pr USING (person_id)
        LEFT JOIN records r USING (record_id)
        GROUP BY ALL ORDER BY p.person_id
        """
    ).fetchall()
    people = []
    for pid, role, last, first, dob, nir, lasts, firsts, dobs, nirs, ipps in rows:
        last_names: set[str] = set()
        for n in [last, *(lasts or [])]:
            last_names |= _last_keys(n)
        first_names: set[str] = set()
        for n in [first, *(firsts or [])]:
            first_names |= _first_keys(n)
        people.append(_Person(
            pid, role, last, first, dob, nir, last_names, first_names,
            {d for d in [dob, *(dobs or [])] if d}, {x for x in [nir, *(nirs or [])] if x},
            {str(x).strip() for x in (ipps or []) if str(x).strip()},
        ))
    return people


def match(people: list[_Person], mpi: list[MpiRow]) -> dict[str, tuple[str, str, float]]:
    """person_id → (mpi_id, method, score)."""
    by_nir: dict[str, set[int]] = defaultdict(set)
    by_ipp: dict[str, set[int]] = defaultdict(set)
    by_dob: dict[str, set[int]] = defaultdict(set)
    for i, row in enumerate(mpi):
        if row.nir:
            by_nir[row.nir].add(i)
        if not row.mpi_id.startswith("row "):
            by_ipp[row.mpi_id.strip()].add(i)
        # A default birth date (01/01/1900...) is no date: a name alone is no match.
        if row.birth_date and not is_placeholder_birth_date(row.birth_date):
            by_dob[row.birth_date].add(i)
    lasts = [_last_keys(r.last_name) | _last_keys(r.birth_name) for r in mpi]
    firsts = [_first_keys(r.first_name) for r in mpi]

    links: dict[str, tuple[str, str, float]] = {}
    for person in people:
        found: tuple[str, set[int]] | None = None
        cands = set().union(*(by_nir.get(n, set()) for n in person.nirs)) if person.nirs else set()
        if cands:
            found = ("nir", cands)
        if found is None and person.patient_ids:
            cands = {i for ipp in person.patient_ids for i in by_ipp.get(ipp, ())
                     if not (mpi[i].birth_date and person.birth_dates
                             and mpi[i].birth_date not in person.birth_dates)}
            if cands:
                found = ("ipp", cands)
        if found is None and person.birth_dates:
            # (by_dob holds no placeholder date: resolve.placeholders)
            exact = {i for d in person.birth_dates for i in by_dob.get(d, ())}
            swapped = {i for d in person.birth_dates if (s := _swap(d))
                       for i in by_dob.get(s, ())}
            pl, pf = person.last_names, person.first_names
            for method, pool, swap_names in (
                ("name_birth_date", exact, False),
                ("name_birth_date_swapped", swapped, False),
                ("name_swapped", exact, True),
            ):
                want_last, want_first = (pf, pl) if swap_names else (pl, pf)
                cands = {i for i in pool if lasts[i] & want_last and firsts[i] & want_first}
                if cands:
                    found = (method, cands)
                    break
        if found is None:
            continue
        method, cands = found
        ids = {mpi[i].mpi_id for i in cands}
        if len(ids) == 1:
            links[person.person_id] = (ids.pop(), method, SCORES[method])
    return links


def link(case: Case, mpi_path: Path, overrides: dict[str, str] | None = None, *,
         password: str | None = None) -> LinkSummary:
    """Read the index, match, store ``mpi_people`` and ``mpi_links``, write the unmatched
    people to ``CASE/mpi_unmatched.csv`` (it holds names: it stays in the case directory,
    owner-only; with ``password``, the case key of an encrypted case, as
    ``mpi_unmatched.csv.7z`` encrypted, built in memory: see :mod:`breachscope.outputs`)."""
    rows, mapping = read_mpi(mpi_path, overrides)
    db = case.db
    people = _load_people(db)
    links = match(people, rows)
    unique: dict[str, MpiRow] = {}
    for row in rows:
        unique.setdefault(row.mpi_id, row)
    with case.transaction():
        db.execute("DELETE FROM mpi_links")
        db.execute("DELETE FROM mpi_people")
        if unique:
            db.executemany(
                "INSERT INTO mpi_people VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [[r.mpi_id, r.last_name, r.birth_name, r.first_name, r.birth_date, r.sex,
                  r.nir, r.address, r.postal_code, r.city, r.phone, r.email]
                 for r in unique.values()],
            )
        if links:
            db.executemany("INSERT INTO mpi_links VALUES (?, ?, ?, ?)",
                           [[pid, *v] for pid, v in sorted(links.items())])
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(["person_id", "role", "last_name", "first_name", "birth_date", "nir"])
    for p in people:
        if p.person_id not in links:
            writer.writerow([p.person_id, p.role, p.last_name, p.first_name, p.birth_date,
                             p.nir])
    if password is not None:  # a clear list left by an earlier --plaintext-output run
        (case.dir / UNMATCHED_FILE).unlink(missing_ok=True)
    unmatched_path = protected_file(case.dir / UNMATCHED_FILE,
                                    buffer.getvalue().encode("utf-8"), password=password)
    by_method: dict[str, int] = defaultdict(int)
    for _mpi_id, method, _score in links.values():
        by_method[method] += 1
    patients = [p for p in people if p.role == "PATIENT"]
    return LinkSummary(
        n_people=len(people), n_matched=len(links), n_patients=len(patients),
        n_patients_matched=sum(1 for p in patients if p.person_id in links),
        n_mpi=len(unique), n_mpi_matched=len({v[0] for v in links.values()}),
        by_method=dict(sorted(by_method.items())), unmatched_path=unmatched_path,
        mapping=mapping,
    )
