"""Severity, categories and sensitive care: the Python rules (the documented reference) and
the SQL that assesses every person in DuckDB, checked against them."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections import defaultdict

import pyarrow as pa
import pytest

from breachscope.assess.categories import (
    CATEGORY_ORDER,
    ENTITY_CATEGORY,
    assess_people,
    record_categories,
    sensitive_unit_regex,
)
from breachscope.assess.sensitive import is_sensitive_unit
from breachscope.assess.severity import MANY_FILES, install_severity_macros, level, severity
from breachscope.case import Case, entities_text_sql
from breachscope.detect.model import entity_list
from breachscope.detect.validators import fold
from breachscope.resolve.people import install_fold_macro, rebuild_people


def test_levels_follow_enisa_thresholds():
    assert [level(x) for x in (1.75, 2.0, 2.99, 3.0, 4.0, 5.0)] == [
        "low", "medium", "medium", "high", "very high", "very high"]


def test_patient_in_psychiatry_is_very_high_and_staff_directory_low():
    full = dict(has_full_name=True, has_birth_date=True, has_nir=False, has_address=False,
                has_contact=True)
    assert severity({"IDENTITY", "HEALTH"}, True, **full) == (5.0, "very high")
    staff = dict(full, has_birth_date=False)
    assert severity({"IDENTITY", "CONTACT"}, False, **staff) == (1.75, "low")
    assert severity({"IDENTITY", "NATIONAL_ID"}, False, **full) == (3.0, "high")


def test_staff_service_is_not_health_but_patient_unit_is():
    assert "HEALTH" not in record_categories(["LAST_NAME", "CARE_UNIT"], "STAFF")
    assert "HEALTH" in record_categories(["LAST_NAME", "CARE_UNIT"], "PATIENT")
    assert record_categories(["NIR", "IBAN", "PHONE"], "UNKNOWN") == {
        "NATIONAL_ID", "FINANCIAL", "CONTACT"}


def test_sensitive_units():
    assert is_sensitive_unit("PSYCHIATRIE ADULTE")
    assert is_sensitive_unit("ADDICTOLOGIE")
    assert is_sensitive_unit("CEGIDD")
    assert not is_sensitive_unit("CARDIOLOGIE")
    assert not is_sensitive_unit("URGENCES")


# --------------------------------------------------------------------------- SQL = Python


@pytest.fixture()
def case(tmp_path):
    with Case(tmp_path / "case") as c:
        yield c


def test_sql_severity_agrees_with_python_on_every_combination(case):
    install_severity_macros(case.db)
    grid = []
    for n in range(len(CATEGORY_ORDER) + 1):
        for cats in itertools.combinations(CATEGORY_ORDER, n):
            for flags in itertools.product([False, True], repeat=8):
                grid.append((list(cats), *flags))
    assert len(grid) == 64 * 256
    rows = case.db.execute(
        """
        SELECT severity_score(c, s, f, b, n, a, k, m, v), severity_level(severity_score(c, s,
            f, b, n, a, k, m, v))
        FROM unnest(?) WITH ORDINALITY AS t(g, i),
            LATERAL (SELECT g.c AS c, g.s AS s, g.f AS f, g.b AS b, g.n AS n, g.a AS a,
                     g.k AS k, g.m AS m, g.v AS v)
        ORDER BY i
        """,
        [[dict(zip("csfbnakmv", g, strict=True)) for g in grid]],
    ).fetchall()
    for (cats, sens, full, birth, nir, address, contact, minor, many), got in zip(
            grid, rows, strict=True):
        expected = severity(set(cats), sens, has_full_name=full, has_birth_date=birth,
                            has_nir=nir, has_address=address, has_contact=contact,
                            minor=minor, many_files=many)
        assert got == expected, (cats, sens, full, birth, nir, address, contact, minor, many)


def test_minors_and_long_histories_raise_the_data_processing_context():
    full = dict(has_full_name=True, has_birth_date=True, has_nir=False, has_address=False,
                has_contact=False)
    # identity only: 1 × 1 + 1 = 2; a child: 2 × 1 + 1 = 3
    assert severity({"IDENTITY"}, False, **full) == (2.0, "medium")
    assert severity({"IDENTITY"}, False, minor=True, **full) == (3.0, "high")
    # health 3, a child in psychiatry capped at 4
    assert severity({"HEALTH"}, False, many_files=True, **full) == (5.0, "very high")
    assert severity({"HEALTH"}, True, minor=True, many_files=True, **full) == (5.0, "very high")


UNITS = [
    "Psychiatrie adulte", "PÉDOPSYCHIATRIE", "pedo-psy", "CMP Lille", "cmp", "CMPX", "XCMP",
    "CATTP", "Addictologie", "CSAPA", "csapa-nord", "CAARUD", "Alcoologie", "toxicomanie",
    "CeGIDD", "VIH", "sida", "IST", "istres", "consultation IST/VIH", "Orthogénie", "IVG",
    "ivg_2", "Planning familial", "planning-familial", "Génétique", "Santé sexuelle",
    "sante-sexuelle", "Cardiologie", "Urgences", "Médecine interne", "", "CMP2", "2CMP",
    "CMP_", "CMPé", "éCMP", "CMPЖ", "Ж IST Ж", "VIH’", "l'IVG", "(CEGIDD)", "CSAPA\tB",
]


def test_sql_sensitive_regex_agrees_with_python(case):
    install_fold_macro(case.db)
    got = [r[0] for r in case.db.execute(
        "SELECT regexp_matches(fold(u), ?) FROM unnest(?) WITH ORDINALITY AS t(u, i) "
        "ORDER BY i", [sensitive_unit_regex(), UNITS]).fetchall()]
    expected = [is_sensitive_unit(fold(u)) for u in UNITS]
    assert got == expected
    assert sum(expected) > 20


_RECORD_FIELDS = {
    "record_id": pa.string(), "last_name": pa.string(), "first_name": pa.string(),
    "birth_date": pa.string(), "nir": pa.string(), "phones": pa.list_(pa.string()),
    "emails": pa.list_(pa.string()), "address": pa.string(), "care_unit": pa.string(),
    "role_hint": pa.string(), "entities": pa.list_(pa.string()), "sha256": pa.string(),
}


def _random_records(seed: int, n: int) -> list[dict]:
    rng = random.Random(seed)
    entities = [*ENTITY_CATEGORY, "UNMAPPED"]
    return [{
        "record_id": f"r{i:05d}",
        "last_name": rng.choice(["Martin", "Petit", "Durand", "", None]),
        "first_name": rng.choice(["Jean", "Zoé", "", None]),
        "birth_date": rng.choice(["1950-01-01", "2019-05-05", "", None]),
        "nir": rng.choice(["150017512345611", None, None, None]),
        "phones": rng.choice([["+33100000001"], [], None]),
        "emails": rng.choice([["a@x.fr"], [], None]),
        "address": rng.choice(["1 rue de la Paix", "", None]),
        "care_unit": rng.choice(UNITS + [None] * 10),
        "role_hint": rng.choice(["PATIENT", "STAFF", "UNKNOWN", None]),
        "entities": rng.sample(entities, rng.randrange(0, 6)) if rng.random() < 0.95 else None,
        "sha256": f"f{rng.randrange(8)}",
    } for i in range(n)]


_TODAY = dt.date.today()
_EIGHTEEN_YEARS_AGO = dt.date(_TODAY.year - 18, _TODAY.month, min(_TODAY.day, 28))


def _reference_assessment(db) -> dict[str, tuple]:
    """The former Python loop of assess_people, over the people the case resolved."""
    cats, sensitive, address = defaultdict(set), defaultdict(bool), defaultdict(bool)
    files = defaultdict(set)
    for pid, entities, role_hint, unit, addr, sha in db.execute(
        "SELECT pr.person_id, r.entities, r.role_hint, r.care_unit, r.address, r.sha256 "
        "FROM person_records pr JOIN records r USING (record_id)"
    ).fetchall():
        files[pid].add(sha)
        cats[pid] |= record_categories(entity_list(entities) or [], role_hint)
        if unit and role_hint != "STAFF" and is_sensitive_unit(fold(unit)):
            sensitive[pid] = True
        address[pid] |= bool(addr)
    out = {}
    for pid, last, first, birth, nir, phones, emails in db.execute(
        "SELECT person_id, last_name, first_name, birth_date, nir, phones, emails FROM people"
    ).fetchall():
        score, lvl = severity(
            cats[pid], sensitive[pid], has_full_name=bool(last and first),
            has_birth_date=bool(birth), has_nir=bool(nir), has_address=address[pid],
            has_contact=bool(phones or emails),
            minor=bool(birth) and dt.date.fromisoformat(birth) > _EIGHTEEN_YEARS_AGO,
            many_files=len(files[pid]) >= MANY_FILES)
        out[pid] = ([c for c in CATEGORY_ORDER if c in cats[pid]], sensitive[pid], lvl, score)
    return out


@pytest.mark.slow
def test_assess_people_in_sql_matches_the_python_rules(case):
    records = _random_records(4, 2000)
    table = pa.table({k: pa.array([r[k] for r in records], t)
                      for k, t in _RECORD_FIELDS.items()})
    case.db.register("new_records", table)
    case.db.execute(f"INSERT INTO records ({', '.join(_RECORD_FIELDS)}) "
                    f"SELECT * REPLACE ({entities_text_sql('entities')} AS entities) "
                    "FROM new_records")
    case.db.unregister("new_records")
    assert rebuild_people(case) > 100
    assess_people(case)
    got = {r[0]: tuple(r[1:]) for r in case.db.execute(
        "SELECT person_id, categories, sensitive, severity, severity_score FROM people"
    ).fetchall()}
    expected = _reference_assessment(case.db)
    assert got == expected
    levels = {v[2] for v in got.values()}
    assert len(levels) >= 3
    assert any(v[1] for v in got.values()) and not all(v[1] for v in got.values())
    # minors and long histories are among them
    adjusted = case.db.execute(
        "SELECT count(*) FILTER (WHERE birth_date = '2019-05-05'), "
        "count(*) FILTER (WHERE person_id IN (SELECT person_id FROM person_records "
        "JOIN records USING (record_id) GROUP BY 1 HAVING count(DISTINCT sha256) >= 5)) "
        "FROM people").fetchone()
    assert min(adjusted) > 0
