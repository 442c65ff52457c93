import bz2
import gzip
import io
import json
import lzma
import tarfile
import zipfile
from pathlib import Path

import openpyxl
import pytest
from noise import noise

from breachscope.ingest.sniff import TYPES, sniff_type


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _xlsx(path: Path) -> Path:
    wb = openpyxl.Workbook()
    wb.active.append(["NOM", "NIR"])
    wb.active.append(["DUPONT", 185027512345678])
    wb.save(path)
    return path


def test_empty(tmp_path: Path) -> None:
    assert sniff_type(_write(tmp_path / "vide.csv", b"")) == "empty"


def test_zip(tmp_path: Path) -> None:
    path = tmp_path / "archive.xlsx"  # the extension lies: content decides
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("export.csv", "a;b\n1;2\n")
    assert sniff_type(path) == "zip"


def test_xlsx_whatever_its_name(tmp_path: Path) -> None:
    assert sniff_type(_xlsx(tmp_path / "export.xlsx")) == "xlsx"
    assert sniff_type(_xlsx(tmp_path / "export.bin")) == "xlsx"


def test_truncated_xlsx_is_still_xlsx(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "cut.dat")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert sniff_type(path) == "xlsx"  # local headers at the start name xl/ parts
    # A tiny truncated head: only the extension can tell.
    assert sniff_type(_write(tmp_path / "cut.xlsx", data[:30])) == "xlsx"
    assert sniff_type(_write(tmp_path / "cut.zip", data[:30])) == "zip"


def test_docx_and_pptx(tmp_path: Path) -> None:
    for part, expected in (("word/document.xml", "docx"), ("ppt/presentation.xml", "pptx")):
        path = tmp_path / f"doc.{expected}"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("[Content_Types].xml", "<Types/>")
            archive.writestr(part, "<x/>")
        assert sniff_type(path) == expected


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "ole"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + bytes(100), "pdf"),
        (b"\x89PNG\r\n\x1a\n" + bytes(100), "png"),
        (b"\xff\xd8\xff\xe0" + bytes(100), "jpeg"),
        (gzip.compress(b"hello" * 100, mtime=0), "gzip"),
        (b"7z\xbc\xaf\x27\x1c" + bytes(100), "7z"),
        (b"Rar!\x1a\x07\x01\x00" + bytes(100), "rar"),
    ],
)
def test_magic_numbers(tmp_path: Path, data: bytes, expected: str) -> None:
    assert sniff_type(_write(tmp_path / "fichier.csv", data)) == expected


def test_random_bytes_named_csv_are_binary(tmp_path: Path) -> None:
    assert sniff_type(_write(tmp_path / "patients.csv", noise(100_000, seed=7001))) == "binary"


def test_json_and_ndjson(tmp_path: Path) -> None:
    doc = json.dumps({"patients": [{"nom": "DUPONT"}]}, indent=2).encode()
    assert sniff_type(_write(tmp_path / "a.txt", doc)) == "json"
    ndjson = b'{"nom": "A"}\n{"nom": "B"}\n'
    assert sniff_type(_write(tmp_path / "b.log", ndjson)) == "json"
    # A long document cut by the 64 KiB head is still recognised.
    big = json.dumps([{"nom": f"NOM{i}", "ville": "Paris, 75001"} for i in range(10_000)])
    assert sniff_type(_write(tmp_path / "big.dat", big.encode())) == "json"
    big_pretty = json.dumps([{"nom": f"N{i}"} for i in range(10_000)], indent=2)
    assert sniff_type(_write(tmp_path / "big2.dat", big_pretty.encode())) == "json"
    # Invalid JSON keeps its type when its name says JSON, so extraction can fail it.
    assert sniff_type(_write(tmp_path / "broken.json", b'{"nom": ')) == "json"


def test_log_with_brackets_is_not_json(tmp_path: Path) -> None:
    log = b"[2024-02-12 10:00:01] INFO login ok\n[2024-02-12 10:00:02] WARN retry\n"
    assert sniff_type(_write(tmp_path / "app.log", log)) == "text"


