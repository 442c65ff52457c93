"""SQLite database files: tables, rowids, blobs, damaged files, end to end."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

import pytest
from noise import noise
from samples.databases import NIR_1, NIR_2, make_sqlite

import breachscope.extract.sqlite as sqlite_mod
from breachscope.extract.sqlite import partition_sqlite
from breachscope.extract.units import ExtractionError, ForeignKey, KeysUnit, TableUnit
from breachscope.ingest.sniff import sniff_type


def tables(path: Path) -> dict[str, TableUnit]:
    out: dict[str, TableUnit] = {}
    for unit in partition_sqlite(path):
        if isinstance(unit, KeysUnit):
            continue
        assert isinstance(unit, TableUnit)
        if unit.name in out:
            out[unit.name].rows += unit.rows
            out[unit.name].row_numbers += unit.row_numbers
        else:
            out[unit.name] = unit
    return out


def test_sample_two_tables(tmp_path):
    path = tmp_path / "base.db"
    make_sqlite(path)
    assert sniff_type(path) == "sqlite"
    before = path.read_bytes()
    found = tables(path)
    assert path.read_bytes() == before  # opened read-only and immutable
    assert not list(tmp_path.glob("base.db-*"))  # no journal, no WAL
    assert list(found) == ["table patient", "table sejour"]  # the view is not read
    patient = found["table patient"]
    assert patient.header == ["id", "nom", "prenom", "date_naissance", "nir", "telephone",
                              "photo"]
    assert patient.row_numbers == [1, 2, 3]
    assert patient.rows[1] == ["2", "Dupont", "Marie", "1954-03-07", NIR_1, "06 12 34 56 78", ""]
    assert patient.rows[2][4] == NIR_2
    assert patient.rows[0][6] == ""  # a binary blob is not a text cell
    assert found["table sejour"].rows == [["2", "Cardiologie", "douleur thoracique"]]


def test_rowids_blobs_without_rowid_and_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(sqlite_mod, "FETCH_ROWS", 7)
    path = tmp_path / "x.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (a TEXT, b BLOB, c REAL)")
    conn.executemany("INSERT INTO t VALUES (?, ?, ?)",
                     [(f"v{i}", "texte é".encode(), i / 2) for i in range(50)])
    conn.execute("DELETE FROM t WHERE a = 'v3'")
    conn.execute('CREATE TABLE "we""ird" (k TEXT PRIMARY KEY, rowid TEXT) WITHOUT ROWID')
    conn.execute("""INSERT INTO "we""ird" VALUES ('x', 'y'), ('z', NULL)""")
    conn.execute("CREATE TABLE big (b BLOB)")
    conn.execute("INSERT INTO big VALUES (zeroblob(?))", (sqlite_mod.MAX_BLOB + 1,))
    conn.execute("INSERT INTO big VALUES (CAST(x'c3' AS TEXT))")  # invalid UTF-8 text
    conn.commit()
    conn.close()
    found = tables(path)
    t = found["table t"]
    assert len(t.rows) == 49
    assert t.row_numbers[:4] == [1, 2, 3, 5]  # rowids, as the database numbers them
    assert t.rows[3] == ["v4", "texte é", "2.0"]
    weird = found['table we"ird']
    assert weird.header == ["k", "rowid"] and weird.row_numbers == [1, 2]
    assert weird.rows == [["x", "y"], ["z", ""]]
    assert found["table big"].rows == [[""], ["\ufffd"]]


def test_many_rows_are_chunked(tmp_path):
    path = tmp_path / "many.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (a INTEGER)")
    conn.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(45_000)])
    conn.commit()
    conn.close()
    units = list(partition_sqlite(path))
    assert [len(u.rows) for u in units] == [20_000, 20_000, 5_000]
    assert units[2].row_numbers[-1] == 45_000


@pytest.mark.parametrize("damage", ["random", "truncated", "zeroed"])
def test_damaged_database_fails_with_reason(tmp_path, damage):
    path = tmp_path / "d.db"
    make_sqlite(path)
    data = path.read_bytes()
    if damage == "random":
        data = data[:100] + noise(len(data) - 100, seed=1001)
    elif damage == "truncated":
        data = data[:150]
    else:
        data = data[:16] + b"\x00" * (len(data) - 16)
    path.write_bytes(data)
    with pytest.raises(ExtractionError) as err:
        list(partition_sqlite(path))
    assert str(err.value) == "not a readable SQLite database"


def test_not_sqlite_at_all(tmp_path):
    path = tmp_path / "n.db"
    path.write_bytes(b"SQLite format 3\x00" + noise(5000, seed=1002))
    with pytest.raises(ExtractionError):
        list(partition_sqlite(path))


@pytest.mark.slow
def test_end_to_end(cli, tmp_path):
    dump = tmp_path / "dump"
    dump.mkdir()
    expected = make_sqlite(dump / "base.db")
    case = tmp_path / "case"
    assert cli("scan", dump, "--case", case).exit_code == 0
    out = tmp_path / "f.csv"
    res = cli("export", "--case", case, "--what", "findings", "--format", "csv", "-o", out)
    assert res.exit_code == 0, res.output
    with out.open(encoding="utf-8", newline="") as fh:
        got = {(r["file"], r["entity"], r["value"], r["location"]) for r in csv.DictReader(fh)}
    assert ("base.db", "NIR", NIR_1, "table patient, row 2, column nir") in got
    assert ("base.db", "NIR", NIR_2, "table patient, row 3, column nir") in got
    assert set(expected) <= {(entity, value) for _f, entity, value, _l in got}
    people = tmp_path / "p.csv"
    res = cli("export", "--case", case, "--what", "people", "--format", "csv", "-o", people)
    assert res.exit_code == 0, res.output
    with people.open(encoding="utf-8", newline="") as fh:
        assert len(list(csv.DictReader(fh))) == 3


def keys(path: Path) -> dict[str, KeysUnit]:
    """Declared keys by table; each names the units of its table's rows, and comes after them."""
    units = list(partition_sqlite(path))
    out: dict[str, KeysUnit] = {}
    for i, unit in enumerate(units):
        if isinstance(unit, KeysUnit):
            assert unit.table not in out
            assert isinstance(units[i - 1], TableUnit) and units[i - 1].name == unit.unit_name
            out[unit.table] = unit
    return out


