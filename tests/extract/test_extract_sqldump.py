"""SQL dumps: mysqldump, PostgreSQL plain dumps, streaming, damaged input, and end to end."""

from __future__ import annotations

import csv
import tracemalloc
from pathlib import Path

import pytest
from complexity import assert_scales
from samples.databases import NIR_1, NIR_2, make_mysqldump, make_pgdump

import breachscope.extract.sqldump as sqldump
from breachscope.extract.sqldump import _Dump, _Lexer, partition_sql
from breachscope.extract.units import ExtractionError, ForeignKey, KeysUnit, TableUnit, TextUnit
from breachscope.ingest.sniff import sniff_type


def tables(path: Path) -> dict[str, TableUnit]:
    """Units by name, chunks of one table merged (declared keys left out)."""
    out: dict[str, TableUnit] = {}
    for unit in partition_sql(path):
        if isinstance(unit, KeysUnit):
            continue
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


@pytest.mark.parametrize(("text", "standard"), [(MYSQL, False), (PG, True), (TRICKY, False),
                                               ("MYSQL_KEYS", False), ("PG_KEYS", True)])
def test_same_units_whatever_the_block_boundaries(monkeypatch, text, standard):
    """The sliding buffer gives the same rows when blocks cut every token anywhere, and when
    strings, comments and COPY lines are longer than the buffer."""
    text = globals().get(text, text)  # the dumps with keys are defined further down

    def run(size: int) -> tuple[list, int]:
        chunks = iter([text[i : i + size] for i in range(0, len(text), size)])
        dump = _Dump(_Lexer(chunks, standard))
        units = [(u.name, u.header, u.rows, u.row_numbers) if isinstance(u, TableUnit) else u
                 for u in dump.units()]
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


@pytest.mark.slow
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
    """Seeded random bytes after an INSERT: each file gives units or a reason; and 4 times
    the bytes take at most ~4 times as long (a complexity check, not a wall-clock limit: see
    tests/complexity.py)."""
    import random

    rng = random.Random(4)

    def parse(path: Path) -> None:
        try:
            for unit in partition_sql(path):
                assert isinstance(unit, TableUnit | TextUnit | KeysUnit)
        except ExtractionError:
            pass

    paths = []
    for i in range(30):
        data = b"INSERT INTO t VALUES (" + rng.randbytes(5000)
        path = tmp_path / f"r{i}.sql"
        path.write_bytes(data)
        paths.append(path)
        parse(path)
    # the same bytes four times over, against one copy, for a few of the files
    large = []
    for path in paths[:4]:
        body = path.read_bytes()
        bigger = path.with_suffix(".x4.sql")
        bigger.write_bytes(body + body[len(b"INSERT INTO t VALUES ("):] * 3)
        large.append(bigger)
    assert_scales(lambda: [parse(p) for p in paths[:4]], lambda: [parse(p) for p in large],
                  what="partition_sql on random bytes")


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


@pytest.mark.slow
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


# -- declared keys ----------------------------------------------------------------------------

def keys(path: Path) -> dict[str, KeysUnit]:
    """Declared keys by unit name without its ``table `` prefix (``archive.patient``)."""
    units = list(partition_sql(path))
    names = {u.name for u in units if isinstance(u, TableUnit)}
    out: dict[str, KeysUnit] = {}
    for unit in units:
        if isinstance(unit, KeysUnit):
            name = unit.unit_name.removeprefix("table ")
            assert name not in out
            out[name] = unit
    # keys come after every row, and name the units the rows are in when there are rows
    first_keys = next(i for i, u in enumerate(units) if isinstance(u, KeysUnit))
    assert all(isinstance(u, KeysUnit) for u in units[first_keys:])
    assert names & {k.unit_name for k in out.values()}
    return out


def fk(columns: list[str], table: str, ref: list[str]) -> ForeignKey:
    return ForeignKey(columns, table, ref)


