"""``breachscope notify-cnil``: the CNIL notification draft (GDPR Art. 33) and the ARS / CERT
Santé incident declaration (Public Health Code L.1111-8-2), each as ``.json`` (validated by
the schema the project ships), ``.md`` and ``.html`` (self-contained: inline CSS, no script).

Pre-filled from the case (counts only: never a name, an identifier or a file path) and from
the organisation file; every field only a person can fill is marked in the text ("À
COMPLÉTER : ..." / "TO BE FILLED: ...") and listed in the JSON's ``to_fill``. The documents
are built as JSON first; the text views are made from the JSON, so they cannot disagree."""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jsonschema
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from breachscope.case import Case
from breachscope.notify import cnil_text as tx
from breachscope.notify.cnil_facts import gather_facts
from breachscope.notify.cnil_views import (
    ARS_NAME,
    CNIL_NAME,
    ars_view,
    cnil_view,
    files_text,
    fmt_bytes,
    fmt_int,
    label_of,
    or_none,
    text_lines,
)
from breachscope.notify.organisation import Organisation, OrganisationError
from breachscope.outputs import private_dir, write_private_text

FORMAT_VERSION = 1
DEADLINE = dt.timedelta(hours=72)


class DraftSchemaError(RuntimeError):
    """A draft the code built does not match its schema: a bug, never the user's fault."""


# --- small helpers -------------------------------------------------------------------------

@cache
def load_schema(name: str) -> dict[str, Any]:
    """The shipped JSON Schema ``name`` (``cnil-notification`` or ``ars-declaration``)."""
    text = (resources.files("breachscope.data") / "schemas" / f"{name}.schema.json"
            ).read_text(encoding="utf-8")
    return json.loads(text)


def validate(document: dict[str, Any], name: str) -> None:
    """Raise :class:`DraftSchemaError` if ``document`` does not match schema ``name``."""
    schema = load_schema(name)
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path) or "(root)"
        # the message names the failing keyword, not the value (the value is a figure or an
        # organisation field: no identifier, but keep error messages content-free anyway)
        raise DraftSchemaError(f"{name}: {len(errors)} schema error(s), first at {where}: "
                               f"{errors[0].validator} {errors[0].validator_value!r:.80}")


