"""What the pages show of a value: masked by default (:mod:`breachscope.masking`), in full
only after a logged reveal; and why a person's records were merged."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from breachscope.detect.validators import fold
from breachscope.masking import (
    mask_birth_date,
    mask_email,
    mask_iban,
    mask_name,
    mask_nir,
    mask_partial,
    mask_phone,
    mask_value,
)

# How each record/person field is masked; fields not listed are shown as they are (a role,
# a care unit, a date of visit: not identifying alone).
_FIELD_MASKS = {
    "last_name": mask_name, "first_name": mask_name, "full_name": mask_name,
    "birth_date": mask_birth_date, "nir": mask_nir, "phones": mask_phone,
    "emails": mask_email, "address": mask_partial, "ibans": mask_iban,
    "patient_id": mask_partial,
}


def show(field: str, value: Any, revealed: bool) -> str:
    """A record or person field for display ("" when empty)."""
    if value is None or value == "" or value == []:
        return ""
    mask = None if revealed else _FIELD_MASKS.get(field)
    if isinstance(value, list):
        return ", ".join(str(mask(v) if mask else v) for v in value if v)
    return str(mask(str(value)) if mask else value)


def show_finding(entity: str, value: str | None, revealed: bool) -> str:
    if not value:
        return ""
    if revealed:
        return value
    try:
        return mask_value(entity, value)
    except Exception:  # an entity without a registered mask: the generic one
        return mask_partial(value)


def display_name(row: dict[str, Any], revealed: bool) -> str:
    name = " ".join(x for x in (row.get("last_name"), row.get("first_name")) if x)
    if not name:
        return "(no name)"
    return name if revealed else mask_name(name)


@dataclass(slots=True)
class SharedKey:
    """A value that several records of a person share: the reason they are one person."""
    kind: str
    shown: str
    records: list[str]


def shared_keys(records: list[dict[str, Any]], revealed: bool) -> list[SharedKey]:
    """The identifying values held by two or more of the records, strongest kind first:
    NIR, patient number, phone, e-mail, then folded name with birth date."""
    holders: dict[tuple[str, str], list[str]] = defaultdict(list)
    raw: dict[tuple[str, str], str] = {}

    def add(kind: str, key: str | None, shown: str, rid: str) -> None:
        if key:
            holders[(kind, key)].append(rid)
            raw[(kind, key)] = shown

    for r in records:
        rid = r["record_id"]
        add("NIR", r.get("nir"), show("nir", r.get("nir"), revealed), rid)
        add("patient number", r.get("patient_id"),
            show("patient_id", r.get("patient_id"), revealed), rid)
        for phone in r.get("phones") or []:
            add("phone", phone, show("phones", phone, revealed), rid)
        for email in r.get("emails") or []:
            add("e-mail", email.lower(), show("emails", email, revealed), rid)
        last, first, dob = r.get("last_name"), r.get("first_name"), r.get("birth_date")
        if last and first and dob:
            key = " ".join(sorted(fold(f"{last} {first}").split())) + "|" + dob
            add("name and birth date", key,
                f"{display_name(r, revealed)}, {show('birth_date', dob, revealed)}", rid)
        elif dob:
            add("birth date only", dob, show("birth_date", dob, revealed), rid)
    order = ["NIR", "patient number", "phone", "e-mail", "name and birth date",
             "birth date only"]
    out = [SharedKey(kind, raw[(kind, key)], sorted(set(rids)))
           for (kind, key), rids in holders.items() if len(set(rids)) > 1]
    out.sort(key=lambda s: (order.index(s.kind), -len(s.records), s.shown))
    return out


def unexplained(records: list[dict[str, Any]], keys: list[SharedKey]) -> list[str]:
    """Records that share no key with another: joined by the probabilistic linkage (similar
    names, a close birth date...), whose pair weights the case does not keep."""
    if len(records) < 2:
        return []
    linked = {rid for k in keys for rid in k.records}
    return [r["record_id"] for r in records if r["record_id"] not in linked]
