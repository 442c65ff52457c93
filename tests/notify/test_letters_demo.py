"""`breachscope notify` on a demo leak (the generator of `breachscope demo`, small: 40
patients, 10 staff, so the scan and the letters take seconds): each patient's letter is read
back with pdftotext and checked against the generator's truth — the categories it names are
exactly theirs, identifiers only masked (the NIR by its last two digits), sensitive care
mentioned with tact and never named —; a staff member's letter is the staff one; the counts,
the mail-merge rows and the e-mail drafts match the letters."""

from __future__ import annotations

import csv
import email
import re
import stat
import subprocess
from datetime import date
from email import policy
from pathlib import Path

import pytest

from breachscope.case import Case
from breachscope.notify.letters_facts import age_on
from breachscope.report.lookup import find_people

# what the letter says for each category (letter_base.html.j2)
CATEGORY_PHRASES = {
    "IDENTITY": "votre identité (nom, prénom",
    "CONTACT": "vos coordonnées (adresse postale",
    "NATIONAL_ID": "votre numéro de sécurité sociale (NIR)",
    "HEALTH": "des informations sur votre santé",
    "FINANCIAL": "des coordonnées bancaires (IBAN) ;",
    "CREDENTIALS": "des identifiants ou mots de passe ;",
}
# ... in a letter to a minor's legal representatives (letter_minor.html.j2)
MINOR_PHRASES = {
    "IDENTITY": "son identité (nom, prénom",
    "CONTACT": "ses coordonnées ou celles de la famille",
    "NATIONAL_ID": "son numéro de sécurité sociale (NIR)",
    "HEALTH": "des informations sur sa santé",
    "FINANCIAL": "des coordonnées bancaires (IBAN) ;",
    "CREDENTIALS": "des identifiants ou mots de passe ;",
}
TACT = "soins de nature particulièrement confidentielle"
# words that would name sensitive care (units, codes, drugs of the demo's sensitive reasons)
SENSITIVE_WORDS = re.compile(r"psychiatr|addicto|cegidd|\bvih\b|\bivg\b|orthog|csapa|\bcmp\b|"
                             r"m[ée]thadone|subutex|sevrage|d[ée]pistage|\bF\d\d", re.I)


def _text(pdf: Path) -> str:
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                         capture_output=True).stdout.decode("utf-8")
    return " ".join(out.split())


