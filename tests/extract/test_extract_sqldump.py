"""SQL dumps: mysqldump, PostgreSQL plain dumps, streaming, damaged input, and end to end."""

from __future__ import annotations

import csv
import time
import tracemalloc
from pathlib import Path

import pytest
from samples.databases import NIR_1, NIR_2, make_mysqldump, make_pgdump

import breachscope.extract.sqldump as sqldump
from breachscope.extract.sqldump import _Dump, _Lexer, partition_sql
from breachscope.extract.units import ExtractionError, TableUnit, TextUnit
from breachscope.ingest.sniff import sniff_type


def tables(path: Path) -> dict[str, TableUnit]:
    """Units by name, chunks of one table merged."""
    out: dict[str, TableUnit] = {}
    for unit in partition_sql(path):
        assert isinstance(unit, TableUnit)
        if unit.name in out:
            assert unit.header == out[unit.name].header
            out[unit.name].rows += unit.rows
            out[unit.name].row_numbers += unit.row_numbers
        else:
            out[unit.name] = unit
    return out


def write(tmp_path: Path, text: str, name: str = "dump.sql") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


MYSQL = r"""-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)
/*!40101 SET NAMES utf8mb4 */;
# a hash comment; with 'quotes
DROP TABLE IF EXISTS `patient`;
CREATE TABLE IF NOT EXISTS `patient` (
  `id` int NOT NULL AUTO_INCREMENT,
  `nom` varchar(100) DEFAULT NULL COMMENT 'nom, (usage)',
  `prenom` varchar(100) DEFAULT NULL,
  `date_naissance` date DEFAULT NULL,
  `nir` char(15) DEFAULT NULL,
  `telephone` varchar(20) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `u_nir` (`nir`),
  CONSTRAINT `fk` FOREIGN KEY (`id`) REFERENCES `x` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
LOCK TABLES `patient` WRITE;
/*!40000 ALTER TABLE `patient` DISABLE KEYS */;
INSERT INTO `patient` VALUES (1,'O\'Brien','Anne\\Marie','1961-11-02',NULL,'a\nb\tc\0d\Ze'),
(2,'Dupont','Marie','1954-03-07','NIR1','0612345678'),
(3,'L''Hôte','Zoé',NULL,_binary 'NIR2',0x30363938),
(4, "dq \"x\"", -12.5e1, X'4142', _binary '\0\0', 0xFFFE);
/*!40000 ALTER TABLE `patient` ENABLE KEYS */;
UNLOCK TABLES;
INSERT IGNORE INTO patient (`telephone`, nom) VALUES ('0700000000', 'Cinq');
INSERT INTO `hopital`.`sejour` VALUES (1,'Cardiologie',CONVERT('x,y' USING utf8mb4),NOW());
DELIMITER ;;
CREATE PROCEDURE p() BEGIN INSERT INTO sejour VALUES (NEW.id, 'no'); END ;;
DELIMITER ;
INSERT INTO sejour VALUES (2, 'broken' +;
INSERT INTO sejour VALUES (3,'Urgences','ok',NULL) ON DUPLICATE KEY UPDATE b=VALUES(b);
""".replace("NIR1", NIR_1).replace("NIR2", NIR_2)


def test_mysqldump(tmp_path):
    path = write(tmp_path, MYSQL)
    assert sniff_type(path) == "sql"
    found = tables(path)
    assert list(found) == ["table patient", "table sejour"]
    patient = found["table patient"]
    assert patient.header == ["id", "nom", "prenom", "date_naissance", "nir", "telephone"]
    assert patient.row_numbers == [1, 2, 3, 4, 5]
    assert patient.rows[0] == ["1", "O'Brien", "Anne\\Marie", "1961-11-02", "",
                               "a\nb\tcd\x1ae"]
    assert patient.rows[1] == ["2", "Dupont", "Marie", "1954-03-07", NIR_1, "0612345678"]
    assert patient.rows[2] == ["3", "L'Hôte", "Zoé", "", NIR_2, "0698"]
    # double-quoted string, negative number, hex text; binary junk becomes an empty cell
    assert patient.rows[3] == ["4", 'dq "x"', "-12.5e1", "AB", "", ""]
    # an INSERT with a column list puts values under their columns
    assert patient.rows[4] == ["", "Cinq", "", "", "", "0700000000"]
    sejour = found["table sejour"]  # no CREATE TABLE: col1..colN; schema prefix dropped
    assert sejour.header == ["col1", "col2", "col3", "col4"]
    # the routine's INSERT is skipped with its DELIMITER block; the broken statement is
    # skipped, the next one read
    assert sejour.rows == [["1", "Cardiologie", "x,y", ""], ["3", "Urgences", "ok", ""]]
    assert sejour.row_numbers == [1, 2]