MYSQL_KEYS = """-- MySQL dump 10.13
CREATE TABLE `patient` (
  `id` int NOT NULL AUTO_INCREMENT,
  `ipp` varchar(20) NOT NULL COMMENT 'primary key? no: REFERENCES x(y)',
  `nom` varchar(100) DEFAULT 'FOREIGN KEY (a)',
  PRIMARY KEY (`id`),
  UNIQUE KEY `u_ipp` (`ipp`),
  KEY `k_nom` (`nom`(10)),
  FULLTEXT KEY `ft` (`nom`)
) ENGINE=InnoDB;
CREATE TABLE `chinook`.`sejour` (
  `id` int NOT NULL,
  `patient_id` int DEFAULT NULL,
  `uf` char(4),
  `medecin_id` int REFERENCES `medecin` (`id`),
  PRIMARY KEY USING BTREE (`id`, `uf`),
  KEY `fk_patient` (`patient_id`),
  CONSTRAINT `fk_patient` FOREIGN KEY (`patient_id`) REFERENCES `chinook`.`patient` (`id`)
    ON DELETE CASCADE ON UPDATE NO ACTION,
  CONSTRAINT FOREIGN KEY idx_uf (`uf`) REFERENCES `unite` (`code`)
) ENGINE=InnoDB;
INSERT INTO `patient` VALUES (1,'P1','Dupont'),(2,'P2','Martin');
INSERT INTO `chinook`.`sejour` VALUES (1,1,'CARD',NULL);
CREATE TABLE `acte` (`id` int, `sejour_id` int, `ccam` char(7));
INSERT INTO `acte` VALUES (1,1,'DEQP003');
-- phpMyAdmin puts the keys after the data
ALTER TABLE `acte`
  ADD PRIMARY KEY (`id`),
  ADD KEY `sejour_id` (`sejour_id`),
  MODIFY `id` int NOT NULL AUTO_INCREMENT, AUTO_INCREMENT=2;
ALTER TABLE `acte`
  ADD CONSTRAINT `acte_ibfk_1` FOREIGN KEY (`sejour_id`) REFERENCES `sejour` (`id`)
  ON DELETE CASCADE;
"""


def test_mysqldump_keys(tmp_path):
    found = keys(write(tmp_path, MYSQL_KEYS))
    assert found["patient"] == KeysUnit("patient", "table patient", ["id"], [])
    assert found["sejour"] == KeysUnit("sejour", "table sejour", ["id", "uf"], [
        fk(["medecin_id"], "medecin", ["id"]),
        fk(["patient_id"], "patient", ["id"]),
        fk(["uf"], "unite", ["code"]),
    ])
    # REFERENCES sejour (id) while sejour's key is (id, uf): kept as written
    assert found["acte"] == KeysUnit("acte", "table acte", ["id"],
                                     [fk(["sejour_id"], "sejour", ["id"])])
    assert tables(write(tmp_path, MYSQL_KEYS))["table sejour"].header == [
        "id", "patient_id", "uf", "medecin_id"]


PG_KEYS = """--
-- PostgreSQL database dump
--
SET standard_conforming_strings = on;
CREATE TABLE public.patient (
    id integer NOT NULL,
    "IPP" text,
    tags integer[],
    nom text DEFAULT 'PRIMARY KEY (nom)'::text
);
ALTER TABLE public.patient OWNER TO postgres;
CREATE TABLE public.sejour (
    id integer NOT NULL,
    patient_id integer,
    uf text CONSTRAINT uf_fk REFERENCES public.unite,
    CONSTRAINT sejour_check CHECK ((id > 0))
);
CREATE TABLE archive.patient (id integer PRIMARY KEY, nom text);
CREATE TABLE public.unite (code text NOT NULL, libelle text);
COPY public.patient (id, "IPP", tags, nom) FROM stdin;
1\tP1\t{1,2}\tDupont
\\.
COPY public.sejour (id, patient_id, uf) FROM stdin;
1\t1\tCARD
\\.
INSERT INTO archive.patient VALUES (7, 'Ancien');
ALTER TABLE ONLY public.patient ALTER COLUMN id
    SET DEFAULT nextval('public.patient_id_seq'::regclass);
ALTER TABLE ONLY public.patient
    ADD CONSTRAINT patient_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.unite
    ADD CONSTRAINT unite_pkey PRIMARY KEY (code);
ALTER TABLE ONLY public.sejour
    ADD CONSTRAINT sejour_pkey PRIMARY KEY (id) INCLUDE (uf);
ALTER TABLE ONLY public.sejour
    ADD CONSTRAINT sejour_ipp_fkey FOREIGN KEY (patient_id) REFERENCES public.patient(id)
    ON DELETE CASCADE NOT VALID;
ALTER TABLE IF EXISTS ONLY public.sejour DROP CONSTRAINT IF EXISTS old_fkey;
"""


