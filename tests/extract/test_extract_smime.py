"""CMS/PKCS #7 (.p7m, S/MIME): the signed content is a member; enveloped data is encrypted."""

from __future__ import annotations

import base64
import csv
import shutil
import subprocess
from email.message import EmailMessage
from pathlib import Path

import pytest
from samples.cms import MAIL, compressed, compressed_data, enveloped, signed
from samples.mail import NIR, PHONE

from breachscope.extract.dispatch import partition
from breachscope.extract.units import EmbeddedFile, EncryptedContent, ExtractionError, TextUnit
from breachscope.ingest.sniff import sniff_type


def write_text(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def units_of(path: Path) -> list:
    return list(partition(path, sniff_type(path)))


def members(units: list) -> dict[str, bytes]:
    return {u.name: b"".join(u.chunks()) for u in units if isinstance(u, EmbeddedFile)}


@pytest.mark.parametrize("form", ["der", "pem", "base64", "mime"])
def test_signed_mail_is_a_member_in_every_encoding(tmp_path, form):
    der = signed(MAIL)
    data = {
        "der": der,
        "pem": b"-----BEGIN PKCS7-----\n" + base64.encodebytes(der) + b"-----END PKCS7-----\n",
        "base64": base64.encodebytes(der),
        "mime": b'Content-Type: application/pkcs7-mime; smime-type=signed-data; '
                b'name="smime.p7m"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
                + base64.encodebytes(der),
    }[form]
    path = tmp_path / "smime.p7m"
    path.write_bytes(data)
    if form != "mime":  # headers first: sniffed as text (see the report to the lead)
        assert sniff_type(path) == "p7m"
    units = list(partition(path, "p7m"))
    assert members(units) == {"message.eml": MAIL}


def test_signed_document_keeps_its_name_and_nested_containers_unwrap(tmp_path):
    # (A signed PDF is not used here: "%PDF-" in the first kilobyte makes sniff_type say
    # "pdf" before the CMS check; reported to the lead.)
    report = b"{\\rtf1 compte rendu}"
    path = tmp_path / "compte-rendu.rtf.p7m"
    path.write_bytes(signed(report))
    assert members(units_of(path)) == {"compte-rendu.rtf": report}
    other = tmp_path / "blob"
    other.write_bytes(signed(report))
    assert members(units_of(other)) == {"content.bin": report}
    # Compressed inside signed (eContentType compressedData), a signed ContentInfo inside
    # that, as plain data: unwrapped to the content.
    nested = tmp_path / "nested.p7m"
    nested.write_bytes(signed(compressed_data(signed(MAIL)), "compressed_data"))
    assert members(units_of(nested)) == {"message.eml": MAIL}
    deep = signed(MAIL)
    for _ in range(10):
        deep = signed(deep)
    (tmp_path / "deep.p7m").write_bytes(deep)
    with pytest.raises(ExtractionError, match="nested too deeply"):
        units_of(tmp_path / "deep.p7m")


def test_enveloped_is_encrypted_and_damage_fails(tmp_path):
    path = tmp_path / "secret.p7m"
    path.write_bytes(enveloped())
    assert sniff_type(path) == "p7m"
    with pytest.raises(EncryptedContent, match=r"^S/MIME enveloped \(encrypted to a recipient\)$"):
        units_of(path)
    cut = tmp_path / "cut.p7m"
    cut.write_bytes(signed(MAIL)[:60])
    with pytest.raises(ExtractionError) as exc:
        units_of(cut)
    assert "DUPONT" not in str(exc.value) and "Dupont" not in str(exc.value)
    noise = tmp_path / "noise.p7m"
    noise.write_bytes(signed(MAIL)[:24] + bytes(range(256)) * 4)
    assert sniff_type(noise) == "p7m"
    with pytest.raises(ExtractionError):
        units_of(noise)
    with pytest.raises(ExtractionError, match="not a CMS"):
        list(partition(write_text(tmp_path / "t.p7m", "plain text, no base64 !"), "p7m"))


def test_compressed_bomb_is_refused(tmp_path, monkeypatch):
    import breachscope.extract.smime as smime

    bomb = tmp_path / "bomb.p7m"
    bomb.write_bytes(compressed(b"\x00" * (1 << 20)))
    assert len(bomb.read_bytes()) < 2000
    # (compressedData alone is not sniffed as p7m: only signed/enveloped OIDs are; reported)
    monkeypatch.setattr(smime, "MAX_CONTENT_BYTES", 1000)
    with pytest.raises(ExtractionError, match="inflates beyond"):
        list(partition(bomb, "p7m"))
    monkeypatch.setattr(smime, "MAX_CONTENT_BYTES", 2 << 20)
    assert members(list(partition(bomb, "p7m"))) == {"content.bin": b"\x00" * (1 << 20)}


def _openssl(tmp_path: Path, *args: str) -> None:
    subprocess.run(["openssl", *args], cwd=tmp_path, check=True, capture_output=True,
                   timeout=60)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")
def test_openssl_signed_mail_streamed_ber_and_certificate(tmp_path):
    """A real signature by a throwaway key, in OpenSSL's streamed BER output."""
    _openssl(tmp_path, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "k.pem",
             "-out", "c.pem", "-days", "2", "-subj",
             "/CN=Dr Jean Martin/emailAddress=jean.martin@ch-exemple.mssante.fr")
    (tmp_path / "m.txt").write_bytes(MAIL)
    _openssl(tmp_path, "cms", "-sign", "-nodetach", "-stream", "-binary", "-in", "m.txt",
             "-signer", "c.pem", "-inkey", "k.pem", "-outform", "DER", "-out", "s.p7m")
    path = tmp_path / "s.p7m"
    assert sniff_type(path) == "p7m"
    units = units_of(path)
    assert members(units) == {"message.eml": MAIL}
    certificate = next(u for u in units if isinstance(u, TextUnit))
    assert certificate.name == "certificate 1"
    assert "jean.martin@ch-exemple.mssante.fr" in certificate.text


@pytest.mark.slow
def test_scan_reads_an_smime_mail_and_a_signed_document(tmp_path, cli):
    dump = tmp_path / "dump"
    dump.mkdir()
    outer = EmailMessage()
    outer["From"] = "Dr Jean Martin <jean.martin@ch-exemple.mssante.fr>"
    outer["To"] = "secretariat@ch-exemple.fr"
    outer["Subject"] = "Message sécurisé"
    outer.set_content(signed(MAIL), maintype="application", subtype="pkcs7-mime",
                      params={"smime-type": "signed-data"}, filename="smime.p7m")
    (dump / "mssante.eml").write_bytes(outer.as_bytes())
    csv_bytes = b"nom;NIR;tel\nDUPONT;2 54 03 75 123 456 55;06 12 34 56 78\n"
    (dump / "liste.csv.p7m").write_bytes(signed(csv_bytes))
    (dump / "chiffre.p7m").write_bytes(enveloped())
    case = tmp_path / "case"
    assert cli("scan", dump, "--case", case).exit_code == 0
    out = tmp_path / "findings.csv"
    assert cli("export", "--case", case, "--what", "findings", "--format", "csv",
               "-o", out).exit_code == 0
    got = {(r["file"], r["entity"], r["value"]) for r in csv.DictReader(out.open())}
    assert {("mssante.eml!/smime.p7m!/message.eml", "NIR", NIR),
            ("mssante.eml!/smime.p7m!/message.eml", "PHONE", PHONE),
            ("mssante.eml!/smime.p7m!/message.eml", "EMAIL", "marie.dupont@orange.fr"),
            ("liste.csv.p7m!/liste.csv", "NIR", NIR)} <= got, sorted(got)
    files_out = tmp_path / "files.csv"
    assert cli("export", "--case", case, "--what", "files", "--format", "csv",
               "-o", files_out).exit_code == 0
    files = {r["file"]: r for r in csv.DictReader(files_out.open())}
    assert files["chiffre.p7m"]["status"] == "encrypted"
    assert files["mssante.eml!/smime.p7m"]["type"] == "p7m"
