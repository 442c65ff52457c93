"""A tiny Outlook PST (Unicode, MS-PST) written byte by byte: no free library writes PST
files, and the extractor's test needs a real one for ``pffexport`` (libpff) to read.

Only what libpff needs to list folders and export items: the header, one leaf page for
each B-tree (nodes and blocks), and one data block per node holding a property context
(a heap-on-node with a B-tree of properties). The item tree comes from the nodes' parents;
no table contexts, no allocation maps (marked invalid), no encoding (``bCryptMethod`` 0).
"""

from __future__ import annotations

import datetime as dt
import struct
import uuid
import zlib
from typing import NamedTuple, Union

PT_LONG, PT_BOOLEAN, PT_SYSTIME, PT_UNICODE, PT_BINARY = 0x0003, 0x000B, 0x0040, 0x001F, 0x0102
PT_OBJECT = 0x000D
NID_MESSAGE_STORE, NID_ROOT_FOLDER, NID_NAME_TO_ID_MAP = 0x21, 0x122, 0x61
PSETID_ADDRESS = uuid.UUID("00062004-0000-0000-c000-000000000046")

Value = Union[str, int, bool, bytes, dt.datetime, "Embedded"]


def crc(data: bytes) -> int:
    """The PST's CRC-32: the usual polynomial, no initial or final inversion."""
    return zlib.crc32(data, 0xFFFFFFFF) ^ 0xFFFFFFFF


def _sig(ib: int, bid: int) -> int:
    x = ib ^ bid
    return ((x >> 16) ^ x) & 0xFFFF


class Embedded(NamedTuple):
    """A PtypObject value: the subnode ``nid`` holding ``size`` bytes (an attached message)."""

    nid: int
    size: int


def _typed(value: Value) -> tuple[int, bytes]:
    if isinstance(value, Embedded):
        return PT_OBJECT, struct.pack("<II", value.nid, value.size)
    if isinstance(value, bool):
        return PT_BOOLEAN, struct.pack("<I", int(value))
    if isinstance(value, int):
        return PT_LONG, struct.pack("<I", value & 0xFFFFFFFF)
    if isinstance(value, str):
        return PT_UNICODE, value.encode("utf-16-le")
    if isinstance(value, dt.datetime):
        epoch = dt.datetime(1601, 1, 1, tzinfo=dt.UTC)
        when = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return PT_SYSTIME, struct.pack("<Q", int((when - epoch).total_seconds() * 10**7))
    return PT_BINARY, bytes(value)


def property_context(props: dict[int, Value]) -> bytes:
    """A heap-on-node holding a PC: BTH header, its records, then the values kept on the
    heap (those longer than 4 bytes)."""
    allocations: list[bytes] = [b"", b""]  # 1: BTH header, 2: records (filled below)
    records = []
    for pid in sorted(props):
        ptype, data = _typed(props[pid])
        if ptype in (PT_LONG, PT_BOOLEAN):
            records.append(struct.pack("<HHI", pid, ptype, struct.unpack("<I", data)[0]))
        else:
            allocations.append(data)
            hid = len(allocations) << 5
            records.append(struct.pack("<HHI", pid, ptype, hid))
    allocations[0] = struct.pack("<BBBBI", 0xB5, 2, 6, 0, 2 << 5)  # records at hid 0x40
    allocations[1] = b"".join(records)
    body = bytearray(12)
    offsets = []
    for allocation in allocations:
        offsets.append(12 + len(body) - 12)
        body += allocation
    offsets.append(len(body))
    if len(body) % 2:
        body += b"\x00"
    page_map_at = len(body)
    struct.pack_into("<HBBII", body, 0, page_map_at, 0xEC, 0xBC, 1 << 5, 0)
    body += struct.pack("<HH", len(allocations), 0)
    body += b"".join(struct.pack("<H", o) for o in offsets)
    return bytes(body)


def _heap(client_sig: int, allocations: list[bytes], user_root: int) -> bytes:
    """A heap-on-node in one block: header, allocations, page map."""
    body = bytearray(12)
    offsets = []
    for allocation in allocations:
        offsets.append(len(body))
        body += allocation
    offsets.append(len(body))
    if len(body) % 2:
        body += b"\x00"
    struct.pack_into("<HBBII", body, 0, len(body), 0xEC, client_sig, user_root, 0)
    body += struct.pack("<HH", len(allocations), 0)
    body += b"".join(struct.pack("<H", o) for o in offsets)
    return bytes(body)


