"""Mail extraction: .eml, .mbox and Outlook .msg → body text, header records, attachments."""

from __future__ import annotations

import csv
import struct
from email.message import EmailMessage
from pathlib import Path

import olefile
import pytest
from complexity import assert_scales
from samples import mail as samples

from breachscope.detect.dispatch import detect_units
from breachscope.extract.dispatch import partition
from breachscope.extract.mail import MAX_MESSAGE_BYTES, sanitize_filename
from breachscope.extract.units import (
    EmbeddedFile,
    ExtractionError,
    RecordUnit,
    TextUnit,
)
from breachscope.ingest.sniff import sniff_type

NIR, NIR2, PHONE = samples.NIR, samples.NIR2, samples.PHONE


def units_of(path: Path, file_type: str | None = None) -> list:
    return list(partition(path, file_type or sniff_type(path)))


def embedded(units: list) -> dict[str, bytes]:
    return {u.name: b"".join(u.chunks()) for u in units if isinstance(u, EmbeddedFile)}


def findings(units: list) -> set[tuple[str, str, str]]:
    found = detect_units([u for u in units if not isinstance(u, EmbeddedFile)])
    return {(f.entity, f.value, f.location) for f in found.findings}


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# ---------------------------------------------------------------- eml


def test_eml_body_headers_and_attachments(tmp_path):
    path = tmp_path / "msg.eml"
    samples.make_eml(path)
    assert sniff_type(path) == "eml"
    units = units_of(path)
    got = findings(units)
    assert ("PHONE", PHONE, "body, line 3") in got
    assert ("EMAIL", "marie.dupont@orange.fr", "header From, address 1") in got
    assert ("PERSON", "Marie Dupont", "header From, address 1") in got
    assert ("EMAIL", "secretariat@ch-exemple.fr", "header To, address 1") in got
    records = [u for u in units if isinstance(u, RecordUnit)]
    assert [r.name for r in records] == ["header From", "header To"]
    assert all(r.role_hint == "UNKNOWN" for r in records)
    subject = [u for u in units if isinstance(u, TextUnit) and u.name == "header Subject"]
    assert subject[0].text == "Liste des patients"
    files = embedded(units)
    assert set(files) == {"liste.csv", "fwd.eml"}
    assert NIR.encode() in files["liste.csv"]
    # The attached message is a message in turn, holding its own attachment.
    inner = write(tmp_path, "fwd.eml", files["fwd.eml"])
    assert sniff_type(inner) == "eml"
    inner_units = units_of(inner)
    assert NIR2.encode() in embedded(inner_units)["liste2.csv"]
    assert ("EMAIL", "p.martin@free.fr", "header From, address 1") in findings(inner_units)


def test_eml_base64_quoted_printable_html_and_zip(tmp_path):
    body = "Patiente née le 12/03/1954, tél 06 12 34 56 78, é à ü\n" * 2
    msg = samples.message("qp", body, cte="quoted-printable",
                          attachments={"archive.zip": samples.zipped({"l.csv": samples.CSV})})
    units = units_of(write(tmp_path, "qp.eml", msg.as_bytes()), "eml")
    assert ("PHONE", PHONE, "body, line 1") in findings(units)
    body_unit = next(u for u in units if isinstance(u, TextUnit) and u.name == "body")
    assert "é à ü" in body_unit.text
    assert embedded(units)["archive.zip"].startswith(b"PK")

    b64 = samples.message("b64", body, cte="base64")
    got = findings(units_of(write(tmp_path, "b64.eml", b64.as_bytes()), "eml"))
    assert ("PHONE", PHONE, "body, line 2") in got

    html = samples.message(
        "html", "version texte sans numéro\n",
        html="<html><head><style>p{}</style><script>var t='06 99 99 99 99'</script></head>"
             "<body>\n<p>Appeler le</p>\n<p>06 12 34 56 78</p></body></html>")
    units = units_of(write(tmp_path, "alt.eml", html.as_bytes()), "eml")
    bodies = [u for u in units if isinstance(u, TextUnit) and u.name.startswith("body")]
    assert len(bodies) == 1 and "sans" in bodies[0].text  # one alternative read, not both

    only_html = EmailMessage()
    only_html["From"] = "x@y.fr"
    only_html["To"] = "z@y.fr"
    only_html["Subject"] = "h"
    only_html.set_content("<p>a</p>\n<script>06 99 99 99 99</script>\n<p>06 12 34 56 78</p>",
                          subtype="html")
    units = units_of(write(tmp_path, "h.eml", only_html.as_bytes()), "eml")
    got = findings(units)
    assert ("PHONE", PHONE, "body, line 3") in got
    assert not any(v == "+33699999999" for _, v, _ in got)


