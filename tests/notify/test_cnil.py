"""`breachscope notify-cnil` on the scanned demo leak: the six drafts exist owner-only, the JSON
matches the shipped schema (and a broken one does not), the figures are the case's, the fields
to fill are those the organisation file leaves empty, the 72-hour deadline follows the
discovery date, English with --lang en, a complementary notification shows what changed, and
no identifier of the demo's truth appears in any draft."""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import json
import re
import stat
from pathlib import Path

import jsonschema
import pytest

from breachscope.case import Case
from breachscope.demo import fold_name
from breachscope.notify.cnil import (
    DraftSchemaError,
    deadline_72h,
    load_schema,
    parse_when,
    validate,
)

NAMES = ("cnil-notification", "ars-declaration")
SUFFIXES = (".json", ".md", ".html")
EMPTY_ORG_FILL = {
    "organisation.name", "organisation.siren", "organisation.address",
    "organisation.legal_representative", "contact.name", "contact.email", "contact.phone",
    "dates.incident", "dates.discovery", "measures.taken", "measures.planned",
}

ORG_TOML = """
[organisation]
name = "Centre hospitalier de Exemple-sur-Mer"
siren = "261234567"
finess = "590000000"
address = '''
1 rue de l'Hôpital
59000 Exemple-sur-Mer'''
legal_representative = "La directrice générale"
dpo_name = "Délégué à la protection des données"
dpo_email = "dpo@ch-exemple.invalid"
dpo_phone = "03 00 00 00 00"
incident_date = "2021-03-20"
discovery_date = "{discovery}"
measures_taken = '''
- Isolement des serveurs touchés
- Réinitialisation des mots de passe'''
"""


@pytest.fixture(scope="module")
def case(scanned_demo):
    """The session's scanned demo case (tests/conftest.py), read only here."""
    return scanned_demo


def org_file(tmp_path: Path, discovery: str = "2021-03-26 12:00") -> Path:
    path = tmp_path / "org.toml"
    path.write_text(ORG_TOML.format(discovery=discovery), encoding="utf-8")
    return path


def drafts(cli, case: Path, out: Path, *args: str | Path) -> dict[str, dict | str]:
    res = cli("notify-cnil", "--case", case, "-o", out, *args)
    assert res.exit_code == 0, res.output
    written = {Path(line.removeprefix("wrote ")).name for line in res.output.splitlines()}
    assert written == {n + s for n in NAMES for s in SUFFIXES}
    texts: dict[str, dict | str] = {}
    for name in NAMES:
        texts[name + ".json"] = json.loads((out / f"{name}.json").read_text(encoding="utf-8"))
        for suffix in (".md", ".html"):
            texts[name + suffix] = (out / f"{name}{suffix}").read_text(encoding="utf-8")
    return texts


@pytest.fixture(scope="module")
def empty_org(case, tmp_path_factory):
    from typer.testing import CliRunner

    from breachscope.cli import app

    out = tmp_path_factory.mktemp("cnil_empty") / "drafts"
    res = CliRunner().invoke(app, ["notify-cnil", "--case", str(case[0]), "-o", str(out)])
    assert res.exit_code == 0, res.output
    return out


def load(out: Path, name: str) -> dict:
    return json.loads((out / f"{name}.json").read_text(encoding="utf-8"))


def test_six_files_owner_only_and_valid(empty_org):
    assert stat.S_IMODE(empty_org.stat().st_mode) == 0o700
    for name in NAMES:
        for suffix in SUFFIXES:
            path = empty_org / f"{name}{suffix}"
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
        doc = load(empty_org, name)
        jsonschema.Draft202012Validator(load_schema(name)).validate(doc)
        html = (empty_org / f"{name}.html").read_text(encoding="utf-8")
        assert "<style>" in html
        # self-contained: no script, no external resource
        assert not re.search(r"<script|\b(?:src|href)\s*=|url\(", html, re.IGNORECASE)


@pytest.mark.parametrize("breakage", [
    lambda d: d["people"].__setitem__("total", -1),
    lambda d: d["people"].__setitem__("names", ["x"]),
    lambda d: d.pop("to_fill"),
    lambda d: d["notification"].__setitem__("type", "final"),
    lambda d: d["dates"].__setitem__("discovery", "yesterday"),
    lambda d: d["data_categories"][0].__setitem__("people", "many"),
])
def test_a_broken_draft_fails_the_schema(empty_org, breakage):
    doc = load(empty_org, "cnil-notification")
    validate(doc, "cnil-notification")  # the real one passes
    broken = copy.deepcopy(doc)
    breakage(broken)
    with pytest.raises(DraftSchemaError):
        validate(broken, "cnil-notification")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, load_schema("cnil-notification"),
                            cls=jsonschema.Draft202012Validator)
    ars = load(empty_org, "ars-declaration")
    ars["impact_on_data"]["people"] = -3
    with pytest.raises(DraftSchemaError):
        validate(ars, "ars-declaration")


