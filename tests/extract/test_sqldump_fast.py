"""The fast paths of the SQL dump reader (whole ``INSERT`` rows matched at once, ``COPY``
lines split a buffer at a time, column lists placed once per statement) give exactly the
units of the general tokenizer (``sqldump._FAST = False``): on random seeded dumps of every
dialect with escapes, doubled quotes, comments between rows, expressions, column lists, huge
values and lines, CRLF, cut statements; read through small buffers so that rows, strings and
lines straddle them."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from breachscope.extract import sqldump, stream
from breachscope.extract.sqldump import partition_sql
from breachscope.extract.units import ExtractionError

WORDS = ["ADAM", "Éléonore", "O'BRIEN", 'dit "le grand"', "a\\b", "x\ny", "tab\there", "",
         " lead", "NULL", "--", "/*", ");", "),(", "0x41", "😀", "\\N", "l'été"]


def _mysql_string(rng: random.Random, text: str, backslash: bool) -> str:
    if backslash:
        text = text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")
        text = text.replace("'", rng.choice(["\\'", "''"]))
        if rng.random() < 0.1:
            text += "\\0\\Z\\%"
    else:
        text = text.replace("'", "''")
    return f"'{text}'"


def _value(rng: random.Random, backslash: bool, huge: int) -> str:
    k = rng.random()
    if k < 0.25:
        return rng.choice(["0", "-1", "12", "1.5", "-2.5e3", ".5", "1e-3", "250037512345678",
                           "123."])
    if k < 0.32:
        return rng.choice(["NULL", "null", "DEFAULT"])
    if k < 0.4:
        return rng.choice(["_binary 'abc'", "0x4142", "X'4142'", "CONVERT('x' USING utf8)",
                           "'2020-01-02'::date", "-  7", "E'a\\nb'", "N'nom'", "b'101'",
                           "NOW()", "'a' 'b'"])
    if k < 0.43:
        return _mysql_string(rng, "v" * huge, backslash)
    text = rng.choice(WORDS) + rng.choice(["", str(rng.randint(0, 999))])
    return _mysql_string(rng, text, backslash)


def _insert(rng: random.Random, table: str, columns: list[str], backslash: bool,
            huge: int) -> str:
    head = rng.choice(["INSERT INTO", "INSERT IGNORE INTO", "REPLACE INTO", "insert into"])
    names = ""
    if rng.random() < 0.4:
        chosen = rng.sample(columns, rng.randint(1, len(columns)))
        if rng.random() < 0.2:
            chosen.append("extra")
        names = " (" + ", ".join(f"`{c}`" if backslash else c for c in chosen) + ")"
    rows = []
    for _ in range(rng.randint(1, 12)):
        width = len(columns) + rng.choice([0, 0, 0, 0, -1, 1])
        values = [_value(rng, backslash, huge) for _ in range(max(width, 1))]
        sep = rng.choice([",", ", ", " ,", ",\n"])
        rows.append("(" + sep.join(values) + ")")
    glue = rng.choice([",", ",\n", " , ", ",/* c */", ",\n-- c\n", ","])
    tail = rng.choice([";", ";", ";", " ON DUPLICATE KEY UPDATE a=1;", "", ";\n"])
    name = f"`{table}`" if backslash else f"public.{table}"
    return f"{head} {name}{names} VALUES {glue.join(rows)}{tail}\n"


def _copy(rng: random.Random, table: str, columns: list[str], huge: int) -> str:
    lines = [f"COPY public.{table} ({', '.join(columns)}) FROM stdin;"]
    for _ in range(rng.randint(0, 15)):
        fields = []
        for _ in range(len(columns) + rng.choice([0, 0, 0, -1, 1])):
            k = rng.random()
            if k < 0.1:
                fields.append("\\N")
            elif k < 0.15:
                fields.append("w" * huge)
            else:
                fields.append(rng.choice(["a\\tb", "\\\\x", "\\101\\x41", "plain", "é", "",
                                          "x\\ny", str(rng.randint(0, 10**6))]))
        lines.append("\t".join(fields))
    end = rng.choice(["\\.", "\\.", "\\.", ""])
    eol = rng.choice(["\n", "\n", "\r\n"])
    return eol.join(lines) + eol + end + ("\n" if end else "")


def _dump(rng: random.Random, dialect: str, huge: int) -> str:
    backslash = dialect == "mysql"
    parts = ["-- PostgreSQL database dump\n" if dialect == "pg" else "-- MySQL dump\n"]
    tables = {f"t{i}": ["id", "nom", "prenom", "nir"][: rng.randint(1, 4)] for i in range(3)}
    for table, columns in tables.items():
        if rng.random() < 0.8:
            body = ", ".join(f"{c} text" for c in columns)
            parts.append(f"CREATE TABLE {'`' + table + '`' if backslash else table} ({body});\n")
    for _ in range(rng.randint(1, 10)):
        table = rng.choice(list(tables))
        if dialect == "pg" and rng.random() < 0.5:
            parts.append(_copy(rng, table, tables[table], huge))
        else:
            parts.append(_insert(rng, table, tables[table], backslash, huge))
        if rng.random() < 0.2:
            parts.append(rng.choice(["/* a comment ; */\n", "-- note\n", "SET x = 1;\n",
                                     "LOCK TABLES `t0` WRITE;\n"]))
    text = "".join(parts)
    if rng.random() < 0.1:
        text = text[: rng.randrange(len(text))]  # cut anywhere
    return text


def _units(path: Path) -> tuple[list, str]:
    units = []
    try:
        for unit in partition_sql(path):
            units.append(repr(unit))
    except ExtractionError as exc:
        return units, str(exc)
    return units, ""


@pytest.mark.parametrize("dialect", ["mysql", "pg"])
def test_fast_paths_give_the_general_tokenizers_units(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dialect: str) -> None:
    monkeypatch.setattr(sqldump, "LOOKAHEAD", 97)
    monkeypatch.setattr(sqldump, "MAX_CELL", 150)
    rng = random.Random(f"issue-15-{dialect}")
    fast_rows = 0
    for i in range(300):
        monkeypatch.setattr(stream, "BLOCK_BYTES", rng.choice([61, 500, 4096, 1 << 20]))
        path = tmp_path / f"dump{i}.sql"
        path.write_text(_dump(rng, dialect, rng.choice([20, 120, 400])), encoding="utf-8")
        monkeypatch.setattr(sqldump, "_FAST", True)
        fast = _units(path)
        monkeypatch.setattr(sqldump, "_FAST", False)
        general = _units(path)
        assert fast == general, i
        fast_rows += sum(u.count("row_numbers=") for u in fast[0])
    assert fast_rows > 100


def test_fast_rows_are_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The plain rows of an INSERT go through the fast loop (not the general tokenizer)."""
    rows = ",".join(f"({i},'nom {i}',NULL)" for i in range(500))
    path = tmp_path / "d.sql"
    path.write_text(f"INSERT INTO `t` VALUES {rows};\n", encoding="utf-8")
    calls = 0
    general = sqldump._Dump.row_values

    def counted(self):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        return general(self)

    monkeypatch.setattr(sqldump._Dump, "row_values", counted)
    (table,) = list(partition_sql(path))
    assert table.rows[499] == ["499", "nom 499", ""]
    assert calls == 0