def test_several_body_parts_and_inline_image(tmp_path):
    msg = EmailMessage()
    msg["From"] = '"jean.durand@ch.fr" <jean.durand@ch.fr>, Dr. Anne Petit <a.petit@ch.fr>'
    msg["To"] = "undisclosed-recipients:;"
    msg["Cc"] = "Paul <p@ch.fr>, <q@ch.fr>"
    msg["Subject"] = "parts"
    msg.make_mixed()
    first = EmailMessage()
    first.set_content("premier\n")
    second = EmailMessage()
    second.set_content("ligne\n06 12 34 56 78\n")
    image = EmailMessage()
    image.set_content(b"\x89PNG\r\n\x1a\nfake", maintype="image", subtype="png",
                      disposition="inline")
    for part in (first, second, image):
        msg.attach(part)
    units = units_of(write(tmp_path, "parts.eml", msg.as_bytes()), "eml")
    assert ("PHONE", PHONE, "body, part 2, line 2") in findings(units)
    assert list(embedded(units)) == ["part-4.png"]
    records = [(u.name, [(f.entity, f.value, f.location) for f in u.fields])
               for u in units if isinstance(u, RecordUnit)]
    assert records == [
        ("header From", [("EMAIL", "jean.durand@ch.fr", "address 1")]),
        ("header From", [("PERSON", "Dr. Anne Petit", "address 2"),
                         ("EMAIL", "a.petit@ch.fr", "address 2")]),
        ("header Cc", [("PERSON", "Paul", "address 1"), ("EMAIL", "p@ch.fr", "address 1")]),
        ("header Cc", [("EMAIL", "q@ch.fr", "address 2")]),
    ]


def test_attachment_names_are_sanitized_and_unique(tmp_path):
    assert sanitize_filename("../../etc/passwd", "x") == "passwd"
    assert sanitize_filename("C:\\Users\\a\\liste.csv", "x") == "liste.csv"
    assert sanitize_filename("..", "part-2") == "part-2"
    assert sanitize_filename("a\x00b:c.csv", "x") == "a_b_c.csv"
    assert sanitize_filename(None, "part-3.bin") == "part-3.bin"
    msg = samples.message("dup", "x\n")
    for name in ("liste.csv", "liste.csv", "../liste.csv", "/"):
        msg.add_attachment(b"a;b\n1;2\n", maintype="application", subtype="octet-stream",
                           filename=name)
    names = list(embedded(units_of(write(tmp_path, "dup.eml", msg.as_bytes()), "eml")))
    assert names == ["liste.csv", "liste_2.csv", "liste_3.csv", "part-6.bin"]