def test_declared_keys(tmp_path):
    path = tmp_path / "keys.db"
    conn = sqlite3.connect(path)
    conn.executescript("""
        CREATE TABLE patient (id INTEGER PRIMARY KEY, ipp TEXT UNIQUE, nom TEXT);
        CREATE TABLE "Unité" (code TEXT, site TEXT, libelle TEXT, PRIMARY KEY (site, code));
        CREATE TABLE sejour (
            num TEXT NOT NULL, patient_id INTEGER REFERENCES Patient,
            uf_site TEXT, uf_code TEXT, "Medecin  Id" INT REFERENCES medecin(id),
            parent TEXT,
            CONSTRAINT pk PRIMARY KEY (num) ON CONFLICT REPLACE,
            FOREIGN KEY (uf_site, uf_code) REFERENCES "unité" (site, code) ON DELETE CASCADE,
            FOREIGN KEY (parent) REFERENCES sejour (num)
        ) WITHOUT ROWID;
        CREATE TABLE note (texte TEXT, patient_id REFERENCES patient (id));
        CREATE TABLE vide (a TEXT);
        INSERT INTO patient VALUES (1, 'P1', 'Dupont');
        INSERT INTO sejour VALUES ('S1', 1, 'A', 'CARD', NULL, NULL);
    """)
    conn.close()
    found = keys(path)
    assert set(found) == {"patient", "Unité", "sejour", "note"}  # vide declares none
    assert found["patient"] == KeysUnit("patient", "table patient", ["id"], [])
    # the primary key in key order, not column order
    assert found["Unité"] == KeysUnit("Unité", "table Unité", ["site", "code"], [])
    assert found["sejour"] == KeysUnit("sejour", "table sejour", ["num"], [
        # REFERENCES Patient: patient's primary key, the table spelled as the schema does
        ForeignKey(["patient_id"], "patient", ["id"]),
        # a referenced table that does not exist: kept as declared
        ForeignKey(["Medecin Id"], "medecin", ["id"]),  # column named as in the header
        ForeignKey(["uf_site", "uf_code"], "Unité", ["site", "code"]),
        ForeignKey(["parent"], "sejour", ["num"]),
    ])
    assert tables(path)["table sejour"].header[4] == "Medecin Id"
    assert found["note"].primary_key == []
    assert found["note"].foreign_keys == [ForeignKey(["patient_id"], "patient", ["id"])]


CHINOOK = Path("/work/shared/datasets/chinook/Chinook_Sqlite.sqlite")


@pytest.mark.skipif(not CHINOOK.is_file(), reason="the Chinook database is not here")
def test_chinook_declared_keys():
    found = keys(CHINOOK)
    assert {t: k.primary_key for t, k in found.items()} == {
        "Album": ["AlbumId"], "Artist": ["ArtistId"], "Customer": ["CustomerId"],
        "Employee": ["EmployeeId"], "Genre": ["GenreId"], "Invoice": ["InvoiceId"],
        "InvoiceLine": ["InvoiceLineId"], "MediaType": ["MediaTypeId"],
        "Playlist": ["PlaylistId"], "PlaylistTrack": ["PlaylistId", "TrackId"],
        "Track": ["TrackId"],
    }
    fks = {(t, tuple(fk.columns), fk.ref_table, tuple(fk.ref_columns))
           for t, k in found.items() for fk in k.foreign_keys}
    assert fks == {
        ("Album", ("ArtistId",), "Artist", ("ArtistId",)),
        ("Customer", ("SupportRepId",), "Employee", ("EmployeeId",)),
        ("Employee", ("ReportsTo",), "Employee", ("EmployeeId",)),
        ("Invoice", ("CustomerId",), "Customer", ("CustomerId",)),
        ("InvoiceLine", ("InvoiceId",), "Invoice", ("InvoiceId",)),
        ("InvoiceLine", ("TrackId",), "Track", ("TrackId",)),
        ("PlaylistTrack", ("PlaylistId",), "Playlist", ("PlaylistId",)),
        ("PlaylistTrack", ("TrackId",), "Track", ("TrackId",)),
        ("Track", ("AlbumId",), "Album", ("AlbumId",)),
        ("Track", ("GenreId",), "Genre", ("GenreId",)),
        ("Track", ("MediaTypeId",), "MediaType", ("MediaTypeId",)),
    }
