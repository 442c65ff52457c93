import duckdb
import pytest
from tests_helpers import old_case

from breachscope.case import (
    SCHEMA_VERSION,
    STORAGE_VERSION,
    Case,
    CaseError,
    entity_list,
    entity_list_sql,
)


def test_new_case_has_schema_and_tables(tmp_path):
    with Case(tmp_path / "c") as case:
        assert case.schema_version == SCHEMA_VERSION
        assert case.counts() == {"files": 0, "contents": 0, "findings": 0,
                                 "findings_distinct": 0, "records": 0, "people": 0}
        run = case.start_run("scan")
        case.finish_run(run, "completed", n_files=3)
    # reopening keeps data and does not re-create
    with Case(tmp_path / "c", create=False) as case:
        assert case.db.execute("SELECT status, n_files FROM runs").fetchall() == [
            ("completed", 3)]


@pytest.mark.parametrize("key", [None, "a-case-key"])
def test_a_new_store_is_written_in_the_pinned_storage_format(tmp_path, key):
    # DuckDB's default format is 0.10's; 1.5's compresses the scan's rows with less CPU.
    with Case(tmp_path / "c", key=key) as case:
        case.db.execute("CREATE TABLE t AS SELECT range AS x FROM range(1000)")
        case.db.execute("CHECKPOINT")
    with Case(tmp_path / "c", key=key, create=False) as case:
        (tags,) = case.db.execute("SELECT tags FROM duckdb_databases() "
                                  "WHERE database_name = current_database()").fetchone()
    assert tags["storage_version"] == STORAGE_VERSION + "+"


def test_missing_case_is_an_error_when_not_creating(tmp_path):
    with pytest.raises(CaseError):
        Case(tmp_path / "nope", create=False)


def test_newer_schema_is_refused(tmp_path):
    with Case(tmp_path / "c"):
        pass
    db = duckdb.connect(str(tmp_path / "c" / "case.duckdb"))
    db.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    db.close()
    with pytest.raises(CaseError, match="newer"):
        Case(tmp_path / "c")


def test_copy_members_rewrites_prefix(tmp_path):
    with Case(tmp_path / "c") as case:
        case.add_file("a.zip", "s1", 10, mtime=None, parent=None, depth=0, run_id=1)
        case.add_file("a.zip!/x.csv", "s2", 5, mtime=None, parent="a.zip", depth=1, run_id=1)
        case.add_file("a.zip!/in.zip!/y.csv", "s3", 5, mtime=None, parent="a.zip!/in.zip",
                      depth=2, run_id=1)
        assert case.copy_members("a.zip", "copy/b.zip", run_id=2) == 2
        rows = case.db.execute(
            "SELECT path, parent FROM files WHERE starts_with(path, 'copy/') ORDER BY path"
        ).fetchall()
        assert rows == [("copy/b.zip!/in.zip!/y.csv", "copy/b.zip!/in.zip"),
                        ("copy/b.zip!/x.csv", "copy/b.zip")]


def test_a_version_1_case_is_migrated(tmp_path):
    """A case written by the first schema (no ``records.icd10_codes``) opens and migrates."""
    path = tmp_path / "old"
    db = old_case(path, 1)
    db.execute("INSERT INTO records VALUES ('r1', 's1')")
    db.close()
    with Case(path) as case:
        assert case.schema_version == SCHEMA_VERSION == 10
        assert case.db.execute("SELECT record_id, icd10_codes FROM records").fetchall() == [
            ("r1", None)]
        # v7: no key on records any more (its index cost every insert), same columns
        assert case.db.execute(
            "SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'records'"
        ).fetchone() == (0,)
        assert [r[0] for r in case.db.execute("DESCRIBE records").fetchall()][:3] == [
            "record_id", "sha256", "icd10_codes"]
        # v4: the relational tables exist, empty
        for table in ("row_keys", "declared_keys", "key_links", "attached_rows", "facts",
                      "orphan_rows", "care_units", "unit_values", "sensitive_evidence"):
            assert case.db.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,)


def test_a_version_8_case_keeps_its_facts_and_reads_cell_facts_through_the_view(tmp_path):
    """Schema 9 splits ``facts``: the rows of a version-8 case become ``plain_facts``, and the
    ``facts`` view adds the cell facts (``fact_cells``) with the sha256, location and entity
    of their column."""
    path = tmp_path / "c"
    with Case(path):
        pass
    db = duckdb.connect(str(path / "case.duckdb"))   # back to version 8, one fact stored
    db.execute("DROP VIEW facts; DROP TABLE fact_cells; ALTER TABLE plain_facts RENAME TO facts")
    db.execute("INSERT INTO facts VALUES ('r1', 's1', 'page 1, line 3', 'DIAGNOSIS', "
               "'diabète', 'document', 0)")
    db.execute("UPDATE meta SET value = '8' WHERE key = 'schema_version'")
    db.close()
    with Case(path) as case:
        assert case.schema_version == 10
        db = case.db
        db.execute("INSERT INTO finding_columns VALUES (7, 's2', 'table sejour, row ', "
                   "', column diag', 'ICD10_CODE', 'column')")
        db.execute("INSERT INTO fact_cells VALUES ('r2', 7, 12, 'F32.1', 1)")
        assert db.execute("SELECT * FROM facts ORDER BY record_id").fetchall() == [
            ("r1", "s1", "page 1, line 3", "DIAGNOSIS", "diabète", "document", 0),
            ("r2", "s2", "table sejour, row 12, column diag", "ICD10_CODE", "F32.1",
             "row_link", 1)]


