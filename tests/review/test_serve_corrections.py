"""The corrections the person page offers, through the server's forms (in process): each
recorded with the reviewer's name, applied at once (the page and the figures show it), and
undone from the audit page."""

from __future__ import annotations

import re
import shutil

import pytest
from fastapi.testclient import TestClient
from serve_helpers import scan, write_leak

from breachscope.case import Case
from breachscope.review import decisions
from breachscope.review.app import create_app

TOKEN = "t"


@pytest.fixture(scope="module")
def small_case(tmp_path_factory):
    work = tmp_path_factory.mktemp("serve_corr")
    write_leak(work / "leak")
    scan(work / "leak", work / "case")
    return work / "case"


@pytest.fixture()
def session(small_case, tmp_path):
    shutil.copytree(small_case, tmp_path / "case")
    with Case(tmp_path / "case", create=False) as case:
        client = TestClient(create_app(case, token=TOKEN), base_url="http://127.0.0.1:1")
        page = client.get(f"/?token={TOKEN}", follow_redirects=True)
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        client.post("/reviewer", data={"csrf": csrf, "reviewer": "Chloé R."})
        yield client, csrf, case


def pid_of(client: TestClient, name: str) -> str:
    ids = re.findall(r'href="/person/(P\w+)"', client.get(f"/people?name={name}").text)
    assert len(ids) == 1, ids
    return ids[0]


def decide(client, csrf, pid, **data):
    return client.post(f"/person/{pid}/decide", data={"csrf": csrf, **data},
                       follow_redirects=True)


def figure(client, fig: str) -> int:
    return int(re.search(rf'id="{fig}">(?:<a [^>]*>)?(\d+)', client.get("/").text).group(1))


def test_set_role_and_sensitive(session):
    client, csrf, case = session
    pid = pid_of(client, "durand")
    page = decide(client, csrf, pid, kind="set_role", role="STAFF", reason="badge")
    assert re.search(r'id="role">STAFF<', page.text)
    page = decide(client, csrf, pid_of(client, "durand"), kind="sensitive_confirm")
    assert 'id="sensitive">yes<' in page.text
    martin = pid_of(client, "martin")  # flagged by the psychiatry unit
    sensitive = figure(client, "fig-sensitive")
    page = decide(client, csrf, martin, kind="sensitive_clear", reason="unit mislabelled")
    assert 'id="sensitive">no<' in page.text
    assert figure(client, "fig-sensitive") == sensitive - 1
    rows = decisions.list_decisions(case)
    assert [d.kind for d in rows] == ["set_role", "sensitive_confirm", "sensitive_clear"]
    assert {d.reviewer for d in rows} == {"Chloé R."}
    assert rows[0].value == "STAFF" and rows[0].reason == "badge"


def test_merge_then_undo(session):
    client, csrf, _case = session
    people = figure(client, "fig-people")
    a, b = pid_of(client, "durand"), pid_of(client, "martin")
    # from a's page, the search offers a Merge button on b's row (and none on a's own)
    link = re.search(r'href="(/people\?merge_into=P\w+)"', client.get(f"/person/{a}").text)
    listing = client.get(link.group(1) + "&name=martin").text
    assert f'action="/person/{a}/decide"' in listing and f'name="other" value="{b}"' in listing
    own = client.get(link.group(1) + "&name=durand").text
    assert 'name="other"' not in own
    assert 'name="other"' not in client.get("/people?merge_into=<script>&name=martin").text
    page = decide(client, csrf, a, kind="merge", other=b, reason="same person")
    assert page.status_code == 200
    assert len(re.findall(r'<tr class="record">', page.text)) == 3
    assert figure(client, "fig-people") == people - 1
    audit = client.get("/audit").text
    assert "merge" in audit and "Chloé R." in audit
    (decision_id,) = re.findall(r'name="decision_id" value="(\d+)"', audit)
    client.post("/audit/undo", data={"csrf": csrf, "decision_id": decision_id})
    assert figure(client, "fig-people") == people
    audit = client.get("/audit").text
    assert "by Chloé R." in audit and 'name="decision_id"' not in audit  # undone, kept


def test_not_a_person_and_bad_requests(session):
    client, csrf, case = session
    people = figure(client, "fig-people")
    pid = pid_of(client, "durand")
    res = decide(client, csrf, pid, kind="split", record=[])
    assert res.status_code == 400  # nothing ticked
    res = decide(client, csrf, pid, kind="merge", other=pid)
    assert res.status_code == 400
    res = decide(client, csrf, pid, kind="false_positive", sha256="x", location="y",
                 entity="EMAIL", key="z")
    assert res.status_code == 400
    assert decisions.list_decisions(case) == []
    res = decide(client, csrf, pid, kind="not_a_person", reason="a test row")
    assert res.status_code == 200
    assert figure(client, "fig-people") == people - 1


def test_audit_export(session):
    client, csrf, _case = session
    decide(client, csrf, pid_of(client, "durand"), kind="set_role", role="PATIENT")
    res = client.get("/audit/export?fmt=csv")
    assert res.status_code == 200 and "attachment" in res.headers["content-disposition"]
    assert "set_role" in res.text and "Chloé R." in res.text
    assert client.get("/audit/export?fmt=xml").status_code == 400


def test_the_person_page_shows_the_linkage_pairs_and_their_weight(session):
    client, _csrf, case = session
    pid = pid_of(client, "DUPONT")
    records = [r for (r,) in case.db.execute(
        "SELECT record_id FROM person_records WHERE person_id = ? ORDER BY 1", [pid]).fetchall()]
    assert len(records) >= 2
    case.db.execute("DELETE FROM linkage_pairs")
    case.db.execute("INSERT INTO linkage_pairs VALUES (?, ?, 0.96875)", records[:2])
    page = client.get(f"/person/{pid}").text
    table = page[page.index('id="linkage-pairs"'):]
    assert records[0] in table and records[1] in table
    assert "0.9688" in table and "5.0" in table  # log2(0.96875 / 0.03125) = log2(31) = 4.95
