"""A hostile dump, generated: what a criminal leak can throw at a scanner.

:func:`build_corpus` writes everything under ``root/dump`` (plus ``root/outside`` — a file the
dump links to but that lies outside it — and ``root/passwords.txt``) and returns a
:class:`CorpusTruth`, also written to ``root/truth.json``.

Design notes
------------
* Deterministic: every byte depends on the code only (the AES zip salt is seeded too), so a
  failure reproduces. Fast: the bombs are never materialised. A run of zeros deflated with a
  full flush after each 64 MiB chunk resets the compressor, so every chunk compresses to the
  *same* bytes: one chunk is compressed once (~0.4 s) and its output repeated. The zips are
  written by hand (a few dozen lines below) so the bomb members, lying headers, traversal
  names and symlink attributes are exactly what we say.
* Bombs: ``bombs/single_bomb.zip`` holds ``bomb.bin``, 3 GiB of zeros in ~3 MB (ratio ~1030),
  between two ordinary members. ``bombs/nested_bomb.zip`` is twelve *nested* levels
  (``level02.zip`` ... ``level12.zip``, stored, not deflated, so the nesting itself is not a
  high-ratio member), each level holding a 1 GiB-of-zeros member ``zeros_NN.bin`` (~1 MB):
  12 GiB in ~12 MB, deeper than the default ``--max-depth 8``. Ordinary NIR members sit at
  levels 1 and 4 (within the depth limit) and must be found. ``bombs/lying_header.zip`` has a
  member whose header claims 4 KiB but whose data inflates to 1 GiB (a scanner trusting the
  header is fooled; a streaming check is not), followed by an ordinary member.
* Every known NIR is valid (key = 97 - first 13 digits mod 97) and distinct; ``nirs`` maps the
  contract path (``outer.zip!/inner.zip!/member``, relative to ``dump``) to the NIRs that must
  be found in it. ``forbidden_nirs`` must never be found (they live outside the dump, behind a
  symbolic link). ``sentinels`` are file names that traversal members try to create: none may
  ever exist.
"""

from __future__ import annotations

import functools
import io
import json
import random
import struct
import tarfile
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

CHUNK = 64 << 20
GIB = 1 << 30
SINGLE_BOMB_SIZE = 3 * GIB
NESTED_LEVELS = 12
NESTED_MEMBER_SIZE = GIB
HUGE_LINE_SIZE = 64 << 20
HUGE_CELL_SIZE = 64 << 20
DEEP_LEVELS = 60
PNG_SIDE = 20_000

PASSWORD = "Hop1tal-2024!"
WRONG_PASSWORDS = ("123456", "password", "azerty", "Hopital2024")

# The names traversal members try to write; deliberately unlikely anywhere on a machine.
SENTINEL_PREFIX = "breachscope-hostile-sentinel"
FORBIDDEN_SUBSTRINGS = ("root:", ":/bin/", "nologin", "lollol", "&lol", "&x;", "&xxe;")

_DOS_TIME = (23 << 11) | (40 << 5)  # 23:40:00
_DOS_DATE = ((2023 - 1980) << 9) | (12 << 5) | 31  # 2023-12-31


@dataclass
class CorpusTruth:
    root: str
    dump: str
    passwords_file: str
    nirs: dict[str, list[str]] = field(default_factory=dict)
    forbidden_nirs: list[str] = field(default_factory=list)
    sentinels: list[str] = field(default_factory=list)
    sentinel_paths: list[str] = field(default_factory=list)  # absolute targets, e.g. /tmp/...
    bomb_members: list[str] = field(default_factory=list)  # must be `skipped` with a reason
    bomb_siblings: list[str] = field(default_factory=list)  # must be `scanned`
    encrypted_members: list[str] = field(default_factory=list)  # `encrypted` without passwords
    must_be_reported: list[str] = field(default_factory=list)  # paths the files export must list
    must_be_scanned: list[str] = field(default_factory=list)
    not_scanned: list[str] = field(default_factory=list)  # broken on purpose: failed/skipped
    forbidden_substrings: list[str] = field(default_factory=lambda: list(FORBIDDEN_SUBSTRINGS))

    def all_nirs(self) -> set[str]:
        return {n for values in self.nirs.values() for n in values}

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> CorpusTruth:
        return cls(**json.loads(text))


# ----------------------------------------------------------------------------------- NIRs


def nir_key(first13: str) -> str:
    return f"{97 - int(first13) % 97:02d}"


