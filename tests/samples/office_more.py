"""Samples of the office and database formats added for issue 12 (PowerPoint, xlsb, dBase,
Access, OneNote, encrypted OOXML), each holding the patient of :mod:`samples.office`
(name, NIR ``254037512345655``, phone ``06 12 34 56 78``).

Writers: ``python-pptx`` (PPTX), hand-built bytes for the formats no Python library writes
(xlsb: BIFF12 records, documented in [MS-XLSB]; dBase III; PowerPoint 97 records), and
``msoffcrypto-tool`` (OOXML encryption, dev-only)."""

from __future__ import annotations

import io
import struct
import uuid
import zipfile
from pathlib import Path

from samples.office import EMAIL, FIRST, LAST, NIR, PHONE

DATA = Path(__file__).resolve().parent.parent / "data"
SHARED_DOCUMENTS = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "documents"


# --- PowerPoint 2007+ -------------------------------------------------------------------------

def make_pptx(path: Path) -> None:
    """Two slides: a title and a text box with the patient; a table; notes and a group."""
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    first = deck.slides.add_slide(deck.slide_layouts[1])  # title and content
    first.shapes.title.text = "Staff de cardiologie"
    body = first.placeholders[1].text_frame
    body.text = f"Patiente : {LAST} {FIRST}, née le 12/03/1954"
    body.add_paragraph().text = f"NIR : {NIR}"
    box = first.shapes.add_textbox(Inches(1), Inches(5), Inches(4), Inches(1))
    box.text_frame.text = f"Tél. : {PHONE}"
    first.notes_slide.notes_text_frame.text = f"Rappeler {EMAIL}"

    second = deck.slides.add_slide(deck.slide_layouts[5])  # title only
    second.shapes.title.text = "Liste"
    shape = second.shapes.add_table(3, 3, Inches(0.5), Inches(1.5), Inches(8), Inches(1.5))
    for r, row in enumerate([["Nom", "NIR", "Téléphone"], [LAST, NIR, PHONE],
                             ["MARTIN", "", ""]]):
        for c, value in enumerate(row):
            shape.table.cell(r, c).text = value
    group = second.shapes.add_group_shape()
    inner = group.shapes.add_textbox(Inches(1), Inches(4), Inches(3), Inches(1))
    inner.text_frame.text = "Dans un groupe : MARTIN Paul"
    deck.save(str(path))


# --- Excel binary workbook (xlsb) -------------------------------------------------------------

def _record_header(kind: int, size: int) -> bytes:
    """A BIFF12 record header: the type and the size, each as a 7-bit variable integer
    ([MS-XLSB] 2.1.4)."""
    out = bytearray()
    for value, max_bytes in ((kind, 2), (size, 4)):
        for _ in range(max_bytes):
            byte = value & 0x7F
            value >>= 7
            out.append(byte | (0x80 if value else 0))
            if not value:
                break
    return bytes(out)


def _record(kind: int, payload: bytes = b"") -> bytes:
    return _record_header(kind, len(payload)) + payload


def _wide(text: str) -> bytes:
    """An XLWideString: a 32-bit character count then UTF-16LE."""
    return struct.pack("<I", len(text)) + text.encode("utf-16-le")


def _cell_payload(col: int) -> bytes:
    return struct.pack("<II", col, 0)  # column, style 0 (iStyleRef: 24 bits + flags)


def xlsb_sheet(rows: list[list[str | float | None]]) -> bytes:
    """A worksheet part: BrtBeginSheet, BrtWsDim, BrtBeginSheetData, per row BrtRowHdr and its
    cells (BrtCellSt inline strings, BrtCellReal numbers), BrtEndSheetData, BrtEndSheet."""
    out = bytearray()
    out += _record(0x0081)  # BrtBeginSheet
    width = max(len(r) for r in rows)
    out += _record(0x0094, struct.pack("<IIII", 0, len(rows) - 1, 0, width - 1))  # BrtWsDim
    out += _record(0x0091)  # BrtBeginSheetData
    for r, row in enumerate(rows):
        # BrtRowHdr: row, style, height, 3 bytes of flags, then no column spans (ccolspan 0).
        out += _record(0x0000, struct.pack("<IIHBBBI", r, 0, 300, 0, 0, 0, 0))
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, str):
                out += _record(0x0006, _cell_payload(c) + _wide(value))  # BrtCellSt
            else:
                out += _record(0x0005, _cell_payload(c) + struct.pack("<d", value))  # BrtCellReal
    out += _record(0x0092)  # BrtEndSheetData
    out += _record(0x0082)  # BrtEndSheet
    return bytes(out)


