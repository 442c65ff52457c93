"""Credentials: configs, dumps, logs and prose; masked values; placeholders; table columns;
end to end through the CLI (config file, staff CSV with RPPS, letter with a card number)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from complexity import assert_scales

from breachscope.detect.columns import classify_columns
from breachscope.detect.secrets import scan_credentials
from breachscope.detect.tables import detect_table
from breachscope.extract.units import TableUnit


def values(text: str) -> list[str]:
    return [h[2] for h in scan_credentials(text)]


def first(text: str) -> tuple[str, float, str]:
    hits = list(scan_credentials(text))
    assert hits, text
    return hits[0][2], hits[0][3], hits[0][4]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("DB_PASSWORD=S3cr3t!2024", "password:DB_PASSWORD=***"),
        ('"password": "hunter2x"', "password:password=***"),
        ("password: Yaml_pw42", "password:password=***"),
        ("<password>Tr0ub4dor&3</password>", "password:password=***"),
        ('<add key="Pwd" value="x"/> Server=sql01;User Id=sa;Pwd=P4ssw0rd;', "password:Pwd=***"),
        ("export PGPASSWORD='k9!xQ2'", "password:PGPASSWORD=***"),
        ("spring.datasource.password=Sp7ing!", "password:spring.datasource.password=***"),
        ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
         "password:aws_secret_access_key=***"),
        ("DATABASE_URL=postgresql://app:Xy7pass@db01:5432/dpi",
         "postgres-url:postgresql://app:***@db01:5432/dpi"),
        ("mongodb+srv://admin:M0ngo!@cluster0.chu.fr/test",
         "mongodb-url:mongodb+srv://admin:***@cluster0.chu.fr/test"),
        ("jdbc:oracle:thin:scott/Tiger12@db01:1521:ORCL",
         "oracle-url:jdbc:oracle:thin:scott/***@db01:1521:ORCL"),
        ("aws_access_key_id = AKIAIOSFODNN7EXAMPLE", "aws-access-key-id:AKIAIOSFODNN7EXAMPLE"),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIEow...", "private-key:RSA"),
        ("-----BEGIN PRIVATE KEY-----", "private-key:PKCS8"),
        ("token ghp_abcdefghijklmnopqrstuvwxyz0123456789", "github-token:ghp_***"),
        ("Authorization: Basic YWRtaW46c2VjcmV0MTIz", "basic-auth:admin:***"),
        ('curl -H "Authorization: Bearer abcdef0123456789abcdef"', "bearer-token:Bearer ***"),
        ("root:$6$rounds=5000$saltsalt$Yo2f8H3sFjS3A3qjG8dYQw0K6F1yq7V1bXkq2rN8r0X7a6bYqZ5Zg0"
         "t1n9Lw4bC2dE5fG7hJ9kL1mN3pQ5rS7t:18000:0:99999:7:::",
         "crypt-hash:root:$6$rounds=5000$***"),
        ("admin:$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/", "crypt-hash:admin:$apr1$***"),
        ("$2y$10$" + "a" * 22 + "b" * 31, "bcrypt-hash:$2y$10$***"),
        ("userPassword: {SSHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", "ldap-hash:{SSHA}***"),
        ("Votre mot de passe provisoire : Az3rty!9", "password:mot de passe=***"),
    ],
)
def test_credentials_and_masked_values(text: str, value: str) -> None:
    assert value in values(text)
    for hit in scan_credentials(text):  # the secret never appears in the value
        for secret in ("S3cr3t", "hunter2x", "Tr0ub4dor", "P4ssw0rd", "Xy7pass", "M0ngo",
                       "Tiger12", "wJalrX", "c2VjcmV0", "Az3rty", "HqJZim", "W6ph5"):
            assert secret not in hit[2]


def test_jwt_value_is_its_header() -> None:
    jwt = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
           "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U")
    assert first(f"Authorization: Bearer {jwt}") == (
        'jwt:{"alg":"HS256","typ":"JWT"}', 0.9, "regex+jwt")


@pytest.mark.parametrize(
    "text",
    [
        "password=",
        "password = ${DB_PASSWORD}",
        "password: changeme",
        'password: "<password>"',
        "PASSWORD=********",
        "pwd = %(pwd)s",
        "secret: {{ vault_secret }}",
        'password = os.environ["DB_PASSWORD"]',
        "password = get_password()",
        "self.password = password",
        "password = None",
        'if password == "":',
        "Mot de passe oublié ?",
        "mot de passe : voir avec l'équipe informatique",
        "Le mot de passe est personnel et ne doit pas être communiqué.",
        "password_expiration_days = 90",
        "min_password_length: 12",
        "token_type: bearer",
        "passage = 3",
        "https://www.chu.fr/page?x=1",
        "postgresql://app:${DB_PASS}@db01/dpi",
        "sha256 = 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "Authorization: Bearer <token>",
        "-----BEGIN PUBLIC KEY-----",
        "-----BEGIN CERTIFICATE-----",
    ],
)
def test_not_credentials(text: str) -> None:
    assert values(text) == []


def test_plain_word_password_is_less_certain() -> None:
    assert first("DB_PASSWORD=soleil")[1] == 0.7
    assert first("DB_PASSWORD=Soleil2024")[1] == 0.9


def test_prose_without_secrets_scales_linearly() -> None:
    """No credential in 10 000 or 40 000 lines of prose, in time linear in the text (a
    complexity check, not a wall-clock limit: see tests/complexity.py)."""
    line = "Le patient a été vu en consultation, contrôle à 3 mois. Traitement inchangé.\n"
    small, large = line * 10_000, line * 40_000
    got: dict[int, list] = {}

    def run(text: str) -> None:
        got[len(text)] = values(text)

    assert_scales(lambda: run(small), lambda: run(large), what="scan_credentials")
    assert got == {len(small): [], len(large): []}


# ----------------------------------------------------------------------------- tables


def _table(header: list[str], rows: list[list[str]]) -> TableUnit:
    return TableUnit(header=header, rows=rows, name="users",
                     row_numbers=list(range(2, len(rows) + 2)))


def test_users_table_password_column() -> None:
    rows = [[f"user{i}", ["DUPONT", "MARTIN", "LEROY"][i % 3], ["Marie", "Jean"][i % 2],
             f"$2y$10${'a' * 22}{i:031d}" if i % 2 else f"Pw{i}!x", "2024-01-02"]
            for i in range(20)]
    table = _table(["login", "nom", "prenom", "mot_de_passe", "date_modif_mdp"], rows)
    labels = [c.label for c in classify_columns(table)]
    assert labels[3] == "CREDENTIAL" and labels[4] != "CREDENTIAL"
    detection = detect_table(table)
    creds = [f for f in detection.findings if f.entity == "CREDENTIAL"]
    assert len(creds) == 20
    assert {f.value for f in creds} == {"bcrypt-hash:$2y$10$***", "password:mot_de_passe=***"}
    assert creds[0].detector == "column+credential"
    assert all("CREDENTIAL" in r.entities for r in detection.records)


def test_file_hash_column_is_not_a_credential() -> None:
    rows = [[f"doc{i}.pdf", f"{i:064x}"] for i in range(20)]
    assert classify_columns(_table(["fichier", "hash"], rows))[1].label is None
    rows = [[f"t{i}", "Bearer"] for i in range(20)]
    assert classify_columns(_table(["id", "token_type"], rows))[1].label is None


# ----------------------------------------------------------------------------- end to end


def _findings(cli, tmp_path: Path, dump: Path) -> list[dict[str, str]]:
    case = tmp_path / "case"
    assert cli("scan", dump, "--case", case).exit_code == 0
    out = tmp_path / "findings.csv"
    assert cli("export", "--case", case, "--what", "findings", "--format", "csv",
               "-o", out).exit_code == 0
    return list(csv.DictReader(out.open(encoding="utf-8")))


def _luhn(body: str) -> str:
    total = 0
    for i, c in enumerate(reversed(body)):
        d = int(c) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)


@pytest.mark.slow
def test_cli_config_staff_csv_and_letter(tmp_path: Path, cli) -> None:
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "app.env").write_text(
        "DB_HOST=db01\nDATABASE_URL=postgresql://dpi_app:Xy7pass@db01:5432/dpi\n"
        "DB_PASSWORD=S3cr3t!2024\nSMTP_PASSWORD=${SMTP_PASSWORD}\n", encoding="utf-8")
    (dump / "settings.ini").write_text(
        "[database]\nhost = db01\nuser = dpi\npassword = Ini_pw42\n", encoding="utf-8")
    rpps = ["10109804632", "10008937095", "10111548680", "10010075736", "10005974372"]
    lines = ["nom;prenom;fonction;n_rpps"] + [
        f"{n};{p};Médecin;{r}" for n, p, r in
        zip(["DUPONT", "MARTIN", "LEROY", "PETIT", "DURAND"],
            ["Marie", "Jean", "Luc", "Anne", "Paul"], rpps, strict=True)]
    (dump / "medecins.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    card = _luhn("497010123456789")
    (dump / "courrier.txt").write_text(
        "Madame,\nNous avons bien reçu votre règlement par carte bancaire n° "
        f"{card[:4]} {card[4:8]} {card[8:12]} {card[12:]} (expiration 09/27).\n"
        "Commande n° 0612345678. Facture 2024-0012.\n", encoding="utf-8")

    rows = _findings(cli, tmp_path, dump)
    got = {(r["file"], r["entity"], r["value"]) for r in rows}
    assert ("app.env", "CREDENTIAL", "postgres-url:postgresql://dpi_app:***@db01:5432/dpi") in got
    assert ("app.env", "CREDENTIAL", "password:DB_PASSWORD=***") in got
    assert ("settings.ini", "CREDENTIAL", "password:password=***") in got
    assert not any("SMTP" in v for _, _, v in got)
    assert {v for f, e, v in got if f == "medecins.csv" and e == "RPPS"} == set(rpps)
    assert ("courrier.txt", "PAYMENT_CARD", card) in got
    assert not any(e == "PHONE" for f, e, _ in got if f == "courrier.txt")
    everything = " ".join(r["value"] for r in rows)
    assert "S3cr3t" not in everything and "Xy7pass" not in everything


def test_connection_string_with_a_dotted_host_through_scan_text() -> None:
    from breachscope.detect.text import scan_text
    from breachscope.extract.units import TextUnit

    found = scan_text(TextUnit("DATABASE_URL=postgresql://app:Xy7pass@db.chu-exemple.fr/dpi"))
    assert [(f.entity, f.value) for f in found] == [
        ("CREDENTIAL", "postgres-url:postgresql://app:***@db.chu-exemple.fr/dpi")]
