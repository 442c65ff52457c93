"""bench/throughput/floor: the bare load of a dump's tables (parse, one stored copy) measured
on the files pyarrow can split, beside breachscope's worker on the same files. No timing is
asserted: which files count, their cells and the report's arithmetic are."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.throughput import floor  # noqa: E402


@pytest.fixture()
def dump(tmp_path: Path) -> Path:
    exports = tmp_path / "dump" / "exports"
    exports.mkdir(parents=True)
    rows = "\n".join(f"{1000 + i};DUPONT{i};Jeanne;0{i % 9 + 1}/02/1980" for i in range(200))
    # a title line and a blank line before the header, as hospital exports have
    (exports / "patients.csv").write_text(
        "Extraction du 08/02/2024\n\nIPP;NOM;PRENOM;DDN\n" + rows + "\n", encoding="utf-8")
    (exports / "mouvements.csv").write_bytes(
        ("IPP,UF,LIBELLE\n" + "\n".join(f"{1000 + i},2051,Médecine gériatrique"
                                       for i in range(100)) + "\n").encode("cp1252"))
    (exports / "not_a_table.csv").write_bytes(b"no delimiter anywhere here\n")
    (tmp_path / "dump" / "letter.txt").write_text("not a CSV: never measured\n")
    return tmp_path / "dump"


def test_the_tables_pyarrow_can_split_are_measured(dump: Path) -> None:
    report = floor.measure(dump)
    assert report["files"] == 3 and report["files_parsed"] == 2
    parsed = [dump / "exports" / "patients.csv", dump / "exports" / "mouvements.csv"]
    assert report["mb"] == pytest.approx(sum(p.stat().st_size for p in parsed) / 1e6, abs=1e-3)
    # the title lines skipped, the header a row of strings like the others
    assert report["cells"] == 201 * 4 + 101 * 3
    assert report["worker_statuses"] == {"scanned": 2}
    assert report["store_file_mb"] > 0
    for step in ("parse", "store", "worker"):
        assert report[f"{step}_cpu_s"] >= 0
    if report["parse_cpu_s"] and report["store_cpu_s"]:
        # the report's CPU seconds are rounded to 0.01 each, its rate is not: on a tiny dump
        # the rate may lie anywhere the two roundings allow (0.005 s each way per step)
        load = report["parse_cpu_s"] + report["store_cpu_s"]
        slowest = 2 * report["mb"] / (load + 0.01)
        fastest = 2 * report["mb"] / max(load - 0.01, 1e-9)
        assert slowest - 0.006 <= report["bare_load_two_cores_mb_per_s"] <= fastest + 0.006


def test_a_limit_keeps_the_first_files(dump: Path) -> None:
    files = floor.table_files(dump, limit_mb=1e-6)
    assert files == [sorted((dump / "exports").glob("*.csv"))[0]]
    report = floor.measure(dump, limit_mb=1e-6, worker=False)
    assert report["files"] == 1 and "worker_cpu_s" not in report