def xlsb_workbook(sheets: list[str]) -> bytes:
    """The workbook part: BrtBeginBook, BrtBeginBundleShs, a BrtBundleSh per sheet (state
    visible, sheet id, relationship id, name), BrtEndBundleShs, BrtEndBook."""
    out = bytearray(_record(0x0083))  # BrtBeginBook
    out += _record(0x008F)  # BrtBeginBundleShs
    for index, name in enumerate(sheets, start=1):
        out += _record(0x009C, struct.pack("<II", 0, index) + _wide(f"rId{index}")
                       + _wide(name))
    out += _record(0x0090)  # BrtEndBundleShs
    out += _record(0x0084)  # BrtEndBook
    return bytes(out)


_XLSB_CT = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="bin" ContentType="application/vnd.ms-excel.sheet.binary.macroEnabled.main"/>
{overrides}
</Types>"""
_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>"""
_DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
_SHEET_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"


def xlsb_comments(comments: list[tuple[int, int, str]]) -> bytes:
    """A comments part: BrtBeginComments, one author, then per comment (0-based row and
    column, text) BrtBeginComment (author, cell range, guid), BrtCommentText (a RichStr:
    flags then the string) and BrtEndComment."""
    out = bytearray(_record(0x0274))  # BrtBeginComments
    out += _record(0x0276) + _record(0x0278, _wide("Secrétariat")) + _record(0x0277)
    out += _record(0x0279)  # BrtBeginCommentList
    for row, col, text in comments:
        out += _record(0x027B, struct.pack("<IIIII", 0, row, row, col, col) + bytes(16))
        out += _record(0x027D, b"\x00" + _wide(text))
        out += _record(0x027C)
    out += _record(0x027A) + _record(0x0275)
    return bytes(out)


_COMMENTS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/comments"


def make_xlsb(path: Path, sheets: dict[str, list[list[str | float | None]]] | None = None,
              comments: dict[str, list[tuple[int, int, str]]] | None = None) -> None:
    """An ``.xlsb`` workbook, by default one sheet ``Patients`` with a title row, the header
    and two patients (the NIR and the phone stored as numbers); ``comments``: per sheet
    name, cell comments (0-based row, column, text)."""
    if sheets is None:
        sheets = {"Patients": [
            ["Export des patients"],
            [],
            ["Nom", "Prénom", "NIR", "Téléphone", "E-mail"],
            [LAST, FIRST, float(NIR), 612345678.0, EMAIL],
            ["MARTIN", "Paul", None, None, "paul.martin@example.fr"],
        ]}
    names = list(sheets)
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.bin" ContentType='
        f'"application/vnd.ms-excel.worksheet"/>' for i in range(1, len(names) + 1))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _XLSB_CT.format(overrides=overrides))
        archive.writestr("_rels/.rels", _RELS.format(
            rels=f'<Relationship Id="rId1" Type="{_DOC_REL}" Target="xl/workbook.bin"/>'))
        archive.writestr("xl/_rels/workbook.bin.rels", _RELS.format(rels="".join(
            f'<Relationship Id="rId{i}" Type="{_SHEET_REL}" Target="worksheets/sheet{i}.bin"/>'
            for i in range(1, len(names) + 1))))
        archive.writestr("xl/workbook.bin", xlsb_workbook(names))
        for i, name in enumerate(names, start=1):
            rows = [row or [None] for row in sheets[name]]
            archive.writestr(f"xl/worksheets/sheet{i}.bin", xlsb_sheet(rows))
            if comments and name in comments:
                archive.writestr(f"xl/comments{i}.bin", xlsb_comments(comments[name]))
                archive.writestr(f"xl/worksheets/_rels/sheet{i}.bin.rels", _RELS.format(
                    rels=f'<Relationship Id="rId1" Type="{_COMMENTS_REL}" '
                         f'Target="../comments{i}.bin"/>'))
    Path(path).write_bytes(buffer.getvalue())


