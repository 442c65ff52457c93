"""The review UI end to end in a real browser (Playwright driving Debian's Chromium) against
``breachscope serve`` running as its own process on a small scanned leak: the token is
enforced, a reviewer finds a person, marks a false positive, splits a merged pair, the
figures move; the server is stopped, the leak's next wave scanned, the server restarted, and
the corrections hold. The server's output never holds the token (beyond the one URL it
prints) nor an identifier."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from serve_helpers import NIR_DUPONT, WAVE2, scan, start_server, write_leak

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists() or shutil.which("chromium") is None,
                                reason="needs Debian's chromium")


@pytest.fixture()
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        try:
            yield b
        finally:
            b.close()


def figure(page, fig_id: str) -> int:
    return int(page.locator(f"#{fig_id}").inner_text().strip())


def login(page, server, reviewer: str = "Alice Martin-Reviewer") -> None:
    page.goto(server.url)
    # the token is traded for a cookie and dropped from the address
    assert "token" not in page.url
    if page.url.endswith("/reviewer"):
        page.get_by_label("Your name").fill(reviewer)
        with page.expect_navigation():
            page.get_by_label("Your name").press("Enter")
    page.wait_for_url(server.base + "/")


def test_review_in_a_browser(tmp_path, browser):
    leak, case, logs = tmp_path / "leak", tmp_path / "case", tmp_path / "logs"
    write_leak(leak)
    scan(leak, case)
    server = start_server(case, logs)
    outputs = []
    try:
        ctx = browser.new_context()
        page = ctx.new_page()
        # no token, no cookie: every page and asset refused
        for path in ("/", "/people", "/audit", "/static/style.css", "/?token=wrong"):
            assert page.goto(server.base + path).status == 401
        login(page, server)
        people_before = figure(page, "fig-people")
        findings_before = figure(page, "fig-findings")
        assert people_before == 3

        # the people list; then the hotline's search by NIR (a GET with the NIR in its URL:
        # it must not reach the server's log), then by name from the header's box
        with page.expect_navigation():
            page.get_by_role("link", name="People", exact=True).first.click()
        assert page.locator("#people tbody tr").count() == 3
        page.get_by_label("NIR").fill(NIR_DUPONT)
        with page.expect_navigation():
            page.get_by_role("button", name="Show").click()
        assert page.locator("#people tbody tr").count() == 1
        page.get_by_label("Find a person by name").fill("dupont")
        with page.expect_navigation():
            page.get_by_label("Find a person by name").press("Enter")
        rows = page.locator("#people tbody tr")
        assert rows.count() == 1
        with page.expect_navigation():
            rows.first.get_by_role("link").click()
        body = page.locator("main").inner_text()
        # masked by default; two records (patients.csv and rdv.csv) merged on shared keys
        assert "DUPONT" not in body and "D*****" in body
        assert NIR_DUPONT not in page.content()
        assert page.locator("#records tr.record").count() == 2
        assert "phone" in page.locator("#shared-keys").inner_text()
        # reveal: values in full, and the reveal is on the audit page
        with page.expect_navigation():
            page.get_by_role("button", name="Reveal full values (logged)").click()
        assert "DUPONT" in page.locator("#identity").inner_text()
        person_url = page.url.replace("/reveal", "")

        # a false positive: the e-mail finding of the patients.csv row
        page.goto(person_url)
        with page.expect_navigation():
            page.get_by_role(
                "button", name="Mark EMAIL at row 2, column email false positive").click()
        assert "Correction recorded" in page.locator("main").inner_text()
        page.goto(server.base + "/")
        assert figure(page, "fig-findings") == findings_before - 1

        # split the merged pair: rdv.csv's record leaves
        page.goto(server.base + "/people?name=dupont")
        with page.expect_navigation():
            page.locator("#people tbody tr").first.get_by_role("link").click()
        rdv_row = page.locator("#records tr.record", has_text="rdv.csv")
        rdv_row.get_by_role("checkbox").check()
        page.get_by_label("Why split").fill("another Marie Dupont")
        with page.expect_navigation():
            page.get_by_role(
                "button", name="Split the ticked records off into another person").click()
        assert page.locator("#records tr.record").count() == 1
        page.goto(server.base + "/")
        assert figure(page, "fig-people") == people_before + 1

        # the audit page: both decisions, by the reviewer, and the reveal
        with page.expect_navigation():
            page.get_by_role("link", name="Audit log", exact=True).click()
        audit = page.locator("#decisions").inner_text()
        assert "false positive" in audit and "split" in audit
        assert "Alice Martin-Reviewer" in audit
        assert "marie.dupont@orange.fr" not in page.content()  # the FP's value masked
        assert page.locator("#reveals tbody tr").count() == 1
        ctx.close()
    finally:
        outputs.append(server.stop())

    # the next wave of the leak, scanned while the server is stopped (DuckDB's lock)
    (leak / "wave2.csv").write_text(WAVE2, encoding="utf-8")
    scan(leak, case)
    server = start_server(case, logs)
    try:
        ctx = browser.new_context()
        page = ctx.new_page()
        # the old session died with the old server
        assert page.goto(server.base + "/people").status == 401
        login(page, server, reviewer="Bob")
        # one more person (the wave's), the split still holds, the false positive too
        assert figure(page, "fig-people") == people_before + 2
        page.goto(server.base + "/file?path=wave2.csv")
        wave_findings = int(re.search(r"Findings \((\d+)\)", page.locator("main").inner_text())
                            .group(1))
        assert wave_findings > 0
        page.goto(server.base + "/")
        assert figure(page, "fig-findings") == findings_before - 1 + wave_findings
        page.goto(server.base + "/people?name=dupont")
        assert page.locator("#people tbody tr").count() == 2
        for i in range(2):
            page.goto(server.base + "/people?name=dupont")
            with page.expect_navigation():
                page.locator("#people tbody tr").nth(i).get_by_role("link").click()
            assert page.locator("#records tr.record").count() == 1
            assert "EMAIL" not in page.locator("#records").inner_text()
        with page.expect_navigation():
            page.get_by_role("link", name="Audit log", exact=True).click()
        assert page.locator("#decisions tbody tr").count() == 2
        # the reveal of the first run is in the case's audit
        assert "Alice Martin-Reviewer" in page.locator("#reveals").inner_text()
        ctx.close()
    finally:
        outputs.append(server.stop())

    for out, err in outputs:
        tokens = re.findall(r"token=([\w-]+)", out + err)
        assert len(tokens) == 1, "the token is printed once, in the URL"
        assert tokens[0] not in err
        for secret in (NIR_DUPONT, "DUPONT", "dupont", "marie.dupont"):
            assert secret not in out + err


def test_encrypted_case_served_with_its_key(tmp_path, browser):
    """An encrypted case opens with --key-file; a wrong key stops the server before any
    token is printed."""
    from serve_helpers import cli

    leak, case, logs = tmp_path / "leak", tmp_path / "case", tmp_path / "logs"
    write_leak(leak)
    key = tmp_path / "case.key"
    key.write_text("correct horse battery staple\n", encoding="utf-8")
    res = cli("scan", str(leak), "--case", str(case), "--workers", "1", "--key-file", str(key))
    assert res.returncode == 0, res.stderr
    wrong = tmp_path / "wrong.key"
    wrong.write_text("not the key\n", encoding="utf-8")
    res = cli("serve", "--case", str(case), "--port", "0", "--key-file", str(wrong))
    assert res.returncode != 0 and "wrong key" in res.stderr and "token" not in res.stdout
    server = start_server(case, logs, "--key-file", str(key))
    try:
        page = browser.new_context().new_page()
        login(page, server)
        assert figure(page, "fig-people") == 3
        # by keyboard: the skip link first, then the links, each with a visible focus ring
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Skip to content"
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "breachscope review"
        assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
        page.goto(server.base + "/people?name=martin")
        with page.expect_navigation():
            page.locator("#people tbody tr").first.get_by_role("link").click()
        assert "psychiatry" in page.locator("#evidence").inner_text()
    finally:
        out, err = server.stop()
    assert "correct horse" not in out + err
