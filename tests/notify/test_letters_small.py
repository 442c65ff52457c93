"""`breachscope notify` on a small encrypted case built here: a minor's letter goes to the
legal representatives, an unresolved mention gets no letter (and is counted), the outputs of
an encrypted case are one 7z that opens with the case key (nothing else in clear), or clear
files with --plaintext-output; templates are overridden by --template-dir and sandboxed;
`export` and `link` of an encrypted case are protected too."""

from __future__ import annotations

import csv
import email
import io
import shutil
import stat
import subprocess
from datetime import date
from email import policy
from pathlib import Path

import py7zr
import pytest

from breachscope.case import Case

KEY = "correct horse battery staple"


def _nir(sex: str, born: date, rest: str) -> str:
    body = f"{sex}{born.year % 100:02d}{born.month:02d}{rest}"
    return body + f"{97 - int(body) % 97:02d}"


TODAY = date.today()
CHILD_BORN = date(TODAY.year - 9, 5, 14)
ADULT_BORN = date(1961, 3, 2)
CHILD_NIR = _nir("2", CHILD_BORN, "75112123")
ADULT_NIR = _nir("1", ADULT_BORN, "59350123")
NAMES = ("LEFEBVRE", "Chloé", "MARCHAND", "Bernard")


@pytest.fixture(scope="module")
def small_case(tmp_path_factory):
    from typer.testing import CliRunner

    from breachscope.cli import app

    work = tmp_path_factory.mktemp("letters_small")
    dump = work / "dump"
    dump.mkdir()
    (dump / "liste_patients_pediatrie.csv").write_text(
        "Nom;Prénom;Date de naissance;N° Sécu;Adresse;Code postal;Ville;Email;Diagnostic\n"
        f"LEFEBVRE;Chloé;{CHILD_BORN:%d/%m/%Y};{CHILD_NIR};12 rue des Lilas;59000;Lille;"
        "famille.lefebvre@example.fr;Asthme (J45.9)\n"
        f"MARCHAND;Bernard;{ADULT_BORN:%d/%m/%Y};{ADULT_NIR};3 place du Marché;59100;Roubaix;"
        ";Diabète de type 2 (E11.9)\n", encoding="utf-8")
    key_file = work / "case.key"
    key_file.write_text(KEY + "\n", encoding="utf-8")
    case = work / "case"
    res = CliRunner().invoke(app, ["scan", str(dump), "--case", str(case), "--key-file",
                                   str(key_file), "--workers", "1"])
    assert res.exit_code == 0, res.output
    # A person known only by a surname (an unresolved mention: "Mme Moreau" in a letter),
    # at the top severity: still no letter.
    with Case(case, create=False, key=KEY) as store:
        store.db.execute("INSERT INTO people (person_id, role, last_name, phones, emails, "
                         "categories, sensitive, severity) VALUES ('Punresolved01', 'PATIENT', "
                         "'MOREAU', [], [], ['IDENTITY', 'HEALTH'], true, 'very high')")
    return case, key_file, work


def _pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "letter.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                         capture_output=True).stdout.decode("utf-8")
    return " ".join(out.split())


def _extract(archive: Path, password: str | None, into: Path) -> dict[str, bytes]:
    with py7zr.SevenZipFile(archive, password=password) as z:
        z.extractall(path=into)
    return {str(p.relative_to(into)): p.read_bytes() for p in into.rglob("*") if p.is_file()}


def _modes(directory: Path) -> set[str]:
    return {oct(stat.S_IMODE(p.stat().st_mode)) for p in directory.rglob("*")}