_COMMENT_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/comments"
_COMMENT_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<p:cmLst xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main">'
    '<p:cm authorId="0" idx="1"><p:pos x="10" y="10"/><p:text>{text}</p:text></p:cm></p:cmLst>')


def add_pptx_comment(path: Path, text: str) -> None:
    """Attach a legacy comment (``ppt/comments/comment1.xml``) to slide 1 of the presentation
    at ``path``: python-pptx writes no comments, so the part, its relationship and its content
    type are added to the zip here."""
    _add_slide1_part(path, _COMMENT_REL, "ppt/comments/comment1.xml",
                     "application/vnd.openxmlformats-officedocument.presentationml.comments+xml",
                     _COMMENT_XML.format(text=text))


_DIAGRAM_REL = ("http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
                "diagramData")
_DIAGRAM_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<dgm:dataModel xmlns:dgm="http://schemas.openxmlformats.org/drawingml/2006/diagram" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><dgm:ptLst>{points}'
    '</dgm:ptLst></dgm:dataModel>')


def add_pptx_smartart(path: Path, texts: list[str]) -> None:
    """Attach SmartArt data (``ppt/diagrams/data1.xml``: one point per text, as an org chart
    stores its boxes) to slide 1; python-pptx writes no SmartArt."""
    points = "".join(f'<dgm:pt modelId="{i}"><dgm:t><a:bodyPr/><a:p><a:r><a:t>{text}</a:t>'
                     "</a:r></a:p></dgm:t></dgm:pt>" for i, text in enumerate(texts, start=1))
    _add_slide1_part(path, _DIAGRAM_REL, "ppt/diagrams/data1.xml",
                     "application/vnd.openxmlformats-officedocument.drawingml.diagramData+xml",
                     _DIAGRAM_XML.format(points=points))


def _add_slide1_part(path: Path, rel_type: str, part: str, content_type: str,
                     xml: str) -> None:
    """Add ``part`` to the presentation at ``path``, related to slide 1 by ``rel_type``."""
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    rels = parts["ppt/slides/_rels/slide1.xml.rels"].decode()
    rels = rels.replace("</Relationships>", f'<Relationship Id="rId9{len(parts)}" '
                        f'Type="{rel_type}" Target="../{part[4:]}"/></Relationships>')
    parts["ppt/slides/_rels/slide1.xml.rels"] = rels.encode()
    types = parts["[Content_Types].xml"].decode()
    parts["[Content_Types].xml"] = types.replace(
        "</Types>", f'<Override PartName="/{part}" ContentType="{content_type}"/></Types>'
    ).encode()
    parts[part] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)


# --- dBase III ---------------------------------------------------------------------------------

#: dBase fields of :func:`make_dbf`: name, type, length, decimals.
DBF_FIELDS = [("NOM", "C", 20, 0), ("PRENOM", "C", 20, 0), ("NAISSANCE", "D", 8, 0),
              ("NIR", "N", 15, 0), ("TEL", "C", 14, 0), ("ACTIF", "L", 1, 0)]
DBF_RECORDS = [
    ([LAST, "Hélène", "19540312", NIR, PHONE, "T"], False),
    (["MARTIN", "Paul", "19600201", "", "", "F"], True),  # deleted, still in the file
    (["DURAND", "Cécile", "2024XX01", "12A", "", "?"], False),  # damaged date and number
]