def parse_when(text: str, field: str) -> dt.datetime | None:
    """A date of the organisation file: ``YYYY-MM-DD[ HH:MM]`` (ISO) or ``DD/MM/YYYY[ HH:MM]``.
    Empty → None; anything else is the user's error (the 72-hour deadline depends on it)."""
    text = text.strip()
    if not text:
        return None
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        pass
    else:
        if when.tzinfo is not None:  # an explicit offset: the same instant, in Paris time
            when = when.astimezone(_paris()) if _paris() else when
        return when.replace(tzinfo=None)
    for fmt in ("%d/%m/%Y %H:%M", "%d/%m/%Y %Hh%M", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise OrganisationError(f"{field}: not a date (expected YYYY-MM-DD HH:MM)")


# --- the JSON documents --------------------------------------------------------------------

def _dates(org: Organisation, now: dt.datetime) -> dict[str, Any]:
    incident = parse_when(org.incident_date, "incident_date")
    discovery = parse_when(org.discovery_date, "discovery_date")
    dates: dict[str, Any] = {"incident": None, "discovery": None, "deadline_72h": None,
                             "deadline_passed": None, "reasons_for_delay": None}
    if incident is not None:
        dates["incident"] = _iso(incident, org.incident_date)
    if discovery is not None:
        # a date alone counts from 00:00: the earliest deadline it can mean
        dates["discovery"] = _iso(discovery, org.discovery_date)
        deadline = deadline_72h(discovery)
        dates["deadline_72h"] = deadline.isoformat(timespec="minutes")
        dates["deadline_passed"] = now > deadline
    return dates


def _iso(when: dt.datetime, text: str) -> str:
    """``when`` as ISO text, with its time only when the organisation file gave one."""
    return when.isoformat(timespec="minutes") if ":" in text or "h" in text \
        else when.date().isoformat()


@cache
def _paris() -> ZoneInfo | None:
    try:
        return ZoneInfo("Europe/Paris")
    except ZoneInfoNotFoundError:  # no time-zone database: wall-clock arithmetic
        return None


def _now_paris() -> dt.datetime:
    """Now as a French wall-clock time (the dates of the organisation file are French)."""
    return dt.datetime.now(_paris()).replace(tzinfo=None, microsecond=0)


def deadline_72h(discovery: dt.datetime) -> dt.datetime:
    """72 elapsed hours after ``discovery`` (a French wall-clock time), as a French wall-clock
    time: across a daylight-saving change that is 71 or 73 hours on the clock, not 3 days."""
    paris = _paris()
    if paris is None:
        return discovery + DEADLINE
    start = discovery.replace(tzinfo=paris).astimezone(dt.UTC)
    return (start + DEADLINE).astimezone(paris).replace(tzinfo=None)


def _consequences(facts: dict[str, Any], lang: str) -> list[dict[str, str]]:
    cats = facts["categories"]
    roles = facts["people"]["by_role"]
    codes: list[str] = []
    if cats.get("CONTACT", {}).get("people"):
        codes.append("phishing")
    if cats.get("NATIONAL_ID", {}).get("people") or (
            cats.get("IDENTITY", {}).get("people") and cats.get("CONTACT", {}).get("people")):
        codes.append("identity_fraud")
    if cats.get("HEALTH", {}).get("people"):
        codes += ["medical_secrecy", "extortion"]
    if facts["sensitive"]["people"] or facts["sensitive"]["undecided"]:
        codes.append("discrimination")
    if cats.get("FINANCIAL", {}).get("people"):
        codes.append("financial_fraud")
    if cats.get("CREDENTIALS", {}).get("people") or facts["entities"].get("CREDENTIAL"):
        codes.append("account_takeover")
    if sum(facts["people"]["minors"].values()):
        codes.append("minors")
    if roles.get("STAFF"):
        codes.append("staff")
    return [{"code": c, "text": tx.CONSEQUENCES[lang][c]} for c in codes]


def _tool_measures(facts: dict[str, Any], lang: str) -> list[str]:
    files, people = facts["files"], facts["people"]
    version = facts.get("version") or ""
    linkage = label_of(tx.LINKAGE, lang, people.get("linkage") or "exact")
    size = fmt_bytes(files["bytes"], lang)
    high = facts["severity"]["high_or_above"]
    if lang == "fr":
        out = [
            f"Analyse hors ligne de la copie des données divulguées avec breachscope {version} : "
            f"{files_text(files['total'], lang)} ({size}) "
            f"{'lus et parcourus' if files['total'] > 1 else 'lu et parcouru'} à la recherche de "
            "données personnelles et de santé.",
            f"Personnes rapprochées entre les fichiers {linkage}, puis dénombrées par rôle, par "
            "catégorie de données et par soins sensibles.",
            "Évaluation de la gravité pour chaque personne selon la méthode ENISA (2013).",
        ]
        if high:
            out.append(f"Les {fmt_int(high, lang)} personnes à informer (gravité élevée ou très "
                       "élevée) sont identifiées pour l'envoi des courriers prévus à l'article 34 "
                       "du RGPD." if high > 1 else "La personne à informer (gravité élevée ou "
                       "très élevée) est identifiée pour l'envoi du courrier prévu à l'article "
                       "34 du RGPD.")
        return out
    out = [
        f"Offline analysis of the copy of the disclosed data with breachscope {version}: "
        f"{files_text(files['total'], lang)} ({size}) read and searched for personal and health "
        "data.",
        f"People matched across files {linkage}, then counted by role, data category and "
        "sensitive care.",
        "Severity assessed for each person with the ENISA (2013) method.",
    ]
    if high:
        out.append(f"The {fmt_int(high, lang)} people to inform (high or very high severity) "
                   "are listed for the letters of GDPR Art. 34." if high > 1 else "The person "
                   "to inform (high or very high severity) is listed for the letter of GDPR "
                   "Art. 34.")
    return out


def _limits(facts: dict[str, Any], lang: str) -> list[str]:
    fr = lang == "fr"
    out: list[str] = []
    for status, n in facts["files"]["not_read"].items():
        label = label_of(tx.STATUSES, lang, status)
        out.append(f"{label.capitalize()} : {fmt_int(n, lang)} — leur contenu n'est pas "
                   "compté." if fr else f"{label.capitalize()}: {fmt_int(n, lang)} — their "
                   "content is not counted.")
    if facts["people"]["unresolved"]:
        n = fmt_int(facts["people"]["unresolved"], lang)
        out.append(f"{n} personne(s) connue(s) seulement par une mention (nom seul) non "
                   "rattachée à une personne identifiée : comptées, mais non joignables en "
                   "l'état." if fr else f"{n} person(s) known only by a mention (a surname "
                   "alone) not matched to an identified person: counted, not reachable as is.")
    if facts["sensitive"]["undecided"]:
        n = fmt_int(facts["sensitive"]["undecided"], lang)
        out.append(f"{n} personne(s) prise(s) en charge dans une unité dont le code n'a pu être "
                   "décodé : soins sensibles non exclus, à vérifier." if fr else
                   f"{n} person(s) cared for in a unit whose code could not be decoded: "
                   "sensitive care not ruled out, to be checked.")
    out.extend(_quality_control(facts.get("quality_control"), lang))
    out.append("Les nombres de personnes sont approchés : une même personne présente dans "
               "plusieurs fichiers est comptée une fois lorsque ses données concordent." if fr
               else "Numbers of people are approximate: a person found in several files is "
               "counted once when the data agree.")
    out.append("Seules les données de la copie analysée sont comptées ; des données exfiltrées "
               "mais non publiées ne le sont pas." if fr else "Only the data of the copy "
               "analysed are counted; data stolen but not published are not.")
    return out


def _quality_control(qc: dict[str, Any] | None, lang: str) -> list[str]:
    """The reviewers' sampled estimate (``breachscope qc``, docs/review.md) as method lines."""
    fr = lang == "fr"
    if not qc:
        return ["Aucun contrôle qualité par échantillon n'a encore été fait (breachscope qc)."
                if fr else "No quality control by sampling has been done yet (breachscope qc)."]
    labels = {
        "miss_rate": ("Taux d'oubli estimé sur les fichiers où rien de personnel n'a été "
                      "trouvé", "Estimated miss rate in the files where nothing personal was "
                      "found"),
        "row_miss_rate": ("Taux d'oubli estimé sur les lignes de tables rattachées à personne",
                          "Estimated miss rate in the table rows attached to no one"),
        "false_positive_rate": ("Taux de faux positifs estimé sur ce qui a été trouvé",
                                "Estimated false-positive rate in what was found"),
    }
    out = []
    for key, (label_fr, label_en) in labels.items():
        r = qc.get(key) or {}
        if not r.get("n"):
            continue
        pct = [f"{100 * r[x]:.1f}".replace(".", "," if fr else ".") + " %"
               for x in ("estimate", "low", "high")]
        out.append(f"{label_fr} : {r['k']} sur {r['n']} examinés, {pct[0]} (intervalle de "
                   f"confiance à 95 % de Wilson : {pct[1]} à {pct[2]})." if fr else
                   f"{label_en}: {r['k']} of {r['n']} reviewed, {pct[0]} (95 % Wilson "
                   f"confidence interval: {pct[1]} to {pct[2]}).")
    return out


def _measures(facts: dict[str, Any], org: Organisation, lang: str) -> dict[str, Any]:
    return {"taken": text_lines(org.measures_taken), "planned": text_lines(org.measures_planned),
            "by_breachscope": _tool_measures(facts, lang)}


def _delta(prev: dict[str, Any], cur: dict[str, Any]) -> dict[str, Any]:
    def one(a: Any, b: int) -> dict[str, int]:
        a = a if isinstance(a, int) else 0
        return {"previous": a, "current": b, "change": b - a}

    prev_roles = prev.get("people", {}).get("by_role", {}) or {}
    roles = sorted(set(prev_roles) | set(cur["people"]["by_role"]))
    return {
        "previous_generated_at": prev.get("generated_at"),
        "people": one(prev.get("people", {}).get("total"), cur["people"]["total"]),
        "people_by_role": {r: one(prev_roles.get(r), cur["people"]["by_role"].get(r, 0))
                           for r in roles},
        "records": one(prev.get("records", {}).get("total"), cur["records"]["total"]),
        "sensitive_people": one(prev.get("sensitive_data", {}).get("sensitive_people"),
                                cur["sensitive_data"]["sensitive_people"]),
        "high_or_above": one(prev.get("severity", {}).get("high_or_above"),
                             cur["severity"]["high_or_above"]),
        "files": one(prev.get("nature", {}).get("files", {}).get("total"),
                     cur["nature"]["files"]["total"]),
    }


def _header(kind: str, lang: str, now: dt.datetime, facts: dict[str, Any]) -> dict[str, Any]:
    return {"document": kind, "format_version": FORMAT_VERSION, "lang": lang,
            "generated_at": now.isoformat(timespec="seconds"),
            "generator": f"breachscope {facts.get('version') or ''}".strip()}


def build_cnil(facts: dict[str, Any], org: Organisation, *, complementary: bool, lang: str,
               previous: dict[str, Any] | None = None,
               now: dt.datetime | None = None) -> dict[str, Any]:
    """The CNIL notification as JSON (the keys of the online form; see docs/notification.md)."""
    now = now or _now_paris()
    people = facts["people"]
    minors = people["minors"]
    dates = _dates(org, now)
    doc: dict[str, Any] = _header(CNIL_NAME, lang, now, facts)
    doc |= {
        "notification": {"type": "complementary" if complementary else "initial",
                         "initial_reference": None, "previous_generated_at": None},
        "organisation": {"name": or_none(org.name), "siren": or_none(org.siren),
                         "address": or_none(org.address),
                         "legal_representative": or_none(org.legal_representative),
                         "sector": "health"},
        "contact": {"name": or_none(org.dpo_name), "email": or_none(org.dpo_email),
                    "phone": or_none(org.dpo_phone), "address": or_none(org.dpo_address)},
        "dates": dates,
        "nature": {
            "breach_types": ["confidentiality"],
            "published": True,
            "other_breach_types": None,
            "circumstances": None,
            "files": {k: facts["files"][k] for k in
                      ("total", "bytes", "with_personal_data", "by_type", "by_doc_class")},
            "period": facts["period"],
            "waves": facts["waves"]["count"] if facts["waves"] else None,
            "last_wave": facts["waves"]["last"] if facts["waves"] else None,
        },
        "people": {"total": people["total"], "identified": people["identified"],
                   "unresolved": people["unresolved"], "by_role": people["by_role"],
                   "minors": sum(minors.values()), "minors_by_role": minors,
                   "vulnerable": bool(people["by_role"].get("PATIENT") or sum(minors.values()))},
        "records": {"total": facts["records"]},
        "data_categories": [
            {"code": code, "label": label_of(tx.CATEGORIES, lang, code), "people": v["people"],
             "by_role": v["by_role"]}
            for code, v in facts["categories"].items()
        ],
        "data_kinds": [
            {"entity": e, "label": label_of(tx.ENTITIES, lang, e), "occurrences": v["findings"],
             "distinct_values": v["distinct_values"]}
            for e, v in facts["entities"].items()
        ],
        "nir_people": facts["nir_people"],
        "sensitive_data": {
            "health_people": facts["sensitive"]["health_people"],
            "sensitive_people": facts["sensitive"]["people"],
            "by_category": facts["sensitive"]["by_category"],
            "undecided": facts["sensitive"]["undecided"],
        },
        "likely_consequences": _consequences(facts, lang),
        "measures": _measures(facts, org, lang),
        "severity": {"method": "ENISA 2013", "by_level": facts["severity"]["by_level"],
                     "high_or_above": facts["severity"]["high_or_above"]},
        "information_of_people": {
            "required": facts["severity"]["high_or_above"] > 0,
            "people": facts["severity"]["high_or_above"],
            "by_role": facts["severity"]["high_or_above_by_role"],
            "means": None, "date": None,
        },
        "method": {"tool": doc["generator"], "linkage": people.get("linkage"),
                   "files_not_read": facts["files"]["not_read"],
                   "limits": _limits(facts, lang)},
        "since_previous": None,
    }
    if complementary and previous is not None:
        doc["notification"]["previous_generated_at"] = previous.get("generated_at")
        doc["since_previous"] = _delta(previous, doc)
    fill = [
        path for path, value in (
            ("organisation.name", org.name), ("organisation.siren", org.siren),
            ("organisation.address", org.address),
            ("organisation.legal_representative", org.legal_representative),
            ("contact.name", org.dpo_name), ("contact.email", org.dpo_email),
            ("contact.phone", org.dpo_phone), ("dates.incident", org.incident_date),
            ("dates.discovery", org.discovery_date),
        ) if not value.strip()
    ]
    if complementary:
        fill.insert(0, "notification.initial_reference")
    if dates["deadline_passed"] and not complementary:
        fill.append("dates.reasons_for_delay")
    fill += ["nature.circumstances", "nature.other_breach_types"]
    fill += [p for p, v in (("measures.taken", org.measures_taken),
                            ("measures.planned", org.measures_planned)) if not v.strip()]
    if doc["information_of_people"]["required"]:
        fill += ["information_of_people.means", "information_of_people.date"]
    doc["to_fill"] = fill
    return doc


def build_ars(facts: dict[str, Any], org: Organisation, *, complementary: bool, lang: str,
              now: dt.datetime | None = None) -> dict[str, Any]:
    """The ARS / CERT Santé declaration of a serious information-system incident as JSON."""
    now = now or _now_paris()
    people = facts["people"]
    dates = _dates(org, now)
    doc: dict[str, Any] = _header(ARS_NAME, lang, now, facts)
    doc |= {
        "declaration": {"type": "complementary" if complementary else "initial"},
        "establishment": {"name": or_none(org.name), "finess": or_none(org.finess),
                          "siren": or_none(org.siren), "address": or_none(org.address),
                          "legal_representative": or_none(org.legal_representative)},
        "declarant": {"name": or_none(org.dpo_name), "email": or_none(org.dpo_email),
                      "phone": or_none(org.dpo_phone)},
        "dates": {"incident": dates["incident"], "discovery": dates["discovery"]},
        "incident": {"kind": "data_leak", "malicious": True, "data_published": True,
                     "description": None, "ongoing": None},
        "impact_on_care": {"description": None},
        "impact_on_data": {
            "confidentiality": True,
            "people": people["total"], "by_role": people["by_role"],
            "minors": sum(people["minors"].values()),
            "health_people": facts["sensitive"]["health_people"],
            "sensitive_people": facts["sensitive"]["people"],
            "sensitive_by_category": facts["sensitive"]["by_category"],
            "nir_people": facts["nir_people"], "records": facts["records"],
            "files": facts["files"]["total"], "bytes": facts["files"]["bytes"],
            "period": facts["period"],
            "high_or_above": facts["severity"]["high_or_above"],
        },
        "measures": _measures(facts, org, lang),
        "notifications": {"cnil_draft": CNIL_NAME + ".json", "cnil_date": None,
                          "complaint": None, "support_requested": None},
    }
    fill = [
        path for path, value in (
            ("organisation.name", org.name), ("organisation.finess", org.finess),
            ("organisation.address", org.address),
            ("declarant.name", org.dpo_name), ("declarant.email", org.dpo_email),
            ("declarant.phone", org.dpo_phone), ("dates.incident", org.incident_date),
            ("dates.discovery", org.discovery_date),
        ) if not value.strip()
    ]
    fill += ["incident.description", "incident.ongoing", "impact_on_care.description"]
    fill += [p for p, v in (("measures.taken", org.measures_taken),
                            ("measures.planned", org.measures_planned)) if not v.strip()]
    fill += ["notifications.cnil_date", "notifications.complaint",
             "notifications.support_requested"]
    # the JSON says "organisation" in the to-fill path of the establishment's fields, as the
    # organisation file does; the document key is "establishment"
    doc["to_fill"] = [p.replace("organisation.", "establishment.") for p in fill]
    return doc


@cache
def _env() -> Environment:
    return Environment(loader=PackageLoader("breachscope", "data/notify"),
                       autoescape=select_autoescape(["html.j2"], default=False),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                       keep_trailing_newline=True)


def render(view: dict[str, Any], fmt: str) -> str:
    """``view`` as Markdown (``fmt="md"``) or self-contained HTML (``fmt="html"``)."""
    return _env().get_template(f"draft.{fmt}.j2").render(doc=view)


# --- writing -------------------------------------------------------------------------------

def _previous(path: Path) -> dict[str, Any] | None:
    """The draft written before in this folder, if it is one of ours."""
    try:
        prev = json.loads(path.read_text(encoding="utf-8"))
        validate(prev, CNIL_NAME)
    except (OSError, ValueError, DraftSchemaError):
        return None
    return prev


def write_drafts(case: Case, output: Path, org: Organisation, *, complementary: bool = False,
                 lang: str = "fr") -> list[Path]:
    """Write the six drafts into ``output`` (owner-only) and return their paths."""
    if lang not in tx.MARKER:
        raise ValueError(f"unknown language {lang!r}")
    facts = gather_facts(case)
    now = _now_paris()
    previous = _previous(output / f"{CNIL_NAME}.json") if complementary else None
    docs = [
        (CNIL_NAME, build_cnil(facts, org, complementary=complementary, lang=lang,
                               previous=previous, now=now), cnil_view),
        (ARS_NAME, build_ars(facts, org, complementary=complementary, lang=lang, now=now),
         ars_view),
    ]
    for name, doc, _ in docs:
        validate(doc, name)  # before anything is written: a failure is a bug
    private_dir(output)
    written: list[Path] = []
    for name, doc, make_view in docs:
        view = make_view(doc)
        written.append(write_private_text(
            output / f"{name}.json", json.dumps(doc, indent=2, ensure_ascii=False) + "\n"))
        written.append(write_private_text(output / f"{name}.md", render(view, "md")))
        written.append(write_private_text(output / f"{name}.html", render(view, "html")))
    return written


__all__ = ["DraftSchemaError", "build_ars", "build_cnil", "load_schema",
           "validate", "write_drafts"]
