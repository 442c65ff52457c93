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
import zlib

PT_LONG, PT_BOOLEAN, PT_SYSTIME, PT_UNICODE, PT_BINARY = 0x0003, 0x000B, 0x0040, 0x001F, 0x0102
NID_MESSAGE_STORE, NID_ROOT_FOLDER = 0x21, 0x122

Value = str | int | bool | bytes | dt.datetime


def crc(data: bytes) -> int:
    """The PST's CRC-32: the usual polynomial, no initial or final inversion."""
    return zlib.crc32(data, 0xFFFFFFFF) ^ 0xFFFFFFFF


def _sig(ib: int, bid: int) -> int:
    x = ib ^ bid
    return ((x >> 16) ^ x) & 0xFFFF


def _typed(value: Value) -> tuple[int, bytes]:
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


def table_context(row_ids: list[int]) -> bytes:
    """A table context with the two columns every table has (row id, row version): enough
    for a folder's contents or hierarchy table to list its items."""
    columns = [(0x67F2, PT_LONG, 0, 4, 0), (0x67F3, PT_LONG, 4, 4, 1)]
    row_size = 9  # two 4-byte cells, then a 1-byte cell existence bitmap
    info = struct.pack("<BB4HIII", 0x7C, len(columns), 8, 8, 8, row_size, 2 << 5,
                       4 << 5 if row_ids else 0, 0)
    info += b"".join(struct.pack("<IHBB", (pid << 16) | ptype, ib, cb, bit)
                     for pid, ptype, ib, cb, bit in columns)
    index_header = struct.pack("<BBBBI", 0xB5, 4, 4, 0, 3 << 5 if row_ids else 0)
    index = b"".join(struct.pack("<II", rid, i) for rid, i in sorted(
        (rid, i) for i, rid in enumerate(row_ids)))
    rows = b"".join(struct.pack("<IIB", rid, 0, 0xC0) for rid in row_ids)
    return _heap(0x7C, [info, index_header, index or b"\x00" * 8, rows or b"\x00"], 1 << 5)


class PstWriter:
    """Nodes (nid, parent, properties, subnodes) → a PST file."""

    def __init__(self) -> None:
        self.nodes: list[tuple[int, int, bytes]] = []
        self.subnodes: dict[int, list[tuple[int, bytes]]] = {}

    def add(self, nid: int, parent: int, props: dict[int, Value]) -> None:
        self.nodes.append((nid, parent, property_context(props)))

    def attach(self, message: int, files: dict[str, bytes]) -> None:
        """Files attached to ``message``: its attachment table and one attachment object
        per file, as subnodes of the message (MS-PST 2.4.6)."""
        ids = [(0x400 + i) << 5 | 0x05 for i in range(len(files))]
        subnodes = [(0x671, table_context(ids))]
        for nid, (name, data) in zip(ids, files.items(), strict=True):
            subnodes.append((nid, property_context({
                0x0E20: len(data), 0x3001: name, 0x3701: data, 0x3704: name[:12],
                0x3705: 1, 0x3707: name})))
        self.subnodes[message] = subnodes

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
        out = bytearray(0x4400)
        blocks: list[tuple[int, int, int]] = []  # bid, ib, cb
        nbt: list[tuple[int, int, int, int]] = []  # nid, bid, sub bid, parent
        counter = iter(range(1, 1 << 20))

        def block(data: bytes, internal: bool = False) -> int:
            bid = next(counter) * 4 | (2 if internal else 0)
            ib = len(out)
            total = (len(data) + 16 + 63) // 64 * 64
            out.extend(data.ljust(total - 16, b"\x00"))
            out.extend(struct.pack("<HHIQ", len(data), _sig(ib, bid), crc(data), bid))
            blocks.append((bid, ib, len(data)))
            return bid

        for nid, parent, data in self.nodes:
            sub_bid = 0
            if nid in self.subnodes:
                entries = sorted((snid, block(sdata)) for snid, sdata in self.subnodes[nid])
                sub_bid = block(struct.pack("<BBHI", 2, 0, len(entries), 0) + b"".join(
                    struct.pack("<QQQ", snid, sbid, 0) for snid, sbid in entries),
                    internal=True)
            nbt.append((nid, block(data), sub_bid, parent))
        out += b"\x00" * (-len(out) % 512)

        def page(ptype: int, entries: bytes, count: int, size: int, bid: int) -> bytes:
            ib = len(out)
            body = entries.ljust(488, b"\x00") + struct.pack("<BBBBI", count, 488 // size,
                                                             size, 0, 0)
            return body + struct.pack("<BBHIQ", ptype, ptype, _sig(ib, bid), crc(body), bid)

        nbt_bid, bbt_bid = 0x1000, 0x1004
        nbt_entries = b"".join(struct.pack("<QQQII", nid, bid, sub, parent, 0)
                               for nid, bid, sub, parent in sorted(nbt))
        nbt_ib = len(out)
        out += page(0x81, nbt_entries, len(nbt), 32, nbt_bid)
        bbt_entries = b"".join(struct.pack("<QQHHI", bid, ib, cb, 2, 0)
                               for bid, ib, cb in sorted(blocks))
        bbt_ib = len(out)
        out += page(0x80, bbt_entries, len(blocks), 24, bbt_bid)
        eof = len(out)

        header = bytearray(564)
        header[0:4] = b"!BDN"
        struct.pack_into("<2sHHBB", header, 8, b"SM", 23, 19, 1, 1)
        struct.pack_into("<QQI", header, 24, 0, 0x2000, 0x100)  # bidUnused, bidNextP, unique
        struct.pack_into("<IQQQQQQQQBBH", header, 180, 0, eof, 0x4400, 0, 0,
                         nbt_bid, nbt_ib, bbt_bid, bbt_ib, 0, 0, 0)
        header[256:384] = b"\xff" * 128  # rgbFM
        header[384:512] = b"\xff" * 128  # rgbFP
        header[512] = 0x80  # bSentinel
        header[513] = 0  # bCryptMethod: none
        struct.pack_into("<Q", header, 516, 0x2000)  # bidNextB
        struct.pack_into("<I", header, 4, crc(bytes(header[8:479])))
        struct.pack_into("<I", header, 524, crc(bytes(header[8:524])))
        out[:564] = header
        return bytes(out)


INBOX, CONTACTS = 0x8022, 0x8042
CSV = b"nom;prenom;nir\nDUPONT;Marie;2 54 03 75 123 456 55\n"
MESSAGE, CONTACT = 0x200024, 0x200044


def sample_pst() -> bytes:
    """A mailbox with an inbox holding one message (a NIR and a phone in its body) and a
    contacts folder holding one contact (a NIR as its government ID, a mobile phone)."""
    writer = PstWriter()
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
        0x1000: "Patient suivi en cardiologie"})
    writer.attach(MESSAGE, {"liste patients.csv": CSV})
    writer.nodes.sort(key=lambda node: node[0])
    return writer.build()