def test_pgdump_keys_after_the_data(tmp_path):
    path = write(tmp_path, PG_KEYS)
    found = keys(path)
    names = set(tables(path))
    assert names == {"table patient", "table sejour", "table archive.patient"}
    assert found["patient"] == KeysUnit("patient", "table patient", ["id"], [])
    # REFERENCES public.unite without columns: unite's primary key, declared later
    assert found["sejour"] == KeysUnit("sejour", "table sejour", ["id"], [
        fk(["uf"], "unite", ["code"]), fk(["patient_id"], "patient", ["id"])])
    # a table with no rows: the name its units would have
    assert found["unite"] == KeysUnit("unite", "table unite", ["code"], [])
    # [ is no quote in PostgreSQL: integer[] does not hide a column
    assert tables(path)["table patient"].header == ["id", "IPP", "tags", "nom"]
    # the same table name in two schemas: the second one's units are qualified, not its name
    assert found["archive.patient"] == KeysUnit("patient", "table archive.patient", ["id"], [])


SQL_SERVER_KEYS = """SET ANSI_NULLS ON
GO
CREATE TABLE [dbo].[Customer](
\t[CustomerId] [int] NOT NULL,
\t[FirstName] [nvarchar](40) NOT NULL,
\t[SupportRepId] [int] NULL,
 CONSTRAINT [PK_Customer] PRIMARY KEY CLUSTERED
(
\t[CustomerId] ASC
)WITH (PAD_INDEX = OFF, STATISTICS_NORECOMPUTE = OFF) ON [PRIMARY]
) ON [PRIMARY]
GO
CREATE TABLE [dbo].[Invoice](
\t[InvoiceId] [int] IDENTITY(1,1) NOT NULL PRIMARY KEY NONCLUSTERED,
\t[CustomerId] [int] NOT NULL,
\t[Total] [numeric](10, 2) NOT NULL
)
GO
CREATE TABLE [dbo].[Employee] ([EmployeeId] INT NOT NULL, [ReportsTo] INT NULL,
  CONSTRAINT [PK_Employee] PRIMARY KEY ([EmployeeId]))
GO
INSERT [dbo].[Customer] ([CustomerId], [FirstName], [SupportRepId]) VALUES (1, N'Luís', 3)
INSERT [dbo].[Invoice] ([InvoiceId], [CustomerId], [Total])
VALUES (1, 1, CAST(1.98 AS Numeric(10, 2)))
GO
ALTER TABLE [dbo].[Invoice]  WITH CHECK ADD  CONSTRAINT [FK_InvoiceCustomerId]
FOREIGN KEY([CustomerId])
REFERENCES [dbo].[Customer] ([CustomerId])
GO
ALTER TABLE [dbo].[Invoice] CHECK CONSTRAINT [FK_InvoiceCustomerId]
GO
ALTER TABLE [dbo].[Customer] WITH NOCHECK ADD CONSTRAINT [FK_CustomerSupportRepId]
FOREIGN KEY ([SupportRepId]) REFERENCES [dbo].[Employee] ([EmployeeId])
ALTER TABLE [dbo].[Employee] ADD CONSTRAINT [FK_EmployeeReportsTo] FOREIGN KEY ([ReportsTo])
REFERENCES [dbo].[Employee] ([EmployeeId]);
GO
"""


