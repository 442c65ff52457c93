"""CMS / PKCS #7 / S/MIME containers (``.p7m``: MSSanté mail, signed documents such as
``compte-rendu.pdf.p7m``) → the content they wrap, scanned as a member.

- Read with ``asn1crypto`` (MIT, pure Python, no OpenSSL binding: parsing only, no signature
  check — the content matters here, not whether the signature holds). DER and BER (OpenSSL's
  streamed ``-stream`` output: indefinite lengths, chunked octet strings), PEM
  (``-----BEGIN PKCS7-----`` / ``CMS``) and bare base64, with or without the MIME headers of
  an ``application/pkcs7-mime`` part before it.
- **signedData** (opaque-signed), **digestedData**, **data**: the encapsulated content is an
  :class:`EmbeddedFile` named ``message.eml`` when it is a MIME message (an S/MIME mail), else
  the container's name without ``.p7m`` (``compte-rendu.pdf``), else ``content.bin``; the worker
  sniffs and scans it in turn (a signed-then-encrypted message nests). A detached signature
  (``smime.p7s``: no content inside) gives no member. The signers' certificates are read as
  text (``certificate N``: subject and issuer names, e-mail addresses of the health
  professionals who signed).
- **compressedData** (RFC 3274): inflated with a cap (:data:`MAX_CONTENT_BYTES`).
- **envelopedData**, **authEnvelopedData**, **encryptedData** (encrypted to a recipient's key
  or a secret): recorded ``encrypted`` (no password of ``--passwords`` opens them).
"""

from __future__ import annotations

import base64
import binascii
import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from breachscope.extract.units import EmbeddedFile, EncryptedContent, ExtractionError, TextUnit

#: A container larger than this is not read (it is parsed in memory).
MAX_P7M_BYTES = 256 * 1024 * 1024
#: Content inflated from compressedData at most.
MAX_CONTENT_BYTES = 256 * 1024 * 1024
#: Containers nested inside one file unwrapped at most (signed inside signed...).
MAX_NESTING = 8
#: Certificates read as text at most.
MAX_CERTIFICATES = 20
CHUNK_BYTES = 1 << 20

_PEM = re.compile(rb"-----BEGIN (?:PKCS7|CMS|PKCS #7 SIGNED DATA)-----(.*?)-----END [^-]+-----",
                  re.DOTALL)
#: A block of mail header lines (continuation lines included) at the start of a content.
_MAIL_HEAD = re.compile(
    rb"^(?:[A-Za-z][A-Za-z0-9-]{1,40}:[ \t]?[^\r\n]*\r?\n(?:[ \t][^\r\n]*\r?\n)*){1,60}")
_MAIL_FIELDS = (b"content-type:", b"from:", b"to:", b"subject:", b"mime-version:", b"date:")
_CONTAINERS = ("signed_data", "compressed_data", "digested_data")
_ENCRYPTED = {
    "enveloped_data": "S/MIME enveloped (encrypted to a recipient)",
    "authenticated_enveloped_data": "S/MIME enveloped (encrypted to a recipient)",
    "signed_and_enveloped_data": "PKCS #7 signed and enveloped (encrypted to a recipient)",
    "encrypted_data": "CMS encrypted data (encrypted with a secret key)",
}


def _der(data: bytes) -> bytes:
    """The binary container from DER/BER, PEM or base64 (after MIME headers) bytes."""
    if data[:1] == b"\x30":
        return data
    if found := _PEM.search(data):
        data = found.group(1)
    else:
        # A pkcs7-mime part saved with its headers: the base64 starts after the blank line.
        head = data[:8192].lower()
        if b"pkcs7" in head and b":" in head.split(b"\n", 1)[0]:
            parts = re.split(rb"\r?\n\r?\n", data, maxsplit=1)
            if len(parts) == 2:
                data = parts[1]
    compact = re.sub(rb"\s+", b"", data)
    try:
        decoded = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise ExtractionError("not a CMS/PKCS #7 structure (neither DER, PEM nor base64)") \
            from None
    if decoded[:1] != b"\x30":
        raise ExtractionError("not a CMS/PKCS #7 structure")
    return decoded


def _looks_like_mail(content: bytes) -> bool:
    head = content[:16384]
    match = _MAIL_HEAD.match(head)
    if not match:
        return False
    lowered = match.group().lower()
    return b"content-type:" in lowered or sum(f in lowered for f in _MAIL_FIELDS) >= 2


def _content_name(content: bytes, path: Path) -> str:
    if _looks_like_mail(content):
        return "message.eml"
    name = path.name
    if name.lower().endswith(".p7m") and "." in name[:-4].strip("."):
        from breachscope.extract.mail import sanitize_filename

        return sanitize_filename(name[:-4], "content.bin")
    return "content.bin"


def _slices(data: bytes) -> Any:
    def chunks() -> Iterator[bytes]:
        view = memoryview(data)
        for start in range(0, len(data), CHUNK_BYTES):
            yield bytes(view[start : start + CHUNK_BYTES])

    return chunks


def _certificate_units(signed: Any) -> Iterator[TextUnit]:
    try:
        certificates = list(signed["certificates"] or [])
    except Exception:
        return
    for number, choice in enumerate(certificates[:MAX_CERTIFICATES], 1):
        try:
            if choice.name != "certificate":
                continue
            cert = choice.chosen
            lines = [f"Subject: {cert.subject.human_friendly}",
                     f"Issuer: {cert.issuer.human_friendly}"]
            for general_name in (cert.subject_alt_name_value or []):
                if general_name.name == "rfc822_name":
                    lines.append(f"E-mail: {general_name.native}")
        except Exception:
            continue  # a malformed certificate: the content still matters more
        yield TextUnit(text="\n".join(lines), name=f"certificate {number}")


