"""The report on the scanned demo leak, checked against the generator's truth: opened in
headless Chromium (screenshot and DOM text), printed to PDF (text by pdftotext), in French and
English, owner-only, and holding no identifier of the truth."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import stat
import subprocess
from html import unescape
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]

needs_chromium = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no chromium")
needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="no pdftotext")


def _fr(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f")


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    return subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=120, check=False)


def _pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True, timeout=60).stdout


def _minors(truth: dict) -> int:
    ref = dt.date.fromisoformat(truth["reference_date"])
    cutoff = ref.replace(year=ref.year - 18)
    return sum(1 for p in truth["people"] if p["birth_date"]
               and cutoff < dt.date.fromisoformat(p["birth_date"]) <= ref)


def test_outputs_are_owner_only(report_fr):
    out, _s, _t = report_fr
    for name in ("report.html", "report.pdf", "summary.json"):
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o600, name


def test_summary_figures_match_the_truth(report_fr):
    _out, s, truth = report_fr
    assert s["people"]["total"] == len(truth["people"])
    minors = _minors(truth)
    assert minors > 0  # the demo has children: the figure is tested, not zero by default
    assert s["people"]["minors"] == minors
    by_role: dict[str, int] = {}
    for p in truth["people"]:
        by_role[p["role"]] = by_role.get(p["role"], 0) + 1
    assert s["people"]["by_role"] == by_role
    assert s["records"]["total"] > s["people"]["total"]
    # the generator's stays and visits run from 2019 to the day before its reference date
    # (demo/generator.py, demo/letters.py), follow-up appointments up to 20 days later
    ref = dt.date.fromisoformat(truth["reference_date"])
    first, last = (dt.date.fromisoformat(s["period"][k]) for k in ("first", "last"))
    assert dt.date(2019, 1, 1) <= first <= dt.date(2019, 12, 31)
    assert ref - dt.timedelta(days=60) <= last <= ref + dt.timedelta(days=21)
    assert s["period"]["dates"] > len(truth["people"])
    assert s["people"]["linkage"] == "splink"
    assert s["waves"]["count"] == 1 and s["waves"]["last"]["people"] == len(truth["people"])


def test_claim_is_checked_point_by_point(report_fr):
    out, s, _truth = report_fr
    claim = s["claim"]
    assert claim["people"] == 900000 and claim["people_found"] == s["people"]["total"]
    assert claim["bytes"] == 20 * 10**9
    verdicts = {p["point"]: p["verdict"] for p in claim["points"]}
    assert verdicts == {"people": "exaggerated", "bytes": "exaggerated",
                        "medical_history": "confirmed", "postal_address": "confirmed"}
    health = next(p for p in claim["points"] if p["point"] == "medical_history")
    assert health["found"] == s["people"]["by_category"]["HEALTH"] > 0
    postal = next(p for p in claim["points"] if p["point"] == "postal_address")
    assert 0 < postal["found"] <= s["people"]["by_category"]["CONTACT"]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "exagéré" in html and "confirmé" in html and "Adresses postales" in html


def test_html_is_self_contained_and_names_its_method(report_fr):
    out, _s, _t = report_fr
    html = (out / "report.html").read_text(encoding="utf-8")
    assert '<html lang="fr">' in html
    for needle in ("<script", "http://", "https://", "file:", "<link ", "<img", "@import"):
        assert needle not in html, needle
    assert html.count("<svg") >= 4  # role, category, severity, sensitive care, kinds of files
    assert "appariement probabiliste (Splink)" in html
    # every note [n] a figure links to is in the evidence list
    notes = set(re.findall(r'href="#ev-(\d+)"', html))
    assert notes and all(f'id="ev-{n}"' in html for n in notes)
    assert "breachscope export --case DOSSIER --what people" in html


@needs_chromium
def test_chromium_shows_the_headline_figures(report_fr, tmp_path):
    out, _s, truth = report_fr
    url = (out / "report.html").as_uri()
    shot = tmp_path / "shot.png"
    _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,2000", url)
    assert shot.exists() and shot.stat().st_size > 10_000
    from PIL import Image

    with Image.open(shot) as img:
        colours = img.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 50  # text and charts, not a blank page
    dom = _chromium(tmp_path, "--dump-dom", url).stdout
    assert "Synthèse pour la direction" in dom
    total = re.search(r'id="people-total"><div class="n">([^<]+)<', dom)
    assert total and total.group(1) == _fr(len(truth["people"]))
    minors = re.search(r'id="minors"><div class="n">([^<]+)<', dom)
    assert minors and minors.group(1) == _fr(_minors(truth))


@needs_pdftotext
def test_pdf_has_the_figures_and_french_headings(report_fr):
    out, _s, truth = report_fr
    text = _pdf_text(out / "report.pdf")
    for heading in ("Rapport de qualification de la fuite de données",
                    "Synthèse pour la direction", "Période couverte par les données",
                    "Revendication de l'attaquant et constat", "Soins sensibles", "Détail",
                    "Ce qui a changé depuis la vague précédente", "Méthode"):
        assert heading in text, heading
    flat = re.sub(r"\s+", " ", text.replace("\u202f", " "))
    assert f"{_fr(len(truth['people'])).replace(chr(0x202f), ' ')} [1]" in flat
    assert f"{_minors(truth)} [" in flat and "mineurs" in flat


def test_english_report(report_en):
    out, _s, truth = report_en
    html = unescape((out / "report.html").read_text(encoding="utf-8"))
    assert '<html lang="en">' in html
    for heading in ("Summary for the director", "Period the data covers",
                    "The attacker's claim beside the findings", "What changed since the "
                    "previous wave", "probabilistic record linkage (Splink)"):
        assert heading in html, heading
    assert "Synthèse" not in html
    assert f'id="people-total"><div class="n">{len(truth["people"]):,}<' in html


def _identifiers(truth: dict) -> tuple[set[str], set[str]]:
    """(literal values, last names of 4 letters or more): every true NIR, phone (as written
    and national), e-mail, and names to find as whole words."""
    values: set[str] = set()
    names: set[str] = set()
    for p in truth["people"]:
        if p["nir"]:
            values.add(p["nir"])
        for phone in p["phones"]:
            values.add(phone)
            digits = re.sub(r"\D", "", phone)
            if phone.startswith("+33"):
                values.add("0" + digits[2:])
        values.update(p["emails"])
        if p["last_name"] and len(p["last_name"]) >= 4:
            names.add(p["last_name"])
    return values, names


def _assert_no_identifier(text: str, truth: dict, where: str) -> None:
    values, names = _identifiers(truth)
    flat = text.replace("\u202f", " ")
    for value in values:
        assert value not in flat, f"an identifier in {where}"
    alternation = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    found = re.search(rf"(?<!\w)(?:{alternation})(?!\w)", flat, re.IGNORECASE)
    assert found is None, f"a last name in {where}"


@needs_pdftotext
def test_no_identifier_of_the_truth_leaves_in_the_report(report_fr, report_en):
    for out, _s, truth in (report_fr, report_en):
        _assert_no_identifier((out / "report.html").read_text(encoding="utf-8"), truth, "html")
        if (out / "report.pdf").exists():
            _assert_no_identifier(_pdf_text(out / "report.pdf"), truth, "pdf")
        _assert_no_identifier((out / "summary.json").read_text(encoding="utf-8"), truth,
                              "summary.json")
    # the check can fail: a name written into a copy of the report is caught
    out, _s, truth = report_fr
    _v, names = _identifiers(truth)
    with pytest.raises(AssertionError):
        _assert_no_identifier("… " + sorted(names)[0].upper() + " …", truth, "probe")


def test_summary_json_is_the_report_summary(report_fr):
    out, s, _t = report_fr
    on_disk = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    for key in ("minors", "by_category", "sensitive_by_category", "sensitive_undecided"):
        assert on_disk["people"][key] == s["people"][key]
    assert on_disk["period"] == s["period"] and on_disk["waves"]["count"] == 1
    assert on_disk["records"]["total"] == s["records"]["total"]
    assert on_disk["files"]["by_doc_class"] == s["files"]["by_doc_class"]


def test_cli_report_in_english_without_pdf(scanned_demo, tmp_path, cli):
    case, truth = scanned_demo
    out = tmp_path / "out"
    res = cli("report", "--case", case, "-o", out, "--lang", "en", "--no-pdf",
              "--claim", "2 million patients, medical history")
    assert res.exit_code == 0, res.output
    assert f"{len(truth['people'])} people" in res.output
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "summary.json"]
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert [(p["point"], p["verdict"]) for p in summary["claim"]["points"]] == [
        ("people", "exaggerated"), ("medical_history", "confirmed")]
    assert "exaggerated" in (out / "report.html").read_text(encoding="utf-8")


def test_no_identifier_of_the_truth_in_the_commands_output_or_logs(scanned_demo, tmp_path,
                                                                  cli, caplog):
    """What `report` and `notify-cnil` print and log (every level) names no one."""
    import logging

    case, truth = scanned_demo
    caplog.set_level(logging.DEBUG)
    printed = []
    for args in (("report", "--case", case, "-o", tmp_path / "r", "--no-pdf",
                  "--claim", "900 000 patients"),
                 ("notify-cnil", "--case", case, "-o", tmp_path / "c")):
        res = cli(*args)
        assert res.exit_code == 0, res.output
        printed.append(res.output)
    assert "people" in printed[0] and "cnil-notification.json" in printed[1]
    _assert_no_identifier("\n".join(printed), truth, "the commands' output")
    _assert_no_identifier("\n".join(r.getMessage() for r in caplog.records), truth, "logs")
