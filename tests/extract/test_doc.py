"""DOC (Word 97-2003) extraction through antiword."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from samples.office import DOC_SAMPLE, NIR, make_doc

from breachscope.extract import doc
from breachscope.extract.doc import partition_doc
from breachscope.extract.units import ExtractionError
from breachscope.ingest.sniff import sniff_type

# antiword comes from scripts/setup.sh (Debian): without it these tests must fail, not skip.


def test_sample_lines(tmp_path: Path) -> None:
    path = tmp_path / "compte-rendu.doc"
    make_doc(path)
    assert sniff_type(path) == "doc"
    (unit,) = list(partition_doc(path))
    lines = unit.text.split("\n")
    expected = DOC_SAMPLE.with_name("consultation.txt").read_text(encoding="utf-8").split("\n")
    # Line N is paragraph N of the document (the source text's line N).
    assert lines[4] == expected[4] == "Patiente : Jeanne DUPONT, née le 12/03/1954"
    assert lines[5] == f"NIR : {NIR}"
    assert lines[6] == "Tél. : 06 12 34 56 78"
    assert unit.first_line == 1


@pytest.mark.parametrize("damage", ["truncated", "random", "zip"])
def test_damaged_doc_fails_with_a_reason(tmp_path: Path, damage: str) -> None:
    data = DOC_SAMPLE.read_bytes()
    if damage == "truncated":
        data = data[: len(data) // 2]
    elif damage == "random":
        rng = random.Random(7)
        data = data[:8] + bytes(rng.randrange(256) for _ in range(8192))
    else:
        data = b"PK\x03\x04" + b"\x00" * 200
    path = tmp_path / "abime.doc"
    path.write_bytes(data)
    with pytest.raises(ExtractionError) as info:
        list(partition_doc(path))
    assert str(info.value).startswith("doc not read"), str(info.value)
    assert "DUPONT" not in str(info.value) and "abime" not in str(info.value)


def test_missing_antiword_is_a_reason(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(doc, "antiword", lambda: None)
    with pytest.raises(ExtractionError, match="antiword is not installed"):
        list(partition_doc(DOC_SAMPLE))


def test_short_document_read_by_catdoc(tmp_path: Path) -> None:
    """A short letter: its WordDocument stream is under 4096 bytes, antiword refuses it,
    catdoc reads it."""
    from samples.office_more import make_short_doc

    path = tmp_path / "courrier.doc"
    make_short_doc(path)
    assert sniff_type(path) == "doc"
    assert doc._reason("antiword", 1, b"I'm afraid the text stream of this file is too small"
                       ) == "doc not read: text stream too small for antiword"
    (unit,) = list(partition_doc(path))
    assert unit.text.split("\n") == [
        "Centre hospitalier - Service de cardiologie",
        "Patiente : DUPONT Jeanne, née le 12/03/1954",
        f"NIR : {NIR}",
        "Tél. : 06 12 34 56 78",
    ]


def test_short_document_without_catdoc_keeps_antiwords_reason(tmp_path: Path,
                                                               monkeypatch) -> None:
    from samples.office_more import make_short_doc

    path = tmp_path / "courrier.doc"
    make_short_doc(path)
    monkeypatch.setattr(doc, "catdoc", lambda: None)
    with pytest.raises(ExtractionError, match="text stream too small for antiword"):
        list(partition_doc(path))


def test_short_encrypted_document_is_encrypted(tmp_path: Path) -> None:
    import struct

    from samples.office_more import compound_file, word97_document

    from breachscope.extract.units import EncryptedContent

    streams = word97_document(["Patiente : DUPONT Jeanne"])
    word = bytearray(streams["WordDocument"])
    struct.pack_into("<H", word, 10, 0x1300)  # fEncrypted
    path = tmp_path / "secret.doc"
    path.write_bytes(compound_file({**streams, "WordDocument": bytes(word)}))
    with pytest.raises(EncryptedContent, match="doc encrypted"):
        list(partition_doc(path))


def test_catdoc_is_not_run_on_a_file_that_is_not_ole(tmp_path: Path, monkeypatch) -> None:
    """catdoc prints a non-OLE file as text: after antiword's refusal, such a file fails."""
    path = tmp_path / "faux.doc"
    path.write_bytes(b"Jeanne DUPONT 254037512345655\n" * 10)
    monkeypatch.setattr(doc, "_reason", lambda *a: "doc not read: text stream too small "
                        "for antiword")
    with pytest.raises(ExtractionError, match="too small"):
        list(partition_doc(path))


