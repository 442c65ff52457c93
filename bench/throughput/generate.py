"""A dump shaped like a hospital leak, at a requested size, built from the demo generator.

:func:`breachscope.demo.generate_leak` writes one realistic hospital (admission exports, a NIR
workbook, a DPI JSON export, SQL backups, split CSV exports, letters in text and DOCX, nested
backup archives) of about 0.4 KB per patient. A 1 GB dump of distinct hospitals would take
hours to generate, so the dump is scaled by repetition with variation:

* a few base hospitals (different seeds) are generated once;
* table exports (CSV, TSV) are lengthened by repeating their rows, each repetition rotated, and
  copied as other sites' exports; SQL dumps, JSON exports, workbooks and archives are copied
  with a small valid variation (a SQL comment, trailing JSON whitespace, a ZIP comment), so that
  every copy has its own bytes and is really scanned (the case store deduplicates contents);
* letters and notes (text, DOCX) are copied with an archive reference line or ZIP comment,
  about 30 per MB of dump (tens of thousands at 1 GB);
* a few scanned pages (PNG, a letter typed in DejaVu Sans, greyscale, 150 dpi) and text-layer
  PDFs (a letter per page, ``fpdf2``) are drawn from the letters' text;
* part of the letters and tables are packed into nested archives (a ZIP holding a ZIP).

The result is a pure function of ``(size, seed)``. A manifest (``manifest.json``) lists what
was written, per kind.
"""

from __future__ import annotations

import io
import json
import random
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from breachscope.demo import generate_leak

MB = 1_000_000
#: Patients per base hospital (about 1.3 MB of files each).
BASE_PATIENTS = 3000
BASE_STAFF = 120
LETTERS_PER_MB = 30
#: Scanned pages per MB of dump (a few hundred at 1 GB), and text-layer PDFs per MB.
PNG_PER_MB = 0.3
PDF_PER_MB = 0.2
PDF_PAGES = 5
TABLE_SUFFIXES = {".csv", ".tsv", ".sql", ".json", ".xlsx", ".zip"}
LETTER_SUFFIXES = {".txt", ".docx"}
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def parse_size(text: str) -> int:
    """``50MB``, ``1GB``, ``10GB`` or a number of bytes."""
    t = text.strip().upper()
    for unit, factor in (("GB", 1000 * MB), ("MB", MB), ("KB", 1000)):
        if t.endswith(unit):
            return int(float(t[: -len(unit)]) * factor)
    return int(t)


@dataclass
class Manifest:
    size: int
    seed: int
    bytes_by_kind: Counter = field(default_factory=Counter)
    files_by_kind: Counter = field(default_factory=Counter)
    png_pages: int = 0
    pdf_pages: int = 0

    def add(self, kind: str, n_bytes: int) -> None:
        self.bytes_by_kind[kind] += n_bytes
        self.files_by_kind[kind] += 1

    @property
    def total(self) -> int:
        return sum(self.bytes_by_kind.values())

    def to_json(self) -> dict:
        return {"size": self.size, "seed": self.seed, "total_bytes": self.total,
                "n_files": sum(self.files_by_kind.values()),
                "bytes_by_kind": dict(self.bytes_by_kind),
                "files_by_kind": dict(self.files_by_kind),
                "png_pages": self.png_pages, "pdf_pages": self.pdf_pages}


# ---------------------------------------------------------------- variations (valid bytes)

def _delimiter(data: bytes) -> bytes:
    sample = data[:20000]
    return max((b";", b"\t", b","), key=sample.count)


def lengthen_table(data: bytes, times: int, shift: int) -> bytes:
    """A delimited export with its rows repeated ``times`` times, each repetition rotated (the
    first rotation by ``shift``), after its preamble and header: another site's export."""
    eol = b"\r\n" if b"\r\n" in data[:4096] else b"\n"
    lines = data.split(eol)
    while lines and not lines[-1]:
        lines.pop()
    delim = _delimiter(data)
    width = lines[-1].count(delim) if lines else 0
    header = next((i for i, line in enumerate(lines) if width and line.count(delim) == width), 0)
    head, body = lines[: header + 1], lines[header + 1:]
    if not body:
        return data + b"#" + str(shift).encode()
    out = list(head)
    for j in range(times):
        k = (shift + j * 7919) % len(body)
        out += body[k:] + body[:k]
    if times == 1 and shift % len(body) == 0:  # the same bytes again: make them differ
        out.append(out.pop(header + 1))
    return eol.join(out) + eol


def vary(data: bytes, suffix: str, k: int) -> bytes:
    """The same content with a small valid variation numbered ``k`` (distinct bytes per k)."""
    if suffix in (".xlsx", ".docx", ".zip"):
        buf = io.BytesIO(data)
        with zipfile.ZipFile(buf, "a") as zf:
            zf.comment = f"lot {k}".encode()
        return buf.getvalue()
    if suffix == ".sql":
        return data + f"\n-- lot {k}\n".encode()
    if suffix == ".json":
        # Trailing whitespace is valid JSON: k written in base 4 with the four blanks.
        digits, n = [], k + 1
        while n:
            n, r = divmod(n, 4)
            digits.append(b" \t\r\n"[r:r + 1])
        return data + b"".join(digits)
    if suffix == ".txt":
        return f"Ref. archivage : {k:07d}\n".encode() + data
    return data + f"\n{k}\n".encode()


# ---------------------------------------------------------------- scanned pages and PDFs