def make_dbf(path: Path, encoding: str = "cp850", language_driver: int = 0,
             fields: list[tuple[str, str, int, int]] | None = None,
             records: list[tuple[list[str], bool]] | None = None, version: int = 0x03,
             ) -> None:
    """A dBase III table (version 0x03, 0x83 with a memo file): the 32-byte header, a
    32-byte descriptor per field, 0x0D, then fixed-width records (a flag byte: space, or
    ``*`` when deleted) and 0x1A. Text in ``encoding``; ``language_driver`` is header
    byte 29 (0: unknown)."""
    fields = DBF_FIELDS if fields is None else fields
    records = DBF_RECORDS if records is None else records
    record_len = 1 + sum(length for _, _, length, _ in fields)
    header_len = 32 + 32 * len(fields) + 1
    out = bytearray(struct.pack("<BBBBIHH", version, 124, 5, 17, len(records), header_len,
                                record_len))
    out += bytes(17) + bytes([language_driver]) + bytes(2)
    for name, kind, length, decimals in fields:
        out += name.encode("ascii").ljust(11, b"\x00") + kind.encode("ascii") + bytes(4)
        out += bytes([length, decimals]) + bytes(14)
    out += b"\x0d"
    for values, deleted in records:
        out += b"*" if deleted else b" "
        for (_, kind, length, _), value in zip(fields, values, strict=True):
            data = value.encode(encoding)
            out += data.rjust(length) if kind == "N" else data.ljust(length)
    out += b"\x1a"
    Path(path).write_bytes(bytes(out))


# --- OLE compound files ------------------------------------------------------------------------

_FREE, _END, _FATSECT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
_SECTOR, _MINI, _CUTOFF = 512, 64, 4096