def _inflate(data: bytes) -> bytes:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, MAX_CONTENT_BYTES)
    except zlib.error:
        raise ExtractionError("CMS compressed data: damaged") from None
    if inflater.unconsumed_tail:
        raise ExtractionError(
            f"CMS compressed data inflates beyond {MAX_CONTENT_BYTES >> 20} MiB: not read")
    return out


def _unwrap(der: bytes) -> tuple[bytes | None, list[TextUnit]]:
    """The content inside (``None``: detached signature) and the certificates' units; nested
    containers (an eContent that is itself signed, compressed... data, or a ContentInfo
    carried as plain data) are unwrapped up to :data:`MAX_NESTING`."""
    from asn1crypto import cms, core

    specs = {"signed_data": cms.SignedData, "compressed_data": cms.CompressedData,
             "digested_data": cms.DigestedData}
    units: list[TextUnit] = []
    kind, content = _content_info(der)
    for _ in range(MAX_NESTING):
        if kind in _ENCRYPTED:
            raise EncryptedContent(_ENCRYPTED[kind])
        if kind == "data":
            try:
                return _octets(content), units
            except Exception as exc:
                raise ExtractionError(f"damaged CMS data ({type(exc).__name__})") from None
        if kind not in specs:
            raise ExtractionError(f"CMS content type not read: {kind}")
        try:
            if kind == "signed_data":
                units.extend(_certificate_units(content))
            inner_type, inner = _encapsulated(content["encap_content_info"])
            if isinstance(inner, core.Sequence) and inner_type in specs:
                # PKCS #7 v1.5 form: the inner structure itself, not wrapped in octets
                kind, content = inner_type, specs[inner_type].load(inner.dump())
                continue
            data = None if inner is None else _octets(inner)
        except Exception as exc:
            raise ExtractionError(f"damaged CMS/PKCS #7 {kind} ({type(exc).__name__})") \
                from None
        if data is None:
            return None, units  # a detached signature
        if kind == "compressed_data":
            data = _inflate(data)
        if inner_type in _ENCRYPTED:
            raise EncryptedContent(_ENCRYPTED[inner_type])
        if inner_type in specs:
            try:
                kind, content = inner_type, specs[inner_type].load(data)
            except Exception as exc:
                raise ExtractionError(f"damaged CMS/PKCS #7 {inner_type} "
                                      f"({type(exc).__name__})") from None
            continue
        if data[:1] == b"\x30" and _is_content_info(data):
            kind, content = _content_info(data)  # a container signed as plain data
            continue
        return data, units
    raise ExtractionError("CMS containers nested too deeply")


def _raw_encapsulated_spec() -> Any:
    from asn1crypto import cms, core

    class RawEncapsulated(core.Sequence):
        _fields = [("content_type", cms.ContentType),  # noqa: RUF012 (asn1crypto's spec style)
                   ("content", core.Any, {"explicit": 0, "optional": True})]

    return RawEncapsulated


def _encapsulated(encap: Any) -> tuple[str, Any]:
    """``(eContentType, eContent)`` of an EncapsulatedContentInfo; eContent is an octet
    string (CMS), a structure (PKCS #7 v1.5 nesting) or None (detached). Read through a
    spec of its own because asn1crypto's ``EncapsulatedContentInfo`` parses a nested
    container's eContent as the bare structure and fails on the CMS form (RFC 5652: the
    structure inside an OCTET STRING)."""
    from asn1crypto import core

    raw = _raw_encapsulated_spec().load(encap.dump())
    inner_type = str(raw["content_type"].native)
    inner = raw["content"]
    if isinstance(inner, core.Void):
        return inner_type, None
    parsed = inner.parse()  # the universal type found: OCTET STRING (CMS) or SEQUENCE
    if isinstance(parsed, core.OctetString | core.Sequence):
        return inner_type, parsed
    raise ValueError("unexpected eContent")


def _content_info(der: bytes) -> tuple[str, Any]:
    from asn1crypto import cms

    try:
        info = cms.ContentInfo.load(der)
        return str(info["content_type"].native), info["content"]
    except Exception as exc:
        raise ExtractionError(f"damaged CMS/PKCS #7 structure ({type(exc).__name__})") \
            from None


def _octets(value: Any) -> bytes:
    """The bytes of an OCTET STRING (possibly BER-chunked), parsed or not."""
    from asn1crypto import core

    if isinstance(value, core.OctetString | core.ParsableOctetString):
        return value.__bytes__()  # chunks of a BER constructed string merged
    raise ValueError("not an octet string")


def _is_content_info(data: bytes) -> bool:
    from asn1crypto import cms

    try:
        return cms.ContentInfo.load(data)["content_type"].native in (*_CONTAINERS, *_ENCRYPTED)
    except Exception:
        return False


def partition_p7m(path: Path) -> Iterator[TextUnit | EmbeddedFile]:
    """The content of a CMS/PKCS #7 container (see the module docstring)."""
    path = Path(path)
    if path.stat().st_size > MAX_P7M_BYTES:
        raise ExtractionError(f"p7m larger than {MAX_P7M_BYTES >> 20} MiB: not read")
    data = path.read_bytes()
    content, units = _unwrap(_der(data))
    del data
    yield from units
    if content:
        yield EmbeddedFile(_content_name(content, path), _slices(content))