def test_malformed_messages_never_crash(tmp_path):
    broken = (b"From: =?x-unknown?q?Jean?= <jean@ch.fr\nTo: ,,,<<>>@@\nSubject: =?utf-8?b?###?=\n"
              b"Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\n"
              b"Content-Type: text/plain; charset=x-no-such-charset\n"
              b"Content-Transfer-Encoding: base64\n\nnot base64 at all 06 12 34 56 78 !!\n"
              b"--b\nContent-Type: text/plain; charset=utf-8\n\n\xff\xfe t\xe9l 06 12 34 56 78\n"
              b"--b\nContent-Type: application/pdf; name=\"a.pdf\"\n"
              b"Content-Transfer-Encoding: base64\n\nJVBERi0xLj")  # cut: no closing boundary
    units = units_of(write(tmp_path, "bad.eml", broken), "eml")
    assert any(u.name.startswith("body") for u in units if isinstance(u, TextUnit))
    assert "a.pdf" in embedded(units)
    assert any(e == "PHONE" for e, _, _ in findings(units))
    # Random bytes under a mail header: read as far as it goes, never an exception.
    noise = bytes(range(256)) * 40
    units_of(write(tmp_path, "noise.eml", b"From: a@b.fr\nTo: c@d.fr\nSubject: x\n\n" + noise),
             "eml")
    units_of(write(tmp_path, "deep.eml", b"Subject: x\nContent-Type: multipart/mixed; "
                   b"boundary=a\n\n" + b"--a\nContent-Type: multipart/mixed; boundary=a\n\n"
                   * 200), "eml")
    nested = b"Subject: x\nContent-Type: multipart/mixed; boundary=b0\n\n" + b"".join(
        b"--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n" % (i, i + 1)
        for i in range(3000))
    with pytest.raises(ExtractionError, match="nested too deeply"):
        units_of(write(tmp_path, "nested.eml", nested), "eml")


def test_oversized_message_is_read_as_text(tmp_path, monkeypatch):
    import breachscope.extract.mail as mail

    monkeypatch.setattr(mail, "MAX_MESSAGE_BYTES", 1000)
    msg = samples.message("big", "x\n" * 600 + "tél 06 12 34 56 78\n")
    units = units_of(write(tmp_path, "big.eml", msg.as_bytes()), "eml")
    assert any(e == "PHONE" for e, _, _ in findings(units))
    assert not embedded(units)
    assert MAX_MESSAGE_BYTES == 100 * 1024 * 1024


# ---------------------------------------------------------------- mbox


def test_mbox_messages_streamed_with_prefixes(tmp_path):
    path = tmp_path / "inbox.mbox"
    samples.make_mbox(path)
    assert sniff_type(path) == "mbox"
    units = units_of(path)
    got = findings(units)
    assert ("PHONE", PHONE, "message 2, body, line 1") in got
    assert ("EMAIL", "jean.durand@ch-exemple.fr", "message 2, header From, address 1") in got
    assert ("PERSON", "Jean Durand", "message 2, header From, address 1") in got
    body2 = next(u for u in units if getattr(u, "name", "") == "message 2, body")
    assert body2.text.startswith("From the start")  # mboxrd quoting undone
    files = embedded(units)
    assert list(files) == ["message-3/liste.csv"]
    assert NIR.encode() in files["message-3/liste.csv"]


def test_mbox_oversized_message_read_as_text(tmp_path, monkeypatch):
    import breachscope.extract.mail as mail

    monkeypatch.setattr(mail, "MAX_MESSAGE_BYTES", 2000)
    msgs = samples.sample_mbox_messages()
    msgs.insert(1, samples.message("big", "y\n" * 1500 + "tél 06 12 34 56 78\n"))
    units = units_of(write(tmp_path, "m.mbox", samples.mbox_bytes(msgs)), "mbox")
    got = findings(units)
    assert any(e == "PHONE" and loc.startswith("message 2, line ") for e, _, loc in got)
    assert ("PHONE", PHONE, "message 3, body, line 1") in got
    assert list(embedded(units)) == ["message-4/liste.csv"]


# ---------------------------------------------------------------- msg