def test_figures_are_the_case(case, empty_org):
    case_dir, _truth = case
    doc = load(empty_org, "cnil-notification")
    ars = load(empty_org, "ars-declaration")
    with Case(case_dir, create=False) as store:
        db = store.db
        by_role = dict(db.execute("SELECT role, count(*) FROM people GROUP BY 1").fetchall())
        total = db.execute("SELECT count(*) FROM people").fetchone()[0]
        records = db.execute("SELECT count(*) FROM records").fetchone()[0]
        nir = db.execute("SELECT count(*) FROM people WHERE nir <> ''").fetchone()[0]
        by_cat = dict(db.execute("SELECT c, count(*) FROM (SELECT unnest(categories) AS c "
                                 "FROM people) GROUP BY 1").fetchall())
        sensitive = db.execute("SELECT count(*) FROM people WHERE sensitive").fetchone()[0]
        high = db.execute("SELECT count(*) FROM people WHERE severity IN "
                          "('high', 'very high')").fetchone()[0]
        files = db.execute("SELECT count(*) FROM files").fetchone()[0]
        minors = db.execute("SELECT count(*) FROM people WHERE TRY_CAST(birth_date AS DATE) "
                            "> current_date - INTERVAL 18 YEAR").fetchone()[0]
    assert by_role.get("PATIENT", 0) > 100 and by_role.get("STAFF", 0) > 10
    assert doc["people"]["total"] == total == ars["impact_on_data"]["people"]
    assert doc["people"]["by_role"] == by_role == ars["impact_on_data"]["by_role"]
    assert doc["records"]["total"] == records == ars["impact_on_data"]["records"]
    assert doc["nir_people"] == nir == ars["impact_on_data"]["nir_people"] > 0
    assert {c["code"]: c["people"] for c in doc["data_categories"]} == by_cat
    assert doc["sensitive_data"]["sensitive_people"] == sensitive > 0
    assert doc["severity"]["high_or_above"] == high == doc["information_of_people"]["people"]
    assert doc["information_of_people"]["required"] is (high > 0)
    assert doc["nature"]["files"]["total"] == files
    assert doc["people"]["minors"] == minors > 0
    assert sum(doc["severity"]["by_level"].values()) == total
    # the text shows the same figures as the JSON
    md = (empty_org / "cnil-notification.md").read_text(encoding="utf-8")
    assert f"**Nombre approximatif de personnes** : {total}\n" in md
    assert f"**Patients** : {by_role['PATIENT']}\n" in md
    assert f"**Nombre approximatif d'enregistrements** : {records}\n" in md
    assert f"est divulgué** : {nir}\n" in md
    codes = {c["code"] for c in doc["likely_consequences"]}
    assert {"phishing", "identity_fraud", "medical_secrecy", "discrimination", "minors",
            "staff"} <= codes


def test_to_fill_empty_organisation(empty_org):
    doc = load(empty_org, "cnil-notification")
    assert set(doc["to_fill"]) >= EMPTY_ORG_FILL
    for path in doc["to_fill"]:
        section, key = path.split(".")
        assert doc[section][key] is None, path
    assert doc["dates"]["deadline_72h"] is None
    md = (empty_org / "cnil-notification.md").read_text(encoding="utf-8")
    html = (empty_org / "cnil-notification.html").read_text(encoding="utf-8")
    assert md.count("**À COMPLÉTER : ") == len(doc["to_fill"])
    assert html.count('<span class="fill">À COMPLÉTER : ') == len(doc["to_fill"])
    assert "**À COMPLÉTER : numéro SIREN**" in md
    ars = load(empty_org, "ars-declaration")
    assert {"establishment.finess", "declarant.name", "incident.description",
            "impact_on_care.description"} <= set(ars["to_fill"])
    for path in ars["to_fill"]:
        section, key = path.split(".")
        assert ars[section][key] is None, path
    ars_md = (empty_org / "ars-declaration.md").read_text(encoding="utf-8")
    assert ars_md.count("**À COMPLÉTER : ") == len(ars["to_fill"])


