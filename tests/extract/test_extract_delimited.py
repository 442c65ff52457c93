import codecs
from pathlib import Path

from breachscope.extract.delimited import partition_delimited, sniff_delimiter
from breachscope.extract.units import TableUnit, TextUnit


def _table(units: list) -> TableUnit:
    tables = [u for u in units if isinstance(u, TableUnit)]
    assert len(tables) == 1
    return tables[0]


def test_cp1252_semicolons_with_title_line(tmp_path: Path) -> None:
    content = (
        "Export du 12/02/2024\r\n"
        "\r\n"
        "NOM;PRÉNOM;DATE NAISSANCE;VILLE;NIR\r\n"
        "LEFÈVRE;Hélène;12/03/1950;Besançon;250037512345678\r\n"
        "GARÇON;François;01/02/1960;Cœuvres;160020212345678\r\n"
        "\r\n"
        "DUPONT; Zoé ;;Paris;\r\n"
    )
    path = tmp_path / "export.csv"
    path.write_bytes(content.encode("cp1252"))
    units = list(partition_delimited(path))

    table = _table(units)
    assert table.name == ""
    assert table.header == ["NOM", "PRÉNOM", "DATE NAISSANCE", "VILLE", "NIR"]
    assert table.rows == [
        ["LEFÈVRE", "Hélène", "12/03/1950", "Besançon", "250037512345678"],
        ["GARÇON", "François", "01/02/1960", "Cœuvres", "160020212345678"],
        ["DUPONT", "Zoé", "", "Paris", ""],
    ]
    assert table.row_numbers == [4, 5, 7]  # physical lines, title and blank lines counted
    titles = [u for u in units if isinstance(u, TextUnit)]
    assert titles and titles[0].first_line == 1
    assert titles[0].text.splitlines()[0] == "Export du 12/02/2024"


def test_utf8_bom_commas(tmp_path: Path) -> None:
    path = tmp_path / "patients.csv"
    path.write_bytes(codecs.BOM_UTF8 + "nom,prénom,tél\nÉric,Noël,0612345678\n".encode())
    table = _table(list(partition_delimited(path)))
    assert table.header == ["nom", "prénom", "tél"]  # no BOM glued to the first label
    assert table.rows == [["Éric", "Noël", "0612345678"]]
    assert table.row_numbers == [2]


def test_utf16_tabs(tmp_path: Path) -> None:
    path = tmp_path / "liste.txt"
    path.write_bytes("IPP\tNom\tUnité\n000123\tMÜLLER\tCardiologie\n000124\tRené\tPsychiatrie\n"
                     .encode("utf-16"))
    table = _table(list(partition_delimited(path)))
    assert table.header == ["IPP", "Nom", "Unité"]
    assert table.column(0) == ["000123", "000124"]  # leading zeros kept
    assert table.column(2) == ["Cardiologie", "Psychiatrie"]


def test_quoted_newlines_delimiters_and_quotes(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text(
        'nom,adresse,note\n'
        'DURAND,"3 rue des Lilas\nBât. B, 2e étage","dit ""urgent"""\n'
        'PETIT,"1 place, Nantes",ok\n',
        encoding="utf-8",
    )
    table = _table(list(partition_delimited(path)))
    assert table.rows == [
        ["DURAND", "3 rue des Lilas\nBât. B, 2e étage", 'dit "urgent"'],
        ["PETIT", "1 place, Nantes", "ok"],
    ]
    assert table.row_numbers == [2, 4]  # the first record spans lines 2-3


def test_no_header_synthesizes_columns(tmp_path: Path) -> None:
    path = tmp_path / "raw.csv"
    path.write_text("DUPONT;1985-02-01;0612345678\nMARTIN;1990-12-31;0698765432\n")
    table = _table(list(partition_delimited(path)))
    assert table.header == ["col1", "col2", "col3"]
    assert table.row_numbers == [1, 2]
    assert table.rows[1] == ["MARTIN", "1990-12-31", "0698765432"]


def test_ragged_rows_padded_and_extra_cells_kept(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("a;b;c\n1;2\n4;5;6;7\n", encoding="utf-8")
    table = _table(list(partition_delimited(path)))
    assert table.header == ["a", "b", "c", "col4"]
    assert table.rows == [["1", "2", "", ""], ["4", "5", "6", "7"]]


def test_excel_text_trick_and_duplicate_headers(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text('TEL;TEL;\n="0612345678";="0102030405";\n', encoding="utf-8")
    table = _table(list(partition_delimited(path)))
    assert table.header == ["TEL", "TEL_2"]
    assert table.rows == [["0612345678", "0102030405"]]


def test_unbalanced_quote_does_not_swallow_the_file(tmp_path: Path) -> None:
    lines = ["nom;ville"] + ['"DUPONT;Paris'] + [f"NOM{i};Lyon" for i in range(300)]
    path = tmp_path / "broken.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    table = _table(list(partition_delimited(path)))
    assert len(table.rows) == 301
    assert table.rows[-1] == ["NOM299", "Lyon"]
    assert table.row_numbers[-1] == 302


def test_sniff_delimiter() -> None:
    assert sniff_delimiter("a;b;c\n1,5;2;3\n4,5;5;6\n")[0] == ";"
    assert sniff_delimiter("a|b\n1|2\n")[0] == "|"
    assert sniff_delimiter("a\tb\n1\t2\n")[0] == "\t"
    assert sniff_delimiter("Titre\na,b\n1,2\n3,4\n") == (",", 1.0, 3)
    assert sniff_delimiter("no delimiter here\nnor here\n") is None


def test_blank_file_gives_no_unit(tmp_path: Path) -> None:
    path = tmp_path / "blank.csv"
    path.write_text(" \n\n;;\n", encoding="utf-8")
    assert list(partition_delimited(path)) == []


def test_header_only(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text("NOM;PRENOM;NIR\n", encoding="utf-8")
    (table,) = list(partition_delimited(path))
    assert table.header == ["NOM", "PRENOM", "NIR"]
    assert table.rows == []