def test_msg_body_correspondents_and_attachment(tmp_path):
    path = tmp_path / "msg.msg"
    samples.make_msg(path)
    assert sniff_type(path) == "msg"
    units = units_of(path)
    got = findings(units)
    assert ("PHONE", PHONE, "body, line 2") in got
    assert ("PERSON", "Marie Dupont", "header From, address 1") in got
    assert ("EMAIL", "marie.dupont@orange.fr", "header From, address 1") in got
    assert ("PERSON", "Secrétariat Cardio", "header To, address 1") in got
    assert ("EMAIL", "p.martin@free.fr", "header Cc, address 1") in got
    assert not any(e == "PERSON" and v == "p.martin@free.fr" for e, v, _ in got)
    assert NIR.encode() in embedded(units)["liste.csv"]


def test_msg_html_body(tmp_path):
    path = write(tmp_path, "h.msg", samples.msg_bytes(html=True, attachments={}))
    units = units_of(path, "msg")
    bodies = [u for u in units if isinstance(u, TextUnit) and u.name == "body"]
    assert bodies and "<" not in bodies[0].text
    assert any(e == "PHONE" for e, _, _ in findings(units))


def _ole_tree(data: bytes) -> dict:
    """A compound file as nested dicts: storage name → dict, stream name → bytes."""
    import io

    tree: dict = {}
    with olefile.OleFileIO(io.BytesIO(data)) as ole:
        for entry in ole.listdir(streams=True, storages=False):
            node = tree
            for part in entry[:-1]:
                node = node.setdefault(part, {})
            node[entry[-1]] = ole.openstream(entry).read()
    return tree


def msg_with_embedded_message(inner: bytes) -> bytes:
    """An outer .msg whose attachment is an attached Outlook message (attach method 5),
    written with msgforge's compound-file writer (msgforge itself only attaches files)."""
    from msgforge._builder import _OleWriter

    outer = _ole_tree(samples.msg_bytes(attachments={"placeholder.bin": b"x"}))
    inner_tree = _ole_tree(inner)
    inner_tree.pop("__nameid_version1.0", None)
    props = inner_tree["__properties_version1.0"]
    inner_tree["__properties_version1.0"] = props[:24] + props[32:]  # embedded header
    attach = outer["__attach_version1.0_#00000000"]
    del attach["__substg1.0_37010102"]
    entries = bytearray(attach["__properties_version1.0"])
    for offset in range(8, len(entries), 16):
        if struct.unpack_from("<H", entries, offset + 2)[0] == 0x3705:
            struct.pack_into("<I", entries, offset + 8, 5)  # ATTACH_EMBEDDED_MSG
    attach["__properties_version1.0"] = bytes(entries)
    attach["__substg1.0_3701000D"] = inner_tree

    writer = _OleWriter()

    def add(parent, tree: dict) -> None:
        for name, value in tree.items():
            if isinstance(value, dict):
                add(writer.add_storage(parent, name), value)
            else:
                writer.add_stream(parent, name, value)

    add(writer.root, outer)
    return writer.build()


def test_msg_embedded_message_becomes_nested_eml(tmp_path):
    inner = samples.msg_bytes(attachments={"liste2.csv": samples.CSV2})
    path = write(tmp_path, "outer.msg", msg_with_embedded_message(inner))
    units = units_of(path, "msg")
    files = embedded(units)
    assert list(files) == ["Liste des patients.eml"]
    nested = write(tmp_path, "nested.eml", files["Liste des patients.eml"])
    assert sniff_type(nested) == "eml"
    nested_units = units_of(nested)
    assert NIR2.encode() in embedded(nested_units)["liste2.csv"]
    got = findings(nested_units)
    assert ("PHONE", PHONE, "body, line 2") in got
    assert ("EMAIL", "secretariat@ch-exemple.fr", "header To, address 1") in got


