"""The quality-control page: draw a sample, judge items with the reviewer's name, read the
estimated rates; the estimate is stored in the case for the report."""

from __future__ import annotations

import re
import zipfile

from fastapi.testclient import TestClient
from serve_helpers import scan, write_leak

from breachscope.case import Case
from breachscope.review import qc
from breachscope.review.app import create_app


def test_qc_page(tmp_path):
    leak = tmp_path / "leak"
    write_leak(leak)
    (leak / "lisezmoi.txt").write_text("Rien de personnel ici : consignes de sauvegarde.\n",
                                       encoding="utf-8")
    with zipfile.ZipFile(leak / "sauvegarde.zip", "w") as z:  # its member: the same text
        z.writestr("docs/lisezmoi.txt", "Rien de personnel ici : consignes de sauvegarde.\n")
    scan(leak, tmp_path / "case")
    with Case(tmp_path / "case", create=False) as case:
        client = TestClient(create_app(case, token="t"), base_url="http://127.0.0.1:1")
        page = client.get("/?token=t", follow_redirects=True)
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        client.post("/reviewer", data={"csrf": csrf, "reviewer": "Q. Reviewer"})
        assert "Nothing to judge" in client.get("/qc").text
        assert "no sample judged yet" in client.get("/").text
        archive = client.get("/file?path=sauvegarde.zip").text
        assert "Members (1)" in archive and "sauvegarde.zip!/docs/lisezmoi.txt" in archive
        assert client.post("/qc/draw", data={"csrf": csrf, "n": "0"}).status_code == 400
        client.post("/qc/draw", data={"csrf": csrf, "n": "4"})
        page = client.get("/qc").text
        items = re.findall(r'name="item_id" value="(\d+)"><input type="hidden" '
                           r'name="verdict" value="(\w+)">', page)
        files = sorted({i for i, v in items if v == "missed"})
        findings = sorted({i for i, v in items if v == "false_positive"})
        assert len(files) == 1 and len(findings) == 4
        assert "lisezmoi.txt" in page
        for value in ("DUPONT", "marie.dupont@orange.fr", "+33612345678"):
            assert value not in page  # drawn findings are shown masked
        assert "*" in re.search(r'<table id="qc-todo">.*?</table>', page, re.S).group(0)
        client.post("/qc/mark", data={"csrf": csrf, "item_id": files[0], "verdict": "ok"})
        verdicts = ["ok", "ok", "false_positive"]
        for item, verdict in zip(findings, verdicts, strict=False):
            client.post("/qc/mark", data={"csrf": csrf, "item_id": item, "verdict": verdict})
        bad = client.post("/qc/mark", data={"csrf": csrf, "item_id": files[0],
                                            "verdict": "false_positive"})
        assert bad.status_code == 400  # not a verdict for a file
        page = client.get("/qc").text
        assert re.search(r'id="miss-rate">0/1 = 0\.0 %', page)
        assert re.search(r'id="fp-rate">1/3 = 33\.3 % \(95 % Wilson interval 6\.1-79\.2 %\)',
                         page)
        overview = client.get("/").text
        assert "false-positive rate 1/3 = 33.3 % (95 % interval 6.1-79.2 %)" in overview
        stored = qc.stored_estimate(case)
        assert stored["false_positive_rate"]["k"] == 1 and stored["false_positive_rate"]["n"] == 3
        assert page.count("Q. Reviewer") >= 4
