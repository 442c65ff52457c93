"""What a file is, from its content: the extension of a file in a leak means nothing (files
are renamed, truncated, or random bytes named ``.csv``). The extension only breaks ties
between text formats, and tells a truncated ``.xlsx`` from a truncated zip.

:func:`sniff_type` returns one of :data:`TYPES`. It reads at most :data:`HEAD_SIZE` bytes for
text decisions (plus a zip's central directory for zip-based formats).
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

from breachscope.extract.delimited import looks_like_table, sniff_delimiter
from breachscope.extract.encoding import decode_bytes, looks_like_text
from breachscope.filetypes import TYPE_NAMES

#: Every type :func:`sniff_type` may return: the names of :data:`breachscope.filetypes.FILE_TYPES`
#: (its extractor, whether it is an archive, its label).
TYPES = TYPE_NAMES

HEAD_SIZE = 64 * 1024

_MAGIC: list[tuple[bytes, str]] = [
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"\x1f\x8b", "gzip"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"Rar!\x1a\x07", "rar"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"SQLite format 3\x00", "sqlite"),
    (b"{\\rtf", "rtf"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"!BDN", "pst"),  # Outlook PST/OST
    (b"\xe4\x52\x5c\x7b\x8c\xd8\xa7\x4d\xae\xb1\x53\x78\xd0\x29\x96\xd3", "onenote"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "jp2"),  # JPEG 2000 (JP2 box)
    (b"\xffO\xffQ", "jp2"),  # JPEG 2000 raw codestream
    (b"\xd7\xcd\xc6\x9a", "wmf"),  # placeable WMF
    (b"-----BEGIN PKCS7-----", "p7m"),
    (b"-----BEGIN CMS-----", "p7m"),
]
# ISO base media "ftyp" brands of HEIF images (HEIC from iPhones, AVIF).
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1",
                b"avif", b"avis"}
_ACCESS_MAGIC = (b"Standard Jet DB", b"Standard ACE DB")
# DER OIDs of CMS content types (RFC 5652, 3274, 5083): signedData 1.2.840.113549.1.7.2,
# envelopedData .7.3, compressedData 1.2.840.113549.1.9.16.1.9, authEnvelopedData ...1.23
_CMS_OIDS = (b"\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02",
             b"\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x03",
             b"\x06\x0b\x2a\x86\x48\x86\xf7\x0d\x01\x09\x10\x01\x09",
             b"\x06\x0b\x2a\x86\x48\x86\xf7\x0d\x01\x09\x10\x01\x17")
_ODF_MIMETYPES = {"application/vnd.oasis.opendocument.spreadsheet": "ods",
                  "application/vnd.oasis.opendocument.text": "odt"}
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_OOXML_PARTS = {"xl/workbook.xml": "xlsx", "xl/workbook.bin": "xlsb",
                "word/document.xml": "docx", "ppt/presentation.xml": "pptx"}
_OOXML_DIRS = {"xl/": "xlsx", "word/": "docx", "ppt/": "pptx"}
_OOXML_EXTENSIONS = {".xlsx": "xlsx", ".xlsm": "xlsx", ".xlsb": "xlsb", ".docx": "docx",
                     ".docm": "docx", ".pptx": "pptx", ".pptm": "pptx", ".ods": "ods",
                     ".odt": "odt"}
_OLE_EXTENSIONS = {".xls": "xls", ".doc": "doc", ".msg": "msg", ".ppt": "ppt"}
_JSON_EXTENSIONS = {".json", ".jsonl", ".ndjson", ".geojson"}
_DELIMITED_EXTENSIONS = {".csv", ".tsv", ".tab", ".psv"}


def sniff_type(path: Path) -> str:
    """The type of the file at ``path``, decided by its content (see :data:`TYPES`)."""
    path = Path(path)
    with path.open("rb") as handle:
        head = handle.read(HEAD_SIZE)
    complete = len(head) < HEAD_SIZE or path.stat().st_size <= HEAD_SIZE
    if not head:
        return "empty"
    if head.startswith(_ZIP_MAGIC):
        return _sniff_zip(path, head)
    if is_tar_header(head):  # before PDF: a tar's first member may be a PDF
        return "tar"
    if head[:1] == b"\x30" and any(oid in head[:64] for oid in _CMS_OIDS):
        return "p7m"  # before PDF: a signed PDF (CR.pdf.p7m) holds %PDF- near its start
    if b"%PDF-" in head[:1024]:
        return "pdf"
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return _sniff_ole(path) if name == "ole" else name
    if binary := _sniff_binary(head, path):
        return binary
    if head[:3] == b"BZh" and head[3:4].isdigit() and head[3:4] != b"0":
        return "bzip2"
    if not looks_like_text(head):
        return "binary"
    return _sniff_text(head, complete, path.suffix.lower())


def _sniff_binary(head: bytes, path: Path) -> str | None:
    """Binary formats recognised by a structure rather than a fixed prefix."""
    if head[4:19] in _ACCESS_MAGIC and head[:4] == b"\x00\x01\x00\x00":
        return "access"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "heic"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:4] == b"\x01\x00\x00\x00" and head[40:44] == b" EMF":
        return "emf"
    if head[:2] in (b"\x01\x00", b"\x02\x00") and head[2:6] == b"\x09\x00\x00\x03":
        return "wmf"  # a WMF without the placeable header: type, header size 9, version 3
    if head[:2] == b"BM" and _is_bmp(head, path):
        return "bmp"
    if _is_dbf(head, path):
        return "dbf"
    return None


def _is_bmp(head: bytes, path: Path) -> bool:
    """A BMP file header: its size field is the file's size (or 0) and the DIB header has
    one of the known sizes."""
    if len(head) < 26:
        return False
    declared = int.from_bytes(head[2:6], "little")
    dib = int.from_bytes(head[14:18], "little")
    return dib in (12, 40, 52, 56, 64, 108, 124) and declared in (0, path.stat().st_size)


_DBF_VERSIONS = {0x02, 0x03, 0x04, 0x05, 0x30, 0x31, 0x32, 0x43, 0x63, 0x83, 0x8B, 0x8E,
                 0xCB, 0xF5, 0xFB}


def _is_dbf(head: bytes, path: Path) -> bool:
    """A dBase/FoxPro table: no magic, so the header must add up: a known version byte, a
    last-update date, a header length of 32-byte field descriptors ended by 0x0D, and a file
    size equal to header + records x record length (give or take the end-of-file byte)."""
    if len(head) < 65 or head[0] not in _DBF_VERSIONS:
        return False
    month, day = head[2], head[3]
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return False
    records = int.from_bytes(head[4:8], "little")
    header_len = int.from_bytes(head[8:10], "little")
    record_len = int.from_bytes(head[10:12], "little")
    if header_len < 65 or record_len < 2 or header_len > len(head):
        return False
    terminator = head.find(b"\x0d", 32, header_len)
    if terminator < 0 or (terminator - 32) % 32:
        return False
    size = path.stat().st_size
    expected = header_len + records * record_len
    return expected <= size <= expected + 1 or (records == 0 and size >= header_len)


def _sniff_zip(path: Path, head: bytes) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        # Truncated or corrupt: the local headers at the start still name the parts.
        members = _local_names(head)
        if "xl/workbook.bin" in members:
            return "xlsb"
        for member in members:
            for prefix, name in _OOXML_DIRS.items():
                if member.startswith(prefix):
                    return name
        mimetype = _ODF_MIMETYPES.get(_local_mimetype(head))
        if mimetype:
            return mimetype
        return _OOXML_EXTENSIONS.get(path.suffix.lower(), "zip")
    if "[Content_Types].xml" in names:
        for part, name in _OOXML_PARTS.items():
            if part in names:
                return name
    if "mimetype" in names:
        mimetype = _zip_mimetype(path) or _local_mimetype(head)  # directory offsets may lie
        return _ODF_MIMETYPES.get(mimetype, "zip")
    return "zip"


def _zip_mimetype(path: Path) -> str:
    """The OpenDocument ``mimetype`` member (a few bytes; read at most 200)."""
    try:
        with zipfile.ZipFile(path) as archive, archive.open("mimetype") as member:
            return member.read(200).decode("ascii", "replace").strip()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, KeyError, NotImplementedError,
            RuntimeError):  # RuntimeError: an encrypted member (a Keka zip of an ODF folder)
        return ""


def _local_mimetype(head: bytes) -> str:
    """The stored ``mimetype`` member an OpenDocument file starts with, from its first local
    header (for a truncated file whose central directory is gone)."""
    if head[30:38] != b"mimetype" or head[8:10] != b"\x00\x00":  # stored, named mimetype
        return ""
    size = int.from_bytes(head[18:22], "little")
    start = 30 + int.from_bytes(head[26:28], "little") + int.from_bytes(head[28:30], "little")
    return head[start : start + min(size, 200)].decode("ascii", "replace").strip()


def _sniff_ole(path: Path) -> str:
    """Old Office compound files: ``xls``, ``doc`` or ``msg`` by their streams, else ``ole``;
    ``office_encrypted`` for a password-protected OOXML document (an ``EncryptedPackage``).
    olefile only reads the directory here. A damaged compound file falls back on its
    extension, so that its extractor can fail it with a reason."""
    import olefile

    try:
        with olefile.OleFileIO(str(path)) as ole:
            names = {"/".join(entry) for entry in ole.listdir(streams=True, storages=True)}
    except Exception:
        return _OLE_EXTENSIONS.get(path.suffix.lower(), "ole")
    if "EncryptedPackage" in names:
        return "office_encrypted"
    if "Workbook" in names or "Book" in names:
        return "xls"
    if "WordDocument" in names:
        return "doc"
    if "PowerPoint Document" in names:
        return "ppt"
    if any(name.startswith("__substg1.0_") or name.startswith("__properties_version1.0")
           for name in names):
        return "msg"
    return "ole"


def _local_names(head: bytes) -> list[str]:
    """Member names of the zip local file headers found in ``head``."""
    names = []
    start = head.find(b"PK\x03\x04")
    while start != -1 and len(names) < 100:
        header = head[start : start + 30]
        if len(header) == 30:
            length = int.from_bytes(header[26:28], "little")
            names.append(head[start + 30 : start + 30 + length].decode("cp437", "replace"))
        start = head.find(b"PK\x03\x04", start + 4)
    return names


def is_tar_header(block: bytes) -> bool:
    """Whether ``block`` starts with a tar header: the ustar magic at offset 257, or an
    old-style (v7) header whose checksum is right."""
    if len(block) < 512:
        return False
    if block[257:262] == b"ustar" and block[262:263] in (b"\x00", b" "):
        return _tar_checksum_ok(block)
    if block[0] == 0:  # no name: an end-of-archive block, or not a tar
        return False
    return _tar_checksum_ok(block)


def _tar_checksum_ok(block: bytes) -> bool:
    field = block[148:156].replace(b"\x00", b" ").strip()
    if not field or any(c not in b"01234567" for c in field):
        return False
    expected = int(field, 8)
    header = block[:148] + b" " * 8 + block[156:512]
    unsigned = sum(header)
    signed = sum(c - 256 if c > 127 else c for c in header)
    return expected in (unsigned, signed)


_XML_START = re.compile(
    r"<(\?xml[\s?]|\?xml-stylesheet\s|!--|!DOCTYPE\s|[A-Za-z_:][\w.:-]*[\s/>])", re.IGNORECASE)
_HTML_START = re.compile(r"<(!DOCTYPE\s+html|html|head|body)[\s>]", re.IGNORECASE)
_XML_PROLOG = re.compile(r"(<\?[^>]*\?>|<!--.*?-->|\s+)+", re.DOTALL)


def _markup(text: str) -> str | None:
    """``xml`` or ``html`` for text that starts like markup, else None."""
    if not _XML_START.match(text):
        return None
    prolog = _XML_PROLOG.match(text)
    body = text[prolog.end() :] if prolog else text
    if _HTML_START.match(body):
        return "html"
    return "xml"


def _sniff_text(head: bytes, complete: bool, suffix: str) -> str:
    text, _ = decode_bytes(head, partial=not complete)
    stripped = text.lstrip("\ufeff \t\r\n\x0b")  # \x0b: an MLLP frame start (HL7)
    if not stripped:
        return "text"
    if suffix == ".p7m" and _BASE64_CMS.match(stripped):
        return "p7m"  # a CMS/S-MIME blob in base64 (how MSSanté attachments are often saved)
    if structured := _sniff_message(stripped):
        return structured
    if stripped[0] == "<" and (markup := _markup(stripped)):
        return "cda" if markup == "xml" and _is_cda(stripped) else markup
    if stripped[0] in "{[" and (suffix in _JSON_EXTENSIONS or _looks_like_json(text, complete)):
        return "fhir" if _FHIR.search(stripped) else "json"
    if _SQL_DUMP.search(stripped[:HEAD_SIZE]):
        return "sql"
    sniffed = sniff_delimiter(text)
    if suffix in _DELIMITED_EXTENSIONS:
        # The name breaks the tie: one column, or a delimiter in about half the records
        # (unless the records are prose a table's regularity does not hold).
        if sniffed is None:
            return "csv"
        return "csv" if sniffed[1] >= 0.5 and (
            sniffed[1] < 0.8 or looks_like_table(text, sniffed[0])) else "text"
    if sniffed:
        delimiter, consistency, records = sniffed
        # A consistent delimiter count is not enough: prose with commas or semicolons
        # (a handover note) is a table only with a header, a typed column or short cells.
        if records >= 2 and consistency >= 0.8 and looks_like_table(text, delimiter):
            return "csv"
    return "text"


#: An HL7 v2 header: MSH-1 (any separator character) then MSH-2, 1 to 5 encoding
#: characters (``^~\&``, ``^˜\&`` with U+02DC, ``@#$%``...) ended by the field separator;
#: the characters must be distinct (checked in :func:`_sniff_message`).
_HL7_START = re.compile(r"(?:MSH|FHS|BHS)([^\w\s])((?:(?!\1)[^\w\s]){1,5})\1")
_HPRIM_START = re.compile(r"H\|[~\^\\&]{3,4}\|")
_MBOX_START = re.compile(r"From \S+.*\d{4}\s*\r?\n")
_SMIME_TYPE = re.compile(
    r"^content-type:[ \t]*(?:application/(?:x-)?pkcs7-(?:mime|signature)|multipart/signed)",
    re.IGNORECASE | re.MULTILINE)
_MAIL_HEADER = re.compile(r"([A-Za-z][A-Za-z0-9-]{1,40}):[ \t]")
_MAIL_FIELDS = {"from", "to", "subject", "date", "message-id", "received", "mime-version",
                "return-path", "delivered-to", "content-type", "x-mailer", "cc", "reply-to"}
_SQL_DUMP = re.compile(
    r"^\s*(?:-- (?:MySQL|MariaDB|PostgreSQL) (?:dump|database dump)|CREATE TABLE\b|"
    r"INSERT\s+(?:INTO\s+)?[\[`\"\w]|COPY [\w.\"]+ (?:\([^)]*\) )?FROM stdin;)",
    re.IGNORECASE | re.MULTILINE)
_FHIR = re.compile(r'"resourceType"\s*:\s*"[A-Z][A-Za-z]+"')
#: A CDA root element; the HL7 v3 namespace may be declared on it or on an ancestor (a
#: document wrapped in an XSL stylesheet or another envelope), so it is looked for in the
#: head up to the end of that start tag (:func:`_is_cda`).
_CDA = re.compile(r"<(?:[\w.-]+:)?ClinicalDocument\b[^>]*>")
_HL7_V3 = "urn:hl7-org:v3"


def _is_cda(text: str) -> bool:
    """A ``ClinicalDocument`` element (outside comments) in the HL7 v3 namespace."""
    text = _XML_COMMENT.sub(lambda m: " " * len(m.group()), text)
    match = _CDA.search(text)
    return match is not None and _HL7_V3 in text[: match.end()]


_XML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_BASE64_CMS = re.compile(r"MI[A-Za-z0-9+/]{20,}")


def _sniff_message(text: str) -> str | None:
    """Health messages and mail, recognised by how they must begin."""
    if (hl7 := _HL7_START.match(text)) and len(set(hl7.group(1) + hl7.group(2))) == len(
            hl7.group(2)) + 1 and (len(hl7.group(2)) >= 3 or "\nPID" in text[:4096]
                                   or "\rPID" in text[:4096]):
        return "hl7"
    if _HPRIM_START.match(text):
        return "hprim"
    if _MBOX_START.match(text):
        return "mbox"
    header_block = text.split("\n\n", 1)[0].split("\r\n\r\n", 1)[0]
    lines = header_block.splitlines()[:40]
    names = [m.group(1).lower() for line in lines if (m := _MAIL_HEADER.match(line))]
    if lines and _MAIL_HEADER.match(lines[0]) and len(set(names) & _MAIL_FIELDS) >= 3:
        return "eml"
    if lines and _MAIL_HEADER.match(lines[0]) and _SMIME_TYPE.search(header_block):
        return "eml"  # an S/MIME entity saved alone (openssl smime output, a .p7s part)
    return None


def _looks_like_json(text: str, complete: bool) -> bool:
    """JSON, NDJSON, or (for a long file) a head that is a valid prefix of either."""
    text = text.strip()
    try:
        json.loads(text)
        return True
    except RecursionError:
        return True  # nested deeper than Python parses: still JSON to extraction
    except ValueError:
        pass
    lines = [line for line in text.splitlines() if line.strip()]
    if not complete and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut
    if len(lines) > 1 and all(_parses(line) for line in lines[:50]):
        return True
    if complete:
        return False
    # A single long document cut at HEAD_SIZE: valid if parsing fails only at the end,
    # after cutting back to a structural character (a cut inside a string fails early).
    for cut_char in ("\n", ",", "}", "]"):
        cut = text.rfind(cut_char)
        if cut <= 0:
            continue
        prefix = text[: cut + 1] if cut_char in "}]" else text[:cut]
        try:
            json.loads(prefix)
            return True
        except json.JSONDecodeError as exc:
            if exc.pos >= len(prefix.rstrip()) - 1:
                return True
        except RecursionError:
            return True
    return False


def _parses(line: str) -> bool:
    try:
        json.loads(line)
    except (ValueError, RecursionError):
        return False
    return True
