"""Splink's Spark backend (``--linkage-backend spark``, ``resolve.spark``): the same model
scored in a local Spark session finds the same pairs, with the same probabilities, and the
same people as the DuckDB backend. Needs pyspark and Java (skipped otherwise); slow (a JVM)."""

from __future__ import annotations

import pytest
from people_reference import insert_records
from test_linkage_scale import PEOPLE, _copies, _people
from test_people import rec

from breachscope.case import Case
from breachscope.resolve import spark
from breachscope.resolve.people import (
    LINKAGE_BACKEND_ENV,
    linkage_backend,
    rebuild_people,
    set_linkage_backend,
)

pytest.importorskip("splink")

# More of the model's levels: a married name, swapped names, an IPP typo, e-mails one typo
# apart, addresses, a one-part name, a parent and child sharing a phone.
MORE = [
    rec("m1", "Durand", "Sophie", "1970-05-06", full="MARTIN épouse DURAND",
        postal_code="13001", sex="F"),
    rec("m2", "Martin", "Sophie", "1970-05-06", postal_code="13001"),
    rec("s1", "Bernard", "Louis", "1990-01-31", emails=["louis.bernard@example.org"]),
    rec("s2", "Louis", "Bernard", "1990-01-31"),
    rec("i1", "Roux", "Paul", None, patient_id="2428295", address="3 rue des Lilas"),
    rec("i2", "Roux", "Paul", None, patient_id="2482295", address="3 rue des lilas"),
    rec("e1", "Faure", "Anne", "1955-03-03", emails=["anne.faure55@example.org"]),
    rec("e2", "Faure", "Anne", "1955-03-03", emails=["anne.fauer55@example.org"]),
    rec("p1", "Girard", "Marc", "1950-02-02", phones=["0612345678"]),
    rec("p2", "Girard", "Marc", "1985-09-09", phones=["0612345678"]),
    rec("o1", None, "Zoé", "2001-11-12", city="Lille"),
]


def _resolve(tmp_path, backend):
    with Case(tmp_path / backend) as case:
        insert_records(case.db, _copies(PEOPLE + MORE, 2))
        rebuild_people(case, linkage="splink", backend=backend)
        pairs = sorted(case.db.execute(
            "SELECT record_id_a, record_id_b, round(match_probability, 9) FROM linkage_pairs"
        ).fetchall())
        linkage = case.db.execute(
            "SELECT value FROM meta WHERE key = 'people_linkage'").fetchone()[0]
        return _people(case), pairs, linkage


@pytest.mark.slow
@pytest.mark.skipif(not spark.available(), reason="pyspark or Java missing")
def test_spark_backend_finds_the_pairs_and_people_duckdb_finds(tmp_path, capfd):
    from breachscope.offline import forbid_network

    forbid_network()  # as in a scan: the JVM's bridge is reached on loopback only
    people, pairs, linkage = _resolve(tmp_path, "duckdb")
    assert linkage == "splink" and pairs
    capfd.readouterr()
    assert (people, pairs, linkage) == _resolve(tmp_path, "spark")
    # The JVM's start-up warnings stay off the console (its own log4j2 configuration).
    assert " WARN " not in capfd.readouterr().err
    # Spark's scratch files were in the case and are gone.
    assert not (tmp_path / "spark" / "spill" / "linkage-spark").exists()


def test_spark_sql_rewrites_the_duckdb_idioms_of_the_model():
    assert spark.spark_sql("abs(birth_l[1:4]::INT - birth_r[1:4]::INT) >= 15") == (
        "abs(CAST(substring(birth_l, 1, 4) AS INT) - CAST(substring(birth_r, 1, 4) AS INT))"
        " >= 15")
    assert spark.spark_sql("l.last = r.last AND l.first[1] = r.first[1]") == (
        "l.last = r.last AND substring(l.first, 1, 1) = substring(r.first, 1, 1)")
    assert spark.spark_sql("len(list_intersect(phones_l, phones_r)) > 0") == (
        "size(array_intersect(phones_l, phones_r)) > 0")
    assert spark.spark_sql("regexp_replace(email1_l, '[^0-9]', '', 'g') = x") == (
        "regexp_replace(email1_l, '[^0-9]', '') = x")
    assert spark.spark_sql("TRY_CAST(ipp_l AS HUGEINT)") == "TRY_CAST(ipp_l AS DECIMAL(38, 0))"


def test_the_backend_is_kept_for_the_case_and_checked(tmp_path, monkeypatch):
    monkeypatch.delenv(LINKAGE_BACKEND_ENV, raising=False)
    with Case(tmp_path / "case") as case:
        assert linkage_backend(case) == "duckdb"
        set_linkage_backend(case, "spark")
        assert linkage_backend(case) == "spark"
        monkeypatch.setenv(LINKAGE_BACKEND_ENV, "duckdb")
        assert linkage_backend(case) == "duckdb"
        with pytest.raises(ValueError, match="unknown linkage backend"):
            set_linkage_backend(case, "hadoop")


@pytest.mark.slow
def test_scan_linkage_backend_option_is_kept_for_the_case(tmp_path, cli, monkeypatch):
    monkeypatch.delenv(LINKAGE_BACKEND_ENV, raising=False)
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "a.csv").write_text("Nom;Prénom;Date de naissance;Code postal\n"
                                "DUPONT;Marie-Claire;12/03/1954;59280\n"
                                "DUPOND;Marie-Claire;12/03/1954;59280\n", encoding="utf-8")
    res = cli("scan", dump, "--case", tmp_path / "case", "--linkage-backend", "duckdb")
    assert res.exit_code == 0, res.output
    assert " 1 people" in res.output
    with Case(tmp_path / "case") as case:
        assert linkage_backend(case) == "duckdb"
    res = cli("scan", dump, "--case", tmp_path / "case", "--linkage-backend", "hadoop")
    assert res.exit_code != 0
    if not spark.available():
        res = cli("scan", dump, "--case", tmp_path / "case", "--linkage-backend", "spark")
        assert res.exit_code != 0 and "pyspark" in res.output