def test_to_fill_organisation_file_and_72_hours(case, cli, tmp_path):
    # discovered two days before the spring daylight-saving change: 72 elapsed hours end at
    # 13:00 on the clock, not 12:00
    texts = drafts(cli, case[0], tmp_path / "out", "--organisation", org_file(tmp_path))
    doc = texts["cnil-notification.json"]
    fill = set(doc["to_fill"])
    given = EMPTY_ORG_FILL - {"measures.planned"}
    assert not fill & given
    assert "measures.planned" in fill
    assert doc["organisation"]["siren"] == "261234567"
    assert doc["contact"]["email"] == "dpo@ch-exemple.invalid"
    assert doc["measures"]["taken"] == ["Isolement des serveurs touchés",
                                        "Réinitialisation des mots de passe"]
    assert doc["dates"]["discovery"] == "2021-03-26T12:00"
    assert doc["dates"]["deadline_72h"] == "2021-03-29T13:00"
    assert doc["dates"]["deadline_passed"] is True
    assert "dates.reasons_for_delay" in fill
    md = texts["cnil-notification.md"]
    assert "**Échéance des 72 heures** : 29/03/2021 à 13:00 (heure de Paris)" in md
    assert "**SIREN** : 261234567\n" in md
    assert "À COMPLÉTER : numéro SIREN" not in md
    assert "Centre hospitalier de Exemple-sur-Mer" in texts["ars-declaration.html"]
    ars = texts["ars-declaration.json"]
    assert ars["establishment"]["finess"] == "590000000"
    assert "establishment.finess" not in ars["to_fill"]

    later = drafts(cli, case[0], tmp_path / "later", "--organisation",
                   org_file(tmp_path, "2021-06-01 09:30"))["cnil-notification.json"]
    assert later["dates"]["deadline_72h"] == "2021-06-04T09:30"


@pytest.mark.parametrize(("text", "discovery", "deadline"), [
    ("2021-06-01 09:30", "2021-06-01 09:30", "2021-06-04 09:30"),
    ("01/06/2021 09h30", "2021-06-01 09:30", "2021-06-04 09:30"),
    ("2021-06-01T07:30+00:00", "2021-06-01 09:30", "2021-06-04 09:30"),  # UTC → Paris
    ("2021-06-01", "2021-06-01 00:00", "2021-06-04 00:00"),  # a date alone: from 00:00
    ("2021-10-29 12:00", "2021-10-29 12:00", "2021-11-01 11:00"),  # autumn: 1 h back
])
def test_72_hours_from_the_discovery_date(text, discovery, deadline):
    when = parse_when(text, "discovery_date")
    assert when == dt.datetime.fromisoformat(discovery)
    assert deadline_72h(when) == dt.datetime.fromisoformat(deadline)


def test_a_date_that_is_not_a_date_is_refused(case, cli, tmp_path):
    res = cli("notify-cnil", "--case", case[0], "-o", tmp_path / "out", "--organisation",
              org_file(tmp_path, "le 26 mars"))
    assert res.exit_code == 2
    assert "discovery_date" in res.output and "le 26 mars" not in res.output
    assert not (tmp_path / "out" / "cnil-notification.json").exists()


def test_english(case, cli, tmp_path):
    texts = drafts(cli, case[0], tmp_path / "en", "--lang", "en")
    for name in NAMES:
        assert texts[name + ".json"]["lang"] == "en"
        for suffix in (".md", ".html"):
            text = texts[name + suffix]
            assert "TO BE FILLED: " in text and "À COMPLÉTER" not in text
    assert texts["cnil-notification.md"].startswith(
        "# Personal data breach notification to the CNIL — draft")
    assert "**Approximate number of people**: " in texts["cnil-notification.md"]
    assert '<html lang="en">' in texts["ars-declaration.html"]


