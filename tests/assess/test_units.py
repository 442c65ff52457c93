"""Care units: the hospital's unit file, readable codes, unit tables found in the dump, the
resolution of every unit value of a case, and the `units` command."""

from __future__ import annotations

import json

import duckdb
import pytest

from breachscope.assess.sensitive import SENSITIVE_UNIT_PATTERNS
from breachscope.assess.units import (
    UnitFileError,
    UnitRow,
    _row_number_sql,
    _unit_sql,
    code_like_sql,
    decode_readable_code,
    find_unit_tables,
    is_code_like,
    label_category,
    read_unit_file,
    resolve_unit_values,
    store_unit_file,
)
from breachscope.case import Case
from breachscope.detect.validators import fold
from breachscope.relate.attach import _TABLE_OF_RECORD

# --------------------------------------------------------------------------- the unit file


def test_unit_file_semicolon_utf8_with_bom_and_sensitive_column(tmp_path):
    path = tmp_path / "unites.csv"
    path.write_bytes("\ufeffCode UF;Libellé UF;Sensible\n3201;Pédopsychiatrie;oui\n"
                     "1001;Cardiologie;non\n4410;Unité B;1\n5000;Consultations;\n"
                     ";ligne sans code;non\n".encode())
    assert read_unit_file(path) == [
        UnitRow("3201", "Pédopsychiatrie", True), UnitRow("1001", "Cardiologie", False),
        UnitRow("4410", "Unité B", True), UnitRow("5000", "Consultations", None),
    ]


def test_unit_file_comma_windows_1252(tmp_path):
    path = tmp_path / "uf.csv"
    path.write_bytes("code,libelle\nG12,Génétique médicale\nU45,Unité d'addictologie\n"
                     "B7,Médecine polyvalente\n".encode("cp1252"))
    assert read_unit_file(path) == [
        UnitRow("G12", "Génétique médicale"), UnitRow("U45", "Unité d'addictologie"),
        UnitRow("B7", "Médecine polyvalente"),
    ]


def test_unit_file_tab_separated_with_other_columns(tmp_path):
    path = tmp_path / "uf.tsv"
    path.write_text("code_pole\tid\tnom\tsensitive\tpole\nP1\t12\tPsychiatrie A\ttrue\tPsy\n"
                    "P1\t13\tCMP Nord\tFALSE\tPsy\n", encoding="utf-8")
    assert read_unit_file(path) == [UnitRow("12", "Psychiatrie A", True),
                                    UnitRow("13", "CMP Nord", False)]


def test_unit_file_prefers_the_unit_code_over_the_pole_code(tmp_path):
    path = tmp_path / "uf.csv"
    path.write_text("code_pole;code_uf;libelle_pole;libelle_uf\n"
                    "10;3201;Santé mentale;Psychiatrie adulte\n", encoding="utf-8")
    assert read_unit_file(path) == [UnitRow("3201", "Psychiatrie adulte")]


@pytest.mark.parametrize(("content", "message"), [
    ("code;pole\n3201;P1\n", "has no label column"),
    ("libelle;pole\nPsychiatrie;P1\n", "has no code column"),
    ("date;montant\n2024-01-01;12\n", "has no code and no label column"),
    ("unites\nPsychiatrie\n", "the header has one column"),
    ("", "is empty"),
    ("code;libelle\n", "no unit with a code"),
    ("code;libelle;sensible\n3201;Psychiatrie;peut-être\n", "line 2"),
])
def test_unit_file_errors_say_what_is_wrong(tmp_path, content, message):
    path = tmp_path / "units.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UnitFileError, match=message) as info:
        read_unit_file(path)
    assert "units.csv" in str(info.value)


def test_missing_columns_error_lists_the_headers_found(tmp_path):
    path = tmp_path / "units.csv"
    path.write_text("date;montant\n2024-01-01;12\n", encoding="utf-8")
    with pytest.raises(UnitFileError) as info:
        read_unit_file(path)
    assert "'date', 'montant'" in str(info.value)


def test_missing_unit_file():
    with pytest.raises(UnitFileError, match="cannot read"):
        read_unit_file("/nonexistent/units.csv")


# --------------------------------------------------------------------------- codes and labels

CODE_LIKE = ["3201", "U45", "B12", "PSYA", "CEGIDD2", "CARDIO", "ADDICTO", "Psy2", "uf3201",
             "UF 3201", "Unité 12", "PSY A", "12/04", "ORTHOGENIE", "U.45"]