def test_damaged_msg_fails_with_a_reason(tmp_path):
    data = samples.msg_bytes()
    for name, payload in {
        "cut.msg": data[: len(data) // 2],
        "noise.msg": data[:512] + bytes(range(256)) * 20,
        "plain.msg": b"not an ole file",
    }.items():
        path = write(tmp_path, name, payload)
        with pytest.raises(ExtractionError) as exc:
            units_of(path, "msg")
        assert "DUPONT" not in str(exc.value)


def test_damaged_msg_noise_is_rejected_in_linear_time(tmp_path):
    """Four times the noise after a real header takes at most ~4 times as long to reject (a
    complexity check, not a wall-clock limit: see tests/complexity.py)."""
    data = samples.msg_bytes()
    small = write(tmp_path, "noise.msg", data[:512] + bytes(range(256)) * 200)
    large = write(tmp_path, "noise4.msg", data[:512] + bytes(range(256)) * 800)

    def reject(path: Path) -> None:
        with pytest.raises(ExtractionError):
            units_of(path, "msg")

    assert_scales(lambda: reject(small), lambda: reject(large), what="damaged msg")


# ---------------------------------------------------------------- end to end


def _scan(cli, tmp_path: Path, dump: Path) -> tuple[list[dict], dict[str, dict]]:
    case = tmp_path / "case"
    assert cli("scan", dump, "--case", case).exit_code == 0
    out = tmp_path / "findings.csv"
    assert cli("export", "--case", case, "--what", "findings", "--format", "csv",
               "-o", out).exit_code == 0
    files_out = tmp_path / "files.csv"
    assert cli("export", "--case", case, "--what", "files", "--format", "csv",
               "-o", files_out).exit_code == 0
    files = {r["file"]: r for r in csv.DictReader(files_out.open(encoding="utf-8"))}
    return list(csv.DictReader(out.open(encoding="utf-8"))), files


@pytest.mark.slow
def test_cli_scans_mail_and_attachments(tmp_path, cli):
    dump = tmp_path / "dump"
    (dump / "mail").mkdir(parents=True)
    samples.make_eml(dump / "mail" / "msg_0001.eml")
    samples.make_mbox(dump / "mail" / "inbox.mbox")
    samples.make_msg(dump / "mail" / "outlook.msg")
    rows, files = _scan(cli, tmp_path, dump)
    got = {(r["file"], r["entity"], r["value"], r["location"]) for r in rows}
    expected = {
        ("mail/msg_0001.eml", "PHONE", PHONE, "body, line 3"),
        ("mail/msg_0001.eml", "EMAIL", "marie.dupont@orange.fr", "header From, address 1"),
        ("mail/msg_0001.eml", "EMAIL", "secretariat@ch-exemple.fr", "header To, address 1"),
        ("mail/msg_0001.eml!/liste.csv", "NIR", NIR, "row 2, column N° Sécu"),
        ("mail/msg_0001.eml!/fwd.eml", "EMAIL", "p.martin@free.fr", "header From, address 1"),
        ("mail/msg_0001.eml!/fwd.eml!/liste2.csv", "NIR", NIR2, "row 2, column NIR"),
        ("mail/inbox.mbox", "PHONE", PHONE, "message 2, body, line 1"),
        ("mail/inbox.mbox", "EMAIL", "jean.durand@ch-exemple.fr",
         "message 2, header From, address 1"),
        ("mail/inbox.mbox!/message-3/liste.csv", "NIR", NIR, "row 2, column N° Sécu"),
        ("mail/outlook.msg", "PHONE", PHONE, "body, line 2"),
        ("mail/outlook.msg", "EMAIL", "marie.dupont@orange.fr", "header From, address 1"),
        ("mail/outlook.msg!/liste.csv", "NIR", NIR, "row 2, column N° Sécu"),
    }
    assert expected <= got, sorted(expected - got)
    for name in ("mail/msg_0001.eml", "mail/msg_0001.eml!/liste.csv",
                 "mail/msg_0001.eml!/fwd.eml", "mail/msg_0001.eml!/fwd.eml!/liste2.csv",
                 "mail/inbox.mbox", "mail/inbox.mbox!/message-3/liste.csv",
                 "mail/outlook.msg", "mail/outlook.msg!/liste.csv"):
        assert files[name]["status"] == "scanned", (name, files[name])
    assert files["mail/msg_0001.eml"]["type"] == "eml"
    assert files["mail/inbox.mbox"]["type"] == "mbox"
    assert files["mail/outlook.msg"]["type"] == "msg"


@pytest.mark.slow
def test_cli_zip_attachment_and_damaged_msg(tmp_path, cli):
    dump = tmp_path / "dump"
    dump.mkdir()
    msg = samples.message("zip", "voir pièce jointe\n",
                          attachments={"export.zip": samples.zipped({"liste.csv": samples.CSV})})
    (dump / "z.eml").write_bytes(msg.as_bytes())
    data = samples.msg_bytes()
    (dump / "bad.msg").write_bytes(data[: len(data) // 2])
    rows, files = _scan(cli, tmp_path, dump)
    assert ("z.eml!/export.zip!/liste.csv", "NIR", NIR) in {
        (r["file"], r["entity"], r["value"]) for r in rows}
    assert files["bad.msg"]["status"] == "failed" and files["bad.msg"]["reason"]


# ---------------------------------------------------------------- UTF-16 mail, Outlook items


@pytest.mark.parametrize(("codec", "bom"), [
    ("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"), ("utf-16-le", b""),
    ("utf-8", b"\xef\xbb\xbf")])
def test_utf16_and_bom_eml_is_read(tmp_path, codec, bom):
    msg = samples.message("Résultats", "Patiente née le 12/03/1954, tél 06 12 34 56 78, é à ü\n",
                          attachments={"liste.csv": samples.CSV})
    text = msg.as_bytes().decode("utf-8")
    path = write(tmp_path, "u.eml", bom + text.encode(codec))
    assert sniff_type(path) == "eml"
    units = units_of(path)
    got = findings(units)
    assert ("PHONE", PHONE, "body, line 1") in got
    assert ("EMAIL", "marie.dupont@orange.fr", "header From, address 1") in got
    body = next(u for u in units if isinstance(u, TextUnit) and u.name == "body")
    assert "é à ü" in body.text
    assert NIR.encode() in embedded(units)["liste.csv"]


def test_utf16_eml_with_8bit_body_reads_its_characters(tmp_path):
    raw = ("From: Marie Dupont <marie.dupont@orange.fr>\r\nTo: a@ch.fr\r\nSubject: essai\r\n"
           "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
           "Content-Transfer-Encoding: 8bit\r\n\r\nMme Hélène Noël, tél 06 12 34 56 78\r\n")
    path = write(tmp_path, "u16.eml", b"\xff\xfe" + raw.encode("utf-16-le"))
    units = units_of(path)
    body = next(u for u in units if isinstance(u, TextUnit) and u.name == "body")
    assert "Hélène Noël" in body.text
    assert ("PHONE", PHONE, "body, line 1") in findings(units)


def test_contact_attached_to_a_mail_keeps_its_fields(tmp_path):
    from samples.outlook import outlook_item

    contact = outlook_item("IPM.Contact", subject="Marie DUPONT", props={
        0x3001: "Marie DUPONT", 0x3A1C: "06 12 34 56 78", 0x3A07: "2 54 03 75 123 456 55"})
    path = write(tmp_path, "outer.msg", msg_with_embedded_message(contact))
    files = embedded(units_of(path, "msg"))
    nested = write(tmp_path, "nested.eml", files["Marie DUPONT.eml"])
    units = units_of(nested)
    # The contact has no body of its own: its fields are the message's only text part.
    details = next(u for u in units if isinstance(u, TextUnit) and u.name == "body")
    assert details.text.splitlines() == [
        "Full name: Marie DUPONT", "Government ID: 2 54 03 75 123 456 55",
        "Mobile phone: 06 12 34 56 78"]
    got = findings(units)
    assert ("PHONE", PHONE, "body, line 3") in got and ("NIR", NIR, "body, line 2") in got