PG = """--
-- PostgreSQL database dump
--
\\restrict AbC123
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
CREATE FUNCTION public.f() RETURNS trigger LANGUAGE plpgsql
    AS $_$BEGIN INSERT INTO patient VALUES ('a;b'); RETURN NEW; END;$_$;
CREATE TABLE public.patient (
    id integer NOT NULL,
    nom text,
    "Prénom" character varying(50),
    nir character(15),
    note text DEFAULT 'a,b'::text,
    CONSTRAINT patient_check CHECK ((id > 0))
);
COPY public.patient (id, nom, "Prénom", nir, note) FROM stdin;
1\tMartin\tPaul\tNIR1\ta\\\\b\\tc\\nd
2\tO'Neil\t\\N\t\\N\t\\101\\x42
\\.
INSERT INTO public.patient VALUES (3, 'Ren''é', 'C:\\dir', 'NIR2', E'x\\'y\\\\z');
INSERT INTO public.patient (nom, id) VALUES ('Quatre', 4), ('Cinq', 5) ON CONFLICT DO NOTHING;
INSERT INTO archive.patient (id, nom) VALUES (1, 'Ancien'::text);
COPY public.vide (a) FROM stdin;
\\.
\\unrestrict AbC123
""".replace("NIR1", NIR_1).replace("NIR2", NIR_2)


def test_pgdump(tmp_path):
    path = write(tmp_path, PG)
    assert sniff_type(path) == "sql"
    found = tables(path)
    assert list(found) == ["table patient", "table archive.patient"]
    patient = found["table patient"]
    assert patient.header == ["id", "nom", "Prénom", "nir", "note"]
    assert patient.rows == [
        ["1", "Martin", "Paul", NIR_1, "a\\b\tc\nd"],
        ["2", "O'Neil", "", "", "AB"],
        ["3", "Ren'é", "C:\\dir", NIR_2, "x'y\\z"],  # standard strings: no backslash escape
        ["4", "Quatre", "", "", ""],
        ["5", "Cinq", "", "", ""],
    ]
    assert patient.row_numbers == [1, 2, 3, 4, 5]
    assert found["table archive.patient"].rows == [["1", "Ancien"]]


def test_sqlite_dump_uses_standard_strings(tmp_path):
    path = write(tmp_path, "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n"
                 'CREATE TABLE "t" (a TEXT, "b" INT);\n'
                 "INSERT INTO \"t\" VALUES('C:\\temp\\', 1);\nCOMMIT;\n")
    assert sniff_type(path) == "sql"
    assert tables(path)["table t"].rows == [["C:\\temp\\", "1"]]


def test_sql_server_script(tmp_path):
    path = write(tmp_path, "SET IDENTITY_INSERT [dbo].[Patient] ON\nGO\n"
                 "INSERT [dbo].[Patient] ([Id], [Nom]) VALUES (1, N'Durand')\nGO\n"
                 "INSERT [dbo].[Patient] ([Id], [Nom]) VALUES (2, N'Petit')\n")
    patient = tables(path)["table Patient"]
    assert patient.header == ["Id", "Nom"]
    assert patient.rows == [["1", "Durand"], ["2", "Petit"]]


TRICKY = MYSQL + "/* a comment with */ inside ' and ; */ INSERT INTO t3 VALUES ('" + (
    "long ''string'' with \\' escapes; " * 40) + "', 1);\n"


@pytest.mark.parametrize(("text", "standard"), [(MYSQL, False), (PG, True), (TRICKY, False)])
def test_same_units_whatever_the_block_boundaries(monkeypatch, text, standard):
    """The sliding buffer gives the same rows when blocks cut every token anywhere, and when
    strings, comments and COPY lines are longer than the buffer."""
    def run(size: int) -> tuple[list, int]:
        chunks = iter([text[i : i + size] for i in range(0, len(text), size)])
        dump = _Dump(_Lexer(chunks, standard))
        units = [(u.name, u.header, u.rows, u.row_numbers) for u in dump.units()]
        return units, dump.failed

    expected = run(len(text))
    assert expected[0]
    monkeypatch.setattr(sqldump, "LOOKAHEAD", 40)
    for size in (1, 2, 3, 5, 7, 16, 33):
        assert run(size) == expected, size


def test_long_values_are_cut_not_held(tmp_path, monkeypatch):
    monkeypatch.setattr(sqldump, "MAX_CELL", 1000)
    path = write(tmp_path, "INSERT INTO t VALUES ('" + "x" * 200_000 + "', 0x" + "41" * 300_000
                 + ", 'fin');\n")
    rows = tables(path)["table t"].rows
    assert rows == [["x" * 1000, "", "fin"]]