LABELS = ["Cardiologie", "Psychiatrie adulte", "CARDIOLOGIE", "Service de cardiologie",
          "Réa", "PSYCHIATRIE ADULTE", "3201 - Psychiatrie adulte", "Addictologie"]


@pytest.mark.parametrize("value", CODE_LIKE)
def test_code_like(value):
    assert is_code_like(value)


@pytest.mark.parametrize("value", LABELS)
def test_labels_are_not_code_like(value):
    assert not is_code_like(value)


def test_code_like_sql_agrees_with_python():
    values = [*CODE_LIKE, *LABELS, "", " ", "--", "a", "Unité", "UF", "SERVICE CARDIO",
              "ÉTAGE 3", "x" * 25, "1" * 25, "Pôle 4"]
    db = duckdb.connect()
    sql = db.execute(f"SELECT v, {code_like_sql('v')} FROM unnest(?::VARCHAR[]) t(v)",
                     [values]).fetchall()
    assert {v: bool(ok) for v, ok in sql} == {v: is_code_like(v) for v in values}


@pytest.mark.parametrize(("code", "category"), [
    ("PSYA", "psychiatry"), ("PSY2", "psychiatry"), ("PEDOPSY", "psychiatry"),
    ("GERONTOPSY", "psychiatry"), ("HDJ-PSY", "psychiatry"), ("CMP", "psychiatry"),
    ("CMP-NORD", "psychiatry"), ("CATTP1", "psychiatry"), ("ADDICTO", "addiction"),
    ("ADDICT", "addiction"), ("CSAPA", "addiction"), ("ALCOOL", "addiction"),
    ("CEGIDD2", "hiv_sti"), ("CEGIDD", "hiv_sti"), ("VIH", "hiv_sti"),
    ("IVG", "pregnancy_termination"), ("ORTHOGENIE", "pregnancy_termination"),
    ("ORTHOG", "pregnancy_termination"), ("GENET", "genetics"), ("GENETIQUE", "genetics"),
    ("CPEF", "sexual_health"),
])
def test_readable_sensitive_codes(code, category):
    decoded = decode_readable_code(code)
    assert decoded is not None and decoded[1] == category
    # The label says it too, in the words the label patterns know.
    assert label_category(decoded[0]) == category


@pytest.mark.parametrize(("code", "label"), [
    ("CARDIO", "Cardiologie"), ("CARDIO2", "Cardiologie"), ("ORTHOP", "Orthopédie"),
    ("REA", "Réanimation"), ("URG", "Urgences"),
])
def test_readable_codes_that_are_not_sensitive(code, label):
    assert decode_readable_code(code) == (label, None)


@pytest.mark.parametrize("code", [
    "3201", "U45", "B12", "UF3201", "X", "ORTHO", "ORTHO2", "PSYCHO", "PSYCHOLOGIE",
    "NEUROPSY", "ZZQ12", "BLOC", "",
])
def test_unreadable_or_ambiguous_codes_are_not_decoded(code):
    assert decode_readable_code(code) is None


def test_every_sensitive_label_alternative_has_a_category():
    from breachscope.assess.units import _ALTERNATIVE_CATEGORY

    assert set(SENSITIVE_UNIT_PATTERNS.pattern.split("|")) <= set(_ALTERNATIVE_CATEGORY)


@pytest.mark.parametrize(("label", "category"), [
    ("Psychiatrie adulte", "psychiatry"), ("CMP Nord", "psychiatry"),
    ("Service d'addictologie", "addiction"), ("Consultation VIH", "hiv_sti"),
    ("Centre de planning familial", "sexual_health"), ("Génétique", "genetics"),
    ("Orthogénie", "pregnancy_termination"), ("Cardiologie", None),
    ("Psychiatrie et addictologie", "psychiatry"),
])
def test_label_category(label, category):
    assert label_category(label) == category
    assert (category is not None) == bool(SENSITIVE_UNIT_PATTERNS.search(fold(label)))


# --------------------------------------------------------------------------- a real scan

UNITES = ("code_uf;libelle_uf\n3201;Psychiatrie adulte\nU45;Addictologie\n1001;Cardiologie\n"
          "1002;Pneumologie\nPSYA;Psychiatrie A\n")
