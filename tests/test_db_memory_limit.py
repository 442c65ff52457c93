"""The case store's DuckDB memory limit: ``scan --db-memory-limit``, else the
``BREACHSCOPE_DB_MEMORY_LIMIT`` environment variable, else 1GB."""

from __future__ import annotations

import pytest

import breachscope.cli
from breachscope.case import DB_MEMORY_LIMIT_ENV, Case, CaseError, db_memory_limit


def _limit(case: Case) -> str:
    return case.db.execute("SELECT current_setting('memory_limit')").fetchone()[0]


def test_given_then_environment_then_default(monkeypatch):
    monkeypatch.delenv(DB_MEMORY_LIMIT_ENV, raising=False)
    assert db_memory_limit() == "1GB"
    monkeypatch.setenv(DB_MEMORY_LIMIT_ENV, "")          # empty: unset
    assert db_memory_limit() == "1GB"
    monkeypatch.setenv(DB_MEMORY_LIMIT_ENV, " 4GB ")
    assert db_memory_limit() == "4GB"
    assert db_memory_limit("512MiB") == "512MiB"         # given wins over the environment


@pytest.mark.parametrize("bad", ["4", "lots", "4 GBs", "-1GB", "1GB; SELECT 1"])
def test_a_size_without_its_unit_is_refused(monkeypatch, bad):
    monkeypatch.delenv(DB_MEMORY_LIMIT_ENV, raising=False)
    with pytest.raises(CaseError, match="size with its unit"):
        db_memory_limit(bad)
    monkeypatch.setenv(DB_MEMORY_LIMIT_ENV, bad)
    with pytest.raises(CaseError, match=DB_MEMORY_LIMIT_ENV):
        db_memory_limit()


def test_the_store_opens_with_it(tmp_path, monkeypatch):
    monkeypatch.delenv(DB_MEMORY_LIMIT_ENV, raising=False)
    with Case(tmp_path / "a") as case:
        default = _limit(case)
    monkeypatch.setenv(DB_MEMORY_LIMIT_ENV, "3GB")
    with Case(tmp_path / "b") as case:
        from_env = _limit(case)
    with Case(tmp_path / "c", memory_limit="300MB") as case:
        given = _limit(case)
    # DuckDB reports its setting in binary units: 1 GB = 953.6 MiB.
    assert default == "953.6 MiB"
    assert from_env == "2.7 GiB"
    assert given == "286.1 MiB"


@pytest.mark.slow
def test_scan_option_sets_the_store_limit(tmp_path, cli, monkeypatch):
    monkeypatch.delenv(DB_MEMORY_LIMIT_ENV, raising=False)
    seen: list[str] = []

    class Recording(Case):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            seen.append(_limit(self))

    monkeypatch.setattr(breachscope.cli, "Case", Recording)
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "patients.csv").write_text("Nom;Prénom;Né le\nDUPONT;Marie;12/03/1954\n",
                                       encoding="utf-8")
    res = cli("scan", dump, "--case", tmp_path / "case", "--workers", "1",
              "--db-memory-limit", "2GB")
    assert res.exit_code == 0, res.output
    assert seen == ["1.8 GiB"]


def test_scan_refuses_a_bad_limit(tmp_path, cli, monkeypatch):
    monkeypatch.delenv(DB_MEMORY_LIMIT_ENV, raising=False)
    dump = tmp_path / "dump"
    dump.mkdir()
    res = cli("scan", dump, "--case", tmp_path / "case", "--db-memory-limit", "lots")
    assert res.exit_code == 2
    assert "size with its unit" in res.output
    assert not (tmp_path / "case").exists()
