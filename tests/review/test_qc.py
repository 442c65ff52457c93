"""Quality control by sampling: the Wilson interval against known values, draws over a real
scanned case (reproducible, no repeats, archives left out), verdicts, the stored estimate,
and the CLI."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from breachscope.case import Case
from breachscope.pipeline import scan
from breachscope.review.qc import (
    QcError,
    draw_sample,
    estimate,
    list_items,
    mark_item,
    stored_estimate,
    wilson_interval,
)

PATIENTS = """nom;prenom;date_naissance;telephone
DUPONT;Marie;1980-03-12;0612345678
MARTIN;Paul;1971-07-01;0698765432
BERNARD;Luc;1990-05-05;0611111111
"""
UNITS = """code_uf;libelle_uf;pole
1001;Cardiologie;Medecine
1002;Pneumologie;Medecine
2001;Chirurgie digestive;Chirurgie
"""
NOTHING = "Compte rendu de la réunion du comité des menus : le jeudi, poisson.\n"


def test_wilson_interval_known_values() -> None:
    # 3 of 50: Wilson 95 % [0.0206, 0.1622] (Newcombe 1998 / any statistics package)
    low, high = wilson_interval(3, 50)
    assert (round(low, 4), round(high, 4)) == (0.0206, 0.1622)
    low, high = wilson_interval(0, 50)
    assert low == 0.0 and round(high, 4) == 0.0713
    low, high = wilson_interval(50, 50)
    assert round(low, 4) == 0.9287 and high == pytest.approx(1.0)


@pytest.fixture()
def case(tmp_path: Path):
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "patients.csv").write_text(PATIENTS, encoding="utf-8")
    (dump / "unites.csv").write_text(UNITS, encoding="utf-8")
    for i in range(3):
        (dump / f"menu_{i}.txt").write_text(NOTHING + f"semaine {i}\n", encoding="utf-8")
    with zipfile.ZipFile(dump / "old.zip", "w") as zf:
        zf.writestr("menu_z.txt", NOTHING + "semaine z\n")
    store = Case(tmp_path / "case")
    store.set_linkage("exact")
    scan([dump], store, workers=1)
    yield store
    store.close()


def test_draws_marks_and_estimate(case: Case) -> None:
    n_findings = case.db.execute("SELECT count(*) FROM findings").fetchone()[0]
    assert n_findings >= 8
    assert draw_sample(case, 3, seed=42) == (1, 3, 3, 3)
    first = [(i.stratum, i.path, i.location) for i in list_items(case)]
    # the same seed draws the same items
    case.db.execute("DELETE FROM qc_samples")
    draw_sample(case, 3, seed=42)
    assert [(i.stratum, i.path, i.location) for i in list_items(case)] == first
    # a second draw adds only items not drawn before; the archive itself is never an item
    draw_sample(case, 10, seed=7)
    items = list_items(case)
    files = sorted(i.path for i in items if i.stratum == "nothing_found")
    assert files == ["menu_0.txt", "menu_1.txt", "menu_2.txt", "old.zip!/menu_z.txt"]
    found = [(i.sha256, i.location, i.entity) for i in items if i.stratum == "found"]
    assert len(found) == len(set(found)) == min(13, n_findings)
    assert all(i.kind == "finding" and i.entity for i in items if i.stratum == "found")
    # the unit table's rows: read, attributed to no one
    rows = sorted((i.path, i.location) for i in items if i.stratum == "unattributed_rows")
    assert rows == [("unites.csv", f"row {n}") for n in (2, 3, 4)]

    nothing = [i for i in items if i.stratum == "nothing_found"]
    mark_item(case, nothing[0].item_id, "missed", reviewer="dpo")
    for i in nothing[1:]:
        mark_item(case, i.item_id, "ok", reviewer="dpo")
    found_items = [i for i in items if i.stratum == "found"]
    mark_item(case, found_items[0].item_id, "false-positive", reviewer="dpo")
    mark_item(case, found_items[1].item_id, "ok", reviewer="dpo")
    unattributed = [i for i in items if i.stratum == "unattributed_rows"]
    mark_item(case, unattributed[0].item_id, "ok", reviewer="dpo")
    with pytest.raises(QcError, match="missed"):
        mark_item(case, nothing[0].item_id, "false_positive", reviewer="dpo")
    with pytest.raises(QcError, match="reviewer"):
        mark_item(case, nothing[0].item_id, "ok", reviewer="")
    with pytest.raises(QcError, match="no QC item"):
        mark_item(case, 9999, "ok", reviewer="dpo")

    result = estimate(case)
    assert (result.miss_rate.k, result.miss_rate.n) == (1, 4)
    assert (result.false_positive_rate.k, result.false_positive_rate.n) == (1, 2)
    assert (result.row_miss_rate.k, result.row_miss_rate.n) == (0, 1)
    assert result.population == {"nothing_found": 4, "unattributed_rows": 3,
                                 "found": n_findings}
    stored = stored_estimate(case)
    assert stored["miss_rate"]["k"] == 1 and stored["miss_rate"]["n"] == 4
    low, high = wilson_interval(1, 4)
    assert stored["miss_rate"]["low"] == pytest.approx(low)
    assert stored["miss_rate"]["high"] == pytest.approx(high)
    assert stored["false_positive_rate"]["estimate"] == 0.5
    assert stored["reviewed_at"].endswith("Z")
    # a later verdict replaces the earlier one
    mark_item(case, nothing[0].item_id, "ok", reviewer="dpo2")
    assert estimate(case).miss_rate.k == 0


def test_qc_command(case: Case, cli) -> None:
    directory = case.dir
    case.close()
    result = cli("qc", "--case", directory, "--draw", "2", "--seed", "5")
    assert result.exit_code == 0, result.output
    assert ("draw 1: 2 contents where nothing was found, 2 table rows attributed to no one, "
            "2 findings") in result.output
    assert "miss rate (nothing found, 4 contents): no item marked yet" in result.output
    result = cli("qc", "--case", directory, "--mark", "1", "missed", "--reviewer", "dpo")
    assert result.exit_code == 0, result.output
    assert "1/1 = 100.0 % (95 % Wilson interval 20.7-100.0 %)" in result.output
    result = cli("qc", "--case", directory, "--mark", "1", "missed")
    assert result.exit_code == 2
    result = cli("qc", "--case", directory, "--mark", "3", "missed", "--reviewer", "dpo")
    assert result.exit_code == 2 and "false_positive" in result.output
    result = cli("qc", "--case", directory, "--mark", "5", "ok", "--reviewer", "dpo")
    assert "miss rate (table rows attributed to no one, 3): 0/1 = 0.0 %" in result.output
    with Case(directory, create=False) as store:
        meta = json.loads(store.db.execute(
            "SELECT value FROM meta WHERE key = 'qc_estimate'").fetchone()[0])
    assert meta["miss_rate"]["k"] == 1 and meta["false_positive_rate"]["n"] == 0
    assert meta["row_miss_rate"]["n"] == 1
