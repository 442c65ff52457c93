"""WinZip AES zips as 7-Zip and Keka write them (issue 12: "an AES zip made by Keka fails
with RuntimeError and lists no members, even with --passwords")."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
import pyzipper
from samples.aes_zip import AesMember, aes_zip

from breachscope.ingest.archives import ArchiveError, iter_members

PASSWORD = "Hôpital-2024!".encode()
CSV = "nom;prénom;nir\nDUPONT;Éloïse;285027512345678\n".encode() * 40
NFD = unicodedata.normalize("NFD", "dossier/Éloïse résumé.csv")  # as macOS names files


def listing(path: Path, passwords: list[bytes]) -> list[tuple[str, str, bytes | None]]:
    out = []
    for m in iter_members(path, "zip", passwords=passwords):
        out.append((m.name, m.status, b"".join(m.chunks()) if m.status == "ok" else None))
    return out


@pytest.mark.parametrize("member", [
    AesMember(NFD, CSV),  # AE-2, deflate, AES-256, UTF-8 flag: 7-Zip's defaults
    AesMember(NFD, CSV, version=1),
    AesMember(NFD, CSV, data_descriptor=True),
    AesMember(NFD, CSV, version=1, data_descriptor=True, strength=1),
    AesMember(NFD, CSV, method=0, strength=2),
    AesMember("resume.csv", CSV, utf8_flag=False, unicode_extra=NFD),
    AesMember(NFD, b""),  # an empty file, encrypted all the same
], ids=["ae2", "ae1", "ae2-descriptor", "ae1-descriptor-aes128", "stored-aes192",
        "unicode-path-field", "empty"])
def test_seven_zip_style_aes_members(tmp_path: Path, member: AesMember) -> None:
    other = AesMember("notes.txt", b"rendez-vous lundi\n" * 10)
    path = tmp_path / "keka.zip"
    path.write_bytes(aes_zip([member, other], PASSWORD))
    name = NFD
    if member.data:
        assert listing(path, []) == [(name, "encrypted", None), ("notes.txt", "encrypted", None)]
    assert listing(path, [b"wrong", PASSWORD]) == [
        (name, "ok", member.data), ("notes.txt", "ok", other.data)]


def test_wrong_password_is_encrypted_not_an_error(tmp_path: Path) -> None:
    path = tmp_path / "keka.zip"
    path.write_bytes(aes_zip([AesMember(NFD, CSV)], PASSWORD))
    [(name, status, data)] = listing(path, [b"azerty", PASSWORD.decode().upper().encode()])
    assert (name, status, data) == (NFD, "encrypted", None)


def test_tampered_aes_member_fails_alone(tmp_path: Path) -> None:
    """The authentication code covers the encrypted bytes: one flipped byte fails the member."""
    data = bytearray(aes_zip([AesMember("a.csv", CSV, method=0), AesMember("b.csv", CSV)],
                             PASSWORD))
    data[30 + len("a.csv") + 11 + 18 + 100] ^= 0xFF  # inside a.csv's ciphertext
    path = tmp_path / "tampered.zip"
    path.write_bytes(bytes(data))
    members = iter_members(path, "zip", passwords=[PASSWORD])
    a = next(members)
    with pytest.raises(ArchiveError, match="authentication code mismatch"):
        b"".join(a.chunks())
    b = next(members)
    assert b.status == "ok" and b"".join(b.chunks()) == CSV


def test_encrypted_member_named_mimetype_is_an_archive(tmp_path: Path) -> None:
    """A Keka zip of a folder that holds a ``mimetype`` file (an unpacked OpenDocument):
    reading that member to tell an OpenDocument from a zip must not fail on encryption."""
    from breachscope.ingest.sniff import sniff_type

    path = tmp_path / "keka_odf.zip"
    with pyzipper.AESZipFile(path, "w", compression=pyzipper.ZIP_DEFLATED,
                             encryption=pyzipper.WZ_AES) as zf:
        zf.setpassword(PASSWORD)
        zf.writestr("mimetype", b"application/vnd.oasis.opendocument.text")
        zf.writestr("content.csv", CSV)
    assert listing(path, [PASSWORD])[1] == ("content.csv", "ok", CSV)
    assert sniff_type(path) == "zip"