def test_very_long_single_line_insert_bounded_memory(tmp_path, monkeypatch):
    """A 50 MB one-line INSERT: memory stays far below the file size (units of 2000 rows
    here, so that the peak shows the reader's own memory rather than one unit's)."""
    monkeypatch.setattr(sqldump, "CHUNK_ROWS", 2000)
    path = tmp_path / "big.sql"
    note = "une note de suivi assez longue, avec (parenthèses) et virgules, " * 4
    row = "({i},'Nom{i}','Pr\\'enom','1970-01-01','06123{i:05d}',NULL,'" + note + "')"
    n = 160_000
    with path.open("w", encoding="utf-8") as fh:
        fh.write("CREATE TABLE `p` (`id` int, `nom` text, `prenom` text, `dn` date, "
                 "`tel` text, `x` int, `note` text);\nINSERT INTO `p` VALUES ")
        fh.write(",".join(row.format(i=i) for i in range(n)))
        fh.write(";\n")
    size = path.stat().st_size
    assert size > 50_000_000
    tracemalloc.start()
    try:
        count = 0
        for unit in partition_sql(path):
            assert len(unit.rows) <= 2000
            count += len(unit.rows)
            last = (unit.row_numbers[-1], unit.rows[-1][1], unit.rows[-1][2])
            del unit
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == n
    assert last == (n, f"Nom{n - 1}", "Pr'enom")
    assert peak < 16 * 2**20, (peak, size)  # about 7 MB for 52 MB: not the file size


def test_truncated_dump_keeps_rows_read(tmp_path):
    text = MYSQL.split("(3,'L''Hôte'")[0]  # cut in the middle of an INSERT
    found = tables(write(tmp_path, text))
    assert found["table patient"].rows[1][4] == NIR_1


@pytest.mark.parametrize("text", [
    "INSERT INTO " + "é(" * 5000,
    "INSERT INTO t VALUES ('never closed, " + "x" * 100_000,
    "CREATE TABLE \n" + "\x01\x02 garbage ;;; ((( " * 1000,
    "-- MySQL dump\n/* unterminated comment " + "y" * 10_000,
])
def test_damaged_dump_fails_with_reason(tmp_path, text):
    path = write(tmp_path, text)
    with pytest.raises(ExtractionError) as err:
        list(partition_sql(path))
    assert "no SQL table or row could be read" in str(err.value)
    assert "garbage" not in str(err.value) and "never" not in str(err.value)


def test_random_bytes_do_not_hang(tmp_path):
    import random

    rng = random.Random(4)
    for i in range(30):
        data = b"INSERT INTO t VALUES (" + bytes(rng.randrange(256) for _ in range(5000))
        path = tmp_path / f"r{i}.sql"
        path.write_bytes(data)
        start = time.monotonic()
        try:
            for unit in partition_sql(path):
                assert isinstance(unit, TableUnit | TextUnit)
        except ExtractionError:
            pass
        assert time.monotonic() - start < 5


def test_many_columns_and_wide_rows(tmp_path):
    path = write(tmp_path, "CREATE TABLE t (a int, b int);\nINSERT INTO t VALUES (1,2,'extra');\n")
    units = list(partition_sql(path))
    assert units[0].header == ["a", "b", "col3"]


def _findings(cli, dump_dir: Path, tmp_path: Path) -> list[dict[str, str]]:
    case = tmp_path / "case"
    res = cli("scan", dump_dir, "--case", case)
    assert res.exit_code == 0, res.output
    out = tmp_path / "findings.csv"
    res = cli("export", "--case", case, "--what", "findings", "--format", "csv", "-o", out)
    assert res.exit_code == 0, res.output
    people = tmp_path / "people.csv"
    res = cli("export", "--case", case, "--what", "people", "--format", "csv", "-o", people)
    assert res.exit_code == 0, res.output
    with out.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    with people.open(encoding="utf-8", newline="") as fh:
        rows.append({"people": str(len(list(csv.DictReader(fh))))})
    return rows


@pytest.mark.parametrize("make", [make_mysqldump, make_pgdump])
def test_end_to_end(cli, tmp_path, make):
    dump = tmp_path / "dump"
    dump.mkdir()
    expected = make(dump / "hopital.sql")
    rows = _findings(cli, dump, tmp_path)
    assert rows.pop() == {"people": "3"}
    got = {(r["file"], r["entity"], r["value"], r["location"]) for r in rows}
    assert ("hopital.sql", "NIR", NIR_1, "table patient, row 2, column nir") in got
    assert ("hopital.sql", "NIR", NIR_2, "table patient, row 3, column nir") in got
    assert ("hopital.sql", "PHONE", "+33612345678",
            "table patient, row 2, column telephone") in got
    assert set(expected) <= {(entity, value) for _f, entity, value, _l in got}