SEJOURS = ("ipp;nom;prenom;date_naissance;uf;date_entree\n"
           "100001;DUPONT;Marie;1954-03-12;3201;2023-01-02\n"
           "100002;MARTIN;Jean;1960-05-01;1001;2023-01-03\n"
           "100003;DURAND;Paul;1970-06-02;U45;2023-01-04\n"
           "100004;LEROY;Anne;1980-07-03;B12;2023-01-05\n"
           "100005;MOREAU;Luc;1990-08-04;CEGIDD2;2023-01-06\n"
           "100006;PETIT;Zoé;1985-09-05;Cardiologie;2023-01-07\n")


@pytest.fixture()
def leak(tmp_path):
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "unites.csv").write_text(UNITES, encoding="utf-8")
    (dump / "sejours.csv").write_text(SEJOURS, encoding="utf-8")
    return dump


def _unit_values(case_dir, key=None):
    with Case(case_dir, create=False, key=key) as case:
        rows = case.db.execute(
            "SELECT value, code, label, sensitive_category, status, source FROM unit_values"
        ).fetchall()
    return {r[0]: r[1:] for r in rows}


@pytest.mark.slow
def test_scan_finds_the_unit_table_of_the_dump_and_decodes_the_stays(leak, tmp_path, cli):
    case_dir = tmp_path / "case"
    res = cli("scan", leak, "--case", case_dir, "--workers", "1")
    assert res.exit_code == 0, res.output
    values = _unit_values(case_dir)
    dump = "dump:unites.csv"
    assert values["3201"] == ("3201", "Psychiatrie adulte", "psychiatry", "decoded", dump)
    assert values["U45"] == ("U45", "Addictologie", "addiction", "decoded", dump)
    assert values["1001"] == ("1001", "Cardiologie", None, "decoded", dump)
    assert values["CEGIDD2"][2:4] == ("hiv_sti", "inferred")
    assert values["B12"] == ("B12", None, None, "unknown_code", None)
    assert values["Cardiologie"] == (None, "Cardiologie", None, "label", None)
    assert values["Psychiatrie adulte"][2:4] == ("psychiatry", "label")
    with Case(case_dir, create=False) as case:
        units = case.db.execute(
            "SELECT code, label, source FROM care_units ORDER BY code").fetchall()
        meta = case.db.execute("SELECT value FROM meta WHERE key = 'units_source'").fetchone()
    assert [u[0] for u in units] == ["1001", "1002", "3201", "PSYA", "U45"]
    assert {u[2] for u in units} == {dump}
    assert json.loads(meta[0]) == [dump]
    # The stays table pairs its unit codes with nothing readable: not a unit table.


@pytest.mark.slow
def test_unit_table_from_a_key_column_next_to_a_label_column(tmp_path, cli):
    """``code`` is no care-unit header: the table is found from the key values of its rows
    (``row_keys``) next to the ``libelle_uf`` column."""
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "uf.csv").write_text("code;libelle_uf\n3201;Psychiatrie adulte\n"
                                 "U45;Addictologie\n1001;Cardiologie\n", encoding="utf-8")
    case_dir = tmp_path / "case"
    assert cli("scan", dump, "--case", case_dir, "--workers", "1").exit_code == 0
    with Case(case_dir, create=False) as case:
        sha, locations = case.db.execute(
            "SELECT sha256, list(location ORDER BY location) FROM findings "
            "WHERE entity = 'CARE_UNIT' GROUP BY sha256").fetchone()
        codes = {"row 2": "3201", "row 3": "U45", "row 4": "1001"}
        case.db.execute("DELETE FROM row_keys")
        case.db.execute(
            "INSERT INTO row_keys SELECT ?, '', unnest(?::VARCHAR[]), 'code', "
            "unnest(?::VARCHAR[])", [sha, list(codes), list(codes.values())])
        [table] = find_unit_tables(case)
        assert (table.source, table.code_column, table.label_column, table.n_codes) == (
            "dump:uf.csv", "code", "libelle_uf", 3)
        resolve_unit_values(case)
        assert len(locations) == 3  # only the labels were care-unit findings
        units = dict(case.db.execute("SELECT code, sensitive_category FROM care_units")
                     .fetchall())
    assert units == {"3201": "psychiatry", "U45": "addiction", "1001": None}


@pytest.mark.slow
def test_a_stay_id_next_to_a_unit_label_is_not_a_unit_table(tmp_path, cli):
    dump = tmp_path / "dump"
    dump.mkdir()
    rows = "".join(f"{100 + i};{'Cardiologie' if i % 2 else 'Psychiatrie'}\n" for i in range(10))
    (dump / "passages.csv").write_text("id_sejour;service\n" + rows, encoding="utf-8")
    case_dir = tmp_path / "case"
    assert cli("scan", dump, "--case", case_dir, "--workers", "1").exit_code == 0
    with Case(case_dir, create=False) as case:
        sha = case.db.execute("SELECT sha256 FROM files").fetchone()[0]
        case.db.execute("DELETE FROM row_keys")
        case.db.execute(
            "INSERT INTO row_keys SELECT ?, '', 'row ' || (i + 2), 'id_sejour', "
            "(100 + i)::VARCHAR FROM range(10) t(i)", [sha])
        assert find_unit_tables(case) == []