def test_a_version_9_case_gets_its_records_entities_as_text(tmp_path):
    """Schema 10 stores a record's entity names as one string (sorted, comma-joined): the
    lists of a version-9 case are converted, an empty list to an empty string, NULL kept;
    ``entity_list`` reads them back."""
    path = tmp_path / "c"
    with Case(path):
        pass
    db = duckdb.connect(str(path / "case.duckdb"))   # back to version 9: entities a list
    db.execute("ALTER TABLE records ALTER entities SET DATA TYPE VARCHAR[] "
               "USING string_split(entities, ',')")
    db.execute("INSERT INTO records (record_id, entities) VALUES "
               "('r1', ['LAST_NAME', 'NIR', 'BIRTH_DATE']), ('r2', []), ('r3', NULL)")
    db.execute("UPDATE meta SET value = '9' WHERE key = 'schema_version'")
    db.close()
    with Case(path) as case:
        assert case.schema_version == 10
        rows = case.db.execute("SELECT record_id, entities, typeof(entities) FROM records "
                               "ORDER BY record_id").fetchall()
        assert rows == [("r1", "BIRTH_DATE,LAST_NAME,NIR", "VARCHAR"), ("r2", "", "VARCHAR"),
                        ("r3", None, "VARCHAR")]
        assert [entity_list(e) for _, e, _ in rows] == [
            ["BIRTH_DATE", "LAST_NAME", "NIR"], [], None]
        assert case.db.execute(
            f"SELECT {entity_list_sql('entities')} FROM records ORDER BY record_id"
        ).fetchall() == [(["BIRTH_DATE", "LAST_NAME", "NIR"],), ([],), (None,)]


def test_what_a_killed_process_spilled_is_deleted_when_the_case_is_opened(tmp_path):
    """DuckDB removes its spill files when it closes, not when the next connection opens: a
    killed resolution left them behind (38 GB at 10 GB). Other files stay."""
    with Case(tmp_path / "c"):
        pass
    spill = tmp_path / "c" / "spill"
    (spill / "linkage").mkdir(parents=True)
    stale = [spill / "duckdb_temp_storage_DEFAULT-0.tmp", spill / "duckdb_temp_block-4.block",
             spill / "linkage" / "duckdb_temp_storage_DEFAULT-3.tmp"]
    for path in stale:
        path.write_bytes(b"\0" * 4096)
    (spill / "notes.txt").write_text("kept")
    with Case(tmp_path / "c") as case:
        assert not any(path.exists() for path in stale)
        assert (spill / "notes.txt").read_text() == "kept"
        # and the store still spills there when it must
        assert case.db.execute("SELECT current_setting('temp_directory')").fetchone()[0] == \
            str(spill)


def test_empty_table_keeps_the_table_as_declared_and_rolls_back(tmp_path):
    """Emptying a large table drops and re-creates it (a DELETE of every row keeps an undo
    record per row in memory until the commit): the same columns and key, and a rolled-back
    transaction gives the rows back."""
    from breachscope.case import empty_table

    with Case(tmp_path / "case") as case:
        db = case.db
        db.execute("INSERT INTO people (person_id, role) VALUES ('P1', 'PATIENT')")
        db.execute("INSERT INTO person_records VALUES ('P1', 'r1'), ('P1', 'r2')")
        ddl = {t: db.execute("SELECT sql FROM duckdb_tables() WHERE table_name = ?",
                             [t]).fetchone()[0] for t in ("people", "person_records")}
        with pytest.raises(RuntimeError), case.transaction():
            empty_table(db, "person_records")
            assert db.execute("SELECT count(*) FROM person_records").fetchone()[0] == 0
            raise RuntimeError("rolled back")
        assert db.execute("SELECT count(*) FROM person_records").fetchone()[0] == 2
        with case.transaction():
            empty_table(db, "people")
            empty_table(db, "person_records")
        assert db.execute("SELECT count(*) FROM people").fetchone()[0] == 0
        assert {t: db.execute("SELECT sql FROM duckdb_tables() WHERE table_name = ?",
                              [t]).fetchone()[0] for t in ddl} == ddl
        db.execute("INSERT INTO people (person_id) VALUES ('P2')")
        with pytest.raises(duckdb.ConstraintException):   # its key is still there
            db.execute("INSERT INTO people (person_id) VALUES ('P2')")