def _letter_lines(text: str, width: int = 70) -> list[str]:
    import textwrap

    lines: list[str] = []
    for para in text.splitlines():
        lines += textwrap.wrap(para, width) or [""]
    return lines[:45]


def png_page(text: str) -> bytes:
    """A letter as a scanned A4 page: greyscale, 150 dpi, typed in DejaVu Sans."""
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("L", (1240, 1754), 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(str(FONT), 24)
    y = 120
    for line in _letter_lines(text):
        draw.text((110, y), line, fill=0, font=font)
        y += 34
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=False)
    return buf.getvalue()


def text_pdf(letters: list[str]) -> bytes:
    """A text-layer PDF, one letter per page (``fpdf2``, DejaVu Sans for accents)."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_font("DejaVu", "", str(FONT))
    pdf.set_font("DejaVu", size=10)
    for text in letters:
        pdf.add_page()
        for line in _letter_lines(text, 95):
            pdf.cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _zip(members: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            zf.writestr(zipfile.ZipInfo(name, (2023, 6, 1, 0, 0, 0)), data,
                        compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


# ---------------------------------------------------------------- the dump

def _kind(path: Path) -> str:
    return path.suffix.lower().lstrip(".") or "other"


def generate_dump(out: Path, size: int, *, seed: int = 7, work: Path | None = None) -> Manifest:
    """Write a dump of about ``size`` bytes under ``out``; return its manifest."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    work = work or out.parent / "bases"
    manifest = Manifest(size, seed)

    written: set[str] = set()

    def write(rel: str, data: bytes, kind: str | None = None) -> None:
        if rel in written:  # the manifest would count bytes the dump does not hold
            raise ValueError(f"generated twice: {rel}")
        written.add(rel)
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        manifest.add(kind or _kind(path), len(data))

    n_bases = max(1, min(3, round(size / (300 * MB))))
    tables: list[tuple[str, bytes]] = []
    letters: list[tuple[str, bytes]] = []
    for b in range(n_bases):
        base = work / f"base{b}"
        if not (base / "truth.json").exists():
            generate_leak(base, seed=seed + b, n_patients=BASE_PATIENTS, n_staff=BASE_STAFF)
        for path in sorted((base / "leak").rglob("*")):
            if not path.is_file():
                continue
            rel = path.relative_to(base / "leak").as_posix()
            data = path.read_bytes()
            write(f"site{b}/{rel}", data)  # the base hospital itself, as generated
            if path.suffix.lower() in LETTER_SUFFIXES and "courriers" in rel:
                letters.append((rel, data))
            elif path.suffix.lower() in TABLE_SUFFIXES:
                # Each base's exports under their own folder: with several bases the same
                # relative path would otherwise be written over (a 1 GB dump was 372 MB).
                tables.append((f"{rel}" if n_bases == 1 else f"base{b}/{rel}", data))
    letter_texts = [d.decode("utf-8", "replace") for r, d in letters if r.endswith(".txt")]

    # Scanned pages and text-layer PDFs: a few, drawn from the letters.
    size_mb = size / MB
    n_png = max(2, round(size_mb * PNG_PER_MB))
    rng.shuffle(letter_texts)
    for i in range(n_png):  # a page number in the corner: no two scans alike
        text = f"{letter_texts[i % len(letter_texts)]}\n\nPage {i + 1}"
        write(f"scans/{2023 + i % 2}/scan_{i:05d}.png", png_page(text))
    manifest.png_pages = n_png
    n_pdf = max(1, round(size_mb * PDF_PER_MB))
    for i in range(n_pdf):
        write(f"courriers_pdf/lot_{i:04d}.pdf",
              text_pdf([rng.choice(letter_texts) for _ in range(PDF_PAGES)]))
    manifest.pdf_pages = n_pdf * PDF_PAGES

    # Letters and notes, many and small; one in five goes into a nested archive.
    n_letters = max(20, round(size_mb * LETTERS_PER_MB))
    packed: list[tuple[str, bytes]] = []
    for i in range(n_letters):
        rel, data = letters[i % len(letters)]
        suffix = Path(rel).suffix.lower()
        name = f"courriers/site{i % 17}/{i:06d}_{Path(rel).name}"
        varied = vary(data, suffix, i)
        if i % 5 == 4:
            packed.append((name, varied))
        else:
            write(name, varied)
    # Nested archives: letters and one table export inside a ZIP inside a ZIP.
    table_rel, table_data = next((r, d) for r, d in tables if r.endswith(".csv"))
    chunk = 200
    for j in range(0, len(packed), chunk):
        inner = _zip([(f"export/{Path(table_rel).name}", lengthen_table(table_data, 1, j + 1))])
        write(f"archives/sauvegarde_courriers_{j // chunk:04d}.zip",
              _zip([*packed[j:j + chunk], (f"bases/export_{j // chunk}.zip", inner)]))

    # Tables and SQL backups fill the rest: lengthened exports and varied copies.
    times = max(1, round(size_mb / 25))
    k = 0
    while manifest.total < size:
        rel, data = tables[k % len(tables)]
        suffix = Path(rel).suffix.lower()
        site = f"export_site{k // len(tables):04d}"
        if suffix in (".csv", ".tsv"):
            data = lengthen_table(data, times, k + 1)
        else:
            data = vary(data, suffix, k)
        write(f"{site}/{rel}", data)
        k += 1
    (out.parent / "manifest.json").write_text(json.dumps(manifest.to_json(), indent=2))
    return manifest
