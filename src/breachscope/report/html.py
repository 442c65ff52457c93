"""``breachscope report``: ``summary.json``, a self-contained ``report.html`` (inline CSS, inline
SVG charts, no script, no external resource) built from the same summary, and ``report.pdf``
printed from that HTML by WeasyPrint. Every output is written owner-only (``0600``).

The report is in French by default (the hospital's language), English with ``lang="en"``. Every
figure carries a note [n] that says which export lists what it counts (an export and a filter,
or for the few figures no export holds, the SQL over the case store).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from breachscope.case import Case
from breachscope.outputs import private_dir, write_private_text
from breachscope.report import i18n
from breachscope.report.charts import bar_chart
from breachscope.report.summary import build_summary

SEVERITY_ORDER = ("very high", "high", "medium", "low")


def human_bytes(n: float) -> str:
    """Kept for callers of the English report's size text (``1.5 GB``)."""
    return i18n.size(n, "en")


class Evidence:
    """The notes [n]: what export (and filter) lists what a figure counts. Called from the
    template, it returns the note's link and records the note once."""

    def __init__(self, words: dict[str, Any]) -> None:
        self.words = words
        self.notes: list[dict[str, str]] = []
        self._index: dict[tuple[str, str, str], int] = {}

    def __call__(self, what: str, filter_text: str = "", sql: str = "",
                 review: str = "") -> Markup:
        """``review``: the page of the review UI (``breachscope serve``) listing the same,
        as a path: the report holds no URL, and the UI's address carries a session token."""
        key = (what, filter_text, sql)
        if key not in self._index:
            case = self.words["case_placeholder"]
            if sql:
                command = f'duckdb -readonly {case}/case.duckdb "{sql}"'
            else:
                command = (f"breachscope export --case {case} --what {what} --format csv "
                           f"-o {what}.csv")
            self.notes.append({"command": command, "filter": filter_text, "review": review})
            self._index[key] = len(self.notes)
        n = self._index[key]
        note = self.notes[n - 1]
        tip = note["command"] + (f" · {self.words['filter']} {note['filter']}"
                                 if note["filter"] else "")
        return Markup('<a class="ev" href="#ev-{n}" title="{tip}">[{n}]</a>').format(
            n=n, tip=escape(tip))


def _charts(s: dict[str, Any], w: dict[str, Any]) -> dict[str, str]:
    people = s["people"]
    return {
        "role": bar_chart(w["by_role"], {w["roles"].get(k, k): v
                                         for k, v in people["by_role"].items()}),
        "category": bar_chart(w["by_category"], {w["categories"].get(k, k): v
                                                 for k, v in people["by_category"].items()}),
        "severity": bar_chart(w["by_severity"], {
            w["severities"].get(k, k): people["by_severity"][k]
            for k in SEVERITY_ORDER if k in people["by_severity"]}, color="#c0392b"),
        "sensitive": bar_chart(w["sensitive_title"], {
            w["sensitive_reasons"].get(k, k.replace("_", " ")): v
            for k, v in people["sensitive_by_category"].items()}, color="#7d3c98"),
        "kind": bar_chart(w["kinds_title"], {w["groups"].get(k, k): v
                                             for k, v in s["files"]["by_kind"].items()},
                          color="#1e8449"),
    }


def render_report(case: Case, summary: dict[str, Any], lang: str = "fr") -> str:
    """The report's HTML for ``summary`` (from :func:`build_summary`)."""
    w = i18n.words(lang)
    env = Environment(
        loader=PackageLoader("breachscope.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
    )
    return env.get_template("report.html.j2").render(
        s=summary, w=w, lang=lang, case_name=case.dir.name,
        n=lambda x: i18n.number(x, lang), size=lambda x: i18n.size(x, lang),
        pct=lambda x: i18n.percent(x, lang), date=lambda x: i18n.date(x, lang),
        ev=Evidence(w), charts=_charts(summary, w),
        severity_order=SEVERITY_ORDER,
        new_files=summary["waves"].get("last", {}).get("files_shown", []),
        type_groups=i18n.TYPE_GROUPS,
    )


def write_report(case: Case, out_dir: Path, claim: str | None = None, *, lang: str = "fr",
                 pdf: bool = False, report_date: dt.date | None = None) -> dict:
    """Write ``summary.json``, ``report.html`` and (``pdf``) ``report.pdf`` into ``out_dir``;
    returns the summary."""
    i18n.words(lang)  # an unknown language fails before anything is written
    private_dir(out_dir)
    summary = build_summary(case, claim, report_date=report_date)
    write_private_text(out_dir / "summary.json",
                       json.dumps(summary, indent=2, ensure_ascii=False))
    html = render_report(case, summary, lang)
    write_private_text(out_dir / "report.html", html)
    if pdf:
        from breachscope.report.pdf import html_to_pdf

        html_to_pdf(html, out_dir / "report.pdf")
    return summary