class NirFactory:
    """Distinct, valid, strict NIRs (sex 1/2, month 01-12, metropolitan département)."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)
        self._seen: set[str] = set()

    def __call__(self) -> str:
        while True:
            r = self._rng
            first13 = (f"{r.choice('12')}{r.randint(40, 99):02d}{r.randint(1, 12):02d}"
                       f"{r.choice([d for d in range(1, 96) if d != 20]):02d}"
                       f"{r.randint(1, 990):03d}{r.randint(1, 999):03d}")
            nir = first13 + nir_key(first13)
            if nir not in self._seen:
                self._seen.add(nir)
                return nir


_LAST = ("MARTIN", "BERNARD", "DUBOIS", "THOMAS", "ROBERT", "RICHARD", "PETIT", "DURAND",
         "LEROY", "MOREAU", "SIMON", "LAURENT", "LEFEBVRE", "MICHEL", "GARCIA", "DAVID")
_FIRST = ("Jean", "Marie", "Pierre", "Nathalie", "Michel", "Isabelle", "Alain", "Sylvie",
          "Philippe", "Catherine", "Louis", "Camille", "Hugo", "Léa", "Chloé", "Lucas")


def _patients_csv(nirs: list[str], rng: random.Random) -> bytes:
    lines = ["nom;prenom;date_naissance;nir;service"]
    for nir in nirs:
        month = int(nir[3:5])
        year = 1900 + int(nir[1:3])
        lines.append(f"{rng.choice(_LAST)};{rng.choice(_FIRST)};"
                     f"{rng.randint(1, 28):02d}/{month:02d}/{year};{nir};Cardiologie")
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _prose(nirs: list[str]) -> bytes:
    """Free text (no comma, semicolon, tab or pipe: it must not sniff as a delimited table)."""
    text = "Compte rendu de consultation du service de cardiologie\n\n"
    for i, nir in enumerate(nirs):
        text += (f"Le patient numéro {i + 1} dont le numéro de sécurité sociale est {nir} "
                 "a été vu ce jour en consultation et sera revu dans un mois.\n")
    return text.encode("utf-8")


# ------------------------------------------------------------------------------- deflate


def deflate_zeros(n: int) -> list[bytes]:
    """Raw deflate of ``n`` zero bytes as a list of pieces (the same object repeated)."""
    full, rest = divmod(n, CHUNK)
    pieces = [_zero_block()] * full
    c = zlib.compressobj(9, zlib.DEFLATED, -15)  # a full flush leaves a fresh state
    pieces.append(c.compress(bytes(rest)) + c.flush(zlib.Z_FINISH))
    return pieces


@functools.cache
def _zero_block() -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(bytes(CHUNK)) + c.flush(zlib.Z_FULL_FLUSH)


@functools.cache
def crc32_zeros(n: int) -> int:
    buf = bytes(min(n, CHUNK))
    crc = 0
    while n:
        step = min(n, len(buf))
        crc = zlib.crc32(memoryview(buf)[:step], crc)
        n -= step
    return crc


# ----------------------------------------------------------------------------------- zips


@dataclass
class ZipMember:
    name: str
    pieces: list[bytes]  # the stored data (already compressed when method is 8)
    crc: int
    usize: int
    method: int = 8
    mode: int = 0o100644  # unix mode in the external attributes (S_IFLNK for a link)
    flags: int = 0

    @property
    def csize(self) -> int:
        return sum(len(p) for p in self.pieces)


def member(name: str, data: bytes, *, method: int = 8, mode: int = 0o100644) -> ZipMember:
    if method == 8:
        c = zlib.compressobj(6, zlib.DEFLATED, -15)
        pieces = [c.compress(data) + c.flush()]
    else:
        pieces = [data]
    return ZipMember(name, pieces, zlib.crc32(data), len(data), method, mode)


def zeros_member(name: str, n: int, crc: int | None = None) -> ZipMember:
    return ZipMember(name, deflate_zeros(n), crc32_zeros(n) if crc is None else crc, n)


def zip_pieces(members: Iterable[ZipMember]) -> Iterator[bytes]:
    """A zip file as byte pieces: local headers + data, central directory, end record."""
    offset = 0
    central: list[bytes] = []
    for m in members:
        name = m.name.encode("utf-8")
        flags = m.flags | (0x800 if not m.name.isascii() else 0)
        header = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, m.method, _DOS_TIME,
                             _DOS_DATE, m.crc, m.csize, m.usize, len(name), 0) + name
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, (3 << 8) | 20, 20, flags,
                                   m.method, _DOS_TIME, _DOS_DATE, m.crc, m.csize, m.usize,
                                   len(name), 0, 0, 0, 0, (m.mode << 16) & 0xFFFFFFFF,
                                   offset) + name)
        yield header
        yield from m.pieces
        offset += len(header) + m.csize
    cd = b"".join(central)
    yield cd
    yield struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), len(cd),
                      offset, 0)


def write_zip(path: Path, members: Iterable[ZipMember]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        for piece in zip_pieces(members):
            fh.write(piece)


def zip_bytes(members: Iterable[ZipMember]) -> bytes:
    return b"".join(zip_pieces(members))


# ----------------------------------------------------------------------------- builders


class _Builder:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.dump = root / "dump"
        self.nir = NirFactory(seed=20240211)
        self.rng = random.Random(7)
        self.truth = CorpusTruth(root=str(root), dump=str(self.dump),
                                 passwords_file=str(root / "passwords.txt"))

    # helpers
    def nirs(self, path: str, n: int) -> list[str]:
        values = [self.nir() for _ in range(n)]
        self.truth.nirs.setdefault(path, []).extend(values)
        return values

    def write(self, rel: str, data: bytes) -> Path:
        path = self.dump / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path

    def expect(self, path: str, *, scanned: bool | None = None) -> None:
        self.truth.must_be_reported.append(path)
        if scanned is True:
            self.truth.must_be_scanned.append(path)
        elif scanned is False:
            self.truth.not_scanned.append(path)

    def sentinel(self, tag: str) -> str:
        name = f"{SENTINEL_PREFIX}-{tag}"
        self.truth.sentinels.append(name)
        return name

    # ordinary files
    def ordinary(self) -> None:
        p = "ordinary/patients.csv"
        self.write(p, _patients_csv(self.nirs(p, 5), self.rng))
        self.expect(p, scanned=True)
        p = "ordinary/compte_rendu.txt"
        self.write(p, _prose(self.nirs(p, 2)))
        self.expect(p, scanned=True)
        p = "ordinary/consultations.json"
        rows = [{"patient": {"nom": self.rng.choice(_LAST), "nir": nir}, "motif": "suivi"}
                for nir in self.nirs(p, 3)]
        self.write(p, json.dumps({"consultations": rows}, ensure_ascii=False,
                                 indent=1).encode("utf-8"))
        self.expect(p, scanned=True)
        p = "ordinary/patients.xlsx"
        self.write(p, _xlsx(self.nirs(p, 4), self.rng))
        self.expect(p, scanned=True)

    # archives
    def single_bomb(self) -> None:
        base = "bombs/single_bomb.zip"
        before, after = f"{base}!/exports/patients_a.csv", f"{base}!/notes/notes_b.txt"
        write_zip(self.dump / base, [
            member("exports/patients_a.csv", _patients_csv(self.nirs(before, 3), self.rng)),
            zeros_member("bomb.bin", SINGLE_BOMB_SIZE),
            member("notes/notes_b.txt", _prose(self.nirs(after, 2))),
        ])
        self.truth.bomb_members.append(f"{base}!/bomb.bin")
        self.truth.bomb_siblings += [before, after]
        self.expect(base)

    def nested_bomb(self) -> None:
        base = "bombs/nested_bomb.zip"
        crc = crc32_zeros(NESTED_MEMBER_SIZE)
        prefixes = [base] + [f"level{k:02d}.zip" for k in range(2, NESTED_LEVELS + 1)]
        inner: bytes | None = None
        for level in range(NESTED_LEVELS, 0, -1):
            path = "!/".join(prefixes[:level])
            members = [zeros_member(f"zeros_{level:02d}.bin", NESTED_MEMBER_SIZE, crc)]
            if level in (1, 4):
                p = f"{path}!/patients_level{level:02d}.csv"
                members.append(member(p.rsplit("!/", 1)[1],
                                      _patients_csv(self.nirs(p, 2), self.rng)))
                self.truth.bomb_siblings.append(p)
            if level <= 3:  # within any reading of --max-depth 8: reported
                self.truth.bomb_members.append(f"{path}!/zeros_{level:02d}.bin")
            if inner is not None:  # stored: the nesting itself is not a high-ratio member
                members.append(member(f"level{level + 1:02d}.zip", inner, method=0))
            inner = zip_bytes(members)
        assert inner is not None
        self.write(base, inner)
        self.expect(base)

    def lying_header(self) -> None:
        base = "bombs/lying_header.zip"
        liar = zeros_member("small.txt", GIB)
        liar.usize = 4096  # the header lies: the data inflates to 1 GiB
        after = f"{base}!/patients_after_liar.csv"
        write_zip(self.dump / base, [liar, member("patients_after_liar.csv",
                                                  _patients_csv(self.nirs(after, 2), self.rng))])
        self.truth.bomb_siblings.append(after)
        self.expect(base)

    def zip_slip(self) -> None:
        base = "traversal/zip_slip.zip"
        ok = f"{base}!/ok/patients.csv"
        rel = self.sentinel("zip-rel")
        abs_ = self.sentinel("zip-abs")
        back = self.sentinel("zip-backslash")
        self.truth.sentinel_paths.append(f"/tmp/{abs_}")
        write_zip(self.dump / base, [
            member(f"../../../{rel}", b"written outside by zip-slip\n"),
            member(f"/tmp/{abs_}", b"written to an absolute path\n"),
            member(f"..\\..\\..\\{back}", b"written outside by a backslash name\n"),
            member("link_to_passwd", b"/etc/passwd", mode=0o120777),
            member("link_to_root", b"../../../../../../", mode=0o120777),
            member("ok/patients.csv", _patients_csv(self.nirs(ok, 2), self.rng)),
        ])
        self.truth.bomb_siblings.append(ok)
        self.expect(base)

    def tar_traversal(self) -> None:
        base = "traversal/traversal.tar"
        ok = f"{base}!/ok/patients.txt"
        rel, abs_, via = (self.sentinel("tar-rel"), self.sentinel("tar-abs"),
                          self.sentinel("tar-via-link"))
        self.truth.sentinel_paths.append(f"/tmp/{abs_}")
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
            def add(name: str, data: bytes = b"", kind: bytes = tarfile.REGTYPE,
                    link: str = "") -> None:
                info = tarfile.TarInfo(name)
                info.type, info.linkname, info.mtime, info.mode = kind, link, 1_700_000_000, 0o644
                info.size = len(data) if kind == tarfile.REGTYPE else 0
                tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)

            add(f"../../../{rel}", b"written outside by tar traversal\n")
            add(f"/tmp/{abs_}", b"written to an absolute path\n")
            add("passwd_symlink", kind=tarfile.SYMTYPE, link="/etc/passwd")
            add("passwd_hardlink", kind=tarfile.LNKTYPE, link="/etc/passwd")
            add("escape", kind=tarfile.SYMTYPE, link="../../../../../../tmp")
            add(f"escape/{via}", b"written through a symlinked directory\n")
            add("ok/patients.txt", _prose(self.nirs(ok, 2)))
        self.truth.sentinel_paths.append(f"/tmp/{via}")
        self.write(base, buf.getvalue())
        self.truth.bomb_siblings.append(ok)
        self.expect(base)

    def password_zip(self) -> None:
        import pyzipper

        base = "protected/dossiers_aes.zip"
        inner = f"{base}!/patients_secret.csv"
        data = _patients_csv(self.nirs(inner, 2), self.rng)
        buf = io.BytesIO()
        with _seeded_aes_salt(), pyzipper.AESZipFile(buf, "w", compression=pyzipper.ZIP_DEFLATED,
                                                     encryption=pyzipper.WZ_AES) as zf:
            zf.setpassword(PASSWORD.encode())
            info = zf.zipinfo_cls("patients_secret.csv", date_time=(2023, 12, 31, 23, 40, 0))
            info.compress_type = pyzipper.ZIP_DEFLATED
            zf.writestr(info, data)
        self.write(base, buf.getvalue())
        self.truth.encrypted_members.append(inner)
        self.expect(base)
        pw = self.root / "passwords.txt"
        pw.write_text("\n".join([*WRONG_PASSWORDS, PASSWORD]) + "\n", encoding="utf-8")

    # parsers
    def xml(self) -> None:
        p = "xml/billion_laughs.xml"
        (nir,) = self.nirs(p, 1)
        ents = ['<!ENTITY lol "lol">'] + [
            f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
            for i in range(1, 10)]
        self.write(p, ('<?xml version="1.0"?>\n<!DOCTYPE lolz [\n ' + "\n ".join(ents)
                       + "\n]>\n<dossier>\n <patient><nom>MARTIN</nom>"
                       f"<nir>{nir}</nir></patient>\n <note>&lol9;</note>\n</dossier>\n"
                       ).encode())
        self.expect(p, scanned=True)
        p = "xml/xxe.xml"
        (nir,) = self.nirs(p, 1)
        self.write(p, ('<?xml version="1.0"?>\n<!DOCTYPE dossier [\n'
                       ' <!ENTITY x SYSTEM "file:///etc/passwd">\n'
                       ' <!ENTITY xxe SYSTEM "http://127.0.0.1:9/xxe">\n]>\n'
                       f"<dossier>\n <patient><nir>{nir}</nir></patient>\n"
                       " <leak>&x;</leak>\n <remote>&xxe;</remote>\n</dossier>\n").encode())
        self.expect(p, scanned=True)
        p = "xml/xxe_parameter.xml"
        (nir,) = self.nirs(p, 1)
        self.write(p, ('<?xml version="1.0"?>\n<!DOCTYPE dossier SYSTEM '
                       '"http://127.0.0.1:9/evil.dtd" [\n'
                       ' <!ENTITY % p SYSTEM "file:///etc/passwd">\n %p;\n]>\n'
                       f"<dossier><nir>{nir}</nir></dossier>\n").encode())
        self.expect(p, scanned=True)

    def png_bomb(self) -> None:
        p = "images/huge_400mp.png"
        self.write(p, b"".join(_png_zero_image(PNG_SIDE, PNG_SIDE)))
        self.expect(p)

    def truncated(self) -> None:
        full = _xlsx([self.nir() for _ in range(3)], self.rng)
        for rel, data in (("broken/truncated.xlsx", full[: len(full) // 2]),
                          ("broken/truncated.docx", _docx(self.nir())[:600]),
                          ("broken/truncated.pdf", _pdf(self.nir())[:300])):
            self.write(rel, data)
            self.expect(rel)
        rng = random.Random(99)
        for rel in ("random/export.csv", "random/patients.xlsx", "random/rapport.pdf",
                    "random/dossiers.json", "random/archive.zip"):
            self.write(rel, rng.randbytes(64 << 10))
            self.expect(rel)
        for rel in ("empty/empty.csv", "empty/empty.xlsx", "empty/empty.txt", "empty/empty.zip"):
            self.write(rel, b"")
            self.expect(rel, scanned=False)

    def huge(self) -> None:
        p = "huge/one_line.txt"
        a, b, c = self.nirs(p, 3)
        self.write(p, _long_line(HUGE_LINE_SIZE, [a, b, c]) + b"\n")
        self.expect(p, scanned=True)
        p = "huge/one_cell.csv"
        a, b, c, d, e = self.nirs(p, 5)
        cell = _long_line(HUGE_CELL_SIZE, [a, b, c]).decode()
        self.write(p, (f"nom;prenom;nir;commentaire\r\nDURAND;Paul;{d};RAS\r\n"
                       f'MOREAU;Anne;{e};"{cell}"\r\n').encode())
        self.expect(p, scanned=True)

    def deep(self) -> None:
        rel = "/".join(f"d{i:02d}" for i in range(1, DEEP_LEVELS + 1))
        p = f"deep/{rel}/patient.txt"
        self.write(p, _prose(self.nirs(p, 1)))
        self.expect(p, scanned=True)

    def links(self) -> None:
        outside = self.root / "outside"
        outside.mkdir(parents=True, exist_ok=True)
        secret = [self.nir(), self.nir()]
        (outside / "secret.txt").write_bytes(_prose(secret))
        self.truth.forbidden_nirs += secret
        links = self.dump / "links"
        links.mkdir(parents=True, exist_ok=True)
        for name, target in (("outside_file.txt", outside / "secret.txt"),
                             ("outside_relative.txt", Path("../../outside/secret.txt")),
                             ("outside_dir", outside),
                             ("inside_file.txt", Path("../ordinary/compte_rendu.txt")),
                             ("loop", Path(".")),
                             ("dangling.txt", Path("does_not_exist.txt")),
                             ("etc_passwd", Path("/etc/passwd"))):
            (links / name).symlink_to(target)
        for name in ("outside_file.txt", "outside_relative.txt", "inside_file.txt",
                     "dangling.txt", "etc_passwd"):
            self.expect(f"links/{name}")


def _xlsx(nirs: list[str], rng: random.Random) -> bytes:
    """A small real workbook written by hand (deterministic, no openpyxl timestamps)."""
    rows = [["nom", "prenom", "nir"]] + [[rng.choice(_LAST), rng.choice(_FIRST), n] for n in nirs]
    cells = "".join(
        f'<row r="{r}">' + "".join(
            f'<c r="{"ABC"[c]}{r}" t="inlineStr"><is><t>{v}</t></is></c>'
            for c, v in enumerate(row)) + "</row>"
        for r, row in enumerate(rows, start=1))
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.'
            'openxmlformats.org/package/2006/content-types"><Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{ct}.worksheet+xml"/>'
            "</Types>"),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
            f'Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook {ns} xmlns:r="{rel}"><sheets>'
            '<sheet name="Patients" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
            f'Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'),
        "xl/worksheets/sheet1.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><worksheet {ns}><sheetData>{cells}'
            "</sheetData></worksheet>"),
    }
    return zip_bytes(member(name, text.encode()) for name, text in parts.items())


def _docx(nir: str) -> bytes:
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.'
            'openxmlformats.org/package/2006/content-types"><Default Extension="xml" '
            'ContentType="application/xml"/><Override PartName="/word/document.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.'
            'document.main+xml"/></Types>'),
        "word/document.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{w}"><w:body>'
            + "".join(f"<w:p><w:r><w:t>Paragraphe {i} : patient NIR {nir}.</w:t></w:r></w:p>"
                      for i in range(40)) + "</w:body></w:document>"),
    }
    return zip_bytes(member(name, text.encode(), method=0) for name, text in parts.items())


def _pdf(nir: str) -> bytes:
    stream = f"BT /F1 12 Tf 72 720 Td (Patient NIR {nir}) Tj ET".encode()
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out = b"%PDF-1.4\n"
    offsets = []
    for i, body in enumerate(objs, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1,
                                                                             xref)
    return out


def _png_zero_image(width: int, height: int) -> Iterator[bytes]:
    """A valid 8-bit greyscale PNG of zeros: ~400 KB on disk for 400 megapixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    raw = height * (width + 1)  # a filter byte per row, then the row
    adler = ((raw % 65521) << 16) | 1  # adler32 of zeros: a = 1, b = n mod 65521
    idat = b"\x78\xda" + b"".join(deflate_zeros(raw)) + struct.pack(">I", adler)
    yield b"\x89PNG\r\n\x1a\n"
    yield chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
    yield chunk(b"IDAT", idat)
    yield chunk(b"IEND", b"")


