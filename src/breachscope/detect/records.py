"""Building a :class:`Record` (one person in one place) from the values of a table row."""

from __future__ import annotations

from collections.abc import Sequence

from breachscope.detect.model import Record
from breachscope.entities import SPECS


def _is_upper_word(word: str) -> bool:
    letters = word.replace("-", "").replace("'", "").replace("’", "")
    return len(letters) >= 2 and letters.isalpha() and letters.isupper()


def split_full_name(full_name: str) -> tuple[str | None, str | None]:
    """``(last, first)`` from a full name when the split is not a guess, else ``(None, None)``.

    ``DUPONT, Marie`` splits on the comma; otherwise the all-capitals words are the last name
    (French administrative habit): ``DUPONT Marie``, ``Jean-Pierre LE GALL``. ``Marie Dupont``
    or ``DUPONT MARIE`` are ambiguous and stay unsplit.
    """
    text = " ".join(full_name.split())
    if text.count(",") == 1:
        last, first = (part.strip() for part in text.split(","))
        return (last, first) if last and first else (None, None)
    words = text.split(" ")
    upper = [_is_upper_word(w) for w in words]
    if len(words) < 2 or all(upper) or not any(upper):
        return None, None
    first_upper, last_upper = upper.index(True), len(upper) - 1 - upper[::-1].index(True)
    if not all(upper[first_upper : last_upper + 1]):
        return None, None  # capitals not in one block: "Marie DUPONT Jeanne MARTIN"
    last = " ".join(words[first_upper : last_upper + 1])
    first = " ".join(w for w, u in zip(words, upper, strict=True) if not u)
    return last, first


# Which Record field each label's values fill (the entity registry's ``record_field``): one
# value per record, or a list (``PROCEDURE`` shares ``icd10_codes`` with ICD-10 codes).
_SINGLE_FIELDS = {e.value: s.record_field for e, s in SPECS.items()
                  if s.record_field and not s.record_list}
_LIST_FIELDS = {e.value: s.record_field for e, s in SPECS.items()
                if s.record_field and s.record_list}


def build_record(
    location: str, values: Sequence[tuple[str, Sequence[str]]], role_hint: str
) -> Record | None:
    """A record from ``(label, normalized values)`` pairs of one row (columns in order), or
    ``None`` when the row does not identify a person: it needs a NIR, a last and a first name,
    a full name, or one name part (only a first or only a last name) with another identifier
    (birth date, phone, e-mail, address, patient id): its e-mail and birth date still count,
    though its name alone never makes a person (see ``resolve/people.py``); or, without any
    name, an e-mail with a birth date or a phone. With several
    columns of one single-valued label (birth name and used name), the first filled one wins;
    several address columns (street number, street, locality) are joined in column order."""
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    entities: set[str] = set()
    address: list[str] = []
    for label, found in values:
        if not found:
            continue
        entities.add(label)
        if label in _LIST_FIELDS:
            target = multi.setdefault(_LIST_FIELDS[label], [])
            target.extend(v for v in found if v not in target)
        elif label == "ADDRESS":
            address.extend(v for v in found[:1] if v and v not in address)
        elif label in _SINGLE_FIELDS:
            single.setdefault(_SINGLE_FIELDS[label], found[0])
    if address:
        single["address"] = " ".join(address)
    full_name = single.get("full_name")
    if full_name and "last_name" not in single and "first_name" not in single:
        last, first = split_full_name(full_name)
        if last and first:
            single["last_name"], single["first_name"] = last, first
    identified = "nir" in single or ("last_name" in single and "first_name" in single)
    one_part = "last_name" in single or "first_name" in single
    other = any(k in single for k in ("birth_date", "address", "patient_id")) or bool(
        multi.get("phones") or multi.get("emails"))
    # No name at all, but an e-mail with a birth date or a phone (a sign-up export, a row
    # whose name cells are empty): that pair points at one person, and the linkage can join it
    # to the named records that share it. One contact alone (a list of e-mails) does not.
    contact_pair = bool(multi.get("emails")) and (
        "birth_date" in single or bool(multi.get("phones")))
    if not identified and full_name is None and not (one_part and other) and not contact_pair:
        return None
    return Record(location=location, role_hint=role_hint, entities=entities, **single, **multi)


def build_records(
    columns: Sequence[tuple[str, list[tuple[str, ...]]]], locations: Sequence[str],
    role_hint: str,
) -> list[Record]:
    """One record per row that identifies a person. ``columns`` holds, per labelled column
    in column order, its label and its normalized values row by row.

    :func:`build_record`'s rules, with what depends on the column only (which field a label
    fills) decided once per column instead of once per cell: a table has thousands of rows."""
    plan = [(label, *_field_of(label), values) for label, values in columns]
    records: list[Record] = []
    for r, location in enumerate(locations):
        single: dict[str, str] = {}
        multi: dict[str, list[str]] = {}
        entities: set[str] = set()
        address: list[str] = []
        for label, kind, name, values in plan:
            found = values[r]
            if not found:
                continue
            entities.add(label)
            if kind is _SINGLE:
                if name not in single:
                    single[name] = found[0]
            elif kind is _LIST:
                target = multi.get(name)
                if target is None:
                    multi[name] = list(dict.fromkeys(found))
                else:
                    target.extend(v for v in found if v not in target)
            elif kind is _ADDRESS and (v := found[0]) and v not in address:
                address.append(v)
        if not entities:
            continue
        if address:
            single["address"] = " ".join(address)
        if _identifies(single, multi):
            records.append(Record(location=location, role_hint=role_hint, entities=entities,
                                  **single, **multi))
    return records


_SINGLE, _LIST, _ADDRESS, _OTHER = "single", "list", "address", "other"


def _field_of(label: str) -> tuple[str, str | None]:
    """How :func:`build_record` files a label's values: (kind, Record field)."""
    if label in _LIST_FIELDS:
        return _LIST, _LIST_FIELDS[label]
    if label == "ADDRESS":
        return _ADDRESS, None
    if label in _SINGLE_FIELDS:
        return _SINGLE, _SINGLE_FIELDS[label]
    return _OTHER, None


def _identifies(single: dict[str, str], multi: dict[str, list[str]]) -> bool:
    """:func:`build_record`'s test of a row's values, the full name split into last and
    first name when neither is there (in place)."""
    full_name = single.get("full_name")
    if full_name and "last_name" not in single and "first_name" not in single:
        last, first = split_full_name(full_name)
        if last and first:
            single["last_name"], single["first_name"] = last, first
    if "nir" in single or ("last_name" in single and "first_name" in single):
        return True
    if full_name is not None:
        return True
    phones, emails = multi.get("phones"), multi.get("emails")
    if ("last_name" in single or "first_name" in single) and (
            "birth_date" in single or "address" in single or "patient_id" in single
            or phones or emails):
        return True
    return bool(emails) and ("birth_date" in single or bool(phones))
