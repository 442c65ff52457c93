"""Password-protected OpenDocument files opened with the scan's passwords.

No encrypted ODF can be made here (no LibreOffice), so the test encrypts an odfpy document
the way ODF 1.2 §3.8 says LibreOffice does (deflate, then AES-256-CBC with W3C padding, key
PBKDF2-HMAC-SHA1 of SHA-256(password)), written from the standard, not from our reader."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import zipfile
import zlib
from pathlib import Path

import pytest
from Cryptodome.Cipher import AES
from Cryptodome.Hash import SHA1
from Cryptodome.Protocol.KDF import PBKDF2
from samples.office import make_ods, make_odt

from breachscope.extract.dispatch import partition
from breachscope.extract.passwords import using_passwords
from breachscope.extract.units import EncryptedContent

PASSWORD = "Secret-2026"
M = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"


def _encrypt(plain: bytes, password: str) -> tuple[bytes, str]:
    salt, iv = os.urandom(16), os.urandom(16)
    start = hashlib.sha256(password.encode()).digest()
    key = PBKDF2(start, salt, dkLen=32, count=1000, hmac_hash_module=SHA1)
    deflater = zlib.compressobj(6, zlib.DEFLATED, -15)
    data = deflater.compress(plain) + deflater.flush()
    pad = 16 - len(data) % 16
    data += os.urandom(pad - 1) + bytes([pad])
    checksum = base64.b64encode(hashlib.sha256(data[:1024]).digest()).decode()
    info = (
        f'<manifest:encryption-data manifest:checksum-type="{M}#sha256-1k" '
        f'manifest:checksum="{checksum}">'
        f'<manifest:algorithm manifest:algorithm-name="http://www.w3.org/2001/04/xmlenc#'
        f'aes256-cbc" manifest:initialisation-vector="{base64.b64encode(iv).decode()}"/>'
        f'<manifest:start-key-generation manifest:start-key-generation-name='
        f'"http://www.w3.org/2000/09/xmldsig#sha256" manifest:key-size="32"/>'
        f'<manifest:key-derivation manifest:key-derivation-name="PBKDF2" manifest:key-size="32" '
        f'manifest:iteration-count="1000" manifest:salt="{base64.b64encode(salt).decode()}"/>'
        f'</manifest:encryption-data>')
    return AES.new(key, AES.MODE_CBC, iv=iv).encrypt(data), info


def encrypt_odf(source: Path, target: Path, password: str = PASSWORD) -> None:
    entries = []
    with zipfile.ZipFile(source) as plain, zipfile.ZipFile(target, "w") as out:
        mimetype = plain.read("mimetype").decode()
        out.writestr("mimetype", mimetype, compress_type=zipfile.ZIP_STORED)
        entries.append(f'<manifest:file-entry manifest:full-path="/" '
                       f'manifest:media-type="{mimetype}"/>')
        for info in plain.infolist():
            if info.filename in ("mimetype", "META-INF/manifest.xml"):
                continue
            data = plain.read(info)
            if info.filename.endswith(".xml"):
                data, crypt = _encrypt(data, password)
                entries.append(f'<manifest:file-entry manifest:full-path="{info.filename}" '
                               f'manifest:media-type="text/xml" manifest:size="{info.file_size}">'
                               f'{crypt}</manifest:file-entry>')
            out.writestr(info.filename, data, compress_type=zipfile.ZIP_STORED)
        manifest = (f'<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                    f'xmlns:manifest="{M}" manifest:version="1.2">{"".join(entries)}'
                    f'</manifest:manifest>')
        out.writestr("META-INF/manifest.xml", manifest)


@pytest.mark.parametrize(("make", "kind"), [(make_odt, "odt"), (make_ods, "ods")])
def test_protected_odf_opens_with_a_known_password(tmp_path: Path, make, kind: str) -> None:
    plain = tmp_path / f"plain.{kind}"
    make(plain)
    protected = tmp_path / f"protected.{kind}"
    encrypt_odf(plain, protected)
    with zipfile.ZipFile(protected) as archive:  # really encrypted: no readable NIR
        assert b"254037512345655" not in b"".join(archive.read(n) for n in archive.namelist())

    def text(units) -> str:
        return "\n".join(getattr(u, "text", "") + " ".join(
            " ".join(row) for row in getattr(u, "rows", [])) for u in units)

    with pytest.raises(EncryptedContent, match=r"\(password protected\)$"):
        list(partition(protected, kind))
    with using_passwords([b"wrong"]), pytest.raises(EncryptedContent,
                                                     match="no known password opens it"):
        list(partition(protected, kind))
    with using_passwords([b"wrong", PASSWORD.encode()]):
        opened = text(partition(protected, kind))
    assert opened and opened == text(partition(plain, kind))


@pytest.mark.slow
def test_protected_odt_through_the_cli(tmp_path: Path, cli) -> None:
    import csv

    make_odt(tmp_path / "plain.odt")
    dump = tmp_path / "dump"
    dump.mkdir()
    encrypt_odf(tmp_path / "plain.odt", dump / "courrier.odt")
    (tmp_path / "passwords.txt").write_text(f"{PASSWORD}\n")
    case = tmp_path / "case"
    assert cli("scan", dump, "--case", case).exit_code == 0
    assert cli("scan", dump, "--case", case, "--passwords", tmp_path / "passwords.txt"
               ).exit_code == 0
    out = tmp_path / "files.csv"
    assert cli("export", "--case", case, "--what", "findings", "--format", "csv",
               "-o", out).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert ("courrier.odt", "NIR", "254037512345655") in {
        (r["file"], r["entity"], r["value"]) for r in rows}