def _long_line(size: int, nirs: list[str]) -> bytes:
    """One line of ``size`` bytes of prose with no newline; the NIRs at the start, middle and
    end (each surrounded by spaces so a reader splitting the line must not cut them)."""
    filler = b"lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor "
    marks = [f" NIR {n} ".encode() for n in nirs]
    body = bytearray((filler * (size // len(filler) + 1))[:size])
    spots = [0, size // 2 - len(marks[1]) // 2, size - len(marks[-1])][: len(marks)]
    for spot, mark in zip(spots, marks, strict=True):
        body[spot: spot + len(mark)] = mark
    return bytes(body)


@contextmanager
def _seeded_aes_salt() -> Iterator[None]:
    """pyzipper draws the AES salt from Cryptodome.Random: seed it so the zip is reproducible."""
    import pyzipper.zipfile_aes as aes

    rng = random.Random(4242)

    class _Reader:
        def read(self, n: int) -> bytes:
            return rng.randbytes(n)

    class _Random:
        @staticmethod
        def new() -> _Reader:
            return _Reader()

    saved = aes.Random
    aes.Random = _Random
    try:
        yield
    finally:
        aes.Random = saved


def build_corpus(root: Path) -> CorpusTruth:
    """Write the hostile dump under ``root/dump`` and return its truth (also ``truth.json``)."""
    root = Path(root)
    b = _Builder(root)
    b.dump.mkdir(parents=True, exist_ok=True)
    b.ordinary()
    b.single_bomb()
    b.nested_bomb()
    b.lying_header()
    b.zip_slip()
    b.tar_traversal()
    b.password_zip()
    b.xml()
    b.png_bomb()
    b.truncated()
    b.huge()
    b.deep()
    b.links()
    all_nirs = [n for v in b.truth.nirs.values() for n in v] + b.truth.forbidden_nirs
    assert len(all_nirs) == len(set(all_nirs)), "known NIRs must be distinct"
    (root / "truth.json").write_text(b.truth.to_json(), encoding="utf-8")
    return b.truth


if __name__ == "__main__":  # python tests/hostile/corpus.py OUT_DIR
    import sys
    import time

    start = time.monotonic()
    t = build_corpus(Path(sys.argv[1]))
    print(f"{sum(map(len, t.nirs.values()))} NIRs in {len(t.nirs)} files, "
          f"{time.monotonic() - start:.1f} s")
