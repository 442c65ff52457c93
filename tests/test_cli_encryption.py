"""Encryption at rest: a case created with a key cannot be read without it."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import py7zr
import pytest

NIR = "254037512345655"


@pytest.fixture()
def encrypted_case(tmp_path, cli):
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "list.csv").write_text(f"Nom;Prénom;N° Sécu\nDUPONT;Marie;{NIR}\n",
                                   encoding="utf-8")
    key_file = tmp_path / "case.key"
    key_file.write_text("correct horse battery staple\n", encoding="utf-8")
    case = tmp_path / "case"
    res = cli("scan", dump, "--case", case, "--key-file", key_file)
    assert res.exit_code == 0, res.output
    return case, key_file


@pytest.mark.slow
def test_store_is_unreadable_without_the_key(encrypted_case, tmp_path, cli):
    case, _key_file = encrypted_case
    raw = (case / "case.duckdb").read_bytes()
    assert NIR.encode() not in raw and b"DUPONT" not in raw
    with pytest.raises(duckdb.Error):
        duckdb.connect(str(case / "case.duckdb")).execute("SELECT * FROM findings").fetchall()
    out = tmp_path / "people.csv"
    res = cli("export", "--case", case, "--what", "people", "--format", "csv", "-o", out)
    assert res.exit_code == 1
    assert "encrypted" in res.output
    wrong = tmp_path / "wrong.key"
    wrong.write_text("nope", encoding="utf-8")
    res = cli("export", "--case", case, "--what", "people", "--format", "csv", "-o", out,
              "--key-file", wrong)
    assert res.exit_code == 1
    assert "wrong key" in res.output and "nope" not in res.output


@pytest.mark.slow
def test_key_opens_it_from_file_or_environment(encrypted_case, tmp_path, cli, monkeypatch):
    case, key_file = encrypted_case
    out = tmp_path / "people.csv"
    res = cli("export", "--case", case, "--what", "people", "--format", "csv", "-o", out,
              "--key-file", key_file)
    assert res.exit_code == 0, res.output
    # From an encrypted case the export is written encrypted (an AES 7z opened by the key)...
    assert not out.exists()
    with py7zr.SevenZipFile(tmp_path / "people.csv.7z", password=Path(key_file).read_text(
            encoding="utf-8").strip()) as archive:
        archive.extractall(path=tmp_path / "opened")
    [person] = list(csv.DictReader((tmp_path / "opened" / "people.csv").open(encoding="utf-8")))
    assert person["nir"] == NIR
    # ... and in clear only when asked.
    res = cli("export", "--case", case, "--what", "people", "--format", "csv", "-o", out,
              "--key-file", key_file, "--plaintext-output")
    assert res.exit_code == 0, res.output
    [person] = list(csv.DictReader(out.open(encoding="utf-8")))
    assert person["nir"] == NIR
    monkeypatch.setenv("BREACHSCOPE_CASE_KEY", "correct horse battery staple")
    res = cli("report", "--case", case, "-o", tmp_path / "report")
    assert res.exit_code == 0, res.output


def test_the_linkage_spills_encrypted_for_an_encrypted_case(tmp_path):
    """Splink runs in a DuckDB connection of its own: for an encrypted case, what it spills
    (names, NIRs, birth dates) is encrypted too, and it spills inside the case."""
    from breachscope.case import Case
    from breachscope.resolve.linkage import splink_connection
    for key, expected in (("correct horse battery staple", True), (None, False)):
        with Case(tmp_path / f"case-{expected}", key=key) as case:
            con = splink_connection(case.db)
            try:
                setting, spill = con.execute(
                    "SELECT current_setting('temp_file_encryption'), "
                    "current_setting('temp_directory')").fetchone()
            finally:
                con.close()
        assert str(setting).lower() == str(expected).lower()
        assert spill.startswith(str(tmp_path / f"case-{expected}"))


def _files_holding(directory, needles: list[bytes]) -> list[str]:
    """Every file under ``directory`` whose bytes contain one of ``needles`` in clear."""
    found = []
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            if any(needle in data for needle in needles):
                found.append(str(path.relative_to(directory)))
    return found


@pytest.mark.slow
def test_an_encrypted_case_holds_no_identifier_in_clear_during_and_after_a_scan(
        tmp_path, monkeypatch):
    """The workers' result files (every NIR, name, e-mail found) are sealed with a key of the
    scan (issue 12: Parquet batches in clear beside the encrypted store); what a killed run
    left in the work area is removed before anything else."""
    import breachscope.pipeline as pipeline
    from breachscope.case import Case

    email = "marie.dupont@exemple.fr"
    dump = tmp_path / "dump"
    dump.mkdir()
    rows = [f"DUPONT;Marie;{NIR};{email}"] + [
        f"MARTIN{i};Paul;1850{i % 10}7512345{i % 100:02d};p{i}@exemple.fr" for i in range(200)]
    (dump / "list.csv").write_text("Nom;Prénom;N° Sécu;Mail\n" + "\n".join(rows) + "\n",
                                   encoding="utf-8")
    needles = [NIR.encode(), email.encode(), NIR.encode("utf-16-le"), b"DUPONT"]
    case_dir = tmp_path / "case"
    leftover = case_dir / "work" / "results" / "123-0-findings.parquet"
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(b"PAR1 left by a killed run: " + NIR.encode())
    seen: list[tuple[list[str], list[str]]] = []
    real = pipeline.store_result

    def checking_store(case, entry, result, run_id, **kwargs):
        # The moment the result files are on disk: the main process is about to read them.
        on_disk = [p for p in (result.findings_file, result.records_file) if p]
        seen.append((on_disk, _files_holding(case_dir, needles)))
        return real(case, entry, result, run_id, **kwargs)

    monkeypatch.setattr(pipeline, "store_result", checking_store)
    with Case(case_dir, key="correct horse battery staple") as case:
        pipeline.scan([dump], case, workers=1)
        assert case.db.execute(
            "SELECT count(*) FROM findings WHERE value = ?", [NIR]).fetchone()[0] == 1
    [(on_disk, in_clear)] = seen
    assert len(on_disk) == 2 and all(p.endswith(".sealed") for p in on_disk)
    assert in_clear == []
    assert not leftover.exists()
    assert _files_holding(case_dir, needles) == []
