"""A case with nothing in it (a scan that found no file) still gets a whole report: no chart,
no period, no wave, a claim that nothing in the dump confirms."""

from __future__ import annotations

import stat

from breachscope.case import Case
from breachscope.report.html import write_report


def test_empty_case_report(tmp_path):
    with Case(tmp_path / "case") as case:
        s = write_report(case, tmp_path / "r", "1 000 patients, 2 Go, RIB", pdf=True)
    assert s["people"]["total"] == s["people"]["minors"] == s["records"]["total"] == 0
    assert s["period"] == {"first": None, "last": None, "dates": 0}
    assert s["waves"]["count"] == 0
    assert {p["point"]: p["verdict"] for p in s["claim"]["points"]} == {
        "people": "not_found", "bytes": "not_found", "financial": "not_found"}
    html = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    assert "<svg" not in html
    assert "Aucune date de séjour ou de consultation trouvée." in html
    assert "non constaté" in html
    for name in ("report.html", "report.pdf", "summary.json"):
        assert stat.S_IMODE((tmp_path / "r" / name).stat().st_mode) == 0o600
    assert (tmp_path / "r" / "report.pdf").read_bytes().startswith(b"%PDF")


def test_a_claim_with_nothing_to_check_says_so(tmp_path):
    with Case(tmp_path / "case") as case:
        write_report(case, tmp_path / "r", "we have everything", lang="en")
    html = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    assert "we have everything" in html
    assert "No count of people or records, volume or kind of data recognised" in html
