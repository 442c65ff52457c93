import codecs

import pytest

from breachscope.extract.encoding import decode_bytes, looks_like_text

FRENCH = "Nom;Prénom;Adresse\nLEFÈVRE;Hélène;12 rue de l'Église, cœur à 15 €\nGARÇON;Zoé;\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (codecs.BOM_UTF8 + FRENCH.encode("utf-8"), "utf-8-sig"),
        (codecs.BOM_UTF16_LE + FRENCH.encode("utf-16-le"), "utf-16-le"),
        (codecs.BOM_UTF16_BE + FRENCH.encode("utf-16-be"), "utf-16-be"),
        (codecs.BOM_UTF32_LE + FRENCH.encode("utf-32-le"), "utf-32-le"),
        (FRENCH.encode("utf-16-le"), "utf-16-le"),
        (FRENCH.encode("utf-16-be"), "utf-16-be"),
        (FRENCH.encode("utf-8"), "utf-8"),
        (FRENCH.encode("cp1252"), "cp1252"),
    ],
)
def test_decode_bytes_finds_the_encoding(data: bytes, encoding: str) -> None:
    text, found = decode_bytes(data)
    assert found == encoding
    assert text == FRENCH  # no BOM left in the text


def test_cp1252_french_letters() -> None:
    text, encoding = decode_bytes("é è ç œ € à ù ê ï Œ".encode("cp1252"))
    assert encoding == "cp1252"
    assert text == "é è ç œ € à ù ê ï Œ"


def test_short_cp1252_word() -> None:
    assert decode_bytes("Leçon".encode("cp1252")) == ("Leçon", "cp1252")


def test_dos_code_page_850() -> None:
    text = ("Dossier patient: Mme Lefèvre, née le 12/03/1950, hospitalisée; "
            "prise en charge à domicile")
    assert decode_bytes(text.encode("cp850")) == (text, "cp850")


def test_partial_head_cut_inside_a_character() -> None:
    data = "Hélène".encode()[:-1] + "é".encode()[:1]  # cut in the middle of the last é
    text, encoding = decode_bytes(data, partial=True)
    assert encoding == "utf-8"
    assert text == "Hélèn"


def test_empty() -> None:
    assert decode_bytes(b"") == ("", "utf-8")


def test_looks_like_text() -> None:
    assert looks_like_text(FRENCH.encode("utf-8"))
    assert looks_like_text(FRENCH.encode("cp1252"))
    assert looks_like_text(FRENCH.encode("utf-16"))
    assert not looks_like_text(bytes(range(256)) * 16)
    assert not looks_like_text(b"\x00\x01\x02binary\x00header")
    assert not looks_like_text(b"")