def test_sql_server_keys(tmp_path):
    path = write(tmp_path, SQL_SERVER_KEYS)
    found = keys(path)
    assert found["Customer"] == KeysUnit("Customer", "table Customer", ["CustomerId"], [
        fk(["SupportRepId"], "Employee", ["EmployeeId"])])
    assert found["Invoice"] == KeysUnit("Invoice", "table Invoice", ["InvoiceId"], [
        fk(["CustomerId"], "Customer", ["CustomerId"])])
    assert found["Employee"] == KeysUnit("Employee", "table Employee", ["EmployeeId"], [
        fk(["ReportsTo"], "Employee", ["EmployeeId"])])
    # GO separates batches: the CREATE TABLE after it is read (its header, its keys)
    assert tables(path)["table Customer"].header == ["CustomerId", "FirstName", "SupportRepId"]


def test_sqlite_dump_keys(tmp_path):
    path = write(tmp_path, "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n"
                 "CREATE TABLE [Artist] ([ArtistId] INTEGER NOT NULL, [Name] NVARCHAR(120),\n"
                 "    CONSTRAINT [PK_Artist] PRIMARY KEY ([ArtistId]));\n"
                 'CREATE TABLE "Album" ("AlbumId" INTEGER PRIMARY KEY AUTOINCREMENT,\n'
                 '    "Title" TEXT, artist REFERENCES artist ON DELETE SET NULL,\n'
                 '    "CustomerId" INT NOT NULL, FOREIGN KEY ("CustomerId") REFERENCES\n'
                 "    Customer(id) DEFERRABLE INITIALLY DEFERRED);\n"
                 "INSERT INTO Artist VALUES(1,'AC/DC');\n"
                 "INSERT INTO \"Album\" VALUES(1,'For Those About To Rock [Live]',1,2);\n"
                 "COMMIT;\n")
    found = keys(path)
    assert tables(path)["table Artist"].header == ["ArtistId", "Name"]  # [..] quotes names
    assert tables(path)["table Album"].rows == [["1", "For Those About To Rock [Live]", "1", "2"]]
    assert found["Artist"] == KeysUnit("Artist", "table Artist", ["ArtistId"], [])
    # REFERENCES artist: Artist's primary key, the table spelled as the dump first wrote it
    assert found["Album"] == KeysUnit("Album", "table Album", ["AlbumId"], [
        fk(["artist"], "Artist", ["ArtistId"]), fk(["CustomerId"], "Customer", ["id"])])


def test_key_columns_named_as_in_the_header(tmp_path):
    path = write(tmp_path, "CREATE TABLE T (ID int, `Num  dossier` int, `Num  dossier` int,\n"
                 "  PRIMARY KEY (id), FOREIGN KEY (`NUM  DOSSIER`) REFERENCES d (NUM));\n"
                 "CREATE TABLE d (num int PRIMARY KEY);\n"
                 "INSERT INTO T VALUES (1, 2, 3);\nINSERT INTO t VALUES (4, 5, 6);\n"
                 "CREATE TABLE T (x int PRIMARY KEY);\nINSERT INTO T VALUES (9);\n")
    units = list(partition_sql(path))
    by_name = {u.name: u for u in units if isinstance(u, TableUnit)}
    assert by_name["table T"].header == ["ID", "Num dossier", "Num dossier_2"]
    # the rows read before the table is declared again are kept
    assert by_name["table T"].rows == [["1", "2", "3"], ["4", "5", "6"]]
    found = [u for u in units if isinstance(u, KeysUnit)]
    assert found == [
        KeysUnit("T", "table T", ["ID"], [fk(["Num dossier"], "d", ["num"])]),
        KeysUnit("d", "table d", ["num"], []),
        # declared again after rows: a new table, with its own units and keys
        KeysUnit("T", "table T (2)", ["x"], []),
    ]
    assert by_name["table T (2)"].rows == [["9"]]


