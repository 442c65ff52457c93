"""The letters' building blocks: hostile names are escaped, a template can make the renderer
fetch nothing (network or local file), file kinds all have French words, ages and dates."""

from __future__ import annotations

import socket
import subprocess
from datetime import date

import pytest

from breachscope.notify.letters import environment, html_to_pdf, render_letter
from breachscope.notify.letters_facts import PersonFacts, age_on, french_date, french_kind
from breachscope.notify.organisation import Organisation
from breachscope.report.lookup import DOC_CLASSES, TYPES, describe_file


def _facts(**changes) -> PersonFacts:
    base = dict(person_id="P1", role="PATIENT", variant="patient", severity="high",
                last_name="DURAND", first_name="Anne", civility="Madame", minor=False,
                categories=["IDENTITY", "HEALTH"], identifiers=[], documents=[], n_files=1,
                visit_dates=[], care_units=[], sensitive=False, has_iban=False,
                address_lines=["1 rue A"], postal_code="59000", city="Lille")
    base.update(changes)
    return PersonFacts(**base)


def test_a_hostile_name_is_text_not_markup():
    html = render_letter(environment(None), _facts(
        last_name='<img src="file:///etc/passwd">DURAND', city="<script>x()</script>"),
        Organisation(name="CH <b>Test</b>", incident_date="2025-12-01"), date(2026, 1, 2))
    assert "&lt;IMG SRC=&#34;FILE:///ETC/PASSWD&#34;&gt;DURAND" in html
    assert "&lt;script&gt;x()&lt;/script&gt;" in html and "CH &lt;b&gt;Test" in html
    assert "<img" not in html.lower() and "<script" not in html and "<b>Test" not in html
    assert "Le 2 janvier 2026" in html and "Le 1er décembre 2025, CH" in html


def test_the_renderer_fetches_nothing(tmp_path, monkeypatch):
    css = tmp_path / "evil.css"
    css.write_text('body::before { content: "FETCHED-MARK"; }', encoding="utf-8")
    connects: list[object] = []
    real_connect = socket.socket.connect

    def spy(self, address):
        connects.append(address)
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", spy)
    pdf = html_to_pdf(
        f'<html><head><link rel="stylesheet" href="{css.as_uri()}">'
        '<style>@import url("http://127.0.0.1:9/x.css");</style></head><body>'
        '<p>Lettre</p><img src="http://127.0.0.1:9/pixel.png">'
        f'<img src="{css.as_uri()}"></body></html>')
    assert pdf.startswith(b"%PDF")
    assert connects == []
    out = tmp_path / "x.pdf"
    out.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(out), "-"], check=True,
                          capture_output=True).stdout.decode()
    assert "Lettre" in text and "FETCHED-MARK" not in text


def test_every_file_kind_has_french_words():
    for dclass in [*DOC_CLASSES, None]:
        for ftype in TYPES:
            kind = french_kind(describe_file("a/b.csv", ftype, dclass))
            assert kind.startswith(("un ", "une ")) and "(" in kind, (dclass, ftype)
    assert french_kind(describe_file("m.eml!/x.xlsx", "xlsx", "patient_list")) == (
        "une liste de patients (tableur Excel), joint à un courriel")
    assert french_kind(describe_file("s.zip!/x.sql", "sql", "personal_data_table")) == (
        "un tableau de données personnelles (sauvegarde de base de données), dans une archive")


@pytest.mark.parametrize(("born", "age"), [("2008-06-01", 17), ("2008-05-31", 18),
                                           ("1954-03-12", 72), ("", None), ("12/03/2010", None)])
def test_age_on(born, age):
    assert age_on(born, date(2026, 5, 31)) == age


def test_french_date():
    assert french_date("2021-03-01") == "1er mars 2021"
    assert french_date("2023-12-25") == "25 décembre 2023"
    assert french_date("2023-13-25") == "2023-13-25"
