"""EMF/WMF metafiles: the text records they draw, their bitmaps as members to OCR."""

from __future__ import annotations

import csv

import pytest
from samples import metafiles as mf
from samples.mail import NIR, PHONE
from samples.scans import page_image

from breachscope.detect.dispatch import detect_units
from breachscope.extract.dispatch import partition
from breachscope.extract.partial import PartialContent
from breachscope.extract.units import EmbeddedFile, ExtractionError, TextUnit
from breachscope.ingest.sniff import sniff_type

EMAIL = "marie.dupont@orange.fr"


def findings(units: list) -> set[tuple[str, str, str]]:
    texts = [u for u in units if isinstance(u, TextUnit)]
    return {(f.entity, f.value, f.location) for f in detect_units(texts).findings}


def sample_emf() -> bytes:
    return mf.emf([
        mf.emf_exttextout("Patient : DUPONT Marie", 100),
        mf.emf_exttextout("NIR 2 54 03 75 123 456 55", 200),
        mf.emf_exttextout("tél", 300, wide=False),
        mf.emf_exttextout("06 12 34 56 78", 300, wide=False),
        mf.emf_smalltextout("Courriel :", 400),
        *[mf.emf_smalltextout(c, 400) for c in EMAIL],  # drawn one character at a time
        mf.emf_plus_drawstring("Né(e) le 12/03/1954 à Lyon", 500.0),
    ])


def test_emf_text_records(tmp_path):
    path = tmp_path / "schema.emf"
    path.write_bytes(sample_emf())
    assert sniff_type(path) == "emf"
    units = list(partition(path, "emf"))
    assert [u.text for u in units] == ["Patient : DUPONT Marie\nNIR 2 54 03 75 123 456 55\n"
                                       f"tél 06 12 34 56 78\nCourriel : {EMAIL}\n"
                                       "Né(e) le 12/03/1954 à Lyon"]
    got = findings(units)
    assert {("NIR", NIR, "line 2"), ("PHONE", PHONE, "line 3"),
            ("EMAIL", EMAIL, "line 4")} <= got


def test_wmf_text_records(tmp_path):
    for placeable in (True, False):
        path = tmp_path / f"w{placeable}.wmf"
        path.write_bytes(mf.wmf([
            mf.wmf_textout("NIR 2 54 03 75 123 456 55", 100),
            mf.wmf_exttextout("tél 06 12 34 56 78", 200, clipped=True),
            mf.wmf_exttextout(f"{EMAIL} é", 300)], placeable=placeable))
        assert sniff_type(path) == "wmf"
        units = list(partition(path, "wmf"))
        assert units[0].text == f"NIR 2 54 03 75 123 456 55\ntél 06 12 34 56 78\n{EMAIL} é"
        assert {("NIR", NIR, "line 1"), ("PHONE", PHONE, "line 2"),
                ("EMAIL", EMAIL, "line 3")} <= findings(units)


def test_emf_bitmap_is_a_member_read_by_ocr(tmp_path):
    from breachscope.extract.image import partition_image

    picture = page_image(["NIR 2 54 03 75 123 456 55", "tél 06 12 34 56 78"], width=1000)
    tiny = page_image(["x"], width=60).resize((60, 20))  # an icon: not worth OCR
    path = tmp_path / "scan.emf"
    path.write_bytes(mf.emf([mf.emf_stretchdibits(tiny), mf.emf_stretchdibits(picture)]))
    units = list(partition(path, "emf"))
    members = [u for u in units if isinstance(u, EmbeddedFile)]
    assert [m.name for m in members] == ["image-1.bmp"]
    bmp = tmp_path / "image-1.bmp"
    bmp.write_bytes(b"".join(members[0].chunks()))
    assert sniff_type(bmp) == "bmp"
    got = findings(list(partition_image(bmp)))
    assert any(e == "NIR" and v == NIR for e, v, _ in got)
    assert any(e == "PHONE" and v == PHONE for e, v, _ in got)


def test_damaged_metafiles(tmp_path):
    data = sample_emf()
    cut = tmp_path / "cut.emf"
    cut.write_bytes(data[: len(data) - 60])  # the last records cut
    units: list = []
    with pytest.raises(PartialContent, match=r"^damaged emf: stopped at record \d+$"):
        for unit in partition(cut, "emf"):
            units.append(unit)
    assert ("NIR", NIR, "line 2") in findings(units)
    # A record claiming a huge size, another claiming 0: no loop, no crash.
    for name, payload in {
        "huge.emf": data[:108] + b"\x54\x00\x00\x00\xf0\xff\xff\xff" + data[116:],
        "zero.wmf": mf.wmf([]).replace(b"\x03\x00\x00\x00\x00\x00", b"\x00" * 6),
        "noise.emf": data[:108] + bytes(range(256)) * 8,
    }.items():
        path = tmp_path / name
        path.write_bytes(payload)
        with pytest.raises(ExtractionError) as exc:
            list(partition(path, name.rsplit(".", 1)[1]))
        assert "DUPONT" not in str(exc.value)
    # Text offsets pointing outside their record read nothing, never elsewhere.
    record = bytearray(mf.emf_exttextout("06 12 34 56 78", 1))
    record[48:52] = (10_000).to_bytes(4, "little")
    odd = tmp_path / "odd.emf"
    odd.write_bytes(mf.emf([bytes(record), mf.emf_exttextout("fin", 2)]))
    assert [u.text for u in partition(odd, "emf")] == ["fin"]


def test_glyph_index_text_makes_the_file_partial(tmp_path):
    path = tmp_path / "glyphs.emf"
    path.write_bytes(mf.emf([mf.emf_exttextout("NIR 2 54 03 75 123 456 55", 1),
                             mf.emf_exttextout("\x12\x34\x56", 2, options=0x10)]))
    units: list = []
    with pytest.raises(PartialContent, match=r"^1 text records drawn as glyph indices"):
        for unit in partition(path, "emf"):
            units.append(unit)
    assert [u.text for u in units] == ["NIR 2 54 03 75 123 456 55"]


@pytest.mark.slow
def test_scan_reads_metafiles(tmp_path, cli):
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "schema.emf").write_bytes(sample_emf())
    (dump / "logo.wmf").write_bytes(mf.wmf([mf.wmf_textout("tél 06 12 34 56 78", 1)]))
    case = tmp_path / "case"
    assert cli("scan", dump, "--case", case).exit_code == 0
    out = tmp_path / "findings.csv"
    assert cli("export", "--case", case, "--what", "findings", "--format", "csv",
               "-o", out).exit_code == 0
    got = {(r["file"], r["entity"], r["value"]) for r in csv.DictReader(out.open())}
    assert {("schema.emf", "NIR", NIR), ("schema.emf", "EMAIL", EMAIL),
            ("logo.wmf", "PHONE", PHONE)} <= got