@pytest.mark.slow
def test_the_users_table_wins_over_the_dump_on_the_same_code(leak, tmp_path, cli):
    case_dir = tmp_path / "case"
    assert cli("scan", leak, "--case", case_dir, "--workers", "1").exit_code == 0
    with Case(case_dir, create=False) as case:
        store_unit_file(case, [UnitRow("3201", "Unité 32", False),
                               UnitRow("b12 ", "Consultation VIH", None)], "file:hopital.csv")
        find_unit_tables(case)
        counts = resolve_unit_values(case)
    values = _unit_values(case_dir)
    assert values["3201"] == ("3201", "Unité 32", None, "decoded", "file:hopital.csv")
    assert values["B12"] == ("b12", "Consultation VIH", "hiv_sti", "decoded",
                             "file:hopital.csv")
    assert values["U45"][4] == "dump:unites.csv"
    assert counts["unknown_code"] == 0


# --------------------------------------------------------------------------- the CLI


@pytest.mark.slow
def test_units_command_loads_the_table_and_lists_it(leak, tmp_path, cli):
    case_dir = tmp_path / "case"
    assert cli("scan", leak, "--case", case_dir, "--workers", "1").exit_code == 0
    res = cli("units", "--case", case_dir)
    assert res.exit_code == 0, res.output
    assert "dump:unites.csv: 5 codes" in res.output
    assert "unknown codes: 1 distinct" in res.output  # B12

    units = tmp_path / "UF CHU.csv"
    units.write_bytes("CODE_UF;LIBELLE_UF;SENSIBLE\nB12;Consultation de dépistage;oui\n"
                      "9999;Accueil;non\n".encode("cp1252"))
    res = cli("units", "--case", case_dir, units)
    assert res.exit_code == 0, res.output
    assert "care units: 2 units from UF CHU.csv" in res.output
    assert "file:UF CHU.csv: 2 codes" in res.output
    assert "unknown codes: 0 distinct" in res.output
    assert _unit_values(case_dir)["B12"] == (
        "B12", "Consultation de dépistage", "declared_sensitive", "decoded", "file:UF CHU.csv")

    # Loading it again replaces that file's rows, it does not add to them.
    assert cli("units", "--case", case_dir, units).exit_code == 0
    with Case(case_dir, create=False) as case:
        assert case.db.execute("SELECT count(*) FROM care_units WHERE source = "
                               "'file:UF CHU.csv'").fetchone()[0] == 2


def test_units_command_errors(tmp_path, leak, cli):
    bad = tmp_path / "bad.csv"
    bad.write_text("date;montant\n2024-01-01;3\n", encoding="utf-8")
    res = cli("units", "--case", tmp_path / "nocase", bad)
    assert res.exit_code == 2 and "no code and no label column" in res.output
    res = cli("units", "--case", tmp_path / "nocase")
    assert res.exit_code == 1 and "no case" in res.output
    res = cli("scan", leak, "--case", tmp_path / "case", "--units", tmp_path / "missing.csv")
    assert res.exit_code == 2 and "no such file" in res.output
    assert not (tmp_path / "case").exists()


@pytest.mark.slow
def test_scan_with_units_on_an_encrypted_case(leak, tmp_path, cli):
    key = tmp_path / "case.key"
    key.write_text("units secret\n", encoding="utf-8")
    units = tmp_path / "units.csv"
    units.write_text("uf\tlibelle\nB12\tGénétique clinique\n", encoding="utf-8")
    case_dir = tmp_path / "case"
    res = cli("scan", leak, "--case", case_dir, "--workers", "1", "--units", units,
              "--key-file", key)
    assert res.exit_code == 0, res.output
    assert _unit_values(case_dir, "units secret")["B12"][2:5] == (
        "genetics", "decoded", "file:units.csv")
    # A second scan with nothing new still applies a changed unit file.
    units.write_text("uf\tlibelle\nB12\tCardiologie\n", encoding="utf-8")
    res = cli("scan", leak, "--case", case_dir, "--workers", "1", "--units", units,
              "--key-file", key)
    assert res.exit_code == 0, res.output
    assert _unit_values(case_dir, "units secret")["B12"][1:4] == (
        "Cardiologie", None, "decoded")
    res = cli("units", "--case", case_dir, "--key-file", key)
    assert res.exit_code == 0 and "file:units.csv: 1 codes" in res.output