def test_encrypted_document_with_passwords_that_do_not_open_it(tmp_path: Path) -> None:
    """The scan's passwords are tried (msoffcrypto-tool); none opens it: still encrypted."""
    import struct

    from samples.office_more import compound_file, word97_document

    from breachscope.extract.passwords import using_passwords
    from breachscope.extract.units import EncryptedContent

    streams = word97_document(["Patiente : DUPONT Jeanne"])
    word = bytearray(streams["WordDocument"])
    struct.pack_into("<H", word, 10, 0x1300)  # fEncrypted, without a real encryption header
    path = tmp_path / "secret.doc"
    path.write_bytes(compound_file({**streams, "WordDocument": bytes(word)}))
    with using_passwords([b"secret"]), pytest.raises(EncryptedContent) as info:
        list(partition_doc(path))
    assert str(info.value).startswith("doc encrypted (password protected);")
    assert "secret" not in str(info.value).split(";", 1)[1]


def test_rc4_encrypted_document_opened_with_a_known_password(tmp_path: Path) -> None:
    from samples.office_more import OFFICE_PASSWORD, rc4_encrypted_doc

    from breachscope.extract.passwords import using_passwords
    from breachscope.extract.units import EncryptedContent

    path = tmp_path / "protege.doc"
    path.write_bytes(rc4_encrypted_doc(["Patiente : DUPONT Jeanne", f"NIR : {NIR}"],
                                       OFFICE_PASSWORD))
    assert sniff_type(path) == "doc"
    with pytest.raises(EncryptedContent, match=r"^doc encrypted \(password protected\)$"):
        list(partition_doc(path))
    with using_passwords([b"faux"]), pytest.raises(EncryptedContent, match="no known"):
        list(partition_doc(path))
    with using_passwords([b"faux", OFFICE_PASSWORD.encode()]):
        (unit,) = list(partition_doc(path))
    assert unit.text.split("\n") == ["Patiente : DUPONT Jeanne", f"NIR : {NIR}"]


@pytest.mark.parametrize("prints", [True, False])
def test_time_limit(tmp_path: Path, monkeypatch, prints: bool) -> None:
    """Text given before the limit is kept (partial); no text: failed."""
    from breachscope.extract.partial import PartialContent

    slow = tmp_path / "antiword-lent"
    slow.write_text("#!/bin/sh\n" + ("printf '\\nNIR 254037512345655\\n'\n" if prints else "")
                    + "exec sleep 60\n")
    slow.chmod(0o755)
    monkeypatch.setattr(doc, "antiword", lambda: str(slow))
    monkeypatch.setattr(doc, "TIMEOUT", 1)
    units = []
    with pytest.raises(ExtractionError) as info:
        for unit in partition_doc(DOC_SAMPLE):
            units.append(unit)
    if prints:
        assert isinstance(info.value, PartialContent)
        assert str(info.value) == "doc text cut: antiword timed out after 1 s"
        assert units[0].text == "NIR 254037512345655"
    else:
        assert str(info.value) == "doc not read: antiword timed out after 1 s"
        assert units == []


def test_no_text_written_to_the_temporary_folder(tmp_path: Path, monkeypatch) -> None:
    """antiword's and catdoc's output come through a pipe: nothing appears in TMPDIR (the
    case's work area) while a document is read, not even for a moment."""
    from samples.office_more import make_short_doc

    watched = tmp_path / "tmp"
    watched.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(watched))
    short = tmp_path / "courrier.doc"
    make_short_doc(short)
    seen: set[str] = set()
    for path in (DOC_SAMPLE, short):
        for _unit in partition_doc(path):
            seen.update(os.listdir(watched))
    assert seen == set()
