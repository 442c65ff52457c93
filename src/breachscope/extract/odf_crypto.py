"""Password-protected OpenDocument files (odt, ods) opened with the scan's known passwords.

ODF encrypts each part on its own and says how in ``META-INF/manifest.xml`` (ODF 1.2, part 3,
§3.8 "Encryption"): the part was deflated, then encrypted; the key is PBKDF2-HMAC-SHA1 of a
start key (SHA-256 of the UTF-8 password — ``#sha256`` —, SHA-1 for files written before ODF
1.2), with the salt and iteration count of the manifest; the cipher is AES-256-CBC (W3C
padding: the last byte counts the padding) or, in OpenOffice 2 files, Blowfish CFB-8.

No Python library decrypts ODF (msoffcrypto-tool reads Microsoft formats only), so this is
written here on pycryptodomex's public primitives. A wrong password gives bytes that do not
inflate: the next password is tried. The decrypted document is rebuilt as a plain OpenDocument
zip in an anonymous in-memory file (never on disk) and read by its own extractor.
"""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from breachscope.extract.passwords import known_password_texts
from breachscope.extract.units import EncryptedContent, ExtractionError, Unit

MANIFEST = "META-INF/manifest.xml"
_NS = "{urn:oasis:names:tc:opendocument:xmlns:manifest:1.0}"
#: Bytes a decrypted part may inflate to (a document's parts are parsed whole later anyway).
MAX_PART_BYTES = 256 * 1024 * 1024
MAX_ITERATIONS = 10_000_000  # PBKDF2 rounds a hostile manifest may ask for


@dataclass(frozen=True, slots=True)
class _Encryption:
    algorithm: str
    iv: bytes
    salt: bytes
    iterations: int
    key_size: int
    start_key: str  # hash of the password that PBKDF2 starts from


def _parse_manifest(data: bytes) -> dict[str, _Encryption]:
    from defusedxml.ElementTree import fromstring

    root = fromstring(data, forbid_dtd=True)
    out: dict[str, _Encryption] = {}
    for entry in root.iter(f"{_NS}file-entry"):
        info = entry.find(f"{_NS}encryption-data")
        if info is None:
            continue
        algorithm = info.find(f"{_NS}algorithm")
        derivation = info.find(f"{_NS}key-derivation")
        start = info.find(f"{_NS}start-key-generation")
        if algorithm is None or derivation is None:
            raise ExtractionError("corrupt ODF: incomplete encryption data in its manifest")
        name = algorithm.get(f"{_NS}algorithm-name", "")
        out[entry.get(f"{_NS}full-path", "")] = _Encryption(
            algorithm="aes" if name.endswith("aes256-cbc") else (
                "blowfish" if "blowfish" in name.lower() else name),
            iv=base64.b64decode(algorithm.get(f"{_NS}initialisation-vector", "")),
            salt=base64.b64decode(derivation.get(f"{_NS}salt", "")),
            iterations=int(derivation.get(f"{_NS}iteration-count", "1024")),
            key_size=int(derivation.get(f"{_NS}key-size", "16")),
            start_key="sha256" if start is not None and start.get(
                f"{_NS}start-key-generation-name", "").endswith("sha256") else "sha1",
        )
    return out


def _decrypt(data: bytes, how: _Encryption, password: str) -> bytes:
    """The part's plain bytes, or ValueError for a wrong password (or damaged part)."""
    from Cryptodome.Cipher import AES, Blowfish
    from Cryptodome.Hash import SHA1
    from Cryptodome.Protocol.KDF import PBKDF2

    if not 0 < how.iterations <= MAX_ITERATIONS:
        raise ExtractionError("corrupt ODF: unreasonable key derivation in its manifest")
    start = hashlib.new(how.start_key, password.encode("utf-8")).digest()
    key = PBKDF2(start, how.salt, dkLen=how.key_size, count=how.iterations, hmac_hash_module=SHA1)
    if how.algorithm == "aes":
        if len(data) % 16 or len(how.iv) != 16:
            raise ValueError("not AES-CBC data")
        plain = AES.new(key, AES.MODE_CBC, iv=how.iv).decrypt(data)
        pad = plain[-1] if plain else 0
        if not 1 <= pad <= 16:
            raise ValueError("bad padding")
        plain = plain[:-pad]
    elif how.algorithm == "blowfish":
        plain = Blowfish.new(key, Blowfish.MODE_CFB, iv=how.iv, segment_size=8).decrypt(data)
    else:
        raise EncryptedContent("ODF encrypted with an unsupported algorithm")
    inflater = zlib.decompressobj(-15)
    out = inflater.decompress(plain, MAX_PART_BYTES)
    if inflater.unconsumed_tail:
        raise ExtractionError(f"ODF refused: a part inflates beyond {MAX_PART_BYTES >> 20} MiB")
    out += inflater.flush()
    if not inflater.eof:  # a wrong key gives bytes that do not end as a deflate stream
        raise ValueError("not a complete deflate stream")
    return out


def _plain_manifest(data: bytes) -> bytes:
    from xml.etree.ElementTree import register_namespace, tostring

    from defusedxml.ElementTree import fromstring

    register_namespace("manifest", _NS[1:-1])
    root = fromstring(data, forbid_dtd=True)
    for entry in root.iter(f"{_NS}file-entry"):
        for info in entry.findall(f"{_NS}encryption-data"):
            entry.remove(info)
    return tostring(root, encoding="utf-8", xml_declaration=True)


def _plain_document(archive: zipfile.ZipFile, encrypted: dict[str, _Encryption],
                    password: str) -> bytes | None:
    """The document rebuilt without encryption, or None when ``password`` is wrong."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as plain:
        for info in archive.infolist():
            data = archive.read(info)
            if info.filename == MANIFEST:
                data = _plain_manifest(data)  # readers need one, without encryption data
            how = encrypted.get(info.filename)
            if how is not None:
                try:
                    data = _decrypt(data, how, password)
                except (ValueError, zlib.error):
                    return None
            kind = zipfile.ZIP_STORED if info.filename == "mimetype" else zipfile.ZIP_DEFLATED
            plain.writestr(info.filename, data, compress_type=kind)
    return out.getvalue()


def partition_odf_decrypted(path: Path, kind: str) -> Iterator[Unit]:
    """The units of the password-protected OpenDocument file at ``path`` (``kind``: odt or
    ods), opened with the first known password that decrypts it; else
    :class:`EncryptedContent`."""
    from breachscope.sealed_blobs import memory_file

    reason = f"{kind} encrypted (password protected)"
    passwords = known_password_texts()
    if not passwords:
        raise EncryptedContent(reason)
    with zipfile.ZipFile(path) as archive:
        encrypted = _parse_manifest(archive.read(MANIFEST))
        for password in passwords:
            document = _plain_document(archive, encrypted, password)
            if document is None:
                continue
            from breachscope.extract.dispatch import partition

            with memory_file(f"breachscope-{kind}") as (handle, plain_path):
                handle.write(document)
                handle.flush()
                del document
                yield from partition(plain_path, kind)
            return
    raise EncryptedContent(f"{reason}; no known password opens it")
