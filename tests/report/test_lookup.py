"""`breachscope lookup` end to end on the scanned demo leak: found by name and birth date, by
NIR, by phone, masked; an unknown caller is clearly not found."""

from __future__ import annotations

import json

import pytest

from breachscope.masking import mask_nir


@pytest.fixture(scope="module")
def case(demo_leak, tmp_path_factory):
    from typer.testing import CliRunner

    from breachscope.cli import app

    out, _truth = demo_leak
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    case = tmp_path_factory.mktemp("lookup") / "case"
    res = CliRunner().invoke(app, ["scan", str(out / "leak"), "--case", str(case),
                                   "--workers", "2"])
    assert res.exit_code == 0, res.output
    return case, truth


def _patient(truth, *, need: str):
    """A patient with a NIR, a phone and HEALTH exposed, and a unique name."""
    names = {}
    for p in truth["people"]:
        names.setdefault((p["last_name"], p["first_name"]), []).append(p)
    for p in truth["people"]:
        if (p["role"] == "PATIENT" and p["nir"] and p["phones"] and p["birth_date"]
                and "HEALTH" in p["categories"] and len(names[(p["last_name"],
                                                              p["first_name"])]) == 1
                and need in p["categories"]):
            return p
    raise AssertionError("no suitable patient in the demo truth")


def _assert_masked(output: str, p) -> None:
    assert p["nir"] not in output
    for phone in p["phones"]:
        assert phone not in output and phone[3:] not in output
    for email in p["emails"]:
        assert email not in output
    assert p["last_name"] not in output and p["last_name"].upper() not in output
    assert p["first_name"] not in output


def test_lookup_by_name_and_birth_date(case, cli):
    case_dir, truth = case
    p = _patient(truth, need="CONTACT")
    y, m, d = p["birth_date"].split("-")
    res = cli("lookup", "--case", case_dir, "--name", f"{p['last_name'].upper()} {p['first_name']}",
              "--birth-date", f"{d}/{m}/{y}")
    assert res.exit_code == 0, res.output
    out = res.output
    assert out.startswith("FOUND: 1 person")
    _assert_masked(out, p)
    assert "health data" in out and "contact details" in out
    assert "severity:" in out and "found in" in out
    assert "patient list" in out or "table with personal data" in out
    assert "/" not in out.split("found in", 1)[1].split("visit dates")[0].replace(
        "e-mail", "")  # kinds of files, never paths
    assert "first seen in the leak" in out


def test_lookup_by_nir_and_phone(case, cli):
    case_dir, truth = case
    p = _patient(truth, need="NATIONAL_ID")
    nir = p["nir"]
    spaced = f"{nir[0]} {nir[1:3]} {nir[3:5]} {nir[5:7]} {nir[7:10]} {nir[10:13]} {nir[13:]}"
    res = cli("lookup", "--case", case_dir, "--nir", spaced)
    assert res.exit_code == 0, res.output
    _assert_masked(res.output, p)
    assert mask_nir(nir) in res.output
    assert "social security number" in res.output
    phone = p["phones"][0]
    national = "0" + phone[3:]
    res = cli("lookup", "--case", case_dir, "--phone",
              " ".join(national[i:i + 2] for i in range(0, 10, 2)))
    assert res.exit_code == 0, res.output
    assert "FOUND" in res.output
    _assert_masked(res.output, p)


def test_lookup_unknown_person(case, cli):
    case_dir, _truth = case
    res = cli("lookup", "--case", case_dir, "--name", "ZZYZX Quentinette",
              "--birth-date", "1901-01-01")
    assert res.exit_code == 1
    assert "NOT FOUND" in res.output
    res = cli("lookup", "--case", case_dir, "--email", "nobody.here@example.org")
    assert res.exit_code == 1 and "NOT FOUND" in res.output


def test_lookup_bad_input(case, cli, tmp_path):
    case_dir, _truth = case
    assert cli("lookup", "--case", case_dir, "--nir", "123").exit_code == 2
    assert cli("lookup", "--case", case_dir, "--name", "DUPONT Marie").exit_code == 2
    assert cli("lookup", "--case", case_dir, "--nir", "1", "--phone", "2").exit_code == 2
    assert cli("lookup", "--case", case_dir, "--phone", "hello").exit_code == 2
    assert cli("lookup", "--case", tmp_path / "none", "--email", "a@b.fr").exit_code == 3


def test_lookup_answers_from_the_rebuilt_person_with_reasons(tmp_path, cli):
    """A patient known by name only in patients.csv: the hotline sees the stay in another
    export, the sensitive flag and why — and says what it could not decide for another."""
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "patients.csv").write_text(
        "ipp;nom;prenom;date_naissance\n"
        "300100;LAMBERT;Chloé;1975-06-02\n300101;GIRARD;Paul;1968-11-20\n"
        "300102;BONNET;Anne;1990-01-15\n", encoding="utf-8")
    (dump / "mouvements.csv").write_text(
        "nda;ipp;uf;date_entree;dp\n"
        "7001;300100;3201;2023-05-04;F10.2\n7002;300101;4507;2023-06-01;I10\n"
        "7003;300102;CARDIO;2023-06-02;I10\n", encoding="utf-8")
    case = tmp_path / "case"
    assert cli("scan", dump, "--case", case).exit_code == 0
    res = cli("lookup", "--case", case, "--name", "LAMBERT Chloé", "--birth-date",
              "02/06/1975")
    assert res.exit_code == 0, res.output
    assert "sensitive health context: yes" in res.output
    assert "addiction: ICD-10 code F10.2" in res.output
    assert "2023-05-04" in res.output  # the stay's date, from the other export
    assert "LAMBERT" not in res.output and "Chloé" not in res.output
    res = cli("lookup", "--case", case, "--name", "GIRARD Paul", "--birth-date", "1968-11-20")
    assert "sensitive health context: UNDECIDED" in res.output
    assert "unit code 4507: no unit table decodes it" in res.output