@pytest.mark.parametrize("constraint", [
    "PRIMARY KEY ()", "PRIMARY KEY (a,)", "PRIMARY KEY ((a))", "PRIMARY KEY",
    "PRIMARY KEY a", "CONSTRAINT", "CONSTRAINT PRIMARY", "FOREIGN KEY (a) REFERENCES",
    "FOREIGN KEY (a) REFERENCES t (b, c)", "FOREIGN KEY (a) REFERENCES (b)",
    "FOREIGN KEY (a) t (b)", "FOREIGN KEY (a, 'x') REFERENCES t (b, c)",
    "FOREIGN KEY (a) REFERENCES t.", "FOREIGN KEY (a) REFERENCES a.b.c.d.t (b)",
    "FOREIGN KEY () REFERENCES t ()", "CHECK (a > 0)", "UNIQUE (a)", "KEY k (a)", "INDEX (a)",
    "EXCLUDE USING gist (a WITH =)",
])
def test_malformed_constraint_is_skipped(tmp_path, constraint):
    path = write(tmp_path, f"CREATE TABLE x (a int, {constraint}, b int);\n"
                 f"ALTER TABLE x ADD {constraint};\nALTER TABLE x ADD CONSTRAINT c {constraint};\n"
                 "CREATE TABLE t (b int, c int, PRIMARY KEY (b, c));\n"
                 "INSERT INTO x VALUES (1, 2);\n")
    units = list(partition_sql(path))
    assert [u for u in units if isinstance(u, KeysUnit)] == [
        KeysUnit("t", "table t", ["b", "c"], [])]
    assert [(u.header, u.rows) for u in units if isinstance(u, TableUnit)] == [
        (["a", "b"], [["1", "2"]])]


@pytest.mark.parametrize("text", [
    "ALTER TABLE",
    "ALTER TABLE ONLY IF",
    "ALTER TABLE x ADD CONSTRAINT c FOREIGN KEY (a REFERENCES t(b);",
    "ALTER TABLE x ADD PRIMARY KEY ((((((a);",
    "ALTER TABLE x ADD )))) PRIMARY KEY (a;",
    "ALTER TABLE x ADD COLUMN",
    "ALTER TABLE x ADD COLUMN IF",
    "ALTER TABLE x WITH",
    "ALTER TABLE x ADD FOREIGN KEY (a) REFERENCES 'str' (b);",
    "CREATE TABLE y (a int REFERENCES, b int PRIMARY, c int REFERENCES t (a, b), d PRIMARY KEY",
    "CREATE TABLE y (a int PRIMARY KEY, PRIMARY KEY (",
    "CREATE TABLE y (a int, FOREIGN KEY (a) REFERENCES t (",
])
def test_malformed_statement_does_not_stop_the_parse(tmp_path, text):
    """A statement ends at its ';' whatever it holds (unbalanced parentheses included)."""
    path = write(tmp_path, "CREATE TABLE x (a int, b int);\n" + text
                 + ";\nINSERT INTO x VALUES (1, 2);\n"
                 "ALTER TABLE x ADD CONSTRAINT ok FOREIGN KEY (b) REFERENCES z (id);\n")
    units = list(partition_sql(path))
    rows = [r for u in units if isinstance(u, TableUnit) and u.name == "table x" for r in u.rows]
    assert ["1", "2"] in rows
    found = [u for u in units if isinstance(u, KeysUnit) and u.table == "x"]
    assert len(found) == 1 and fk(["b"], "z", ["id"]) in found[0].foreign_keys


@pytest.mark.parametrize("end", ["'never closed", "INSERT INTO t VALUES (3) + `never closed"])
def test_string_left_open_at_the_end_keeps_rows_and_keys(tmp_path, end):
    path = write(tmp_path, "CREATE TABLE t (a int PRIMARY KEY);\n"
                 "INSERT INTO t VALUES (1), (2);\n" + end)
    units = list(partition_sql(path))
    assert units[0].rows[:2] == [["1"], ["2"]]
    assert units[-1] == KeysUnit("t", "table t", ["a"], [])


def test_keys_are_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(sqldump, "MAX_KEY_CHARS", 10_000)
    monkeypatch.setattr(sqldump, "MAX_FOREIGN_KEYS", 50)
    lines = ["CREATE TABLE t (a int, b int);", "INSERT INTO t VALUES (1, 2);"]
    lines += [f"ALTER TABLE t ADD FOREIGN KEY (a) REFERENCES r{i} (id);" for i in range(200)]
    lines += [f"ALTER TABLE t{i} ADD PRIMARY KEY (a);" for i in range(2000)]
    long_name = "n" * 5000
    lines += [f"CREATE TABLE u (`{long_name}` int PRIMARY KEY, c int);"]
    units = list(partition_sql(write(tmp_path, "\n".join(lines))))
    found = [u for u in units if isinstance(u, KeysUnit)]
    assert len(found[0].foreign_keys) == 50
    assert 100 < len(found) < 2000
    assert sum(len(k.table) + 16 for k in found) < 20_000
    assert all(k.table != "u" for k in found)  # a 5000-character name is no key


