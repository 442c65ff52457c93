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


# --------------------------------------------------------------------------- French exports

UPPER_NAMES = ["STÉPHANIE", "HÉLÈNE", "FRANÇOIS", "JOËL", "RÉGIS", "GÉRARD", "ANDRÉ",
               "CÉLINE", "JÉRÔME", "ÈVE", "AGNÈS"]
SURNAMES = ["ŒUVRARD", "LEFÈVRE", "BÉRANGER", "FAÇONNET", "DURAND", "MÉNARD", "NOËL"]


def _export(rows: int = 120) -> str:
    lines = ["NOM;PRENOM;DATE_NAISSANCE"]
    for i in range(rows):
        lines.append(f"{SURNAMES[i % len(SURNAMES)]};{UPPER_NAMES[i % len(UPPER_NAMES)]};"
                     f"{i % 28 + 1:02d}/{i % 12 + 1:02d}/19{40 + i % 60}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("encoding", ["cp1252", "iso8859_15"])
def test_upper_case_accented_names_in_windows_exports(encoding: str) -> None:
    text = _export()
    decoded, found = decode_bytes(text.encode(encoding))
    assert decoded == text
    assert "…" not in decoded and "ST…PHANIE" not in decoded
    assert found == encoding


def test_latin1_export_reads_as_cp1252() -> None:
    text = _export().replace("Œ", "OE")  # latin-1 has no Œ
    decoded, found = decode_bytes(text.encode("latin-1"))
    assert (decoded, found) == (text, "cp1252")  # same letters


@pytest.mark.parametrize("rows", [1, 2, 5])
def test_few_upper_case_names_still_cp1252(rows: int) -> None:
    # Only É in capitals: charset-normalizer used to answer Mac Roman (ST…PHANIE).
    text = "NOM;PRENOM\n" + "".join(f"NOM{i};STÉPHANIE\n" for i in range(rows))
    assert decode_bytes(text.encode("cp1252")) == (text, "cp1252")


@pytest.mark.parametrize("bom", [b"", codecs.BOM_UTF8])
def test_upper_case_names_in_utf8(bom: bytes) -> None:
    text = _export()
    decoded, found = decode_bytes(bom + text.encode("utf-8"))
    assert decoded == text
    assert found == ("utf-8-sig" if bom else "utf-8")


def test_upper_case_names_in_utf16() -> None:
    text = _export()
    assert decode_bytes(text.encode("utf-16"))[0] == text
    assert decode_bytes(text.encode("utf-16-le")) == (text, "utf-16-le")


def test_genuine_mac_roman_is_recognised() -> None:
    text = _export() + "Hélène est allée à l’hôpital, le cœur léger.\n"
    assert decode_bytes(text.encode("mac_roman")) == (text, "mac_roman")


def test_genuine_dos_code_page() -> None:
    text = _export().replace("Œ", "OE")
    assert decode_bytes(text.encode("cp850")) == (text, "cp850")


def test_french_score_prefers_letters_where_french_puts_them() -> None:
    from breachscope.extract.encoding import french_score

    assert french_score("STÉPHANIE HÉLÈNE") > french_score("ST…PHANIE H…L»NE")
    assert french_score("Leçon") > french_score("Le‡on")
    assert french_score("ÉCOLE") > french_score("éCOLE")
    assert french_score("plain ascii") == 0


@pytest.mark.slow
def test_cp1252_export_scanned_names_right_and_each_patient_once(tmp_path) -> None:
    """Through a real scan: the same patients in a cp1252 export and a UTF-8 one are one
    person each, with their accented names."""
    from breachscope.case import Case
    from breachscope.pipeline import scan

    dump = tmp_path / "dump"
    dump.mkdir()
    # É and È only: the old charset-normalizer guess read this file as Mac Roman.
    surnames = ["BÉRANGER", "MÉNARD", "LÉGER", "DURAND", "MARTIN", "FRÉMONT", "PETIT"]
    firsts = ["STÉPHANIE", "RÉGIS", "GÉRARD", "ANDRÉ", "CÉLINE", "HÉLÈNE", "MÉLANIE"]
    people = [(surnames[i % 7] + ("" if i < 7 else f"-{chr(65 + i)}"), firsts[i * 3 % 7],
               f"{i + 1:02d}/03/19{50 + i}") for i in range(20)]
    legacy = "NOM;PRENOM;DATE_NAISSANCE;SERVICE\n" + "".join(
        f"{n};{p};{d};CARDIO\n" for n, p, d in people)
    modern = "nom,prenom,naissance\n" + "".join(f"{n},{p},{d}\n" for n, p, d in people)
    (dump / "export_gam.csv").write_bytes(legacy.encode("cp1252"))
    (dump / "liste_utf8.csv").write_bytes(modern.encode("utf-8"))
    with Case(tmp_path / "case") as case:
        case.set_linkage("exact")
        summary = scan([dump], case, workers=1)
        rows = case.db.execute("SELECT last_name, first_name FROM people").fetchall()
    assert summary.n_people == len(people)
    names = {(last.upper(), first.upper()) for last, first in rows}
    assert ("BÉRANGER", "STÉPHANIE") in names
    assert ("MARTIN", "HÉLÈNE") in names
    assert all("…" not in last + first for last, first in rows)


@pytest.mark.parametrize("delimiter", [b";", b",", b"\t"])
def test_no_break_space_trailing_a_cell_is_cp1252_not_a_dos_page(delimiter: bytes) -> None:
    # A Windows export whose only non-ASCII byte is a no-break space left at the end of a
    # cell: in cp850/cp437 the byte is "á", and the file was read as "Marieá"
    row = b"DUPONT" + delimiter + b"Marie\xa0" + delimiter + b"12\r\n"
    text, encoding = decode_bytes(b"nom" + delimiter + b"prenom\r\n" + row * 30)
    assert encoding == "cp1252"
    assert "Marie\xa0" + delimiter.decode() in text


def test_french_typography_spaces_are_cp1252() -> None:
    text, encoding = decode_bytes("Montant\xa0: 1\xa0200\xa0€ «\xa0urgent\xa0»".encode("cp1252"))
    assert encoding == "cp1252"
    assert text == "Montant\xa0: 1\xa0200\xa0€ «\xa0urgent\xa0»"