@pytest.mark.slow
def test_a_short_label_in_capitals_in_a_unit_table_is_its_label(tmp_path, cli):
    """UHCD, SMUR: capitals, but in the label column of a unit table they are labels; the
    code they label is decoded, not left undecided."""
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "unites.csv").write_text(
        "code_uf;libelle_uf\n1101;Urgences adultes\n1102;UHCD\n3201;Psychiatrie adulte\n"
        "U45;Addictologie\n", encoding="utf-8")
    (dump / "sejours.csv").write_text(
        "nda;ipp;uf\n1;10;1102\n2;11;3201\n", encoding="utf-8")
    case_dir = tmp_path / "case"
    assert cli("scan", dump, "--case", case_dir, "--workers", "1").exit_code == 0
    with Case(case_dir, create=False) as case:
        values = dict(case.db.execute(
            "SELECT value, status || ':' || coalesce(label, '') FROM unit_values").fetchall())
    assert values["1102"] == "decoded:UHCD"
    assert values["3201"] == "decoded:Psychiatrie adulte"


@pytest.mark.parametrize(("prefix", "suffix"), [
    ("row ", ", column uf"),
    ("table sejour, row ", ", column libelle_uf"),
    ("row 3, row ", ", column uf"),                # two row parts: the first one counts
    ("sheet a, column b, row ", ", column c"),     # ", column " before the row number
    ("row ", ", column a, line 2"),                # a multi-line cell's line
    ("row ", ", col x"),                           # a suffix of another shape
    ("arrow ", ", column a"),                      # no row part: not a cell
    ("table t\nu, row ", ", column v"),            # a line break
    ("row ", ""),
    (None, ", column a"),
])
def test_unit_cells_read_from_columns_as_from_their_locations(tmp_path, prefix, suffix):
    """Care-unit cells read from their column's prefix and suffix are those read from each
    cell's location rebuilt by the ``findings`` view, whatever the column's shape."""
    from breachscope.assess.units import _located_unit_cells_sql, _unit_cells_sql

    with Case(tmp_path / "case") as case:
        db = case.db
        db.execute("INSERT INTO finding_columns VALUES (1, 'a', ?, ?, 'CARE_UNIT', 'x'), "
                   "(2, 'a', 'row ', ', column nom', 'LAST_NAME', 'x')", [prefix, suffix])
        db.execute("INSERT INTO finding_cells VALUES (1, 1, ' PSY ', 1), (1, 12, '3201', 1), "
                   "(1, -4, 'U45', 1), (1, NULL, 'CMP', 1), (1, 123456, '  ', 1), "
                   "(2, 1, 'MARTIN', 1)")
        db.execute("INSERT INTO plain_findings VALUES ('a', 'row 7, column uf', 'CARE_UNIT', "
                   "'USLD', 1, 'x'), ('a', 'page 2', 'CARE_UNIT', 'CMP', 1, 'x')")
        rows = sorted(db.execute(_unit_cells_sql()).fetchall(), key=repr)
        reference = sorted(db.execute(_located_unit_cells_sql(
            "(SELECT * FROM findings WHERE entity = 'CARE_UNIT')")).fetchall(), key=repr)
    assert rows == reference
    assert ("a", "", "row 7", "uf", "USLD") in rows


def test_unit_tables_are_read_on_their_first_rows(tmp_path, monkeypatch):
    """Cells and key cells of rows numbered above MAX_TABLE_ROWS are not read: a 10 GB dump's
    admissions (77 M rows, each pairing a unit code with its label) passed a 30 GiB spill
    cap when all were kept; a unit table is whole in its first rows."""
    from breachscope.assess import units

    monkeypatch.setattr(units, "MAX_TABLE_ROWS", 10)
    with Case(tmp_path / "case") as case:
        db = case.db
        db.execute("INSERT INTO finding_columns VALUES (1, 'a', 'row ', ', column uf', "
                   "'CARE_UNIT', 'x'), (2, 'a', 'table t\nu, row ', ', column v', "
                   "'CARE_UNIT', 'x')")
        db.execute("INSERT INTO finding_cells VALUES (1, 1, 'PSY', 1), (1, 10, 'USLD', 1), "
                   "(1, 11, 'CMP', 1), (2, 3, 'MATER', 1), (2, 30, 'REA', 1)")
        db.execute("INSERT INTO plain_findings VALUES ('a', 'row 7, column x', 'CARE_UNIT', "
                   "'HDJ', 1, 'x'), ('a', 'row 70, column x', 'CARE_UNIT', 'ORL', 1, 'x')")
        values = {v for (*_, v) in db.execute(units._unit_cells_sql()).fetchall()}
    assert values == {"PSY", "USLD", "MATER", "HDJ"}


