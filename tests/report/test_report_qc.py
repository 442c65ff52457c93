"""The reviewers' quality-control estimate (breachscope qc) appears in the report: miss and
false-positive rates with their Wilson intervals, in French and English."""

from __future__ import annotations

import json

from breachscope.case import Case
from breachscope.report.html import write_report

ESTIMATE = {
    "miss_rate": {"k": 1, "n": 50, "estimate": 0.02, "low": 0.0035, "high": 0.105},
    "false_positive_rate": {"k": 3, "n": 50, "estimate": 0.06, "low": 0.0206, "high": 0.1622},
    "row_miss_rate": {"k": 0, "n": 0, "estimate": 0.0, "low": 0.0, "high": 1.0},
    "confidence": 0.95, "method": "Wilson score interval",
    "reviewed_at": "2026-12-05T04:00:00Z",
}


def test_the_qc_estimate_is_in_the_report_and_the_summary(tmp_path):
    with Case(tmp_path / "case") as case:
        write_report(case, tmp_path / "before", pdf=False)
        case.db.execute("INSERT OR REPLACE INTO meta VALUES ('qc_estimate', ?)",
                        [json.dumps(ESTIMATE)])
        fr = write_report(case, tmp_path / "fr", pdf=False)
        write_report(case, tmp_path / "en", lang="en", pdf=False)
    before = (tmp_path / "before" / "report.html").read_text(encoding="utf-8")
    assert "Aucun contrôle par échantillon" in before
    assert fr["quality_control"]["false_positive_rate"]["k"] == 3
    html = (tmp_path / "fr" / "report.html").read_text(encoding="utf-8")
    assert "3 sur 50 (6,0\u00a0% ; intervalle de confiance à 95 % de Wilson : 2,1\u00a0% à " \
           "16,2\u00a0%)" in html
    assert "1 sur 50 (2,0\u00a0%" in html
    assert "lignes de tables rattachées à personne : aucun élément examiné" in html
    en = (tmp_path / "en" / "report.html").read_text(encoding="utf-8")
    assert "3 of 50 (6.0\u00a0%; 95 % Wilson confidence interval: 2.1\u00a0% to 16.2\u00a0%)" \
        in en
    assert json.loads((tmp_path / "fr" / "summary.json").read_text(encoding="utf-8"))[
        "quality_control"]["reviewed_at"] == "2026-12-05T04:00:00Z"