@pytest.fixture(scope="module")
def notified(tmp_path_factory):
    from typer.testing import CliRunner

    from breachscope.cli import app
    from breachscope.demo import generate_leak

    work = tmp_path_factory.mktemp("letters_demo")
    truth = generate_leak(work, seed=5, n_patients=40, n_staff=10)
    case = work / "case"
    runner = CliRunner()
    res = runner.invoke(app, ["scan", str(work / "leak"), "--case", str(case), "--workers", "2"])
    assert res.exit_code == 0, res.output
    org = work / "org.toml"
    org.write_text('name = "Centre hospitalier de Démo"\nhotline_phone = "03 20 00 00 00"\n'
                   'dpo_email = "dpo@ch-demo.example"\n', encoding="utf-8")
    out = work / "letters"
    res = runner.invoke(app, ["notify", "--case", str(case), "-o", str(out),
                              "--organisation", str(org)])
    assert res.exit_code == 0, res.output
    with (out / "mail_merge.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter=";"))
    return {"truth": truth, "case": case, "out": out, "output": res.output, "rows": rows}


def _person_id(case: Path, person) -> str | None:
    with Case(case, create=False) as store:
        if person.nir:
            found = find_people(store, nir=person.nir)
        elif person.emails:
            found = find_people(store, email=person.emails[0])
        else:
            return None
    return found[0] if len(found) == 1 else None


def test_each_patient_letter_says_what_leaked_about_them(notified):
    truth, out = notified["truth"], notified["out"]
    checked = minors = 0
    for person in truth.people:
        if person.role != "PATIENT" or not person.nir:
            continue
        pid = _person_id(notified["case"], person)
        letter = out / "letters" / f"{pid}.pdf"
        if pid is None or not letter.exists():
            continue
        text = _text(letter)
        checked += 1
        assert f"{person.first_name} {person.last_name.upper()}" in text
        age = age_on(person.birth_date, date.today())
        minor = age is not None and age < 18
        minors += minor
        assert ("Aux représentants légaux de" in text) == minor, person.truth_id
        phrases = MINOR_PHRASES if minor else CATEGORY_PHRASES
        named = {c for c, phrase in phrases.items() if phrase in text}
        assert named == set(person.categories), person.truth_id
        # identifiers: masked only
        assert f"numéro de sécurité sociale (se terminant par {person.nir[-2:]})" in text
        spaced = " ".join((person.nir[0], person.nir[1:3], person.nir[3:5], person.nir[5:7]))
        assert person.nir not in text and spaced not in text
        for phone in person.phones:
            assert phone not in text and phone[3:] not in text and f"0{phone[3:]}" not in text
            assert f"téléphone (se terminant par {phone[-2:]})" in text
        for address in person.emails:
            assert address not in text
        for iban in person.ibans:
            assert iban not in text and f"IBAN se terminant par {iban[-4:]}" in text
        # sensitive care: said with tact, never named
        assert (TACT in text) == person.sensitive, person.truth_id
        assert not SENSITIVE_WORDS.search(text), SENSITIVE_WORDS.search(text).group(0)
        # the hospital's fields filled, the others marked
        assert "Centre hospitalier de Démo ne vous demandera jamais" in text
        assert "03 20 00 00 00" in text and "[à compléter]" in text
    assert checked >= 20 and checked > minors


def test_a_staff_letter_speaks_of_professional_data(notified):
    from breachscope.notify.letters import environment, html_to_pdf, render_letter
    from breachscope.notify.letters_facts import gather
    from breachscope.notify.organisation import Organisation

    truth, case = notified["truth"], notified["case"]
    staff = [p for p in truth.people if p.role == "STAFF" and (p.nir or p.emails)]
    pid = next(pid for p in staff if (pid := _person_id(case, p)) is not None)
    with Case(case, create=False) as store:
        facts = gather(store, pid, date.today())
    assert facts.variant == "staff"
    pdf = html_to_pdf(render_letter(environment(None), facts, Organisation(name="CH Démo"),
                                    date.today()))
    path = notified["out"].parent / "staff.pdf"
    path.write_bytes(pdf)
    text = _text(path)
    assert "violation de vos données personnelles professionnelles" in text
    assert "en tant que membre du personnel" in text
    assert "votre venue à l'hôpital" not in text and "votre santé ou sur votre prise" not in text


def test_threshold_counts_and_mail_merge(notified):
    out, rows = notified["out"], notified["rows"]
    letters = sorted(p.name for p in (out / "letters").glob("*.pdf"))
    with Case(notified["case"], create=False) as store:
        levels = store.db.execute("SELECT severity, count(*) FROM people GROUP BY 1").fetchall()
    expected = sum(n for s, n in levels if s in ("high", "very high"))
    below = sum(n for s, n in levels if s in ("low", "medium"))
    assert len(letters) == expected > 0 and below > 0
    assert f"wrote {expected} letters (severity high or above)" in notified["output"]
    assert f"no letter: {below} below the threshold" in notified["output"]
    assert sorted(Path(r["letter_file"]).name for r in rows) == letters
    assert all(r["severity"] in ("high", "very_high") for r in rows)
    n_email = sum(1 for r in rows if r["email"])
    assert f"with an e-mail (.eml draft): {n_email};" in notified["output"]
    assert len(list((out / "emails").glob("*.eml"))) == n_email > 0
    modes = {stat.S_IMODE(p.stat().st_mode) for p in out.rglob("*")}
    assert modes == {0o600, 0o700}


def test_email_drafts_carry_the_letter(notified):
    out = notified["out"]
    row = next(r for r in notified["rows"] if r["email_file"])
    msg = email.message_from_bytes((out / row["email_file"]).read_bytes(),
                                   policy=policy.default)
    assert msg["To"] == row["email"] and msg["X-Unsent"] == "1"
    assert "information importante sur vos données personnelles" in msg["Subject"]
    assert msg["From"] == "dpo@ch-demo.example"
    body = msg.get_body(("plain",)).get_content()
    assert "ne vous demandera jamais" in body and row["person_id"] in body
    [attachment] = list(msg.iter_attachments())
    assert attachment.get_content() == (out / row["letter_file"]).read_bytes()