def test_complementary_shows_changes_since_the_previous_draft(case, cli, tmp_path):
    out = tmp_path / "out"
    first = drafts(cli, case[0], out)["cnil-notification.json"]
    assert first["notification"]["type"] == "initial"
    # pretend the initial notification counted fewer people (an earlier wave)
    earlier = copy.deepcopy(first)
    earlier["people"]["total"] -= 40
    earlier["people"]["by_role"]["PATIENT"] -= 40
    earlier["records"]["total"] -= 100
    validate(earlier, "cnil-notification")
    (out / "cnil-notification.json").write_text(json.dumps(earlier), encoding="utf-8")
    texts = drafts(cli, case[0], out, "--complementary")
    doc = texts["cnil-notification.json"]
    assert doc["notification"]["type"] == "complementary"
    assert doc["notification"]["previous_generated_at"] == first["generated_at"]
    delta = doc["since_previous"]
    assert delta["people"] == {"previous": first["people"]["total"] - 40,
                               "current": first["people"]["total"], "change": 40}
    assert delta["people_by_role"]["PATIENT"]["change"] == 40
    assert delta["people_by_role"]["STAFF"]["change"] == 0
    assert delta["records"]["change"] == 100
    assert "notification.initial_reference" in doc["to_fill"]
    total = first["people"]["total"]
    assert f"**Personnes** : {total - 40} → {total} (+40)" in texts["cnil-notification.md"]
    assert texts["ars-declaration.json"]["declaration"]["type"] == "complementary"
    # no previous draft: marked complementary, all current figures
    alone = drafts(cli, case[0], tmp_path / "alone", "--complementary")
    assert alone["cnil-notification.json"]["since_previous"] is None
    assert "Aucune version précédente" in alone["cnil-notification.md"]


def _truth_identifiers(truth: dict) -> tuple[set[str], set[str]]:
    """Every true NIR, phone (several spellings) and e-mail, and every last name of at least
    four letters, folded."""
    values: set[str] = set()
    names: set[str] = set()
    for p in truth["people"]:
        if p.get("nir"):
            values.add(p["nir"].upper())
        for phone in p.get("phones") or []:
            digits = re.sub(r"\D", "", phone)
            national = "0" + digits[2:] if digits.startswith("33") else digits
            values |= {phone, digits, national}
        values |= {e.casefold() for e in p.get("emails") or []}
        for name in (p.get("last_name"), p.get("birth_name")):
            if name and len(re.sub(r"\W", "", name)) >= 4:
                names.add(fold_name(name))
    return values, names


def _leaks(text: str, values: set[str], names: set[str]) -> set[str]:
    upper = text.upper()
    compact = re.sub(r"[\s.\-\u202f\u00a0]", "", upper)
    leaked = {v for v in values if v.upper() in upper or v.upper() in compact}
    tokens = re.findall(r"\w+", fold_name(text))
    words = set(tokens) | {f"{a} {b}" for a, b in itertools.pairwise(tokens)}
    return leaked | (names & words)


def test_no_identifier_of_the_truth_in_any_draft(case, cli, tmp_path):
    _case_dir, truth = case
    values, names = _truth_identifiers(truth)
    assert len(values) > 300 and len(names) > 100
    # the check finds what it looks for
    person = next(p for p in truth["people"] if p["nir"] and p["phones"]
                  and len(p["last_name"]) >= 4)
    nir = person["nir"]
    spaced = f"{nir[0]} {nir[1:3]} {nir[3:5]} {nir[5:7]} {nir[7:10]} {nir[10:13]} {nir[13:]}"
    assert _leaks(f"NIR : {spaced}", values, names)
    assert _leaks(f"Mme {person['last_name'].upper()}, née le", values, names)
    digits = re.sub(r"\D", "", person["phones"][0])
    phone = "0" + digits[2:] if digits.startswith("33") else digits
    assert _leaks(f"tél. {phone[:2]} {phone[2:4]} {phone[4:6]} {phone[6:8]} {phone[8:]}",
                  values, names)
    files = []
    for lang in ("fr", "en"):
        out = tmp_path / lang
        drafts(cli, case[0], out, "--lang", lang, "--organisation", org_file(tmp_path))
        files += [out / f"{n}{s}" for n in NAMES for s in SUFFIXES]
    for path in files:
        found = _leaks(path.read_text(encoding="utf-8"), values, names)
        assert not found, f"{path.name}: {len(found)} identifier(s) of the truth"


