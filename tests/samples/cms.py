"""CMS / PKCS #7 containers (.p7m) for tests and benches: opaque-signed (any eContent type),
enveloped, compressed. Built without keys: breachscope parses, it checks no signature."""

from __future__ import annotations

import zlib

MAIL = ("From: Marie Dupont <marie.dupont@orange.fr>\r\nTo: secretariat@ch-exemple.fr\r\n"
        "Subject: Compte rendu\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "NIR 2 54 03 75 123 456 55, tél 06 12 34 56 78\r\n").encode()


_OIDS = {"data": "2a864886f70d010701", "signed_data": "2a864886f70d010702",
         "compressed_data": "2a864886f70d0109100109"}


def _tlv(tag: int, body: bytes) -> bytes:
    size = len(body)
    if size < 0x80:
        return bytes([tag, size]) + body
    raw = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(raw)]) + raw + body


def signed(content: bytes, inner_type: str = "data") -> bytes:
    """An opaque-signed CMS structure (DER, no signer: parsing does not check signatures),
    written by hand so that the eContent may be any type (asn1crypto only builds it for
    plain data)."""
    oid = bytes.fromhex(_OIDS[inner_type])
    encap = _tlv(0x30, _tlv(0x06, oid) + _tlv(0xA0, _tlv(0x04, content)))
    body = _tlv(0x02, b"\x01") + _tlv(0x31, b"") + encap + _tlv(0x31, b"")
    return _tlv(0x30, _tlv(0x06, bytes.fromhex(_OIDS["signed_data"]))
                + _tlv(0xA0, _tlv(0x30, body)))


def enveloped() -> bytes:
    from asn1crypto import cms

    return cms.ContentInfo({"content_type": "enveloped_data", "content": cms.EnvelopedData({
        "version": "v0", "recipient_infos": [],
        "encrypted_content_info": {
            "content_type": "data",
            "content_encryption_algorithm": {"algorithm": "aes128_cbc",
                                             "parameters": b"\x00" * 16},
            "encrypted_content": b"\x01" * 32}})}).dump()


def compressed_data(content: bytes) -> bytes:
    """A CompressedData structure (RFC 3274), as the eContent of a signed container."""
    from asn1crypto import cms

    return cms.CompressedData({
        "version": "v0", "compression_algorithm": {"algorithm": "zlib"},
        "encap_content_info": {"content_type": "data",
                               "content": zlib.compress(content)}}).dump()


def compressed(content: bytes) -> bytes:
    from asn1crypto import cms

    return cms.ContentInfo({"content_type": "compressed_data",
                            "content": cms.CompressedData.load(compressed_data(content))}).dump()


