"""The ground truth of a generated leak: who is in it, and the exact findings to expect.

Values are normalized as CONTRACT.md says (NIR 15 characters, PHONE E.164, EMAIL lower case,
IBAN upper case without spaces, dates ``YYYY-MM-DD``); files are named by contract paths
relative to the leak folder (``archives/sauvegarde_2022.zip!/exports/urgences_2022.zip!/...``).
Names are given in their canonical mixed case (``Le Gall``, ``Hélène``); the files may show them
upper-cased, so compare names folded (:func:`breachscope.demo.identifiers.fold_name`).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any


def _as_dict(obj: Any) -> dict[str, Any]:
    """A flat dataclass as a dict (``dataclasses.asdict`` deep-copies and is slow)."""
    return {f.name: getattr(obj, f.name) for f in fields(obj)}


CATEGORY_ORDER = ("IDENTITY", "CONTACT", "NATIONAL_ID", "HEALTH", "FINANCIAL", "CREDENTIALS")


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
    sensitive: bool = False  # placed in psychiatry or addiction care


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

    @property
    def n_people(self) -> int:
        return len(self.people)

    @property
    def counts(self) -> dict[str, int]:
        """People per role: ``{"PATIENT": 300, "STAFF": 40}``."""
        counts = Counter(p.role for p in self.people)
        return {role: counts[role] for role in ("PATIENT", "STAFF")}

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