def test_complementary_after_a_second_wave(demo_leak, cli, tmp_path):
    """A first wave scanned and notified, a second wave scanned into the same case: the
    complementary draft compares with the initial one and describes the last wave."""
    import shutil

    leak, _truth = demo_leak
    dump = tmp_path / "dump"
    for rel in ("exports/admissions_2023.csv", "rh/annuaire_personnel.csv"):
        (dump / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(leak / "leak" / rel, dump / rel)
    case_dir, out = tmp_path / "case", tmp_path / "out"
    assert cli("scan", dump, "--case", case_dir, "--workers", "1").exit_code == 0
    first = drafts(cli, case_dir, out)["cnil-notification.json"]
    assert first["nature"]["waves"] == 1 and first["nature"]["last_wave"] is None
    shutil.copy(leak / "leak" / "exports/patients_nir.xlsx", dump / "exports/patients_nir.xlsx")
    assert cli("scan", dump, "--case", case_dir, "--workers", "1").exit_code == 0
    texts = drafts(cli, case_dir, out, "--complementary")
    doc = texts["cnil-notification.json"]
    assert doc["nature"]["waves"] == 2
    assert doc["nature"]["last_wave"]["files"] == 1
    assert doc["nature"]["last_wave"]["files_before"] == 2
    assert doc["since_previous"]["files"] == {"previous": 2, "current": 3, "change": 1}
    assert doc["since_previous"]["people"]["previous"] == first["people"]["total"]
    with Case(case_dir, create=False) as store:
        total = store.db.execute("SELECT count(*) FROM people").fetchone()[0]
    assert doc["since_previous"]["people"]["current"] == total == doc["people"]["total"]
    assert "**Dernière vague** : 1 fichier(s) nouveau(x) (2 auparavant)" in \
        texts["cnil-notification.md"]


def test_encrypted_case_needs_its_key_and_unread_files_are_counted_not_named(
        demo_leak, cli, tmp_path, monkeypatch):
    import shutil

    monkeypatch.delenv("BREACHSCOPE_CASE_KEY", raising=False)

    leak, _truth = demo_leak
    dump = tmp_path / "dump"
    dump.mkdir()
    shutil.copy(leak / "leak" / "rh" / "annuaire_personnel.csv", dump / "annuaire.csv")
    # a truncated workbook whose name names someone: counted as unreadable, never named
    xlsx = (leak / "leak" / "exports" / "patients_nir.xlsx").read_bytes()
    (dump / "liste_VIH_DUPONT_Marie_1954-03-12.xlsx").write_bytes(xlsx[:3000])
    key = tmp_path / "case.key"
    key.write_text("correct horse battery staple\n", encoding="utf-8")
    case_dir = tmp_path / "case"
    res = cli("scan", dump, "--case", case_dir, "--key-file", key, "--linkage", "exact",
              "--workers", "1")
    assert res.exit_code == 0, res.output
    res = cli("notify-cnil", "--case", case_dir, "-o", tmp_path / "nokey")
    assert res.exit_code != 0
    assert not (tmp_path / "nokey" / "cnil-notification.json").exists()
    texts = drafts(cli, case_dir, tmp_path / "out", "--key-file", key)
    doc = texts["cnil-notification.json"]
    assert doc["method"]["files_not_read"] == {"failed": 1}
    assert "Fichiers illisibles (erreur de lecture) : 1 — " in texts["cnil-notification.md"]
    for name, text in texts.items():
        assert not re.search("dupont|1954", json.dumps(text, ensure_ascii=False),
                             re.IGNORECASE), name
    with Case(case_dir, create=False, key=key.read_text(encoding="utf-8").strip()) as store:
        staff = store.db.execute("SELECT count(*) FROM people WHERE role = 'STAFF'").fetchone()[0]
    assert doc["people"]["by_role"].get("STAFF") == staff > 0


def test_the_qc_estimate_is_in_the_method_section(tmp_path, cli):
    """A case whose sample was reviewed (breachscope qc) shows the estimated rates and their
    Wilson intervals among the method's limits; before any review, it says none was made."""
    from breachscope.case import Case

    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "l.csv").write_text("Nom;Prénom\nDUPONT;Jean\n", encoding="utf-8")
    case_dir = tmp_path / "case"
    assert cli("scan", dump, "--case", case_dir, "--workers", "1").exit_code == 0
    before = drafts(cli, case_dir, tmp_path / "before")
    assert any("Aucun contrôle qualité" in b for b in
               before["cnil-notification.json"]["method"]["limits"])
    estimate = {"false_positive_rate": {"k": 3, "n": 50, "estimate": 0.06, "low": 0.0206,
                                        "high": 0.1622},
                "miss_rate": {"k": 0, "n": 0, "estimate": 0, "low": 0, "high": 1}}
    with Case(case_dir, create=False) as case:
        case.db.execute("INSERT OR REPLACE INTO meta VALUES ('qc_estimate', ?)",
                        [json.dumps(estimate)])
    after = drafts(cli, case_dir, tmp_path / "after")
    limits = after["cnil-notification.json"]["method"]["limits"]
    assert ("Taux de faux positifs estimé sur ce qui a été trouvé : 3 sur 50 examinés, 6,0 % "
            "(intervalle de confiance à 95 % de Wilson : 2,1 % à 16,2 %).") in limits
    assert not any("oubli" in line for line in limits)  # nothing reviewed in that stratum
    assert "6,0 %" in after["cnil-notification.md"]