def test_csv_variants(tmp_path: Path) -> None:
    cp1252 = "Export du 12/02/2024\nNOM;PRÉNOM;VILLE\nLEFÈVRE;Hélène;Besançon\nGARÇON;Zoé;Nîmes\n"
    assert sniff_type(_write(tmp_path / "a.txt", cp1252.encode("cp1252"))) == "csv"
    tabs = "IPP\tNom\tUnité\n1\tA\tCardio\n2\tB\tPsy\n".encode("utf-16")
    assert sniff_type(_write(tmp_path / "b.xls", tabs)) == "csv"  # fake .xls, really TSV
    commas = b"\xef\xbb\xbfnom,tel\nA,06\nB,07\n"
    assert sniff_type(_write(tmp_path / "c", commas)) == "csv"
    one_column = b"nom\nDUPONT\nMARTIN\n"
    assert sniff_type(_write(tmp_path / "d.csv", one_column)) == "csv"  # extension breaks tie
    assert sniff_type(_write(tmp_path / "d.txt", one_column)) == "text"


def test_prose_is_text(tmp_path: Path) -> None:
    prose = (
        "Compte rendu d'hospitalisation\n\n"
        "Madame Lefèvre, 74 ans, a été admise le 12/02/2024 pour une douleur thoracique.\n"
        "Antécédents: hypertension, diabète de type 2, tabagisme sevré.\n"
        "Examen: TA 14/9, FC 88, SpO2 97 %, auscultation normale, pas d'oedème.\n"
        "ECG: sus-décalage en territoire inférieur.\n"
        "Conclusion: syndrome coronarien aigu; coronarographie prévue.\n"
    )
    assert sniff_type(_write(tmp_path / "cr.csv", prose.encode("cp1252"))) == "text"


def test_every_answer_is_a_known_type(tmp_path: Path) -> None:
    assert {"empty", "zip", "xlsx", "json", "csv", "text", "binary"} <= set(TYPES)


def _tar(entries: dict[str, bytes], mode: str = "w", fmt: int = tarfile.GNU_FORMAT) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode, format=fmt) as tf:
        for name, data in entries.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_tar_and_compressed_streams(tmp_path: Path) -> None:
    for fmt in (tarfile.GNU_FORMAT, tarfile.USTAR_FORMAT, tarfile.PAX_FORMAT):
        data = _tar({"export.csv": b"a;b\n1;2\n"}, fmt=fmt)
        assert sniff_type(_write(tmp_path / "x.csv", data)) == "tar"
    # A tar whose first member is a PDF is a tar (the PDF marker is within the first KiB).
    pdf_first = _tar({"scan.pdf": b"%PDF-1.7\n" + bytes(100)})
    assert sniff_type(_write(tmp_path / "scans", pdf_first)) == "tar"
    # An old-style (v7) header: no ustar magic, only a checksum to go by.
    header = bytearray(_tar({"old.txt": b"hello\n"})[:512])
    header[257:265] = bytes(8)
    header[148:156] = b" " * 8
    header[148:156] = b"%06o\x00 " % sum(header)
    assert tarfile.TarInfo.frombuf(bytes(header), "utf-8", "strict").name == "old.txt"
    assert sniff_type(_write(tmp_path / "v7", bytes(header) + b"hello\n".ljust(512, b"\0")
                             + bytes(1024))) == "tar"
    # A text file with 512 bytes and no valid checksum is not a tar.
    assert sniff_type(_write(tmp_path / "t.txt", b"nom;prenom\n" * 60)) != "tar"
    tar_gz = _tar({"a.csv": b"x"}, mode="w:gz")
    assert sniff_type(_write(tmp_path / "a.tar.gz", tar_gz)) == "gzip"
    assert sniff_type(_write(tmp_path / "a.bz2", bz2.compress(b"hello"))) == "bzip2"
    assert sniff_type(_write(tmp_path / "a.xz", lzma.compress(b"hello"))) == "xz"
    assert sniff_type(_write(tmp_path / "bzh.txt", b"BZh is not a bzip2 here\n")) == "text"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'<?xml version="1.0" encoding="UTF-8"?>\n<patients><p nom="A"/></patients>', "xml"),
        (b"\xef\xbb\xbf  \n<dossier>\n  <nom>DUPONT</nom>\n</dossier>\n", "xml"),
        (b'<!DOCTYPE note SYSTEM "note.dtd">\n<note>x</note>', "xml"),
        (b"<ns:root xmlns:ns='urn:x'/>", "xml"),
        ('<?xml version="1.0" encoding="ISO-8859-1"?><a>Hélène</a>'.encode("latin-1"), "xml"),
        (b"<!DOCTYPE html>\n<html><body>x</body></html>", "html"),
        (b"<!doctype HTML PUBLIC>\n<html>", "html"),
        (b"<html lang='fr'><head><title>x</title></head></html>", "html"),
        (b'<?xml version="1.0"?>\n<!-- xhtml -->\n<html xmlns="http://www.w3.org/1999/xhtml">',
         "html"),
        (b"< not a tag\n", "text"),
        (b"<3 merci pour tout\n", "text"),
    ],
)
def test_xml_and_html(tmp_path: Path, data: bytes, expected: str) -> None:
    assert sniff_type(_write(tmp_path / "f.dat", data)) == expected


