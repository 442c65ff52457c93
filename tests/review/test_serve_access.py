"""The review server's access rules, pages and pagination, in process (Starlette's test
client): every page needs the session the token opens, forms need their CSRF token, a
foreign Host is refused, identifiers are masked, the people list pages in SQL."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from serve_helpers import NIR_DUPONT, cli, scan, write_leak

from breachscope.case import Case
from breachscope.review.app import ServeError, check_host, create_app

BASE = "http://127.0.0.1:8765"
TOKEN = "t0ken-for-tests"


@pytest.fixture(scope="module")
def small_case(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("serve_access")
    write_leak(work / "leak")
    scan(work / "leak", work / "case")
    return work / "case"


@pytest.fixture()
def client(small_case, tmp_path):
    import shutil

    case_dir = tmp_path / "case"
    shutil.copytree(small_case, case_dir)
    with Case(case_dir, create=False) as case:
        yield TestClient(create_app(case, token=TOKEN), base_url=BASE)


def logged_in(client: TestClient, reviewer: str = "Alice") -> str:
    """Open a session with the token, give a reviewer name; the session's CSRF token."""
    page = client.get(f"/?token={TOKEN}", follow_redirects=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    client.post("/reviewer", data={"csrf": csrf, "reviewer": reviewer})
    return csrf


PAGES = ["/", "/people", "/people?nir=" + NIR_DUPONT, "/person/Pxyz", "/files",
         "/file?path=patients.csv", "/audit", "/audit/export?fmt=csv", "/reviewer", "/qc",
         "/static/style.css", "/nothing-here"]


def test_every_page_needs_the_session(client):
    for path in PAGES:
        assert client.get(path).status_code == 401, path
    for path in ("/reviewer", "/person/Pxyz/decide", "/person/Pxyz/reveal", "/audit/undo",
                 "/qc/draw", "/qc/mark"):
        assert client.post(path, data={"csrf": "x"}).status_code == 401, path
    # a wrong token opens nothing
    res = client.get("/?token=not-the-token", follow_redirects=False)
    assert res.status_code == 401 and "set-cookie" not in res.headers
    assert client.get("/people").status_code == 401


def test_token_opens_a_strict_httponly_session_and_leaves_the_url(client):
    res = client.get(f"/?token={TOKEN}", follow_redirects=False)
    assert res.status_code == 303 and res.headers["location"] == "/"
    cookie = res.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and TOKEN not in cookie
    # the reviewer's name is asked before anything else
    res = client.get("/people", follow_redirects=False)
    assert res.status_code == 303 and res.headers["location"] == "/reviewer"
    assert client.get("/static/style.css").status_code == 200
    csrf = logged_in(client)
    assert client.get("/people").status_code == 200
    assert "Reviewer: <strong>Alice</strong>" in client.get("/").text
    # a name is text, never markup
    client.post("/reviewer", data={"csrf": csrf, "reviewer": "<script>alert(1)</script>"})
    page = client.get("/").text
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_forms_need_the_csrf_token(client):
    logged_in(client)
    pid = re.findall(r"/person/(P\w+)", client.get("/people?name=dupont").text)[0]
    for data in ({}, {"csrf": "forged"}):
        res = client.post(f"/person/{pid}/decide", data={**data, "kind": "not_a_person"})
        assert res.status_code == 403
    assert "No decisions yet" in client.get("/audit").text
    assert client.get(f"/person/{pid}").status_code == 200  # still there


def test_foreign_host_refused(client):
    """A page of another site whose name points at 127.0.0.1 (DNS rebinding) gets nothing,
    even with the token."""
    other = TestClient(client.app, base_url="http://attacker.example:8765")
    assert other.get(f"/?token={TOKEN}").status_code == 421
    assert TestClient(client.app, base_url="http://localhost:8765").get("/").status_code == 401


def test_values_masked_until_revealed(client):
    csrf = logged_in(client)
    people = client.get("/people").text
    assert "DUPONT" not in people and "D***** M****" in people
    pid = re.findall(r"/person/(P\w+)", client.get("/people?name=dupont").text)[0]
    page = client.get(f"/person/{pid}").text
    for value in ("DUPONT", NIR_DUPONT, "marie.dupont@orange.fr", "+33612345678"):
        assert value not in page
    revealed = client.post(f"/person/{pid}/reveal", data={"csrf": csrf}).text
    assert "DUPONT" in revealed and NIR_DUPONT in revealed
    audit = client.get("/audit").text
    assert re.search(rf"<td>Alice</td><td><a href=\"/person/{pid}\">", audit)
    export = client.get("/audit/export?fmt=jsonl").text
    assert '"kind": "reveal"' in export and pid in export


def test_search_forms(client):
    logged_in(client)
    ids = {
        q: re.findall(r'href="/person/(P\w+)"', client.get(f"/people?{q}").text)
        for q in (f"nir={NIR_DUPONT}", "phone=06 12 34 56 78", "email=MARIE.DUPONT@orange.fr",
                  "name=DUPONT+Marie&birth_date=12/03/1954", "name=martin")}
    assert all(len(v) == 1 for v in ids.values()), ids
    assert len({v[0] for k, v in ids.items() if k != "name=martin"}) == 1
    bad = client.get("/people?nir=123")
    assert bad.status_code == 200 and "not a valid NIR" in bad.text and "0 people" in bad.text


def test_file_page(client):
    logged_in(client)
    page = client.get("/file?path=patients.csv").text
    assert 'id="status">scanned' in page and "People (3)" in page
    assert "DUPONT" not in page
    assert client.get("/file?path=missing.csv").status_code == 404


def test_people_pages_in_sql(tmp_path):
    """120 people: pages of 50 by keyset, every person once; filters narrow in SQL."""
    with Case(tmp_path / "case") as case:
        case.db.execute(
            "INSERT INTO people (person_id, role, last_name, first_name, categories, "
            "sensitive, severity) SELECT 'P' || lpad(i::VARCHAR, 4, '0'), "
            "CASE WHEN i % 3 = 0 THEN 'STAFF' ELSE 'PATIENT' END, 'NOM' || i, 'Prenom', "
            "['IDENTITY'], i % 10 = 0, 'low' FROM range(120) t(i)")
        client = TestClient(create_app(case, token=TOKEN), base_url=BASE)
        logged_in(client)
        seen: list[str] = []
        url = "/people"
        while url:
            page = client.get(url).text
            rows = re.findall(r'<td><a href="/person/(P\d+)">', page)
            assert len(rows) <= 50
            seen += rows
            nxt = re.search(r'<a href="(/people\?[^"]*after=[^"]+)" rel="next">', page)
            url = nxt.group(1).replace("&amp;", "&") if nxt else ""
        assert seen == sorted(seen) and len(seen) == len(set(seen)) == 120
        staff = client.get("/people?role=STAFF&sensitive=yes").text
        assert "4 people, showing 4" in staff
        assert len(re.findall(r'<td><a href="/person/(P\d+)">', staff)) == 4


def test_non_loopback_refused():
    for host in ("127.0.0.1", "::1", "localhost", "127.0.0.2"):
        check_host(host, allow_remote=False)
    for host in ("0.0.0.0", "192.168.1.10", "::", "example.org"):
        with pytest.raises(ServeError):
            check_host(host, allow_remote=False)
        check_host(host, allow_remote=True)


def test_cli_refuses_non_loopback(small_case):
    res = cli("serve", "--case", str(small_case), "--host", "0.0.0.0", "--port", "0")
    assert res.returncode == 2
    assert "refusing to listen on 0.0.0.0" in res.stderr and "--allow-remote" in res.stderr
    assert "token" not in res.stdout
