"""The ground truth of a generated leak: who is in it, and the exact findings to expect.

Values are normalized as CONTRACT.md says (NIR 15 characters, PHONE E.164, EMAIL lower case,
IBAN upper case without spaces, dates ``YYYY-MM-DD``); files are named by contract paths
relative to the leak folder (``archives/sauvegarde_2022.zip!/exports/urgences_2022.zip!/...``).
Names are given in their canonical mixed case (``Le Gall``, ``Hélène``); the files may show them
upper-cased, so compare names folded (:func:`breachscope.demo.identifiers.fold_name`).

A person's ``categories`` and ``sensitive`` flag are what the files expose about *them* once
tables are joined and letters attributed: a patient known only from a database backup has
``HEALTH`` through the stays and diagnoses that reference their IPP; a physician who signs a
letter gets none of its health facts; a staff member's service is a workplace, not care. Fields
added since the first version have defaults, so an older truth file still loads.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from breachscope.entities import CATEGORY_ORDER as _REGISTRY_ORDER


def _as_dict(obj: Any) -> dict[str, Any]:
    """A flat dataclass as a dict (``dataclasses.asdict`` deep-copies and is slow)."""
    return {f.name: getattr(obj, f.name) for f in fields(obj)}


CATEGORY_ORDER = tuple(_REGISTRY_ORDER)  # the registry's order (breachscope.entities)


@dataclass(slots=True)
class TruthPerson:
    """One person of the leak and what of them is exposed (only what the files show)."""

    truth_id: str
    role: str  # PATIENT or STAFF
    last_name: str
    first_name: str
    birth_date: str | None
    nir: str | None
    phones: list[str]
    emails: list[str]
    postal_code: str | None
    city: str | None
    categories: list[str]
    files: list[str]
    ibans: list[str] = field(default_factory=list)
    # Sensitive care shown about them, after joins: a psychiatric, addiction, sexual-health or
    # pregnancy-termination unit, a sensitive ICD-10 code, drug class or word in a letter.
    sensitive: bool = False
    # Why, one reason per distinct evidence: ``unit:PSYA``, ``unit:Psychiatrie adulte``,
    # ``icd10:F20.0``, ``drug:methadone``, ``word:IVG`` (sorted; empty when not sensitive).
    sensitive_reasons: list[str] = field(default_factory=list)
    # Files that hold facts about them reached only through keys (child tables of a split
    # export: ``mouvements.csv`` rows keyed by IPP); ``files`` are the files naming them.
    linked_files: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True, order=True)
class TruthFinding:
    """One expected finding: unique per (file, entity, value)."""

    file: str
    entity: str
    value: str


@dataclass(frozen=True, slots=True, order=True)
class Decoy:
    """A value that looks like an identifier but is not valid: it must NOT be a finding."""

    file: str
    entity: str
    value: str
    reason: str


@dataclass(frozen=True, slots=True, order=True)
class TruthOrphan:
    """A child row whose key matches no parent row anywhere in the leak (a stay whose IPP is
    in no patient table): kept and counted, attached to nobody. ``row`` is the row as the case
    names it: the 1-based row index within a SQL table, the physical line of a CSV file."""

    file: str
    table: str  # the SQL table, "" for a CSV file
    row: int
    column: str
    value: str


@dataclass(frozen=True, slots=True, order=True)
class TruthKeyLink:
    """An expected key link: ``child_file``/``child_table``.``child_column`` references
    ``parent_file``/``parent_table``.``parent_column`` (``declared`` when the dump declares
    it as a FOREIGN KEY; otherwise it must be inferred from the values)."""

    child_file: str
    child_table: str
    child_column: str
    parent_file: str
    parent_table: str
    parent_column: str
    declared: bool


@dataclass(frozen=True, slots=True, order=True)
class TruthUnit:
    """A care-unit code used in the leak: its label, its sensitive-care category (``None``
    when not sensitive) and whether the leak's unit table (``table``) lists it; a readable
    code absent from the table (``PSYA``) must be decoded from its letters."""

    code: str
    label: str
    sensitive: str | None
    in_table: bool
    table: str | None  # the unit table's file, when it lists the code


@dataclass(slots=True)
class TruthFile:
    """A file of the leak (archives included, ``container`` true) and what it holds."""

    file: str
    container: bool
    n_people: int
    n_findings: int


@dataclass(slots=True)
class Truth:
    seed: int
    reference_date: str
    people: list[TruthPerson]
    findings: list[TruthFinding]
    decoys: list[Decoy]
    files: list[TruthFile]
    # copy -> original: byte-identical files found at two paths (findings listed for both).
    duplicates: dict[str, str]
    # Relational shapes (added fields: a truth file without them loads with empty lists).
    orphan_rows: list[TruthOrphan] = field(default_factory=list)
    key_links: list[TruthKeyLink] = field(default_factory=list)
    units: list[TruthUnit] = field(default_factory=list)

    @property
    def n_people(self) -> int:
        return len(self.people)

    @property
    def counts(self) -> dict[str, int]:
        """People per role: ``{"PATIENT": 300, "STAFF": 40}``."""
        counts = Counter(p.role for p in self.people)
        return {role: counts[role] for role in ("PATIENT", "STAFF")}

    @property
    def n_orphan_rows(self) -> int:
        return len(self.orphan_rows)

    def finding_set(self) -> set[tuple[str, str, str]]:
        """``{(file, entity, value)}``, handy to compare with a scan's findings export."""
        return {(f.file, f.entity, f.value) for f in self.findings}

    def to_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "reference_date": self.reference_date,
            "n_people": self.n_people,
            "counts": self.counts,
            "people": [_as_dict(p) for p in self.people],
            "findings": [_as_dict(f) for f in self.findings],
            "decoys": [_as_dict(d) for d in self.decoys],
            "files": [_as_dict(f) for f in self.files],
            "duplicates": dict(self.duplicates),
            "n_orphan_rows": self.n_orphan_rows,
            "orphan_rows": [_as_dict(o) for o in self.orphan_rows],
            "key_links": [_as_dict(k) for k in self.key_links],
            "units": [_as_dict(u) for u in self.units],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Truth:
        return cls(
            seed=data["seed"],
            reference_date=data["reference_date"],
            people=[TruthPerson(**p) for p in data["people"]],
            findings=[TruthFinding(**f) for f in data["findings"]],
            decoys=[Decoy(**d) for d in data["decoys"]],
            files=[TruthFile(**f) for f in data["files"]],
            duplicates=dict(data["duplicates"]),
            orphan_rows=[TruthOrphan(**o) for o in data.get("orphan_rows", [])],
            key_links=[TruthKeyLink(**k) for k in data.get("key_links", [])],
            units=[TruthUnit(**u) for u in data.get("units", [])],
        )

    def save(self, path: Path) -> None:
        """Write the truth as JSON, one person / finding per line (readable, diffable, and
        fast: an indented dump of 20 000 people takes seconds)."""
        data = self.to_dict()
        parts = []
        for key, value in data.items():
            if isinstance(value, list) and value:
                items = ",\n  ".join(json.dumps(v, ensure_ascii=False) for v in value)
                parts.append(f"{json.dumps(key)}: [\n  {items}\n ]")
            else:
                parts.append(f"{json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}")
        Path(path).write_text("{\n " + ",\n ".join(parts) + "\n}\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Truth:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
