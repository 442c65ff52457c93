"""The facts about the hospital that no scan can find: its name, SIREN and FINESS, its DPO,
the hotline, the legal representative. Read from a TOML file the DPO fills once
(``--organisation FILE``; an example ships as ``breachscope/data/organisation.example.toml``);
every field left empty is shown as "to be filled" in the drafts and letters."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from pathlib import Path


class OrganisationError(ValueError):
    """The organisation file cannot be read or holds unknown fields."""


@dataclass(slots=True)
class Organisation:
    name: str = ""  # "Centre hospitalier de ..."
    siren: str = ""
    finess: str = ""
    address: str = ""  # postal address, one line per line
    legal_representative: str = ""  # name and title of the director
    dpo_name: str = ""
    dpo_email: str = ""
    dpo_phone: str = ""
    dpo_address: str = ""
    hotline_phone: str = ""  # the number patients call
    hotline_hours: str = ""
    website: str = ""  # where the public communication is published
    incident_date: str = ""  # when the breach happened (YYYY-MM-DD), if known
    discovery_date: str = ""  # when the hospital became aware of it (YYYY-MM-DD HH:MM)
    measures_taken: str = ""  # free text, one measure per line
    measures_planned: str = ""
    signatory: str = ""  # who signs the letters

    def missing(self) -> list[str]:
        """Names of the fields still empty."""
        return [f.name for f in fields(self) if not getattr(self, f.name)]


def load_organisation(path: Path | None) -> Organisation:
    """The organisation described by ``path`` (TOML, keys as the fields above, flat or
    under an ``[organisation]`` table); an empty one when ``path`` is None."""
    if path is None:
        return Organisation()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise OrganisationError(f"cannot read {path}: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise OrganisationError(f"{path} is not valid TOML: {exc}") from None
    data = data.get("organisation", data)
    known = {f.name for f in fields(Organisation)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise OrganisationError(
            f"{path}: unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    bad = sorted(k for k, v in data.items() if not isinstance(v, str))
    if bad:
        raise OrganisationError(f"{path}: field(s) {', '.join(bad)} must be text")
    return Organisation(**{k: v.strip() for k, v in data.items()})