def test_opendocument_whose_directory_offsets_lie_is_still_odt(tmp_path: Path) -> None:
    """OCRmyPDF's ``tagged.odt``: the central directory points past the file, so the
    ``mimetype`` member cannot be opened through it; the first local header still says odt."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        zf.writestr("content.xml", "<office:document-content/>", zipfile.ZIP_DEFLATED)
    data = bytearray(buf.getvalue())
    central = data.find(b"PK\x01\x02")
    data[central + 42 : central + 46] = (0x7FFFFFF0).to_bytes(4, "little")  # mimetype's offset
    path = _write(tmp_path / "tagged.odt", bytes(data))
    with zipfile.ZipFile(path) as zf:
        assert "mimetype" in zf.namelist()
        with pytest.raises((OSError, zipfile.BadZipFile)):
            zf.open("mimetype").read()
    assert sniff_type(path) == "odt"


def test_smime_entity_saved_alone_is_mail(tmp_path: Path) -> None:
    """openssl smime output: MIME headers only, no From/To/Subject."""
    body = ("MIME-Version: 1.0\nContent-Disposition: attachment; filename=\"smime.p7m\"\n"
            "Content-Type: application/pkcs7-mime; smime-type=signed-data; name=\"smime.p7m\"\n"
            "Content-Transfer-Encoding: base64\n\n"
            "MIAGCSqGSIb3DQEHAqCAMIACAQExDzANBglghkgBZQMEAgEF\n")
    assert sniff_type(_write(tmp_path / "signed.txt", body.encode())) == "eml"
    prose = "Content-Type: a note about content types\n\nNothing else.\n"
    assert sniff_type(_write(tmp_path / "note.txt", prose.encode())) == "text"


def test_signed_pdf_is_cms_not_pdf(tmp_path: Path) -> None:
    """A CMS signedData wrapping a PDF (CR.pdf.p7m): %PDF- appears in the first KiB."""
    from asn1crypto import cms

    signed = cms.SignedData({
        "version": "v1", "digest_algorithms": [],
        "encap_content_info": {"content_type": "data", "content": b"%PDF-1.7\n%\xe2\xe3\n"},
        "signer_infos": []})
    data = cms.ContentInfo({"content_type": "signed_data", "content": signed}).dump()
    assert b"%PDF-" in data[:1024]
    assert sniff_type(_write(tmp_path / "CR.pdf.p7m", data)) == "p7m"