def compound_file(streams: dict[str, bytes]) -> bytes:
    """An OLE compound file (CFB version 3, [MS-CFB]) holding ``streams`` in its root storage.

    No maintained Python library writes compound files (olefile only rewrites a stream in
    place, at the same size), so this small writer builds one, with a layout the spec allows:
    the big streams' sectors, the mini stream (streams under 4096 bytes, in 64-byte mini
    sectors, as the spec requires and readers expect), the mini FAT, the directory (a
    balanced tree of black entries) and the FAT at the end."""
    names = sorted(streams, key=lambda n: (len(n), n.upper()))
    sectors: list[bytes] = []
    fat: list[int] = []

    def allocate(data: bytes) -> int:
        count = -(-len(data) // _SECTOR)
        if not count:
            return _END
        first = len(sectors)
        for i in range(count):
            sectors.append(data[i * _SECTOR : (i + 1) * _SECTOR].ljust(_SECTOR, b"\x00"))
            fat.append(first + i + 1 if i + 1 < count else _END)
        return first

    starts: dict[str, int] = {}
    mini = bytearray()
    minifat: list[int] = []
    for name in names:
        data = streams[name]
        if len(data) >= _CUTOFF:
            starts[name] = allocate(data)
        elif data:
            first = len(mini) // _MINI
            count = -(-len(data) // _MINI)
            mini += data.ljust(count * _MINI, b"\x00")
            minifat += [first + i + 1 if i + 1 < count else _END for i in range(count)]
            starts[name] = first
        else:
            starts[name] = _END
    root_start = allocate(bytes(mini))
    minifat_start = allocate(b"".join(struct.pack("<I", v) for v in minifat))
    minifat_sectors = -(-len(minifat) * 4 // _SECTOR)

    children: dict[int, tuple[int, int]] = {}

    def tree(lo: int, hi: int) -> int:
        if lo >= hi:
            return _FREE
        mid = (lo + hi) // 2
        children[mid + 1] = (tree(lo, mid), tree(mid + 1, hi))
        return mid + 1  # entry 0 is the root

    top = tree(0, len(names))

    def entry(name: str, kind: int, start: int, size: int, left: int = _FREE,
              right: int = _FREE, child: int = _FREE) -> bytes:
        encoded = name.encode("utf-16-le")
        return (encoded.ljust(64, b"\x00") + struct.pack("<HBB", len(encoded) + 2, kind, 1)
                + struct.pack("<III", left, right, child) + bytes(36)
                + struct.pack("<IQ", start, size))

    directory = [entry("Root Entry", 5, root_start, len(mini), child=top)]
    for index, name in enumerate(names, start=1):
        left, right = children[index]
        directory.append(entry(name, 2, starts[name], len(streams[name]), left, right))
    while len(directory) % 4:
        directory.append(bytes(64) + struct.pack("<HBB", 0, 0, 0)
                         + struct.pack("<III", _FREE, _FREE, _FREE) + bytes(48))
    directory_start = allocate(b"".join(directory))

    fat_count = 1
    while (len(sectors) + fat_count) > fat_count * (_SECTOR // 4):
        fat_count += 1
    fat_start = len(sectors)
    fat += [_FATSECT] * fat_count
    fat += [_FREE] * (fat_count * (_SECTOR // 4) - len(fat))
    table = b"".join(struct.pack("<I", v) for v in fat)
    for i in range(fat_count):
        sectors.append(table[i * _SECTOR : (i + 1) * _SECTOR])
    difat = [fat_start + i for i in range(fat_count)] + [_FREE] * (109 - fat_count)
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16)
              + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + bytes(6)
              + struct.pack("<IIIIIIIII", 0, fat_count, directory_start, 0, _CUTOFF,
                            minifat_start if minifat else _END, minifat_sectors, _END, 0)
              + b"".join(struct.pack("<I", v) for v in difat))
    return header + b"".join(sectors)


# --- Word 97 -----------------------------------------------------------------------------------

def word97_document(paragraphs: list[str]) -> dict[str, bytes]:
    """The streams of a minimal Word 97 document ([MS-DOC]): a ``WordDocument`` stream with
    the FIB (nFib 0xC1) then the text as one cp1252 ("compressed") piece at 0x400, and a
    ``1Table`` stream holding the piece table (CLX). A short letter makes a ``WordDocument``
    stream under 4096 bytes: antiword refuses it ("text stream too small")."""
    text = "\r".join(paragraphs) + "\r"
    data = text.encode("cp1252")
    start = 0x400
    fib = bytearray(900)
    struct.pack_into("<HHHH", fib, 0, 0xA5EC, 0xC1, 0, 0x040C)  # wIdent, nFib, unused, lid
    struct.pack_into("<H", fib, 10, 0x1200)  # fWhichTblStm (1Table) | fExtChar
    struct.pack_into("<H", fib, 12, 0xBF)  # nFibBack
    struct.pack_into("<II", fib, 24, start, start + len(data))  # fcMin, fcMac (legacy)
    struct.pack_into("<H", fib, 32, 14)  # csw, then 14 words of FibRgW97
    struct.pack_into("<H", fib, 62, 22)  # cslw, then 22 longs of FibRgLw97
    struct.pack_into("<I", fib, 64, start + len(data))  # cbMac
    struct.pack_into("<I", fib, 64 + 12, len(text))  # ccpText
    struct.pack_into("<H", fib, 152, 93)  # cbRgFcLcb: 93 pairs of FibRgFcLcb97
    clx = (b"\x02" + struct.pack("<I", 4 * 2 + 8)  # Pcdt: one piece
           + struct.pack("<II", 0, len(text))  # its CPs
           + struct.pack("<HIH", 0, (start * 2) | 0x40000000, 0))  # Pcd: compressed text at fc
    struct.pack_into("<II", fib, 154 + 33 * 8, 0, len(clx))  # fcClx, lcbClx
    word = bytes(fib).ljust(start, b"\x00") + data
    # Word puts its formatting pages (512-byte FKPs) after the text; catdoc reads nothing
    # from a stream that ends with the text, so an empty page stands for them.
    word = word.ljust(-(-len(word) // 512) * 512 + 512, b"\x00")
    return {"WordDocument": word, "1Table": clx}


def make_short_doc(path: Path) -> None:
    """A short Word 97 letter (the case antiword refuses) with the patient's identifiers."""
    streams = word97_document([
        "Centre hospitalier - Service de cardiologie",
        f"Patiente : {LAST} {FIRST}, née le 12/03/1954",
        f"NIR : {NIR}",
        f"Tél. : {PHONE}",
    ])
    Path(path).write_bytes(compound_file(streams))


# --- Encrypted OOXML ---------------------------------------------------------------------------

OFFICE_PASSWORD = "Cardio2024!"


def encrypt_ooxml(plain: Path, target: Path, password: str = OFFICE_PASSWORD) -> None:
    """``plain`` (a docx, xlsx or pptx) password protected as Office does it (ECMA-376 agile
    encryption in an OLE compound file), with msoffcrypto-tool. Its writer (6.1) stores a
    package under 4096 bytes wrongly (the compound file's mini stream): keep ``plain``
    bigger."""
    if plain.stat().st_size < 4096:
        raise ValueError("msoffcrypto-tool cannot encrypt a package under 4096 bytes")
    from msoffcrypto.format.ooxml import OOXMLFile

    with plain.open("rb") as source, target.open("wb") as out:
        OOXMLFile(source).encrypt(password, out)


def make_encrypted_docx(path: Path, password: str = OFFICE_PASSWORD) -> None:
    """The letter of :func:`samples.office.make_docx`, password protected."""
    from samples.office import make_docx

    plain = path.with_name(path.name + ".plain.docx")
    make_docx(plain)
    encrypt_ooxml(plain, path, password)
    plain.unlink()


def rc4_encrypted_doc(paragraphs: list[str], password: str) -> bytes:
    """A Word 97 document encrypted as Word 97-2003 does it with a password (RC4, [MS-DOC]
    2.2.6.1 and [MS-OFFCRYPTO] 2.3.6): the table stream starts with the encryption header
    (version 1.1, salt, encrypted verifier and its hash), the FIB says ``fEncrypted`` and the
    header's size, and both streams are RC4-encrypted in 512-byte blocks, each with its own
    key (the FIB's first 68 bytes and the header stay in the clear). RC4 is its own inverse:
    msoffcrypto-tool's decryption routine encrypts. Both streams are kept over 4096 bytes
    (msoffcrypto-tool rewrites streams in place with olefile, which cannot write the mini
    stream)."""
    from hashlib import md5

    from cryptography.hazmat.decrepit.ciphers.algorithms import ARC4
    from cryptography.hazmat.primitives.ciphers import Cipher
    from msoffcrypto.method.rc4 import DocumentRC4, _makekey

    streams = word97_document(paragraphs)
    salt, verifier = bytes(range(16)), bytes(range(100, 116))
    cipher = Cipher(ARC4(_makekey(password, salt, 0)), mode=None).encryptor()
    header = (struct.pack("<HH", 1, 1) + salt + cipher.update(verifier)
              + cipher.update(md5(verifier).digest()))
    word = bytearray(streams["WordDocument"])
    flags = struct.unpack_from("<H", word, 10)[0] | 0x0100  # fEncrypted
    struct.pack_into("<H", word, 10, flags)
    struct.pack_into("<I", word, 14, len(header))  # lKey: the encryption header's size
    clx = streams["1Table"]
    struct.pack_into("<I", word, 154 + 33 * 8, len(header))  # fcClx: after the header
    table = (header + clx).ljust(4608, b"\x00")
    if len(word) < 4608:
        word = word.ljust(4608, b"\x00")

    def encrypted(plain: bytes, clear: int) -> bytes:
        out = DocumentRC4.decrypt(password, salt, io.BytesIO(plain)).read()
        return plain[:clear] + out[clear:]

    return compound_file({"WordDocument": encrypted(bytes(word), 0x44),
                          "1Table": encrypted(table, len(header))})


# --- PowerPoint 97-2003 ------------------------------------------------------------------------

def _ppt_record(kind: int, body: bytes = b"", instance: int = 0,
                container: bool = False) -> bytes:
    """A PowerPoint record: version/instance, type, length, then the body ([MS-PPT] 2.3.1)."""
    return struct.pack("<HHI", (instance << 4) | (0xF if container else 0), kind,
                       len(body)) + body


def _ppt_chars(text: str) -> bytes:
    return _ppt_record(0x0FA0, text.replace("\n", "\r").encode("utf-16-le"))


def _ppt_bytes(text: str) -> bytes:
    return _ppt_record(0x0FA8, text.replace("\n", "\r").encode("latin-1"))


def _ppt_drawing(*atoms: bytes) -> bytes:
    """A slide's drawing holding text boxes: PPDrawing > OfficeArtDgContainer > SpgrContainer
    > SpContainer > ClientTextbox > text atoms."""
    box = _ppt_record(0xF00D, b"".join(atoms), container=True)
    return _ppt_record(0x040C, _ppt_record(0xF002, _ppt_record(0xF003, _ppt_record(
        0xF004, box, container=True), container=True), container=True), container=True)


def _slide_persist(persist: int, slide_id: int) -> bytes:
    return _ppt_record(0x03F3, struct.pack("<IIIII", persist, 0, 1, slide_id, 0))


def ppt_streams(encrypted: bool = False) -> dict[str, bytes]:
    """The streams of a PowerPoint 97 presentation, laid out as PowerPoint writes them after
    one incremental save: a document container whose slide lists name two slides (the first
    with its title cached there) and a notes page; slide 1 with a text box (UTF-16 text),
    slide 2 with 8-bit text; the notes of slide 1; a first edit (persist directory + user
    edit) and a second one that replaced slide 2 (its old version, with a phone number
    since deleted, is still in the stream). ``encrypted``: marked as PowerPoint marks a
    password-protected file (``Current User``'s header token, the last edit naming an
    RC4 CryptoAPI encryption session), though the records are left in the clear."""
    stream = bytearray()

    def put(data: bytes) -> int:
        offset = len(stream)
        stream.extend(data)
        return offset

    slides = _ppt_record(0x0FF0, _slide_persist(2, 256) + _ppt_record(
        0x0F9F, struct.pack("<I", 0)) + _ppt_chars("Staff de cardiologie")
        + _slide_persist(3, 257), instance=0, container=True)
    notes = _ppt_record(0x0FF0, _slide_persist(4, 258), instance=2, container=True)
    footer = _ppt_record(0x0FD9, _ppt_record(0x0FDA, bytes(4)) + _ppt_record(
        0x0FBA, "Service de cardiologie - 01 45 67 89 10".encode("utf-16-le"), instance=2),
        container=True)  # HeadersFootersContainer: its atom, then the footer (instance 2)
    document = put(_ppt_record(0x03E8, _ppt_record(0x03E9, bytes(40)) + slides + notes
                               + footer, container=True))
    slide1 = put(_ppt_record(0x03EE, _ppt_record(0x03EF, bytes(24)) + _ppt_drawing(
        _ppt_chars(f"Patiente : {LAST} {FIRST}, née le 12/03/1954\nNIR : {NIR}")),
        container=True))
    old2 = put(_ppt_record(0x03EE, _ppt_drawing(
        _ppt_bytes("Ancien numéro : 01 23 45 67 89\nTél. : 06 12 34 56 78")), container=True))
    notes1 = put(_ppt_record(0x03F0, _ppt_record(0x03F1, struct.pack("<IHH", 256, 0, 0))
                             + _ppt_drawing(_ppt_chars(f"Rappeler {EMAIL}")), container=True))
    directory1 = put(_ppt_record(0x1772, struct.pack("<IIIII", (4 << 20) | 1, document, slide1,
                                                     old2, notes1)))
    edit1 = put(_ppt_record(0x0FF5, struct.pack("<IHBBIIIIHH", 256, 0, 0, 3, 0, directory1,
                                                1, 5, 1, 0)))
    new2 = put(_ppt_record(0x03EE, _ppt_drawing(_ppt_bytes(f"Tél. : {PHONE}")),
                           container=True))
    entries = struct.pack("<II", (1 << 20) | 3, new2)
    session = b""
    if encrypted:  # a CryptSession10Container: RC4 CryptoAPI encryption header and verifier
        header = struct.pack("<IIIIIIII", 0x04, 0, 0x6801, 0x8004, 0x80, 1, 0, 0) + bytes(2)
        info = (struct.pack("<HHII", 2, 2, 0x04, len(header)) + header
                + struct.pack("<I", 16) + bytes(range(16)) + bytes(16)
                + struct.pack("<I", 20) + bytes(20))
        entries += struct.pack("<II", (1 << 20) | 5, put(_ppt_record(0x2F14, info,
                                                                       container=True)))
        session = struct.pack("<I", 5)  # encryptSessionPersistIdRef
    directory2 = put(_ppt_record(0x1772, entries))
    edit2 = put(_ppt_record(0x0FF5, struct.pack("<IHBBIIIIHH", 256, 0, 0, 3, edit1,
                                                directory2, 1, 6, 1, 0) + session))
    token = 0xF3D1C4DF if encrypted else 0xE391C05F
    user = _ppt_record(0x0FF6, struct.pack("<IIIHHBBH", 0x14, token, edit2, 4, 0x03F4, 3, 0, 0)
                       + b"user" + struct.pack("<I", 8))
    return {"PowerPoint Document": bytes(stream), "Current User": user}


def make_ppt(path: Path, encrypted: bool = False) -> None:
    Path(path).write_bytes(compound_file(ppt_streams(encrypted)))


# --- OneNote -----------------------------------------------------------------------------------

_ONE_HEADER = "<16s16s16s16sIIII8s8sIIQ8sIBBBB16sI12s12s"  # up to fcrFileNodeListRoot
_ONE_FILE_TYPE = bytes.fromhex("e4525c7b8cd8a74daeb15378d02996d3")  # {7B5C52E4-...}: .one
_ONE_FORMAT = bytes.fromhex("3fdd9a10 1b91f549 a5d01791 edc8aed8".replace(" ", ""))


def _one_node(node_id: int, body: bytes, base_type: int) -> bytes:
    """A FileNode: a 4-byte header (id, size, stp/cb formats 0: 8-byte offsets and 4-byte
    sizes, base type) then its body ([MS-ONESTORE] 2.4.3)."""
    header = node_id | ((4 + len(body)) << 10) | (base_type << 27)
    return struct.pack("<I", header) + body


def _one_text_property(prid: int, data: bytes) -> bytes:
    """An object's property set: an empty stream of object ids, then one property whose value
    is 4 bytes of length followed by the data."""
    return struct.pack("<IHI", 0x80000000, 1, prid) + struct.pack("<I", len(data)) + data


def make_onenote(path: Path) -> None:
    """A OneNote section holding two paragraphs (one UTF-16, one 8-bit, as OneNote stores
    ASCII-only text) and an embedded PNG: the file header, one file node list fragment with
    two object declarations (rich text nodes pointing at their property sets), a file data
    store object and its declaration (extension ``.png``), then a chunk terminator."""
    paragraphs = [
        (0x1C001C22, f"Patiente : {LAST} {FIRST}, née le 12/03/1954\r"
                     f"Tél. : {PHONE}".encode("utf-16-le")),
        (0x1C003498, f"NIR {NIR} - {EMAIL}".encode("cp1252")),
    ]
    picture = b"\x89PNG\r\n\x1a\n" + bytes(64)
    guid = bytes(range(16))
    fragment_start, fragment_size = 1024, 512
    data = bytearray()
    extra_start = fragment_start + fragment_size
    nodes = bytearray()
    for prid, text in paragraphs:
        offset = extra_start + len(data)
        blob = _one_text_property(prid, text)
        data += blob
        nodes += _one_node(0x0A4, struct.pack("<QIIIBB", offset, len(blob), 0, 0x0006000E,
                                               0, 1), base_type=1)
    offset = extra_start + len(data)
    store = (bytes(16) + struct.pack("<Q", len(picture)) + bytes(12) + picture).ljust(
        36 + len(picture) + 16, b"\x00")
    data += store
    nodes += _one_node(0x094, struct.pack("<QI", offset, len(store)) + guid, base_type=1)
    reference = "<ifndf>{" + str(uuid.UUID(bytes_le=guid)) + "}"
    nodes += _one_node(0x072, struct.pack("<IIB", 0, 0x00060035, 1)
                       + struct.pack("<I", len(reference)) + reference.encode("utf-16-le")
                       + struct.pack("<I", 4) + ".png".encode("utf-16-le"), base_type=0)
    nodes += _one_node(0x0FF, b"", base_type=0)
    fragment = (struct.pack("<QII", 0xA4567AB1F5F7F4C4, 0x10, 0) + nodes).ljust(
        fragment_size - 20, b"\x00") + struct.pack("<QIQ", 0xFFFFFFFFFFFFFFFF, 0,
                                                   0x8BC215C38233BA4B)
    header = bytearray(1024)
    header[0:16] = _ONE_FILE_TYPE
    header[48:64] = _ONE_FORMAT
    struct.pack_into("<QI", header, struct.calcsize(_ONE_HEADER), fragment_start,
                     fragment_size)
    Path(path).write_bytes(bytes(header) + fragment + bytes(data))