def test_encrypted_case_letters_are_one_7z_opened_by_the_key(small_case, tmp_path, cli):
    case, key_file, _work = small_case
    out = tmp_path / "letters"
    res = cli("notify", "--case", case, "-o", out, "--all", "--key-file", key_file)
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir()) == ["letters.7z"]
    archive = out / "letters.7z"
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    raw = archive.read_bytes()
    for needle in (CHILD_NIR, ADULT_NIR, "LEFEBVRE", "MARCHAND", "letters/", "mail_merge"):
        assert needle.encode() not in raw
    with pytest.raises(py7zr.exceptions.PasswordRequired):
        py7zr.SevenZipFile(archive).getnames()
    files = _extract(archive, KEY, tmp_path / "x")
    letters = sorted(n for n in files if n.startswith("letters/"))
    assert len(letters) == 2
    assert "letters/Punresolved01.pdf" not in files
    assert "1 known only by an unresolved mention" in res.output
    assert "to legal representatives (minors): 1" in res.output

    rows = list(csv.DictReader(io.StringIO(files["mail_merge.csv"].decode("utf-8-sig")),
                               delimiter=";"))
    assert sorted(r["letter_file"] for r in rows) == letters
    child = next(r for r in rows if r["last_name"] == "LEFEBVRE")
    assert child["minor"] == "yes" and child["postal_code"] == "59000"
    assert child["recipient"] == "Aux représentants légaux de Chloé LEFEBVRE"
    assert child["address_line_1"] == "12 rue des Lilas" and child["city"] == "Lille"
    adult = next(r for r in rows if r["last_name"] == "MARCHAND")
    assert adult["minor"] == "no" and adult["email"] == "" and adult["email_file"] == ""

    text = _pdf_text(files[child["letter_file"]], tmp_path)
    assert "Aux représentants légaux de Chloé LEFEBVRE" in text
    assert "des informations sur sa santé" in text
    assert f"son numéro de sécurité sociale (se terminant par {CHILD_NIR[-2:]})" in text
    assert CHILD_NIR not in text and "votre numéro" not in text
    # the child's e-mail draft: addressed to the family's address, the letter attached
    msg = email.message_from_bytes(files[child["email_file"]], policy=policy.default)
    assert msg["To"] == "famille.lefebvre@example.fr"
    assert "Chloé LEFEBVRE" in msg["Subject"]
    [attachment] = list(msg.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == files[child["letter_file"]]
    assert "Madame, Monsieur" in msg.get_body(("plain",)).get_content()


def test_plaintext_output_writes_clear_owner_only_files(small_case, tmp_path, cli):
    case, key_file, _work = small_case
    out = tmp_path / "letters"
    res = cli("notify", "--case", case, "-o", out, "--all", "--key-file", key_file,
              "--plaintext-output")
    assert res.exit_code == 0, res.output
    assert not (out / "letters.7z").exists()
    assert len(list((out / "letters").glob("*.pdf"))) == 2
    assert len(list((out / "emails").glob("*.eml"))) == 1
    assert _modes(out) <= {"0o600", "0o700"}
    assert "0o600" in _modes(out)


def test_threshold_leaves_lower_severities_out(small_case, tmp_path, cli):
    case, key_file, _work = small_case
    with Case(case, create=False, key=KEY) as store:
        levels = dict(store.db.execute(
            "SELECT last_name, severity FROM people WHERE person_id <> 'Punresolved01'"
        ).fetchall())
    assert set(levels) == {"LEFEBVRE", "MARCHAND"}
    out = tmp_path / "letters"
    res = cli("notify", "--case", case, "-o", out, "--key-file", key_file,
              "--plaintext-output", "--min-severity", "very_high")
    assert res.exit_code == 0, res.output
    expected = sum(1 for v in levels.values() if v == "very high")
    assert len(list((out / "letters").glob("*.pdf"))) == expected
    assert f"{2 - expected} below the threshold" in res.output


def test_template_dir_overrides_by_name_and_is_sandboxed(small_case, tmp_path, cli):
    from breachscope.notify.letters import SHIPPED_TEMPLATES

    case, key_file, _work = small_case
    mine = tmp_path / "templates"
    mine.mkdir()
    shipped = (SHIPPED_TEMPLATES / "letter_patient.html.j2").read_text(encoding="utf-8")
    (mine / "letter_patient.html.j2").write_text(shipped.replace(
        "{% block care %}", "{% block care %}<p>Texte propre au CH de Marqueville.</p>"),
        encoding="utf-8")
    out = tmp_path / "letters"
    res = cli("notify", "--case", case, "-o", out, "--all", "--key-file", key_file,
              "--plaintext-output", "--template-dir", mine)
    assert res.exit_code == 0, res.output
    texts = [_pdf_text(p.read_bytes(), tmp_path) for p in (out / "letters").glob("*.pdf")]
    # the minor's letter extends the patient letter: both carry the hospital's text
    assert len(texts) == 2 and all("Texte propre au CH de Marqueville." in t for t in texts)

    (mine / "email.txt.j2").write_text("{{ ''.__class__.__mro__[1].__subclasses__() }}",
                                       encoding="utf-8")
    res = cli("notify", "--case", case, "-o", tmp_path / "bad", "--all", "--key-file",
              key_file, "--plaintext-output", "--template-dir", mine)
    assert res.exit_code == 2 and "letter template error" in res.output
    res = cli("notify", "--case", case, "-o", tmp_path / "bad", "--key-file", key_file,
              "--template-dir", tmp_path / "missing")
    assert res.exit_code == 2 and "no such template folder" in res.output


def test_export_of_an_encrypted_case_is_a_7z_unless_plaintext(small_case, tmp_path, cli):
    case, key_file, _work = small_case
    for what in ("people", "findings"):
        out = tmp_path / f"{what}.csv"
        res = cli("export", "--case", case, "--what", what, "--format", "csv", "-o", out,
                  "--key-file", key_file)
        assert res.exit_code == 0, res.output
        assert not out.exists() and f"{out}.7z" in res.output
        packed = tmp_path / f"{what}.csv.7z"
        assert stat.S_IMODE(packed.stat().st_mode) == 0o600
        assert ADULT_NIR.encode() not in packed.read_bytes()
        files = _extract(packed, KEY, tmp_path / f"x-{what}")
        assert list(files) == [f"{what}.csv"] and ADULT_NIR.encode() in files[f"{what}.csv"]
    out = tmp_path / "people.parquet"
    res = cli("export", "--case", case, "--what", "people", "--format", "parquet", "-o", out,
              "--key-file", key_file, "--plaintext-output")
    assert res.exit_code == 0, res.output
    assert out.read_bytes()[:4] == b"PAR1" and stat.S_IMODE(out.stat().st_mode) == 0o600


def test_link_of_an_encrypted_case_writes_the_unmatched_list_encrypted(small_case, tmp_path,
                                                                      cli):
    case, key_file, _work = small_case
    copy = tmp_path / "case"
    shutil.copytree(case, copy)
    mpi = tmp_path / "index.csv"
    mpi.write_text("IPP;NOM;PRENOM;DATE_NAISSANCE;ADRESSE;CP;VILLE\n"
                   f"900001;MARCHAND;Bernard;{ADULT_BORN:%d/%m/%Y};8 allée Neuve;59200;"
                   "Tourcoing\n", encoding="utf-8")
    res = cli("link", "--case", copy, "--mpi", mpi, "--key-file", key_file)
    assert res.exit_code == 0, res.output
    assert not (copy / "mpi_unmatched.csv").exists()
    packed = copy / "mpi_unmatched.csv.7z"
    assert b"LEFEBVRE" not in packed.read_bytes()
    files = _extract(packed, KEY, tmp_path / "x")
    assert b"LEFEBVRE" in files["mpi_unmatched.csv"] and b"MARCHAND" not in files[
        "mpi_unmatched.csv"]
    # the letters now use the index's current address for the matched person
    out = tmp_path / "letters"
    res = cli("notify", "--case", copy, "-o", out, "--all", "--key-file", key_file,
              "--plaintext-output")
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader((out / "mail_merge.csv").open(encoding="utf-8-sig"),
                               delimiter=";"))
    adult = next(r for r in rows if r["last_name"] == "MARCHAND")
    assert (adult["address_line_1"], adult["postal_code"], adult["city"],
            adult["contact_source"]) == ("8 allée Neuve", "59200", "Tourcoing", "index")
    res = cli("link", "--case", copy, "--mpi", mpi, "--key-file", key_file,
              "--plaintext-output")
    assert res.exit_code == 0, res.output
    assert b"LEFEBVRE" in (copy / "mpi_unmatched.csv").read_bytes()