def table_context(row_ids: list[int], cells: list[dict[int, Value]] | None = None) -> bytes:
    """A table context with the two columns every table has (row id, row version) and one
    4-byte column per property of ``cells`` (one dict per row: longs inline, strings on the
    heap): enough for a folder's contents or hierarchy table to list its items, or for a
    message's recipient table."""
    cells = cells or [{} for _ in row_ids]
    extra = sorted({(pid, _typed(value)[0]) for row in cells for pid, value in row.items()})
    columns = [(0x67F2, PT_LONG, 0, 4, 0), (0x67F3, PT_LONG, 4, 4, 1)] + [
        (pid, ptype, 8 + 4 * i, 4, 2 + i) for i, (pid, ptype) in enumerate(extra)]
    end4 = 8 + 4 * len(extra)
    row_size = end4 + (len(columns) + 7) // 8  # the 4-byte cells, then the cell bitmap
    allocations: list[bytes] = [b"", b"", b"", b""]  # TCINFO, BTH header, index, rows
    rows = bytearray()
    for rid, row in zip(row_ids, cells, strict=True):
        bitmap = bytearray((len(columns) + 7) // 8)
        values = [rid, 0]
        for pid, _ptype in extra:
            if pid not in row:
                values.append(0)
                continue
            kind, data = _typed(row[pid])
            if kind in (PT_LONG, PT_BOOLEAN):
                values.append(struct.unpack("<I", data)[0])
            else:
                allocations.append(data)
                values.append(len(allocations) << 5)
        for bit, (pid, _ptype, *_rest) in enumerate(columns):
            if bit < 2 or pid in row:
                bitmap[bit // 8] |= 0x80 >> (bit % 8)
        rows += struct.pack(f"<{len(values)}I", *values) + bitmap
    info = struct.pack("<BB4HIII", 0x7C, len(columns), end4, end4, end4, row_size, 2 << 5,
                       4 << 5 if row_ids else 0, 0)
    info += b"".join(struct.pack("<IHBB", (pid << 16) | ptype, ib, cb, bit)
                     for pid, ptype, ib, cb, bit in columns)
    allocations[0] = info
    allocations[1] = struct.pack("<BBBBI", 0xB5, 4, 4, 0, 3 << 5 if row_ids else 0)
    allocations[2] = b"".join(struct.pack("<II", rid, i) for rid, i in sorted(
        (rid, i) for i, rid in enumerate(row_ids))) or b"\x00" * 8
    allocations[3] = bytes(rows) or b"\x00"
    return _heap(0x7C, allocations, 1 << 5)


def _allocation_maps(freed: list[tuple[int, int]]) -> bytes:
    """The AMap page at 0x4400 (a bit per 64 bytes from there: set when allocated, clear in
    ``freed``; past the end of the file too, so nothing is scanned there) and the PMap page
    at 0x4600 (a bit per 512-byte page: all allocated)."""
    bits = bytearray(b"\xff" * 496)
    for ib, size in freed:
        for unit in range((ib - 0x4400) // 64, (ib - 0x4400 + size) // 64):
            bits[unit // 8] &= ~(0x80 >> unit % 8) & 0xFF
    pages = b""
    for ib, ptype, data in ((0x4400, 0x84, bytes(bits)), (0x4600, 0x83, b"\xff" * 496)):
        pages += data + struct.pack("<BBHIQ", ptype, ptype, _sig(ib, ib), crc(data), ib)
    return pages


#: A subnode: its nid, its data, its own subnodes.
Subnode = tuple[int, bytes, list["Subnode"]]


class PstWriter:
    """Nodes (nid, parent, properties, subnodes) → a PST file."""

    def __init__(self) -> None:
        self.nodes: list[tuple[int, int, bytes]] = []
        self.subnodes: dict[int, list[Subnode]] = {}
        self.deleted: list[tuple[int, int, bytes]] = []

    def add(self, nid: int, parent: int, props: dict[int, Value]) -> None:
        self.nodes.append((nid, parent, property_context(props)))

    def add_deleted(self, nid: int, parent: int, props: dict[int, Value]) -> None:
        """A node as Outlook leaves a deleted one: its data block still in the file but
        free in the allocation map and absent from the block B-tree, its entry left past
        the count of a node B-tree leaf page. The file then gets valid allocation maps."""
        self.deleted.append((nid, parent, property_context(props)))

    def attach(self, message: int, files: dict[str, bytes | dict[int, Value]]) -> None:
        """Files attached to ``message``: its attachment table and one attachment object
        per file, as subnodes of the message (MS-PST 2.4.6). A file given as properties
        is an attached message (attach method 5), a subnode of its attachment object."""
        ids = [(0x400 + i) << 5 | 0x05 for i in range(len(files))]
        subnodes: list[Subnode] = [(0x671, table_context(ids), [])]
        for nid, (name, data) in zip(ids, files.items(), strict=True):
            if isinstance(data, dict):
                inner = (0x500 + len(subnodes)) << 5 | 0x04
                content = property_context(data)
                subnodes.append((nid, property_context({
                    0x0E20: len(content), 0x3001: name, 0x3705: 5,
                    0x3701: Embedded(inner, len(content))}), [(inner, content, [])]))
                continue
            subnodes.append((nid, property_context({
                0x0E20: len(data), 0x3001: name, 0x3701: data, 0x3704: name[:12],
                0x3705: 1, 0x3707: name}), []))
        self.subnodes.setdefault(message, []).extend(subnodes)

    def recipients(self, message: int, people: list[tuple[str, str, int]]) -> None:
        """The recipient table of ``message`` (MS-PST 2.4.5): (display name, address,
        type: 1 To, 2 Cc, 3 Bcc) per row."""
        rows: list[dict[int, Value]] = [
            {0x3001: name, 0x3003: address, 0x39FE: address, 0x0C15: kind, 0x3002: "SMTP"}
            for name, address, kind in people]
        ids = list(range(1, len(rows) + 1))
        self.subnodes.setdefault(message, []).append((0x692, table_context(ids, rows), []))

    def add_folder(self, nid: int, parent: int, name: str, messages: list[int],
                   folders: list[int]) -> None:
        """A folder and its hierarchy, contents and associated-contents tables."""
        self.add(nid, parent, {0x3001: name, 0x3602: len(messages), 0x3603: 0,
                               0x360A: bool(folders)})
        base = nid & ~0x1F
        self.nodes.append((base | 0x0D, 0, table_context(folders)))
        self.nodes.append((base | 0x0E, 0, table_context(messages)))
        self.nodes.append((base | 0x0F, 0, table_context([])))

    def build(self) -> bytes:
        # With deleted nodes: the first allocation map (AMap) at 0x4400 and page map (PMap)
        # at 0x4600 (MS-PST 2.2.2.7), filled in at the end; the data after them.
        maps = bool(self.deleted)
        out = bytearray(0x4800 if maps else 0x4400)
        freed: list[tuple[int, int]] = []  # (ib, bytes) of the deleted nodes' blocks
        blocks: list[tuple[int, int, int]] = []  # bid, ib, cb
        nbt: list[tuple[int, int, int, int]] = []  # nid, bid, sub bid, parent
        counter = iter(range(1, 1 << 24))

        def block(data: bytes, internal: bool = False) -> int:
            bid = next(counter) * 4 | (2 if internal else 0)
            ib = len(out)
            total = (len(data) + 16 + 63) // 64 * 64
            out.extend(data.ljust(total - 16, b"\x00"))
            out.extend(struct.pack("<HHIQ", len(data), _sig(ib, bid), crc(data), bid))
            blocks.append((bid, ib, len(data)))
            return bid

        def sub_tree(subnodes: list[Subnode]) -> int:
            """An SL block (MS-PST 2.2.2.8.3.3.2.1) over ``subnodes``, nested ones first."""
            entries = sorted((snid, block(sdata), sub_tree(inner) if inner else 0)
                             for snid, sdata, inner in subnodes)
            return block(struct.pack("<BBHI", 2, 0, len(entries), 0) + b"".join(
                struct.pack("<QQQ", *entry) for entry in entries), internal=True)

        for nid, parent, data in self.nodes:
            sub_bid = sub_tree(self.subnodes[nid]) if nid in self.subnodes else 0
            nbt.append((nid, block(data), sub_bid, parent))
        remnants = block_remnants = b""
        for nid, parent, data in self.deleted:
            ib = len(out)
            bid = block(data)
            blocks.pop()  # not in the block B-tree any more
            freed.append((ib, len(out) - ib))
            remnants += struct.pack("<QQQII", nid, bid, 0, parent, 0)
            block_remnants += struct.pack("<QQHHI", bid, ib, len(data), 1, 0)
        out += b"\x00" * (-len(out) % 512)
        pages = iter(range(next(counter) * 4, 1 << 40, 4))

        def page(ptype: int, entries: bytes, count: int, size: int, level: int) -> tuple[
                int, int]:
            bid, ib = next(pages), len(out)
            body = entries.ljust(488, b"\x00") + struct.pack("<BBBBI", count, 488 // size,
                                                             size, level, 0)
            out.extend(body + struct.pack("<BBHIQ", ptype, ptype, _sig(ib, bid), crc(body),
                                          bid))
            return bid, ib

        def tree(ptype: int, entries: list[tuple[int, bytes]], size: int,
                 remnants: bytes = b"") -> tuple[int, int]:
            """A B-tree of leaf pages, then intermediate pages up to one root: its BREF.
            ``remnants``: entries left past the count of the last leaf page."""
            per = 488 // size
            chunks = [entries[i : i + per] for i in range(0, len(entries), per)] or [[]]
            if remnants and len(chunks[-1]) * size + len(remnants) > 488:
                chunks.append([])  # (an empty last leaf: only its remnants)
            refs = [(chunk[0][0] if chunk else 0, *page(
                ptype, b"".join(e for _, e in chunk) + (remnants if last else b""),
                len(chunk), size, 0))
                for last, chunk in ((i == len(chunks) - 1, c) for i, c in enumerate(chunks))]
            level = 0
            while len(refs) > 1:
                level += 1
                refs = [(chunk[0][0], *page(ptype, b"".join(struct.pack("<QQQ", *r)
                                                             for r in chunk),
                                            len(chunk), 24, level))
                        for chunk in [refs[i : i + 20] for i in range(0, len(refs), 20)]]
            return refs[0][1], refs[0][2]

        nbt_bid, nbt_ib = tree(0x81, [(nid, struct.pack("<QQQII", nid, bid, sub, parent, 0))
                                      for nid, bid, sub, parent in sorted(nbt)], 32, remnants)
        bbt_bid, bbt_ib = tree(0x80, [(bid, struct.pack("<QQHHI", bid, ib, cb, 2, 0))
                                      for bid, ib, cb in sorted(blocks)], 24)
        if block_remnants:  # old B-tree leaves left in free space name the deleted nodes
            freed.append((len(out), 512))
            page(0x80, block_remnants, len(block_remnants) // 24, 24, 0)
            freed.append((len(out), 512))
            page(0x81, remnants, len(remnants) // 32, 32, 0)
        eof = len(out)
        next_bid = next(pages)

        header = bytearray(564)
        header[0:4] = b"!BDN"
        struct.pack_into("<2sHHBB", header, 8, b"SM", 23, 19, 1, 1)
        struct.pack_into("<QQI", header, 24, 0, next_bid, 0x100)  # bidUnused, bidNextP, unique
        struct.pack_into("<IQQQQQQQQBBH", header, 180, 0, eof, 0x4400, 0, 0,
                         nbt_bid, nbt_ib, bbt_bid, bbt_ib, 2 if maps else 0, 0, 0)
        header[256:384] = b"\xff" * 128  # rgbFM
        header[384:512] = b"\xff" * 128  # rgbFP
        header[512] = 0x80  # bSentinel
        header[513] = 0  # bCryptMethod: none
        struct.pack_into("<Q", header, 516, next_bid)  # bidNextB
        struct.pack_into("<I", header, 4, crc(bytes(header[8:479])))
        struct.pack_into("<I", header, 524, crc(bytes(header[8:524])))
        out[:564] = header
        if maps:
            out[0x4400:0x4800] = _allocation_maps(freed)
        return bytes(out)


INBOX, CONTACTS = 0x8022, 0x8042
CSV = b"nom;prenom;nir\nDUPONT;Marie;2 54 03 75 123 456 55\n"
MESSAGE, CONTACT = 0x200024, 0x200044
#: The contact's e-mail address: a named property (PSETID_Address, PidLidEmail1EmailAddress)
#: mapped to property id 0x8000 by the file's name-to-id map.
CONTACT_EMAIL = "jean.martin@exemple.fr"
#: The body of the message attached to the inbox's message (an embedded item).
EMBEDDED_BODY = "Compte rendu : Mme DUPONT, tél 07 11 22 33 44"
#: The message's recipients (display name, address, type).
RECIPIENTS = [("Dr Paul LEROY", "paul.leroy@chu-exemple.fr", 1),
              ("Marie Dupont", "marie.dupont@orange.fr", 2)]
#: A message whose folder is gone (its parent node does not exist): an orphan item.
ORPHAN, ORPHAN_BODY = 0x200064, "Message sans dossier, tél 06 55 44 33 22"


def name_to_id_map(lids: list[int]) -> dict[int, Value]:
    """The name-to-id map node's properties (MS-PST 2.4.7): one GUID (PSETID_Address),
    numeric names ``lids`` mapped to property ids 0x8000, 0x8001..."""
    entries = b"".join(struct.pack("<IHH", lid, 3 << 1, index)
                       for index, lid in enumerate(lids))
    return {0x0001: 251, 0x0002: PSETID_ADDRESS.bytes_le, 0x0003: entries, 0x0004: b""}


def sample_pst() -> bytes:
    """A mailbox with an inbox holding one message (a NIR and a phone in its body, a CSV
    and a message attached) and a contacts folder holding one contact (a NIR as its
    government ID, a mobile phone, an e-mail address as a named property)."""
    writer = PstWriter()
    writer.add(NID_NAME_TO_ID_MAP, 0, name_to_id_map([0x8083]))
    writer.add(NID_MESSAGE_STORE, 0, {0x3001: "Boîte du secrétariat",
                                      0x0FF9: bytes(range(16))})
    writer.add_folder(NID_ROOT_FOLDER, NID_ROOT_FOLDER, "", [], [INBOX, CONTACTS])
    writer.add_folder(INBOX, NID_ROOT_FOLDER, "Boîte de réception", [MESSAGE], [])
    writer.add_folder(CONTACTS, NID_ROOT_FOLDER, "Contacts", [CONTACT], [])
    writer.add(MESSAGE, INBOX, {
        0x001A: "IPM.Note", 0x0037: "Liste des patients", 0x0E07: 1,
        0x1000: "Bonjour,\r\nNIR 2 54 03 75 123 456 55, tél 06 12 34 56 78\r\n",
        0x0C1A: "Marie Dupont", 0x0C1F: "marie.dupont@orange.fr"})
    writer.add(CONTACT, CONTACTS, {
        0x001A: "IPM.Contact", 0x0037: "Jean MARTIN", 0x3001: "Jean MARTIN",
        0x3A06: "Jean", 0x3A11: "MARTIN", 0x3A1C: "06 98 76 54 32",
        0x3A07: "1 85 12 75 108 016 08", 0x3A42: dt.datetime(1985, 12, 3, 23, 0),
        0x1000: "Patient suivi en cardiologie", 0x8000: CONTACT_EMAIL})
    writer.attach(MESSAGE, {"liste patients.csv": CSV, "Compte rendu": {
        0x001A: "IPM.Note", 0x0037: "Compte rendu", 0x1000: EMBEDDED_BODY}})
    writer.recipients(MESSAGE, RECIPIENTS)
    writer.add(ORPHAN, 0x8062, {0x001A: "IPM.Note", 0x0037: "Orphelin", 0x1000: ORPHAN_BODY})
    writer.nodes.sort(key=lambda node: node[0])
    return writer.build()


def big_pst(messages: int = 500, per_folder: int = 100, attach_every: int = 5) -> bytes:
    """A mailbox of ``messages`` messages in folders of ``per_folder`` (a folder's contents
    table is one heap block here), each with a NIR and a phone in its body and every
    ``attach_every``-th with a CSV attached: for measures, and for the B-trees' upper
    levels (a few hundred nodes need intermediate pages)."""
    writer = PstWriter()
    writer.add(NID_MESSAGE_STORE, 0, {0x3001: "Archives", 0x0FF9: bytes(range(16))})
    folders = [(0x500 + f) << 5 | 0x02 for f in range((messages + per_folder - 1) // per_folder)]
    writer.add_folder(NID_ROOT_FOLDER, NID_ROOT_FOLDER, "", [], folders)
    for f, folder in enumerate(folders):
        ids = [(0x20000 + i) << 5 | 0x04
               for i in range(f * per_folder, min(messages, (f + 1) * per_folder))]
        writer.add_folder(folder, NID_ROOT_FOLDER, f"Archives {f + 1}", ids, [])
        for nid in ids:
            n = nid >> 5 & 0xFFFF
            writer.add(nid, folder, {
                0x001A: "IPM.Note", 0x0037: f"Dossier {n}", 0x0E07: 1,
                0x1000: f"Bonjour,\r\nPatient {n}: NIR 1 85 12 75 108 016 08, "
                        f"tél 06 12 34 {n // 100 % 100:02d} {n % 100:02d}\r\n" * 4,
                0x0C1A: "Secrétariat", 0x0C1F: "secretariat@chu-exemple.fr"})
            if n % attach_every == 0:
                writer.attach(nid, {f"liste {n}.csv": CSV * 20})
    writer.nodes.sort(key=lambda node: node[0])
    return writer.build()


HTML_BODY = "<html><body><p>Rappel : Mme DURAND, tél 06 44 55 66 77</p></body></html>"
RTF_BODY = r"{\rtf1\ansi\deff0 {\fonttbl{\f0 Arial;}}\f0 Patient NIR 2 54 03 75 123 456 55\par}"


def bodies_pst() -> bytes:
    """An inbox with a message whose only body is HTML and one whose only body is
    compressed RTF (``PidTagRtfCompressed``, as Outlook writes it)."""
    from compressed_rtf import compress

    writer = PstWriter()
    writer.add(NID_MESSAGE_STORE, 0, {0x3001: "Boîte", 0x0FF9: bytes(range(16))})
    writer.add_folder(NID_ROOT_FOLDER, NID_ROOT_FOLDER, "", [], [INBOX])
    html, rtf = 0x200024, 0x200044
    writer.add_folder(INBOX, NID_ROOT_FOLDER, "Inbox", [html, rtf], [])
    writer.add(html, INBOX, {0x001A: "IPM.Note", 0x0037: "Rappel",
                             0x1013: HTML_BODY.encode("utf-8")})
    writer.add(rtf, INBOX, {0x001A: "IPM.Note", 0x0037: "Dossier",
                            0x1009: compress(RTF_BODY.encode("ascii"), compressed=True)})
    writer.nodes.sort(key=lambda node: node[0])
    return writer.build()


DELETED_BODY = "Message supprimé, tél 06 77 88 99 00"


def deleted_pst() -> bytes:
    """An inbox with one message and one deleted message, left as Outlook leaves one: its
    block in free space (valid allocation maps), its node entry past the count of the node
    B-tree leaf, old B-tree leaves naming it in free space. Debian's ``pffexport -m
    recovered`` (libpff 20180714) recovers it."""
    writer = PstWriter()
    writer.add(NID_MESSAGE_STORE, 0, {0x3001: "Boîte", 0x0FF9: bytes(range(16))})
    writer.add_folder(NID_ROOT_FOLDER, NID_ROOT_FOLDER, "", [], [INBOX])
    writer.add_folder(INBOX, NID_ROOT_FOLDER, "Inbox", [MESSAGE], [])
    writer.add(MESSAGE, INBOX, {0x001A: "IPM.Note", 0x0037: "Gardé", 0x1000: "Bonjour"})
    writer.add_deleted(0x200044, INBOX, {0x001A: "IPM.Note", 0x0037: "Supprimé",
                                         0x1000: DELETED_BODY})
    writer.nodes.sort(key=lambda node: node[0])
    return writer.build()