@pytest.mark.parametrize(("row_loc", "number"), [
    ("row 12", 12), ("row 0012", 12), ("row +5", 5), ("row -3", -3), ("table a, row 7", 7),
    ("x row 4", 4), ("row 1.5", None), ("row 12x", None), ("row ", None), ("row", None),
    ("row 99999999999999999999999", None), ("table a, row 1.5", None), (None, None),
    ("row 1e5", None), ("row 0x1F", None), ("row  5", None), ("row 5 ", None),
    ("row 18446744073709551615", None),
])
def test_a_row_locations_number_is_cut_or_searched_alike(row_loc, number):
    """A plain ``row N`` is cut rather than searched by the regular expression: the same
    number (a decimal is no row number, though a cast would round it)."""
    value = duckdb.execute(f"SELECT {_row_number_sql('x')} FROM (SELECT ?::VARCHAR AS x)",
                           [row_loc]).fetchone()[0]
    assert value == number


@pytest.mark.parametrize(("row_loc", "unit"), [
    ("row 12", ""), ("table sejour, row 12", "table sejour"),
    ("sheet UF, row 1, row 12", "sheet UF, row 1"),        # a sheet named "UF, row 1"
    ("sheet Se\u0301jours, row 1, row 3", "sheet Se\u0301jours, row 1"),
    ("sheet a, column b, row 4", "sheet a, column b"), ("table t\nu, row 5", "table t\nu"),
    ("row 3, row 4", ""), ("a, row -1", "a"),
])
def test_a_row_locations_unit_is_cut_where_the_relations_cut_it(row_loc, unit):
    """The unit of a row location is what precedes its *last* ``, row ``, as the relations
    take a record's table (``relate.attach``): a unit table or stay in a sheet whose name
    holds ``, row `` is named alike by both stages."""
    mine, theirs = duckdb.execute(
        f"SELECT {_unit_sql('location')}, {_TABLE_OF_RECORD} "
        "FROM (SELECT ?::VARCHAR AS location)", [row_loc]).fetchone()
    assert mine == theirs == unit
    assert duckdb.execute(f"SELECT {_unit_sql('x')} FROM (SELECT 'page 2' AS x)").fetchone() \
        == (None,)


@pytest.mark.slow
def test_a_unit_table_in_a_sheet_named_like_a_row(tmp_path, cli):
    """A workbook's sheet named ``UF, row 1`` (Excel allows commas) holds the unit table:
    its source names the whole sheet, and the stays of another sheet are decoded."""
    import openpyxl

    dump = tmp_path / "dump"
    dump.mkdir()
    book = openpyxl.Workbook()
    units = book.active
    units.title = "UF, row 1"
    for row in (("code", "libelle_uf"), ("3201", "Psychiatrie adulte"), ("U45", "Addictologie"),
                ("1001", "Cardiologie")):
        units.append(row)
    stays = book.create_sheet("Séjours")
    stays.append(["IPP", "NOM", "PRENOM", "DDN", "UF", "DATE_ENTREE"])
    stays.append(["100001", "DUPONT", "Marie", "1954-03-12", "3201", "2023-01-02"])
    stays.append(["100002", "MARTIN", "Jean", "1960-05-01", "U45", "2023-01-03"])
    book.save(dump / "export.xlsx")
    case_dir = tmp_path / "case"
    assert cli("scan", dump, "--case", case_dir, "--workers", "1").exit_code == 0
    with Case(case_dir, create=False) as case:
        sources = {r[0] for r in case.db.execute("SELECT source FROM care_units").fetchall()}
        evidence = {(location.split(", column ")[0], category) for location, category in
                    case.db.execute("SELECT location, category FROM sensitive_evidence")
                    .fetchall()}
    assert sources == {"dump:export.xlsx#sheet UF, row 1"}
    assert evidence == {("sheet Séjours, row 2", "psychiatry"),
                        ("sheet Séjours, row 3", "addiction")}