CHINOOK = Path("/work/shared/datasets/chinook")
# The 11 foreign keys and the primary keys Chinook declares (names folded: the PostgreSQL script
# spells them invoice_line.customer_id)
CHINOOK_FKS = {
    ("album", "artistid", "artist", "artistid"),
    ("customer", "supportrepid", "employee", "employeeid"),
    ("employee", "reportsto", "employee", "employeeid"),
    ("invoice", "customerid", "customer", "customerid"),
    ("invoiceline", "invoiceid", "invoice", "invoiceid"),
    ("invoiceline", "trackid", "track", "trackid"),
    ("playlisttrack", "playlistid", "playlist", "playlistid"),
    ("playlisttrack", "trackid", "track", "trackid"),
    ("track", "albumid", "album", "albumid"),
    ("track", "genreid", "genre", "genreid"),
    ("track", "mediatypeid", "mediatype", "mediatypeid"),
}
CHINOOK_PKS = {
    "album": ("albumid",), "artist": ("artistid",), "customer": ("customerid",),
    "employee": ("employeeid",), "genre": ("genreid",), "invoice": ("invoiceid",),
    "invoiceline": ("invoicelineid",), "mediatype": ("mediatypeid",),
    "playlist": ("playlistid",), "playlisttrack": ("playlistid", "trackid"),
    "track": ("trackid",),
}


def _fold(name: str) -> str:
    return name.replace("_", "").lower()


def check_chinook_keys(units: list) -> None:
    """All 11 foreign keys and 11 primary keys, on the tables whose rows carry them."""
    headers = {u.name: u.header for u in units if isinstance(u, TableUnit)}
    found = [u for u in units if isinstance(u, KeysUnit)]
    assert len(found) == 11
    fks = set()
    for k in found:
        assert k.unit_name == f"table {k.table}" and k.unit_name in headers
        assert set(k.primary_key) <= set(headers[k.unit_name])
        assert tuple(map(_fold, k.primary_key)) == CHINOOK_PKS[_fold(k.table)]
        for key in k.foreign_keys:
            assert len(key.columns) == len(key.ref_columns) == 1
            assert set(key.columns) <= set(headers[k.unit_name])
            assert set(key.ref_columns) <= set(headers[f"table {key.ref_table}"])
            fks.add((_fold(k.table), _fold(key.columns[0]), _fold(key.ref_table),
                     _fold(key.ref_columns[0])))
    assert fks == CHINOOK_FKS


@pytest.mark.skipif(not CHINOOK.is_dir(), reason="the Chinook database is not here")
@pytest.mark.parametrize("script", ["Chinook_MySql.sql", "Chinook_PostgreSql.sql",
                                    "Chinook_SqlServer.sql", "Chinook_Sqlite.sql", ".dump"])
def test_chinook_declared_keys(tmp_path, script):
    if script == ".dump":  # what `sqlite3 .dump` writes of the .sqlite file
        import sqlite3

        uri = (CHINOOK / "Chinook_Sqlite.sqlite").resolve().as_uri() + "?mode=ro&immutable=1"
        conn = sqlite3.connect(uri, uri=True)
        path = tmp_path / "chinook_dump.sql"
        path.write_text("\n".join(conn.iterdump()), encoding="utf-8")
        conn.close()
    else:
        path = CHINOOK / script
    units = list(partition_sql(path))
    check_chinook_keys(units)
    invoice = next(u for u in units if isinstance(u, KeysUnit) and _fold(u.table) == "invoice")
    if script == "Chinook_MySql.sql":
        assert invoice == KeysUnit("Invoice", "table Invoice", ["InvoiceId"],
                                   [fk(["CustomerId"], "Customer", ["CustomerId"])])
