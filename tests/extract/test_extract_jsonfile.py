import json
from pathlib import Path

import pytest

from breachscope.extract.jsonfile import MAX_DEPTH, partition_json
from breachscope.extract.units import ExtractionError, TableUnit, TextUnit

PATIENTS = {
    "export": {"date": "2024-02-12", "etablissement": "CH Exemple"},
    "patients": [
        {
            "nom": "LEFÈVRE",
            "prenom": "Hélène",
            "date_naissance": "1950-03-12",
            "contact": {"tel": "0612345678", "emails": ["h.lefevre@example.fr", "hl@example.fr"]},
            "sejours": [
                {"date": "2024-01-03", "unite": "Psychiatrie adulte"},
                {"date": "2024-02-01", "unite": "Cardiologie", "actes": [{"code": "DEQP003"}]},
            ],
        },
        {
            "nom": "MARTIN",
            "prenom": "Paul",
            "date_naissance": "1960-02-01",
            "nir": 160020212345678,
            "sejours": [{"date": "2023-11-20", "unite": "Urgences"}],
            "compte_rendu": "Patient vu aux urgences.\nDouleur thoracique.",
        },
    ],
    "note": "Extraction réalisée par le DIM pour audit. " * 10,
}


def _tables(units: list) -> dict[str, TableUnit]:
    return {u.name: u for u in units if isinstance(u, TableUnit)}


def test_nested_patients_and_stays(tmp_path: Path) -> None:
    path = tmp_path / "patients.json"
    path.write_text(json.dumps(PATIENTS, ensure_ascii=False), encoding="utf-8")
    units = list(partition_json(path))
    tables = _tables(units)

    patients = tables["table patients"]
    assert patients.header[:5] == ["nom", "prenom", "date_naissance", "contact.tel",
                                   "contact.emails"]
    assert patients.row_numbers == [1, 2]
    row = dict(zip(patients.header, patients.rows[1], strict=True))
    assert row["nir"] == "160020212345678"
    assert row["contact.tel"] == ""
    assert row["compte_rendu"] == "Patient vu aux urgences.\nDouleur thoracique."
    first = dict(zip(patients.header, patients.rows[0], strict=True))
    assert first["contact.emails"] == "h.lefevre@example.fr; hl@example.fr"

    stays = tables["table patients.sejours"]
    assert stays.header[:3] == ["nom", "prenom", "date_naissance"]
    assert "sejours.date" in stays.header and "sejours.unite" in stays.header
    records = [dict(zip(stays.header, r, strict=True)) for r in stays.rows]
    assert [(r["nom"], r["sejours.date"], r["sejours.unite"]) for r in records] == [
        ("LEFÈVRE", "2024-01-03", "Psychiatrie adulte"),
        ("LEFÈVRE", "2024-02-01", "Cardiologie"),
        ("MARTIN", "2023-11-20", "Urgences"),
    ]
    assert stays.row_numbers == ['1.1', '1.2', '2.1']  # stay 2 of patient 1 is '1.2'

    acts = tables["table patients.sejours.actes"]
    act = dict(zip(acts.header, acts.rows[0], strict=True))
    assert (act["nom"], act["sejours.date"], act["sejours.actes.code"]) == (
        "LEFÈVRE", "2024-02-01", "DEQP003")

    header = tables["object $"]
    assert header.header == ["export.date", "export.etablissement"]
    assert header.rows == [["2024-02-12", "CH Exemple"]]

    texts = {u.name: u for u in units if isinstance(u, TextUnit)}
    assert texts["note"].text.startswith("Extraction réalisée")


def test_top_level_list(tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    path.write_text(json.dumps([{"nom": "A", "sejours": [{"unite": "X"}]}, {"nom": "B"}]))
    tables = _tables(list(partition_json(path)))
    assert tables["table $"].rows == [["A"], ["B"]]
    assert tables["table sejours"].header == ["nom", "sejours.unite"]
    assert tables["table sejours"].rows == [["A", "X"]]


def test_ndjson(tmp_path: Path) -> None:
    path = tmp_path / "events.ndjson"
    lines = [
        {"ipp": "000123", "patient": {"nom": "DURAND"}, "ok": True, "score": 1.5},
        {"ipp": "000124", "patient": {"nom": "PETIT"}, "ok": False, "score": 2.0, "x": None},
    ]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n\n", encoding="utf-8")
    (table,) = _tables(list(partition_json(path))).values()
    assert table.name == "table records"
    assert table.header == ["ipp", "ok", "score", "patient.nom", "x"]
    assert table.rows == [["000123", "true", "1.5", "DURAND", ""],
                          ["000124", "false", "2", "PETIT", ""]]
    assert table.row_numbers == [1, 2]


def test_invalid_json_reason_has_line_not_content(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{\n  "nom": "DUPONT",\n  "nir": 1850275123456\n  "x": 1\n}')
    with pytest.raises(ExtractionError) as info:
        list(partition_json(path))
    assert str(info.value) == "invalid JSON at line 4"


def test_invalid_ndjson_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.ndjson"
    path.write_text('{"a": 1}\n{"a": 2}\n{"a": DUPONT}\n')
    with pytest.raises(ExtractionError, match=r"^invalid JSON at line 3$"):
        list(partition_json(path))


def test_deep_nesting_is_guarded(tmp_path: Path) -> None:
    deep: dict = {"nir": "185027512345678"}
    for i in range(MAX_DEPTH * 3):
        deep = {"n": deep, "v": str(i)}
    path = tmp_path / "deep.json"
    path.write_text(json.dumps([deep]))
    units = list(partition_json(path))
    skipped = [u for u in units if isinstance(u, TextUnit) and "nested too deep" in u.name]
    assert skipped and "185027512345678" in skipped[0].text

    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ExtractionError, match="nested too deeply"):
        list(partition_json(path))
